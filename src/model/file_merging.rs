//! Checkpoint file merging (FLIP-306, `execution.checkpointing.file-merging.*`): the
//! logical files a checkpoint writes become segments of fewer physical files in
//! checkpoint storage, as Flink's `FileMergingSnapshotManager` places them.
//!
//! One manager per TaskManager, as in Flink. Shared state (an incremental RocksDB
//! snapshot's SST files) is merged per subtask; private state (full snapshots, RocksDB's
//! private files, operator and channel state) per TaskManager, across its subtasks
//! (`FileMergingSnapshotManagerBase.getManagedDir`). Each such pool has at most one
//! writable physical file: a segment is appended to it, and a file that reached
//! `max-file-size` is closed (`PhysicalFilePool.tryPutFile`). Within checkpoint
//! boundaries (the default) a physical file holds one checkpoint's segments and is
//! closed when that checkpoint ends; across the boundary
//! (`MERGE_ACROSS_CHECKPOINT`) later checkpoints keep appending to it.
//!
//! A physical file is deleted once it is closed and none of its segments is referenced
//! any more (`PhysicalFile.deleteIfNecessary`); which logical files are referenced is
//! the shared-state registry's business (`model::state_files`). Space amplification
//! is the physical bytes held over the logical bytes still referenced (Flink's
//! `SpaceStat`). When a checkpoint is discarded and a TaskManager's amplification
//! exceeds `max-space-amplification`, Flink's `controlSpace` marks closed files, the
//! most wasteful first, as not to be reused until the goal is met; an incremental
//! snapshot uploads again what such a file holds, so the file can go.
//!
//! The coordinator's `_metadata` file and a savepoint's files are not merged: each is
//! a physical file of its own.

use std::collections::BTreeMap;

use crate::model::state_files::FileId;
use crate::protocol::CheckpointId;

/// Flink's `execution.checkpointing.file-merging.max-file-size` default, 32 MB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// The file-merging keys of a scenario, resolved.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FileMergingConfig {
    /// `execution.checkpointing.file-merging.across-checkpoint-boundary`.
    pub across_checkpoint_boundary: bool,
    /// `execution.checkpointing.file-merging.max-file-size`, in bytes.
    pub max_file_size: u64,
    /// `execution.checkpointing.file-merging.pool-blocking`. Segments are written
    /// one at a time here, so a blocking and a non-blocking pool place them alike.
    pub pool_blocking: bool,
    /// `execution.checkpointing.file-merging.max-space-amplification`; `None` when
    /// below 1, which Flink reads as no space control.
    pub max_space_amplification: Option<f64>,
}

impl Default for FileMergingConfig {
    fn default() -> Self {
        FileMergingConfig {
            across_checkpoint_boundary: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            pool_blocking: false,
            max_space_amplification: Some(2.0),
        }
    }
}

/// Where a logical file goes (Flink's `CheckpointedStateScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Shared state of this subtask, merged within the subtask.
    Shared { subtask: usize },
    /// Private state, merged across the subtasks of a TaskManager.
    Exclusive,
}

/// A pool's key: TaskManager, scope, and the checkpoint when files do not cross its
/// boundary.
type PoolKey = (usize, Scope, Option<CheckpointId>);

#[derive(Clone, Debug)]
struct PhysicalFile {
    /// Its TaskManager's manager; `None` for a file of its own (`_metadata`).
    tm: Option<usize>,
    pool: Option<PoolKey>,
    size: u64,
    /// Bytes of its segments still referenced.
    live: u64,
    segments: u32,
    open: bool,
    /// Cleared by space control: later snapshots do not refer to its segments.
    reusable: bool,
}

impl PhysicalFile {
    fn wasted(&self) -> u64 {
        self.size - self.live
    }
}

/// Logical and physical files in checkpoint storage, at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceStat {
    pub logical_files: u64,
    pub logical_bytes: u64,
    pub physical_files: u64,
    pub physical_bytes: u64,
}

impl SpaceStat {
    /// Physical bytes held over logical bytes referenced (1 when nothing is stored).
    pub fn space_amplification(&self) -> f64 {
        if self.logical_bytes == 0 {
            1.0
        } else {
            self.physical_bytes as f64 / self.logical_bytes as f64
        }
    }
}

/// Every physical file in checkpoint storage and the segments it holds.
#[derive(Clone, Debug)]
pub struct FileMerging {
    config: FileMergingConfig,
    files: BTreeMap<u64, PhysicalFile>,
    next: u64,
    /// Each pool's writable file.
    writable: BTreeMap<PoolKey, u64>,
    /// Each logical file: its physical file and length.
    segments: BTreeMap<FileId, (u64, u64)>,
    stat: SpaceStat,
    /// By checkpoint: the logical files it wrote and the physical files it opened.
    written: BTreeMap<CheckpointId, FilesWritten>,
}

/// What one checkpoint wrote to checkpoint storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilesWritten {
    /// Logical files: what storage would hold without merging.
    pub logical_files: u64,
    /// Physical files it opened (across checkpoint boundaries it also appends to
    /// files earlier checkpoints opened).
    pub physical_files: u64,
}

impl FileMerging {
    pub fn new(config: FileMergingConfig) -> Self {
        FileMerging {
            config,
            files: BTreeMap::new(),
            next: 0,
            writable: BTreeMap::new(),
            segments: BTreeMap::new(),
            stat: SpaceStat::default(),
            written: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &FileMergingConfig {
        &self.config
    }

    /// Logical file `file` of `bytes`, written by a subtask on TaskManager `tm` for
    /// checkpoint `checkpoint`, becomes a segment of its pool's writable file (a new
    /// one when the pool has none).
    pub fn write(&mut self, file: FileId, bytes: u64, tm: usize, scope: Scope, checkpoint: CheckpointId) {
        let key = (
            tm,
            scope,
            (!self.config.across_checkpoint_boundary).then_some(checkpoint),
        );
        let written = self.written.entry(checkpoint).or_default();
        written.logical_files += 1;
        let id = match self.writable.get(&key) {
            Some(&id) => id,
            None => {
                written.physical_files += 1;
                let id = self.create(Some(tm), Some(key));
                self.writable.insert(key, id);
                id
            }
        };
        self.append(id, file, bytes);
        if self.files[&id].size >= self.config.max_file_size {
            self.close(id);
        }
    }

    /// A file written whole, outside any pool (a `_metadata` file, a savepoint's file).
    pub fn standalone(&mut self, file: FileId, bytes: u64, checkpoint: CheckpointId) {
        let written = self.written.entry(checkpoint).or_default();
        written.logical_files += 1;
        written.physical_files += 1;
        let id = self.create(None, None);
        self.append(id, file, bytes);
        self.close(id);
    }

    /// No checkpoint refers to logical file `file` any more.
    pub fn logical_deleted(&mut self, file: FileId) {
        let Some((id, bytes)) = self.segments.remove(&file) else {
            return;
        };
        self.stat.logical_files -= 1;
        self.stat.logical_bytes -= bytes;
        let physical = self.files.get_mut(&id).expect("a segment's physical file exists");
        physical.live -= bytes;
        physical.segments -= 1;
        self.delete_if_unused(id);
    }

    /// Checkpoint `checkpoint` ended (completed, aborted or discarded): within its
    /// boundary, its physical files take no more segments.
    pub fn checkpoint_ended(&mut self, checkpoint: CheckpointId) {
        let ended: Vec<u64> = self
            .writable
            .iter()
            .filter(|((_, _, c), _)| *c == Some(checkpoint))
            .map(|(_, &id)| id)
            .collect();
        for id in ended {
            self.close(id);
        }
    }

    /// The TaskManagers' managers start anew (the job restarted): restored physical
    /// files are closed, as Flink's restore registers them without an output stream.
    pub fn close_all(&mut self) {
        let open: Vec<u64> = self.writable.values().copied().collect();
        for id in open {
            self.close(id);
        }
    }

    /// Whether a snapshot may refer to logical file `file` again instead of uploading
    /// it (Flink's `couldReusePreviousStateHandle`).
    pub fn could_reuse(&self, file: FileId) -> bool {
        self.segments
            .get(&file)
            .is_none_or(|(id, _)| self.files.get(id).is_none_or(|f| f.reusable))
    }

    /// Flink's `controlSpace`, run for each TaskManager's manager after a checkpoint
    /// is discarded: if its physical bytes exceed `max-space-amplification` × its
    /// logical bytes, closed files, the most wasted bytes first, whose size exceeds
    /// that bound over their own live bytes stop being reused, until the reusable
    /// files' bytes are down to the goal.
    pub fn control_space(&mut self) {
        let Some(amplification) = self.config.max_space_amplification else {
            return;
        };
        let mut tms: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        for f in self.files.values() {
            if let Some(tm) = f.tm {
                let e = tms.entry(tm).or_default();
                e.0 += f.live;
                e.1 += f.size;
            }
        }
        for (tm, (logical, physical)) in tms {
            if (logical as f64) * amplification >= physical as f64 {
                continue;
            }
            let goal = ((logical as f64) * amplification).round() as u64;
            // Flink counts the files its live logical files are in.
            let mut alive: u64 = self
                .files
                .values()
                .filter(|f| f.tm == Some(tm) && f.reusable && f.segments > 0)
                .map(|f| f.size)
                .sum();
            if alive <= goal {
                continue;
            }
            let mut candidates: Vec<(u64, u64)> = self
                .files
                .iter()
                .filter(|(_, f)| f.tm == Some(tm) && f.reusable && f.segments > 0 && !f.open)
                .map(|(&id, f)| (f.wasted(), id))
                .collect();
            candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (wasted, id) in candidates {
                let f = self.files.get_mut(&id).expect("a candidate exists");
                if f.size as f64 > amplification * f.live as f64 {
                    f.reusable = false;
                    alive -= wasted;
                    if alive <= goal {
                        break;
                    }
                }
            }
        }
    }

    /// What checkpoint `checkpoint` wrote (nothing: `None`).
    pub fn written(&self, checkpoint: CheckpointId) -> Option<FilesWritten> {
        self.written.get(&checkpoint).copied()
    }

    /// Logical and physical files now.
    pub fn stat(&self) -> SpaceStat {
        self.stat
    }

    /// Each TaskManager's logical and physical files now, as its manager's `SpaceStat`
    /// counts them (the `_metadata` files are no TaskManager's).
    pub fn stat_by_taskmanager(&self) -> BTreeMap<usize, SpaceStat> {
        let mut by_tm: BTreeMap<usize, SpaceStat> = BTreeMap::new();
        for f in self.files.values() {
            if let Some(tm) = f.tm {
                let s = by_tm.entry(tm).or_default();
                s.logical_files += u64::from(f.segments);
                s.logical_bytes += f.live;
                s.physical_files += 1;
                s.physical_bytes += f.size;
            }
        }
        by_tm
    }

    fn create(&mut self, tm: Option<usize>, pool: Option<PoolKey>) -> u64 {
        let id = self.next;
        self.next += 1;
        self.files.insert(
            id,
            PhysicalFile {
                tm,
                pool,
                size: 0,
                live: 0,
                segments: 0,
                open: true,
                reusable: true,
            },
        );
        self.stat.physical_files += 1;
        id
    }

    fn append(&mut self, id: u64, file: FileId, bytes: u64) {
        let f = self.files.get_mut(&id).expect("appending to an existing file");
        f.size += bytes;
        f.live += bytes;
        f.segments += 1;
        self.segments.insert(file, (id, bytes));
        self.stat.logical_files += 1;
        self.stat.logical_bytes += bytes;
        self.stat.physical_bytes += bytes;
    }

    fn close(&mut self, id: u64) {
        let Some(f) = self.files.get_mut(&id) else { return };
        f.open = false;
        if let Some(key) = f.pool
            && self.writable.get(&key) == Some(&id)
        {
            self.writable.remove(&key);
        }
        self.delete_if_unused(id);
    }

    fn delete_if_unused(&mut self, id: u64) {
        if self.files.get(&id).is_some_and(|f| !f.open && f.segments == 0) {
            let f = self.files.remove(&id).expect("checked above");
            self.stat.physical_files -= 1;
            self.stat.physical_bytes -= f.size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merging(across: bool, max: u64) -> FileMerging {
        FileMerging::new(FileMergingConfig {
            across_checkpoint_boundary: across,
            max_file_size: max,
            pool_blocking: false,
            max_space_amplification: Some(2.0),
        })
    }

    /// Two subtasks' shared files go to two files; their private files to one.
    #[test]
    fn shared_state_is_merged_per_subtask_private_state_per_taskmanager() {
        let mut m = merging(false, 1000);
        m.write(1, 10, 0, Scope::Shared { subtask: 0 }, 1);
        m.write(2, 10, 0, Scope::Shared { subtask: 1 }, 1);
        m.write(3, 10, 0, Scope::Exclusive, 1);
        m.write(4, 10, 0, Scope::Exclusive, 1);
        assert_eq!(m.stat().physical_files, 3);
        assert_eq!(m.stat().logical_files, 4);
    }

    /// A file that reached the size limit takes no more segments.
    #[test]
    fn a_full_file_is_closed() {
        let mut m = merging(true, 25);
        for f in 0..5 {
            m.write(f, 10, 0, Scope::Exclusive, 1);
        }
        // 10+10+10 closes the first at 30 ≥ 25, then 10+10 stay open in the second.
        assert_eq!(m.stat().physical_files, 2);
        assert_eq!(m.stat().physical_bytes, 50);
    }

    /// An open file stays while it is empty; closing it then deletes it.
    #[test]
    fn an_open_file_outlives_its_segments_until_closed() {
        let mut m = merging(false, 1000);
        m.write(1, 10, 0, Scope::Exclusive, 1);
        m.logical_deleted(1);
        assert_eq!(m.stat().physical_files, 1);
        m.checkpoint_ended(1);
        assert_eq!(m.stat(), SpaceStat::default());
    }
}
