//! The cost pieces of the `forst` state backend (Flink 2.0's disaggregated state,
//! FLIP-423; Flink's "Disaggregated State Management" docs; Mei et al., VLDB 2025).
//!
//! ForSt keeps a subtask's working state files in checkpoint storage (its primary
//! directory defaults to the checkpoint directory, `state.backend.forst.primary-dir:
//! checkpoint-dir`), with the TaskManager's disk as a file cache. What that changes:
//!
//! - **Checkpoint.** The sync phase flushes the memtable; the flush becomes a new file
//!   in checkpoint storage, and the snapshot refers to every live file without copying
//!   it ("lightweight checkpoints", FLIP-428's file reuse). The checkpointed size is the
//!   flushed delta. [`RemoteFiles`] keeps the live files in the shared-state registry,
//!   where the database itself holds a reference to each, so storage holds the live
//!   state whether or not a checkpoint refers to it.
//! - **Restore.** The restored checkpoint's files become the new database's files in
//!   place: nothing of the keyed state is downloaded ("fast recovery").
//! - **State access.** A read the local file cache misses goes to checkpoint storage.
//!   [`state_access_ns`] is that cost per record.
//!
//! Approximations (said in docs/scenario-reference.md): one state read per record;
//! the cache's hit ratio is its share of the state, `min(1, cache / state)` (a uniform
//! access pattern, a warm cache, also right after a restore); asynchronous state access
//! overlaps remote reads on `read-io-parallelism` threads, so a miss costs
//! `latency / read-io-parallelism` of the subtask's time; compaction runs on the
//! files in storage without costing the subtask or the checkpoint time.

use crate::model::state_files::{FileId, LEVEL0_COMPACTION_TRIGGER, SharedStateRegistry};
use crate::scenario::checkpointing::ForStSpec;
use crate::sim::Nanos;

/// Parts per million: the unit of the hit ratio, so that no float decides time.
pub const PPM: u64 = 1_000_000;

/// The share of state reads the local file cache serves, in parts per million:
/// `min(1, cache / state)`; all of them when there is no state yet.
pub fn hit_ratio_ppm(cache_bytes: u64, state_bytes: u64) -> u64 {
    if state_bytes == 0 {
        return PPM;
    }
    let ppm = u128::from(cache_bytes) * u128::from(PPM) / u128::from(state_bytes);
    ppm.min(u128::from(PPM)) as u64
}

/// What a record's state access adds to its processing time: a remote read for the
/// share the cache misses, overlapped on the read threads.
pub fn state_access_ns(spec: &ForStSpec, cache_bytes: u64, state_bytes: u64) -> Nanos {
    let miss_ppm = PPM - hit_ratio_ppm(cache_bytes, state_bytes);
    let parallelism = u128::from(spec.read_io_parallelism.max(1));
    let ns = u128::from(miss_ppm) * u128::from(spec.remote_read_latency_ns) / (u128::from(PPM) * parallelism);
    ns as Nanos
}

/// One subtask's live state files in checkpoint storage: the database's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteFiles {
    /// The compacted file, then the flushed (level-0) files in flush order.
    compacted: Option<FileId>,
    level0: Vec<FileId>,
}

impl RemoteFiles {
    /// The sync phase of a snapshot: the memtable's `flushed` bytes become a new file
    /// in storage; when more than [`LEVEL0_COMPACTION_TRIGGER`] files are live they
    /// compact into one file of `state_bytes` (written by the compaction, not by the
    /// checkpoint). Returns the live files, which the snapshot refers to.
    pub fn flush(&mut self, registry: &mut SharedStateRegistry, flushed: u64, state_bytes: u64) -> Vec<FileId> {
        if flushed > 0 {
            self.level0.push(registry.add(flushed));
        }
        if self.level0.len() + usize::from(self.compacted.is_some()) > LEVEL0_COMPACTION_TRIGGER {
            // The database lets go of the merged files; a checkpoint may still hold them.
            registry.release(&self.live());
            self.level0.clear();
            self.compacted = Some(registry.add(state_bytes));
        }
        self.live()
    }

    /// Every live file.
    pub fn live(&self) -> Vec<FileId> {
        self.compacted.iter().chain(&self.level0).copied().collect()
    }

    /// A database opened on a restored checkpoint's `files`, in place: it refers to
    /// them from now on. The database it replaces lets go of its own.
    pub fn reopen(&mut self, registry: &mut SharedStateRegistry, files: &[FileId]) {
        registry.release(&self.live());
        registry.acquire(files);
        self.compacted = None;
        self.level0 = files.to_vec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(latency_ns: Nanos, threads: u32) -> ForStSpec {
        ForStSpec {
            cache_bytes: 0,
            read_io_parallelism: threads,
            remote_read_latency_ns: latency_ns,
        }
    }

    /// A cache of a quarter of the state serves a quarter of the reads; a cache as
    /// large as the state or larger serves all of them, as does any cache of no state.
    #[test]
    fn the_hit_ratio_is_the_cache_share_of_the_state() {
        assert_eq!(hit_ratio_ppm(25, 100), 250_000);
        assert_eq!(hit_ratio_ppm(100, 100), PPM);
        assert_eq!(hit_ratio_ppm(1 << 40, 100), PPM);
        assert_eq!(hit_ratio_ppm(0, 100), 0);
        assert_eq!(hit_ratio_ppm(0, 0), PPM);
    }

    /// 1 ms per remote read on 3 threads: with no cache a record waits 333,333 ns,
    /// with half the state cached half that, with all of it nothing.
    #[test]
    fn a_miss_costs_the_latency_over_the_read_threads() {
        let s = spec(1_000_000, 3);
        assert_eq!(state_access_ns(&s, 0, 1000), 333_333);
        assert_eq!(state_access_ns(&s, 500, 1000), 166_666);
        assert_eq!(state_access_ns(&s, 1000, 1000), 0);
        assert_eq!(state_access_ns(&spec(1_000_000, 1), 0, 1000), 1_000_000);
    }

    /// Flushes add files the database refers to; the fifth live file compacts them
    /// into one of the whole state, and the merged files go once no checkpoint holds them.
    #[test]
    fn flushes_add_files_and_compaction_merges_them() {
        let mut r = SharedStateRegistry::default();
        let mut db = RemoteFiles::default();
        for _ in 0..4 {
            db.flush(&mut r, 10, 100);
        }
        assert_eq!((r.file_count(), r.bytes()), (4, 40));
        // A checkpoint holds the four files.
        let held = db.live();
        r.acquire(&held);
        let live = db.flush(&mut r, 10, 100);
        assert_eq!(live.len(), 1);
        assert_eq!(r.bytes_of(&live), 100);
        // The fifth flushed file went with the compaction; the four stay for the checkpoint.
        assert_eq!(r.bytes(), 140);
        r.release(&held);
        assert_eq!(r.bytes(), 100);
    }

    /// A restored database refers to the checkpoint's files in place and lets go of
    /// its predecessor's: a file only the old database had is deleted.
    #[test]
    fn reopening_takes_the_checkpoint_files_in_place() {
        let mut r = SharedStateRegistry::default();
        let mut db = RemoteFiles::default();
        let checkpoint = db.flush(&mut r, 10, 10);
        r.acquire(&checkpoint);
        db.flush(&mut r, 5, 15);
        assert_eq!(r.bytes(), 15);
        db.reopen(&mut r, &checkpoint);
        assert_eq!(r.bytes(), 10);
        assert_eq!(db.live(), checkpoint);
    }
}
