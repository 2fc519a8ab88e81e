//! Task-local state for local recovery (`execution.state-recovery.from-local`), as
//! Flink's `TaskLocalStateStoreImpl` keeps it: per subtask, on its TaskManager's
//! local disk, a copy of the keyed state of each checkpoint it acknowledged and
//! that is not yet pruned.
//!
//! When a copy is stored and pruned follows Flink:
//! - stored when the subtask acknowledges a checkpoint (`reportTaskStateSnapshots`
//!   stores it, then acknowledges); a savepoint leaves none;
//! - `confirmCheckpoint(id)` drops every copy older than `id`, so the latest
//!   confirmed checkpoint's copy stays, with those of newer pending ones;
//! - `abortCheckpoint(id)` drops the copy of `id`;
//! - a restore from `id` drops every other copy (`pruneMatchingCheckpoints` in
//!   `TaskStateManagerImpl.prioritizedOperatorState`);
//! - a restore finds a copy only for exactly the checkpoint it restores
//!   (`retrieveLocalState(restoreCheckpointId)`).
//!
//! The copies live outside the tasks: a task failure leaves them, the loss of the
//! TaskManager takes them.

use crate::protocol::CheckpointId;
use std::collections::BTreeMap;

/// One subtask's local copies: bytes by checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskLocalStateStore {
    copies: BTreeMap<CheckpointId, u64>,
}

impl TaskLocalStateStore {
    /// Keeps a copy of `bytes` for checkpoint `id`; returns the bytes of a copy it
    /// replaces, which is deleted.
    pub fn store(&mut self, id: CheckpointId, bytes: u64) -> u64 {
        self.copies.insert(id, bytes).unwrap_or(0)
    }

    /// The copy of exactly checkpoint `id`, if the subtask has one.
    pub fn retrieve(&self, id: CheckpointId) -> Option<u64> {
        self.copies.get(&id).copied()
    }

    /// Checkpoint `id` completed and the subtask was notified: copies of older
    /// checkpoints go. Returns the bytes deleted.
    pub fn confirm(&mut self, id: CheckpointId) -> u64 {
        self.prune(|c| c < id)
    }

    /// Checkpoint `id` was aborted: its copy goes. Returns the bytes deleted.
    pub fn abort(&mut self, id: CheckpointId) -> u64 {
        self.prune(|c| c == id)
    }

    /// The subtask restores checkpoint `id`: every other copy goes. Returns the
    /// bytes deleted.
    pub fn restoring(&mut self, id: CheckpointId) -> u64 {
        self.prune(|c| c != id)
    }

    /// The TaskManager is lost, and its disk with it: every copy goes. Returns the
    /// bytes deleted.
    pub fn lose(&mut self) -> u64 {
        self.prune(|_| true)
    }

    /// Bytes of every copy kept.
    pub fn bytes(&self) -> u64 {
        self.copies.values().sum()
    }

    /// The checkpoints it keeps a copy of, oldest first.
    pub fn checkpoints(&self) -> Vec<CheckpointId> {
        self.copies.keys().copied().collect()
    }

    fn prune(&mut self, drop: impl Fn(CheckpointId) -> bool) -> u64 {
        let before = self.bytes();
        self.copies.retain(|&c, _| !drop(c));
        before - self.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(count: u64) -> TaskLocalStateStore {
        let mut store = TaskLocalStateStore::default();
        for id in 0..count {
            store.store(id, 100 + id);
        }
        store
    }

    // Flink's TaskLocalStateStoreImplTest#confirmCheckpoint: three stored, the last
    // confirmed, the two before it pruned.
    #[test]
    fn a_confirmation_prunes_the_older_copies() {
        let mut store = stored(3);
        assert_eq!(store.confirm(2), 100 + 101);
        assert_eq!(store.checkpoints(), vec![2]);
        assert_eq!(store.retrieve(2), Some(102));
        assert_eq!(store.retrieve(1), None);
    }

    // TaskLocalStateStoreImplTest#abortCheckpoint: four stored, the third aborted,
    // only it pruned.
    #[test]
    fn an_abort_prunes_only_its_own_copy() {
        let mut store = stored(4);
        assert_eq!(store.abort(2), 102);
        assert_eq!(store.checkpoints(), vec![0, 1, 3]);
    }

    // TaskLocalStateStoreImplTest#pruneCheckpoints with the matcher
    // TaskStateManagerImpl.prioritizedOperatorState passes: all but the restored one.
    #[test]
    fn a_restore_keeps_only_the_restored_copy_and_a_lost_disk_none() {
        let mut store = stored(3);
        assert_eq!(store.store(2, 300), 102);
        assert_eq!(store.restoring(2), 100 + 101);
        assert_eq!(store.checkpoints(), vec![2]);
        assert_eq!(store.bytes(), 300);
        assert_eq!(store.lose(), 300);
        assert_eq!(store.retrieve(2), None);
    }
}
