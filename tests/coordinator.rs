//! Conformance cases for the checkpoint coordinator: each test feeds inputs at given
//! instants and asserts the exact actions Flink's `CheckpointCoordinator` would take,
//! then property tests over random input sequences.

use std::collections::{BTreeMap, BTreeSet};

use ckptsim::protocol::coordinator::{
    CheckpointCoordinator, CheckpointCounts, CheckpointStatus, ConfigError, CoordinatorAction, CoordinatorConfig,
    DiscardCause, ExternalizedCheckpointRetention, JobTermination, MessageOutcome, SubtaskAck,
    counts_toward_tolerable_failures,
};
use ckptsim::protocol::types::{
    Barrier, CheckpointFailureReason, CheckpointId, CheckpointingMode, Nanos, SnapshotKind,
};
use proptest::prelude::*;

use CheckpointFailureReason as Reason;
use CoordinatorAction as A;

const MS: Nanos = 1_000_000;

fn config() -> CoordinatorConfig {
    CoordinatorConfig {
        timeout: 1_000 * MS,
        ..CoordinatorConfig::default()
    }
}

fn coordinator(config: CoordinatorConfig, num_subtasks: usize) -> CheckpointCoordinator {
    CheckpointCoordinator::new(config, num_subtasks).expect("valid config")
}

fn drain(c: &mut CheckpointCoordinator) -> Vec<CoordinatorAction> {
    std::iter::from_fn(|| c.poll_action()).collect()
}

fn triggered(checkpoint_id: CheckpointId, at: Nanos, kind: SnapshotKind, request_id: u64) -> CoordinatorAction {
    A::TriggerCheckpoint {
        barrier: Barrier {
            checkpoint_id,
            trigger_timestamp: at,
            kind,
        },
        request_id,
    }
}

fn aborted(checkpoint_id: CheckpointId, reason: Reason) -> [CoordinatorAction; 2] {
    [
        A::NotifyCheckpointAborted { checkpoint_id, reason },
        A::DiscardCheckpoint {
            checkpoint_id,
            cause: DiscardCause::Aborted,
        },
    ]
}

fn dropped(request_id: u64, kind: SnapshotKind, periodic: bool, reason: Reason) -> CoordinatorAction {
    A::TriggerRequestDropped {
        request_id,
        kind,
        periodic,
        reason,
    }
}

fn complete(checkpoint_id: CheckpointId, last_subsumed: Option<CheckpointId>) -> CoordinatorAction {
    A::NotifyCheckpointComplete {
        checkpoint_id,
        last_subsumed,
    }
}

/// Every subtask acknowledges at `now`, then the metadata write finishes at `now`.
fn ack_and_finalize(c: &mut CheckpointCoordinator, now: Nanos, id: CheckpointId, subtasks: usize) {
    for subtask in 0..subtasks {
        assert_eq!(
            c.acknowledge(now, id, subtask, SubtaskAck::default()),
            MessageOutcome::Accepted
        );
    }
    assert_eq!(c.finalize_complete(now, id), MessageOutcome::Accepted);
}

// ---------------------------------------------------------------------------------
// Periodic triggering
// ---------------------------------------------------------------------------------

#[test]
fn periodic_trigger_fires_every_interval() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            ..config()
        },
        2,
    );
    c.start_scheduler(0);
    assert_eq!(c.poll_timeout(), Some(100 * MS));
    c.handle_timeout(99 * MS);
    assert_eq!(drain(&mut c), vec![]);

    c.handle_timeout(100 * MS);
    assert_eq!(drain(&mut c), vec![triggered(1, 100 * MS, SnapshotKind::Checkpoint, 0)]);
    assert_eq!(c.poll_timeout(), Some(200 * MS));

    c.acknowledge(130 * MS, 1, 0, SubtaskAck::default());
    assert_eq!(drain(&mut c), vec![]);
    c.acknowledge(131 * MS, 1, 1, SubtaskAck::default());
    assert_eq!(
        drain(&mut c),
        vec![A::WriteMetadata {
            checkpoint_id: 1,
            bytes: 0
        }]
    );
    c.finalize_complete(140 * MS, 1);
    assert_eq!(drain(&mut c), vec![complete(1, None)]);

    c.handle_timeout(200 * MS);
    assert_eq!(drain(&mut c), vec![triggered(2, 200 * MS, SnapshotKind::Checkpoint, 1)]);
    assert_eq!(c.poll_timeout(), Some(300 * MS));
}

#[test]
fn initial_delay_sets_first_trigger_then_interval_counts_from_it() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            initial_delay: Some(30 * MS),
            ..config()
        },
        1,
    );
    c.start_scheduler(5 * MS);
    assert_eq!(c.poll_timeout(), Some(35 * MS));
    c.handle_timeout(35 * MS);
    assert_eq!(drain(&mut c), vec![triggered(1, 35 * MS, SnapshotKind::Checkpoint, 0)]);
    assert_eq!(c.poll_timeout(), Some(135 * MS));
}

#[test]
fn interval_below_min_pause_is_raised_to_min_pause() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(50 * MS),
            min_pause: 80 * MS,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    assert_eq!(c.poll_timeout(), Some(80 * MS));
}

#[test]
fn min_pause_delays_next_periodic_trigger_after_completion() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            min_pause: 80 * MS,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    c.handle_timeout(100 * MS);
    ack_and_finalize(&mut c, 150 * MS, 1, 1);
    drain(&mut c);

    // 200 ms is only 50 ms after the completion: dropped, retried when the pause ends.
    c.handle_timeout(200 * MS);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            1,
            SnapshotKind::Checkpoint,
            true,
            Reason::MinimumTimeBetweenCheckpoints
        )]
    );
    assert_eq!(c.poll_timeout(), Some(230 * MS));
    c.handle_timeout(230 * MS);
    assert_eq!(drain(&mut c), vec![triggered(2, 230 * MS, SnapshotKind::Checkpoint, 2)]);
    assert_eq!(c.poll_timeout(), Some(330 * MS));
}

#[test]
fn manual_checkpoint_ignores_min_pause() {
    let mut c = coordinator(
        CoordinatorConfig {
            min_pause: 80 * MS,
            ..config()
        },
        1,
    );
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, 10 * MS, 1, 1);
    drain(&mut c);
    let request = c.trigger_checkpoint(20 * MS, SnapshotKind::Checkpoint);
    assert_eq!(
        drain(&mut c),
        vec![triggered(2, 20 * MS, SnapshotKind::Checkpoint, request)]
    );
}

// ---------------------------------------------------------------------------------
// Max concurrent checkpoints and the request queue
// ---------------------------------------------------------------------------------

#[test]
fn periodic_request_waits_at_max_concurrent_and_runs_when_slot_frees() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    c.handle_timeout(100 * MS);
    drain(&mut c);

    c.handle_timeout(200 * MS);
    assert_eq!(drain(&mut c), vec![], "no second checkpoint while one is pending");
    assert_eq!(c.num_queued_requests(), 1);
    assert_eq!(c.pending_checkpoints(), vec![1]);

    c.acknowledge(250 * MS, 1, 0, SubtaskAck::default());
    c.finalize_complete(260 * MS, 1);
    assert_eq!(
        drain(&mut c),
        vec![
            A::WriteMetadata {
                checkpoint_id: 1,
                bytes: 0
            },
            complete(1, None),
            triggered(2, 260 * MS, SnapshotKind::Checkpoint, 1),
        ]
    );
    assert_eq!(c.num_queued_requests(), 0);
}

#[test]
fn periodic_request_queued_at_max_concurrent_is_dropped_when_min_pause_applies() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            min_pause: 50 * MS,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    c.handle_timeout(100 * MS);
    c.handle_timeout(200 * MS);
    drain(&mut c);

    ack_and_finalize(&mut c, 260 * MS, 1, 1);
    assert_eq!(
        drain(&mut c),
        vec![
            A::WriteMetadata {
                checkpoint_id: 1,
                bytes: 0
            },
            complete(1, None),
            dropped(1, SnapshotKind::Checkpoint, true, Reason::MinimumTimeBetweenCheckpoints),
        ]
    );
    // The periodic trigger moves from 300 ms to the end of the pause.
    assert_eq!(c.poll_timeout(), Some(310 * MS));
    c.handle_timeout(310 * MS);
    assert_eq!(drain(&mut c), vec![triggered(2, 310 * MS, SnapshotKind::Checkpoint, 2)]);
}

#[test]
fn unaligned_savepoint_is_queued_at_max_concurrent_and_triggered_when_slot_frees() {
    let mut c = coordinator(
        CoordinatorConfig {
            mode: CheckpointingMode::ExactlyOnceUnaligned,
            tolerable_failed_checkpoints: 5,
            ..config()
        },
        2,
    );
    let first = c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint);
    let savepoint = c.trigger_savepoint(20 * MS);
    assert_eq!(
        drain(&mut c),
        vec![triggered(1, 10 * MS, SnapshotKind::Checkpoint, first)]
    );
    assert_eq!(c.num_queued_requests(), 1);

    c.decline(30 * MS, 1, 0, Reason::CheckpointDeclined);
    let [notify, discard] = aborted(1, Reason::CheckpointDeclined);
    assert_eq!(
        drain(&mut c),
        vec![
            notify,
            discard,
            triggered(2, 30 * MS, SnapshotKind::Savepoint, savepoint)
        ]
    );
}

#[test]
fn aligned_savepoint_is_forced_past_max_concurrent() {
    let mut c = coordinator(config(), 2);
    c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint);
    let savepoint = c.trigger_savepoint(20 * MS);
    assert_eq!(
        drain(&mut c),
        vec![
            triggered(1, 10 * MS, SnapshotKind::Checkpoint, 0),
            triggered(2, 20 * MS, SnapshotKind::Savepoint, savepoint),
        ]
    );
    assert_eq!(c.pending_checkpoints(), vec![1, 2]);
}

#[test]
fn queued_requests_run_savepoints_first_then_user_then_periodic() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            mode: CheckpointingMode::ExactlyOnceUnaligned,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    let manual = c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint); // runs: id 1
    c.handle_timeout(100 * MS); // periodic request 1 waits
    let savepoint = c.trigger_savepoint(150 * MS);
    let later_manual = c.trigger_checkpoint(160 * MS, SnapshotKind::Checkpoint);
    assert_eq!(
        drain(&mut c),
        vec![triggered(1, 10 * MS, SnapshotKind::Checkpoint, manual)]
    );
    assert_eq!(c.num_queued_requests(), 3);

    ack_and_finalize(&mut c, 170 * MS, 1, 1);
    let actions = drain(&mut c);
    assert_eq!(
        actions.last(),
        Some(&triggered(2, 170 * MS, SnapshotKind::Savepoint, savepoint))
    );
    ack_and_finalize(&mut c, 180 * MS, 2, 1);
    assert_eq!(
        drain(&mut c),
        vec![
            A::WriteMetadata {
                checkpoint_id: 2,
                bytes: 0
            },
            A::SavepointCompleted { checkpoint_id: 2 },
            triggered(3, 180 * MS, SnapshotKind::Checkpoint, later_manual),
        ]
    );
    ack_and_finalize(&mut c, 190 * MS, 3, 1);
    assert_eq!(
        drain(&mut c).last(),
        Some(&triggered(4, 190 * MS, SnapshotKind::Checkpoint, 1))
    );
}

#[test]
fn full_request_queue_drops_the_lowest_priority_request() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            mode: CheckpointingMode::ExactlyOnceUnaligned,
            max_queued_requests: 2,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint); // request 0 runs
    c.trigger_savepoint(20 * MS); // request 1 waits
    c.handle_timeout(100 * MS); // periodic request 2 waits: queue full
    drain(&mut c);

    // A user request pushes the periodic one out.
    let manual = c.trigger_checkpoint(110 * MS, SnapshotKind::Checkpoint);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            2,
            SnapshotKind::Checkpoint,
            true,
            Reason::TooManyCheckpointRequests
        )]
    );
    // Only user requests queued now: the newcomer itself is dropped.
    let rejected = c.trigger_checkpoint(120 * MS, SnapshotKind::Checkpoint);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            rejected,
            SnapshotKind::Checkpoint,
            false,
            Reason::TooManyCheckpointRequests
        )]
    );
    assert_eq!(manual, 3);
    assert_eq!(c.num_queued_requests(), 2);
}

// ---------------------------------------------------------------------------------
// Expiry, declines, and the failure counter
// ---------------------------------------------------------------------------------

#[test]
fn pending_checkpoint_expires_after_timeout() {
    let mut c = coordinator(
        CoordinatorConfig {
            timeout: 50 * MS,
            tolerable_failed_checkpoints: 3,
            ..config()
        },
        2,
    );
    c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint);
    c.acknowledge(20 * MS, 1, 0, SubtaskAck::default());
    drain(&mut c);
    assert_eq!(c.poll_timeout(), Some(60 * MS));
    c.handle_timeout(59 * MS);
    assert_eq!(drain(&mut c), vec![]);

    c.handle_timeout(60 * MS);
    assert_eq!(drain(&mut c), aborted(1, Reason::CheckpointExpired).to_vec());
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(
        c.acknowledge(70 * MS, 1, 1, SubtaskAck::default()),
        MessageOutcome::NotPending
    );

    let stats = c.stats(1).unwrap();
    assert_eq!(stats.status, CheckpointStatus::Failed);
    assert_eq!(stats.failure_timestamp, Some(60 * MS));
    assert_eq!(stats.failure_message(), Some("CHECKPOINT_EXPIRED"));
    assert_eq!(stats.end_to_end_duration, Some(50 * MS));
    assert_eq!(stats.num_acknowledged_subtasks, 1);
    assert_eq!(c.consecutive_failures(), 1);
}

#[test]
fn finalizing_checkpoint_still_expires() {
    let mut c = coordinator(
        CoordinatorConfig {
            timeout: 50 * MS,
            tolerable_failed_checkpoints: 3,
            ..config()
        },
        1,
    );
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    c.acknowledge(40 * MS, 1, 0, SubtaskAck::default());
    drain(&mut c);
    c.handle_timeout(50 * MS);
    assert_eq!(drain(&mut c), aborted(1, Reason::CheckpointExpired).to_vec());
    assert_eq!(c.finalize_complete(60 * MS, 1), MessageOutcome::NotPending);
    assert_eq!(drain(&mut c), vec![]);
}

#[test]
fn decline_aborts_the_checkpoint() {
    let mut c = coordinator(
        CoordinatorConfig {
            tolerable_failed_checkpoints: 3,
            ..config()
        },
        3,
    );
    c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint);
    c.acknowledge(20 * MS, 1, 0, SubtaskAck::default());
    drain(&mut c);
    assert_eq!(
        c.decline(30 * MS, 1, 2, Reason::CheckpointDeclinedTaskClosing),
        MessageOutcome::Accepted
    );
    assert_eq!(
        drain(&mut c),
        aborted(1, Reason::CheckpointDeclinedTaskClosing).to_vec()
    );
    assert_eq!(
        c.acknowledge(40 * MS, 1, 1, SubtaskAck::default()),
        MessageOutcome::NotPending
    );
    assert_eq!(
        c.decline(40 * MS, 1, 1, Reason::CheckpointDeclined),
        MessageOutcome::NotPending
    );
    assert_eq!(drain(&mut c), vec![]);
    let stats = c.stats(1).unwrap();
    assert_eq!(stats.failure_message(), Some("CHECKPOINT_DECLINED_TASK_CLOSING"));
    assert_eq!(c.pending_checkpoints(), Vec::<CheckpointId>::new());
}

#[test]
fn duplicate_and_unknown_acknowledgements_change_nothing() {
    let mut c = coordinator(config(), 2);
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    drain(&mut c);
    assert_eq!(c.acknowledge(1, 1, 0, SubtaskAck::default()), MessageOutcome::Accepted);
    assert_eq!(c.acknowledge(2, 1, 0, SubtaskAck::default()), MessageOutcome::Duplicate);
    assert_eq!(
        c.acknowledge(3, 1, 7, SubtaskAck::default()),
        MessageOutcome::UnknownSubtask
    );
    assert_eq!(
        c.acknowledge(4, 9, 1, SubtaskAck::default()),
        MessageOutcome::NotPending
    );
    assert_eq!(drain(&mut c), vec![]);
    assert_eq!(c.stats(1).unwrap().num_acknowledged_subtasks, 1);
    assert_eq!(c.stats(1).unwrap().latest_ack_timestamp, Some(1));
}

/// Triggers a manual checkpoint and has subtask 0 decline it with `reason`.
fn fail_one(c: &mut CheckpointCoordinator, now: Nanos, reason: Reason) -> Vec<CoordinatorAction> {
    c.trigger_checkpoint(now, SnapshotKind::Checkpoint);
    let id = c.next_checkpoint_id() - 1;
    c.decline(now, id, 0, reason);
    drain(c)
}

fn has_fail_job(actions: &[CoordinatorAction]) -> bool {
    actions.iter().any(|a| matches!(a, A::FailJob { .. }))
}

#[test]
fn tolerable_failed_checkpoints_fails_job_on_the_one_past_the_limit() {
    let mut c = coordinator(
        CoordinatorConfig {
            tolerable_failed_checkpoints: 2,
            ..config()
        },
        1,
    );
    assert!(!has_fail_job(&fail_one(&mut c, MS, Reason::CheckpointDeclined)));
    assert!(!has_fail_job(&fail_one(&mut c, 2 * MS, Reason::CheckpointDeclined)));
    assert_eq!(c.consecutive_failures(), 2);
    let third = fail_one(&mut c, 3 * MS, Reason::CheckpointDeclined);
    let [notify, discard] = aborted(3, Reason::CheckpointDeclined);
    assert_eq!(
        third,
        vec![
            triggered(3, 3 * MS, SnapshotKind::Checkpoint, 2),
            notify,
            discard,
            A::FailJob {
                checkpoint_id: 3,
                reason: Reason::CheckpointDeclined
            },
        ]
    );
    assert_eq!(c.consecutive_failures(), 0, "the count starts over");
}

#[test]
fn success_resets_the_failure_count() {
    let mut c = coordinator(
        CoordinatorConfig {
            tolerable_failed_checkpoints: 2,
            ..config()
        },
        1,
    );
    fail_one(&mut c, MS, Reason::CheckpointDeclined);
    fail_one(&mut c, 2 * MS, Reason::CheckpointDeclined);
    c.trigger_checkpoint(3 * MS, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, 4 * MS, 3, 1);
    assert_eq!(c.consecutive_failures(), 0);
    assert!(!has_fail_job(&fail_one(&mut c, 5 * MS, Reason::IoException)));
    assert!(!has_fail_job(&fail_one(
        &mut c,
        6 * MS,
        Reason::CheckpointAsyncException
    )));
    assert!(has_fail_job(&fail_one(&mut c, 7 * MS, Reason::CheckpointDeclined)));
}

#[test]
fn reasons_flink_does_not_count_never_fail_the_job() {
    let mut c = coordinator(config(), 1); // tolerable = 0
    for reason in [
        Reason::CheckpointDeclinedTaskNotReady,
        Reason::CheckpointDeclinedOnCancellationBarrier,
        Reason::CheckpointDeclinedSubsumed,
        Reason::CheckpointDeclinedInputEndOfStream,
        Reason::TaskFailure,
        Reason::TaskCheckpointFailure,
    ] {
        assert!(!has_fail_job(&fail_one(&mut c, MS, reason)), "{reason:?}");
    }
    c.trigger_checkpoint(4 * MS, SnapshotKind::Checkpoint);
    let id = c.next_checkpoint_id() - 1;
    c.abort_checkpoint(4 * MS, id, Reason::TriggerCheckpointFailure);
    c.trigger_checkpoint(5 * MS, SnapshotKind::Checkpoint);
    c.abort_pending_checkpoints(5 * MS, Reason::JobFailoverRegion);
    assert!(!has_fail_job(&drain(&mut c)));
    assert_eq!(c.consecutive_failures(), 0);
}

/// Flink's `CheckpointFailureReason.isCountedAgainstFailureThreshold` (the list
/// `CheckpointFailureManager.checkFailureCounter` applies), reason by reason: exactly
/// these five count toward `execution.checkpointing.tolerable-failed-checkpoints`.
#[test]
fn counted_reasons_are_flinks_current_list() {
    let counted: Vec<&str> = Reason::ALL
        .iter()
        .copied()
        .filter(|&r| counts_toward_tolerable_failures(r))
        .map(Reason::flink_name)
        .collect();
    assert_eq!(
        counted,
        [
            "IO_EXCEPTION",
            "CHECKPOINT_ASYNC_EXCEPTION",
            "CHECKPOINT_EXPIRED",
            "CHECKPOINT_DECLINED",
            "FINALIZE_CHECKPOINT_FAILURE",
        ]
    );
    // Every constant of Flink's enum, in its order (CheckpointFailureReason.java).
    let names: Vec<&str> = Reason::ALL.iter().map(|r| r.flink_name()).collect();
    assert_eq!(
        names,
        [
            "PERIODIC_SCHEDULER_SHUTDOWN",
            "TOO_MANY_CHECKPOINT_REQUESTS",
            "MINIMUM_TIME_BETWEEN_CHECKPOINTS",
            "NOT_ALL_REQUIRED_TASKS_RUNNING",
            "IO_EXCEPTION",
            "BLOCKING_OUTPUT_EXIST",
            "CHECKPOINT_ASYNC_EXCEPTION",
            "CHANNEL_STATE_SHARED_STREAM_EXCEPTION",
            "CHECKPOINT_EXPIRED",
            "CHECKPOINT_SUBSUMED",
            "CHECKPOINT_DECLINED",
            "CHECKPOINT_DECLINED_TASK_NOT_READY",
            "CHECKPOINT_DECLINED_TASK_CLOSING",
            "CHECKPOINT_DECLINED_SUBSUMED",
            "CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "CHECKPOINT_DECLINED_INPUT_END_OF_STREAM",
            "CHECKPOINT_COORDINATOR_SHUTDOWN",
            "CHECKPOINT_COORDINATOR_SUSPEND",
            "JOB_FAILOVER_REGION",
            "TASK_FAILURE",
            "TASK_CHECKPOINT_FAILURE",
            "UNKNOWN_TASK_CHECKPOINT_NOTIFICATION_FAILURE",
            "FINALIZE_CHECKPOINT_FAILURE",
            "TRIGGER_CHECKPOINT_FAILURE",
        ]
    );
}

/// FLINK-32347 (CheckpointFailureManagerTest): a checkpoint whose metadata cannot be
/// written fails with FINALIZE_CHECKPOINT_FAILURE, and that failure counts: with
/// tolerable-failed-checkpoints 1 the second one in a row fails the job.
#[test]
fn finalize_failure_counts_toward_tolerable_failures() {
    let mut c = coordinator(
        CoordinatorConfig {
            tolerable_failed_checkpoints: 1,
            ..config()
        },
        1,
    );
    for (i, now) in [MS, 2 * MS].into_iter().enumerate() {
        c.trigger_checkpoint(now, SnapshotKind::Checkpoint);
        let id = c.next_checkpoint_id() - 1;
        c.acknowledge(now, id, 0, SubtaskAck::default());
        drain(&mut c);
        c.finalize_failed(now, id);
        let actions = drain(&mut c);
        assert_eq!(has_fail_job(&actions), i == 1, "after failure {}", i + 1);
        assert_eq!(
            c.stats(id).unwrap().failure_message(),
            Some("FINALIZE_CHECKPOINT_FAILURE")
        );
    }
}

#[test]
fn savepoint_expiry_does_not_count_but_savepoint_decline_does() {
    let mut c = coordinator(
        CoordinatorConfig {
            timeout: 10 * MS,
            ..config()
        },
        1,
    );
    c.trigger_savepoint(0);
    c.handle_timeout(10 * MS);
    assert!(!has_fail_job(&drain(&mut c)));

    c.trigger_savepoint(20 * MS);
    c.decline(21 * MS, 2, 0, Reason::CheckpointDeclined);
    assert!(has_fail_job(&drain(&mut c)));
}

#[test]
fn failure_of_a_checkpoint_older_than_the_last_success_does_not_count() {
    let mut c = coordinator(
        CoordinatorConfig {
            max_concurrent_checkpoints: 2,
            ..config()
        },
        1,
    ); // tolerable = 0
    c.trigger_savepoint(0); // id 1, forced
    c.trigger_checkpoint(MS, SnapshotKind::Checkpoint); // id 2
    ack_and_finalize(&mut c, 2 * MS, 2, 1);
    drain(&mut c);
    assert_eq!(c.pending_checkpoints(), vec![1], "savepoints are not subsumed");
    c.decline(3 * MS, 1, 0, Reason::CheckpointDeclined);
    assert!(!has_fail_job(&drain(&mut c)));
}

// ---------------------------------------------------------------------------------
// Completion: subsumption and retention
// ---------------------------------------------------------------------------------

#[test]
fn completing_a_checkpoint_subsumes_older_pending_ones() {
    let mut c = coordinator(
        CoordinatorConfig {
            max_concurrent_checkpoints: 3,
            ..config()
        },
        2,
    );
    c.trigger_checkpoint(10 * MS, SnapshotKind::Checkpoint); // 1: collecting acks
    c.trigger_checkpoint(20 * MS, SnapshotKind::Checkpoint); // 2: will be finalizing
    c.trigger_checkpoint(30 * MS, SnapshotKind::Checkpoint); // 3: completes first
    c.acknowledge(40 * MS, 2, 0, SubtaskAck::default());
    c.acknowledge(40 * MS, 2, 1, SubtaskAck::default());
    drain(&mut c);
    ack_and_finalize(&mut c, 50 * MS, 3, 2);
    let [n1, d1] = aborted(1, Reason::CheckpointSubsumed);
    let [n2, d2] = aborted(2, Reason::CheckpointSubsumed);
    assert_eq!(
        drain(&mut c),
        vec![
            A::WriteMetadata {
                checkpoint_id: 3,
                bytes: 0
            },
            n1,
            d1,
            n2,
            d2,
            complete(3, None),
        ]
    );
    assert_eq!(c.finalize_complete(60 * MS, 2), MessageOutcome::NotPending);
    assert_eq!(c.latest_completed(), Some(3));
    assert_eq!(c.counts().failed, 2);
}

#[test]
fn num_retained_discards_the_oldest_completed_checkpoint() {
    let mut c = coordinator(
        CoordinatorConfig {
            num_retained: 2,
            ..config()
        },
        1,
    );
    for id in 1..=3 {
        c.trigger_checkpoint(id * 10 * MS, SnapshotKind::Checkpoint);
        ack_and_finalize(&mut c, id * 10 * MS + MS, id, 1);
    }
    let actions = drain(&mut c);
    assert_eq!(
        actions[actions.len() - 2..],
        [
            A::DiscardCheckpoint {
                checkpoint_id: 1,
                cause: DiscardCause::Subsumed
            },
            complete(3, Some(1)),
        ]
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| matches!(a, A::DiscardCheckpoint { .. }))
            .count(),
        1
    );
    assert_eq!(c.retained_checkpoints(), vec![2, 3]);
    assert_eq!(c.latest_completed(), Some(3));
}

#[test]
fn savepoints_are_not_subject_to_retention() {
    let mut c = coordinator(
        CoordinatorConfig {
            num_retained: 1,
            ..config()
        },
        1,
    );
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, MS, 1, 1);
    drain(&mut c);
    c.trigger_savepoint(2 * MS);
    ack_and_finalize(&mut c, 3 * MS, 2, 1);
    assert_eq!(
        drain(&mut c),
        vec![
            triggered(2, 2 * MS, SnapshotKind::Savepoint, 1),
            A::WriteMetadata {
                checkpoint_id: 2,
                bytes: 0
            },
            A::SavepointCompleted { checkpoint_id: 2 },
        ]
    );
    assert_eq!(c.retained_checkpoints(), vec![1]);
    assert_eq!(c.latest_completed(), Some(1));

    c.trigger_checkpoint(4 * MS, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, 5 * MS, 3, 1);
    let mut actions = drain(&mut c);
    c.shutdown(6 * MS, JobTermination::Finished);
    actions.extend(drain(&mut c));
    let discarded: Vec<CheckpointId> = actions
        .iter()
        .filter_map(|a| match a {
            A::DiscardCheckpoint { checkpoint_id, .. } => Some(*checkpoint_id),
            _ => None,
        })
        .collect();
    assert_eq!(discarded, vec![1, 3]);
    assert_eq!(c.stats(2).unwrap().status, CheckpointStatus::Completed);
    assert!(c.stats(2).unwrap().is_savepoint);
}

// ---------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------

#[test]
fn stats_sum_subtasks_and_time_every_phase_exactly() {
    let mut c = coordinator(
        CoordinatorConfig {
            metadata_base_bytes: 100,
            ..config()
        },
        3,
    );
    c.trigger_checkpoint(1_000, SnapshotKind::Checkpoint);
    let ack2 = SubtaskAck {
        state_size: 100,
        checkpointed_size: 40,
        processed_data: 7,
        persisted_data: 3,
        sync_duration: 10,
        async_duration: 20,
        alignment_duration: 30,
        start_delay: 5,
        unaligned: true,
        metadata_bytes: 11,
    };
    c.acknowledge(1_500, 1, 2, ack2);
    let in_progress = c.stats(1).unwrap();
    assert_eq!(in_progress.status, CheckpointStatus::InProgress);
    assert_eq!(in_progress.end_to_end_duration, Some(500));
    assert_eq!(in_progress.num_acknowledged_subtasks, 1);

    c.acknowledge(
        1_700,
        1,
        0,
        SubtaskAck {
            state_size: 200,
            checkpointed_size: 60,
            processed_data: 13,
            metadata_bytes: 9,
            ..SubtaskAck::default()
        },
    );
    c.acknowledge(
        2_100,
        1,
        1,
        SubtaskAck {
            state_size: 300,
            persisted_data: 5,
            metadata_bytes: 20,
            ..SubtaskAck::default()
        },
    );
    assert_eq!(
        drain(&mut c)[1..],
        [A::WriteMetadata {
            checkpoint_id: 1,
            bytes: 140
        }]
    );
    c.finalize_complete(2_600, 1);

    let s = c.stats(1).unwrap();
    assert_eq!(s.checkpoint_id, 1);
    assert_eq!(s.status, CheckpointStatus::Completed);
    assert_eq!(s.status.flink_name(), "COMPLETED");
    assert!(!s.is_savepoint);
    assert_eq!(s.trigger_timestamp, 1_000);
    assert_eq!(s.latest_ack_timestamp, Some(2_100));
    assert_eq!(s.all_acknowledged_timestamp, Some(2_100));
    assert_eq!(s.completion_timestamp, Some(2_600));
    assert_eq!(s.end_to_end_duration, Some(1_600));
    assert_eq!(s.finalize_duration, Some(500));
    assert_eq!(s.num_subtasks, 3);
    assert_eq!(s.num_acknowledged_subtasks, 3);
    assert_eq!(s.state_size, 600);
    assert_eq!(s.checkpointed_size, 100);
    assert_eq!(s.processed_data, 20);
    assert_eq!(s.persisted_data, 8);
    assert_eq!(s.metadata_size, Some(140));
    assert_eq!(s.failure_timestamp, None);
    assert_eq!(s.failure_message(), None);
    assert_eq!(s.subtasks.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(s.subtasks[&2].ack_timestamp, 1_500);
    assert_eq!(s.subtasks[&2].ack, ack2);
    assert_eq!(
        c.counts(),
        CheckpointCounts {
            triggered: 1,
            in_progress: 0,
            completed: 1,
            failed: 0,
            restored: 0
        }
    );
}

#[test]
fn history_lists_every_checkpoint_in_id_order_with_counts() {
    let mut c = coordinator(
        CoordinatorConfig {
            tolerable_failed_checkpoints: 9,
            max_concurrent_checkpoints: 2,
            ..config()
        },
        1,
    );
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, 1, 1, 1);
    fail_one(&mut c, 2, Reason::CheckpointDeclined);
    c.trigger_savepoint(3);
    c.trigger_checkpoint(4, SnapshotKind::Checkpoint);
    let history: Vec<_> = c
        .history()
        .iter()
        .map(|s| (s.checkpoint_id, s.status, s.is_savepoint))
        .collect();
    assert_eq!(
        history,
        vec![
            (1, CheckpointStatus::Completed, false),
            (2, CheckpointStatus::Failed, false),
            (3, CheckpointStatus::InProgress, true),
            (4, CheckpointStatus::InProgress, false),
        ]
    );
    assert_eq!(
        c.counts(),
        CheckpointCounts {
            triggered: 4,
            in_progress: 2,
            completed: 1,
            failed: 1,
            restored: 0
        }
    );
}

// ---------------------------------------------------------------------------------
// Timers
// ---------------------------------------------------------------------------------

#[test]
fn poll_timeout_is_the_earliest_of_periodic_trigger_and_expiry() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            timeout: 250 * MS,
            max_concurrent_checkpoints: 3,
            tolerable_failed_checkpoints: 9,
            ..config()
        },
        1,
    );
    assert_eq!(c.poll_timeout(), None, "nothing scheduled before start");
    c.start_scheduler(0);
    assert_eq!(c.poll_timeout(), Some(100 * MS));
    c.handle_timeout(100 * MS); // 1 expires at 350
    assert_eq!(c.poll_timeout(), Some(200 * MS));
    c.handle_timeout(200 * MS); // 2 expires at 450
    c.handle_timeout(300 * MS); // 3 expires at 550
    assert_eq!(c.poll_timeout(), Some(350 * MS));
    c.handle_timeout(350 * MS);
    assert_eq!(c.pending_checkpoints(), vec![2, 3]);
    assert_eq!(c.poll_timeout(), Some(400 * MS));
    c.stop_scheduler(360 * MS);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn stop_scheduler_aborts_pending_and_queued_with_suspend_without_counting() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            mode: CheckpointingMode::ExactlyOnceUnaligned,
            ..config()
        },
        1,
    );
    c.start_scheduler(0);
    c.handle_timeout(100 * MS);
    let savepoint = c.trigger_savepoint(110 * MS);
    drain(&mut c);
    c.stop_scheduler(120 * MS);
    let [notify, discard] = aborted(1, Reason::CheckpointCoordinatorSuspend);
    assert_eq!(
        drain(&mut c),
        vec![
            dropped(
                savepoint,
                SnapshotKind::Savepoint,
                false,
                Reason::CheckpointCoordinatorSuspend
            ),
            notify,
            discard,
        ]
    );
    assert_eq!(c.consecutive_failures(), 0);
    c.handle_timeout(500 * MS);
    assert_eq!(drain(&mut c), vec![]);
}

// ---------------------------------------------------------------------------------
// Job end, failover, finished subtasks
// ---------------------------------------------------------------------------------

fn retained_after_shutdown(
    retention: ExternalizedCheckpointRetention,
    termination: JobTermination,
) -> Vec<CoordinatorAction> {
    let mut c = coordinator(
        CoordinatorConfig {
            externalized_retention: retention,
            ..config()
        },
        1,
    );
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, MS, 1, 1);
    c.trigger_checkpoint(2 * MS, SnapshotKind::Checkpoint);
    drain(&mut c);
    c.shutdown(3 * MS, termination);
    let actions = drain(&mut c);
    assert_eq!(actions[..2], aborted(2, Reason::CheckpointCoordinatorShutdown));
    actions[2..].to_vec()
}

#[test]
fn shutdown_applies_externalized_checkpoint_retention() {
    use ExternalizedCheckpointRetention::*;
    use JobTermination::*;
    let deleted = vec![A::DiscardCheckpoint {
        checkpoint_id: 1,
        cause: DiscardCause::JobTerminated,
    }];
    let kept: Vec<CoordinatorAction> = vec![];
    let cases = [
        (NoExternalizedCheckpoints, Finished, &deleted),
        (NoExternalizedCheckpoints, Canceled, &deleted),
        (NoExternalizedCheckpoints, Failed, &deleted),
        (NoExternalizedCheckpoints, Suspended, &kept),
        (DeleteOnCancellation, Canceled, &deleted),
        (DeleteOnCancellation, Failed, &kept),
        (RetainOnCancellation, Canceled, &kept),
        (RetainOnCancellation, Failed, &kept),
        (RetainOnCancellation, Finished, &deleted),
    ];
    for (retention, termination, expected) in cases {
        assert_eq!(
            &retained_after_shutdown(retention, termination),
            expected,
            "{} on {termination:?}",
            retention.flink_name()
        );
    }
}

#[test]
fn after_shutdown_inputs_are_ignored_and_requests_dropped() {
    let mut c = coordinator(config(), 1);
    c.shutdown(0, JobTermination::Canceled);
    assert!(c.is_shut_down());
    let request = c.trigger_savepoint(MS);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            request,
            SnapshotKind::Savepoint,
            false,
            Reason::CheckpointCoordinatorShutdown
        )]
    );
    c.start_scheduler(2 * MS);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn resumed_coordinator_continues_ids_and_restores_latest() {
    let mut c = CheckpointCoordinator::resume_from(config(), 2, 7).unwrap();
    assert_eq!(c.latest_completed(), Some(7));
    assert_eq!(c.next_checkpoint_id(), 8);
    assert_eq!(c.restore_latest_checkpoint(MS), Some(7));
    assert_eq!(c.counts().restored, 1);
    assert_eq!(c.latest_restored().unwrap().restore_timestamp, MS);

    let request = c.trigger_checkpoint(2 * MS, SnapshotKind::Checkpoint);
    ack_and_finalize(&mut c, 3 * MS, 8, 2);
    assert_eq!(
        drain(&mut c),
        vec![
            triggered(8, 2 * MS, SnapshotKind::Checkpoint, request),
            A::WriteMetadata {
                checkpoint_id: 8,
                bytes: 0
            },
            A::DiscardCheckpoint {
                checkpoint_id: 7,
                cause: DiscardCause::Subsumed
            },
            complete(8, Some(7)),
        ]
    );
}

#[test]
fn restore_without_any_checkpoint_returns_none() {
    let mut c = coordinator(config(), 1);
    assert_eq!(c.restore_latest_checkpoint(0), None);
    assert_eq!(c.counts().restored, 0);
}

#[test]
fn finished_subtask_is_not_awaited_by_later_checkpoints() {
    let mut c = coordinator(config(), 3);
    c.subtask_finished(0, 1);
    c.trigger_checkpoint(MS, SnapshotKind::Checkpoint);
    assert_eq!(
        c.acknowledge(2 * MS, 1, 1, SubtaskAck::default()),
        MessageOutcome::UnknownSubtask
    );
    c.acknowledge(2 * MS, 1, 0, SubtaskAck::default());
    c.acknowledge(2 * MS, 1, 2, SubtaskAck::default());
    assert_eq!(
        drain(&mut c)[1..],
        [A::WriteMetadata {
            checkpoint_id: 1,
            bytes: 0
        }]
    );
    // Flink's `CheckpointCoordinator.reportFinishedTasks`: a task that finished before
    // the trigger counts among the checkpoint's subtasks, acknowledged at the trigger
    // with an empty snapshot, so the history shows 3/3.
    let stats = c.stats(1).unwrap();
    assert_eq!((stats.num_subtasks, stats.num_acknowledged_subtasks), (3, 3));
    let finished = &stats.subtasks[&1];
    assert!(finished.finished);
    assert_eq!(finished.ack_timestamp, MS);
    assert_eq!(finished.ack, SubtaskAck::default());
    assert!(!stats.subtasks[&0].finished);
}

#[test]
fn invalid_config_is_rejected_with_the_flink_key() {
    let err = CheckpointCoordinator::new(
        CoordinatorConfig {
            interval: Some(0),
            ..config()
        },
        1,
    )
    .unwrap_err();
    assert_eq!(err, ConfigError::ZeroInterval);
    assert!(err.to_string().contains("execution.checkpointing.interval"));
    let err = CheckpointCoordinator::new(
        CoordinatorConfig {
            max_concurrent_checkpoints: 0,
            ..config()
        },
        1,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("execution.checkpointing.max-concurrent-checkpoints")
    );
}

// ---------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------

const SUBTASKS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Advance(Nanos),
    Ack { pick: usize, subtask: usize },
    Decline { pick: usize, subtask: usize, counted: bool },
    Finalize { pick: usize, ok: bool },
    Manual,
    Savepoint,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..150u64).prop_map(|ms| Op::Advance(ms * MS)),
        6 => (0..4usize, 0..SUBTASKS).prop_map(|(pick, subtask)| Op::Ack { pick, subtask }),
        1 => (0..4usize, 0..SUBTASKS, any::<bool>())
            .prop_map(|(pick, subtask, counted)| Op::Decline { pick, subtask, counted }),
        3 => (0..4usize, prop::bool::weighted(0.85)).prop_map(|(pick, ok)| Op::Finalize { pick, ok }),
        1 => Just(Op::Manual),
        1 => Just(Op::Savepoint),
    ]
}

fn random_config() -> impl Strategy<Value = CoordinatorConfig> {
    (0..120u64, 1..4usize, 100..400u64, 0..3u32, 1..4usize, any::<bool>()).prop_map(
        |(min_pause_ms, max_concurrent, timeout_ms, tolerable, num_retained, unaligned)| CoordinatorConfig {
            interval: Some(100 * MS),
            min_pause: min_pause_ms * MS,
            max_concurrent_checkpoints: max_concurrent,
            timeout: timeout_ms * MS,
            tolerable_failed_checkpoints: tolerable,
            num_retained,
            mode: if unaligned {
                CheckpointingMode::ExactlyOnceUnaligned
            } else {
                CheckpointingMode::ExactlyOnceAligned
            },
            ..CoordinatorConfig::default()
        },
    )
}

/// What the actions said so far, rebuilt independently of the coordinator.
#[derive(Default)]
struct Observed {
    log: Vec<CoordinatorAction>,
    kinds: BTreeMap<CheckpointId, SnapshotKind>,
    pending: BTreeSet<CheckpointId>,
    acked: BTreeMap<CheckpointId, BTreeSet<usize>>,
    finalizing: BTreeSet<CheckpointId>,
    completed: Vec<CheckpointId>,
    discarded: BTreeSet<CheckpointId>,
}

/// Drives a coordinator through `ops`, checking every action against the properties;
/// returns the final coordinator and what was observed.
fn run(config: CoordinatorConfig, ops: &[Op]) -> (CheckpointCoordinator, Observed) {
    let max_concurrent = config.max_concurrent_checkpoints;
    let unaligned = config.mode == CheckpointingMode::ExactlyOnceUnaligned;
    let mut c = coordinator(config, SUBTASKS);
    let mut seen = Observed::default();
    let mut now: Nanos = 0;
    c.start_scheduler(0);

    let observe = |c: &mut CheckpointCoordinator, seen: &mut Observed, finalize_called: Option<CheckpointId>| {
        while let Some(action) = c.poll_action() {
            seen.log.push(action);
            match action {
                A::TriggerCheckpoint { barrier, .. } => {
                    let id = barrier.checkpoint_id;
                    let previous = seen.kinds.keys().next_back().copied().unwrap_or(0);
                    assert_eq!(id, previous + 1, "ids increase without gaps");
                    seen.kinds.insert(id, barrier.kind);
                    seen.pending.insert(id);
                    let limited = seen
                        .pending
                        .iter()
                        .filter(|p| unaligned || seen.kinds[*p] == SnapshotKind::Checkpoint)
                        .count();
                    assert!(limited <= max_concurrent, "{limited} pending > {max_concurrent}");
                }
                A::WriteMetadata { checkpoint_id, .. } => {
                    assert!(seen.pending.contains(&checkpoint_id));
                    assert_eq!(
                        seen.acked.get(&checkpoint_id).map_or(0, BTreeSet::len),
                        SUBTASKS,
                        "metadata written only after every subtask acknowledged"
                    );
                    assert!(seen.finalizing.insert(checkpoint_id));
                }
                A::NotifyCheckpointComplete { checkpoint_id, .. } | A::SavepointCompleted { checkpoint_id } => {
                    assert_eq!(finalize_called, Some(checkpoint_id));
                    assert!(seen.finalizing.contains(&checkpoint_id));
                    assert!(seen.pending.remove(&checkpoint_id), "completed at most once");
                    if matches!(action, A::NotifyCheckpointComplete { .. }) {
                        assert_eq!(seen.kinds[&checkpoint_id], SnapshotKind::Checkpoint);
                        assert!(
                            seen.completed.last().is_none_or(|&last| last < checkpoint_id),
                            "checkpoints complete in id order"
                        );
                        seen.completed.push(checkpoint_id);
                    }
                }
                A::NotifyCheckpointAborted { checkpoint_id, .. } => {
                    assert!(seen.pending.remove(&checkpoint_id), "aborted at most once");
                }
                A::DiscardCheckpoint { checkpoint_id, cause } => {
                    assert!(seen.discarded.insert(checkpoint_id), "discarded once");
                    if cause == DiscardCause::Subsumed {
                        assert!(seen.completed.contains(&checkpoint_id));
                    }
                }
                A::TriggerRequestDropped { .. } | A::FailJob { .. } => {}
                A::NotifySubtaskCheckpointComplete { .. } | A::TruncateLog { .. } => {
                    panic!("Flink's coordinator has no recovery line: {action:?}")
                }
            }
        }
    };

    for op in ops {
        let mut finalize_called = None;
        let pending: Vec<CheckpointId> = seen.pending.iter().copied().collect();
        let pick = |i: usize| (!pending.is_empty()).then(|| pending[i % pending.len()]);
        match *op {
            Op::Advance(dt) => {
                let target = now + dt;
                let mut rounds = 0;
                while let Some(at) = c.poll_timeout().filter(|&at| at <= target) {
                    now = now.max(at);
                    c.handle_timeout(now);
                    observe(&mut c, &mut seen, None);
                    rounds += 1;
                    assert!(rounds < 1_000, "timers must make progress");
                }
                now = target;
            }
            Op::Ack { pick: i, subtask } => {
                if let Some(id) = pick(i)
                    && c.acknowledge(now, id, subtask, SubtaskAck::default()) == MessageOutcome::Accepted
                {
                    seen.acked.entry(id).or_default().insert(subtask);
                }
            }
            Op::Decline {
                pick: i,
                subtask,
                counted,
            } => {
                if let Some(id) = pick(i) {
                    let reason = if counted {
                        Reason::CheckpointDeclined
                    } else {
                        Reason::CheckpointDeclinedTaskNotReady
                    };
                    c.decline(now, id, subtask, reason);
                }
            }
            Op::Finalize { pick: i, ok } => {
                let finalizing: Vec<CheckpointId> = seen.finalizing.intersection(&seen.pending).copied().collect();
                if !finalizing.is_empty() {
                    let id = finalizing[i % finalizing.len()];
                    finalize_called = Some(id);
                    if ok {
                        c.finalize_complete(now, id);
                    } else {
                        c.finalize_failed(now, id);
                    }
                }
            }
            Op::Manual => {
                c.trigger_checkpoint(now, SnapshotKind::Checkpoint);
            }
            Op::Savepoint => {
                c.trigger_savepoint(now);
            }
        }
        observe(&mut c, &mut seen, finalize_called);
    }
    (c, seen)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Checkpoint ids are triggered in increasing order without gaps, and no more than
    // max-concurrent checkpoints (forced savepoints aside) are ever pending at once.
    #[test]
    fn ids_increase_and_concurrency_stays_bounded(
        config in random_config(),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        // The assertions run inside `run`, on every action.
        let (c, seen) = run(config, &ops);
        prop_assert_eq!(c.pending_checkpoints(), seen.pending.iter().copied().collect::<Vec<_>>());
    }

    // A checkpoint completes at most once, only after every subtask acknowledged it and
    // its metadata write finished, and checkpoints complete in increasing id order.
    #[test]
    fn completion_happens_once_after_all_acks_and_metadata(
        config in random_config(),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let (c, seen) = run(config, &ops);
        let completed_in_stats: Vec<CheckpointId> = c
            .history()
            .iter()
            .filter(|s| s.status == CheckpointStatus::Completed && !s.is_savepoint)
            .map(|s| s.checkpoint_id)
            .collect();
        prop_assert_eq!(completed_in_stats, seen.completed.clone());
        for s in c.history().iter().filter(|s| s.status == CheckpointStatus::Completed) {
            prop_assert_eq!(s.num_acknowledged_subtasks, SUBTASKS);
            prop_assert!(s.completion_timestamp >= s.all_acknowledged_timestamp);
        }
    }

    // Statistics agree with the actions: every triggered checkpoint appears once in id
    // order, the counts add up, and the store holds at most num-retained checkpoints,
    // none of them a savepoint or a discarded one, the newest being the latest completed.
    #[test]
    fn stats_and_retention_agree_with_actions(
        config in random_config(),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let num_retained = config.num_retained;
        let (c, seen) = run(config, &ops);
        let ids: Vec<CheckpointId> = c.history().iter().map(|s| s.checkpoint_id).collect();
        prop_assert_eq!(ids, seen.kinds.keys().copied().collect::<Vec<_>>());
        let counts = c.counts();
        prop_assert_eq!(counts.triggered, counts.in_progress + counts.completed + counts.failed);
        prop_assert_eq!(counts.in_progress as usize, seen.pending.len());
        let retained = c.retained_checkpoints();
        prop_assert!(retained.len() <= num_retained);
        for id in &retained {
            prop_assert_eq!(seen.kinds[id], SnapshotKind::Checkpoint);
            prop_assert!(!seen.discarded.contains(id));
        }
        prop_assert_eq!(c.latest_completed(), seen.completed.last().copied());
    }
}

#[test]
fn same_inputs_give_the_same_actions() {
    let ops: Vec<Op> = (0..200)
        .map(|i| match i % 7 {
            0 => Op::Advance(37 * MS),
            1..=3 => Op::Ack {
                pick: i,
                subtask: i % SUBTASKS,
            },
            4 => Op::Finalize { pick: i, ok: true },
            5 => Op::Savepoint,
            _ => Op::Decline {
                pick: i,
                subtask: 0,
                counted: i % 2 == 0,
            },
        })
        .collect();
    let config = CoordinatorConfig {
        interval: Some(100 * MS),
        max_concurrent_checkpoints: 2,
        tolerable_failed_checkpoints: 1,
        ..CoordinatorConfig::default()
    };
    let (_, first) = run(config.clone(), &ops);
    let (_, second) = run(config, &ops);
    assert!(first.log.len() > 20, "the scenario does something");
    assert_eq!(first.log, second.log);
}

/// `CheckpointCoordinator.receiveDeclineMessage`: a decline aborts the pending checkpoint
/// it names whoever sent it, including an execution attempt the checkpoint does not
/// wait for (here a subtask that finished before the trigger).
#[test]
fn decline_from_a_subtask_not_awaited_still_aborts() {
    let mut c = coordinator(config(), 3);
    c.subtask_finished(0, 2);
    c.trigger_checkpoint(MS, SnapshotKind::Checkpoint);
    drain(&mut c);
    assert_eq!(
        c.decline(2 * MS, 1, 2, Reason::CheckpointDeclinedTaskNotReady),
        MessageOutcome::Accepted
    );
    assert_eq!(
        drain(&mut c),
        aborted(1, Reason::CheckpointDeclinedTaskNotReady).to_vec()
    );
    assert_eq!(c.stats(1).unwrap().status, CheckpointStatus::Failed);
}

/// `DefaultCheckpointPlanCalculator.checkTasksStarted` (DefaultCheckpointPlanCalculatorTest,
/// CheckpointCoordinatorTest `testCheckpointAbortsIfTriggerTasksAreNotExecuted`) and the
/// real Flink 2.3 runs in shared/flink-live: a trigger while a task is still deploying
/// fails with NOT_ALL_REQUIRED_TASKS_RUNNING before a checkpoint is created. It counts as
/// triggered and failed, takes no id, leaves no history entry, and does not count toward
/// the tolerable failures; the next trigger once the tasks run is checkpoint 1.
#[test]
fn trigger_before_tasks_run_fails_without_a_checkpoint() {
    let mut c = coordinator(config(), 2); // tolerable = 0
    c.set_tasks_running(0, false);
    c.trigger_checkpoint(0, SnapshotKind::Checkpoint);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            0,
            SnapshotKind::Checkpoint,
            false,
            Reason::NotAllRequiredTasksRunning
        )]
    );
    assert_eq!(c.history(), &[]);
    assert_eq!(c.next_checkpoint_id(), 1);
    assert_eq!(
        c.counts(),
        CheckpointCounts {
            triggered: 1,
            in_progress: 0,
            completed: 0,
            failed: 1,
            restored: 0,
        }
    );
    assert_eq!(c.consecutive_failures(), 0);
    c.set_tasks_running(MS, true);
    c.trigger_checkpoint(2 * MS, SnapshotKind::Checkpoint);
    assert_eq!(drain(&mut c), vec![triggered(1, 2 * MS, SnapshotKind::Checkpoint, 1)]);
    assert_eq!(c.counts().triggered, 2);
}

/// The periodic scheduler starts with the job, before its tasks run: its first tick at
/// the initial delay fails, the next one an interval later is checkpoint 1 (the shape of
/// every shared/flink-live run: `counts.failed` 1, history from id 1).
#[test]
fn first_periodic_trigger_meets_deploying_tasks() {
    let mut c = coordinator(
        CoordinatorConfig {
            interval: Some(100 * MS),
            initial_delay: Some(0),
            ..config()
        },
        1,
    );
    c.set_tasks_running(0, false);
    c.start_scheduler(0);
    assert_eq!(c.poll_timeout(), Some(0));
    c.handle_timeout(0);
    assert_eq!(
        drain(&mut c),
        vec![dropped(
            0,
            SnapshotKind::Checkpoint,
            true,
            Reason::NotAllRequiredTasksRunning
        )]
    );
    c.set_tasks_running(30 * MS, true);
    assert_eq!(c.poll_timeout(), Some(100 * MS));
    c.handle_timeout(100 * MS);
    assert_eq!(drain(&mut c), vec![triggered(1, 100 * MS, SnapshotKind::Checkpoint, 1)]);
    assert_eq!(c.counts().failed, 1);
    assert_eq!(c.history().len(), 1);
}
