//! What a barrier handler asks its driver to do: the outputs drained with
//! [`BarrierHandler::poll_action`](super::BarrierHandler::poll_action).
//!
//! Every action is a plain value; the handler never performs I/O itself. The driver
//! applies the actions in the order they come out, before it feeds the handler anything
//! else (the order within one input is meaningful, e.g. persist before snapshot).

use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, Nanos};

/// Index of an input channel of one subtask, `0..num_channels`.
///
/// A plain index (not Flink's gate/channel pair) so per-channel state can live in a `Vec`
/// and iterate in a fixed order.
pub type ChannelIndex = usize;

/// One instruction from a barrier handler to its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The channel delivered barrier `checkpoint_id` and must wait for the others: take no
    /// more data from it until [`Action::UnblockChannel`]. Mirrors
    /// [`is_blocked`](super::BarrierHandler::is_blocked), for drivers that keep their own flag.
    BlockChannel {
        channel: ChannelIndex,
        checkpoint_id: CheckpointId,
    },
    /// The channel may deliver data again (alignment ended, switched to unaligned, or the
    /// checkpoint was aborted).
    UnblockChannel { channel: ChannelIndex },
    /// Snapshot the operator state now, and forward the barrier to every output.
    ///
    /// In Flink the barrier goes downstream before the synchronous snapshot phase starts
    /// (`SubtaskCheckpointCoordinatorImpl::checkpointState`, steps 1-4); for unaligned
    /// snapshots it goes as a priority event that overtakes the output buffers, which then
    /// become output channel state.
    TriggerSnapshot(SnapshotTrigger),
    /// Unaligned only: persist, as channel state of `checkpoint_id`, every buffer queued on
    /// `channel` right now, received but not yet processed. The barrier that was just handed
    /// over with [`on_priority_barrier`](super::BarrierHandler::on_priority_barrier) overtook
    /// exactly these buffers. They stay queued and are processed normally afterwards: the
    /// copy is what a restore replays.
    PersistQueuedInput {
        channel: ChannelIndex,
        checkpoint_id: CheckpointId,
    },
    /// Unaligned only: every buffer on `channel` that precedes barrier `checkpoint_id` in the
    /// channel's order and is not processed yet is channel state of the checkpoint. That is
    /// the buffers queued now (ahead of barrier `checkpoint_id` if it is already queued) and
    /// every buffer received from now until the handler emits [`Action::StopPersisting`].
    /// While persisting, the driver hands barrier `checkpoint_id` of this channel over as
    /// soon as it is received, even if it is queued already (Flink converts it into a
    /// priority event), so that "received before the barrier" and "received while
    /// persisting" are the same set.
    StartPersisting {
        channel: ChannelIndex,
        checkpoint_id: CheckpointId,
    },
    /// Buffers received on `channel` from now on are not channel state of `checkpoint_id`
    /// (its barrier arrived, the channel ended, or the checkpoint was aborted).
    StopPersisting {
        channel: ChannelIndex,
        checkpoint_id: CheckpointId,
    },
    /// Every open channel has delivered barrier `checkpoint_id` (or ended): the input side of
    /// the checkpoint is complete and its input channel state, if any, is final. This is
    /// when Flink measures the end of alignment, for every mode.
    AllBarriersReceived {
        checkpoint_id: CheckpointId,
        /// When the first barrier (or the trigger, for a source) arrived.
        first_barrier_at: Nanos,
        /// Last barrier arrival minus first barrier arrival: Flink's "alignment duration".
        alignment_duration: Nanos,
    },
    /// This subtask gives up on `checkpoint_id`: decline it at the coordinator and drop any
    /// snapshot work in progress for it.
    AbortCheckpoint {
        checkpoint_id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    /// The aligned-checkpoint timeout passed while barrier `checkpoint_id`, forwarded
    /// aligned by this subtask, may still wait in output backlogs behind buffers: in every
    /// output backlog that still holds it, move it to the front and send it as a priority
    /// barrier; the buffers it overtook there are output channel state of the checkpoint
    /// (Flink's `PipelinedSubpartition.alignedBarrierTimeout`). Backlogs the barrier has left
    /// are untouched.
    PrioritizeOutputBarrier { checkpoint_id: CheckpointId },
    /// Send a `CancelCheckpointMarker(checkpoint_id)` on every output, so downstream
    /// subtasks stop waiting for a barrier that will not come (Flink broadcasts it whenever
    /// a task aborts a checkpoint on barrier handling).
    ForwardCancellation { checkpoint_id: CheckpointId },
    /// Uncoordinated protocols only: snapshot the operator state now, on this subtask's
    /// own decision, without a barrier. The driver records, per channel, how much the
    /// subtask had sent and received at the snapshot, and acknowledges it like any other.
    LocalSnapshot {
        checkpoint_id: CheckpointId,
        cause: LocalSnapshotCause,
    },
}

/// Why a subtask took a snapshot of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocalSnapshotCause {
    /// Its own checkpoint timer (a basic checkpoint).
    Timer,
    /// A message whose dependencies would otherwise make a checkpoint useless (a
    /// forced checkpoint of communication-induced checkpointing).
    Forced,
}

/// Everything the driver needs to take a snapshot and account for its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotTrigger {
    /// The barrier to forward downstream (id, trigger time, checkpoint or savepoint).
    pub barrier: Barrier,
    /// True when the snapshot was taken before all barriers arrived: in-flight input is
    /// channel state (see [`Action::StartPersisting`]) and the barrier must be forwarded as a
    /// priority event (downstream hands it over with `on_priority_barrier`).
    pub unaligned: bool,
    /// When the first barrier of this checkpoint arrived at this input (for a source: when
    /// it was triggered). Start delay is measured up to here.
    pub first_barrier_at: Nanos,
    /// How long the input aligned before this snapshot: last minus first barrier arrival for
    /// an aligned snapshot, time from the first barrier to the switch for a timed-out one,
    /// zero for an unaligned or source snapshot. The full alignment of an unaligned
    /// checkpoint is reported by [`Action::AllBarriersReceived`].
    pub alignment_duration: Nanos,
}

impl SnapshotTrigger {
    /// The checkpoint this snapshot belongs to.
    pub fn checkpoint_id(&self) -> CheckpointId {
        self.barrier.checkpoint_id
    }

    /// Flink's "start delay": from the coordinator's trigger to the first barrier's arrival.
    pub fn start_delay(&self) -> Nanos {
        self.first_barrier_at.saturating_sub(self.barrier.trigger_timestamp)
    }

    /// Whether the forwarded barrier must overtake the output buffers (Flink's priority
    /// event); true exactly for unaligned snapshots.
    pub fn forward_as_priority(&self) -> bool {
        self.unaligned
    }
}
