//! Ending a job as `flink cancel` and `flink stop` do, and what then stays in
//! checkpoint storage.
//!
//! Flink's behaviour, from its documentation ("Checkpoints → Retained Checkpoints",
//! "Savepoints → Stopping a job with a savepoint") and `CheckpointProperties`:
//! - `RETAIN_ON_CANCELLATION` keeps the latest completed checkpoint when the job is
//!   cancelled; `DELETE_ON_CANCELLATION` and `NO_EXTERNALIZED_CHECKPOINTS` delete it.
//! - A job that FINISHED keeps no checkpoint, whatever the retention.
//! - Stop-with-savepoint takes a savepoint, commits the sinks' transactions up to it
//!   and ends the job FINISHED; the savepoint belongs to the user and stays.
//! - A stop requested while the job's tasks are not all running fails with
//!   `NOT_ALL_REQUIRED_TASKS_RUNNING` and the job keeps running.

mod common;

use ckptsim::fault::Flaw;
use ckptsim::model::World;
use ckptsim::model::world::JobStatus;
use ckptsim::run::{Outcome, run};
use ckptsim::scenario::Scenario;

fn scenario(file: &str) -> Scenario {
    common::load(format!("scenarios/{file}").as_ref())
}

fn cancel_with(retention: &str) -> Scenario {
    let text = std::fs::read_to_string("scenarios/cancel-retain.yaml").unwrap();
    common::parse(&text.replace("RETAIN_ON_CANCELLATION", retention))
}

/// The checkpoints whose files storage still holds, and the bytes it holds.
fn storage(world: &World) -> (Vec<u64>, u64) {
    let files = &world.ckpt.as_ref().expect("checkpointing").files;
    (files.checkpoints.keys().copied().collect(), files.registry.bytes())
}

fn completed_checkpoints(outcome: &Outcome) -> Vec<u64> {
    let report = outcome.summary.checkpoints.as_ref().expect("checkpoints");
    report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED" && !c.is_savepoint)
        .map(|c| c.id)
        .collect()
}

#[test]
fn cancel_with_retain_on_cancellation_keeps_the_latest_checkpoint() {
    let outcome = run(scenario("cancel-retain.yaml")).unwrap();
    let world = &outcome.world;
    assert_eq!(world.recovery.status, JobStatus::Canceled);
    assert_eq!(world.ended_at, Some(1_300_000_000), "a cancel ends the job at once");
    let latest = *completed_checkpoints(&outcome).last().expect("a completed checkpoint");
    let (kept, bytes) = storage(world);
    assert_eq!(kept, vec![latest], "only the latest completed checkpoint is retained");
    assert!(bytes > 0);
}

#[test]
fn cancel_with_delete_on_cancellation_leaves_storage_empty() {
    for retention in ["DELETE_ON_CANCELLATION", "NO_EXTERNALIZED_CHECKPOINTS"] {
        let world = run(cancel_with(retention)).unwrap().world;
        assert_eq!(world.recovery.status, JobStatus::Canceled);
        assert_eq!(storage(&world), (vec![], 0), "{retention}");
    }
}

#[test]
fn a_cancelled_job_loses_only_uncommitted_output() {
    let outcome = run(scenario("cancel-retain.yaml")).unwrap();
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    assert_eq!(outcome.verdict.duplicated_keys, 0);
    let stop = outcome.summary.stop.expect("stop summary");
    assert_eq!(stop.kind, "cancel");
    assert_eq!(stop.ended_at_ns, Some(1_300_000_000));
    assert_eq!(stop.savepoint, None);
}

#[test]
fn stop_with_savepoint_commits_exactly_the_input_the_savepoint_covers() {
    let outcome = run(scenario("stop-with-savepoint.yaml")).unwrap();
    let world = &outcome.world;
    assert_eq!(world.recovery.status, JobStatus::Finished);
    let savepoint = world.stop.savepoint.expect("the stop's savepoint completed");
    let covered: u64 = world
        .stop_savepoint_offsets()
        .expect("savepoint offsets")
        .iter()
        .map(|&(_, _, offset)| offset)
        .sum();
    // The job reads 5000 records/s; the savepoint was triggered at 1.3 s.
    assert!(
        (6400..=6600).contains(&covered),
        "the savepoint covers {covered} records"
    );
    let committed: u64 = world.sink_outputs().iter().map(|(_, out)| out.records).sum();
    assert_eq!(committed, covered, "the sinks commit exactly the savepoint's input");
    // The checkpoints are gone with the finished job; the savepoint stays.
    let (kept, bytes) = storage(world);
    assert_eq!(kept, vec![savepoint]);
    assert!(bytes > 0);
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    let stop = outcome.summary.stop.clone().expect("stop summary");
    assert_eq!(
        (stop.kind.as_str(), stop.savepoint),
        ("stop-with-savepoint", Some(savepoint))
    );
    assert!(stop.ended_at_ns.unwrap() > stop.requested_at_ns);
}

/// The savepoint's offsets are the reference, not what the sources had read: a
/// snapshot taken before alignment completes makes the sinks commit a different
/// input from the one the savepoint records, and the sinks' check says so without
/// any fault (without the stop, the same flaw leaves the sinks' output whole and only
/// the consistent-cut check sees it).
#[test]
fn the_oracle_catches_a_savepoint_that_is_not_a_consistent_cut() {
    let with_flaw = |file: &str| {
        let mut s = scenario(file);
        s.flaw = Some(Flaw::SnapshotBeforeAlignment);
        run(s).unwrap().verdict
    };
    let running = with_flaw("quickstart.yaml");
    assert_eq!(running.anomaly_count, 0, "{}", running.headline());
    let stopped = with_flaw("stop-with-savepoint.yaml");
    assert!(!stopped.held && stopped.anomaly_count > 0, "{}", stopped.headline());
}

#[test]
fn a_stop_during_a_restart_fails_and_the_job_keeps_running() {
    let text = std::fs::read_to_string("scenarios/stop-with-savepoint.yaml").unwrap();
    let text = text.replace(
        "stop:\n",
        "faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 500ms}\n\nstop:\n",
    );
    let outcome = run(common::parse(&text)).unwrap();
    let world = &outcome.world;
    assert_eq!(world.stop.savepoint, None);
    let failure = world.stop.failure.clone().expect("the stop failed");
    assert!(failure.starts_with("NOT_ALL_REQUIRED_TASKS_RUNNING"), "{failure}");
    assert_ne!(world.recovery.status, JobStatus::Finished);
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    assert_eq!(outcome.summary.input_duration_ns, 2_000_000_000);
}

#[test]
fn a_stop_outside_the_run_or_without_checkpoints_is_refused() {
    let text = std::fs::read_to_string("scenarios/stop-with-savepoint.yaml").unwrap();
    let err = |text: &str| {
        ckptsim::scenario::parse_str(text, "stop.yaml")
            .expect_err("refused")
            .to_string()
    };
    let late = err(&text.replace("at: 1300ms", "at: 3s"));
    assert!(late.contains("stop.at") && late.contains("duration"), "{late}");
    let no_checkpoints = err(&text.replace("  execution.checkpointing.interval: 500ms\n", ""));
    assert!(no_checkpoints.contains("stop.kind"), "{no_checkpoints}");
    let unknown = err(&text.replace("kind: stop-with-savepoint", "kind: suspend"));
    assert!(
        unknown.contains("stop-with-savepoint") || unknown.contains("kind"),
        "{unknown}"
    );
}
