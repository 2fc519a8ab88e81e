//! Exactly-once barrier handling for one checkpoint at a time: aligned, unaligned, and
//! aligned with a timeout that switches to unaligned (Flink's `SingleCheckpointBarrierHandler`
//! with its `BarrierHandlerState`s).
//!
//! The states, and what moves between them:
//!
//! ```text
//! WaitingForFirstBarrier
//!   │
//!   ├─ first barrier, aligned, or a barrier announcement (aligned with a timeout)
//!   │                            ─────► CollectingBarriers
//!   │                                  │ each channel is blocked as its barrier arrives
//!   │                                  ├─ last barrier / last open channel ends:
//!   │                                  │    snapshot, unblock all ─────► WaitingForFirstBarrier
//!   │                                  │ alignment timeout, or a priority barrier:
//!   │                                  ▼    snapshot, unblock all, persist the rest
//!   └─ first barrier, unaligned ───► CollectingBarriersUnaligned
//!        (snapshot at once)            │ channels without the barrier persist their input
//!                                      └─ last barrier / last open channel ends ──► Waiting…
//!
//! from any state: abort (subsumed, cancelled, input ended) ──► WaitingForFirstBarrier
//! ```
//!
//! Around the states, the handler keeps the newest checkpoint id it has seen: a barrier
//! older than that is obsolete and ignored, a newer one aborts the pending checkpoint
//! (`CHECKPOINT_DECLINED_SUBSUMED`) and starts its own. Cancellation markers and
//! EndOfPartition are handled as in Flink (see the methods).
//!
//! With an aligned-checkpoint timeout, a barrier received but still queued behind data is
//! announced (Flink's `CheckpointBarrierAnnouncement`): the announcement starts the
//! checkpoint here, and its timer, as Flink's `processBarrierAnnouncement` does, so the
//! switch to unaligned does not wait for the data ahead of the barrier to be processed.
//! At the switch every channel that has not delivered its barrier persists its queued
//! input up to the barrier, and an announced (queued) barrier overtakes it.

use std::collections::VecDeque;

use super::AlignmentTimeoutStart;
use super::action::{Action, ChannelIndex, SnapshotTrigger};
use super::channels::InputChannels;
use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

/// The knobs of an exactly-once handler, fixed for its lifetime.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExactlyOnceSettings {
    /// `execution.checkpointing.unaligned.enabled`.
    pub unaligned_enabled: bool,
    /// `execution.checkpointing.aligned-checkpoint-timeout`, only with unaligned enabled;
    /// `None` (or zero, normalised to `None`) means checkpoints start unaligned.
    pub aligned_checkpoint_timeout: Option<Nanos>,
    pub timeout_start: AlignmentTimeoutStart,
    /// `execution.checkpointing.checkpoints-after-tasks-finish.enabled`.
    pub checkpoints_after_tasks_finish: bool,
}

/// The checkpoint being collected: fixed when its first barrier (or announcement) arrives.
#[derive(Clone, Copy, Debug)]
struct Alignment {
    barrier: Barrier,
    /// When the checkpoint started here: its first barrier or announcement.
    started_at: Nanos,
    /// When its first barrier was taken; `None` while only announcements arrived.
    first_barrier_at: Option<Nanos>,
    /// Channels that must deliver the barrier (or end): those open at the first barrier.
    target: usize,
    /// When an aligned collection switches to unaligned; `None` when it never does.
    deadline: Option<Nanos>,
}

impl Alignment {
    /// Where start delay ends and alignment begins: the first barrier taken, or the first
    /// announcement when the snapshot is decided before any barrier was taken.
    fn first_arrival(&self) -> Nanos {
        self.first_barrier_at.unwrap_or(self.started_at)
    }
}

/// Where the handler is in the life of a checkpoint.
#[derive(Clone, Copy, Debug)]
enum State {
    /// No checkpoint is pending at this input.
    WaitingForFirstBarrier,
    /// Aligned: channels that delivered the barrier are blocked; no snapshot yet.
    CollectingBarriers(Alignment),
    /// The snapshot is taken; waiting for the remaining barriers while the channels that
    /// have not delivered theirs persist their input.
    CollectingBarriersUnaligned(Alignment),
}

/// How a barrier reached the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// In the channel's data order: everything before it on the channel was processed.
    InOrder,
    /// Overtook the buffers queued on the channel (unaligned barrier, Flink's priority event).
    Priority,
}

/// Exactly-once barrier handler: one pending checkpoint at a time.
#[derive(Clone, Debug)]
pub(crate) struct SingleCheckpointHandler {
    settings: ExactlyOnceSettings,
    channels: InputChannels,
    /// Newest checkpoint seen through a barrier or a cancellation marker.
    latest_id: Option<CheckpointId>,
    state: State,
}

impl SingleCheckpointHandler {
    pub(crate) fn new(num_channels: usize, settings: ExactlyOnceSettings) -> Self {
        let mut settings = settings;
        if settings.aligned_checkpoint_timeout == Some(0) {
            settings.aligned_checkpoint_timeout = None;
        }
        SingleCheckpointHandler {
            settings,
            channels: InputChannels::new(num_channels),
            latest_id: None,
            state: State::WaitingForFirstBarrier,
        }
    }

    pub(crate) fn channels(&self) -> &InputChannels {
        &self.channels
    }

    pub(crate) fn latest_checkpoint_id(&self) -> Option<CheckpointId> {
        self.latest_id
    }

    pub(crate) fn pending_checkpoint(&self) -> Option<CheckpointId> {
        match self.state {
            State::WaitingForFirstBarrier => None,
            _ => self.latest_id,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Nanos> {
        match self.state {
            State::CollectingBarriers(al) => al.deadline,
            _ => None,
        }
    }

    /// Whether a barrier with this id belongs to no pending or future checkpoint here.
    fn is_obsolete(&self, id: CheckpointId) -> bool {
        match self.latest_id {
            None => false,
            Some(latest) => id < latest || (id == latest && matches!(self.state, State::WaitingForFirstBarrier)),
        }
    }

    /// Whether checkpoints with this barrier skip alignment altogether.
    fn starts_unaligned(&self, barrier: &Barrier) -> bool {
        // Savepoints are always aligned in Flink; so are checkpoints that have a timeout.
        self.settings.unaligned_enabled
            && barrier.kind == SnapshotKind::Checkpoint
            && self.settings.aligned_checkpoint_timeout.is_none()
    }

    /// When an aligned collection that starts now with this barrier times out.
    fn alignment_deadline(&self, now: Nanos, barrier: &Barrier) -> Option<Nanos> {
        if !self.settings.unaligned_enabled || barrier.kind != SnapshotKind::Checkpoint {
            return None;
        }
        let timeout = self.settings.aligned_checkpoint_timeout?;
        let start = match self.settings.timeout_start {
            AlignmentTimeoutStart::FirstBarrier => now,
            AlignmentTimeoutStart::CheckpointStart => barrier.trigger_timestamp,
        };
        Some(start.saturating_add(timeout))
    }

    /// A barrier (or announcement) of checkpoint `id` arrived: false if it is obsolete.
    /// A newer checkpoint overtakes the pending one, which can no longer complete here
    /// (Flink's `checkNewCheckpoint` / `cancelSubsumedCheckpoint`).
    fn enter_checkpoint(&mut self, id: CheckpointId, out: &mut VecDeque<Action>) -> bool {
        if self.is_obsolete(id) {
            return false;
        }
        if self.latest_id.is_none_or(|latest| latest < id) {
            self.abort_pending(CheckpointFailureReason::CheckpointDeclinedSubsumed, out);
            self.latest_id = Some(id);
            self.channels.reset_aligned();
        }
        true
    }

    // ----- inputs -------------------------------------------------------------------

    pub(crate) fn on_barrier(
        &mut self,
        now: Nanos,
        channel: ChannelIndex,
        barrier: Barrier,
        delivery: Delivery,
        out: &mut VecDeque<Action>,
    ) {
        self.channels.assert_open(channel);
        if !self.enter_checkpoint(barrier.checkpoint_id, out) {
            return;
        }
        match self.state {
            State::WaitingForFirstBarrier => self.first_barrier(now, channel, barrier, delivery, out),
            State::CollectingBarriers(mut al) => {
                al.first_barrier_at.get_or_insert(now);
                if delivery == Delivery::Priority {
                    // Upstream already went unaligned (Flink: a barrier whose options say
                    // unaligned switches an aligning input at once).
                    self.switch_to_unaligned(now, al, Some((channel, delivery)), out);
                    self.unaligned_barrier(now, channel, out);
                } else {
                    self.aligned_barrier(now, channel, al, out);
                }
            }
            State::CollectingBarriersUnaligned(_) => self.unaligned_barrier(now, channel, out),
        }
    }

    /// A barrier received on `channel` but queued behind data (Flink's
    /// `processBarrierAnnouncement`). Only barriers that can time out are announced: the
    /// announcement starts their checkpoint and its alignment timer; the barrier itself is
    /// counted when it is taken (or overtakes its queue at the switch to unaligned).
    pub(crate) fn on_announcement(
        &mut self,
        now: Nanos,
        channel: ChannelIndex,
        barrier: Barrier,
        out: &mut VecDeque<Action>,
    ) {
        self.channels.assert_open(channel);
        let Some(deadline) = self.alignment_deadline(now, &barrier) else {
            return;
        };
        if !self.enter_checkpoint(barrier.checkpoint_id, out) {
            return;
        }
        if let State::WaitingForFirstBarrier = self.state {
            let al = Alignment {
                barrier,
                started_at: now,
                first_barrier_at: None,
                target: self.channels.num_open(),
                deadline: Some(deadline),
            };
            if now >= deadline {
                self.switch_to_unaligned(now, al, None, out);
            } else {
                self.state = State::CollectingBarriers(al);
            }
        }
    }

    /// A cancellation marker aborts its checkpoint if it is pending here or newer than
    /// anything seen; a trailing marker of a finished or aborted checkpoint is ignored.
    pub(crate) fn on_cancellation_marker(
        &mut self,
        channel: ChannelIndex,
        id: CheckpointId,
        out: &mut VecDeque<Action>,
    ) {
        self.channels.assert_open(channel);
        if self.latest_id.is_none_or(|latest| latest < id) {
            // Flink declines only the cancelled checkpoint (`abortInternal(cancelledId)`): an
            // older one still aligning is dropped here without a word, and the coordinator
            // leaves it to expire or be subsumed. One whose snapshot is already taken can no
            // longer finish its channel state, and declines.
            if matches!(self.state, State::CollectingBarriersUnaligned(_)) {
                self.abort_pending(CheckpointFailureReason::CheckpointDeclinedSubsumed, out);
            } else {
                self.release_pending(out);
            }
            self.latest_id = Some(id);
            self.channels.reset_aligned();
            emit_abort(
                id,
                CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
                out,
            );
        } else if self.pending_checkpoint() == Some(id) {
            self.abort_pending(CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier, out);
        }
    }

    /// A finished channel no longer owes a barrier: with checkpoints after tasks finish
    /// (Flink's default) it counts as aligned, and may complete the pending checkpoint;
    /// without, the pending checkpoint is declined (`CHECKPOINT_DECLINED_INPUT_END_OF_STREAM`).
    pub(crate) fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex, out: &mut VecDeque<Action>) {
        self.channels.finish(channel);
        self.channels.stop_persisting(channel, out);
        if matches!(self.state, State::WaitingForFirstBarrier) {
            return;
        }
        if !self.settings.checkpoints_after_tasks_finish {
            self.abort_pending(CheckpointFailureReason::CheckpointDeclinedInputEndOfStream, out);
            return;
        }
        self.channels.mark_aligned(channel);
        match self.state {
            State::WaitingForFirstBarrier => {}
            State::CollectingBarriers(al) => {
                if self.channels.num_aligned() == al.target {
                    self.complete_aligned(now, al, out);
                } else if al.deadline.is_some_and(|d| now >= d) {
                    self.switch_to_unaligned(now, al, None, out);
                }
            }
            State::CollectingBarriersUnaligned(al) => {
                if self.channels.num_aligned() == al.target {
                    self.finish_unaligned(now, al, out);
                }
            }
        }
    }

    /// The alignment timer: an aligned collection past its deadline goes unaligned.
    pub(crate) fn handle_timeout(&mut self, now: Nanos, out: &mut VecDeque<Action>) {
        if let State::CollectingBarriers(al) = self.state
            && al.deadline.is_some_and(|d| now >= d)
        {
            self.switch_to_unaligned(now, al, None, out);
        }
    }

    // ----- transitions --------------------------------------------------------------

    /// WaitingForFirstBarrier: the first barrier decides aligned or unaligned.
    fn first_barrier(
        &mut self,
        now: Nanos,
        channel: ChannelIndex,
        barrier: Barrier,
        delivery: Delivery,
        out: &mut VecDeque<Action>,
    ) {
        let mut al = Alignment {
            barrier,
            started_at: now,
            first_barrier_at: Some(now),
            target: self.channels.num_open(),
            deadline: None,
        };
        if delivery == Delivery::Priority || self.starts_unaligned(&barrier) {
            self.switch_to_unaligned(now, al, Some((channel, delivery)), out);
            self.unaligned_barrier(now, channel, out);
        } else {
            al.deadline = self.alignment_deadline(now, &barrier);
            self.aligned_barrier(now, channel, al, out);
        }
    }

    /// CollectingBarriers: count the barrier; complete, time out, or block the channel.
    fn aligned_barrier(&mut self, now: Nanos, channel: ChannelIndex, al: Alignment, out: &mut VecDeque<Action>) {
        self.channels.mark_aligned(channel);
        if self.channels.num_aligned() == al.target {
            self.complete_aligned(now, al, out);
        } else if al.deadline.is_some_and(|d| now >= d) {
            // The timer is overdue: this channel needs neither blocking nor persisting.
            self.switch_to_unaligned(now, al, None, out);
        } else {
            self.channels.block(channel, al.barrier.checkpoint_id, out);
            self.state = State::CollectingBarriers(al);
        }
    }

    /// CollectingBarriersUnaligned: the channel's in-flight input is complete.
    fn unaligned_barrier(&mut self, now: Nanos, channel: ChannelIndex, out: &mut VecDeque<Action>) {
        let State::CollectingBarriersUnaligned(al) = self.state else {
            unreachable!("unaligned barrier outside an unaligned collection");
        };
        self.channels.stop_persisting(channel, out);
        self.channels.mark_aligned(channel);
        if self.channels.num_aligned() == al.target {
            self.finish_unaligned(now, al, out);
        }
    }

    /// All barriers of an aligned checkpoint are in: snapshot, then let data flow again.
    fn complete_aligned(&mut self, now: Nanos, al: Alignment, out: &mut VecDeque<Action>) {
        let alignment_duration = now.saturating_sub(al.first_arrival());
        out.push_back(Action::TriggerSnapshot(SnapshotTrigger {
            barrier: al.barrier,
            unaligned: false,
            first_barrier_at: al.first_arrival(),
            alignment_duration,
        }));
        self.channels.unblock_all(out);
        self.finish(al, alignment_duration, out);
    }

    /// Take the snapshot now and turn the rest of the alignment into channel state.
    /// `arriving` is the channel whose barrier is being handed over right now (not yet
    /// counted), with how it came: if it overtook its queued buffers, those are channel
    /// state; if it came in order, nothing on that channel precedes it any more.
    fn switch_to_unaligned(
        &mut self,
        now: Nanos,
        al: Alignment,
        arriving: Option<(ChannelIndex, Delivery)>,
        out: &mut VecDeque<Action>,
    ) {
        let id = al.barrier.checkpoint_id;
        for channel in 0..self.channels.len() {
            if self.channels.is_finished(channel) || self.channels.is_aligned(channel) {
                continue;
            }
            match arriving {
                Some((c, Delivery::Priority)) if c == channel => {
                    out.push_back(Action::PersistQueuedInput {
                        channel,
                        checkpoint_id: id,
                    });
                }
                Some((c, Delivery::InOrder)) if c == channel => {}
                _ => self.channels.start_persisting(channel, id, out),
            }
        }
        out.push_back(Action::TriggerSnapshot(SnapshotTrigger {
            barrier: al.barrier,
            unaligned: true,
            first_barrier_at: al.first_arrival(),
            alignment_duration: now.saturating_sub(al.first_arrival()),
        }));
        // The snapshot is taken: blocking no longer protects anything.
        self.channels.unblock_all(out);
        self.state = State::CollectingBarriersUnaligned(Alignment { deadline: None, ..al });
    }

    /// All barriers of an unaligned checkpoint are in: its channel state is final.
    fn finish_unaligned(&mut self, now: Nanos, al: Alignment, out: &mut VecDeque<Action>) {
        self.channels.stop_persisting_all(out);
        self.channels.unblock_all(out);
        self.finish(al, now.saturating_sub(al.first_arrival()), out);
    }

    fn finish(&mut self, al: Alignment, alignment_duration: Nanos, out: &mut VecDeque<Action>) {
        out.push_back(Action::AllBarriersReceived {
            checkpoint_id: al.barrier.checkpoint_id,
            first_barrier_at: al.first_arrival(),
            alignment_duration,
        });
        self.channels.reset_aligned();
        self.state = State::WaitingForFirstBarrier;
    }

    /// Abort the pending checkpoint, if any: release channels, decline, tell downstream.
    /// Its id stays the newest seen, so its late barriers are ignored.
    fn abort_pending(&mut self, reason: CheckpointFailureReason, out: &mut VecDeque<Action>) {
        if let Some(id) = self.release_pending(out) {
            emit_abort(id, reason, out);
        }
    }

    /// Forget the pending checkpoint, if any, without declining it: release its channels.
    fn release_pending(&mut self, out: &mut VecDeque<Action>) -> Option<CheckpointId> {
        let id = self.pending_checkpoint()?;
        self.channels.unblock_all(out);
        self.channels.stop_persisting_all(out);
        self.channels.reset_aligned();
        self.state = State::WaitingForFirstBarrier;
        Some(id)
    }
}

/// Decline at the coordinator and forward a cancellation marker downstream, as Flink's
/// `abortCheckpointOnBarrier` does for every abort on the barrier path.
pub(crate) fn emit_abort(checkpoint_id: CheckpointId, reason: CheckpointFailureReason, out: &mut VecDeque<Action>) {
    out.push_back(Action::AbortCheckpoint { checkpoint_id, reason });
    out.push_back(Action::ForwardCancellation { checkpoint_id });
}
