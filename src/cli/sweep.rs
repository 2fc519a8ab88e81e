//! `ckptsim sweep SCENARIO --set KEY=V1,V2,... [--set ...] [--seeds N] [--jobs J]`:
//! runs the grid (cartesian product of the values, times seeds) in parallel — each
//! run single-threaded and deterministic, parallel only across runs — and writes a
//! report comparing the grid points.

use super::UsageError;
use super::report::default_dir;
use super::report_folder::ReportFolder;
use crate::report::RunRecord;
use crate::report::analysis::RunMetrics;
use crate::report::sweep::{SweepResult, SweepRun};
use crate::scenario::overrides::{load_with_overrides, parse_set};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args)]
pub struct SweepArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// A parameter and its values: a Flink key as under `config:`
    /// (`execution.checkpointing.interval=1s,5s`) or a dotted path
    /// (`cluster.taskmanagers=2,4`). Repeat for a grid.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    set: Vec<String>,
    /// Seeds per grid point: the scenario's seed and the next N-1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    seeds: u64,
    /// Runs at once; the number of cores when omitted.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    /// Where to write the report; reports/<name>-sweep/ when omitted.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Every combination of the parameters' values, the first parameter slowest.
fn grid(parameters: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (key, values) in parameters {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut next = p.clone();
                    next.push((key.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    points
}

pub fn sweep(args: SweepArgs) -> Result<ExitCode, UsageError> {
    // The file first, so its own errors point at its lines.
    let base = crate::scenario::load_file(&args.scenario).map_err(|e| UsageError(e.to_string()))?;
    let mut parameters: Vec<(String, Vec<String>)> = Vec::new();
    for arg in &args.set {
        let (key, values) = parse_set(arg).map_err(|e| UsageError(e.to_string()))?;
        if parameters.iter().any(|(k, _)| *k == key) {
            return Err(UsageError(format!(
                "--set {key}: given twice; list its values once, comma-separated"
            )));
        }
        parameters.push((key, values));
    }
    // Each value on its own, so an error names the one key and value at fault.
    for (key, values) in &parameters {
        for value in values {
            load_with_overrides(&args.scenario, &[(key.clone(), value.clone())]).map_err(UsageError)?;
        }
    }
    let points = grid(&parameters);
    let mut scenarios = Vec::with_capacity(points.len());
    for point in &points {
        scenarios.push(load_with_overrides(&args.scenario, point).map_err(UsageError)?);
    }
    let seeds: Vec<u64> = (0..args.seeds).map(|i| base.seed.wrapping_add(i)).collect();
    let jobs: Vec<(usize, u64)> = (0..points.len())
        .flat_map(|p| seeds.iter().map(move |s| (p, *s)))
        .collect();
    let dir = args.out.clone().unwrap_or_else(|| default_dir(&base.name, "-sweep"));
    let folder = ReportFolder::prepare(&dir, crate::report::sweep::is_report_file)?;
    let threads = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!(
        "ckptsim sweep `{}`: {} grid point(s) × {} seed(s) = {} run(s) on {} thread(s)",
        base.name,
        points.len(),
        seeds.len(),
        jobs.len(),
        threads
    );

    let bar = ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::hidden());
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} sweeping [{bar:24}] {pos}/{len} runs, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| UsageError(format!("cannot start {threads} threads: {e}")))?;
    let runs: Vec<SweepRun> = pool.install(|| {
        jobs.par_iter()
            .map(|(point, seed)| {
                let mut scenario = scenarios[*point].clone();
                scenario.seed = *seed;
                // Every point was validated when it was loaded; only the seed differs.
                let outcome = crate::run::run(scenario).expect("a loaded sweep point is valid");
                let record = RunRecord::from_parts(
                    outcome.summary,
                    serde_json::Value::Null,
                    serde_json::json!({ "held": outcome.verdict.held }),
                );
                bar.inc(1);
                SweepRun {
                    settings: points[*point].clone(),
                    seed: *seed,
                    trace_digest: record.summary.trace_digest.clone(),
                    metrics: RunMetrics::of(&record),
                }
            })
            .collect()
    });
    bar.finish_and_clear();
    let simulated = started.elapsed();
    let all_held = runs.iter().all(|r| r.metrics.exactly_once);
    let result = SweepResult::new(base.name.clone(), parameters, seeds, runs);
    let files = pool
        .install(|| crate::report::sweep::render(&result))
        .map_err(UsageError)?;
    folder.replace(&files)?;
    println!(
        "simulated {} run(s) in {:.2}s wall",
        result.runs.len(),
        simulated.as_secs_f64()
    );
    for b in &result.best {
        println!("  {}", b.sentence);
    }
    if !all_held {
        println!("exactly-once: VIOLATED in some runs (see the table)");
    }
    println!("wrote report {}", dir.join("index.html").display());
    Ok(if all_held { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::grid;

    #[test]
    fn the_grid_is_the_cartesian_product() {
        let g = grid(&[
            ("a".into(), vec!["1".into(), "2".into()]),
            ("b".into(), vec!["x".into(), "y".into(), "z".into()]),
        ]);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[0],
            vec![("a".to_string(), "1".to_string()), ("b".to_string(), "x".to_string())]
        );
        assert_eq!(
            g[5],
            vec![("a".to_string(), "2".to_string()), ("b".to_string(), "z".to_string())]
        );
    }
}
