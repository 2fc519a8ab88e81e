//! The coordinator of protocols that checkpoint without barriers: it collects every
//! subtask's checkpoints with the channel counts they recorded, keeps the recovery
//! line — the newest checkpoint per subtask such that no message is an orphan — and
//! restores the job from it.
//!
//! A checkpoint of the consumer of channel `c` that had processed `r` records of `c`
//! and a checkpoint of its producer that had sent `s` form a consistent pair when
//! `r ≤ s`: what the consumer processed was sent before the producer's checkpoint, and
//! the records `r..s` are in the producer's log, to be replayed. When `r > s` the
//! consumer's checkpoint depends on records the producer's would send again (an
//! orphan): the consumer rolls back to its previous checkpoint, which may make
//! another pair inconsistent, and so on (the domino effect). [`max_consistent_line`]
//! computes the fixpoint from the newest checkpoints down.
//!
//! The line only moves forward: new checkpoints can only extend the set of consistent
//! lines, so the newest consistent line over more checkpoints is never older. Hence
//! everything older than the line is garbage (checkpoints, and logged records the
//! line's consumers had processed), and a sink may commit what its line checkpoint
//! covers. A restore goes back to the line; checkpoints taken after it belong to an
//! execution that is redone, and are discarded.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::protocol::coordinator::{
    CheckpointCounts, CheckpointStats, CoordinatorAction, CoordinatorConfig, DiscardCause, JobTermination,
    RestoredCheckpointStats, StatsTracker, SubtaskAck, SubtaskId,
};
use crate::protocol::interface::{ChannelCounts, CoordinatorProtocol, JobContext, LineStats, RecoveryLine};
use crate::protocol::types::{CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

/// A stored checkpoint of one subtask, as the recovery line needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub id: CheckpointId,
    pub channels: ChannelCounts,
}

/// The newest consistent recovery line over `stored` (by subtask, oldest first), for a
/// job whose channels are `channels` (producer, consumer) by channel id. Returns, by
/// subtask, the index into its stored checkpoints (`None`: the job's start), and how
/// many times a subtask had to roll back.
pub fn max_consistent_line(
    stored: &[Vec<StoredCheckpoint>],
    channels: &[(SubtaskId, SubtaskId)],
) -> (Vec<Option<usize>>, u64) {
    let mut line: Vec<Option<usize>> = stored.iter().map(|s| s.len().checked_sub(1)).collect();
    let counts = |line: &[Option<usize>], st: SubtaskId| line[st].map(|i| &stored[st][i].channels);
    let mut rollbacks = 0;
    loop {
        let mut changed = false;
        for (ch, &(producer, consumer)) in channels.iter().enumerate() {
            let sent = counts(&line, producer).map_or(0, |c| c.sent_on(ch));
            let received = counts(&line, consumer).map_or(0, |c| c.received_on(ch));
            if received > sent {
                line[consumer] = line[consumer].and_then(|i| i.checked_sub(1));
                rollbacks += 1;
                changed = true;
            }
        }
        if !changed {
            return (line, rollbacks);
        }
    }
}

/// A subtask checkpoint under way.
#[derive(Clone, Copy, Debug)]
struct Pending {
    subtask: SubtaskId,
    deadline: Nanos,
}

/// The coordinator of uncoordinated and communication-induced checkpointing.
#[derive(Clone, Debug)]
pub struct LineCoordinator {
    config: CoordinatorConfig,
    channels: Vec<(SubtaskId, SubtaskId)>,
    /// By subtask, oldest first: the line's checkpoint and every newer stored one.
    stored: Vec<Vec<StoredCheckpoint>>,
    /// The recovery line, by subtask.
    line: Vec<Option<CheckpointId>>,
    on_line: BTreeSet<CheckpointId>,
    pending: BTreeMap<CheckpointId, Pending>,
    stats: StatsTracker,
    line_stats: LineStats,
    shut_down: bool,
    actions: VecDeque<CoordinatorAction>,
}

impl LineCoordinator {
    /// A coordinator for `job`; `config` gives the checkpoint timeout and retention.
    pub fn new(config: CoordinatorConfig, job: &JobContext) -> Self {
        LineCoordinator {
            config,
            channels: job.channels.clone(),
            stored: vec![Vec::new(); job.num_subtasks],
            line: vec![None; job.num_subtasks],
            on_line: BTreeSet::new(),
            pending: BTreeMap::new(),
            stats: StatsTracker::default(),
            line_stats: LineStats::default(),
            shut_down: false,
            actions: VecDeque::new(),
        }
    }

    /// The recovery line now, by subtask.
    pub fn line(&self) -> &[Option<CheckpointId>] {
        &self.line
    }

    fn fail(&mut self, now: Nanos, checkpoint_id: CheckpointId, reason: CheckpointFailureReason) {
        if self.pending.remove(&checkpoint_id).is_none() {
            return;
        }
        self.stats.report_failed(checkpoint_id, now, reason);
        self.actions
            .push_back(CoordinatorAction::NotifyCheckpointAborted { checkpoint_id, reason });
        self.actions.push_back(CoordinatorAction::DiscardCheckpoint {
            checkpoint_id,
            cause: DiscardCause::Aborted,
        });
    }

    fn discard(&mut self, checkpoint_id: CheckpointId, cause: DiscardCause) {
        if !self.on_line.contains(&checkpoint_id) {
            self.line_stats.useless_checkpoints += 1;
        }
        self.actions
            .push_back(CoordinatorAction::DiscardCheckpoint { checkpoint_id, cause });
    }

    /// Moves the line as far as the stored checkpoints allow, telling the subtasks
    /// whose part advanced and dropping what no line can need any more.
    fn advance_line(&mut self) {
        let (indices, _) = max_consistent_line(&self.stored, &self.channels);
        for (st, index) in indices.into_iter().enumerate() {
            let Some(index) = index else { continue };
            let id = self.stored[st][index].id;
            if self.line[st] == Some(id) {
                continue;
            }
            self.line[st] = Some(id);
            self.on_line.insert(id);
            self.actions
                .push_back(CoordinatorAction::NotifySubtaskCheckpointComplete {
                    subtask: st,
                    checkpoint_id: id,
                });
            let older: Vec<StoredCheckpoint> = self.stored[st].drain(..index).collect();
            for old in older {
                self.discard(old.id, DiscardCause::Subsumed);
            }
            let line_checkpoint = &self.stored[st][0];
            for &(ch, received) in &line_checkpoint.channels.received {
                self.actions.push_back(CoordinatorAction::TruncateLog {
                    channel: ch,
                    before: received,
                });
            }
        }
    }
}

impl CoordinatorProtocol for LineCoordinator {
    fn start_scheduler(&mut self, _now: Nanos) {}
    fn stop_scheduler(&mut self, _now: Nanos) {}
    fn stop_periodic_triggers(&mut self) {}

    fn trigger(&mut self, _now: Nanos, _kind: SnapshotKind) {
        // Subtasks checkpoint on their own clocks; a scenario cannot ask for more
        // (validation refuses manual triggers with these protocols).
    }

    fn snapshot_started(&mut self, now: Nanos, checkpoint_id: CheckpointId, subtask: SubtaskId) {
        if self.shut_down {
            return;
        }
        self.stats
            .report_pending(checkpoint_id, SnapshotKind::Checkpoint, now, 1);
        self.pending.insert(
            checkpoint_id,
            Pending {
                subtask,
                deadline: now.saturating_add(self.config.timeout),
            },
        );
    }

    fn acknowledge(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        ack: SubtaskAck,
        channels: &ChannelCounts,
    ) {
        if self.pending.get(&checkpoint_id).is_none_or(|p| p.subtask != subtask) {
            return;
        }
        self.pending.remove(&checkpoint_id);
        self.stats.report_ack(checkpoint_id, subtask, now, ack);
        self.stats.report_all_acknowledged(checkpoint_id, now, 0);
        self.stats.report_completed(checkpoint_id, now);
        self.stored[subtask].push(StoredCheckpoint {
            id: checkpoint_id,
            channels: channels.clone(),
        });
        self.advance_line();
    }

    fn decline(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        reason: CheckpointFailureReason,
    ) {
        if self.pending.get(&checkpoint_id).is_some_and(|p| p.subtask == subtask) {
            self.fail(now, checkpoint_id, reason);
        }
    }

    fn finalize_complete(&mut self, _now: Nanos, _checkpoint_id: CheckpointId) {}
    fn finalize_failed(&mut self, _now: Nanos, _checkpoint_id: CheckpointId) {}

    fn abort_checkpoint(&mut self, now: Nanos, checkpoint_id: CheckpointId, reason: CheckpointFailureReason) {
        self.fail(now, checkpoint_id, reason);
    }

    fn abort_pending_checkpoints(&mut self, now: Nanos, reason: CheckpointFailureReason) {
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.fail(now, id, reason);
        }
    }

    fn subtask_finished(&mut self, _now: Nanos, _subtask: SubtaskId) {}
    fn tasks_restarted(&mut self, _num_subtasks: usize) {}

    fn shutdown(&mut self, now: Nanos, termination: JobTermination) {
        if self.shut_down {
            return;
        }
        self.abort_pending_checkpoints(now, CheckpointFailureReason::CheckpointCoordinatorShutdown);
        self.shut_down = true;
        if self.config.externalized_retention.discards_on(termination) {
            let all: Vec<StoredCheckpoint> = self.stored.iter_mut().flat_map(std::mem::take).collect();
            for checkpoint in all {
                self.discard(checkpoint.id, DiscardCause::JobTerminated);
            }
        }
    }

    fn recovery_line(&mut self, now: Nanos) -> Option<RecoveryLine> {
        // Checkpoints after the line belong to an execution that is redone.
        for st in 0..self.stored.len() {
            let keep = usize::from(self.line[st].is_some());
            let newer: Vec<StoredCheckpoint> = self.stored[st].drain(keep..).collect();
            self.line_stats.rolled_back_checkpoints += newer.len() as u64;
            self.line_stats.max_rollback_depth = self.line_stats.max_rollback_depth.max(newer.len() as u64);
            for checkpoint in newer {
                self.discard(checkpoint.id, DiscardCause::Aborted);
            }
        }
        if let Some(newest) = self.line.iter().flatten().max() {
            self.stats.report_restored(*newest, now);
        }
        Some(RecoveryLine {
            checkpoints: self.line.clone(),
        })
    }

    fn handle_timeout(&mut self, now: Nanos) {
        let expired: Vec<CheckpointId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            self.fail(now, id, CheckpointFailureReason::CheckpointExpired);
        }
    }

    fn poll_action(&mut self) -> Option<CoordinatorAction> {
        self.actions.pop_front()
    }

    fn poll_timeout(&self) -> Option<Nanos> {
        self.pending.values().map(|p| p.deadline).min()
    }

    fn history(&self) -> &[CheckpointStats] {
        self.stats.history()
    }

    fn counts(&self) -> CheckpointCounts {
        self.stats.counts()
    }

    fn latest_restored(&self) -> Option<RestoredCheckpointStats> {
        self.stats.latest_restored()
    }

    fn config(&self) -> &CoordinatorConfig {
        &self.config
    }

    fn line_stats(&self) -> LineStats {
        self.line_stats
    }
}
