//! The `forst` backend's state access in the world: before each buffer a keyed
//! subtask's records pay the remote reads its share of the TaskManager's file cache
//! misses (`model::forst`). Nothing here runs with another backend.

use super::World;
use crate::model::forst::state_access_ns;

impl World {
    /// The subtask's keyed state: entries and bytes (as its snapshot counts them).
    pub(super) fn keyed_state(&self, st: usize) -> (u64, u64) {
        let s = &self.subtasks[st];
        let entries = s.logic.state_entries() as u64;
        let per_key = self.scenario.operators[s.op].state_bytes_per_key;
        (entries, per_key.map_or_else(|| s.logic.state_bytes(), |b| entries * b))
    }

    /// Sets what each record of the next buffer of `st` waits for its state: a
    /// remote read for the share its cache misses. Called only between buffers, so
    /// a buffer's records all cost the same.
    pub(super) fn refresh_state_access(&mut self, st: usize) {
        let Some(spec) = self.scenario.checkpointing.forst() else {
            return;
        };
        let op = self.subtasks[st].op;
        if !self.scenario.operators[op].logic.is_keyed() {
            return;
        }
        let cache = match self.subtasks[st].cache_share {
            Some(bytes) => bytes,
            None => {
                // ForSt's file cache is one per TaskManager, shared by its keyed subtasks.
                let tm = self.subtasks[st].tm;
                let keyed = (0..self.subtasks.len())
                    .filter(|&o| {
                        self.subtasks[o].tm == tm && self.scenario.operators[self.subtasks[o].op].logic.is_keyed()
                    })
                    .count() as u64;
                let share = spec.cache_bytes / keyed.max(1);
                self.subtasks[st].cache_share = Some(share);
                share
            }
        };
        let (_, state_bytes) = self.keyed_state(st);
        self.subtasks[st].state_access_ns = state_access_ns(&spec, cache, state_bytes);
    }
}
