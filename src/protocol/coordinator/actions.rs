//! What the coordinator tells its caller: actions to perform and the fate of each
//! message it was handed.

use super::RequestId;
use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, SnapshotKind};

/// Why the caller should delete a checkpoint's files from storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardCause {
    /// It fell out of `state.checkpoints.num-retained`.
    Subsumed,
    /// It never completed; its partial uploads are garbage.
    Aborted,
    /// The job ended and the externalized-checkpoint retention says delete.
    JobTerminated,
}

/// What the caller must do. Emitted in the order the caller should act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordinatorAction {
    /// Inject this barrier at every source subtask.
    TriggerCheckpoint { barrier: Barrier, request_id: RequestId },
    /// A trigger request will never run; tells its requester why.
    TriggerRequestDropped {
        request_id: RequestId,
        kind: SnapshotKind,
        periodic: bool,
        reason: CheckpointFailureReason,
    },
    /// Every subtask acknowledged: write the `_metadata` file of `bytes` to checkpoint
    /// storage, then call `finalize_complete` (or `finalize_failed`).
    WriteMetadata { checkpoint_id: CheckpointId, bytes: u64 },
    /// The checkpoint is complete: tell every subtask (two-phase-commit sinks commit
    /// now). `last_subsumed` is the newest checkpoint that fell out of retention with
    /// this completion, as Flink's `notifyCheckpointOnComplete` carries it.
    NotifyCheckpointComplete {
        checkpoint_id: CheckpointId,
        last_subsumed: Option<CheckpointId>,
    },
    /// A savepoint is written. Subtasks are not notified (Flink 1.15+: savepoints do
    /// not commit side effects); only the requester learns of it.
    SavepointCompleted { checkpoint_id: CheckpointId },
    /// The checkpoint failed: tell every subtask to drop its work for it.
    NotifyCheckpointAborted {
        checkpoint_id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    /// Delete this checkpoint's files from storage.
    DiscardCheckpoint {
        checkpoint_id: CheckpointId,
        cause: DiscardCause,
    },
    /// More consecutive failures than `tolerable-failed-checkpoints`: fail the job
    /// (Flink: "Exceeded checkpoint tolerable failure threshold."). The caller runs its
    /// restart strategy, typically `stop_scheduler`, restore, `start_scheduler`.
    FailJob {
        checkpoint_id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    /// Uncoordinated protocols: `subtask`'s checkpoint `checkpoint_id` is on the recovery
    /// line, which never moves back: tell that subtask only (its sink commits up to it).
    NotifySubtaskCheckpointComplete {
        subtask: super::SubtaskId,
        checkpoint_id: CheckpointId,
    },
    /// Protocols with message logging: no recovery line can replay the records sent on
    /// `channel` before the `before`-th any more; drop them from the sender's log.
    TruncateLog { channel: usize, before: u64 },
}

/// What became of an acknowledgement or decline, so the caller can count late and
/// duplicate messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageOutcome {
    /// It changed the checkpoint.
    Accepted,
    /// This subtask already acknowledged this checkpoint.
    Duplicate,
    /// The checkpoint is not (or no longer) waiting for this message: unknown,
    /// completed, aborted, or already finalizing.
    NotPending,
    /// The checkpoint does not wait for this subtask.
    UnknownSubtask,
}
