//! Communication-induced checkpointing by the HMNR rule (Hélary, Mostefaoui, Netzer
//! and Raynal), in the Lamport-clock form CheckMate implements.
//!
//! Every subtask takes basic checkpoints on its own jittered timer, as with
//! uncoordinated checkpointing, and piggybacks control information on every data
//! buffer it sends: a logical clock `lc` and, over all `N` subtasks, the newest
//! checkpoint number it knows of (`ckpt`), whether a checkpoint was taken on a path
//! from it (`taken`) and whether its clock is greater (`greater`). A receiver takes a
//! forced checkpoint before processing a buffer when processing it could otherwise
//! close a Z-cycle, which would make a checkpoint useless:
//!
//! ```text
//! C1 = (∃k: sent_to[k] ∧ m.greater[k]) ∧ m.lc > lc
//! C2 = m.ckpt[me] = ckpt[me] ∧ m.taken[me]
//! ```
//!
//! Messages are logged at the sender and the recovery line is computed as for
//! uncoordinated checkpointing ([`LineCoordinator`]); the forced checkpoints keep
//! the line close to the newest checkpoints. The control information grows with the
//! number of subtasks: `8 + 8N + 2⌈N/8⌉` bytes per buffer.
//!
//! A restarted role starts its vectors afresh, as CheckMate's does (it never reads the
//! clocks saved in a snapshot): the rule only decides which checkpoints are taken;
//! consistency comes from the recovery line and the logs.

use crate::protocol::coordinator::{ConfigError, CoordinatorConfig};
use crate::protocol::interface::{
    ChannelIndex, CoordinatorProtocol, JobContext, LocalSnapshotCause, Piggyback, Protocol, SubtaskAction,
    SubtaskContext, SubtaskProtocol,
};
use crate::protocol::recovery_line::LineCoordinator;
use crate::protocol::types::{Barrier, CheckpointId, Nanos};
use crate::protocol::uncoordinated::{CheckpointTimer, TimerSettings};

/// Communication-induced checkpointing: basic checkpoints on a timer, forced ones by HMNR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunicationInduced {
    pub coordinator: CoordinatorConfig,
    pub timer: TimerSettings,
}

impl Protocol for CommunicationInduced {
    fn name(&self) -> &str {
        "communication-induced"
    }

    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol> {
        Box::new(HmnrSubtask::new(CheckpointTimer::new(self.timer, context), context))
    }

    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError> {
        Ok(Box::new(LineCoordinator::new(self.coordinator.clone(), job)))
    }

    fn counts_channels(&self) -> bool {
        true
    }
}

/// The control information of one buffer, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HmnrControl {
    pub lc: u64,
    pub ckpt: Vec<u64>,
    pub greater: Vec<bool>,
    pub taken: Vec<bool>,
}

impl HmnrControl {
    /// The wire form: `lc`, then `ckpt`, then `greater` and `taken` as bit sets.
    pub fn encode(&self) -> Piggyback {
        let n = self.ckpt.len();
        let mut words = Vec::with_capacity(1 + n + 2 * n.div_ceil(64));
        words.push(self.lc);
        words.extend_from_slice(&self.ckpt);
        words.extend(bits(&self.greater));
        words.extend(bits(&self.taken));
        Piggyback {
            words,
            bytes: 8 + 8 * n as u64 + 2 * n.div_ceil(8) as u64,
        }
    }

    /// Reads what [`Self::encode`] wrote, for `n` subtasks.
    pub fn decode(piggyback: &Piggyback, n: usize) -> Self {
        let w = &piggyback.words;
        let set = n.div_ceil(64);
        let at = |i: usize| w.get(i).copied().unwrap_or(0);
        let flags = |base: usize| (0..n).map(|k| at(base + k / 64) >> (k % 64) & 1 == 1).collect();
        HmnrControl {
            lc: at(0),
            ckpt: (0..n).map(|k| at(1 + k)).collect(),
            greater: flags(1 + n),
            taken: flags(1 + n + set),
        }
    }
}

fn bits(flags: &[bool]) -> impl Iterator<Item = u64> + '_ {
    flags.chunks(64).map(|chunk| {
        chunk
            .iter()
            .enumerate()
            .fold(0u64, |w, (i, &b)| w | (u64::from(b) << i))
    })
}

/// One subtask's HMNR state and checkpoint timer.
#[derive(Clone, Debug)]
pub struct HmnrSubtask {
    me: usize,
    /// The consumer subtask of each output channel.
    consumers: Vec<usize>,
    lc: u64,
    ckpt: Vec<u64>,
    greater: Vec<bool>,
    taken: Vec<bool>,
    sent_to: Vec<bool>,
    timer: CheckpointTimer,
    /// A buffer's control information to merge once the forced checkpoint it caused
    /// is taken.
    deferred: Option<HmnrControl>,
    actions: Vec<SubtaskAction>,
}

impl HmnrSubtask {
    /// The role of the subtask `context` describes, after its initial checkpoint.
    pub fn new(timer: CheckpointTimer, context: &SubtaskContext) -> Self {
        let n = context.num_subtasks;
        let mut role = HmnrSubtask {
            me: context.subtask,
            consumers: context.output_consumers.clone(),
            lc: 0,
            ckpt: vec![0; n],
            greater: vec![false; n],
            taken: vec![false; n],
            sent_to: vec![false; n],
            timer,
            deferred: None,
            actions: Vec::new(),
        };
        // The job's start counts as every subtask's first checkpoint.
        role.checkpoint_taken();
        role
    }

    /// The rule's state after this subtask checkpointed.
    fn checkpoint_taken(&mut self) {
        let me = self.me;
        self.sent_to.fill(false);
        for k in (0..self.ckpt.len()).filter(|&k| k != me) {
            self.taken[k] = true;
            self.greater[k] = true;
        }
        self.lc += 1;
        self.ckpt[me] += 1;
    }

    /// Whether processing a buffer carrying `m` must wait for a forced checkpoint.
    pub fn must_force(&self, m: &HmnrControl) -> bool {
        let me = self.me;
        let c1 = (0..self.sent_to.len()).any(|k| self.sent_to[k] && m.greater[k]) && m.lc > self.lc;
        let c2 = m.ckpt[me] == self.ckpt[me] && m.taken[me];
        c1 || c2
    }

    fn merge(&mut self, m: &HmnrControl) {
        let me = self.me;
        let n = self.ckpt.len();
        if m.lc > self.lc {
            self.lc = m.lc;
            self.greater[me] = false;
            for k in (0..n).filter(|&k| k != me) {
                self.greater[k] = m.greater[k];
            }
        } else if m.lc == self.lc {
            for k in 0..n {
                self.greater[k] &= m.greater[k];
            }
        }
        for k in (0..n).filter(|&k| k != me) {
            if m.ckpt[k] > self.ckpt[k] {
                self.ckpt[k] = m.ckpt[k];
                self.taken[k] = m.taken[k];
            } else if m.ckpt[k] == self.ckpt[k] {
                self.taken[k] |= m.taken[k];
            }
        }
    }

    fn snapshot(&mut self, now: Nanos, cause: LocalSnapshotCause) {
        self.timer.restart(now);
        self.actions.push(SubtaskAction::LocalSnapshot {
            checkpoint_id: self.timer.take_id(),
            cause,
        });
    }

    /// The control information to send now.
    pub fn control(&self) -> HmnrControl {
        HmnrControl {
            lc: self.lc,
            ckpt: self.ckpt.clone(),
            greater: self.greater.clone(),
            taken: self.taken.clone(),
        }
    }
}

impl SubtaskProtocol for HmnrSubtask {
    fn on_trigger(&mut self, _now: Nanos, _barrier: Barrier) {}
    fn on_barrier(&mut self, _now: Nanos, _channel: ChannelIndex, _barrier: Barrier) {}
    fn on_priority_barrier(&mut self, _now: Nanos, _channel: ChannelIndex, _barrier: Barrier) {}
    fn on_cancellation_marker(&mut self, _now: Nanos, _channel: ChannelIndex, _checkpoint_id: CheckpointId) {}
    fn on_end_of_partition(&mut self, _now: Nanos, _channel: ChannelIndex) {}

    fn on_data(&mut self, now: Nanos, _channel: ChannelIndex, piggyback: &Piggyback) {
        let m = HmnrControl::decode(piggyback, self.ckpt.len());
        if self.must_force(&m) {
            self.deferred = Some(m);
            self.snapshot(now, LocalSnapshotCause::Forced);
        } else {
            self.merge(&m);
        }
    }

    fn on_snapshot(&mut self, _now: Nanos, _checkpoint_id: CheckpointId) {
        self.checkpoint_taken();
        if let Some(m) = self.deferred.take() {
            self.merge(&m);
        }
    }

    fn handle_timeout(&mut self, now: Nanos) {
        if self.timer.due(now) {
            self.snapshot(now, LocalSnapshotCause::Timer);
        }
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

    fn piggyback(&mut self, channel: ChannelIndex) -> Option<Piggyback> {
        if let Some(&k) = self.consumers.get(channel) {
            self.sent_to[k] = true;
        }
        Some(self.control().encode())
    }

    fn logs_sent_data(&self) -> bool {
        true
    }
}
