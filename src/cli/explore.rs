//! `ckptsim explore`: run a range of seeds, each with its own random fault schedule,
//! shrink the violations, write results as JSON lines; `--merge` joins the files of
//! shards run elsewhere and prints what an unsharded run would have printed.

use super::UsageError;
use super::output::write_atomically;
use crate::explore::report::{replay_faults, replay_path, summary_text};
use crate::explore::shard::{self, FORMAT, Header, Shard};
use crate::explore::{self as explorer, SeedResult, parse_seeds, parse_shard, scenario_digest};
use crate::scenario::{self, Scenario, faults::with_faults};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The most seeds one invocation runs.
const MAX_SEEDS_PER_RUN: u64 = 10_000_000;

#[derive(Args)]
pub struct ExploreArgs {
    /// The scenario file.
    #[arg(required_unless_present = "merge")]
    scenario: Option<PathBuf>,
    /// The seeds: a count N (seeds 0..N) or a half-open range A..B.
    #[arg(long, value_parser = parse_seeds, required_unless_present = "merge")]
    seeds: Option<Range<u64>>,
    /// Threads running seeds; the number of cores by default.
    #[arg(long, value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Runs only shard I of N: the seeds whose index in the range is I modulo N.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Where results and replay files go; explore/<scenario name>/ by default.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Joins the results files of shards instead of running seeds.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["scenario", "seeds", "shard", "jobs"])]
    merge: Vec<PathBuf>,
    /// Runs spent shrinking each violation's fault schedule; 0 does not shrink.
    #[arg(long, default_value_t = 200)]
    max_shrink_runs: usize,
}

fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) | Err(_) => Err(format!("`{text}`: expected a number of threads, 1 or more")),
        Ok(n) => Ok(n),
    }
}

pub fn explore(args: ExploreArgs) -> Result<ExitCode, UsageError> {
    if !args.merge.is_empty() {
        return merge(&args.merge, args.out);
    }
    let (Some(path), Some(seeds)) = (&args.scenario, &args.seeds) else {
        return Err(UsageError(
            "explore needs a scenario and --seeds (or --merge FILE...)".into(),
        ));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read the scenario {}: {e}", path.display())))?;
    let scenario = scenario::parse_str(&text, &path.display().to_string()).map_err(|e| UsageError(e.to_string()))?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let out_dir = args.out.clone().unwrap_or_else(|| default_out(&scenario.name));
    // Fail on an unwritable folder now, not after minutes of runs.
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| UsageError(format!("cannot create output folder {}: {e}", out_dir.display())))?;

    // Every result is kept in memory until the file is written; a range that large
    // would take days on one machine anyway, and belongs on a cluster's shards.
    if shard.len(seeds) > MAX_SEEDS_PER_RUN {
        return Err(UsageError(format!(
            "--seeds {}..{} gives this run {} seeds, more than {MAX_SEEDS_PER_RUN}: split the range with --shard I/N",
            seeds.start,
            seeds.end,
            shard.len(seeds)
        )));
    }
    let started = Instant::now();
    let mine = shard.seeds(seeds);
    let bar = progress_bar(mine.len() as u64);
    let violations = AtomicU64::new(0);
    let report = explorer::explore_seeds(&scenario, &mine, jobs, |r| {
        let found = violations.fetch_add(!r.held as u64, Ordering::Relaxed) + !r.held as u64;
        bar.inc(1);
        // indicatif's own rate prints four decimals; whole seeds/s read better.
        let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{rate:.0} seeds/s, {found} violations"));
    });
    let ran = started.elapsed();
    let mut results = report.results;
    let shrinking = Instant::now();
    if !report.violations.is_empty() && args.max_shrink_runs > 0 {
        bar.set_length(report.violations.len() as u64);
        bar.set_position(0);
        bar.set_style(bar_style("shrinking", "violations"));
        bar.set_message(format!("up to {} runs each", args.max_shrink_runs));
        explorer::shrink_all(&scenario, &mut results, jobs, args.max_shrink_runs, |_| bar.inc(1));
    }
    bar.finish_and_clear();
    let shrunk = shrinking.elapsed();

    let header = Header {
        ckptsim_explore: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        scenario_digest: scenario_digest(&scenario),
        scenario_yaml: text,
        seeds: seeds.clone(),
        shard,
        max_shrink_runs: args.max_shrink_runs,
    };
    let file = if shard == Shard::WHOLE {
        "results.jsonl".to_string()
    } else {
        shard.file_name()
    };
    let code = finish(&header, &results, &scenario, &out_dir, &file)?;
    eprintln!(
        "{} seeds in {:.2}s wall: {:.0} seeds/s on {jobs} thread(s){}",
        results.len(),
        ran.as_secs_f64(),
        results.len() as f64 / ran.as_secs_f64().max(1e-9),
        if report.violations.is_empty() || args.max_shrink_runs == 0 {
            String::new()
        } else {
            format!("; shrinking took {:.2}s", shrunk.as_secs_f64())
        }
    );
    Ok(code)
}

fn default_out(scenario_name: &str) -> PathBuf {
    Path::new("explore").join(scenario_name)
}

fn bar_style(what: &str, unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{bar:24}}] {{pos}}/{{len}} {unit}, {{msg}}, eta {{eta}}"
    ))
    .expect("static template")
    .progress_chars("=> ")
}

/// A bar on stderr when it is a terminal; hidden otherwise (logs of batch jobs).
fn progress_bar(seeds: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(seeds), target);
    bar.set_style(bar_style("exploring", "seeds"));
    bar.set_message("0 violations");
    bar
}

/// Writes the results file and the replay files, prints the summary, and says
/// whether exactly-once held everywhere.
fn finish(
    header: &Header,
    results: &[SeedResult],
    scenario: &Scenario,
    out_dir: &Path,
    file: &str,
) -> Result<ExitCode, UsageError> {
    let path = out_dir.join(file);
    write_atomically(&path, shard::to_jsonl(header, results).as_bytes())?;
    let mut replays = 0;
    for r in results.iter().filter(|r| !r.held) {
        let faults = replay_faults(r, scenario);
        let yaml = with_faults(&header.scenario_yaml, scenario, r.seed, &faults)
            .map_err(|e| UsageError(format!("cannot write the replay scenario of seed {}: {e}", r.seed)))?;
        let replay = replay_path(out_dir, r.seed);
        write_atomically(&replay, yaml.as_bytes())?;
        replays += 1;
        // The replay is only worth printing if `ckptsim run` reads back exactly
        // the schedule that failed; say so loudly if it would not.
        let name = replay.display().to_string();
        match scenario::parse_str(&yaml, &name) {
            Ok(back) if back.seed == r.seed && back.faults == faults => {}
            Ok(_) => eprintln!("warning: {name} does not read back as the failing schedule; please report this"),
            Err(e) => eprintln!("warning: {name} does not validate ({e}); please report this"),
        }
    }
    print!("{}", summary_text(header, results, scenario, out_dir));
    println!();
    println!("wrote {}", path.display());
    if replays > 0 {
        println!("wrote {replays} replay scenario(s) to {}", out_dir.display());
    }
    let held = results.iter().all(|r| r.held);
    Ok(if held { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn merge(files: &[PathBuf], out: Option<PathBuf>) -> Result<ExitCode, UsageError> {
    let mut read = Vec::new();
    for path in files {
        let (header, results) = shard::read_jsonl(path).map_err(UsageError)?;
        read.push((path.display().to_string(), header, results));
    }
    let (header, results) = shard::merge(&read).map_err(UsageError)?;
    let scenario = scenario::parse_str(&header.scenario_yaml, &format!("{}.yaml", header.scenario))
        .map_err(|e| UsageError(format!("the scenario recorded in the results does not validate: {e}")))?;
    if scenario_digest(&scenario) != header.scenario_digest {
        return Err(UsageError(format!(
            "the scenario `{}` recorded in the results reads differently with this ckptsim (digest {} against {}): \
             merge with the ckptsim build that ran the shards",
            header.scenario,
            scenario_digest(&scenario),
            header.scenario_digest
        )));
    }
    let out_dir = out.unwrap_or_else(|| default_out(&header.scenario));
    finish(&header, &results, &scenario, &out_dir, "results.jsonl")
}
