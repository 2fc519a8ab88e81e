//! A checkpoint protocol written outside ckptsim, against its public interface only.
//!
//! `SimpleBarriers` is a coordinated barrier protocol in its plainest form: the
//! coordinator injects barriers at the sources, and a subtask with inputs snapshots once
//! a checkpoint's barrier has arrived on every input channel. It has one knob:
//!
//! - `blocking` (correct): a channel that delivered its barrier is blocked until the
//!   barriers of all the other channels are in, so the snapshot holds exactly the
//!   records before the cut. This is Flink's aligned checkpoint without its timeout.
//! - `eager` (broken): the subtask snapshots at the *first* barrier and blocks nothing.
//!   Records still due before the cut on the other channels are missing from the
//!   snapshot, and are not replayed either, since their sources restart after them.
//!   Exactly-once must fail; the explorer finds it.
//!
//! The coordinator role is ckptsim's own `CheckpointCoordinator`, which this protocol
//! reuses as is: a protocol may replace either role, or both.

use std::collections::VecDeque;
use std::sync::Arc;

use ckptsim::protocol::coordinator::{CheckpointCoordinator, ConfigError, CoordinatorConfig};
use ckptsim::protocol::interface::{
    ChannelIndex, CoordinatorProtocol, JobContext, Protocol, SharedProtocol, SnapshotTrigger, SubtaskAction,
    SubtaskContext, SubtaskProtocol,
};
use ckptsim::protocol::{Barrier, CheckpointFailureReason, CheckpointId, Nanos};

/// The protocol value a scenario runs (`Scenario::with_protocol`).
#[derive(Clone, Debug)]
pub struct SimpleBarriers {
    /// The coordinator's configuration: interval, timeout, retained checkpoints...
    pub coordinator: CoordinatorConfig,
    /// Whether a subtask snapshots at the first barrier without blocking (broken).
    pub eager: bool,
}

impl SimpleBarriers {
    /// The correct, blocking variant.
    pub fn blocking(coordinator: CoordinatorConfig) -> SharedProtocol {
        Arc::new(SimpleBarriers {
            coordinator,
            eager: false,
        })
    }

    /// The broken variant: snapshot at the first barrier, block nothing.
    pub fn eager(coordinator: CoordinatorConfig) -> SharedProtocol {
        Arc::new(SimpleBarriers {
            coordinator,
            eager: true,
        })
    }
}

impl Protocol for SimpleBarriers {
    fn name(&self) -> &str {
        if self.eager {
            "simple-barriers-eager"
        } else {
            "simple-barriers"
        }
    }

    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol> {
        Box::new(BarrierSubtask::new(context.input_producers.len(), self.eager))
    }

    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError> {
        Ok(Box::new(CheckpointCoordinator::new(
            self.coordinator.clone(),
            job.num_subtasks,
        )?))
    }
}

/// The checkpoint a subtask is collecting barriers for.
#[derive(Clone, Debug)]
struct Collecting {
    barrier: Barrier,
    first_barrier_at: Nanos,
    /// Channels whose barrier arrived (or that ended), by channel index.
    arrived: Vec<bool>,
    /// Whether the snapshot is already taken (eager variant, at the first barrier).
    snapshot_taken: bool,
}

/// One subtask's role: a small state machine that the driver feeds and drains.
#[derive(Debug)]
pub struct BarrierSubtask {
    eager: bool,
    /// Channels that delivered their end of partition: they owe no more barriers.
    ended: Vec<bool>,
    /// Channels the driver must not take data from.
    blocked: Vec<bool>,
    /// The newest checkpoint seen here; older barriers are late and ignored.
    latest: Option<CheckpointId>,
    collecting: Option<Collecting>,
    actions: VecDeque<SubtaskAction>,
}

impl BarrierSubtask {
    pub fn new(num_channels: usize, eager: bool) -> Self {
        BarrierSubtask {
            eager,
            ended: vec![false; num_channels],
            blocked: vec![false; num_channels],
            latest: None,
            collecting: None,
            actions: VecDeque::new(),
        }
    }

    fn snapshot(&mut self, barrier: Barrier, first_barrier_at: Nanos, now: Nanos) {
        self.actions.push_back(SubtaskAction::TriggerSnapshot(SnapshotTrigger {
            barrier,
            // In order: the forwarded barrier follows the records sent before it.
            unaligned: false,
            first_barrier_at,
            alignment_duration: now.saturating_sub(first_barrier_at),
        }));
    }

    fn unblock_all(&mut self) {
        for channel in 0..self.blocked.len() {
            if std::mem::take(&mut self.blocked[channel]) {
                self.actions.push_back(SubtaskAction::UnblockChannel { channel });
            }
        }
    }

    /// Gives up the checkpoint being collected, if any: declines it at the coordinator
    /// and tells downstream, which would otherwise wait for a barrier that won't come.
    fn abort(&mut self, reason: CheckpointFailureReason) {
        if let Some(c) = self.collecting.take() {
            self.unblock_all();
            let checkpoint_id = c.barrier.checkpoint_id;
            self.actions
                .push_back(SubtaskAction::AbortCheckpoint { checkpoint_id, reason });
            self.actions
                .push_back(SubtaskAction::ForwardCancellation { checkpoint_id });
        }
    }

    /// The channel no longer owes the pending checkpoint a barrier: complete the
    /// checkpoint when no channel does. Returns whether one is still collecting.
    fn arrived(&mut self, now: Nanos, channel: ChannelIndex) -> bool {
        let Some(c) = self.collecting.as_mut() else {
            return false;
        };
        c.arrived[channel] = true;
        if !c.arrived.iter().all(|a| *a) {
            return true;
        }
        let c = self.collecting.take().expect("collecting");
        if !c.snapshot_taken {
            self.snapshot(c.barrier, c.first_barrier_at, now);
        }
        self.unblock_all();
        self.actions.push_back(SubtaskAction::AllBarriersReceived {
            checkpoint_id: c.barrier.checkpoint_id,
            first_barrier_at: c.first_barrier_at,
            alignment_duration: now.saturating_sub(c.first_barrier_at),
        });
        false
    }
}

impl SubtaskProtocol for BarrierSubtask {
    /// A source: snapshot now, nothing to align.
    fn on_trigger(&mut self, now: Nanos, barrier: Barrier) {
        self.snapshot(barrier, now, now);
        self.actions.push_back(SubtaskAction::AllBarriersReceived {
            checkpoint_id: barrier.checkpoint_id,
            first_barrier_at: now,
            alignment_duration: 0,
        });
    }

    fn on_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        let id = barrier.checkpoint_id;
        if self.latest.is_some_and(|latest| id < latest) {
            return; // late: its checkpoint was aborted or subsumed here
        }
        if self.latest.is_none_or(|latest| id > latest) {
            // A newer checkpoint: the pending one can no longer complete here.
            self.abort(CheckpointFailureReason::CheckpointDeclinedSubsumed);
            self.latest = Some(id);
            let arrived = self.ended.clone();
            self.collecting = Some(Collecting {
                barrier,
                first_barrier_at: now,
                arrived,
                snapshot_taken: false,
            });
            if self.eager {
                self.snapshot(barrier, now, now);
                self.collecting.as_mut().expect("collecting").snapshot_taken = true;
            }
        }
        let pending = self.collecting.as_ref().is_some_and(|c| c.barrier.checkpoint_id == id);
        if pending && self.arrived(now, channel) && !self.eager {
            // Hold this channel's records after the cut until the others catch up.
            self.blocked[channel] = true;
            self.actions.push_back(SubtaskAction::BlockChannel {
                channel,
                checkpoint_id: id,
            });
        }
    }

    fn on_priority_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        // Barriers of this protocol never overtake data; treat one in order.
        self.on_barrier(now, channel, barrier);
    }

    fn on_cancellation_marker(&mut self, _now: Nanos, _channel: ChannelIndex, checkpoint_id: CheckpointId) {
        if self.pending_checkpoint() == Some(checkpoint_id) {
            self.abort(CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier);
        } else if self.latest.is_none_or(|latest| checkpoint_id > latest) {
            // A newer checkpoint was cancelled before its barrier got here: the pending
            // one is subsumed, and the cancelled one is declined and passed on.
            self.abort(CheckpointFailureReason::CheckpointDeclinedSubsumed);
            self.latest = Some(checkpoint_id);
            self.actions.push_back(SubtaskAction::AbortCheckpoint {
                checkpoint_id,
                reason: CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier,
            });
            self.actions
                .push_back(SubtaskAction::ForwardCancellation { checkpoint_id });
        }
    }

    fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex) {
        self.ended[channel] = true;
        self.arrived(now, channel);
    }

    fn handle_timeout(&mut self, _now: Nanos) {}

    fn poll_action(&mut self) -> Option<SubtaskAction> {
        self.actions.pop_front()
    }

    fn poll_timeout(&self) -> Option<Nanos> {
        None
    }

    fn is_blocked(&self, channel: ChannelIndex) -> bool {
        self.blocked[channel]
    }

    fn pending_checkpoint(&self) -> Option<CheckpointId> {
        self.collecting.as_ref().map(|c| c.barrier.checkpoint_id)
    }
}
