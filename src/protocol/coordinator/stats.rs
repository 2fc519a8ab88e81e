//! Per-checkpoint statistics in the vocabulary of Flink's REST API
//! (`/jobs/:jobid/checkpoints`), so reports read like the Flink web UI.

use std::collections::BTreeMap;

use super::SubtaskId;
use crate::protocol::types::{CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

/// What a subtask reports when it acknowledges a checkpoint (Flink's
/// `CheckpointMetrics`). The caller's model fills it; the coordinator only sums
/// and stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubtaskAck {
    /// `state_size`: full size of the subtask's state in this checkpoint, in bytes.
    pub state_size: u64,
    /// `checkpointed_size`: bytes actually uploaded for this checkpoint (less than
    /// `state_size` for incremental snapshots).
    pub checkpointed_size: u64,
    /// `processed_data`: bytes processed while aligning barriers.
    pub processed_data: u64,
    /// `persisted_data`: in-flight bytes persisted with an unaligned checkpoint.
    pub persisted_data: u64,
    /// `sync_duration`: the synchronous part of the snapshot.
    pub sync_duration: Nanos,
    /// `async_duration`: the asynchronous upload.
    pub async_duration: Nanos,
    /// `alignment_duration`: first barrier to last barrier at this subtask.
    pub alignment_duration: Nanos,
    /// `start_delay`: trigger to the first barrier reaching this subtask.
    pub start_delay: Nanos,
    /// `unaligned_checkpoint`: whether the subtask took an unaligned snapshot.
    pub unaligned: bool,
    /// Bytes this subtask's state handles add to the checkpoint's `_metadata` file.
    pub metadata_bytes: u64,
}

/// One acknowledgement as received: who, when, what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubtaskAckRecord {
    pub subtask: SubtaskId,
    /// `ack_timestamp`: when the coordinator received it.
    pub ack_timestamp: Nanos,
    pub ack: SubtaskAck,
    /// The subtask had finished before the trigger: Flink reports it acknowledged at
    /// the trigger with nothing in it (`CheckpointCoordinator.reportFinishedTasks`).
    pub finished: bool,
}

/// A checkpoint's state as the REST API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointStatus {
    InProgress,
    Completed,
    Failed,
}

impl CheckpointStatus {
    /// Flink's `CheckpointStatsStatus` name.
    pub fn flink_name(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// Everything known about one checkpoint or savepoint, in progress or finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointStats {
    pub checkpoint_id: CheckpointId,
    pub status: CheckpointStatus,
    pub is_savepoint: bool,
    pub trigger_timestamp: Nanos,
    /// When the latest acknowledgement arrived.
    pub latest_ack_timestamp: Option<Nanos>,
    /// Completion (or failure) minus trigger; while in progress, latest ack minus
    /// trigger, as Flink reports it.
    pub end_to_end_duration: Option<Nanos>,
    pub num_subtasks: usize,
    pub num_acknowledged_subtasks: usize,
    /// Sums over acknowledged subtasks.
    pub state_size: u64,
    pub checkpointed_size: u64,
    pub processed_data: u64,
    pub persisted_data: u64,
    /// When the last acknowledgement arrived and finalization (metadata write) began.
    pub all_acknowledged_timestamp: Option<Nanos>,
    /// Size of the `_metadata` file requested with `WriteMetadata`.
    pub metadata_size: Option<u64>,
    pub completion_timestamp: Option<Nanos>,
    /// All acknowledged to metadata written: the coordinator's share of the
    /// checkpoint time.
    pub finalize_duration: Option<Nanos>,
    pub failure_timestamp: Option<Nanos>,
    pub failure_reason: Option<CheckpointFailureReason>,
    /// Acknowledgements by subtask index.
    pub subtasks: BTreeMap<SubtaskId, SubtaskAckRecord>,
}

impl CheckpointStats {
    /// `failure_message`: the failure reason as Flink names it.
    pub fn failure_message(&self) -> Option<&'static str> {
        self.failure_reason.map(CheckpointFailureReason::flink_name)
    }
}

/// Flink's `CheckpointStatsCounts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    /// `total`: checkpoints and savepoints triggered.
    pub triggered: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
    /// Times the job restored from a checkpoint.
    pub restored: u64,
}

/// The latest restore, as the REST API's `latest.restored` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoredCheckpointStats {
    pub checkpoint_id: CheckpointId,
    pub restore_timestamp: Nanos,
}

/// Keeps every checkpoint's statistics, in id order.
#[derive(Clone, Debug, Default)]
pub(crate) struct StatsTracker {
    history: Vec<CheckpointStats>,
    counts: CheckpointCounts,
    latest_restored: Option<RestoredCheckpointStats>,
}

impl StatsTracker {
    pub(crate) fn history(&self) -> &[CheckpointStats] {
        &self.history
    }

    pub(crate) fn counts(&self) -> CheckpointCounts {
        self.counts
    }

    pub(crate) fn latest_restored(&self) -> Option<RestoredCheckpointStats> {
        self.latest_restored
    }

    pub(crate) fn get(&self, id: CheckpointId) -> Option<&CheckpointStats> {
        let index = self.history.binary_search_by_key(&id, |s| s.checkpoint_id).ok()?;
        self.history.get(index)
    }

    fn get_mut(&mut self, id: CheckpointId) -> &mut CheckpointStats {
        let index = self
            .history
            .binary_search_by_key(&id, |s| s.checkpoint_id)
            .expect("stats exist for every triggered checkpoint");
        &mut self.history[index]
    }

    pub(crate) fn report_pending(
        &mut self,
        id: CheckpointId,
        kind: SnapshotKind,
        trigger_timestamp: Nanos,
        num_subtasks: usize,
    ) {
        // Ids are triggered in order by a coordinator; subtasks checkpointing on their
        // own clocks interleave theirs, so keep the history sorted by id.
        let at = self.history.partition_point(|c| c.checkpoint_id < id);
        self.history.insert(
            at,
            CheckpointStats {
                checkpoint_id: id,
                status: CheckpointStatus::InProgress,
                is_savepoint: kind == SnapshotKind::Savepoint,
                trigger_timestamp,
                latest_ack_timestamp: None,
                end_to_end_duration: None,
                num_subtasks,
                num_acknowledged_subtasks: 0,
                state_size: 0,
                checkpointed_size: 0,
                processed_data: 0,
                persisted_data: 0,
                all_acknowledged_timestamp: None,
                metadata_size: None,
                completion_timestamp: None,
                finalize_duration: None,
                failure_timestamp: None,
                failure_reason: None,
                subtasks: BTreeMap::new(),
            },
        );
        self.counts.triggered += 1;
        self.counts.in_progress += 1;
    }

    /// Whether `subtask` acknowledged checkpoint `id` itself (a subtask finished before
    /// the trigger did not: Flink does not know it as an acknowledging task).
    pub(crate) fn has_ack(&self, id: CheckpointId, subtask: SubtaskId) -> bool {
        self.get(id)
            .and_then(|s| s.subtasks.get(&subtask))
            .is_some_and(|r| !r.finished)
    }

    pub(crate) fn report_ack(&mut self, id: CheckpointId, subtask: SubtaskId, now: Nanos, ack: SubtaskAck) {
        let stats = self.get_mut(id);
        stats.subtasks.insert(
            subtask,
            SubtaskAckRecord {
                subtask,
                ack_timestamp: now,
                ack,
                finished: false,
            },
        );
        stats.num_acknowledged_subtasks += 1;
        stats.state_size += ack.state_size;
        stats.checkpointed_size += ack.checkpointed_size;
        stats.processed_data += ack.processed_data;
        stats.persisted_data += ack.persisted_data;
        stats.latest_ack_timestamp = Some(now);
        stats.end_to_end_duration = Some(now.saturating_sub(stats.trigger_timestamp));
    }

    /// A subtask that finished before the trigger: acknowledged at once with an empty
    /// snapshot, as Flink's `reportFinishedTasks` reports it, so that the checkpoint
    /// counts every subtask of the job.
    pub(crate) fn report_finished_at_trigger(&mut self, id: CheckpointId, subtask: SubtaskId, now: Nanos) {
        self.report_ack(id, subtask, now, SubtaskAck::default());
        if let Some(record) = self.get_mut(id).subtasks.get_mut(&subtask) {
            record.finished = true;
        }
    }

    pub(crate) fn report_all_acknowledged(&mut self, id: CheckpointId, now: Nanos, metadata_size: u64) {
        let stats = self.get_mut(id);
        stats.all_acknowledged_timestamp = Some(now);
        stats.metadata_size = Some(metadata_size);
    }

    pub(crate) fn report_completed(&mut self, id: CheckpointId, now: Nanos) {
        let stats = self.get_mut(id);
        stats.status = CheckpointStatus::Completed;
        stats.completion_timestamp = Some(now);
        stats.end_to_end_duration = Some(now.saturating_sub(stats.trigger_timestamp));
        stats.finalize_duration = stats
            .all_acknowledged_timestamp
            .map(|all_acked| now.saturating_sub(all_acked));
        self.counts.in_progress -= 1;
        self.counts.completed += 1;
    }

    pub(crate) fn report_failed(&mut self, id: CheckpointId, now: Nanos, reason: CheckpointFailureReason) {
        let stats = self.get_mut(id);
        stats.status = CheckpointStatus::Failed;
        stats.failure_timestamp = Some(now);
        stats.failure_reason = Some(reason);
        stats.end_to_end_duration = Some(now.saturating_sub(stats.trigger_timestamp));
        self.counts.in_progress -= 1;
        self.counts.failed += 1;
    }

    /// A trigger failed before its checkpoint was created (Flink's
    /// `reportFailedCheckpointsWithoutInProgress`): it counts as triggered and failed, with
    /// no id and no history entry.
    pub(crate) fn report_failed_without_in_progress(&mut self) {
        self.counts.triggered += 1;
        self.counts.failed += 1;
    }

    pub(crate) fn report_restored(&mut self, id: CheckpointId, now: Nanos) {
        self.counts.restored += 1;
        self.latest_restored = Some(RestoredCheckpointStats {
            checkpoint_id: id,
            restore_timestamp: now,
        });
    }
}
