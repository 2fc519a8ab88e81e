//! Running a scenario: the entry point for the CLI and for a user's own tests.
//!
//! ```no_run
//! let scenario = ckptsim::scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
//! let outcome = ckptsim::run::run(scenario).unwrap();
//! assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
//! println!("digest {}", outcome.summary.trace_digest);
//! ```
//!
//! A scenario changed in code is checked by the same rules as a scenario file, so a
//! value the CLI would reject is an error naming the field, not a panic:
//!
//! ```
//! let mut scenario = ckptsim::scenario::parse_str(
//!     include_str!("../scenarios/quickstart.yaml"),
//!     "quickstart.yaml",
//! )
//! .unwrap();
//! scenario.operators[1].parallelism = 0;
//! let error = ckptsim::run::run(scenario).err().unwrap();
//! assert_eq!(error.path, "job.operators[1].parallelism");
//! ```

use crate::check::{Verdict, check_exactly_once};
use crate::model::World;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::Nanos;
use crate::stats::run::RunSummary;

/// A finished run: the drained world, its summary, and the exactly-once verdict.
pub struct Outcome {
    pub world: World,
    pub summary: RunSummary,
    pub verdict: Verdict,
}

/// Validates `scenario`, simulates it until the job drains and checks its output.
pub fn run(scenario: Scenario) -> Result<Outcome, ScenarioError> {
    run_with_progress(scenario, |_| {})
}

/// As [`run`], calling `progress` with the virtual time reached now and then.
pub fn run_with_progress(scenario: Scenario, progress: impl FnMut(Nanos)) -> Result<Outcome, ScenarioError> {
    simulate(scenario, progress).map(check)
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

/// Validates and simulates without checking: for benchmarks and callers that check
/// themselves.
pub fn simulate(scenario: Scenario, progress: impl FnMut(Nanos)) -> Result<World, ScenarioError> {
    scenario.validate()?;
    let mut world = World::new(scenario);
    world.run(progress);
    Ok(world)
}
