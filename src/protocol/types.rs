//! Words shared by every protocol state machine.
//!
//! Time is passed in by the caller as integer nanoseconds; nothing in `protocol/`
//! reads a clock.

/// Virtual or real time in nanoseconds, as the driver passes it in.
pub type Nanos = u64;

/// A checkpoint's id: increasing from 1 within a job, as in Flink.
pub type CheckpointId = u64;

/// Checkpoint or savepoint, as Flink's `CheckpointType` distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SnapshotKind {
    Checkpoint,
    Savepoint,
}

/// How a job checkpoints (Flink's `execution.checkpointing.mode` and
/// `execution.checkpointing.unaligned.enabled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckpointingMode {
    /// EXACTLY_ONCE with barrier alignment.
    ExactlyOnceAligned,
    /// EXACTLY_ONCE with unaligned checkpoints: barriers overtake in-flight data.
    ExactlyOnceUnaligned,
    /// AT_LEAST_ONCE: barriers are tracked, no channel is ever blocked.
    AtLeastOnce,
}

/// What a barrier carries from the source to every subtask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Barrier {
    pub checkpoint_id: CheckpointId,
    /// When the coordinator triggered the checkpoint.
    pub trigger_timestamp: Nanos,
    pub kind: SnapshotKind,
}

/// Why a checkpoint failed, with the names of Flink's `CheckpointFailureReason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckpointFailureReason {
    CheckpointExpired,
    CheckpointDeclined,
    CheckpointDeclinedSubsumed,
    CheckpointDeclinedOnCancellationBarrier,
    CheckpointDeclinedTaskNotReady,
    CheckpointDeclinedInputEndOfStream,
    CheckpointDeclinedAlignmentSizeLimitExceeded,
    CheckpointSubsumed,
    CheckpointAsyncException,
    CheckpointCoordinatorShutdown,
    CheckpointCoordinatorSuspend,
    TooManyCheckpointRequests,
    MinimumTimeBetweenCheckpoints,
    IoException,
    TaskFailure,
    TaskCheckpointFailure,
    FinalizeCheckpointFailure,
    TriggerCheckpointFailure,
    JobFailover,
}

impl CheckpointFailureReason {
    /// The enum constant's name as Flink spells it (`CHECKPOINT_EXPIRED`, ...).
    pub fn flink_name(self) -> &'static str {
        use CheckpointFailureReason::*;
        match self {
            CheckpointExpired => "CHECKPOINT_EXPIRED",
            CheckpointDeclined => "CHECKPOINT_DECLINED",
            CheckpointDeclinedSubsumed => "CHECKPOINT_DECLINED_SUBSUMED",
            CheckpointDeclinedOnCancellationBarrier => "CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            CheckpointDeclinedTaskNotReady => "CHECKPOINT_DECLINED_TASK_NOT_READY",
            CheckpointDeclinedInputEndOfStream => "CHECKPOINT_DECLINED_INPUT_END_OF_STREAM",
            CheckpointDeclinedAlignmentSizeLimitExceeded => "CHECKPOINT_DECLINED_ALIGNMENT_LIMIT_EXCEEDED",
            CheckpointSubsumed => "CHECKPOINT_SUBSUMED",
            CheckpointAsyncException => "CHECKPOINT_ASYNC_EXCEPTION",
            CheckpointCoordinatorShutdown => "CHECKPOINT_COORDINATOR_SHUTDOWN",
            CheckpointCoordinatorSuspend => "CHECKPOINT_COORDINATOR_SUSPEND",
            TooManyCheckpointRequests => "TOO_MANY_CHECKPOINT_REQUESTS",
            MinimumTimeBetweenCheckpoints => "MINIMUM_TIME_BETWEEN_CHECKPOINTS",
            IoException => "IO_EXCEPTION",
            TaskFailure => "TASK_FAILURE",
            TaskCheckpointFailure => "TASK_CHECKPOINT_FAILURE",
            FinalizeCheckpointFailure => "FINALIZE_CHECKPOINT_FAILURE",
            TriggerCheckpointFailure => "TRIGGER_CHECKPOINT_FAILURE",
            JobFailover => "JOB_FAILOVER",
        }
    }
}
