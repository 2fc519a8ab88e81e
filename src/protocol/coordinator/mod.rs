//! The checkpoint coordinator: Flink's `CheckpointCoordinator` as a sans-IO state
//! machine.
//!
//! It decides when a checkpoint starts, collects acknowledgements, has the metadata
//! written, and decides what completes, what is aborted, what is deleted and when the
//! job must fail. The caller tells it what happened (method calls with `now`) and then
//! drains what to do: `poll_action` until `None`, then `poll_timeout` for the instant
//! at which to call `handle_timeout`.
//!
//! A checkpoint moves through these states:
//!
//! ```text
//!  trigger_checkpoint / trigger_savepoint / periodic tick
//!        │  queued by the request decider, or dropped: TOO_MANY_CHECKPOINT_REQUESTS,
//!        │  MINIMUM_TIME_BETWEEN_CHECKPOINTS, CHECKPOINT_COORDINATOR_SUSPEND / _SHUTDOWN;
//!        │  fails without an id while a task is not running: NOT_ALL_REQUIRED_TASKS_RUNNING
//!        ▼  TriggerCheckpoint
//!  CollectingAcks ──last ack: WriteMetadata──► Finalizing ──finalize_complete──► Completed
//!        │                                        │          NotifyCheckpointComplete
//!        └──── decline, expiry, subsumed, abort ──┴──► Failed: NotifyCheckpointAborted
//! ```
//!
//! The caller's contract:
//! - after every input, drain `poll_action` and act on each action in order, then
//!   call `handle_timeout(t)` when time reaches `t = poll_timeout()`;
//! - `TriggerCheckpoint`: inject the barrier at every source subtask; each subtask
//!   later calls `acknowledge` or `decline` for it;
//! - `WriteMetadata`: write that many bytes to checkpoint storage, then call
//!   `finalize_complete` (or `finalize_failed`);
//! - `NotifyCheckpointComplete` / `NotifyCheckpointAborted`: deliver to every subtask;
//!   `DiscardCheckpoint`: delete the checkpoint's files; `FailJob`: fail over the job
//!   (`stop_scheduler`, `restore_latest_checkpoint`, `start_scheduler`);
//! - the job's life: `start_scheduler` when it runs, `set_tasks_running` as its tasks
//!   are deployed and lost, `subtask_finished` as inputs end,
//!   `abort_pending_checkpoints(JOB_FAILOVER)` on a partial restart, `shutdown` at
//!   the end; `set_is_processing_backlog` as sources start and stop processing
//!   backlog (the periodic interval is then `interval-during-backlog`).
//!
//! Where this differs from Flink, it is because Flink finalizes synchronously on its
//! coordinator thread while here the metadata write takes simulated time: a
//! checkpoint that is finalizing still holds a concurrency slot, can still expire and
//! can be subsumed by a newer one that finishes first; declines for it are ignored
//! (every subtask has acknowledged).

mod actions;
mod config;
mod failure_manager;
mod request_decider;
mod stats;
mod store;
mod transitions;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use actions::{CoordinatorAction, DiscardCause, MessageOutcome};
pub use config::{
    ConfigError, CoordinatorConfig, DEFAULT_MAX_QUEUED_REQUESTS, ExternalizedCheckpointRetention, JobTermination,
    RecoveryClaimMode, UNLIMITED_TOLERABLE_FAILURES,
};
pub use failure_manager::counts_toward_tolerable_failures;
pub use stats::{
    CheckpointCounts, CheckpointStats, CheckpointStatus, RestoredCheckpointStats, SubtaskAck, SubtaskAckRecord,
};

use failure_manager::{FailureCounter, FailureOrigin};
use request_decider::RequestDecider;
pub(crate) use stats::StatsTracker;
use store::CompletedCheckpointStore;

use crate::protocol::types::{CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

/// Index of a subtask that must acknowledge checkpoints (`0..num_subtasks`).
pub type SubtaskId = usize;

/// Names a trigger request, so the caller can match a manual checkpoint or savepoint
/// request to the checkpoint that served it or to the reason it was dropped.
pub type RequestId = u64;

/// Whether periodic checkpoints are being triggered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeriodicScheduler {
    Stopped,
    Scheduled {
        next_trigger: Nanos,
    },
    /// Periodic checkpoints are on, but a source processes backlog and
    /// `interval-during-backlog` is 0: no trigger is scheduled until the backlog ends
    /// (Flink's `ScheduledTrigger` then schedules no successor).
    Paused,
}

/// Names a source operator when it reports `isProcessingBacklog` (Flink's `OperatorID`);
/// the caller chooses the numbering.
pub type SourceId = usize;

/// Whether the coordinator still accepts input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lifecycle {
    Running,
    ShutDown,
}

/// Where a triggered, not yet finished checkpoint stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PendingPhase {
    /// Barriers are travelling; these subtasks have not acknowledged yet.
    CollectingAcks { awaiting: BTreeSet<SubtaskId> },
    /// Everything is acknowledged; the metadata file is being written.
    Finalizing,
}

/// A checkpoint between trigger and completion or abort (Flink's `PendingCheckpoint`).
#[derive(Clone, Debug)]
struct PendingCheckpoint {
    kind: SnapshotKind,
    /// When `execution.checkpointing.timeout` expires it.
    deadline: Nanos,
    metadata_bytes: u64,
    phase: PendingPhase,
}

/// The checkpoint coordinator of one job.
#[derive(Clone, Debug)]
pub struct CheckpointCoordinator {
    config: CoordinatorConfig,
    /// Subtasks of the job, finished or not.
    num_subtasks: usize,
    /// Subtasks the next checkpoint waits for (finished ones are left out).
    running_subtasks: BTreeSet<SubtaskId>,
    /// Whether every task is deployed and running; a trigger while not fails.
    tasks_running: bool,
    next_checkpoint_id: CheckpointId,
    next_request_id: RequestId,
    lifecycle: Lifecycle,
    scheduler: PeriodicScheduler,
    pending: BTreeMap<CheckpointId, PendingCheckpoint>,
    decider: RequestDecider,
    failures: FailureCounter,
    store: CompletedCheckpointStore,
    stats: StatsTracker,
    /// For min-pause: when the last checkpoint or savepoint completed.
    last_completion: Option<Nanos>,
    /// Sources whose last report was `isProcessingBacklog = true` (Flink's
    /// `backlogOperators`).
    backlog_sources: BTreeSet<SourceId>,
    /// A snapshot the job started from without owning it (`NO_CLAIM`, `LEGACY`): it
    /// is retained for recovery like a checkpoint but never deleted.
    unowned: Option<CheckpointId>,
    actions: VecDeque<CoordinatorAction>,
}

impl CheckpointCoordinator {
    /// A coordinator for a fresh job whose checkpoints must be acknowledged by
    /// `num_subtasks` subtasks. Periodic checkpoints start with `start_scheduler`.
    pub fn new(config: CoordinatorConfig, num_subtasks: usize) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            num_subtasks,
            running_subtasks: (0..num_subtasks).collect(),
            tasks_running: true,
            next_checkpoint_id: 1,
            next_request_id: 0,
            lifecycle: Lifecycle::Running,
            scheduler: PeriodicScheduler::Stopped,
            pending: BTreeMap::new(),
            decider: RequestDecider::new(
                config.max_concurrent_checkpoints,
                config.min_pause,
                config.max_queued_requests,
            ),
            failures: FailureCounter::new(config.tolerable_failed_checkpoints),
            store: CompletedCheckpointStore::new(config.num_retained),
            stats: StatsTracker::default(),
            last_completion: None,
            backlog_sources: BTreeSet::new(),
            unowned: None,
            actions: VecDeque::new(),
            config,
        })
    }

    /// A coordinator taking over after a JobManager failover: `latest_completed` is
    /// retained (and restorable) and ids continue after it.
    pub fn resume_from(
        config: CoordinatorConfig,
        num_subtasks: usize,
        latest_completed: CheckpointId,
    ) -> Result<Self, ConfigError> {
        let mut coordinator = Self::new(config, num_subtasks)?;
        coordinator.store.add_and_subsume_oldest(latest_completed);
        coordinator.next_checkpoint_id = latest_completed + 1;
        Ok(coordinator)
    }

    /// The job ended and is submitted again from snapshot `id` (a savepoint, or a
    /// checkpoint the ended job retained), as Flink's `CheckpointCoordinator
    /// .restoreSavepoint` does for a new job: the snapshot becomes the one retained
    /// checkpoint (so a restore, and a failover before the first checkpoint completes,
    /// use it), ids continue after it, and `mode` says whether the job may delete it.
    /// The statistics go on in the same history, so one run shows both jobs; ids stay
    /// unique in it, so they also continue after any the ended job had triggered.
    /// The tasks are not running until `set_tasks_running`; periodic checkpoints start
    /// with `start_scheduler`.
    pub fn start_from_snapshot(&mut self, id: CheckpointId, mode: RecoveryClaimMode) {
        let mut job = Self::new(self.config.clone(), self.num_subtasks).expect("validated at the first start");
        job.stats = std::mem::take(&mut self.stats);
        job.next_request_id = self.next_request_id;
        job.next_checkpoint_id = self.next_checkpoint_id.max(id + 1);
        job.tasks_running = false;
        job.store.add_and_subsume_oldest(id);
        job.unowned = (!mode.owns_snapshot()).then_some(id);
        *self = job;
    }

    /// Of checkpoints to delete, those the job owns.
    fn owned(&self, ids: Vec<CheckpointId>) -> Vec<CheckpointId> {
        ids.into_iter().filter(|&id| Some(id) != self.unowned).collect()
    }

    // ---------------------------------------------------------------------------
    // Inputs
    // ---------------------------------------------------------------------------

    /// Starts periodic checkpoints (Flink does this when the job reaches RUNNING).
    /// A running scheduler is stopped first, aborting pending checkpoints, as in Flink.
    pub fn start_scheduler(&mut self, now: Nanos) {
        let Some(interval) = self.config.effective_interval() else {
            return;
        };
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        if self.scheduler != PeriodicScheduler::Stopped {
            self.stop_scheduler(now);
        }
        let delay = self.config.initial_delay.unwrap_or(interval);
        self.scheduler = PeriodicScheduler::Scheduled {
            next_trigger: now.saturating_add(delay),
        };
    }

    /// The job's input ended: no further periodic checkpoints, while the pending ones
    /// may still complete (their barriers are already on their way).
    pub fn stop_periodic_triggers(&mut self) {
        self.scheduler = PeriodicScheduler::Stopped;
        self.decider.drop_periodic();
    }

    /// Stops periodic checkpoints and aborts everything pending or queued with
    /// `CHECKPOINT_COORDINATOR_SUSPEND` (Flink does this when the job leaves RUNNING,
    /// e.g. on failover).
    pub fn stop_scheduler(&mut self, now: Nanos) {
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        self.scheduler = PeriodicScheduler::Stopped;
        self.abort_everything(now, CheckpointFailureReason::CheckpointCoordinatorSuspend);
    }

    /// Requests a checkpoint or savepoint now (REST "trigger checkpoint" or
    /// "trigger savepoint"). It may run at once, wait for a free slot, or be dropped.
    pub fn trigger_checkpoint(&mut self, now: Nanos, kind: SnapshotKind) -> RequestId {
        self.submit_request(now, kind, false)
    }

    /// Requests a savepoint now.
    pub fn trigger_savepoint(&mut self, now: Nanos) -> RequestId {
        self.trigger_checkpoint(now, SnapshotKind::Savepoint)
    }

    /// A subtask acknowledged a checkpoint with these figures. The last missing
    /// acknowledgement starts finalization (`WriteMetadata`).
    pub fn acknowledge(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        ack: SubtaskAck,
    ) -> MessageOutcome {
        if self.lifecycle == Lifecycle::ShutDown {
            return MessageOutcome::NotPending;
        }
        let Some(pending) = self.pending.get_mut(&checkpoint_id) else {
            return MessageOutcome::NotPending;
        };
        let PendingPhase::CollectingAcks { awaiting } = &mut pending.phase else {
            return if self.stats.has_ack(checkpoint_id, subtask) {
                MessageOutcome::Duplicate
            } else {
                MessageOutcome::NotPending
            };
        };
        if !awaiting.remove(&subtask) {
            return if self.stats.has_ack(checkpoint_id, subtask) {
                MessageOutcome::Duplicate
            } else {
                MessageOutcome::UnknownSubtask
            };
        }
        pending.metadata_bytes += ack.metadata_bytes;
        let all_acknowledged = awaiting.is_empty();
        self.stats.report_ack(checkpoint_id, subtask, now, ack);
        if all_acknowledged {
            self.start_finalizing(now, checkpoint_id);
        }
        MessageOutcome::Accepted
    }

    /// A subtask declined a checkpoint: it is aborted with `reason`, which counts
    /// toward the tolerable failures if Flink counts it. As in Flink's
    /// `receiveDeclineMessage`, any decline of a checkpoint still collecting
    /// acknowledgements aborts it, even from a subtask it does not wait for.
    pub fn decline(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        reason: CheckpointFailureReason,
    ) -> MessageOutcome {
        if self.lifecycle == Lifecycle::ShutDown {
            return MessageOutcome::NotPending;
        }
        let Some(pending) = self.pending.get(&checkpoint_id) else {
            return MessageOutcome::NotPending;
        };
        if !matches!(pending.phase, PendingPhase::CollectingAcks { .. }) {
            return MessageOutcome::NotPending;
        }
        // Neither who declines nor whether it already acknowledged matters (e.g. it failed
        // while others align, or it is an attempt the checkpoint does not wait for).
        let _ = subtask;
        self.abort(now, checkpoint_id, reason, FailureOrigin::Task);
        self.run_queued_requests(now);
        MessageOutcome::Accepted
    }

    /// The metadata file is written: the checkpoint is complete. Ignored unless the
    /// checkpoint is finalizing (it may have expired or been subsumed meanwhile; its
    /// files were already handed out with `DiscardCheckpoint`).
    pub fn finalize_complete(&mut self, now: Nanos, checkpoint_id: CheckpointId) -> MessageOutcome {
        if !self.is_finalizing(checkpoint_id) {
            return MessageOutcome::NotPending;
        }
        self.complete(now, checkpoint_id);
        self.run_queued_requests(now);
        MessageOutcome::Accepted
    }

    /// Writing the metadata failed: the checkpoint is aborted with
    /// `FINALIZE_CHECKPOINT_FAILURE`, which counts toward the tolerable failures
    /// (FLINK-32347).
    pub fn finalize_failed(&mut self, now: Nanos, checkpoint_id: CheckpointId) -> MessageOutcome {
        if !self.is_finalizing(checkpoint_id) {
            return MessageOutcome::NotPending;
        }
        self.abort(
            now,
            checkpoint_id,
            CheckpointFailureReason::FinalizeCheckpointFailure,
            FailureOrigin::Coordinator,
        );
        self.run_queued_requests(now);
        MessageOutcome::Accepted
    }

    /// The caller gave up on one pending checkpoint for a coordinator-side reason, e.g.
    /// `TRIGGER_CHECKPOINT_FAILURE` when a barrier could not be injected.
    pub fn abort_checkpoint(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        reason: CheckpointFailureReason,
    ) -> MessageOutcome {
        if self.lifecycle == Lifecycle::ShutDown || !self.pending.contains_key(&checkpoint_id) {
            return MessageOutcome::NotPending;
        }
        self.abort(now, checkpoint_id, reason, FailureOrigin::Coordinator);
        self.run_queued_requests(now);
        MessageOutcome::Accepted
    }

    /// Aborts every pending checkpoint, e.g. with `JOB_FAILOVER` when tasks restart;
    /// queued requests and the periodic scheduler are left alone.
    pub fn abort_pending_checkpoints(&mut self, now: Nanos, reason: CheckpointFailureReason) {
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(now, id, reason, FailureOrigin::Coordinator);
        }
        self.run_queued_requests(now);
    }

    /// A subtask finished (its input ended): later checkpoints do not wait for it.
    /// Checkpoints already pending still do, as with Flink's final checkpoints.
    pub fn subtask_finished(&mut self, _now: Nanos, subtask: SubtaskId) {
        self.running_subtasks.remove(&subtask);
    }

    /// A source reports whether it is processing backlog (Flink's
    /// `CheckpointCoordinator.setIsProcessingBacklog`). While any source is, periodic
    /// checkpoints follow `interval-during-backlog`. Each trigger schedules its successor
    /// with the interval current when it fires, so a longer interval takes effect after
    /// the next trigger; a report that makes the interval shorter reschedules the next
    /// trigger to `now` + that interval if that is sooner, and ends a pause.
    ///
    /// Flink reschedules even when periodic scheduling is stopped (the trigger then fails
    /// with `PERIODIC_SCHEDULER_SHUTDOWN`); here a stopped scheduler stays stopped.
    pub fn set_is_processing_backlog(&mut self, now: Nanos, source: SourceId, backlog: bool) {
        if backlog {
            self.backlog_sources.insert(source);
        } else {
            self.backlog_sources.remove(&source);
        }
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        let Some(interval) = self.current_interval() else {
            return;
        };
        let sooner = now.saturating_add(interval);
        match self.scheduler {
            PeriodicScheduler::Stopped => {}
            PeriodicScheduler::Scheduled { next_trigger } if sooner >= next_trigger => {}
            PeriodicScheduler::Scheduled { .. } | PeriodicScheduler::Paused => {
                self.scheduler = PeriodicScheduler::Scheduled { next_trigger: sooner };
            }
        }
    }

    /// Whether some source's last report was that it processes backlog.
    pub fn is_processing_backlog(&self) -> bool {
        !self.backlog_sources.is_empty()
    }

    /// The periodic interval now (Flink's `getCurrentCheckpointInterval`): the backlog
    /// interval while any source processes backlog; `None` when no periodic checkpoint
    /// is due.
    pub fn current_interval(&self) -> Option<Nanos> {
        if self.backlog_sources.is_empty() {
            self.config.effective_interval()
        } else {
            self.config.backlog_interval()
        }
    }

    /// Whether every task of the job is deployed and running. Flink starts the periodic
    /// scheduler when the job is RUNNING, before its tasks are deployed; a trigger that
    /// finds a task not running fails with `NOT_ALL_REQUIRED_TASKS_RUNNING` before a
    /// checkpoint is created (counted as failed, with no id and no history entry).
    pub fn set_tasks_running(&mut self, _now: Nanos, running: bool) {
        self.tasks_running = running;
    }

    /// Every task was deployed again (after a failover): later checkpoints wait for
    /// all of them, including those that had finished before.
    pub fn tasks_restarted(&mut self, num_subtasks: usize) {
        self.num_subtasks = num_subtasks;
        self.running_subtasks = (0..num_subtasks).collect();
    }

    /// `subtasks` were deployed again (a region failover): later checkpoints wait
    /// for them again, the others stay as they are.
    pub fn subtasks_restarted(&mut self, subtasks: &[usize]) {
        self.running_subtasks.extend(subtasks.iter().copied());
    }

    /// The job restarts from the latest retained checkpoint; returns its id (None if
    /// there is none) and counts the restore in the statistics.
    pub fn restore_latest_checkpoint(&mut self, now: Nanos) -> Option<CheckpointId> {
        let latest = self.store.latest()?;
        self.stats.report_restored(latest, now);
        Some(latest)
    }

    /// The job ended: everything pending or queued is aborted with
    /// `CHECKPOINT_COORDINATOR_SHUTDOWN`, retained checkpoints are deleted or kept as
    /// the externalized-checkpoint retention says, and further input is ignored.
    pub fn shutdown(&mut self, now: Nanos, termination: JobTermination) {
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        self.scheduler = PeriodicScheduler::Stopped;
        self.abort_everything(now, CheckpointFailureReason::CheckpointCoordinatorShutdown);
        let deleted = self.store.shutdown(termination, self.config.externalized_retention);
        for checkpoint_id in self.owned(deleted) {
            self.emit(CoordinatorAction::DiscardCheckpoint {
                checkpoint_id,
                cause: DiscardCause::JobTerminated,
            });
        }
        self.lifecycle = Lifecycle::ShutDown;
    }

    /// Time has reached `now`: expire overdue checkpoints, then fire the periodic
    /// trigger if it is due. Call it at (or after) the instant `poll_timeout` names.
    pub fn handle_timeout(&mut self, now: Nanos) {
        if self.lifecycle == Lifecycle::ShutDown {
            return;
        }
        let expired: Vec<CheckpointId> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            self.abort(
                now,
                id,
                CheckpointFailureReason::CheckpointExpired,
                FailureOrigin::Coordinator,
            );
        }
        self.run_queued_requests(now);
        while let PeriodicScheduler::Scheduled { next_trigger } = self.scheduler {
            if next_trigger > now {
                break;
            }
            // Fixed rate: the next tick counts from this one, not from `now`, at the
            // interval current now (Flink's `ScheduledTrigger.run`).
            self.scheduler = match self.current_interval() {
                Some(interval) => PeriodicScheduler::Scheduled {
                    next_trigger: next_trigger.saturating_add(interval),
                },
                None => PeriodicScheduler::Paused,
            };
            self.submit_request(now, SnapshotKind::Checkpoint, true);
        }
    }

    // ---------------------------------------------------------------------------
    // Outputs
    // ---------------------------------------------------------------------------

    /// The next thing the caller must do, oldest first.
    pub fn poll_action(&mut self) -> Option<CoordinatorAction> {
        self.actions.pop_front()
    }

    /// The next instant `handle_timeout` must be called: the periodic trigger or the
    /// earliest expiry of a pending checkpoint.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let next_trigger = match self.scheduler {
            PeriodicScheduler::Scheduled { next_trigger } => Some(next_trigger),
            PeriodicScheduler::Stopped | PeriodicScheduler::Paused => None,
        };
        let next_expiry = self.pending.values().map(|pending| pending.deadline).min();
        match (next_trigger, next_expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---------------------------------------------------------------------------
    // Queries
    // ---------------------------------------------------------------------------

    /// The configuration this coordinator runs with.
    pub fn config(&self) -> &CoordinatorConfig {
        &self.config
    }

    /// Subtasks of the job, finished or not.
    pub fn num_subtasks(&self) -> usize {
        self.num_subtasks
    }

    /// The newest retained checkpoint, which a restore would use (never a savepoint).
    pub fn latest_completed(&self) -> Option<CheckpointId> {
        self.store.latest()
    }

    /// Retained checkpoints, oldest first.
    pub fn retained_checkpoints(&self) -> Vec<CheckpointId> {
        self.store.retained()
    }

    /// Ids of checkpoints triggered and not yet completed or aborted, ascending.
    pub fn pending_checkpoints(&self) -> Vec<CheckpointId> {
        self.pending.keys().copied().collect()
    }

    /// Trigger requests waiting for a slot.
    pub fn num_queued_requests(&self) -> usize {
        self.decider.len()
    }

    /// The id the next triggered checkpoint will get.
    pub fn next_checkpoint_id(&self) -> CheckpointId {
        self.next_checkpoint_id
    }

    /// Consecutive counted failures since the last success or job failure.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures.continuous_failures()
    }

    /// Statistics of every checkpoint and savepoint triggered, in id order.
    pub fn history(&self) -> &[CheckpointStats] {
        self.stats.history()
    }

    /// Statistics of one checkpoint.
    pub fn stats(&self, checkpoint_id: CheckpointId) -> Option<&CheckpointStats> {
        self.stats.get(checkpoint_id)
    }

    /// Triggered / in progress / completed / failed / restored counts.
    pub fn counts(&self) -> CheckpointCounts {
        self.stats.counts()
    }

    /// The latest restore, if any.
    pub fn latest_restored(&self) -> Option<RestoredCheckpointStats> {
        self.stats.latest_restored()
    }

    /// Whether `shutdown` was called.
    pub fn is_shut_down(&self) -> bool {
        self.lifecycle == Lifecycle::ShutDown
    }
}
