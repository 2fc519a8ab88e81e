//! What checkpoints keep in checkpoint storage: every file a checkpoint refers to,
//! held in the shared-state registry until no checkpoint refers to it any more
//! (`model::state_files`), and each subtask's local RocksDB files for incremental
//! snapshots.

use super::World;
use crate::model::state_files::{FileId, IncrementalSnapshot, LocalFiles, SharedStateRegistry};
use crate::protocol::CheckpointId;
use std::collections::{BTreeMap, BTreeSet};

/// The files one checkpoint refers to.
#[derive(Clone, Debug, Default)]
pub struct CheckpointFiles {
    /// Each subtask's state files (what restoring that subtask reads).
    pub state: BTreeMap<usize, Vec<FileId>>,
    /// Channel state and the `_metadata` file.
    pub other: Vec<FileId>,
}

impl CheckpointFiles {
    fn all(&self) -> Vec<FileId> {
        self.state.values().flatten().chain(&self.other).copied().collect()
    }
}

/// Checkpoint storage's files and the subtasks' local files.
#[derive(Clone, Debug, Default)]
pub struct StateStorage {
    pub registry: SharedStateRegistry,
    /// By checkpoint still referring to files.
    pub checkpoints: BTreeMap<CheckpointId, CheckpointFiles>,
    /// By subtask: its local RocksDB files (incremental snapshots only).
    pub local: Vec<LocalFiles>,
    /// Snapshots whose files a restore must not reuse: the first checkpoint after it
    /// uploads everything again (a `NO_CLAIM` start, a start from a savepoint).
    pub not_reused: BTreeSet<CheckpointId>,
    /// The most bytes and files storage held at once.
    pub peak_bytes: u64,
    pub peak_files: usize,
}

impl StateStorage {
    pub fn new(subtasks: usize) -> Self {
        StateStorage {
            local: vec![LocalFiles::default(); subtasks],
            ..StateStorage::default()
        }
    }

    fn added(&mut self) {
        self.peak_bytes = self.peak_bytes.max(self.registry.bytes());
        self.peak_files = self.peak_files.max(self.registry.file_count());
    }

    /// An incremental snapshot of `st` for checkpoint `id`: it refers to the files it
    /// reuses from now on.
    pub fn incremental_snapshot(
        &mut self,
        id: CheckpointId,
        st: usize,
        flushed: u64,
        keyed: u64,
    ) -> IncrementalSnapshot {
        let snapshot = self.local[st].snapshot(id, flushed, keyed);
        self.registry.acquire(&snapshot.reused);
        let files = self.checkpoints.entry(id).or_default().state.entry(st).or_default();
        files.extend(&snapshot.reused);
        snapshot
    }

    /// `st` uploaded a state file of `bytes` for checkpoint `id` (`local`: the local
    /// RocksDB file it holds, for an incremental snapshot).
    pub fn state_file(&mut self, id: CheckpointId, st: usize, bytes: u64, local: Option<u64>) {
        let file = self.registry.add(bytes);
        self.checkpoints
            .entry(id)
            .or_default()
            .state
            .entry(st)
            .or_default()
            .push(file);
        if let Some(local) = local {
            self.local[st].uploaded(id, local, file);
        }
        self.added();
    }

    /// A channel-state or metadata file of checkpoint `id`.
    pub fn other_file(&mut self, id: CheckpointId, bytes: u64) {
        let file = self.registry.add(bytes);
        self.checkpoints.entry(id).or_default().other.push(file);
        self.added();
    }

    /// Checkpoint `id` is gone (aborted, subsumed, or discarded at the job's end):
    /// the files no other checkpoint refers to are deleted.
    pub fn release(&mut self, id: CheckpointId) {
        if let Some(files) = self.checkpoints.remove(&id) {
            self.registry.release(&files.all());
        }
    }

    /// Bytes restoring `st` from checkpoint `id` reads: exactly its files.
    pub fn restore_bytes(&self, id: CheckpointId, st: usize) -> Option<u64> {
        let files = self.checkpoints.get(&id)?.state.get(&st)?;
        Some(self.registry.bytes_of(files))
    }

    /// After a restore, every subtask's local files are those of the checkpoint it
    /// restored (none without one), which later snapshots reuse unless that
    /// checkpoint is one they must not depend on.
    pub fn restored(&mut self, line: &[Option<CheckpointId>]) {
        for (st, restored) in line.iter().enumerate() {
            let files: Vec<(FileId, u64)> = restored
                .and_then(|id| self.checkpoints.get(&id))
                .and_then(|c| c.state.get(&st))
                .map(|files| files.iter().map(|&f| (f, self.registry.bytes_of(&[f]))).collect())
                .unwrap_or_default();
            let reuse = restored.is_none_or(|id| !self.not_reused.contains(&id));
            self.local[st] = LocalFiles::restored(&files, reuse);
        }
    }
}

impl World {
    pub(super) fn state_storage(&mut self) -> &mut StateStorage {
        &mut self.runtime().files
    }
}
