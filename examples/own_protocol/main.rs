//! A checkpoint protocol of your own, checked by ckptsim's world, explorer and oracle.
//!
//!     cargo run --release --example own_protocol [SCENARIO] [SEEDS]
//!
//! Runs the scenario (scenarios/quickstart.yaml by default) under `SimpleBarriers`
//! (see barriers.rs) on SEEDS random fault schedules (500 by default), once with
//! blocking alignment and once eager, then shrinks the eager variant's first violation
//! to the fewest faults that still break exactly-once and replays it.
//!
//! Exit code 0 when the oracle told the two apart (the blocking protocol held on every
//! seed, the eager one was caught), 1 otherwise, 2 when the scenario cannot be read.

mod barriers;

use std::path::PathBuf;
use std::process::ExitCode;

use barriers::SimpleBarriers;
use ckptsim::explore::report::describe_fault;
use ckptsim::explore::{self, ExploreReport};
use ckptsim::scenario::{self, Scenario};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml"));
    let seeds: u64 = match args.next().map(|s| s.parse()) {
        None => 500,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("error: SEEDS must be a positive whole number");
            return ExitCode::from(2);
        }
    };
    let job = match scenario::load_file(&path) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let coordinator = job.checkpointing.coordinator_config();

    let blocking = job.clone().with_protocol(SimpleBarriers::blocking(coordinator.clone()));
    let held = explore::explore(&blocking, 0..seeds, jobs);
    report("simple-barriers (blocking)", &held, seeds);

    let eager = job.with_protocol(SimpleBarriers::eager(coordinator));
    let caught = explore::explore(&eager, 0..seeds, jobs);
    report("simple-barriers-eager", &caught, seeds);

    let Some(&seed) = caught.violations.first() else {
        println!("the eager protocol was not caught in {seeds} seeds");
        return ExitCode::FAILURE;
    };
    replay_shrunk(&eager, seed);
    if held.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn report(name: &str, report: &ExploreReport, seeds: u64) {
    let violations = report.violations.len();
    let first = report
        .violations
        .first()
        .map_or(String::new(), |s| format!(", first at seed {s}"));
    println!(
        "{name}: exactly-once held in {} of {seeds} seeds{first}",
        seeds as usize - violations
    );
}

/// Shrinks the schedule of a failing seed and replays the smaller one.
fn replay_shrunk(scenario: &Scenario, seed: u64) {
    let faults = explore::shrink_violation(scenario, seed, 200);
    println!("seed {seed} shrunk to {} fault(s):", faults.len());
    if faults.is_empty() {
        println!("  (none: the protocol breaks exactly-once without any fault)");
    }
    for fault in &faults {
        println!("  {}", describe_fault(fault, scenario));
    }
    let replay = explore::seeded(scenario, seed, faults);
    match ckptsim::run::run(replay) {
        Ok(outcome) => println!(
            "replayed under {}: {}",
            scenario.protocol().name(),
            outcome.verdict.headline()
        ),
        Err(e) => println!("replay refused: {e}"),
    }
}
