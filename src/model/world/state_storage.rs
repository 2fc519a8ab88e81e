//! What checkpoints keep in checkpoint storage: every file a checkpoint refers to,
//! held in the shared-state registry until no checkpoint refers to it any more
//! (`model::state_files`), the physical files they are segments of when file merging
//! is on (`model::file_merging`), and each subtask's local RocksDB files for
//! incremental snapshots, or their ForSt databases' files in storage (`model::forst`).

use super::World;
use crate::model::file_merging::{FileMerging, FileMergingConfig, Scope, SpaceStat};
use crate::model::forst::RemoteFiles;
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
    /// The state files are a ForSt database's, which a restore opens in place.
    pub in_place: bool,
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
    /// By subtask: its ForSt database's live files in storage (`forst` only).
    pub remote: Vec<RemoteFiles>,
    /// Snapshots whose files a restore must not reuse: the first checkpoint after it
    /// uploads everything again (a `NO_CLAIM` start, a start from a savepoint).
    pub not_reused: BTreeSet<CheckpointId>,
    /// The most bytes and files storage held at once (logical files).
    pub peak_bytes: u64,
    pub peak_files: usize,
    /// Physical files, with file merging on.
    pub merging: Option<FileMerging>,
    /// The most physical bytes and files held at once, and the highest space
    /// amplification, with file merging on.
    pub peak_physical: SpaceStat,
    pub peak_space_amplification: f64,
    /// Savepoints under way or retained: self-contained, their files are not merged.
    savepoints: BTreeSet<CheckpointId>,
}

impl StateStorage {
    pub fn new(subtasks: usize, merging: Option<FileMergingConfig>) -> Self {
        StateStorage {
            local: vec![LocalFiles::default(); subtasks],
            remote: vec![RemoteFiles::default(); subtasks],
            merging: merging.map(FileMerging::new),
            ..StateStorage::default()
        }
    }

    fn added(&mut self) {
        self.peak_bytes = self.peak_bytes.max(self.registry.bytes());
        self.peak_files = self.peak_files.max(self.registry.file_count());
        self.physical_changed();
    }

    fn physical_changed(&mut self) {
        let Some(stat) = self.merging.as_ref().map(FileMerging::stat) else {
            return;
        };
        let peak = &mut self.peak_physical;
        peak.physical_bytes = peak.physical_bytes.max(stat.physical_bytes);
        peak.physical_files = peak.physical_files.max(stat.physical_files);
        self.peak_space_amplification = self.peak_space_amplification.max(stat.space_amplification());
    }

    /// Snapshot `id` is a savepoint: Flink writes it to the savepoint directory
    /// without the file-merging manager, a file per state file.
    pub fn savepoint_triggered(&mut self, id: CheckpointId) {
        if self.merging.is_some() {
            self.savepoints.insert(id);
        }
    }

    /// Places logical file `file` of checkpoint `id` among the physical files.
    fn place(&mut self, id: CheckpointId, file: FileId, bytes: u64, tm: usize, scope: Scope) {
        let Some(merging) = &mut self.merging else { return };
        if self.savepoints.contains(&id) {
            merging.standalone(file, bytes, id);
        } else {
            merging.write(file, bytes, tm, scope, id);
        }
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
        if let Some(merging) = &self.merging {
            // A segment in a file space control stopped reusing is uploaded again.
            self.local[st].forget_stored(|stored| !merging.could_reuse(stored));
        }
        let snapshot = self.local[st].snapshot(id, flushed, keyed);
        self.registry.acquire(&snapshot.reused);
        let files = self.checkpoints.entry(id).or_default().state.entry(st).or_default();
        files.extend(&snapshot.reused);
        snapshot
    }

    /// A ForSt snapshot of `st` for checkpoint `id`: the memtable's `flushed` bytes
    /// become a file in storage, and the checkpoint refers to every live file of the
    /// database (of `keyed` bytes in all) in place.
    pub fn forst_snapshot(&mut self, id: CheckpointId, st: usize, flushed: u64, keyed: u64) {
        let live = self.remote[st].flush(&mut self.registry, flushed, keyed);
        self.registry.acquire(&live);
        let checkpoint = self.checkpoints.entry(id).or_default();
        checkpoint.in_place = true;
        checkpoint.state.entry(st).or_default().extend(&live);
        self.added();
    }

    /// Whether restoring checkpoint `id` opens its state files in place (ForSt).
    pub fn in_place(&self, id: CheckpointId) -> bool {
        self.checkpoints.get(&id).is_some_and(|c| c.in_place)
    }

    /// `st`, on TaskManager `tm`, uploaded a state file of `bytes` for checkpoint `id`
    /// (`local`: the local RocksDB file it holds, for an incremental snapshot: shared
    /// state; otherwise the subtask's private state).
    pub fn state_file(&mut self, id: CheckpointId, st: usize, tm: usize, bytes: u64, local: Option<u64>) {
        let file = self.registry.add(bytes);
        let scope = match local {
            Some(_) => Scope::Shared { subtask: st },
            None => Scope::Exclusive,
        };
        self.place(id, file, bytes, tm, scope);
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

    /// A channel-state file, or private state outside RocksDB, of checkpoint `id`
    /// written by a subtask on TaskManager `tm`.
    pub fn private_file(&mut self, id: CheckpointId, tm: usize, bytes: u64) {
        let file = self.registry.add(bytes);
        self.place(id, file, bytes, tm, Scope::Exclusive);
        self.checkpoints.entry(id).or_default().other.push(file);
        self.added();
    }

    /// Checkpoint `id`'s snapshot of `st` refers to `files` already stored (from now on).
    pub fn refer(&mut self, id: CheckpointId, st: usize, files: &[FileId]) {
        self.registry.acquire(files);
        let state = self.checkpoints.entry(id).or_default().state.entry(st).or_default();
        state.extend(files);
    }

    /// A file a state backend writes and holds on its own (a changelog or a
    /// materialization), until it releases it.
    pub fn backend_file(&mut self, bytes: u64) -> FileId {
        let file = self.registry.add(bytes);
        self.added();
        file
    }

    /// A state backend holds `files` (restored from a checkpoint that refers to them).
    pub fn hold(&mut self, files: &[FileId]) {
        self.registry.acquire(files);
    }

    /// A state backend no longer holds `files`: those no checkpoint refers to go.
    pub fn release_files(&mut self, files: &[FileId]) {
        let deleted = self.registry.release_files(files);
        if let Some(merging) = &mut self.merging {
            for (file, _) in deleted {
                merging.logical_deleted(file);
            }
        }
        self.physical_changed();
    }

    /// The `_metadata` file of checkpoint `id`, which the coordinator writes whole.
    pub fn metadata_file(&mut self, id: CheckpointId, bytes: u64) {
        let file = self.registry.add(bytes);
        if let Some(merging) = &mut self.merging {
            merging.standalone(file, bytes, id);
        }
        self.checkpoints.entry(id).or_default().other.push(file);
        self.added();
    }

    /// Checkpoint `id` completed: within checkpoint boundaries its physical files
    /// take no more segments.
    pub fn completed(&mut self, id: CheckpointId) {
        if let Some(merging) = &mut self.merging {
            merging.checkpoint_ended(id);
        }
    }

    /// Checkpoint `id` is gone (aborted, subsumed, or discarded at the job's end):
    /// the files no other checkpoint refers to are deleted.
    pub fn release(&mut self, id: CheckpointId) {
        let deleted = match self.checkpoints.remove(&id) {
            Some(files) => self.registry.release_files(&files.all()),
            None => Vec::new(),
        };
        if let Some(merging) = &mut self.merging {
            for (file, _) in deleted {
                merging.logical_deleted(file);
            }
            merging.checkpoint_ended(id);
            merging.control_space();
        }
        self.savepoints.remove(&id);
        self.physical_changed();
    }

    /// The job ended: its TaskManagers' managers close their files, so those no
    /// retained checkpoint refers to are deleted.
    pub fn job_ended(&mut self) {
        if let Some(merging) = &mut self.merging {
            merging.close_all();
        }
    }

    /// The job ended: its ForSt databases close and their working files go, but for
    /// those a retained checkpoint refers to.
    pub fn close_databases(&mut self) {
        for db in &mut self.remote {
            db.reopen(&mut self.registry, &[]);
        }
    }

    /// The state files `st`'s snapshot in checkpoint `id` refers to.
    pub fn state_files_of(&self, id: CheckpointId, st: usize) -> Vec<FileId> {
        self.checkpoints
            .get(&id)
            .and_then(|c| c.state.get(&st))
            .cloned()
            .unwrap_or_default()
    }

    /// Bytes restoring `st` from checkpoint `id` reads: exactly its files.
    pub fn restore_bytes(&self, id: CheckpointId, st: usize) -> Option<u64> {
        let files = self.checkpoints.get(&id)?.state.get(&st)?;
        Some(self.registry.bytes_of(files))
    }

    /// A full restart: every TaskManager's file-merging manager starts anew, closing
    /// its files.
    pub fn close_merged_files(&mut self) {
        if let Some(merging) = &mut self.merging {
            merging.close_all();
        }
    }

    /// After a restore, `st`'s local files are those of the checkpoint it restored
    /// (none without one), which later snapshots reuse unless that checkpoint is one
    /// they must not depend on; a ForSt database opens its files in place.
    pub fn restored_subtask(&mut self, st: usize, restored: Option<CheckpointId>, forst: bool) {
        if forst {
            // The new database opens the restored files where they are.
            let files = restored
                .and_then(|id| self.checkpoints.get(&id))
                .and_then(|c| c.state.get(&st).cloned())
                .unwrap_or_default();
            self.remote[st].reopen(&mut self.registry, &files);
            return;
        }
        let files: Vec<(FileId, u64)> = restored
            .and_then(|id| self.checkpoints.get(&id))
            .and_then(|c| c.state.get(&st))
            .map(|files| files.iter().map(|&f| (f, self.registry.bytes_of(&[f]))).collect())
            .unwrap_or_default();
        let reuse = restored.is_none_or(|id| !self.not_reused.contains(&id));
        self.local[st] = LocalFiles::restored(&files, reuse);
    }
}

impl World {
    pub(super) fn state_storage(&mut self) -> &mut StateStorage {
        &mut self.runtime().files
    }
}
