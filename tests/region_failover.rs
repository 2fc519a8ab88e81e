//! Region failover (`jobmanager.execution.failover-strategy`, default `region`).
//!
//! Flink sources the cases follow:
//! - `JobManagerOptions.EXECUTION_FAILOVER_STRATEGY`: key
//!   `jobmanager.execution.failover-strategy`, values `full` and `region`, default
//!   `region`.
//! - `RestartPipelinedRegionFailoverStrategy.getTasksNeedingRestart`: a task failure
//!   restarts the pipelined regions of the failed tasks (and, for batch jobs, their
//!   consumers' regions; a streaming job's exchanges are all pipelined).
//! - `PipelinedRegionComputeUtil` / `LogicalPipelinedRegionComputeUtil`: tasks joined
//!   by a pipelined exchange are in one region, so a forward (pointwise) edge joins
//!   subtask i to subtask i and an all-to-all edge joins everything it connects.
//! - `CheckpointCoordinator`: during a region failover the job stays RUNNING, pending
//!   checkpoints are aborted, and periodic triggers fail with
//!   `NOT_ALL_REQUIRED_TASKS_RUNNING` until the restarted tasks run.

mod common;

use ckptsim::explore;
use ckptsim::fault::Flaw;
use ckptsim::scenario::spec::FailoverStrategy;
use std::process::Command;

fn region_scenario() -> ckptsim::scenario::Scenario {
    common::load("scenarios/region-failover.yaml".as_ref())
}

// Four forward pipelines on two TaskManagers (pipeline i on TaskManager i mod 2): the
// crash of TaskManager 1 restarts pipelines 1 and 3 (8 of 16 subtasks) and reads
// again only their sources' records since the restored checkpoint; `full` restarts
// all 16 and reads again every source's. Both hold exactly-once.
#[test]
fn a_failure_restarts_only_the_failed_pipelines() {
    let region = common::run_held(region_scenario());
    let mut full_scenario = region_scenario();
    full_scenario.failover = FailoverStrategy::Full;
    let full = common::run_held(full_scenario);
    let (r, f) = (&region.summary.recoveries[0], &full.summary.recoveries[0]);
    assert_eq!(r.restarted_subtasks, Some(8));
    assert_eq!(f.restarted_subtasks, None, "a full restart restarts every subtask");
    assert_eq!(r.restored_checkpoint, f.restored_checkpoint);
    // Half the sources rewind: about half the records are read again.
    let (a, b) = (r.reprocessed_records as f64, f.reprocessed_records as f64);
    assert!((0.45..=0.55).contains(&(a / b)), "{a} against {b}");
    // Pipelines 0 and 2 never stopped: their sources read their whole log once.
    let sources: Vec<_> = region.world.subtasks.iter().filter(|s| s.op == 0).collect();
    let offered = 12 * 20_000 / 4;
    for s in &sources {
        let reread = s.metrics.records_in.saturating_sub(offered);
        if s.tm == 0 {
            assert!(reread < 100, "source {} read {reread} records again", s.index);
        } else {
            assert!(reread > 1_000, "source {} read only {reread} records again", s.index);
        }
    }
}

// While the regions restart the job stays RUNNING and its periodic trigger runs on:
// triggers then fail with NOT_ALL_REQUIRED_TASKS_RUNNING; under `full` the scheduler
// stops with the job (RESTARTING) and restarts with it.
#[test]
fn triggers_during_a_region_restart_fail_with_not_all_required_tasks_running() {
    let region = common::run_held(region_scenario());
    let r = &region.summary.recoveries[0];
    let (failed, running) = (r.failed_at_ns, r.running_at_ns.unwrap());
    let dropped = &region.summary.checkpoints.as_ref().unwrap().dropped_triggers;
    let during: Vec<_> = dropped.iter().filter(|(t, _)| (failed..running).contains(t)).collect();
    assert!(!during.is_empty(), "{dropped:?}");
    assert!(
        during
            .iter()
            .all(|(_, reason)| *reason == "NOT_ALL_REQUIRED_TASKS_RUNNING")
    );

    let mut full_scenario = region_scenario();
    full_scenario.failover = FailoverStrategy::Full;
    let full = common::run_held(full_scenario);
    let r = &full.summary.recoveries[0];
    let dropped = &full.summary.checkpoints.as_ref().unwrap().dropped_triggers;
    assert!(
        dropped
            .iter()
            .all(|(t, _)| !(r.failed_at_ns..r.running_at_ns.unwrap()).contains(t)),
        "{dropped:?}"
    );
}

// A job with an all-to-all exchange is one region: `region` and `full` run the same
// (the quickstart, with a TaskManager crash), to the event.
#[test]
fn an_all_to_all_exchange_makes_one_region() {
    let mut s = common::load("scenarios/faults.yaml".as_ref());
    let regions = ckptsim::model::World::new(s.clone()).regions;
    assert!(regions.iter().all(|&r| r == 0), "{regions:?}");
    let region = ckptsim::run::run(s.clone()).unwrap();
    s.failover = FailoverStrategy::Full;
    let full = ckptsim::run::run(s).unwrap();
    assert_eq!(region.summary.trace_digest, full.summary.trace_digest);
    assert!(region.summary.recoveries.iter().all(|r| r.restarted_subtasks.is_none()));
}

// The oracle sees into the region path: sources that do not rewind when their region
// restarts lose records, and the check says so.
#[test]
fn the_oracle_catches_a_region_restart_that_does_not_rewind() {
    let mut s = region_scenario();
    s.flaw = Some(Flaw::SourcesNotRewound);
    let outcome = ckptsim::run::run(s).unwrap();
    assert!(!outcome.verdict.held, "{}", outcome.verdict.headline());
    assert_eq!(outcome.summary.recoveries[0].restarted_subtasks, Some(8));
}

// Exactly-once holds under random fault schedules with region failover, the seeds
// really restarted regions, and no local disk space stays taken by the snapshots the
// restarted subtasks were writing.
#[test]
fn exactly_once_holds_with_region_failover_under_random_faults() {
    let mut scenario = region_scenario();
    scenario.duration_ns = 6_000_000_000;
    let report = explore::explore(&scenario, 0..80, 2);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    let regional = report
        .results
        .iter()
        .filter(|r| r.recoveries > 0)
        .take(30)
        .filter(|r| {
            let run = ckptsim::run::run(explore::seeded(
                &scenario,
                r.seed,
                ckptsim::fault::random_schedule(&scenario, r.seed),
            ))
            .unwrap();
            // The snapshots restarted subtasks were writing left no space taken.
            assert!(
                run.world.taskmanagers.iter().all(|tm| tm.disk.used == 0),
                "seed {}: local disk still in use at the end",
                r.seed
            );
            run.summary.recoveries.iter().any(|x| x.restarted_subtasks.is_some())
        })
        .count();
    assert!(regional > 5, "{regional} seeds restarted a region");
}

// `jobmanager.execution.failover-strategy` takes Flink's two values; anything else is
// bad input, named.
#[test]
fn an_unknown_failover_strategy_is_named() {
    let dir = std::env::temp_dir().join(format!("ckptsim-region-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    let text = std::fs::read_to_string("scenarios/region-failover.yaml")
        .unwrap()
        .replace(
            "  taskmanager.numberOfTaskSlots: 2",
            "  taskmanager.numberOfTaskSlots: 2\n  jobmanager.execution.failover-strategy: restart-all",
        );
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("jobmanager.execution.failover-strategy"), "{err}");
}
