//! The completed checkpoints the job can restore from: Flink's
//! `DefaultCompletedCheckpointStore`, holding ids only (the caller's storage model
//! holds the bytes).
//!
//! Savepoints are not added (Flink 1.15+): they belong to the user, so retention
//! never discards them and recovery never picks them.

use std::collections::VecDeque;

use super::config::{ExternalizedCheckpointRetention, JobTermination};
use crate::protocol::types::CheckpointId;

#[derive(Clone, Debug)]
pub(super) struct CompletedCheckpointStore {
    num_retained: usize,
    /// Oldest first; ids increase because completion subsumes older pending ones.
    retained: VecDeque<CheckpointId>,
}

impl CompletedCheckpointStore {
    pub(super) fn new(num_retained: usize) -> Self {
        Self {
            num_retained,
            retained: VecDeque::new(),
        }
    }

    /// Adds a completed checkpoint and returns the ones that fell out of retention,
    /// oldest first; the caller deletes them from storage.
    pub(super) fn add_and_subsume_oldest(&mut self, id: CheckpointId) -> Vec<CheckpointId> {
        self.retained.push_back(id);
        let excess = self.retained.len().saturating_sub(self.num_retained);
        self.retained.drain(..excess).collect()
    }

    pub(super) fn latest(&self) -> Option<CheckpointId> {
        self.retained.back().copied()
    }

    pub(super) fn retained(&self) -> Vec<CheckpointId> {
        self.retained.iter().copied().collect()
    }

    /// Empties the store at job end; returns the checkpoints the retention policy says
    /// to delete (the rest stay in storage for a later job to restore from).
    pub(super) fn shutdown(
        &mut self,
        termination: JobTermination,
        retention: ExternalizedCheckpointRetention,
    ) -> Vec<CheckpointId> {
        let all = std::mem::take(&mut self.retained);
        if retention.discards_on(termination) {
            all.into_iter().collect()
        } else {
            Vec::new()
        }
    }
}
