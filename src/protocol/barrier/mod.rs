//! Barrier handling at a subtask's input: when to snapshot, which channels wait, which
//! in-flight input becomes channel state. One entry type, [`BarrierHandler`], dispatches to
//! the mode's state machine:
//!
//! - exactly-once aligned, unaligned, and aligned with a timeout that switches to unaligned
//!   (`single.rs`, Flink's `SingleCheckpointBarrierHandler`),
//! - at-least-once (`tracker.rs`, Flink's `CheckpointBarrierTracker`),
//! - a source, which has no input channels and snapshots when triggered.
//!
//! Sans-IO: the driver calls an input method with the current time, then drains
//! [`BarrierHandler::poll_action`] until it returns `None`, and arms a timer for
//! [`BarrierHandler::poll_timeout`]. Buffers never change the handler's state, so there is
//! no `on_buffer`: the driver asks [`BarrierHandler::is_blocked`] before taking a buffer
//! and [`BarrierHandler::should_persist`] when one is received.
//!
//! # The driver's contract
//!
//! Each input channel is a FIFO of items received from the network and not yet processed.
//!
//! 1. **Taking data.** Before taking the next item from a channel's queue, ask
//!    `is_blocked(channel)`; a blocked channel's items stay queued, in order, until an
//!    `UnblockChannel` (or `is_blocked` turns false). An in-order barrier, a cancellation
//!    marker and EndOfPartition are handed over (`on_barrier`, `on_cancellation_marker`,
//!    `on_end_of_partition`) when they reach the head of their queue and are taken.
//! 2. **Priority barriers.** A barrier that was sent unaligned (the upstream's
//!    [`SnapshotTrigger::forward_as_priority`]) is handed over with `on_priority_barrier` as
//!    soon as it is received, ahead of the buffers queued on its channel; those buffers stay
//!    queued and are processed later.
//! 3. **Snapshot.** On `TriggerSnapshot` the operator state is snapshotted before any further
//!    item is processed, and the barrier is forwarded downstream (as a priority event when
//!    unaligned).
//! 4. **Channel state** (unaligned snapshots only). On `PersistQueuedInput{c, n}` copy every
//!    buffer queued on `c` now into the channel state of `n`. On `StartPersisting{c, n}` copy
//!    every buffer queued on `c` ahead of barrier `n` (all of them if `n` is not queued); then,
//!    until `StopPersisting{c, n}`, copy every buffer received on `c` (`should_persist(c)`
//!    answers the same). While `c` is persisting, hand its barrier `n` over with
//!    `on_priority_barrier` as soon as it is received, and at once if it is already queued.
//!    A restore replays the copies, then the data after them. The snapshot's state plus its
//!    channel state is then exactly what precedes barrier `n` on every channel.
//! 5. **Announcements.** When a barrier is received in data order (not as a priority barrier)
//!    and queued behind the channel's buffers, announce it at once with
//!    `on_barrier_announcement` (Flink's `CheckpointBarrierAnnouncement`); it is still handed
//!    over with `on_barrier` when taken. Barriers that cannot time out ignore announcements.
//! 6. **Output barriers.** On `PrioritizeOutputBarrier{n}`, a barrier `n` this subtask
//!    forwarded aligned that is still waiting in an output backlog moves to the front of it
//!    and is sent as a priority barrier; the buffers it overtook there are output channel
//!    state of `n`. While [`BarrierHandler::times_out_output_barrier`] says so, the
//!    subtask's part of `n` is complete only once barrier `n` has left every output backlog.
//! 7. **Time.** Call `handle_timeout(now)` when `now` reaches `poll_timeout()`; inputs given
//!    after the deadline also notice it, so a late timer only delays the switch.
//!
//! # The alignment timeout
//!
//! Following Flink, `execution.checkpointing.aligned-checkpoint-timeout` only has an effect
//! with unaligned checkpoints enabled ([`CheckpointingMode::ExactlyOnceUnaligned`]): a
//! positive timeout makes checkpoints start aligned and switch to unaligned when alignment
//! lasts the timeout; no timeout (or zero) makes them unaligned from the first barrier.
//! With [`CheckpointingMode::ExactlyOnceAligned`] the timeout is ignored. Savepoints are
//! always aligned. As in Flink, the timeout counts from the checkpoint's start, the
//! barrier's trigger timestamp ([`AlignmentTimeoutStart::CheckpointStart`]), so the time
//! a barrier spent travelling and queued counts too; [`AlignmentTimeoutStart::FirstBarrier`]
//! (ckptsim's own choice) counts from the first barrier's arrival at this input instead.
//!
//! The timeout applies where the barrier waits. At an input, an announced barrier (queued
//! behind data) makes its checkpoint time out like a barrier already taken: the snapshot
//! is taken at the deadline and the queued buffers it overtakes become channel state, even
//! with a single input channel. At an output, a barrier forwarded aligned that is still in
//! an output backlog at the deadline overtakes the buffers there (Flink's
//! `alignedBarrierTimeout` on the result subpartitions), which become output channel state.

mod action;
mod channels;
mod single;
mod tracker;

use std::collections::VecDeque;

pub use action::{Action, ChannelIndex, LocalSnapshotCause, SnapshotTrigger};

use crate::protocol::types::{Barrier, CheckpointId, CheckpointingMode, Nanos, SnapshotKind};
use channels::InputChannels;
use single::{Delivery, ExactlyOnceSettings, SingleCheckpointHandler};
use tracker::BarrierTracker;

/// From when the aligned-checkpoint timeout is counted: the choice decides whether barrier
/// travel time upstream (start delay) eats into the alignment budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AlignmentTimeoutStart {
    /// From the barrier's `trigger_timestamp`, as Flink does: a barrier that arrives late
    /// may switch to unaligned at once.
    #[default]
    CheckpointStart,
    /// From the first barrier's arrival at this input (or, at an output, from the
    /// snapshot): bounds each subtask's own alignment. Not a Flink behaviour.
    FirstBarrier,
}

impl AlignmentTimeoutStart {
    /// The name ckptsim's `ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from`
    /// key uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::CheckpointStart => "checkpoint-start",
            Self::FirstBarrier => "first-barrier",
        }
    }
}

/// Everything that shapes a barrier handler, with Flink's defaults from [`Self::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierHandlerConfig {
    /// `execution.checkpointing.mode` and `execution.checkpointing.unaligned.enabled`.
    pub mode: CheckpointingMode,
    /// Input channels of the subtask; zero for a source.
    pub num_channels: usize,
    /// `execution.checkpointing.aligned-checkpoint-timeout` (see the module docs).
    pub aligned_checkpoint_timeout: Option<Nanos>,
    /// From when that timeout counts.
    pub timeout_start: AlignmentTimeoutStart,
    /// `execution.checkpointing.checkpoints-after-tasks-finish.enabled` (Flink default true):
    /// an ended channel counts as aligned instead of declining the pending checkpoint.
    pub checkpoints_after_tasks_finish: bool,
}

impl BarrierHandlerConfig {
    /// A configuration with Flink's defaults for everything not given.
    pub fn new(mode: CheckpointingMode, num_channels: usize, aligned_checkpoint_timeout: Option<Nanos>) -> Self {
        BarrierHandlerConfig {
            mode,
            num_channels,
            aligned_checkpoint_timeout,
            timeout_start: AlignmentTimeoutStart::default(),
            checkpoints_after_tasks_finish: true,
        }
    }
}

#[derive(Clone, Debug)]
enum Inner {
    ExactlyOnce(SingleCheckpointHandler),
    AtLeastOnce(BarrierTracker),
}

/// The barrier handler of one subtask's input, for any checkpointing mode.
#[derive(Clone, Debug)]
pub struct BarrierHandler {
    config: BarrierHandlerConfig,
    inner: Inner,
    actions: VecDeque<Action>,
    /// The aligned snapshot whose forwarded barrier times out in the output backlogs, and
    /// when (Flink's `SubtaskCheckpointCoordinatorImpl.registerAlignmentTimer`).
    output_timeout: Option<(CheckpointId, Nanos)>,
}

impl BarrierHandler {
    /// A handler for `num_channels` input channels with Flink's defaults otherwise.
    pub fn new(mode: CheckpointingMode, num_channels: usize, aligned_checkpoint_timeout: Option<Nanos>) -> Self {
        Self::with_config(BarrierHandlerConfig::new(
            mode,
            num_channels,
            aligned_checkpoint_timeout,
        ))
    }

    /// A handler for a source: no input channels; snapshots happen on [`Self::trigger`].
    pub fn for_source(mode: CheckpointingMode, aligned_checkpoint_timeout: Option<Nanos>) -> Self {
        Self::new(mode, 0, aligned_checkpoint_timeout)
    }

    /// A handler with every knob given.
    pub fn with_config(config: BarrierHandlerConfig) -> Self {
        let inner = match config.mode {
            CheckpointingMode::AtLeastOnce => Inner::AtLeastOnce(BarrierTracker::new(
                config.num_channels,
                config.checkpoints_after_tasks_finish,
            )),
            CheckpointingMode::ExactlyOnceAligned | CheckpointingMode::ExactlyOnceUnaligned => {
                let unaligned_enabled = config.mode == CheckpointingMode::ExactlyOnceUnaligned;
                Inner::ExactlyOnce(SingleCheckpointHandler::new(
                    config.num_channels,
                    ExactlyOnceSettings {
                        unaligned_enabled,
                        aligned_checkpoint_timeout: config.aligned_checkpoint_timeout.filter(|_| unaligned_enabled),
                        timeout_start: config.timeout_start,
                        checkpoints_after_tasks_finish: config.checkpoints_after_tasks_finish,
                    },
                ))
            }
        };
        BarrierHandler {
            config,
            inner,
            actions: VecDeque::new(),
            output_timeout: None,
        }
    }

    /// The configuration the handler was built with.
    pub fn config(&self) -> &BarrierHandlerConfig {
        &self.config
    }

    // ----- inputs -------------------------------------------------------------------

    /// A barrier taken from the head of `channel`'s queue, in data order.
    pub fn on_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        self.barrier(now, channel, barrier, Delivery::InOrder);
    }

    /// A barrier that overtook the buffers queued on `channel` (sent unaligned upstream, or
    /// converted because the channel is persisting). In exactly-once modes it makes its
    /// checkpoint unaligned if it is not already. At-least-once never sends priority
    /// barriers; there it is treated as in order.
    pub fn on_priority_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        self.barrier(now, channel, barrier, Delivery::Priority);
    }

    fn barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier, d: Delivery) {
        let from = self.actions.len();
        match &mut self.inner {
            Inner::ExactlyOnce(h) => h.on_barrier(now, channel, barrier, d, &mut self.actions),
            Inner::AtLeastOnce(t) => t.on_barrier(now, channel, barrier, &mut self.actions),
        }
        self.arm_output_timeout(from);
    }

    /// A barrier received on `channel` in data order and queued behind its buffers (Flink's
    /// `CheckpointBarrierAnnouncement`). With an aligned-checkpoint timeout it starts the
    /// checkpoint's alignment timer; otherwise, and for at-least-once, it changes nothing.
    pub fn on_barrier_announcement(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        let from = self.actions.len();
        if let Inner::ExactlyOnce(h) = &mut self.inner {
            h.on_announcement(now, channel, barrier, &mut self.actions);
        }
        self.arm_output_timeout(from);
    }

    /// The deadline at which an aligned snapshot's forwarded barrier, if still waiting in an
    /// output backlog, is prioritized; `None` for barriers that cannot time out.
    fn output_deadline(&self, trigger: &SnapshotTrigger) -> Option<Nanos> {
        let timeoutable = self.config.mode == CheckpointingMode::ExactlyOnceUnaligned
            && trigger.barrier.kind == SnapshotKind::Checkpoint
            && !trigger.unaligned;
        let timeout = self
            .config
            .aligned_checkpoint_timeout
            .filter(|&t| t > 0 && timeoutable)?;
        let start = match self.config.timeout_start {
            AlignmentTimeoutStart::CheckpointStart => trigger.barrier.trigger_timestamp,
            AlignmentTimeoutStart::FirstBarrier => trigger.first_barrier_at,
        };
        Some(start.saturating_add(timeout))
    }

    /// Looks at the actions emitted since `from`: an aligned snapshot of a checkpoint that
    /// can time out arms the output timer (replacing an older one, as Flink does); an abort
    /// of that checkpoint disarms it.
    fn arm_output_timeout(&mut self, from: usize) {
        for i in from..self.actions.len() {
            match &self.actions[i] {
                Action::TriggerSnapshot(trigger) => {
                    self.output_timeout = self
                        .output_deadline(trigger)
                        .map(|deadline| (trigger.checkpoint_id(), deadline));
                }
                Action::AbortCheckpoint { checkpoint_id, .. }
                    if self.output_timeout.is_some_and(|(id, _)| id == *checkpoint_id) =>
                {
                    self.output_timeout = None;
                }
                _ => {}
            }
        }
    }

    /// Whether the forwarded barrier of `checkpoint_id` is prioritized if it is still in an
    /// output backlog at the aligned-checkpoint timeout: then the buffers it may overtake
    /// belong to the checkpoint, and the subtask's part of it is complete only once the
    /// barrier has left every output backlog (Flink completes the output channel state
    /// when the barrier is sent, or at the timeout).
    pub fn times_out_output_barrier(&self, checkpoint_id: CheckpointId) -> bool {
        self.output_timeout.is_some_and(|(id, _)| id == checkpoint_id)
    }

    /// A `CancelCheckpointMarker` taken from `channel`: aborts that checkpoint here.
    pub fn on_cancellation_marker(&mut self, now: Nanos, channel: ChannelIndex, checkpoint_id: CheckpointId) {
        // Time plays no part in a cancellation; kept for the uniform input shape.
        let _ = now;
        let from = self.actions.len();
        match &mut self.inner {
            Inner::ExactlyOnce(h) => h.on_cancellation_marker(channel, checkpoint_id, &mut self.actions),
            Inner::AtLeastOnce(t) => t.on_cancellation_marker(channel, checkpoint_id, &mut self.actions),
        }
        self.arm_output_timeout(from);
    }

    /// `EndOfPartition` taken from `channel`: it will deliver nothing more.
    pub fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex) {
        let from = self.actions.len();
        match &mut self.inner {
            Inner::ExactlyOnce(h) => h.on_end_of_partition(now, channel, &mut self.actions),
            Inner::AtLeastOnce(t) => t.on_end_of_partition(now, channel, &mut self.actions),
        }
        self.arm_output_timeout(from);
    }

    /// A source's checkpoint trigger (from the coordinator): snapshot now and emit the
    /// barrier. Panics on a subtask with input channels, whose snapshots follow barriers.
    pub fn trigger(&mut self, now: Nanos, barrier: Barrier) {
        assert_eq!(
            self.config.num_channels, 0,
            "trigger() is for sources; subtasks with inputs snapshot on barriers"
        );
        let unaligned = self.config.mode == CheckpointingMode::ExactlyOnceUnaligned
            && barrier.kind == SnapshotKind::Checkpoint
            && self.config.aligned_checkpoint_timeout.unwrap_or(0) == 0;
        let from = self.actions.len();
        self.actions.push_back(Action::TriggerSnapshot(SnapshotTrigger {
            barrier,
            unaligned,
            first_barrier_at: now,
            alignment_duration: 0,
        }));
        self.actions.push_back(Action::AllBarriersReceived {
            checkpoint_id: barrier.checkpoint_id,
            first_barrier_at: now,
            alignment_duration: 0,
        });
        self.arm_output_timeout(from);
    }

    /// Time has reached [`Self::poll_timeout`]: an alignment past its deadline switches to
    /// unaligned, and a forwarded barrier past its deadline is prioritized in the output
    /// backlogs. Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Nanos) {
        if let Some((checkpoint_id, deadline)) = self.output_timeout
            && now >= deadline
        {
            self.output_timeout = None;
            self.actions
                .push_back(Action::PrioritizeOutputBarrier { checkpoint_id });
        }
        let from = self.actions.len();
        if let Inner::ExactlyOnce(h) = &mut self.inner {
            h.handle_timeout(now, &mut self.actions);
        }
        self.arm_output_timeout(from);
    }

    // ----- outputs ------------------------------------------------------------------

    /// The next thing the driver must do, in order; `None` when all are drained.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the handler next needs [`Self::handle_timeout`]: the alignment deadline or the
    /// output barrier's, whichever comes first.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let input = match &self.inner {
            Inner::ExactlyOnce(h) => h.poll_timeout(),
            Inner::AtLeastOnce(_) => None,
        };
        let output = self.output_timeout.map(|(_, deadline)| deadline);
        match (input, output) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- queries ------------------------------------------------------------------

    fn channels(&self) -> &InputChannels {
        match &self.inner {
            Inner::ExactlyOnce(h) => h.channels(),
            Inner::AtLeastOnce(t) => t.channels(),
        }
    }

    /// Whether the driver must leave `channel`'s queued data alone for now.
    pub fn is_blocked(&self, channel: ChannelIndex) -> bool {
        self.channels().is_blocked(channel)
    }

    /// For a buffer received on `channel` now: the checkpoint whose channel state it is
    /// part of, if any (between `StartPersisting` and `StopPersisting`).
    pub fn should_persist(&self, channel: ChannelIndex) -> Option<CheckpointId> {
        self.channels().persisting(channel)
    }

    /// Whether `channel` delivered its EndOfPartition.
    pub fn is_finished(&self, channel: ChannelIndex) -> bool {
        self.channels().is_finished(channel)
    }

    /// Input channels of the subtask, ended or not.
    pub fn num_channels(&self) -> usize {
        self.channels().len()
    }

    /// Input channels that have not ended; when zero, no barrier can arrive any more.
    pub fn num_open_channels(&self) -> usize {
        self.channels().num_open()
    }

    /// The checkpoint collecting barriers now (the newest, for at-least-once).
    pub fn pending_checkpoint(&self) -> Option<CheckpointId> {
        match &self.inner {
            Inner::ExactlyOnce(h) => h.pending_checkpoint(),
            Inner::AtLeastOnce(t) => t.pending_checkpoint(),
        }
    }

    /// The newest checkpoint seen through a barrier or cancellation marker; older barriers
    /// are ignored.
    pub fn latest_checkpoint_id(&self) -> Option<CheckpointId> {
        match &self.inner {
            Inner::ExactlyOnce(h) => h.latest_checkpoint_id(),
            Inner::AtLeastOnce(t) => t.latest_checkpoint_id(),
        }
    }
}
