//! The fault-schedule explorer: one random fault schedule per seed, each run
//! checked for exactly-once, seeds in parallel, and a failing schedule shrunk to a
//! small one that still fails.
//!
//! ```no_run
//! let scenario = ckptsim::scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
//! let report = ckptsim::explore::explore(&scenario, 0..500, 2);
//! for &seed in &report.violations {
//!     let minimal = ckptsim::explore::shrink_violation(&scenario, seed, 200);
//!     println!("seed {seed} fails with {minimal:?}");
//! }
//! ```
//!
//! Every result but the wall time is a function of (scenario, seed) alone: each run
//! is single-threaded and deterministic, and results are gathered in seed order, so
//! the thread count and the sharding never change them.

pub mod report;
pub mod shard;
mod shrink;

pub use shard::{Header, Shard, parse_seeds, parse_shard};
pub use shrink::shrink_schedule;

use crate::fault::{Fault, random_schedule};
use crate::scenario::Scenario;
use crate::sim::TraceDigest;
use crate::stats::faults::CheckpointPhase;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Instant;

/// What one seed's run gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    /// Whether exactly-once held.
    pub held: bool,
    /// The verdict in one line.
    pub headline: String,
    /// The run's trace digest.
    pub digest: String,
    /// How many faults the seed's schedule has, and their kinds in time order.
    pub faults: usize,
    pub fault_kinds: Vec<String>,
    /// How many times the job recovered (or tried to).
    pub recoveries: usize,
    /// Whether the restart strategy gave up: the job failed for good.
    pub job_failed: bool,
    /// The checkpoint and recovery phases its faults struck in the middle of
    /// (`alignment`, `sync`, `async-upload`, `finalization`, `restore`), each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<String>,
    /// For a violation the explorer shrank: the smaller schedule that still fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<Shrunk>,
    /// Wall time of this run alone. The one value that differs between machines and
    /// runs: it is last in a JSON line, and left out of every comparison.
    pub wall_ms: f64,
}

impl SeedResult {
    /// The result without its wall time, for comparing explorations.
    pub fn deterministic(&self) -> SeedResult {
        SeedResult {
            wall_ms: 0.0,
            ..self.clone()
        }
    }
}

/// A shrunk failing schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shrunk {
    pub faults: Vec<Fault>,
    /// How many runs the shrinking took.
    pub runs: usize,
}

/// The results of a range of seeds.
#[derive(Clone, Debug, Default)]
pub struct ExploreReport {
    /// One result per seed, in seed order.
    pub results: Vec<SeedResult>,
    /// The seeds where exactly-once did not hold, in order.
    pub violations: Vec<u64>,
}

/// The scenario a seed runs: the seed, and the seed's random fault schedule in
/// place of the scenario's own faults.
pub fn seeded(scenario: &Scenario, seed: u64, faults: Vec<Fault>) -> Scenario {
    let mut s = scenario.clone();
    s.seed = seed;
    s.faults = faults;
    s
}

/// Runs one seed with its random fault schedule.
pub fn run_seed(scenario: &Scenario, seed: u64) -> SeedResult {
    let started = Instant::now();
    let faults = random_schedule(scenario, seed);
    let fault_kinds = faults.iter().map(|f| f.kind.name().to_string()).collect();
    let count = faults.len();
    // Random faults name only TaskManagers and subtasks that exist.
    let outcome = crate::run::run_on_one_thread(seeded(scenario, seed, faults)).expect("a random schedule is valid");
    SeedResult {
        seed,
        held: outcome.verdict.held,
        headline: outcome.verdict.headline(),
        digest: outcome.summary.trace_digest.clone(),
        faults: count,
        fault_kinds,
        recoveries: outcome.summary.recoveries.len(),
        phases: phases_struck(&outcome.summary.faults),
        job_failed: outcome.summary.job_failed,
        shrunk: None,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
    }
}

/// The phases any of `faults` struck, in [`CheckpointPhase`] order.
fn phases_struck(faults: &[crate::stats::faults::FaultRecord]) -> Vec<String> {
    CheckpointPhase::ALL
        .iter()
        .map(|p| p.name())
        .filter(|name| faults.iter().any(|f| f.phases.iter().any(|p| p == name)))
        .map(str::to_string)
        .collect()
}

/// Runs `jobs` threads of work on a pool of their own, so that the caller's
/// `--jobs` holds whatever rayon's global pool is. Should the threads not start,
/// the work runs on the calling thread: slower, same results.
fn on_pool<T: Send>(jobs: usize, work: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Explores `seeds` on `jobs` threads, without progress output.
pub fn explore(scenario: &Scenario, seeds: Range<u64>, jobs: usize) -> ExploreReport {
    explore_seeds(scenario, &seeds.collect::<Vec<_>>(), jobs, |_| {})
}

/// Explores the given seeds on `jobs` threads, calling `done` as each finishes (in
/// whatever order they finish; the report is in the order given).
pub fn explore_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    done: impl Fn(&SeedResult) + Sync,
) -> ExploreReport {
    let results: Vec<SeedResult> = on_pool(jobs, || {
        // One seed per task: a run takes milliseconds, far more than rayon's
        // scheduling, and seeds differ widely in cost (recoveries replay input).
        seeds
            .par_iter()
            .with_max_len(1)
            .map(|&seed| {
                let result = run_seed(scenario, seed);
                done(&result);
                result
            })
            .collect()
    });
    let violations = results.iter().filter(|r| !r.held).map(|r| r.seed).collect();
    ExploreReport { results, violations }
}

/// Whether `seed` with exactly `faults` violates exactly-once.
pub fn fails_with(scenario: &Scenario, seed: u64, faults: &[Fault]) -> bool {
    !crate::run::run_on_one_thread(seeded(scenario, seed, faults.to_vec()))
        .expect("a subset of a valid schedule is valid")
        .verdict
        .held
}

/// Shrinks a failing schedule of `seed` with `still_fails` as the judge, in at
/// most `max_runs` calls of it. The scenario and seed stay fixed: the predicate
/// usually closes over them, and they are taken here so that a caller states them.
pub fn shrink(
    scenario: &Scenario,
    seed: u64,
    faults: Vec<Fault>,
    still_fails: impl FnMut(&[Fault]) -> bool,
    max_runs: usize,
) -> Vec<Fault> {
    let _ = (scenario, seed);
    shrink_schedule(faults, still_fails, max_runs).0
}

/// Shrinks the random schedule of a failing `seed` with real runs as the judge.
pub fn shrink_violation(scenario: &Scenario, seed: u64, max_runs: usize) -> Vec<Fault> {
    shrink_violation_counted(scenario, seed, max_runs).faults
}

fn shrink_violation_counted(scenario: &Scenario, seed: u64, max_runs: usize) -> Shrunk {
    let faults = random_schedule(scenario, seed);
    let (faults, runs) = shrink_schedule(faults, |f| fails_with(scenario, seed, f), max_runs);
    Shrunk { faults, runs }
}

/// Shrinks every violation among `results` (in parallel on `jobs` threads) and
/// records the smaller schedule in its result; `max_runs == 0` shrinks nothing.
/// `done` is called with each seed as its shrinking ends.
pub fn shrink_all(
    scenario: &Scenario,
    results: &mut [SeedResult],
    jobs: usize,
    max_runs: usize,
    done: impl Fn(u64) + Sync,
) {
    if max_runs == 0 {
        return;
    }
    on_pool(jobs, || {
        results
            .par_iter_mut()
            .with_max_len(1)
            .filter(|r| !r.held)
            .for_each(|r| {
                r.shrunk = Some(shrink_violation_counted(scenario, r.seed, max_runs));
                done(r.seed);
            })
    });
}

/// A fingerprint of a validated scenario (its own seed aside, since the explorer
/// replaces it), so that results of different scenarios are never merged.
pub fn scenario_digest(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    s.seed = 0;
    let json = serde_json::to_vec(&s).expect("a scenario serialises");
    let mut digest = TraceDigest::new();
    for chunk in json.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        digest.word(u64::from_le_bytes(word));
    }
    digest.word(json.len() as u64);
    digest.hex()
}

/// A fingerprint of a whole exploration: equal when every seed gave the same run
/// and verdict, so two machines can compare explorations by one line.
pub fn results_digest(results: &[SeedResult]) -> String {
    let mut digest = TraceDigest::new();
    for r in results {
        digest.word(r.seed);
        digest.word(u64::from_str_radix(&r.digest, 16).unwrap_or(u64::MAX));
        digest.word(r.held as u64);
    }
    digest.hex()
}
