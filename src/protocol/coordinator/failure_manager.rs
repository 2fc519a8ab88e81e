//! Consecutive-failure accounting, as Flink's `CheckpointFailureManager` does it:
//! only failures that say something about the job's health count, each checkpoint
//! counts once, a success resets the count, and exceeding
//! `execution.checkpointing.tolerable-failed-checkpoints` fails the job.

use std::collections::BTreeSet;

use super::config::UNLIMITED_TOLERABLE_FAILURES;
use crate::protocol::types::{CheckpointFailureReason, CheckpointId, SnapshotKind};

/// Who gave up on a checkpoint. Flink never counts coordinator-side savepoint
/// failures ("manual action, the failover will not help anyway") but does count a
/// subtask declining a savepoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FailureOrigin {
    /// The coordinator: expiry, finalization, trigger failure, shutdown.
    Coordinator,
    /// A subtask declined.
    Task,
}

/// Whether a failure with this reason counts toward the tolerable-failure limit
/// (Flink's `CheckpointFailureReason.isCountedAgainstFailureThreshold`, which
/// `CheckpointFailureManager.checkFailureCounter` applies). An I/O problem, a failed
/// asynchronous phase, a decline, an expiry and a failure to finalize the checkpoint
/// (FLINK-32347) count; failures caused by the coordinator's own bookkeeping (subsumed,
/// too many requests, shutdown), by tasks that are not running, not ready or closing, or
/// by a failover do not.
pub fn counts_toward_tolerable_failures(reason: CheckpointFailureReason) -> bool {
    use CheckpointFailureReason::*;
    match reason {
        IoException | CheckpointAsyncException | CheckpointDeclined | CheckpointExpired | FinalizeCheckpointFailure => {
            true
        }
        PeriodicSchedulerShutdown
        | TooManyCheckpointRequests
        | MinimumTimeBetweenCheckpoints
        | NotAllRequiredTasksRunning
        | CheckpointSubsumed
        | CheckpointCoordinatorSuspend
        | CheckpointCoordinatorShutdown
        | ChannelStateSharedStreamException
        | JobFailoverRegion
        | CheckpointDeclinedTaskNotReady
        | CheckpointDeclinedTaskClosing
        | CheckpointDeclinedOnCancellationBarrier
        | CheckpointDeclinedSubsumed
        | CheckpointDeclinedInputEndOfStream
        | TaskFailure
        | TaskCheckpointFailure
        | UnknownTaskCheckpointNotificationFailure
        | TriggerCheckpointFailure
        | BlockingOutputExist => false,
    }
}

/// The running count of consecutive counted failures.
#[derive(Clone, Debug)]
pub(super) struct FailureCounter {
    tolerable: u32,
    continuous_failures: u32,
    /// Checkpoints already counted since the last reset, so one checkpoint failing in
    /// two ways counts once.
    counted: BTreeSet<CheckpointId>,
    /// Failures of checkpoints older than the latest success say nothing new.
    last_succeeded: Option<CheckpointId>,
}

impl FailureCounter {
    pub(super) fn new(tolerable: u32) -> Self {
        Self {
            tolerable,
            continuous_failures: 0,
            counted: BTreeSet::new(),
            last_succeeded: None,
        }
    }

    pub(super) fn continuous_failures(&self) -> u32 {
        self.continuous_failures
    }

    /// Records a failed checkpoint; returns true when the limit is exceeded and the
    /// job must fail (the count then starts over, as in Flink).
    pub(super) fn on_failure(
        &mut self,
        checkpoint_id: CheckpointId,
        kind: SnapshotKind,
        origin: FailureOrigin,
        reason: CheckpointFailureReason,
    ) -> bool {
        if kind == SnapshotKind::Savepoint && origin == FailureOrigin::Coordinator {
            return false;
        }
        if self.last_succeeded.is_some_and(|last| checkpoint_id <= last) {
            return false;
        }
        if self.tolerable == UNLIMITED_TOLERABLE_FAILURES {
            return false;
        }
        if counts_toward_tolerable_failures(reason) && self.counted.insert(checkpoint_id) {
            self.continuous_failures += 1;
        }
        if self.continuous_failures > self.tolerable {
            self.reset();
            return true;
        }
        false
    }

    /// A completed checkpoint or savepoint resets the count.
    pub(super) fn on_success(&mut self, checkpoint_id: CheckpointId) {
        if self.last_succeeded.is_none_or(|last| checkpoint_id > last) {
            self.last_succeeded = Some(checkpoint_id);
            self.reset();
        }
    }

    fn reset(&mut self) {
        self.continuous_failures = 0;
        self.counted.clear();
    }
}
