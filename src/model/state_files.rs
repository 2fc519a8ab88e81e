//! State files in checkpoint storage, as Flink's `SharedStateRegistry` keeps them.
//!
//! A checkpoint refers to files in checkpoint storage. A full snapshot (`hashmap`)
//! writes one file per subtask that only its checkpoint uses. An incremental RocksDB
//! snapshot flushes the memtable into a new local SST file and refers to every live
//! SST file of the subtask: those that the last *confirmed* checkpoint (completed and
//! notified) had uploaded are referred to again, the others are uploaded — so files a
//! still-pending checkpoint uploaded are uploaded once more, as Flink's
//! `RocksIncrementalSnapshotStrategy` does. Locally, RocksDB compacts level-0 files:
//! once [`LEVEL0_COMPACTION_TRIGGER`] of them have accumulated they are merged with the
//! older files into one file holding the whole state, which the next checkpoint
//! uploads.
//!
//! The registry counts when each stored file was last used. When a checkpoint
//! completes, its files are registered with its id; when older checkpoints are
//! subsumed, every file whose last use is older than the oldest retained checkpoint
//! is deleted (`SharedStateRegistryImpl#unregisterUnusedState`). A checkpoint that
//! fails deletes the files it uploaded that no completed checkpoint uses.

use std::collections::BTreeMap;

use crate::protocol::CheckpointId;

/// RocksDB's `level0_file_num_compaction_trigger` default.
pub const LEVEL0_COMPACTION_TRIGGER: usize = 4;

/// A file in checkpoint storage.
pub type FileId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredFile {
    bytes: u64,
    /// The newest completed checkpoint that refers to it; `None` while only pending
    /// checkpoints do.
    last_used: Option<CheckpointId>,
}

/// Every state file in checkpoint storage.
#[derive(Clone, Debug, Default)]
pub struct SharedStateRegistry {
    files: BTreeMap<FileId, StoredFile>,
    next: FileId,
    bytes: u64,
}

impl SharedStateRegistry {
    /// A file of `bytes` uploaded (by a checkpoint still pending).
    pub fn add(&mut self, bytes: u64) -> FileId {
        let id = self.next;
        self.next += 1;
        self.files.insert(id, StoredFile { bytes, last_used: None });
        self.bytes += bytes;
        id
    }

    /// Checkpoint `checkpoint` completed, referring to `files`.
    pub fn register(&mut self, checkpoint: CheckpointId, files: &[FileId]) {
        for f in files {
            if let Some(file) = self.files.get_mut(f) {
                file.last_used = Some(file.last_used.map_or(checkpoint, |u| u.max(checkpoint)));
            }
        }
    }

    /// Deletes every registered file last used before `lowest_retained`; returns the
    /// bytes deleted.
    pub fn unregister_unused(&mut self, lowest_retained: CheckpointId) -> u64 {
        let unused: Vec<FileId> = self
            .files
            .iter()
            .filter(|(_, f)| f.last_used.is_some_and(|u| u < lowest_retained))
            .map(|(&id, _)| id)
            .collect();
        unused.into_iter().map(|id| self.remove(id)).sum()
    }

    /// A failed checkpoint's uploads: deletes those no completed checkpoint uses.
    pub fn discard_unregistered(&mut self, files: &[FileId]) -> u64 {
        let unused: Vec<FileId> = files
            .iter()
            .copied()
            .filter(|f| self.files.get(f).is_some_and(|file| file.last_used.is_none()))
            .collect();
        unused.into_iter().map(|id| self.remove(id)).sum()
    }

    /// Deletes every file (the job's checkpoints are discarded at its end).
    pub fn clear(&mut self) -> u64 {
        let bytes = self.bytes;
        self.files.clear();
        self.bytes = 0;
        bytes
    }

    fn remove(&mut self, id: FileId) -> u64 {
        let bytes = self.files.remove(&id).map_or(0, |f| f.bytes);
        self.bytes -= bytes;
        bytes
    }

    /// Bytes of every file in storage.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Files in storage.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Bytes of `files` (what a restore of a checkpoint referring to them reads).
    pub fn bytes_of(&self, files: &[FileId]) -> u64 {
        files.iter().filter_map(|f| self.files.get(f)).map(|f| f.bytes).sum()
    }
}

/// A local SST file of one subtask's RocksDB instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LocalFile {
    id: u64,
    bytes: u64,
}

/// One subtask's local RocksDB files and which of them storage already holds.
#[derive(Clone, Debug, Default)]
pub struct LocalFiles {
    /// Compacted files, then level-0 files in flush order.
    compacted: Option<LocalFile>,
    level0: Vec<LocalFile>,
    next: u64,
    /// Local files uploaded by each checkpoint not yet confirmed, and by the last
    /// confirmed one: local id → stored file.
    uploads: BTreeMap<CheckpointId, Vec<(u64, FileId)>>,
    confirmed: Vec<(u64, FileId)>,
}

/// What one incremental snapshot uploads and refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncrementalSnapshot {
    /// Local files to upload now, with their sizes.
    pub uploads: Vec<(u64, u64)>,
    /// Stored files it refers to without uploading them.
    pub reused: Vec<FileId>,
}

impl IncrementalSnapshot {
    /// Bytes uploaded: Flink's `checkpointed_size`.
    pub fn upload_bytes(&self) -> u64 {
        self.uploads.iter().map(|(_, b)| b).sum()
    }
}

impl LocalFiles {
    /// The synchronous phase of an incremental snapshot: the memtable's `flushed`
    /// bytes become a level-0 file, level 0 compacts into one file of `state_bytes`
    /// when it is full, and the snapshot refers to every live file.
    pub fn snapshot(&mut self, flushed: u64, state_bytes: u64) -> IncrementalSnapshot {
        if flushed > 0 {
            let file = self.new_file(flushed);
            self.level0.push(file);
        }
        if self.level0.len() >= LEVEL0_COMPACTION_TRIGGER {
            self.level0.clear();
            self.compacted = Some(self.new_file(state_bytes));
        }
        let mut snapshot = IncrementalSnapshot {
            uploads: Vec::new(),
            reused: Vec::new(),
        };
        for file in self.compacted.iter().chain(&self.level0) {
            match self.confirmed.iter().find(|(local, _)| *local == file.id) {
                Some(&(_, stored)) => snapshot.reused.push(stored),
                None => snapshot.uploads.push((file.id, file.bytes)),
            }
        }
        snapshot
    }

    /// The uploads of checkpoint `id` are stored: local file → stored file.
    pub fn uploaded(&mut self, id: CheckpointId, files: Vec<(u64, FileId)>) {
        self.uploads.insert(id, files);
    }

    /// Checkpoint `id` completed and this subtask was notified: the files it referred
    /// to can be reused by later snapshots, and earlier pending uploads are superseded.
    pub fn confirm(&mut self, id: CheckpointId, reused: &[FileId]) {
        let Some(files) = self.uploads.remove(&id) else {
            return;
        };
        let live: Vec<u64> = self.compacted.iter().chain(&self.level0).map(|f| f.id).collect();
        let mut confirmed: Vec<(u64, FileId)> = self
            .confirmed
            .iter()
            .copied()
            .filter(|(_, stored)| reused.contains(stored))
            .chain(files)
            .collect();
        confirmed.retain(|(local, _)| live.contains(local));
        self.confirmed = confirmed;
        self.uploads.retain(|&c, _| c > id);
    }

    fn new_file(&mut self, bytes: u64) -> LocalFile {
        self.next += 1;
        LocalFile { id: self.next, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flink's rule (SharedStateRegistryImpl): a file is deleted once no retained
    /// checkpoint uses it — here checkpoint 2 reuses file a, so subsuming checkpoint 1
    /// deletes only b.
    #[test]
    fn subsumption_deletes_only_files_no_retained_checkpoint_uses() {
        let mut r = SharedStateRegistry::default();
        let (a, b) = (r.add(100), r.add(10));
        r.register(1, &[a, b]);
        let c = r.add(20);
        r.register(2, &[a, c]);
        assert_eq!(r.bytes(), 130);
        assert_eq!(r.unregister_unused(2), 10);
        assert_eq!((r.bytes(), r.file_count()), (120, 2));
        assert_eq!(r.bytes_of(&[a, c]), 120);
    }

    /// A failed checkpoint's new uploads go; files a completed checkpoint uses stay.
    #[test]
    fn a_failed_checkpoint_deletes_its_unregistered_uploads() {
        let mut r = SharedStateRegistry::default();
        let a = r.add(100);
        r.register(1, &[a]);
        let b = r.add(10);
        assert_eq!(r.discard_unregistered(&[a, b]), 10);
        assert_eq!(r.bytes(), 100);
    }

    /// The first snapshot uploads its first file; after confirmation the next one
    /// reuses it and uploads only the new flush.
    #[test]
    fn a_confirmed_file_is_referred_to_not_uploaded_again() {
        let mut local = LocalFiles::default();
        let first = local.snapshot(50, 50);
        assert_eq!(first.upload_bytes(), 50);
        local.uploaded(1, vec![(first.uploads[0].0, 7)]);
        local.confirm(1, &first.reused);
        let second = local.snapshot(5, 52);
        assert_eq!((second.upload_bytes(), second.reused.clone()), (5, vec![7]));
    }

    /// Until checkpoint 1 is confirmed, checkpoint 2 uploads checkpoint 1's file again.
    #[test]
    fn a_pending_checkpoints_files_are_uploaded_again() {
        let mut local = LocalFiles::default();
        let first = local.snapshot(50, 50);
        local.uploaded(1, vec![(first.uploads[0].0, 7)]);
        let second = local.snapshot(5, 52);
        assert_eq!(second.upload_bytes(), 55);
        assert!(second.reused.is_empty());
    }

    /// The fourth level-0 file triggers a compaction into one file of the whole state,
    /// which the snapshot uploads in full.
    #[test]
    fn level0_compaction_makes_one_file_of_the_whole_state() {
        let mut local = LocalFiles::default();
        for id in 1..=3 {
            let s = local.snapshot(10, 100);
            let stored: Vec<(u64, FileId)> = s.uploads.iter().map(|&(l, _)| (l, 100 + l)).collect();
            local.uploaded(id, stored);
            local.confirm(id, &s.reused);
        }
        let fourth = local.snapshot(10, 100);
        assert_eq!(fourth.upload_bytes(), 100);
        assert!(fourth.reused.is_empty());
    }
}
