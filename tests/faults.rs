//! Faults and recovery through the library API: each fault kind does what the
//! scenario reference says, the job restores the latest completed checkpoint, and
//! exactly-once holds.

use ckptsim::fault::{Fault, FaultKind};
use ckptsim::run::{Outcome, run};
use ckptsim::scenario::{self, Scenario};
use ckptsim::sim::time::{MILLISECOND, SECOND};

const QUICKSTART: &str = include_str!("../scenarios/quickstart.yaml");

fn quickstart_with(extra_yaml: &str) -> Scenario {
    scenario::parse_str(&format!("{QUICKSTART}\n{extra_yaml}"), "test.yaml").unwrap()
}

fn fault(at_ms: u64, kind: FaultKind) -> Fault {
    Fault {
        at_ns: at_ms * MILLISECOND,
        kind,
    }
}

fn held(outcome: &Outcome) {
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
}

#[test]
fn a_taskmanager_crash_restores_the_latest_completed_checkpoint() {
    // Checkpoints every 500 ms complete at about 0.54 s and 1.04 s; the crash at
    // 1.2 s restores checkpoint 2 once the TaskManager is back and the restart
    // strategy's delay has passed (exponential-delay: 1 s first), and the tasks are
    // deployed again (the default deployment time, 200 ms).
    let s =
        quickstart_with("faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 300ms}\n");
    let outcome = run(s).unwrap();
    held(&outcome);
    let recoveries = &outcome.summary.recoveries;
    assert_eq!(recoveries.len(), 1);
    let r = &recoveries[0];
    assert_eq!(r.failed_at_ns, 1200 * MILLISECOND);
    assert_eq!(r.restored_checkpoint, Some(2));
    let took = r.recovery_time_ns().unwrap();
    assert!(
        (SECOND + 200 * MILLISECOND..SECOND + 300 * MILLISECOND).contains(&took),
        "recovery took {took} ns"
    );
    // Records between checkpoint 2's offsets (about 1.0 s) and the crash are read again.
    assert!(
        (500..1_500).contains(&r.reprocessed_records),
        "{}",
        r.reprocessed_records
    );
    // (A batch read but not yet emitted at the crash counts as read, not as processed.)
    let processed_again = outcome.summary.source_records - 10_000;
    assert!((r.reprocessed_records - 10..=r.reprocessed_records).contains(&processed_again));
    // The offered load counts each appended record once: 10,000 records in 2 s.
    assert_eq!(outcome.summary.offered_rate_per_s, 5_000.0);
    assert_eq!(outcome.summary.faults.len(), 1);
    assert!(outcome.summary.faults[0].fails_tasks);
}

#[test]
fn with_restart_strategy_none_the_job_fails_without_duplicates() {
    let s =
        quickstart_with("faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 0, restart-after: 100ms}\n");
    let mut s = s;
    s.restart_strategy = ckptsim::fault::RestartStrategy::None;
    let outcome = run(s).unwrap();
    assert!(outcome.summary.job_failed);
    assert!(outcome.verdict.job_failed);
    // Committed output stops at checkpoint 2: short of the reference, with no duplicate.
    held(&outcome);
    assert!(outcome.verdict.missing_keys_after_job_failure > 0 || outcome.verdict.sinks[0].records < 10_000);
    assert!(outcome.verdict.sinks[0].records < 10_000);
    assert_eq!(outcome.summary.recoveries[0].running_at_ns, None);
}

#[test]
fn fixed_delay_restarts_after_its_delay_until_its_attempts_run_out() {
    let mut s = quickstart_with(
        "faults:\n  - {at: 700ms, kind: connection-loss, between: [0, 1]}\n  - {at: 1300ms, kind: connection-loss, between: [0, 1]}\n",
    );
    s.restart_strategy = ckptsim::fault::RestartStrategy::FixedDelay {
        attempts: 1,
        delay_ns: 50 * MILLISECOND,
    };
    let outcome = run(s).unwrap();
    let r = &outcome.summary.recoveries;
    assert_eq!(r.len(), 2);
    // The first restart waits 50 ms, deploys the tasks (200 ms) and restores checkpoint 1.
    assert_eq!(r[0].restored_checkpoint, Some(1));
    let took = r[0].recovery_time_ns().unwrap();
    assert!((250 * MILLISECOND..280 * MILLISECOND).contains(&took), "{took}");
    // The second failure exceeds the single attempt: the job fails.
    assert!(outcome.summary.job_failed);
    held(&outcome);
}

#[test]
fn a_storage_outage_fails_checkpoints_and_tolerated_failures_do_not_restart() {
    let mut s = quickstart_with("faults:\n  - {at: 900ms, kind: storage-outage, duration: 500ms}\n");
    s.checkpointing.tolerable_failed = 5;
    let outcome = run(s).unwrap();
    held(&outcome);
    let ck = outcome.summary.checkpoints.as_ref().unwrap();
    let in_outage = |t: u64| (900 * MILLISECOND..1400 * MILLISECOND).contains(&t);
    let failed: Vec<_> = ck
        .checkpoints
        .iter()
        .filter(|c| c.status == "FAILED" && in_outage(c.trigger_timestamp))
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|c| c.failure_message == Some("IO_EXCEPTION")),
        "{failed:?}"
    );
    assert!(outcome.summary.recoveries.is_empty());
}

#[test]
fn a_hanging_storage_outage_makes_checkpoints_expire() {
    let mut s = quickstart_with("faults:\n  - {at: 900ms, kind: storage-outage, duration: 800ms, hang: true}\n");
    s.checkpointing.tolerable_failed = 5;
    s.checkpointing.timeout_ns = 300 * MILLISECOND;
    let outcome = run(s).unwrap();
    held(&outcome);
    let ck = outcome.summary.checkpoints.as_ref().unwrap();
    assert!(
        ck.checkpoints
            .iter()
            .any(|c| c.failure_message == Some("CHECKPOINT_EXPIRED")),
        "{:?}",
        ck.checkpoints
    );
}

#[test]
fn exceeding_tolerable_failed_checkpoints_fails_over() {
    // Flink's default tolerates no failed checkpoint: the first failure restarts the job.
    let outcome = run(quickstart_with(
        "faults:\n  - {at: 900ms, kind: disk-full, taskmanager: 0, duration: 200ms}\n",
    ))
    .unwrap();
    held(&outcome);
    let r = &outcome.summary.recoveries;
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].cause.contains("tolerable-failed-checkpoints"), "{}", r[0].cause);
    assert_eq!(r[0].restored_checkpoint, Some(1));
}

#[test]
fn a_jobmanager_failover_restores_from_the_checkpoint_store() {
    let outcome = run(quickstart_with(
        "faults:\n  - {at: 1300ms, kind: jobmanager-crash, failover-after: 400ms}\n",
    ))
    .unwrap();
    held(&outcome);
    let r = &outcome.summary.recoveries;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].restored_checkpoint, Some(2));
    // The standby restarts the job when it takes over, not after a restart delay; the
    // tasks then take the deployment time (200 ms) before they read their state back.
    let took = r[0].recovery_time_ns().unwrap();
    assert!((600 * MILLISECOND..650 * MILLISECOND).contains(&took), "{took}");
}

#[test]
fn a_partition_holds_data_until_it_heals_without_failing_tasks() {
    let outcome = run(quickstart_with(
        "faults:\n  - {at: 1000ms, kind: network-partition, between: [0, 1], duration: 300ms}\n",
    ))
    .unwrap();
    held(&outcome);
    assert!(outcome.summary.recoveries.is_empty());
    // Records sent across during the partition wait for it to heal.
    assert!(
        outcome.summary.latency.max_ns >= 250 * MILLISECOND,
        "{:?}",
        outcome.summary.latency
    );
}

#[test]
fn a_stalled_subtask_delays_its_records_and_fails_nothing() {
    let outcome = run(quickstart_with(
        "faults:\n  - {at: 1000ms, kind: subtask-stall, operator: aggregate, subtask: 0, duration: 400ms}\n",
    ))
    .unwrap();
    held(&outcome);
    assert!(outcome.summary.recoveries.is_empty());
    assert!(outcome.summary.latency.max_ns >= 350 * MILLISECOND);
}

#[test]
fn slow_links_disks_and_storage_stretch_the_checkpoints_they_touch() {
    let base = run(quickstart_with("")).unwrap();
    let slow = run(quickstart_with(
        "faults:\n  - {at: 400ms, kind: slow-storage, factor: 10, duration: 1s}\n  - {at: 400ms, kind: slow-disk, taskmanager: 0, factor: 10, duration: 1s}\n  - {at: 400ms, kind: slow-link, taskmanager: 0, factor: 10, duration: 1s}\n  - {at: 400ms, kind: latency-spike, latency: 20ms, duration: 1s}\n",
    )).unwrap();
    held(&slow);
    let e2e = |o: &Outcome, id: u64| {
        let ck = o.summary.checkpoints.as_ref().unwrap();
        ck.checkpoints
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .end_to_end_duration
            .unwrap()
    };
    // Checkpoint 1 (triggered at 500 ms) runs inside the windows: storage latency ×10.
    assert!(
        e2e(&slow, 1) > 5 * e2e(&base, 1),
        "{} vs {}",
        e2e(&slow, 1),
        e2e(&base, 1)
    );
}

#[test]
fn at_least_once_reports_duplicates_without_a_violation() {
    let mut s =
        quickstart_with("faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 300ms}\n");
    s.checkpointing.mode = ckptsim::scenario::checkpointing::Mode::AtLeastOnce;
    let outcome = run(s).unwrap();
    assert_eq!(outcome.verdict.guarantee, "AT_LEAST_ONCE");
    held(&outcome);
    // Records after checkpoint 2 were written to the sink before the crash and again after.
    assert!(outcome.verdict.sinks[0].records > 10_000);
}

#[test]
fn same_seed_and_faults_give_the_same_digest() {
    let s = scenario::load_file("scenarios/faults.yaml".as_ref()).unwrap();
    let a = run(s.clone()).unwrap().summary.trace_digest;
    let b = run(s).unwrap().summary.trace_digest;
    assert_eq!(a, b);
}

#[test]
fn the_shipped_faults_scenario_recovers_twice_and_holds() {
    let outcome = run(scenario::load_file("scenarios/faults.yaml".as_ref()).unwrap()).unwrap();
    held(&outcome);
    assert_eq!(outcome.summary.faults.len(), 3);
    assert_eq!(outcome.summary.recoveries.len(), 2);
    assert!(outcome.verdict.cuts.checkpoints >= 5);
}

#[test]
fn a_shrunk_schedule_written_as_a_scenario_replays_the_same_run() {
    let s = scenario::load_file("scenarios/faults.yaml".as_ref()).unwrap();
    let text = std::fs::read_to_string("scenarios/faults.yaml").unwrap();
    let faults = vec![fault(
        1234,
        FaultKind::SubtaskStall {
            operator: 1,
            subtask: 1,
            duration_ns: 77 * MILLISECOND,
        },
    )];
    let written = ckptsim::scenario::faults::with_faults(&text, &s, 99, &faults).unwrap();
    let back = scenario::parse_str(&written, "written.yaml").unwrap();
    assert_eq!(back.faults, faults);
    assert_eq!(back.seed, 99);
}

/// Scenario errors of the fault sections: message and line.
#[test]
fn fault_sections_reject_bad_input_with_the_line() {
    let cases: [(&str, &str); 6] = [
        (
            "faults:\n  - {at: 1s, kind: taskmanager-crsh, taskmanager: 0, restart-after: 1s}\n",
            "did you mean `taskmanager-crash`",
        ),
        (
            "faults:\n  - {at: 1s, kind: taskmanager-crash, taskmanager: 0}\n",
            "needs `restart-after`",
        ),
        (
            "faults:\n  - {at: 1s, kind: taskmanager-crash, taskmanager: 5, restart-after: 1s}\n",
            "TaskManager 5 does not exist",
        ),
        (
            "faults:\n  - {at: 1s, kind: disk-full, taskmanager: 0, duration: 1s, factor: 3}\n",
            "`factor` does not apply to a disk-full fault",
        ),
        (
            "faults:\n  - {at: 1s, kind: subtask-stall, operator: agregate, subtask: 0, duration: 1s}\n",
            "did you mean `aggregate`",
        ),
        ("random-faults:\n  kinds: [disk-ful]\n", "did you mean `disk-full`"),
    ];
    let first_line = QUICKSTART.lines().count() + 2;
    for (yaml, message) in cases {
        let err = scenario::parse_str(&format!("{QUICKSTART}\n{yaml}"), "bad.yaml").unwrap_err();
        assert!(err.message.contains(message), "{yaml}: {}", err.message);
        assert!(err.line >= first_line, "{yaml}: line {}", err.line);
    }
    let bad_strategy = QUICKSTART.replace(
        "execution.checkpointing.interval: 500ms",
        "execution.checkpointing.interval: 500ms\n  restart-strategy.type: fixed-dealy",
    );
    let err = scenario::parse_str(&bad_strategy, "bad.yaml").unwrap_err();
    assert!(err.message.contains("did you mean `fixed-delay`"), "{}", err.message);
    assert_eq!(err.line, 12);
}

#[test]
fn a_taskmanager_lost_during_the_restore_delays_the_restart_until_it_is_back() {
    // The restart begins at 2.2 s (crash at 1.2 s + 1 s backoff) and reads the state
    // back from storage for about 20 ms; TaskManager 0 dies in between, until 2.705 s.
    let outcome = run(quickstart_with(
        "faults:\n  - {at: 1200ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 100ms}\n  - {at: 2205ms, kind: taskmanager-crash, taskmanager: 0, restart-after: 500ms}\n",
    )).unwrap();
    held(&outcome);
    let r = &outcome.summary.recoveries;
    assert_eq!(r.len(), 1, "the second crash hits no running task: {r:?}");
    let running = r[0].running_at_ns.unwrap();
    assert!(running >= 2_705 * MILLISECOND, "running again at {running} ns");
}

/// Found by `fault_properties`: the disk-full failure restarts the job; the stall
/// ending during the restart must not run a task before its state is restored.
#[test]
fn a_stall_ending_during_a_restart_waits_for_the_restore() {
    let mut s = quickstart_with("");
    s.seed = 0;
    // Faults at 10 and 201 ms need running tasks: no deployment time.
    s.cluster.deployment_ns = 0;
    s.duration_ns = 1_500 * MILLISECOND;
    s.checkpointing.interval_ns = Some(200 * MILLISECOND);
    s.faults = vec![
        fault(
            10,
            FaultKind::DiskFull {
                taskmanager: 0,
                duration_ns: 191 * MILLISECOND,
            },
        ),
        fault(
            201,
            FaultKind::SubtaskStall {
                operator: 0,
                subtask: 0,
                duration_ns: MILLISECOND,
            },
        ),
    ];
    let outcome = run(s).unwrap();
    assert_eq!(outcome.summary.recoveries.len(), 1);
    held(&outcome);
}

// A snapshot on the local disk takes its space until it is uploaded, or until its
// checkpoint is aborted or subsumed: after random fault schedules (expired and aborted
// checkpoints, restarts) no space stays taken at the end of a job without local
// recovery.
#[test]
fn no_local_disk_space_stays_taken_by_dropped_snapshots() {
    for file in ["scenarios/faults.yaml", "scenarios/slow-storage.yaml"] {
        let mut scenario = scenario::load_file(file.as_ref()).unwrap();
        scenario.duration_ns = scenario.duration_ns.min(6_000_000_000);
        for seed in 0..40 {
            let faults = ckptsim::fault::random_schedule(&scenario, seed);
            let run = ckptsim::run::run(ckptsim::explore::seeded(&scenario, seed, faults)).unwrap();
            let used: Vec<u64> = run.world.taskmanagers.iter().map(|tm| tm.disk.used).collect();
            assert!(
                used.iter().all(|&u| u == 0),
                "{file} seed {seed}: {used:?} bytes still on disk"
            );
        }
    }
}
