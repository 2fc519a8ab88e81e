//! `summary.md`: the key numbers of a run and its diagnosis in plain words.

use super::analysis::{Diagnosis, PHASES};
use super::record::RunRecord;
use super::units::{bytes, duration, rate};
use std::fmt::Write;

/// The diagnosis as sentences, shared by `summary.md` and the HTML page.
pub fn findings(d: &Diagnosis) -> Vec<String> {
    let mut out = Vec::new();
    let grand: u64 = d.phase_totals.iter().sum();
    if let Some((phase, share)) = d.dominant {
        let mut parts: Vec<(usize, u64)> = d.phase_totals.iter().copied().enumerate().collect();
        parts.sort_by_key(|(i, v)| (std::cmp::Reverse(*v), *i));
        let rest: Vec<String> = parts
            .iter()
            .skip(1)
            .take(2)
            .filter(|(_, v)| *v > 0)
            .map(|(i, v)| format!("{} {:.0}%", PHASES[*i], *v as f64 / grand as f64 * 100.0))
            .collect();
        out.push(format!(
            "**{phase}** dominates: {:.0}% of the slowest subtask's time over {} completed checkpoint(s){}.",
            share * 100.0,
            d.completed,
            if rest.is_empty() {
                String::new()
            } else {
                format!(" (then {})", rest.join(", "))
            }
        ));
    }
    if let Some(st) = &d.straggler {
        let waited = if st.main_phase == "start delay" {
            " (its barrier waited behind the records queued at its input)"
        } else {
            ""
        };
        let mut last = st.last_to_acknowledge.as_ref().map_or(String::new(), |last| {
            format!(" `{last}`, downstream of it, acknowledged last, its barrier held up behind it.")
        });
        // The bottleneck is the straggler whenever the straggler could be one; when it
        // is another subtask, say so rather than blame two subtasks for one thing.
        if let Some((bottleneck, ..)) = d.backpressure.as_ref().and_then(|b| b.bottleneck.as_ref())
            && *bottleneck != st.name
        {
            last.push_str(&format!(
                " It is not the bottleneck: it is backpressured or not busy enough to be; the backpressure \
                 comes from `{bottleneck}`."
            ));
        }
        out.push(format!(
            "The straggler is **{}**: it held back {} of {} checkpoint(s), taking {} (median) against {} for the \
             median subtask; most of its time is {}{waited}.{last}",
            st.name,
            st.times_holding,
            st.checkpoints,
            duration(st.median_ns),
            duration(st.all_median_ns),
            st.main_phase
        ));
    }
    match &d.backpressure {
        Some(bp) => {
            let ops: Vec<String> = bp
                .operators
                .iter()
                .map(|(name, share)| format!("`{name}` (up to {:.0}% of the time)", share * 100.0))
                .collect();
            out.push(format!(
                "Backpressure starts at **{}** and is present in {:.0}% of the samples{}{}.",
                duration(bp.first_ns),
                bp.sampled_share * 100.0,
                if ops.is_empty() {
                    String::new()
                } else {
                    format!("; backpressured: {}", ops.join(", "))
                },
                match &bp.bottleneck {
                    Some((name, busy, median)) => format!(
                        "; it comes from `{name}`, busy {:.1}% against {:.1}% for the median subtask",
                        busy * 100.0,
                        median * 100.0
                    ),
                    None => String::new(),
                }
            ));
        }
        None => out.push("No subtask was backpressured.".to_string()),
    }
    if d.failed > 0 {
        let reasons: Vec<String> = d.failure_reasons.iter().map(|(r, n)| format!("{n}× {r}")).collect();
        let note = if d.failure_reasons.len() == 1 && d.failure_reasons[0].0 == "CHECKPOINT_COORDINATOR_SHUTDOWN" {
            " (the job finished while it was in flight, as a bounded job does)"
        } else {
            ""
        };
        out.push(format!(
            "{} checkpoint(s) failed: {}{note}.",
            d.failed,
            reasons.join(", ")
        ));
    }
    if d.failed_before_start > 0 {
        out.push(format!(
            "{} more trigger(s) failed before any subtask took part (Flink counts them as failed and \
             leaves them out of its history): a trigger that finds tasks not running, as the first one \
             does while the job deploys, fails with NOT_ALL_REQUIRED_TASKS_RUNNING.",
            d.failed_before_start
        ));
    }
    out
}

/// `summary.md`: key numbers, diagnosis and what to try.
pub fn render(record: &RunRecord, d: &Diagnosis) -> String {
    let s = &record.summary;
    let f = &d.facts;
    let mut md = String::new();
    let _ = writeln!(md, "# ckptsim report: `{}`\n", f.name);
    if !f.description.is_empty() {
        let _ = writeln!(md, "{}\n", f.description);
    }
    let _ = writeln!(
        md,
        "Seed {}, {} of input, {} TaskManagers; checkpoints {}, {}, state backend {}. Trace digest `{}`.\n",
        s.seed,
        duration(s.input_duration_ns),
        f.taskmanagers,
        f.interval_ns
            .map_or("off".to_string(), |i| format!("every {}", duration(i))),
        f.mode(),
        f.backend,
        s.trace_digest
    );
    let _ = writeln!(md, "## Key numbers\n");
    let _ = writeln!(md, "| what | value |\n|---|---|");
    let row = |md: &mut String, k: &str, v: String| {
        let _ = writeln!(md, "| {k} | {v} |");
    };
    if let Some(r) = &s.checkpoints {
        row(
            &mut md,
            "checkpoints",
            format!(
                "{} triggered, {} completed, {} failed, {} in progress",
                r.triggered, r.completed, r.failed, r.in_progress
            ),
        );
    }
    let opt = |v: Option<u64>| v.map_or("–".to_string(), duration);
    row(
        &mut md,
        "end-to-end duration p50 / p99 / max",
        format!("{} / {} / {}", opt(d.e2e_p50_ns), opt(d.e2e_p99_ns), opt(d.e2e_max_ns)),
    );
    row(
        &mut md,
        "state size (last completed)",
        d.last_state_size.map_or("–".into(), |b| bytes(b as f64)),
    );
    row(
        &mut md,
        "checkpointed size (mean)",
        d.mean_checkpointed_size.map_or("–".into(), bytes),
    );
    row(
        &mut md,
        "persisted in-flight data (mean)",
        d.mean_persisted.map_or("–".into(), bytes),
    );
    row(
        &mut md,
        "throughput",
        format!(
            "{} read (offered {})",
            rate(s.input_rate_per_s),
            rate(s.offered_rate_per_s)
        ),
    );
    row(
        &mut md,
        "record latency p50 / p99",
        format!("{} / {}", duration(s.latency.p50_ns), duration(s.latency.p99_ns)),
    );
    if let Some(line) = s.debloat.as_ref().and_then(super::analysis::debloat_line) {
        row(&mut md, "buffer debloating", line);
    }
    if let Some(c) = &s.changelog {
        row(&mut md, "changelog", super::analysis::changelog_line(c));
    }
    if let Some(line) = s
        .checkpoints
        .as_ref()
        .and_then(|c| super::analysis::file_merging_line(&c.storage))
    {
        row(&mut md, "file merging", line);
    }
    if let Some(line) = super::analysis::local_recovery_line(&s.recoveries) {
        row(&mut md, "task-local recovery", line);
    }
    let failures = s.recoveries.iter().filter(|r| !r.resubmitted).count();
    if failures > 0 {
        row(
            &mut md,
            "recoveries",
            format!("{failures} (mean {:.0} ms)", d.metrics.recovery_ms.unwrap_or(0.0)),
        );
    }
    for r in s.recoveries.iter().filter(|r| r.resubmitted) {
        let running = r.recovery_time_ns().map_or("never running".to_string(), |t| {
            format!("running {} later", duration(t))
        });
        row(
            &mut md,
            "started again",
            format!("{} at {}, {running}", r.cause, duration(r.failed_at_ns)),
        );
    }
    row(
        &mut md,
        "exactly-once",
        if record.held() { "held" } else { "**violated**" }.to_string(),
    );
    let _ = writeln!(md, "\n## Diagnosis\n");
    for line in findings(d) {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## What to try\n");
    for (i, a) in d.advice.iter().enumerate() {
        let _ = writeln!(md, "{}. {a}", i + 1);
    }
    let _ = writeln!(
        md,
        "\n## Files\n\n`index.html` (this report with plots), `*.svg` (each plot), `checkpoints.json` (Flink REST \
         `/jobs/:jobid/checkpoints`), `checkpoints-details.json` (per checkpoint, the details and per-subtask answers), `metrics.prom` (Prometheus, Flink's metric \
         names), `checkpoints.csv`, `subtasks.csv`, `run.json` (re-render with `ckptsim report run.json`)."
    );
    md
}
