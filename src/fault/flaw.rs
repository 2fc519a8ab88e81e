//! Deliberately broken protocol variants. Each breaks one rule that exactly-once
//! recovery relies on; the tests show that the oracle catches every one of them.
//! A scenario file cannot select a flaw: only code can (`Scenario::flaw`).
//!
//! The flaws of the protocol itself are protocols too: wrappers around the correct
//! protocol's roles that break one rule, driven by the world like any other protocol.
//! The others break the world's restore, which checks the flaw where it restores.

use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use crate::protocol::coordinator::{
    CheckpointCounts, CheckpointStats, ConfigError, CoordinatorAction, CoordinatorConfig, JobTermination,
    RestoredCheckpointStats, SubtaskAck, SubtaskId,
};
use crate::protocol::interface::{
    ChannelCounts, ChannelIndex, CoordinatorProtocol, JobContext, LineStats, Piggyback, Protocol, RecoveryLine,
    SharedProtocol, SnapshotTrigger, SubtaskAction, SubtaskContext, SubtaskProtocol,
};
use crate::protocol::{Barrier, CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flaw {
    /// An aligned subtask snapshots when the first barrier arrives, before the other
    /// channels' barriers (records still due before the cut are left out).
    SnapshotBeforeAlignment,
    /// A barrier does not block its channel during alignment (records after the cut
    /// get into the snapshot).
    BarrierDoesNotBlock,
    /// The two-phase-commit sink commits at the barrier instead of on completion.
    SinkCommitsAtBarrier,
    /// Restore uses the latest triggered checkpoint, complete or not.
    RestoreLatestTriggered,
    /// Sources keep their offsets on restore instead of rewinding.
    SourcesNotRewound,
    /// The channel state of unaligned checkpoints is not restored.
    ChannelStateNotRestored,
    /// On restore the sink commits its open transaction instead of aborting it.
    SinkCommitsOpenTransaction,
    /// Protocols with message logging: senders keep no log, so what was in transit
    /// between a recovery line's checkpoints cannot be replayed.
    SenderDoesNotLog,
    /// Protocols with message logging: the restore takes every subtask's newest
    /// checkpoint as the recovery line, orphan messages or not.
    RecoveryLineIgnoresOrphans,
    /// Protocols with message logging: the coordinator moves the recovery line to each
    /// subtask's checkpoint as soon as it is acknowledged, orphans or not.
    LineAdvancesPastOrphans,
}

impl Flaw {
    pub const ALL: [Flaw; 10] = [
        Flaw::SnapshotBeforeAlignment,
        Flaw::BarrierDoesNotBlock,
        Flaw::SinkCommitsAtBarrier,
        Flaw::RestoreLatestTriggered,
        Flaw::SourcesNotRewound,
        Flaw::ChannelStateNotRestored,
        Flaw::SinkCommitsOpenTransaction,
        Flaw::SenderDoesNotLog,
        Flaw::RecoveryLineIgnoresOrphans,
        Flaw::LineAdvancesPastOrphans,
    ];
}

impl Flaw {
    /// Whether the flaw breaks the protocol itself rather than the world's restore.
    fn breaks_protocol(self) -> bool {
        matches!(
            self,
            Flaw::SnapshotBeforeAlignment
                | Flaw::BarrierDoesNotBlock
                | Flaw::RestoreLatestTriggered
                | Flaw::SenderDoesNotLog
                | Flaw::RecoveryLineIgnoresOrphans
                | Flaw::LineAdvancesPastOrphans
        )
    }
}

/// `protocol` with `flaw` built in, when the flaw breaks the protocol; the flaws that
/// break the world's restore leave the protocol as it is.
pub fn flawed_protocol(protocol: SharedProtocol, flaw: Flaw) -> SharedProtocol {
    if flaw.breaks_protocol() {
        Arc::new(FlawedProtocol { inner: protocol, flaw })
    } else {
        protocol
    }
}

/// A protocol with one rule broken: its roles wrap the correct protocol's roles.
#[derive(Debug)]
struct FlawedProtocol {
    inner: SharedProtocol,
    flaw: Flaw,
}

impl Protocol for FlawedProtocol {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn counts_channels(&self) -> bool {
        self.inner.counts_channels()
    }

    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol> {
        let inner = self.inner.subtask(context);
        match self.flaw {
            Flaw::SnapshotBeforeAlignment | Flaw::BarrierDoesNotBlock | Flaw::SenderDoesNotLog => {
                Box::new(FlawedSubtask {
                    inner,
                    flaw: self.flaw,
                    num_channels: context.input_producers.len(),
                    early: None,
                    queued: VecDeque::new(),
                })
            }
            _ => inner,
        }
    }

    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError> {
        let inner = self.inner.coordinator(job)?;
        Ok(match self.flaw {
            Flaw::RestoreLatestTriggered | Flaw::RecoveryLineIgnoresOrphans | Flaw::LineAdvancesPastOrphans => {
                Box::new(FlawedCoordinator {
                    inner,
                    flaw: self.flaw,
                    num_subtasks: job.num_subtasks,
                    live: BTreeSet::new(),
                    target: None,
                    newest: vec![None; job.num_subtasks],
                    queued: VecDeque::new(),
                })
            }
            _ => inner,
        })
    }
}

/// A subtask role that does not block aligning channels, or that snapshots at the
/// first barrier of a checkpoint instead of the last.
#[derive(Debug)]
struct FlawedSubtask {
    inner: Box<dyn SubtaskProtocol>,
    flaw: Flaw,
    num_channels: usize,
    /// The checkpoint already snapshotted at its first barrier: the real trigger,
    /// when alignment ends, is swallowed.
    early: Option<CheckpointId>,
    /// Actions of the flaw, handed out before the correct role's.
    queued: VecDeque<SubtaskAction>,
}

impl SubtaskProtocol for FlawedSubtask {
    fn on_trigger(&mut self, now: Nanos, barrier: Barrier) {
        self.inner.on_trigger(now, barrier);
    }
    fn on_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        self.inner.on_barrier(now, channel, barrier);
        let id = barrier.checkpoint_id;
        if self.flaw == Flaw::SnapshotBeforeAlignment
            && self.num_channels >= 2
            && self.early != Some(id)
            && self.inner.pending_checkpoint() == Some(id)
        {
            self.early = Some(id);
            self.queued.push_back(SubtaskAction::TriggerSnapshot(SnapshotTrigger {
                barrier,
                unaligned: false,
                first_barrier_at: now,
                alignment_duration: 0,
            }));
        }
    }
    fn on_priority_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        self.inner.on_priority_barrier(now, channel, barrier);
    }
    fn on_cancellation_marker(&mut self, now: Nanos, channel: ChannelIndex, checkpoint_id: CheckpointId) {
        self.inner.on_cancellation_marker(now, channel, checkpoint_id);
    }
    fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex) {
        self.inner.on_end_of_partition(now, channel);
    }
    fn handle_timeout(&mut self, now: Nanos) {
        self.inner.handle_timeout(now);
    }
    fn poll_action(&mut self) -> Option<SubtaskAction> {
        if let Some(action) = self.queued.pop_front() {
            return Some(action);
        }
        loop {
            match self.inner.poll_action()? {
                SubtaskAction::TriggerSnapshot(t) if Some(t.checkpoint_id()) == self.early => continue,
                action => return Some(action),
            }
        }
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        self.inner.poll_timeout()
    }
    fn is_blocked(&self, channel: ChannelIndex) -> bool {
        self.flaw != Flaw::BarrierDoesNotBlock && self.inner.is_blocked(channel)
    }
    fn pending_checkpoint(&self) -> Option<CheckpointId> {
        self.inner.pending_checkpoint()
    }
    fn on_data(&mut self, now: Nanos, channel: ChannelIndex, piggyback: &Piggyback) {
        self.inner.on_data(now, channel, piggyback);
    }
    fn piggyback(&mut self, channel: ChannelIndex) -> Option<Piggyback> {
        self.inner.piggyback(channel)
    }
    fn on_snapshot(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        self.inner.on_snapshot(now, checkpoint_id);
    }
    fn logs_sent_data(&self) -> bool {
        self.flaw != Flaw::SenderDoesNotLog && self.inner.logs_sent_data()
    }
}

/// A coordinator that restores the latest triggered checkpoint, complete or not, or
/// every subtask's newest checkpoint whatever the orphans.
#[derive(Debug)]
struct FlawedCoordinator {
    inner: Box<dyn CoordinatorProtocol>,
    flaw: Flaw,
    num_subtasks: usize,
    /// Each subtask's newest acknowledged checkpoint.
    newest: Vec<Option<CheckpointId>>,
    /// Checkpoints triggered and not aborted.
    live: BTreeSet<CheckpointId>,
    /// The checkpoint picked when the job failed.
    target: Option<CheckpointId>,
    /// Actions of the flaw, handed out before the correct coordinator's.
    queued: VecDeque<CoordinatorAction>,
}

impl CoordinatorProtocol for FlawedCoordinator {
    fn start_scheduler(&mut self, now: Nanos) {
        self.inner.start_scheduler(now);
    }
    fn stop_scheduler(&mut self, now: Nanos) {
        self.inner.stop_scheduler(now);
    }
    fn stop_periodic_triggers(&mut self) {
        self.inner.stop_periodic_triggers();
    }
    fn set_is_processing_backlog(&mut self, now: Nanos, source: crate::protocol::coordinator::SourceId, backlog: bool) {
        self.inner.set_is_processing_backlog(now, source, backlog);
    }
    fn trigger(&mut self, now: Nanos, kind: SnapshotKind) {
        self.inner.trigger(now, kind);
    }
    fn acknowledge(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        ack: SubtaskAck,
        channels: &ChannelCounts,
    ) {
        self.newest[subtask] = Some(checkpoint_id);
        self.inner.acknowledge(now, checkpoint_id, subtask, ack, channels);
        if self.flaw == Flaw::LineAdvancesPastOrphans {
            self.queued
                .push_back(CoordinatorAction::NotifySubtaskCheckpointComplete { subtask, checkpoint_id });
        }
    }
    fn snapshot_started(&mut self, now: Nanos, checkpoint_id: CheckpointId, subtask: SubtaskId) {
        self.inner.snapshot_started(now, checkpoint_id, subtask);
    }
    fn line_stats(&self) -> LineStats {
        self.inner.line_stats()
    }
    fn decline(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        reason: CheckpointFailureReason,
    ) {
        self.inner.decline(now, checkpoint_id, subtask, reason);
    }
    fn finalize_complete(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        self.inner.finalize_complete(now, checkpoint_id);
    }
    fn finalize_failed(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        self.inner.finalize_failed(now, checkpoint_id);
    }
    fn abort_checkpoint(&mut self, now: Nanos, checkpoint_id: CheckpointId, reason: CheckpointFailureReason) {
        self.inner.abort_checkpoint(now, checkpoint_id, reason);
    }
    fn abort_pending_checkpoints(&mut self, now: Nanos, reason: CheckpointFailureReason) {
        // The job failed: pick the newest checkpoint before its pending ones go.
        self.target = self.live.last().copied();
        self.inner.abort_pending_checkpoints(now, reason);
    }
    fn subtask_finished(&mut self, now: Nanos, subtask: SubtaskId) {
        self.inner.subtask_finished(now, subtask);
    }
    fn tasks_restarted(&mut self, num_subtasks: usize) {
        self.inner.tasks_restarted(num_subtasks);
    }
    fn shutdown(&mut self, now: Nanos, termination: JobTermination) {
        self.inner.shutdown(now, termination);
    }
    fn recovery_line(&mut self, now: Nanos) -> Option<RecoveryLine> {
        if self.flaw == Flaw::RecoveryLineIgnoresOrphans {
            // Let the correct coordinator drop what it would, then restore the newest.
            self.inner.recovery_line(now);
            return Some(RecoveryLine {
                checkpoints: self.newest.clone(),
            });
        }
        self.target.map(|id| RecoveryLine::uniform(id, self.num_subtasks))
    }
    fn handle_timeout(&mut self, now: Nanos) {
        self.inner.handle_timeout(now);
    }
    fn poll_action(&mut self) -> Option<CoordinatorAction> {
        if let Some(action) = self.queued.pop_front() {
            return Some(action);
        }
        let mut action = self.inner.poll_action()?;
        // The flaw advances the line itself: the correct coordinator's advances go.
        while self.flaw == Flaw::LineAdvancesPastOrphans
            && matches!(action, CoordinatorAction::NotifySubtaskCheckpointComplete { .. })
        {
            action = self.inner.poll_action()?;
        }
        match action {
            CoordinatorAction::TriggerCheckpoint { barrier, .. } => {
                self.live.insert(barrier.checkpoint_id);
            }
            CoordinatorAction::NotifyCheckpointAborted { checkpoint_id, .. } => {
                self.live.remove(&checkpoint_id);
            }
            _ => {}
        }
        Some(action)
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        self.inner.poll_timeout()
    }
    fn history(&self) -> &[CheckpointStats] {
        self.inner.history()
    }
    fn counts(&self) -> CheckpointCounts {
        self.inner.counts()
    }
    fn latest_restored(&self) -> Option<RestoredCheckpointStats> {
        self.inner.latest_restored()
    }
    fn config(&self) -> &CoordinatorConfig {
        self.inner.config()
    }
}
