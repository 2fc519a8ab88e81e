//! Tasks take time to deploy, and checkpoints need running tasks. Flink starts the
//! periodic checkpoint scheduler when the job switches to RUNNING, before its tasks are
//! deployed; a trigger that finds a task not running fails with
//! NOT_ALL_REQUIRED_TASKS_RUNNING before a checkpoint exists (DefaultCheckpointPlanCalculator).
//! Every real Flink 2.3 run in shared/flink-live shows the result: `counts.failed` is 1,
//! `counts.total` is the history plus one, and the history starts at checkpoint 1.

mod common;

use ckptsim::run::Outcome;
use ckptsim::scenario::{Scenario, parse_str};
use ckptsim::sim::time::MILLISECOND;
use ckptsim::stats::checkpoint::CheckpointReport;
use std::path::Path;

fn quickstart_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml")).unwrap()
}

fn with_cluster_line(line: &str) -> Scenario {
    common::parse(&quickstart_text().replace("cluster:\n", &format!("cluster:\n  {line}\n")))
}

use common::run_held as run;

fn report(outcome: &Outcome) -> &CheckpointReport {
    outcome.summary.checkpoints.as_ref().expect("the scenario checkpoints")
}

/// The shape of shared/flink-live's checkpoints.json, in the quickstart: the first
/// trigger (with the job, at 0) meets tasks still deploying (200 ms by default) and fails
/// without an id; checkpoint 1 is the next periodic trigger, one interval later.
#[test]
fn the_first_trigger_fails_before_the_tasks_run() {
    let s = common::parse(&quickstart_text());
    assert_eq!(
        s.cluster.deployment_ns,
        200 * MILLISECOND,
        "the default deployment time"
    );
    let outcome = run(s);
    let r = report(&outcome);
    let failed_in_history = r.checkpoints.iter().filter(|c| c.status == "FAILED").count() as u64;
    assert_eq!(r.triggered, r.checkpoints.len() as u64 + 1, "total = history + 1");
    assert_eq!(r.failed, failed_in_history + 1, "one failure outside the history");
    assert_eq!(r.checkpoints[0].id, 1);
    assert_eq!(r.checkpoints[0].status, "COMPLETED");
    assert_eq!(r.checkpoints[0].trigger_timestamp, 500 * MILLISECOND);
    assert_eq!(r.dropped_triggers.first(), Some(&(0, "NOT_ALL_REQUIRED_TASKS_RUNNING")));
}

/// `cluster.deployment-time` is the knob: with none, the first trigger finds the tasks
/// running and becomes checkpoint 1, and nothing fails outside the history.
#[test]
fn without_deployment_time_the_first_trigger_is_checkpoint_1() {
    let outcome = run(with_cluster_line("deployment-time: 0ms"));
    let r = report(&outcome);
    assert_eq!(r.triggered, r.checkpoints.len() as u64);
    assert_eq!(r.checkpoints[0].id, 1);
    assert_eq!(r.checkpoints[0].trigger_timestamp, 0);
    assert!(r.dropped_triggers.is_empty(), "{:?}", r.dropped_triggers);
}

/// Deployment is also when the sources start reading: a longer deployment delays the
/// first record at the sinks by as much (the log keeps appending meanwhile).
#[test]
fn the_sources_read_once_deployed() {
    let first_record_latency = |deployment: &str| {
        let outcome = run(with_cluster_line(&format!("deployment-time: {deployment}")));
        outcome.summary.latency.max_ns
    };
    let quick = first_record_latency("0ms");
    let slow = first_record_latency("600ms");
    assert!(
        slow >= quick + 500 * MILLISECOND,
        "max latency {slow} ns with 600 ms deployment against {quick} ns without"
    );
}

/// A restart deploys the tasks again before they read their state back: recovery takes
/// the restart delay plus the deployment time plus the restore.
#[test]
fn a_restart_deploys_the_tasks_again() {
    let recovery_time = |deployment: &str| {
        let text = quickstart_text().replace("cluster:\n", &format!("cluster:\n  deployment-time: {deployment}\n"))
            + "faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 300ms}\n";
        let outcome = run(common::parse(&text));
        outcome.summary.recoveries[0].recovery_time_ns().unwrap()
    };
    assert_eq!(recovery_time("500ms") - recovery_time("100ms"), 400 * MILLISECOND);
}

#[test]
fn a_bad_deployment_time_names_the_field() {
    let text = quickstart_text().replace("cluster:\n", "cluster:\n  deployment-time: soon\n");
    let err = parse_str(&text, "q.yaml").unwrap_err().to_string();
    assert!(err.starts_with("q.yaml:14:"), "{err}");
    assert!(err.contains("cluster.deployment-time"), "{err}");
}

#[test]
fn a_bad_timeout_counting_choice_names_the_key() {
    let text = quickstart_text().replace(
        "config:\n",
        "config:\n  ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from: sometimes\n",
    );
    let err = parse_str(&text, "q.yaml").unwrap_err().to_string();
    assert!(
        err.contains("ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from"),
        "{err}"
    );
    assert!(
        err.contains("checkpoint-start") && err.contains("first-barrier"),
        "{err}"
    );
}
