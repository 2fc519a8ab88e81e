//! Task-local recovery in the world (`execution.state-recovery.from-local`): each
//! subtask keeps a copy of its keyed state on its TaskManager's local disk
//! (`model::local_state`), and a restore reads the copy of exactly the checkpoint it
//! restores from there instead of from checkpoint storage.
//!
//! The asynchronous phase already writes every snapshot to the local disk before it
//! uploads it (`sync_done`); with local recovery the copy stays there, taking disk
//! space, until Flink's store would prune it. What a copy does not hold is read from
//! checkpoint storage as before: operator state (source offsets), as Flink's local
//! recovery covers keyed state backends only, and unaligned channel state.
//!
//! Placement in ckptsim is fixed, so a restarted subtask always lands on the
//! TaskManager that holds its copies, as Flink's scheduler tries to place it in its
//! previous slot. A TaskManager crash loses that TaskManager's copies: its subtasks
//! read from checkpoint storage.

use super::World;
use crate::model::local_state::TaskLocalStateStore;
use crate::protocol::CheckpointId;

/// Where a restore reads one piece of state from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadFrom {
    Storage,
    /// The local disk of this TaskManager.
    LocalDisk(usize),
}

/// One piece of state a restore reads: a subtask's state or part of it, or a
/// channel's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RestoreRead {
    pub bytes: u64,
    pub from: ReadFrom,
    /// CPU time after the read: applying a changelog again.
    pub replay_ns: crate::sim::Nanos,
}

impl World {
    fn local_stores(&mut self) -> Option<&mut Vec<TaskLocalStateStore>> {
        self.ckpt.as_mut().and_then(|rt| rt.local.as_mut())
    }

    /// `st` acknowledges checkpoint `id`: its keyed state stays on the local disk as
    /// the checkpoint's local copy (`TaskStateManagerImpl.reportTaskStateSnapshots`
    /// stores it, then acknowledges). A savepoint leaves none, as Flink's snapshot
    /// strategies write the local stream only for checkpoints.
    pub(super) fn store_local_state(&mut self, st: usize, id: CheckpointId) {
        if self.local_stores().is_none() {
            return;
        }
        let p = self.progress(id, st);
        let (savepoint, incremental, keyed_bytes) = (p.savepoint, p.incremental, p.keyed_bytes);
        if savepoint {
            return;
        }
        // An incremental snapshot's copy is its live RocksDB files, those a restore
        // from storage reads; a full one's is the keyed part of its one file.
        let bytes = if incremental {
            self.runtime().files.restore_bytes(id, st).unwrap_or(keyed_bytes)
        } else {
            keyed_bytes
        };
        if bytes == 0 {
            // Nothing keyed: Flink stores no local state handle, and a restore reads
            // everything from checkpoint storage.
            return;
        }
        let tm = self.subtasks[st].tm;
        let Some(stores) = self.local_stores() else { return };
        let replaced = stores[st].store(id, bytes);
        let disk = &mut self.taskmanagers[tm].disk;
        disk.delete(replaced);
        disk.used += bytes;
    }

    /// `st` learnt that checkpoint `id` completed: older copies go
    /// (`TaskLocalStateStoreImpl.confirmCheckpoint`).
    pub(super) fn confirm_local_state(&mut self, st: usize, id: CheckpointId) {
        let tm = self.subtasks[st].tm;
        if let Some(stores) = self.local_stores() {
            let freed = stores[st].confirm(id);
            self.taskmanagers[tm].disk.delete(freed);
        }
    }

    /// Checkpoint `id` was aborted: every subtask's copy of it goes
    /// (`TaskLocalStateStoreImpl.abortCheckpoint`).
    pub(super) fn abort_local_state(&mut self, id: CheckpointId) {
        let Some(stores) = self.ckpt.as_mut().and_then(|rt| rt.local.as_mut()) else {
            return;
        };
        for (st, store) in stores.iter_mut().enumerate() {
            let freed = store.abort(id);
            self.taskmanagers[self.subtasks[st].tm].disk.delete(freed);
        }
    }

    /// TaskManager `tm` is lost, and the copies on its disk with it.
    pub(super) fn lose_local_state(&mut self, tm: usize) {
        let Some(stores) = self.ckpt.as_mut().and_then(|rt| rt.local.as_mut()) else {
            return;
        };
        for (st, store) in stores.iter_mut().enumerate() {
            if self.subtasks[st].tm == tm {
                let freed = store.lose();
                self.taskmanagers[tm].disk.delete(freed);
            }
        }
    }

    /// Bytes of the local copies on TaskManager `tm`'s disk: what a task failure
    /// leaves there.
    pub(super) fn local_state_bytes_on(&self, tm: usize) -> u64 {
        let Some(stores) = self.ckpt.as_ref().and_then(|rt| rt.local.as_ref()) else {
            return 0;
        };
        stores
            .iter()
            .enumerate()
            .filter(|&(st, _)| self.subtasks[st].tm == tm)
            .map(|(_, store)| store.bytes())
            .sum()
    }

    /// The copy subtask `st` restores checkpoint `id` from, if it has one, and the
    /// TaskManager whose disk holds it (`TaskLocalStateStoreImpl.retrieveLocalState`:
    /// exactly that checkpoint's).
    pub(super) fn local_copy(&self, st: usize, id: CheckpointId) -> Option<(u64, usize)> {
        let stores = self.ckpt.as_ref()?.local.as_ref()?;
        stores[st].retrieve(id).map(|bytes| (bytes, self.subtasks[st].tm))
    }

    /// The restore of `line` begins: every copy but that of the checkpoint each
    /// subtask restores goes (`pruneMatchingCheckpoints` when the restored task asks
    /// for its state).
    pub(super) fn prune_local_state_for(&mut self, line: &[Option<CheckpointId>]) {
        for (st, restored) in line.iter().enumerate() {
            let Some(id) = restored else { continue };
            let tm = self.subtasks[st].tm;
            if let Some(stores) = self.local_stores() {
                let freed = stores[st].restoring(*id);
                self.taskmanagers[tm].disk.delete(freed);
            }
        }
    }
}
