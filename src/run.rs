//! Running a scenario: the entry point for the CLI and for a user's own tests.
//!
//! ```no_run
//! let scenario = ckptsim::scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
//! let outcome = ckptsim::run::run(scenario);
//! assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
//! println!("digest {}", outcome.summary.trace_digest);
//! ```

use crate::check::{Verdict, check_exactly_once};
use crate::model::World;
use crate::scenario::Scenario;
use crate::sim::Nanos;
use crate::stats::run::RunSummary;

/// A finished run: the drained world, its summary, and the exactly-once verdict.
pub struct Outcome {
    pub world: World,
    pub summary: RunSummary,
    pub verdict: Verdict,
}

/// Simulates `scenario` until the job drains and checks its output.
pub fn run(scenario: Scenario) -> Outcome {
    run_with_progress(scenario, |_| {})
}

/// As [`run`], calling `progress` with the virtual time reached now and then.
pub fn run_with_progress(scenario: Scenario, progress: impl FnMut(Nanos)) -> Outcome {
    check(simulate(scenario, progress))
}

/// Checks a drained world's output against the reference and summarises it.
pub fn check(world: World) -> Outcome {
    let verdict = check_exactly_once(&world);
    let summary = RunSummary::from_world(&world);
    Outcome {
        world,
        summary,
        verdict,
    }
}

/// Simulates without checking: for benchmarks and callers that check themselves.
pub fn simulate(scenario: Scenario, progress: impl FnMut(Nanos)) -> World {
    let mut world = World::new(scenario);
    world.run(progress);
    world
}
