//! The coordinator's transitions between named states: request → CollectingAcks →
//! Finalizing → Completed, and any pending state → Failed. The public inputs in
//! `mod.rs` only route to these.

use super::request_decider::{Choice, TriggerRequest};
use super::{
    CheckpointCoordinator, CoordinatorAction, DiscardCause, FailureOrigin, Lifecycle, PendingCheckpoint, PendingPhase,
    PeriodicScheduler, RequestId,
};
use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, CheckpointingMode, Nanos, SnapshotKind};

impl CheckpointCoordinator {
    pub(super) fn emit(&mut self, action: CoordinatorAction) {
        self.actions.push_back(action);
    }

    pub(super) fn is_finalizing(&self, checkpoint_id: CheckpointId) -> bool {
        self.lifecycle == Lifecycle::Running
            && self
                .pending
                .get(&checkpoint_id)
                .is_some_and(|pending| pending.phase == PendingPhase::Finalizing)
    }

    /// Savepoints are forced (bypass max-concurrent) unless checkpoints are unaligned,
    /// as Flink's `triggerSavepoint` decides.
    pub(super) fn is_forced(&self, kind: SnapshotKind) -> bool {
        kind == SnapshotKind::Savepoint && self.config.mode != CheckpointingMode::ExactlyOnceUnaligned
    }

    pub(super) fn submit_request(&mut self, now: Nanos, kind: SnapshotKind, periodic: bool) -> RequestId {
        let request = TriggerRequest {
            id: self.next_request_id,
            kind,
            periodic,
            forced: self.is_forced(kind),
            requested_at: now,
        };
        self.next_request_id += 1;
        if self.lifecycle == Lifecycle::ShutDown {
            self.drop_request(request, CheckpointFailureReason::CheckpointCoordinatorShutdown);
            return request.id;
        }
        if let Some(dropped) = self.decider.enqueue(request) {
            self.drop_request(dropped, CheckpointFailureReason::TooManyCheckpointRequests);
        }
        self.run_queued_requests(now);
        request.id
    }

    pub(super) fn drop_request(&mut self, request: TriggerRequest, reason: CheckpointFailureReason) {
        self.emit(CoordinatorAction::TriggerRequestDropped {
            request_id: request.id,
            kind: request.kind,
            periodic: request.periodic,
            reason,
        });
    }

    /// Triggers queued requests while the decider lets them run.
    pub(super) fn run_queued_requests(&mut self, now: Nanos) {
        loop {
            match self.decider.choose(now, self.pending.len(), self.last_completion) {
                Choice::Execute(request) => self.start_checkpoint(now, request),
                Choice::Wait => return,
                Choice::DropForMinPause { request, retry_at } => {
                    self.drop_request(request, CheckpointFailureReason::MinimumTimeBetweenCheckpoints);
                    // Flink's `rescheduleTrigger`: also out of a backlog pause, whose
                    // retried trigger then schedules no successor.
                    if self.scheduler != PeriodicScheduler::Stopped {
                        self.scheduler = PeriodicScheduler::Scheduled { next_trigger: retry_at };
                    }
                    return;
                }
            }
        }
    }

    /// Request → CollectingAcks, or a trigger failure when a task is not running (Flink's
    /// checkpoint plan calculation fails before the checkpoint gets an id).
    pub(super) fn start_checkpoint(&mut self, now: Nanos, request: TriggerRequest) {
        if !self.tasks_running {
            self.stats.report_failed_without_in_progress();
            self.drop_request(request, CheckpointFailureReason::NotAllRequiredTasksRunning);
            return;
        }
        let checkpoint_id = self.next_checkpoint_id;
        self.next_checkpoint_id += 1;
        let awaiting = self.running_subtasks.clone();
        self.stats
            .report_pending(checkpoint_id, request.kind, now, self.num_subtasks);
        for finished in (0..self.num_subtasks).filter(|st| !awaiting.contains(st)) {
            self.stats.report_finished_at_trigger(checkpoint_id, finished, now);
        }
        let nobody_to_wait_for = awaiting.is_empty();
        self.pending.insert(
            checkpoint_id,
            PendingCheckpoint {
                kind: request.kind,
                deadline: now.saturating_add(self.config.timeout),
                metadata_bytes: 0,
                phase: PendingPhase::CollectingAcks { awaiting },
            },
        );
        self.emit(CoordinatorAction::TriggerCheckpoint {
            barrier: Barrier {
                checkpoint_id,
                trigger_timestamp: now,
                kind: request.kind,
            },
            request_id: request.id,
        });
        if nobody_to_wait_for {
            self.start_finalizing(now, checkpoint_id);
        }
    }

    /// CollectingAcks → Finalizing.
    pub(super) fn start_finalizing(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        let pending = self
            .pending
            .get_mut(&checkpoint_id)
            .expect("checkpoint to finalize is pending");
        pending.phase = PendingPhase::Finalizing;
        let bytes = self.config.metadata_base_bytes + pending.metadata_bytes;
        self.stats.report_all_acknowledged(checkpoint_id, now, bytes);
        self.emit(CoordinatorAction::WriteMetadata { checkpoint_id, bytes });
    }

    /// Finalizing → Completed: retain it, let older pending checkpoints go, notify.
    pub(super) fn complete(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        let completed = self
            .pending
            .remove(&checkpoint_id)
            .expect("finalizing checkpoint is pending");
        self.stats.report_completed(checkpoint_id, now);
        self.failures.on_success(checkpoint_id);
        self.last_completion = Some(now);
        match completed.kind {
            SnapshotKind::Checkpoint => {
                let fell_out = self.store.add_and_subsume_oldest(checkpoint_id);
                // An unowned snapshot falls out of retention but stays in storage.
                for old in self.owned(fell_out.clone()) {
                    self.emit(CoordinatorAction::DiscardCheckpoint {
                        checkpoint_id: old,
                        cause: DiscardCause::Subsumed,
                    });
                }
                self.abort_subsumed_by(now, checkpoint_id);
                self.emit(CoordinatorAction::NotifyCheckpointComplete {
                    checkpoint_id,
                    last_subsumed: fell_out.last().copied(),
                });
            }
            SnapshotKind::Savepoint => {
                self.emit(CoordinatorAction::SavepointCompleted { checkpoint_id });
            }
        }
    }

    /// CollectingAcks | Finalizing → Failed.
    pub(super) fn abort(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        reason: CheckpointFailureReason,
        origin: FailureOrigin,
    ) {
        let Some(aborted) = self.pending.remove(&checkpoint_id) else {
            return;
        };
        self.stats.report_failed(checkpoint_id, now, reason);
        self.emit(CoordinatorAction::NotifyCheckpointAborted { checkpoint_id, reason });
        self.emit(CoordinatorAction::DiscardCheckpoint {
            checkpoint_id,
            cause: DiscardCause::Aborted,
        });
        if self.failures.on_failure(checkpoint_id, aborted.kind, origin, reason) {
            self.emit(CoordinatorAction::FailJob { checkpoint_id, reason });
        }
    }

    /// A completed checkpoint makes older pending checkpoints pointless; savepoints
    /// are the user's and run on.
    pub(super) fn abort_subsumed_by(&mut self, now: Nanos, completed: CheckpointId) {
        let subsumed: Vec<CheckpointId> = self
            .pending
            .range(..completed)
            .filter(|(_, pending)| pending.kind == SnapshotKind::Checkpoint)
            .map(|(&id, _)| id)
            .collect();
        for id in subsumed {
            self.abort(
                now,
                id,
                CheckpointFailureReason::CheckpointSubsumed,
                FailureOrigin::Coordinator,
            );
        }
    }

    /// Drops every queued request and aborts every pending checkpoint with `reason`.
    pub(super) fn abort_everything(&mut self, now: Nanos, reason: CheckpointFailureReason) {
        for request in self.decider.drain() {
            self.drop_request(request, reason);
        }
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(now, id, reason, FailureOrigin::Coordinator);
        }
    }
}
