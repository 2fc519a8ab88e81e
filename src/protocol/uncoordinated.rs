//! Uncoordinated checkpointing with sender-side message logging (CheckMate's UNC).
//!
//! No barriers: every subtask checkpoints on its own timer, which fires after the
//! interval plus or minus a jitter drawn anew each time, so subtasks drift apart.
//! Every subtask logs what it sends, per channel; each snapshot records how many
//! records the subtask had sent on every output and processed from every input. The
//! [`LineCoordinator`] keeps the newest consistent recovery line over the stored
//! checkpoints; a restore puts every subtask back on its line checkpoint and replays,
//! from the senders' logs, what was in transit between the line's checkpoints.
//!
//! The subtask roles here are sans-IO: they decide when to snapshot, the driver takes
//! the snapshot, counts the channels and keeps the logs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::protocol::coordinator::{ConfigError, CoordinatorConfig};
use crate::protocol::interface::{
    ChannelIndex, CoordinatorProtocol, JobContext, LocalSnapshotCause, Protocol, SubtaskAction, SubtaskContext,
    SubtaskProtocol,
};
use crate::protocol::recovery_line::LineCoordinator;
use crate::protocol::types::{Barrier, CheckpointId, Nanos};

/// Uncoordinated checkpointing: its timer and its coordinator's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncoordinated {
    /// The checkpoint timeout and retention; `interval` is the timer's mean.
    pub coordinator: CoordinatorConfig,
    pub timer: TimerSettings,
}

/// When a subtask's own checkpoint timer fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerSettings {
    /// The mean time between a subtask's checkpoints.
    pub interval: Nanos,
    /// Each wait is drawn uniformly from `interval ± jitter`.
    pub jitter: Nanos,
    /// Seeds the draws; each subtask and each deployment has its own stream.
    pub seed: u64,
}

/// A subtask's checkpoint clock and the ids of the snapshots it takes.
#[derive(Clone, Debug)]
pub struct CheckpointTimer {
    settings: TimerSettings,
    rng: ChaCha8Rng,
    deadline: Nanos,
    next_id: CheckpointId,
    stride: CheckpointId,
}

impl CheckpointTimer {
    /// The clock of the subtask `context` describes, first firing one wait after it starts.
    pub fn new(settings: TimerSettings, context: &SubtaskContext) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ context.started_at.rotate_left(29));
        rng.set_stream(context.subtask as u64);
        let mut timer = CheckpointTimer {
            settings,
            rng,
            deadline: 0,
            next_id: context.first_checkpoint_id + context.subtask as CheckpointId,
            stride: context.num_subtasks.max(1) as CheckpointId,
        };
        timer.restart(context.started_at);
        timer
    }

    /// Starts a new wait at `now` (after any checkpoint, basic or forced).
    pub fn restart(&mut self, now: Nanos) {
        let s = self.settings;
        let low = s.interval.saturating_sub(s.jitter).max(1);
        let high = s.interval.saturating_add(s.jitter).max(low);
        self.deadline = now.saturating_add(self.rng.gen_range(low..=high));
    }

    /// When the timer fires next.
    pub fn deadline(&self) -> Nanos {
        self.deadline
    }

    /// Whether the timer has fired by `now`.
    pub fn due(&self, now: Nanos) -> bool {
        now >= self.deadline
    }

    /// The id of the next snapshot, then the one after it.
    pub fn take_id(&mut self) -> CheckpointId {
        let id = self.next_id;
        self.next_id += self.stride;
        id
    }
}

impl Protocol for Uncoordinated {
    fn name(&self) -> &str {
        "uncoordinated"
    }

    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol> {
        Box::new(UncoordinatedSubtask {
            timer: CheckpointTimer::new(self.timer, context),
            actions: Vec::new(),
        })
    }

    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError> {
        Ok(Box::new(LineCoordinator::new(self.coordinator.clone(), job)))
    }

    fn counts_channels(&self) -> bool {
        true
    }
}

/// One subtask's role: snapshot when the timer fires; log everything sent.
#[derive(Clone, Debug)]
pub struct UncoordinatedSubtask {
    timer: CheckpointTimer,
    actions: Vec<SubtaskAction>,
}

impl SubtaskProtocol for UncoordinatedSubtask {
    fn on_trigger(&mut self, _now: Nanos, _barrier: Barrier) {}
    fn on_barrier(&mut self, _now: Nanos, _channel: ChannelIndex, _barrier: Barrier) {}
    fn on_priority_barrier(&mut self, _now: Nanos, _channel: ChannelIndex, _barrier: Barrier) {}
    fn on_cancellation_marker(&mut self, _now: Nanos, _channel: ChannelIndex, _checkpoint_id: CheckpointId) {}

    fn on_end_of_partition(&mut self, _now: Nanos, _channel: ChannelIndex) {}

    fn handle_timeout(&mut self, now: Nanos) {
        if !self.timer.due(now) {
            return;
        }
        self.timer.restart(now);
        self.actions.push(SubtaskAction::LocalSnapshot {
            checkpoint_id: self.timer.take_id(),
            cause: LocalSnapshotCause::Timer,
        });
    }

    fn poll_action(&mut self) -> Option<SubtaskAction> {
        (!self.actions.is_empty()).then(|| self.actions.remove(0))
    }

    fn poll_timeout(&self) -> Option<Nanos> {
        Some(self.timer.deadline())
    }

    fn is_blocked(&self, _channel: ChannelIndex) -> bool {
        false
    }

    fn pending_checkpoint(&self) -> Option<CheckpointId> {
        None
    }

    fn logs_sent_data(&self) -> bool {
        true
    }
}
