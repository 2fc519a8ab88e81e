//! `ckptsim run`: simulate a scenario, print a summary, optionally write it as JSON.

use super::elide::for_each_elided;
use super::output::{create_folder, write_atomically};
use super::progress::RunProgress;
use super::report::RunReport;
use super::{QUICKSTART, UsageError};
use crate::check::Verdict;
use crate::scenario::{self, Scenario, units::parse_duration};
use crate::sim::time::{MILLISECOND, as_secs_f64, format_duration};
use crate::stats::checkpoint::{CheckpointReport, CheckpointSummary, PhaseSpread};
use crate::stats::run::RunSummary;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args)]
pub struct RunArgs {
    /// The scenario file; the built-in quickstart when omitted.
    scenario: Option<PathBuf>,
    /// Overrides the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Overrides how long the sources produce input, like 10s or 500ms.
    #[arg(long, value_parser = parse_duration_arg)]
    duration: Option<u64>,
    /// Writes summary.json into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Prints the summary as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Writes a report (HTML with plots, summary.md, Flink-compatible exports) into
    /// reports/<scenario name>/, or into DIR with --report=DIR. The `=` is required,
    /// so that `--report SCENARIO` never takes the scenario for the folder.
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true)]
    report: Option<Option<PathBuf>>,
}

fn parse_duration_arg(text: &str) -> Result<u64, String> {
    match parse_duration(text)? {
        0 => Err("must be greater than 0".into()),
        ns => Ok(ns),
    }
}

/// Everything `--json` prints and `--out` writes.
#[derive(Serialize)]
struct Report<'a> {
    summary: &'a RunSummary,
    /// Wall time of the simulation alone.
    wall_time_ms: f64,
    /// Wall time of computing the reference output and comparing.
    check_wall_time_ms: f64,
    check: &'a Verdict,
    scenario: &'a Scenario,
}

pub fn run(args: RunArgs) -> Result<ExitCode, UsageError> {
    let mut scenario = match &args.scenario {
        Some(path) => scenario::load_file(path),
        None => scenario::parse_str(QUICKSTART, "quickstart.yaml (built in)"),
    }
    .map_err(|e| {
        // `--report DIR` (without `=`) reads DIR as the scenario: say how to name a folder.
        let unread = e.line == 0 && args.scenario.as_ref().is_some_and(|p| !p.exists());
        let hint = if unread && matches!(args.report, Some(None)) {
            "; to write the report into a folder of your choice, use --report=DIR"
        } else {
            ""
        };
        UsageError(format!("{e}{hint}"))
    })?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(duration) = args.duration {
        for dropped in scenario.set_duration(duration) {
            eprintln!(
                "note: --duration {}: {dropped} lies past the end, left out",
                format_duration(duration)
            );
        }
    }
    if let Some(dir) = &args.out {
        create_folder(dir)?;
    }
    let run_report = args
        .report
        .as_ref()
        .map(|dir| RunReport::prepare(&scenario.name, dir))
        .transpose()?;

    if !args.json {
        println!(
            "ckptsim run `{}`: seed {}, {} of input, {} TaskManagers × {} slots",
            scenario.name,
            scenario.seed,
            format_duration(scenario.duration_ns),
            scenario.cluster.taskmanagers,
            scenario.cluster.slots_per_taskmanager
        );
    }

    let started = Instant::now();
    let mut progress = RunProgress::new(
        scenario.duration_ns / MILLISECOND,
        (scenario.duration_ns + scenario.drain_timeout_ns()) / MILLISECOND,
    );
    // The reference output is computed beside the simulation; what is left to check
    // after it is timed apart.
    let (world, reference) = crate::run::simulate_beside_reference(scenario, |now| progress.update(now / MILLISECOND))
        .map_err(|e| UsageError(e.to_string()))?;
    progress.finish();
    let wall = started.elapsed();
    let checking = Instant::now();
    let outcome = crate::run::check_with(world, reference.as_ref());
    let check_wall = checking.elapsed();
    let report = Report {
        summary: &outcome.summary,
        wall_time_ms: wall.as_secs_f64() * 1e3,
        check_wall_time_ms: check_wall.as_secs_f64() * 1e3,
        check: &outcome.verdict,
        scenario: &outcome.world.scenario,
    };
    // Only drawn when asked for: it costs as much as a tenth of a small run's check.
    let json = (args.json || args.out.is_some())
        .then(|| serde_json::to_string_pretty(&report).expect("the report serialises"));
    if let (Some(dir), Some(json)) = (&args.out, &json) {
        write_atomically(&dir.join("summary.json"), json.as_bytes())?;
    }
    if args.json {
        println!("{}", json.as_deref().unwrap_or_default());
    } else {
        print_summary(
            &outcome.summary,
            &outcome.verdict,
            wall.as_secs_f64(),
            check_wall.as_secs_f64(),
        );
        if let Some(dir) = &args.out {
            println!("wrote {}", dir.join("summary.json").display());
        }
        if !outcome.verdict.held {
            println!(
                "violation at seed {}; replay: {}",
                outcome.summary.seed,
                super::outcome::replay_command(args.scenario.as_deref(), outcome.summary.seed, args.duration)
            );
        }
    }
    // The summary is out before a report that failed is reported.
    if let Some(run_report) = run_report {
        run_report.write(&outcome)?;
        let line = format!("wrote report {}", run_report.index().display());
        // With --json, stdout is the JSON alone.
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(if outcome.verdict.held {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

fn ms(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1e6)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1}G", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1}M", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}K", b as f64 / 1024.0),
        b => format!("{b}B"),
    }
}

/// The checkpoint table: one line per checkpoint, phases as p50/max over subtasks.
fn print_checkpoints(report: &CheckpointReport) {
    println!();
    println!(
        "checkpoints: {} triggered, {} completed, {} failed, {} in progress",
        report.triggered, report.completed, report.failed, report.in_progress
    );
    if report.checkpoints.is_empty() {
        return;
    }
    println!(
        "{:>4} {:<10} {:>9} {:>13} {:>13} {:>13} {:>13} {:>13} {:>8} {:>8} {:>8} {:>8}",
        "id",
        "status",
        "e2e ms",
        "start delay",
        "alignment",
        "sync",
        "async",
        "snap. wait",
        "finalize",
        "state",
        "upload",
        "persist"
    );
    let pair = |p: &PhaseSpread| format!("{}/{}", ms(p.p50), ms(p.max));
    let row = |c: &CheckpointSummary| {
        let status = match (c.status, c.is_savepoint) {
            ("COMPLETED", true) => "SAVEPOINT".to_string(),
            (status, _) => status.to_string(),
        };
        println!(
            "{:>4} {:<10} {:>9} {:>13} {:>13} {:>13} {:>13} {:>13} {:>8} {:>8} {:>8} {:>8}{}",
            c.id,
            status,
            c.end_to_end_duration.map_or("-".into(), ms),
            pair(&c.start_delay),
            pair(&c.alignment),
            pair(&c.sync),
            pair(&c.async_),
            pair(&c.snapshot_wait),
            c.finalize_duration.map_or("-".into(), ms),
            size(c.state_size),
            size(c.checkpointed_size),
            size(c.persisted_data),
            match (c.failure_message, c.unaligned_subtasks) {
                (Some(reason), _) => format!("  {reason}"),
                (None, 0) => String::new(),
                (None, n) => format!("  unaligned at {n} subtasks"),
            }
        );
    };
    for_each_elided(&report.checkpoints, row, |n| println!("   … {n} more checkpoints …"));
    println!(
        "(phases in ms as p50/max over subtasks; state = full size, upload = checkpointed size, both counting \
         persist = in-flight data, as Flink does)"
    );
    if let Some((at, id, reason)) = report.failover_requests.first() {
        println!(
            "the coordinator asked for a failover {} time(s), first at {} after checkpoint {id} failed ({reason}): \
             execution.checkpointing.tolerable-failed-checkpoints was exceeded",
            report.failover_requests.len(),
            format_duration(*at)
        );
    }
    let storage = &report.storage;
    println!(
        "checkpoint storage: {} in {} file(s) at the end, at most {} in {} file(s)",
        size(storage.bytes_at_end),
        storage.files_at_end,
        size(storage.peak_bytes),
        storage.peak_files
    );
    if let Some(m) = &storage.file_merging {
        println!(
            "file merging: those are segments of {} physical file(s), {} at the end, at most {} in {} physical file(s); \
             space amplification {:.2} at the end, {:.2} on average, at most {:.2}",
            m.physical_files_at_end,
            size(m.physical_bytes_at_end),
            size(m.peak_physical_bytes),
            m.peak_physical_files,
            m.space_amplification_at_end,
            m.mean_space_amplification,
            m.peak_space_amplification
        );
        let written: Vec<_> = report
            .checkpoints
            .iter()
            .filter(|c| c.status == "COMPLETED")
            .filter_map(|c| c.files_written)
            .collect();
        if !written.is_empty() {
            let n = written.len() as f64;
            println!(
                "  a completed checkpoint wrote {:.1} logical file(s) into {:.1} newly opened physical file(s) on average",
                written.iter().map(|w| w.logical_files).sum::<u64>() as f64 / n,
                written.iter().map(|w| w.physical_files).sum::<u64>() as f64 / n
            );
        }
    }
    if let Some((_, reason)) = report.dropped_triggers.first() {
        println!(
            "{} periodic trigger(s) skipped ({reason}, ...)",
            report.dropped_triggers.len()
        );
    }
}

fn print_summary(s: &RunSummary, verdict: &Verdict, wall_s: f64, check_s: f64) {
    let virtual_s = as_secs_f64(s.virtual_time_ns);
    println!(
        "simulated {} of virtual time in {:.3}s wall ({:.0}× real time), {} events",
        format_duration(s.virtual_time_ns),
        wall_s,
        virtual_s / wall_s.max(1e-9),
        s.events
    );
    println!();
    println!(
        "{:<16} {:>5} {:>12} {:>12} {:>8} {:>14}",
        "operator", "par", "records in", "records out", "busy", "backpressured"
    );
    for o in &s.operators {
        println!(
            "{:<16} {:>5} {:>12} {:>12} {:>8} {:>14}",
            o.name,
            o.parallelism,
            o.records_in,
            o.records_out,
            percent(o.busy_ratio_avg),
            percent(o.backpressured_ratio_max)
        );
    }
    println!("(busy: mean over subtasks; backpressured: the most backpressured subtask)");
    println!();
    println!(
        "throughput: {} records read in {} ({:.0} records/s; offered {:.0}/s for {}); {} records reached the sinks",
        s.source_records,
        format_duration(s.sources_done_ns),
        s.input_rate_per_s,
        s.offered_rate_per_s,
        format_duration(s.input_duration_ns),
        s.sink_records
    );
    println!(
        "record latency, event time to sink: p50 {}  p99 {}  max {}",
        format_duration(s.latency.p50_ns),
        format_duration(s.latency.p99_ns),
        format_duration(s.latency.max_ns)
    );
    let mut pressured: Vec<_> = s.subtasks.iter().filter(|t| t.backpressured_ratio > 0.0005).collect();
    pressured.sort_by(|a, b| b.backpressured_ratio.total_cmp(&a.backpressured_ratio));
    if pressured.is_empty() {
        println!("backpressure: none");
    } else {
        let top: Vec<String> = pressured
            .iter()
            .take(6)
            .map(|t| format!("{}#{} {}", t.operator, t.subtask, percent(t.backpressured_ratio)))
            .collect();
        println!(
            "backpressured share of time: {}{}",
            top.join(", "),
            if pressured.len() > 6 {
                format!(" (+{} more)", pressured.len() - 6)
            } else {
                String::new()
            }
        );
    }
    if let Some(c) = &s.changelog {
        println!("changelog: {}", crate::report::analysis::changelog_line(c));
    }
    if let Some(line) = s.debloat.as_ref().and_then(crate::report::analysis::debloat_line) {
        println!("buffer debloating: {line}");
    }
    super::outcome::print_verdict(verdict, s, check_s);
    super::outcome::print_faults(s);
    super::outcome::print_stop(s);
    if let Some(report) = &s.checkpoints {
        print_checkpoints(report);
    }
    print_backlog(s);
    if let Some(p) = s.protocol.as_ref().filter(|p| p.name != "coordinated") {
        print_protocol(p);
    }
    println!("trace digest {}", s.trace_digest);
}

/// When sources processed backlog, and how far apart the checkpoints triggered then were.
fn print_backlog(s: &RunSummary) {
    if s.backlog.is_empty() {
        return;
    }
    let periods: Vec<String> = s
        .backlog
        .iter()
        .map(|p| {
            let until = p.until_ns.map_or("the end".to_string(), format_duration);
            format!("`{}` {} to {until}", p.source, format_duration(p.from_ns))
        })
        .collect();
    println!("sources processing backlog: {}", periods.join(", "));
    if let Some(report) = &s.checkpoints {
        let triggers: Vec<String> = report
            .checkpoints
            .iter()
            .map(|c| format_duration(c.trigger_timestamp))
            .collect();
        println!("checkpoints triggered at: {}", triggers.join(" "));
    }
}

/// What a protocol without barriers cost: its own checkpoints, logs and lines.
fn print_protocol(p: &crate::stats::protocol::ProtocolSummary) {
    println!(
        "protocol `{}`: {} checkpoints on the subtasks' timers, {} forced; {} recovery lines reached",
        p.name, p.timer_checkpoints, p.forced_checkpoints, p.recovery_lines
    );
    println!(
        "  message logs: {} records logged, at most {} held ({}); {} replayed by restores",
        p.logged_records,
        p.log_peak_records,
        size(p.log_peak_bytes),
        p.replayed_from_logs
    );
    if p.piggyback_bytes > 0 {
        println!(
            "  piggybacked control information: {} per buffer, {} in all",
            size(p.piggyback_bytes_per_buffer),
            size(p.piggyback_bytes)
        );
    }
    println!(
        "  restores rolled back {} checkpoint(s), at most {} at one subtask; {} checkpoint(s) never on a recovery line",
        p.line.rolled_back_checkpoints, p.line.max_rollback_depth, p.line.useless_checkpoints
    );
}
