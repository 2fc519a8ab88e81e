//! `ckptsim diff RUN FLINK_DIR`: a simulated run's checkpoints against a Flink job's
//! history, phase by phase and vertex by vertex.

use super::UsageError;
use super::output::write_atomically;
use crate::diff::{DEFAULT_WARM_UP, compare, plot, render, sides};
use crate::import::rest::Responses;
use crate::report::RunRecord;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct DiffArgs {
    /// The simulated run: a scenario file (simulated first), a report folder written
    /// by `ckptsim run --report=DIR`, or its run.json; or a second Flink history, to
    /// compare two Flink runs.
    run: PathBuf,
    /// The Flink job's folder of saved REST responses, as `ckptsim import` reads it.
    flink_dir: PathBuf,
    /// Completed checkpoints skipped at the start of each side (state still fills,
    /// the JVM is cold).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WARM_UP)]
    warm_up: usize,
    /// Prints the comparison as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Writes a plot of the ratios (SVG) to FILE.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// What RUN names: a simulated run, or a second Flink history.
enum Run {
    Simulated(Box<RunRecord>),
    Flink(Box<Responses>),
}

fn load_run(path: &Path) -> Result<Run, UsageError> {
    if path.is_dir() {
        let json = path.join("run.json");
        if json.is_file() {
            return Ok(Run::Simulated(Box::new(RunRecord::read(&json).map_err(UsageError)?)));
        }
        return match Responses::load(path) {
            Ok(r) => Ok(Run::Flink(Box::new(r))),
            Err(e) => Err(UsageError(format!(
                "{}: neither a report folder (no run.json; `ckptsim run --report=DIR` writes one) nor a Flink \
                 history ({e})",
                path.display()
            ))),
        };
    }
    if !path.is_file() {
        return Err(UsageError(format!(
            "{}: no such file or folder (a scenario, a report folder, a run.json or a Flink history)",
            path.display()
        )));
    }
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(Run::Simulated(Box::new(RunRecord::read(path).map_err(UsageError)?)));
    }
    let scenario = crate::scenario::load_file(path).map_err(|e| UsageError(e.to_string()))?;
    eprintln!("simulating {} ...", path.display());
    let outcome = crate::run::run(scenario).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    Ok(Run::Simulated(Box::new(RunRecord::new(&outcome))))
}

pub fn diff(args: DiffArgs) -> Result<ExitCode, UsageError> {
    if let Some(out) = &args.out
        && out.extension().is_some_and(|e| e != "svg")
    {
        return Err(UsageError(format!(
            "--out {}: the plot is written as SVG; name it .svg",
            out.display()
        )));
    }
    let responses = Responses::load(&args.flink_dir).map_err(|e| UsageError(format!("not a Flink history: {e}")))?;
    let flink = sides::flink(&responses, args.warm_up);
    let sim = match load_run(&args.run)? {
        Run::Simulated(record) => sides::simulated(&record, &args.run.display().to_string(), args.warm_up),
        Run::Flink(other) => sides::Side {
            kind: "RUN",
            ..sides::flink(&other, args.warm_up)
        },
    };
    let (sim, pairings) = sides::pair(sim, &flink).map_err(|m| UsageError(m.0))?;
    let comparison = compare(sim, flink, pairings, args.warm_up);
    if args.json {
        println!("{:#}", render::json(&comparison));
    } else {
        print!("{}", render::text(&comparison));
    }
    if let Some(out) = &args.out {
        let svg = plot::svg(&comparison).map_err(UsageError)?;
        write_atomically(out, svg.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
