//! At-least-once barrier tracking (Flink's `CheckpointBarrierTracker`).
//!
//! No channel is ever blocked: data behind a barrier keeps flowing, so a snapshot may hold
//! records that come after its barrier (they are replayed again on restore: at least once,
//! never lost). The snapshot is taken when barrier n has arrived on every open channel.
//!
//! Several checkpoints may be in progress at once, oldest first. When one completes, every
//! older one still pending is dropped: it can no longer complete before the newer one.
//! Flink drops them silently, and so does this tracker: the coordinator subsumes them when
//! the newer one completes, or lets them expire.

use std::collections::VecDeque;

use super::action::{Action, ChannelIndex, SnapshotTrigger};
use super::channels::InputChannels;
use super::single::emit_abort;
use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, Nanos};

/// Flink's `MAX_CHECKPOINTS_TO_TRACK`: a bound on half-seen checkpoints.
const MAX_CHECKPOINTS_TO_TRACK: usize = 50;

/// A checkpoint for which some, not all, barriers (or cancellation markers) arrived.
#[derive(Clone, Debug)]
struct PendingCheckpoint {
    checkpoint_id: CheckpointId,
    /// `None` when the entry was opened by a cancellation marker.
    barrier: Option<Barrier>,
    first_barrier_at: Nanos,
    seen: Vec<bool>,
    count: usize,
    /// Open channels when the entry was opened.
    target: usize,
    aborted: bool,
}

impl PendingCheckpoint {
    fn new(
        checkpoint_id: CheckpointId,
        barrier: Option<Barrier>,
        now: Nanos,
        num_channels: usize,
        target: usize,
    ) -> Self {
        PendingCheckpoint {
            checkpoint_id,
            barrier,
            first_barrier_at: now,
            seen: vec![false; num_channels],
            count: 0,
            target,
            aborted: false,
        }
    }

    /// Counts the channel once; true when every expected channel is in.
    fn mark(&mut self, channel: ChannelIndex) -> bool {
        if !self.seen[channel] {
            self.seen[channel] = true;
            self.count += 1;
        }
        self.count >= self.target
    }

    /// True the first time only, so each checkpoint is reported aborted once.
    fn mark_aborted(&mut self) -> bool {
        !std::mem::replace(&mut self.aborted, true)
    }
}

/// The at-least-once handler.
#[derive(Clone, Debug)]
pub(crate) struct BarrierTracker {
    checkpoints_after_tasks_finish: bool,
    channels: InputChannels,
    pending: VecDeque<PendingCheckpoint>,
    latest_pending_id: Option<CheckpointId>,
}

impl BarrierTracker {
    pub(crate) fn new(num_channels: usize, checkpoints_after_tasks_finish: bool) -> Self {
        BarrierTracker {
            checkpoints_after_tasks_finish,
            channels: InputChannels::new(num_channels),
            pending: VecDeque::new(),
            latest_pending_id: None,
        }
    }

    pub(crate) fn channels(&self) -> &InputChannels {
        &self.channels
    }

    pub(crate) fn latest_checkpoint_id(&self) -> Option<CheckpointId> {
        self.latest_pending_id
    }

    /// The newest checkpoint still collecting barriers.
    pub(crate) fn pending_checkpoint(&self) -> Option<CheckpointId> {
        self.pending.iter().rev().find(|p| !p.aborted).map(|p| p.checkpoint_id)
    }

    pub(crate) fn on_barrier(
        &mut self,
        now: Nanos,
        channel: ChannelIndex,
        barrier: Barrier,
        out: &mut VecDeque<Action>,
    ) {
        self.channels.assert_open(channel);
        let id = barrier.checkpoint_id;
        if let Some(pos) = self.position(id) {
            if self.pending[pos].mark(channel) {
                self.complete(pos, now, out);
            }
        } else if self.latest_pending_id.is_none_or(|latest| latest < id) {
            self.latest_pending_id = Some(id);
            let mut entry =
                PendingCheckpoint::new(id, Some(barrier), now, self.channels.len(), self.channels.num_open());
            let complete = entry.mark(channel);
            self.pending.push_back(entry);
            if self.pending.len() > MAX_CHECKPOINTS_TO_TRACK {
                // Dropped silently, as Flink does; the coordinator expires it.
                self.pending.pop_front();
            }
            if complete {
                self.complete(self.pending.len() - 1, now, out);
            }
        }
        // Otherwise: a barrier of a checkpoint already completed, dropped, or older than
        // the newest one seen. It can never complete here; ignore it.
    }

    /// As Flink: a marker aborts its checkpoint and every older pending one, and is still
    /// counted so the entry can be forgotten once every channel delivered barrier or marker.
    pub(crate) fn on_cancellation_marker(
        &mut self,
        channel: ChannelIndex,
        id: CheckpointId,
        out: &mut VecDeque<Action>,
    ) {
        self.channels.assert_open(channel);
        while let Some(front) = self.pending.front_mut()
            && front.checkpoint_id < id
        {
            if front.mark_aborted() {
                emit_abort(
                    front.checkpoint_id,
                    CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
                    out,
                );
            }
            self.pending.pop_front();
        }

        if let Some(front) = self.pending.front_mut()
            && front.checkpoint_id == id
        {
            if front.mark_aborted() {
                emit_abort(
                    id,
                    CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
                    out,
                );
            }
            if front.mark(channel) {
                self.pending.pop_front();
            }
        } else if self.latest_pending_id.is_none_or(|latest| latest < id) {
            emit_abort(
                id,
                CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
                out,
            );
            self.latest_pending_id = Some(id);
            let mut marker = PendingCheckpoint::new(id, None, 0, self.channels.len(), self.channels.num_open());
            marker.aborted = true;
            if !marker.mark(channel) {
                self.pending.push_front(marker);
            }
        }
        // Otherwise: a trailing marker of a checkpoint already cancelled or forgotten.
    }

    /// A finished channel counts as having delivered every pending barrier (checkpoints
    /// after tasks finish), or aborts all pending checkpoints (without that feature).
    pub(crate) fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex, out: &mut VecDeque<Action>) {
        self.channels.finish(channel);
        if !self.checkpoints_after_tasks_finish {
            for mut p in std::mem::take(&mut self.pending) {
                if p.mark_aborted() {
                    emit_abort(
                        p.checkpoint_id,
                        CheckpointFailureReason::CheckpointDeclinedInputEndOfStream,
                        out,
                    );
                }
            }
            return;
        }
        let mut newest_complete = None;
        for (pos, p) in self.pending.iter_mut().enumerate() {
            if p.mark(channel) {
                newest_complete = Some(pos);
            }
        }
        if let Some(pos) = newest_complete {
            self.complete(pos, now, out);
        }
    }

    fn position(&self, id: CheckpointId) -> Option<usize> {
        self.pending.iter().position(|p| p.checkpoint_id == id)
    }

    /// The entry at `pos` has all its barriers: forget it and everything older, and
    /// snapshot unless it was cancelled.
    fn complete(&mut self, pos: usize, now: Nanos, out: &mut VecDeque<Action>) {
        // Older entries are dropped without a word (Flink's `pollFirst`): the coordinator
        // subsumes them once this one completes.
        let last = self
            .pending
            .drain(..=pos)
            .next_back()
            .expect("drained at least one entry");
        if last.aborted {
            return;
        }
        let barrier = last.barrier.expect("a live entry was opened by a barrier");
        let alignment_duration = now.saturating_sub(last.first_barrier_at);
        out.push_back(Action::TriggerSnapshot(SnapshotTrigger {
            barrier,
            unaligned: false,
            first_barrier_at: last.first_barrier_at,
            alignment_duration,
        }));
        out.push_back(Action::AllBarriersReceived {
            checkpoint_id: last.checkpoint_id,
            first_barrier_at: last.first_barrier_at,
            alignment_duration,
        });
    }
}
