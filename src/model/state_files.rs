//! State files in checkpoint storage, as Flink's `SharedStateRegistry` keeps them.
//!
//! A checkpoint refers to files in checkpoint storage. A full snapshot (`hashmap`)
//! writes one file per subtask that only its checkpoint uses. An incremental RocksDB
//! snapshot flushes the memtable into a new local SST file and refers to every live
//! SST file of the subtask: those that the last *confirmed* checkpoint (completed and
//! notified) had uploaded are referred to again, the others are uploaded — so files a
//! still-pending checkpoint uploaded are uploaded once more, as Flink's
//! `RocksIncrementalSnapshotStrategy` does. Locally, RocksDB compacts its files:
//! once more than [`LEVEL0_COMPACTION_TRIGGER`] are live they are merged into one file
//! holding the whole state, which that checkpoint uploads in full.
//!
//! A stored file is deleted once no checkpoint refers to it any more, as Flink's
//! registry deletes shared state no retained checkpoint uses: every checkpoint, from
//! its snapshot until it is subsumed, aborted or discarded at the job's end, holds a
//! reference to each file it refers to (a pending checkpoint too, so that a file it
//! reuses cannot go while it is under way).

use std::collections::BTreeMap;

use crate::protocol::CheckpointId;

/// RocksDB's `level0_file_num_compaction_trigger` default.
pub const LEVEL0_COMPACTION_TRIGGER: usize = 4;

/// A file in checkpoint storage.
pub type FileId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredFile {
    bytes: u64,
    /// Checkpoints that refer to it.
    refs: u32,
}

/// Every state file in checkpoint storage.
#[derive(Clone, Debug, Default)]
pub struct SharedStateRegistry {
    files: BTreeMap<FileId, StoredFile>,
    next: FileId,
    bytes: u64,
}

impl SharedStateRegistry {
    /// A file of `bytes` written for one checkpoint, which refers to it.
    pub fn add(&mut self, bytes: u64) -> FileId {
        let id = self.next;
        self.next += 1;
        self.files.insert(id, StoredFile { bytes, refs: 1 });
        self.bytes += bytes;
        id
    }

    /// One more checkpoint refers to `files`.
    pub fn acquire(&mut self, files: &[FileId]) {
        for f in files {
            if let Some(file) = self.files.get_mut(f) {
                file.refs += 1;
            }
        }
    }

    /// A checkpoint that referred to `files` is gone; returns the bytes deleted, of
    /// the files no checkpoint refers to any more.
    pub fn release(&mut self, files: &[FileId]) -> u64 {
        self.release_files(files).iter().map(|&(_, bytes)| bytes).sum()
    }

    /// As [`Self::release`], returning each file deleted with its bytes.
    pub fn release_files(&mut self, files: &[FileId]) -> Vec<(FileId, u64)> {
        let mut deleted = Vec::new();
        for f in files {
            let Some(file) = self.files.get_mut(f) else { continue };
            file.refs -= 1;
            if file.refs == 0 {
                deleted.push((*f, file.bytes));
                self.bytes -= file.bytes;
                self.files.remove(f);
            }
        }
        deleted
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
    /// The compacted file, then level-0 files in flush order.
    compacted: Option<LocalFile>,
    level0: Vec<LocalFile>,
    next: u64,
    /// By checkpoint not yet confirmed: its local files and the stored file of each
    /// (reused at the snapshot, or uploaded since).
    pending: BTreeMap<CheckpointId, Vec<(u64, FileId)>>,
    /// The local files the last confirmed checkpoint stored.
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
    /// Bytes uploaded: Flink's `checkpointed_size` of the keyed state.
    pub fn upload_bytes(&self) -> u64 {
        self.uploads.iter().map(|(_, b)| b).sum()
    }
}

impl LocalFiles {
    /// The local files of a subtask restored from `files` (stored id, bytes), which
    /// later snapshots reuse when `reuse` (Flink's CLAIM mode, and restores after a
    /// failure); otherwise the first snapshot uploads everything again.
    pub fn restored(files: &[(FileId, u64)], reuse: bool) -> Self {
        let mut local = LocalFiles::default();
        for &(stored, bytes) in files {
            let file = local.new_file(bytes);
            local.level0.push(file);
            if reuse {
                local.confirmed.push((file.id, stored));
            }
        }
        local
    }

    /// The synchronous phase of incremental snapshot `id`: the memtable's `flushed`
    /// bytes become a level-0 file, level 0 compacts into one file of `state_bytes`
    /// when it is full, and the snapshot refers to every live file.
    pub fn snapshot(&mut self, id: CheckpointId, flushed: u64, state_bytes: u64) -> IncrementalSnapshot {
        if flushed > 0 {
            let file = self.new_file(flushed);
            self.level0.push(file);
        }
        if self.level0.len() + usize::from(self.compacted.is_some()) > LEVEL0_COMPACTION_TRIGGER {
            self.level0.clear();
            self.compacted = Some(self.new_file(state_bytes));
        }
        let mut snapshot = IncrementalSnapshot {
            uploads: Vec::new(),
            reused: Vec::new(),
        };
        let mut refers = Vec::new();
        for file in self.compacted.iter().chain(&self.level0) {
            match self.confirmed.iter().find(|(local, _)| *local == file.id) {
                Some(&(local, stored)) => {
                    snapshot.reused.push(stored);
                    refers.push((local, stored));
                }
                None => snapshot.uploads.push((file.id, file.bytes)),
            }
        }
        self.pending.insert(id, refers);
        snapshot
    }

    /// Later snapshots upload again the local files whose stored copy is `gone(stored)`
    /// (with file merging, a physical file space control stopped reusing).
    pub fn forget_stored(&mut self, gone: impl Fn(FileId) -> bool) {
        self.confirmed.retain(|&(_, stored)| !gone(stored));
    }

    /// Snapshot `id` stored local file `local` as `stored`.
    pub fn uploaded(&mut self, id: CheckpointId, local: u64, stored: FileId) {
        if let Some(files) = self.pending.get_mut(&id) {
            files.push((local, stored));
        }
    }

    /// Checkpoint `id` completed and this subtask was notified: later snapshots reuse
    /// what it stored, and older pending snapshots are superseded.
    pub fn confirm(&mut self, id: CheckpointId) {
        let Some(files) = self.pending.remove(&id) else {
            return;
        };
        let live: Vec<u64> = self.compacted.iter().chain(&self.level0).map(|f| f.id).collect();
        self.confirmed = files.into_iter().filter(|(local, _)| live.contains(local)).collect();
        self.pending.retain(|&c, _| c > id);
    }

    fn new_file(&mut self, bytes: u64) -> LocalFile {
        self.next += 1;
        LocalFile { id: self.next, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file goes when the last checkpoint referring to it goes: checkpoint 2 reuses
    /// file a, so discarding checkpoint 1 deletes only b.
    #[test]
    fn a_file_is_deleted_when_no_checkpoint_refers_to_it() {
        let mut r = SharedStateRegistry::default();
        let (a, b) = (r.add(100), r.add(10));
        r.acquire(&[a]);
        let c = r.add(20);
        assert_eq!(r.bytes(), 130);
        assert_eq!(r.release(&[a, b]), 10);
        assert_eq!((r.bytes(), r.file_count()), (120, 2));
        assert_eq!(r.bytes_of(&[a, c]), 120);
        assert_eq!(r.release(&[a, c]), 120);
        assert_eq!((r.bytes(), r.file_count()), (0, 0));
    }

    /// The first snapshot uploads its first file; after confirmation the next one
    /// reuses it and uploads only the new flush.
    #[test]
    fn a_confirmed_file_is_referred_to_not_uploaded_again() {
        let mut local = LocalFiles::default();
        let first = local.snapshot(1, 50, 50);
        assert_eq!(first.upload_bytes(), 50);
        local.uploaded(1, first.uploads[0].0, 7);
        local.confirm(1);
        let second = local.snapshot(2, 5, 52);
        assert_eq!((second.upload_bytes(), second.reused.clone()), (5, vec![7]));
    }

    /// Until checkpoint 1 is confirmed, checkpoint 2 uploads checkpoint 1's file again.
    #[test]
    fn a_pending_checkpoints_files_are_uploaded_again() {
        let mut local = LocalFiles::default();
        let first = local.snapshot(1, 50, 50);
        local.uploaded(1, first.uploads[0].0, 7);
        let second = local.snapshot(2, 5, 52);
        assert_eq!(second.upload_bytes(), 55);
        assert!(second.reused.is_empty());
    }

    /// Once more than four files are live they are compacted into one file of the
    /// whole state, which the snapshot uploads in full.
    #[test]
    fn compaction_makes_one_file_of_the_whole_state() {
        let mut local = LocalFiles::default();
        for id in 1..=4 {
            let s = local.snapshot(id, 10, 100);
            assert_eq!(s.upload_bytes(), 10, "snapshot {id} uploads its flush");
            for &(l, _) in &s.uploads {
                local.uploaded(id, l, 100 + l);
            }
            local.confirm(id);
        }
        let fifth = local.snapshot(5, 10, 100);
        assert_eq!(fifth.upload_bytes(), 100);
        assert!(fifth.reused.is_empty());
    }

    /// Restored files are reused in CLAIM mode and uploaded again in NO_CLAIM mode.
    #[test]
    fn restored_files_are_reused_only_when_claimed() {
        let files = [(3, 60), (4, 40)];
        let mut claimed = LocalFiles::restored(&files, true);
        assert_eq!(claimed.snapshot(9, 0, 100).upload_bytes(), 0);
        let mut unclaimed = LocalFiles::restored(&files, false);
        assert_eq!(unclaimed.snapshot(9, 0, 100).upload_bytes(), 100);
    }
}
