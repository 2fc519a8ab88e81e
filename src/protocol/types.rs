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

/// Defines [`CheckpointFailureReason`] once: each variant with the name Flink gives it.
macro_rules! failure_reasons {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// Why a checkpoint failed: every constant of Flink's current
        /// `CheckpointFailureReason`, in its order, with its name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckpointFailureReason {
            $($(#[$doc])* $variant,)*
        }

        impl CheckpointFailureReason {
            /// Every reason, in Flink's order.
            pub const ALL: &'static [CheckpointFailureReason] = &[$(Self::$variant,)*];

            /// The enum constant's name as Flink spells it (`CHECKPOINT_EXPIRED`, ...).
            pub fn flink_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

failure_reasons! {
    PeriodicSchedulerShutdown => "PERIODIC_SCHEDULER_SHUTDOWN",
    TooManyCheckpointRequests => "TOO_MANY_CHECKPOINT_REQUESTS",
    MinimumTimeBetweenCheckpoints => "MINIMUM_TIME_BETWEEN_CHECKPOINTS",
    /// A trigger found a task that is not running (still deploying, or restarting): the
    /// checkpoint is never created, so it gets no id and no history entry.
    NotAllRequiredTasksRunning => "NOT_ALL_REQUIRED_TASKS_RUNNING",
    IoException => "IO_EXCEPTION",
    BlockingOutputExist => "BLOCKING_OUTPUT_EXIST",
    CheckpointAsyncException => "CHECKPOINT_ASYNC_EXCEPTION",
    ChannelStateSharedStreamException => "CHANNEL_STATE_SHARED_STREAM_EXCEPTION",
    CheckpointExpired => "CHECKPOINT_EXPIRED",
    CheckpointSubsumed => "CHECKPOINT_SUBSUMED",
    CheckpointDeclined => "CHECKPOINT_DECLINED",
    CheckpointDeclinedTaskNotReady => "CHECKPOINT_DECLINED_TASK_NOT_READY",
    CheckpointDeclinedTaskClosing => "CHECKPOINT_DECLINED_TASK_CLOSING",
    CheckpointDeclinedSubsumed => "CHECKPOINT_DECLINED_SUBSUMED",
    CheckpointDeclinedOnCancellationBarrier => "CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
    CheckpointDeclinedInputEndOfStream => "CHECKPOINT_DECLINED_INPUT_END_OF_STREAM",
    CheckpointCoordinatorShutdown => "CHECKPOINT_COORDINATOR_SHUTDOWN",
    CheckpointCoordinatorSuspend => "CHECKPOINT_COORDINATOR_SUSPEND",
    /// Flink's `JOB_FAILOVER_REGION`: the tasks restart, so pending checkpoints cannot finish.
    JobFailoverRegion => "JOB_FAILOVER_REGION",
    TaskFailure => "TASK_FAILURE",
    TaskCheckpointFailure => "TASK_CHECKPOINT_FAILURE",
    UnknownTaskCheckpointNotificationFailure => "UNKNOWN_TASK_CHECKPOINT_NOTIFICATION_FAILURE",
    FinalizeCheckpointFailure => "FINALIZE_CHECKPOINT_FAILURE",
    TriggerCheckpointFailure => "TRIGGER_CHECKPOINT_FAILURE",
}
