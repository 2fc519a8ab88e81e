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

use crate::check::reference::ExpectedOutput;
use crate::check::{Verdict, check_exactly_once_with};
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
///
/// The reference output depends on the scenario alone, so it is computed on a second
/// thread while the simulation runs (when the machine has a second core); the run
/// itself stays on the calling thread and its result is the same either way. A
/// caller that runs many scenarios in parallel already keeps every core busy:
/// [`run_on_one_thread`] does all of it on the calling thread.
pub fn run(scenario: Scenario) -> Result<Outcome, ScenarioError> {
    run_with_progress(scenario, |_| {})
}

/// As [`run`], calling `progress` with the virtual time reached now and then.
pub fn run_with_progress(scenario: Scenario, progress: impl FnMut(Nanos)) -> Result<Outcome, ScenarioError> {
    let (world, reference) = simulate_beside_reference(scenario, progress)?;
    Ok(check_with(world, reference.as_ref()))
}

/// As [`run`], entirely on the calling thread.
pub fn run_on_one_thread(scenario: Scenario) -> Result<Outcome, ScenarioError> {
    simulate(scenario, |_| {}).map(check)
}

/// Checks a drained world's output against the reference and summarises it.
pub fn check(world: World) -> Outcome {
    check_with(world, None)
}

/// As [`check`], with the reference computed beforehand when there is one
/// ([`simulate_beside_reference`]); it is used if the run read its sources as far as
/// the reference assumes.
pub fn check_with(world: World, reference: Option<&ExpectedOutput>) -> Outcome {
    let verdict = check_exactly_once_with(&world, reference);
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

/// Validates and simulates on the calling thread while another computes the
/// reference output of the whole input; `None` for the reference on a machine with
/// one core, or if its thread could not start.
pub fn simulate_beside_reference(
    scenario: Scenario,
    progress: impl FnMut(Nanos),
) -> Result<(World, Option<ExpectedOutput>), ScenarioError> {
    scenario.validate()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        let mut world = World::new(scenario);
        world.run(progress);
        return Ok((world, None));
    }
    let input = scenario.clone();
    Ok(std::thread::scope(|scope| {
        let reference = std::thread::Builder::new()
            .name("ckptsim-reference".into())
            .spawn_scoped(scope, || ExpectedOutput::of_whole_input(&input))
            .ok();
        let mut world = World::new(scenario);
        world.run(progress);
        (world, reference.and_then(|r| r.join().ok()))
    }))
}
