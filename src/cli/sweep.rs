//! `ckptsim sweep SCENARIO --set KEY=V1,V2,... [--set ...] [--seeds N] [--jobs J]
//! [--objective min:METRIC --constraint 'METRIC<=LIMIT' --failure-rate 1/h]`:
//! runs the grid (cartesian product of the values, times seeds) in parallel — each
//! run single-threaded and deterministic, parallel only across runs — and writes a
//! report comparing the grid points, with one recommended setting when given an
//! objective. [`Grid`] is shared with `ckptsim compare`.

use super::UsageError;
use super::report::default_dir;
use super::report_folder::ReportFolder;
use crate::report::RunRecord;
use crate::report::analysis::RunMetrics;
use crate::report::sweep::{Kind, ProtocolMetrics, SweepResult, SweepRun};
use crate::report::sweep_goal::Goal;
use crate::scenario::Scenario;
use crate::scenario::overrides::{load_with_overrides, parse_set};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
    /// Recommend the one setting that minimises (min:) or maximises (max:) a sweep
    /// metric, e.g. min:records_replayed_per_failure.
    #[arg(long, value_name = "min:METRIC|max:METRIC")]
    objective: Option<String>,
    /// A limit the recommended setting must meet: METRIC<=LIMIT or METRIC>=LIMIT,
    /// the limit with a unit (200ms, 5%, 64mb) or in the metric's. Repeat for more.
    #[arg(long = "constraint", value_name = "METRIC<=LIMIT", requires = "objective")]
    constraints: Vec<String>,
    /// Failures per hour, minute or second (1/h, 0.5/min, 2/s): prints the
    /// Young/Daly interval sqrt(2·C/λ) beside the recommendation.
    #[arg(long, value_name = "N/h", requires = "objective")]
    failure_rate: Option<String>,
    #[command(flatten)]
    grid: GridOptions,
}

/// How `sweep` and `compare` run their grid and where the report goes.
#[derive(Args)]
pub struct GridOptions {
    /// Seeds per grid point: the scenario's seed and the next N-1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub seeds: u64,
    /// Runs at once; the number of cores when omitted.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Where to write the report; reports/<name>-sweep/ or reports/<name>-compare/
    /// when omitted.
    #[arg(long)]
    pub out: Option<PathBuf>,
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

/// Splits every `--set KEY=V1,V2,...` into its key and values; a key given twice is
/// an error.
pub(super) fn parameters(sets: &[String]) -> Result<Vec<(String, Vec<String>)>, UsageError> {
    let mut parameters: Vec<(String, Vec<String>)> = Vec::new();
    for arg in sets {
        let (key, values) = parse_set(arg).map_err(|e| UsageError(e.to_string()))?;
        if parameters.iter().any(|(k, _)| *k == key) {
            return Err(UsageError(format!(
                "--set {key}: given twice; list its values once, comma-separated"
            )));
        }
        parameters.push((key, values));
    }
    Ok(parameters)
}

/// A grid ready to run: every point's scenario, loaded and validated.
pub(super) struct Grid {
    pub kind: Kind,
    pub name: String,
    pub parameters: Vec<(String, Vec<String>)>,
    pub points: Vec<Vec<(String, String)>>,
    pub scenarios: Vec<Scenario>,
    pub seeds: Vec<u64>,
    pub jobs: Option<u64>,
    pub out: Option<PathBuf>,
    /// What to recommend a setting for (`sweep --objective`).
    pub goal: Option<Goal>,
}

impl Grid {
    /// Loads every point of `parameters` from `path`; `refused` words a point's
    /// validation error.
    pub fn load(
        kind: Kind,
        path: &Path,
        parameters: Vec<(String, Vec<String>)>,
        options: GridOptions,
        refused: impl Fn(&[(String, String)], String) -> String,
    ) -> Result<Self, UsageError> {
        // The file first, so its own errors point at its lines.
        let base = crate::scenario::load_file(path).map_err(|e| UsageError(e.to_string()))?;
        // Each value on its own, so an error names the one key and value at fault.
        for (key, values) in &parameters {
            for value in values {
                let one = [(key.clone(), value.clone())];
                load_with_overrides(path, &one).map_err(|e| UsageError(refused(&one, e)))?;
            }
        }
        let points = grid(&parameters);
        let mut scenarios = Vec::with_capacity(points.len());
        for point in &points {
            scenarios.push(load_with_overrides(path, point).map_err(|e| UsageError(refused(point, e)))?);
        }
        Ok(Grid {
            kind,
            name: base.name.clone(),
            parameters,
            points,
            scenarios,
            seeds: (0..options.seeds).map(|i| base.seed.wrapping_add(i)).collect(),
            jobs: options.jobs,
            out: options.out,
            goal: None,
        })
    }

    /// Runs every point under every seed in parallel, writes the report and says
    /// where: exit 1 when a run violated exactly-once.
    pub fn run(self) -> Result<ExitCode, UsageError> {
        let Grid {
            kind,
            name,
            parameters,
            points,
            scenarios,
            seeds,
            jobs,
            out,
            goal,
        } = self;
        let command = kind.name();
        let runs_todo: Vec<(usize, u64)> = (0..points.len())
            .flat_map(|p| seeds.iter().map(move |s| (p, *s)))
            .collect();
        let dir = out.unwrap_or_else(|| default_dir(&name, &format!("-{command}")));
        let ours: fn(&str) -> bool = match kind {
            Kind::Sweep => crate::report::sweep::is_report_file,
            Kind::Compare => crate::report::sweep::is_compare_file,
        };
        let folder = ReportFolder::prepare(&dir, ours)?;
        let threads = jobs
            .map(|j| j as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        println!(
            "ckptsim {command} `{}`: {} grid point(s) × {} seed(s) = {} run(s) on {} thread(s)",
            name,
            points.len(),
            seeds.len(),
            runs_todo.len(),
            threads
        );

        let bar = ProgressBar::with_draw_target(Some(runs_todo.len() as u64), ProgressDrawTarget::hidden());
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let verb = match kind {
            Kind::Sweep => "sweeping",
            Kind::Compare => "comparing",
        };
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {verb} [{{bar:24}}] {{pos}}/{{len}} runs, eta {{eta}}"
            ))
            .expect("static template")
            .progress_chars("=> "),
        );
        let started = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| UsageError(format!("cannot start {threads} threads: {e}")))?;
        let runs: Vec<SweepRun> = pool.install(|| {
            runs_todo
                .par_iter()
                .map(|(point, seed)| {
                    let mut scenario = scenarios[*point].clone();
                    scenario.seed = *seed;
                    // Every point was validated when it was loaded; only the seed differs.
                    let outcome = crate::run::run_on_one_thread(scenario).expect("a loaded grid point is valid");
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
                        protocol: (kind == Kind::Compare).then(|| ProtocolMetrics::of(&record.summary)),
                    }
                })
                .collect()
        });
        bar.finish_and_clear();
        let simulated = started.elapsed();
        let all_held = runs.iter().all(|r| r.metrics.exactly_once);
        let result = SweepResult::new(kind, name, parameters, seeds, runs);
        let recommendation = goal
            .as_ref()
            .map(|g| crate::report::sweep_objective::recommend(&result, g));
        let files = pool
            .install(|| crate::report::sweep::render(&result, recommendation.as_ref()))
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
        for s in recommendation.iter().flat_map(|r| &r.sentences) {
            println!("{s}");
        }
        if !all_held {
            println!("exactly-once: VIOLATED in some runs (see the table)");
        }
        println!("wrote report {}", dir.join("index.html").display());
        Ok(if all_held { ExitCode::SUCCESS } else { ExitCode::from(1) })
    }
}

pub fn sweep(args: SweepArgs) -> Result<ExitCode, UsageError> {
    let parameters = parameters(&args.set)?;
    // The goal first: a typo in it is an error before the grid runs, not after.
    let goal = args
        .objective
        .as_deref()
        .map(|o| Goal::parse(o, &args.constraints, args.failure_rate.as_deref()))
        .transpose()
        .map_err(UsageError)?;
    let mut grid = Grid::load(Kind::Sweep, &args.scenario, parameters, args.grid, |_, e| e)?;
    grid.goal = goal;
    grid.run()
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
