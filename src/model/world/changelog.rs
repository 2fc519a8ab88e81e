//! The changelog state backend in the world (`state.changelog.enabled`, FLIP-158):
//! each keyed subtask appends every state change to its changelog
//! (`model::changelog`), a checkpoint uploads only the changes not in storage yet,
//! and the underlying backend materializes the whole state in the background every
//! `state.changelog.periodic-materialize.interval`.
//!
//! As in Flink's `PeriodicMaterializationManager`, a subtask's first materialization
//! comes after the interval plus a delay drawn from its identity (below the
//! interval, so subtasks do not all upload at once), and each next one an interval
//! after the previous ended. One with nothing changed since the last is skipped;
//! after `state.changelog.max-failures-allowed` failures in a row the task fails.
//!
//! What ckptsim approximates: the changes of a keyed subtask are its input records
//! (one state update each), each the size of an average state entry; the changelog
//! is uploaded when a checkpoint's asynchronous phase starts (Flink's DSTL also
//! persists it ahead, every `dstl.dfs.batch.persist-delay`, so Flink's uploads at the
//! checkpoint are smaller still); a materialization is the underlying backend's full
//! snapshot, uploaded without task CPU; logging a change costs no CPU.

use super::{Event, JobStatus, World};
use crate::model::changelog::{ChangelogBackend, ChangelogImage, LogFile, Materialized};
use crate::protocol::CheckpointId;
use crate::scenario::checkpointing::{ChangelogSpec, ChangelogStorage};
use crate::sim::Nanos;
use std::collections::BTreeMap;

/// Every keyed subtask's changelog backend, and the image each checkpoint took.
#[derive(Clone, Debug)]
pub struct ChangelogStore {
    spec: ChangelogSpec,
    /// By subtask (only keyed subtasks use theirs).
    backends: Vec<ChangelogBackend>,
    /// Input records each subtask had when its changelog last caught up.
    seen_records: Vec<u64>,
    /// By (checkpoint, subtask): what the snapshot refers to, which a restore puts back.
    images: BTreeMap<(CheckpointId, usize), ChangelogImage>,
    /// Materializations that failed, over the run.
    pub failed_materializations: u64,
    /// The job ended and the backends let go of their files.
    ended: bool,
}

/// The changelog part of one subtask's snapshot, between its sync phase and upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ChangelogPart {
    /// The changes it uploads, and their bytes.
    pub from: u64,
    pub to: u64,
    pub bytes: u64,
}

/// What the changelog backends did over a run, for its summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangelogSummary {
    /// Materializations completed and failed, over every subtask.
    pub materializations: u64,
    pub failed_materializations: u64,
    /// At the end: the latest materializations' bytes, and the changelog since them
    /// (what a restore would read), over every subtask.
    pub materialized_bytes: u64,
    pub changelog_bytes: u64,
}

impl ChangelogStore {
    pub fn new(spec: ChangelogSpec, subtasks: usize) -> Self {
        Self {
            spec,
            backends: vec![ChangelogBackend::default(); subtasks],
            seen_records: vec![0; subtasks],
            images: BTreeMap::new(),
            failed_materializations: 0,
            ended: false,
        }
    }

    pub fn summary(&self) -> ChangelogSummary {
        let images = || self.backends.iter().map(|b| &b.image);
        ChangelogSummary {
            materializations: self.backends.iter().map(|b| b.materializations).sum(),
            failed_materializations: self.failed_materializations,
            materialized_bytes: images().map(|i| i.materialized.bytes).sum(),
            changelog_bytes: images().map(|i| i.state_bytes() - i.materialized.bytes).sum(),
        }
    }
}

/// A delay below `interval` drawn from the subtask's index, as Flink draws it from a
/// hash of the subtask's identity.
fn initial_delay(st: usize, interval: Nanos) -> Nanos {
    let mut z = (st as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % interval.max(1)
}

impl World {
    fn changelog(&mut self) -> Option<&mut ChangelogStore> {
        self.ckpt.as_mut().and_then(|rt| rt.changelog.as_mut())
    }

    /// Whether `st`'s keyed state goes through a changelog.
    pub(super) fn uses_changelog(&self, st: usize) -> bool {
        self.scenario.checkpointing.changelog.is_some()
            && self.scenario.operators[self.subtasks[st].op].logic.is_keyed()
    }

    /// `st`'s changelog catches up with the records it processed since it last did.
    fn changelog_catch_up(&mut self, st: usize) {
        let records = self.subtasks[st].metrics.records_in;
        let Some(store) = self.changelog() else { return };
        let seen = std::mem::replace(&mut store.seen_records[st], records);
        store.backends[st].append(records.saturating_sub(seen));
    }

    /// The snapshot of `st` for checkpoint `id` refers to its materialization and
    /// changelog, and uploads the changes not stored yet, each `change_bytes`. Returns
    /// the part to upload and the keyed state's size as Flink reports it.
    pub(super) fn changelog_snapshot(
        &mut self,
        id: CheckpointId,
        st: usize,
        change_bytes: u64,
    ) -> (ChangelogPart, u64) {
        self.changelog_catch_up(st);
        let store = self.changelog().expect("changelog on");
        let image = store.backends[st].image.clone();
        let (from, to) = image.unuploaded();
        let part = ChangelogPart {
            from,
            to,
            bytes: (to - from) * change_bytes,
        };
        store.images.insert((id, st), image.clone());
        self.state_storage().refer(id, st, &image.files());
        (part, image.state_bytes() + part.bytes)
    }

    /// Bytes the changelog part of a snapshot sends to checkpoint storage: none with
    /// the `memory` changelog storage, whose changes go inline with the metadata.
    pub(super) fn changelog_upload_bytes(&self, part: &ChangelogPart) -> u64 {
        match self.scenario.checkpointing.changelog.map(|c| c.storage) {
            Some(ChangelogStorage::Filesystem) => part.bytes,
            _ => 0,
        }
    }

    /// The changelog part of `id`'s snapshot of `st` is stored: the checkpoint refers to
    /// it, and so do the backend's later snapshots.
    pub(super) fn changelog_uploaded(&mut self, id: CheckpointId, st: usize, part: ChangelogPart) {
        if part.to <= part.from {
            return;
        }
        let file = (self.changelog_upload_bytes(&part) > 0).then(|| self.state_storage().backend_file(part.bytes));
        if let Some(file) = file {
            self.state_storage().refer(id, st, &[file]);
        }
        let log = LogFile {
            file,
            from: part.from,
            to: part.to,
            bytes: part.bytes,
        };
        let store = self.changelog().expect("changelog on");
        if let Some(image) = store.images.get_mut(&(id, st)) {
            image.log.push(log);
            image.appended = image.appended.max(part.to);
        }
        if !store.backends[st].log_uploaded(log) {
            // Not part of the backend's changelog (a materialization covered it, or
            // another checkpoint's upload got there first): only its checkpoint holds it.
            self.state_storage()
                .release_files(&file.into_iter().collect::<Vec<_>>());
        }
    }

    /// Checkpoint `id` is gone: its images go with it.
    pub(super) fn changelog_checkpoint_released(&mut self, id: CheckpointId) {
        if let Some(store) = self.changelog() {
            store.images.retain(|(c, _), _| *c != id);
        }
    }

    /// CPU time restoring `st` from checkpoint `id` spends applying the changelog
    /// since the materialization again.
    pub(super) fn changelog_replay_ns(&self, id: CheckpointId, st: usize) -> Nanos {
        let Some(store) = self.ckpt.as_ref().and_then(|rt| rt.changelog.as_ref()) else {
            return 0;
        };
        store.images.get(&(id, st)).map_or(0, |image| {
            image.changes_to_replay() * store.spec.apply_cpu_per_change_ns
        })
    }

    /// The tasks run again, restored along `line`: each keyed subtask's backend is the
    /// image of the checkpoint it restored (empty without one), and materializes on
    /// its schedule again.
    pub(super) fn changelog_restored(&mut self, line: &[Option<CheckpointId>], subtasks: &[usize]) {
        let Some(mut store) = self.ckpt.as_mut().and_then(|rt| rt.changelog.take()) else {
            return;
        };
        for &st in subtasks {
            let restored = line[st];
            // After the job's end the backends no longer hold their files.
            let old = if store.ended {
                Vec::new()
            } else {
                store.backends[st].image.files()
            };
            let image = match restored {
                Some(id) if self.uses_changelog(st) => match store.images.get(&(id, st)) {
                    Some(image) => image.clone(),
                    // A snapshot of the backend itself (a savepoint): what it restored
                    // is the base later checkpoints build on, as a materialization.
                    None => {
                        let files = self.state_storage().state_files_of(id, st);
                        let bytes = self.state_storage().registry.bytes_of(&files);
                        ChangelogImage {
                            materialized: Materialized { files, bytes, to: 0 },
                            ..ChangelogImage::default()
                        }
                    }
                },
                _ => ChangelogImage::default(),
            };
            let files = self.state_storage();
            files.hold(&image.files());
            files.release_files(&old);
            store.backends[st].restore(image);
            store.seen_records[st] = self.subtasks[st].metrics.records_in;
        }
        // A job started again holds what it restored, and lets go at its own end.
        store.ended = false;
        self.runtime().changelog = Some(store);
        self.schedule_materializations(subtasks);
    }

    /// The first materialization of each keyed subtask of `subtasks`, once its task runs.
    pub(super) fn schedule_materializations(&mut self, subtasks: &[usize]) {
        let Some(interval) = self
            .scenario
            .checkpointing
            .changelog
            .and_then(|c| c.materialize_interval_ns)
        else {
            return;
        };
        for &st in subtasks {
            if self.uses_changelog(st) {
                let at = self.now + interval + initial_delay(st, interval);
                self.queue.push(at, Event::Materialize(st));
            }
        }
    }

    fn schedule_next_materialization(&mut self, st: usize) {
        if let Some(interval) = self
            .scenario
            .checkpointing
            .changelog
            .and_then(|c| c.materialize_interval_ns)
        {
            self.queue.push(self.now + interval, Event::Materialize(st));
        }
    }

    /// `st`'s materialization is due: the underlying backend snapshots the whole state
    /// and uploads it in the background.
    pub(super) fn materialize(&mut self, st: usize) {
        if self.recovery.status != JobStatus::Running || self.subtasks[st].finished {
            return;
        }
        self.changelog_catch_up(st);
        let (_, keyed_bytes) = self.keyed_state(st);
        let now = self.now;
        let Some(pending) = self
            .changelog()
            .and_then(|s| s.backends[st].begin_materialization(keyed_bytes))
        else {
            self.schedule_next_materialization(st);
            return;
        };
        match self.storage.put(now, pending.bytes) {
            Ok(done) => self.queue.push(done, Event::Materialized(st, pending.id)),
            Err(failure) => self
                .queue
                .push(failure.at, Event::MaterializationFailed(st, pending.id)),
        }
    }

    /// Materialization `id` of `st` is in storage: later checkpoints build on it and
    /// the changelog before it is truncated.
    pub(super) fn materialized(&mut self, st: usize, id: u64) {
        let bytes = match self.changelog().and_then(|s| s.backends[st].pending) {
            Some(p) if p.id == id => p.bytes,
            _ => return,
        };
        let file = self.state_storage().backend_file(bytes);
        let released = self
            .changelog()
            .and_then(|s| s.backends[st].materialized(id, Some(file)))
            .unwrap_or_default();
        self.state_storage().release_files(&released);
        self.schedule_next_materialization(st);
    }

    /// Materialization `id` of `st` failed (checkpoint storage unavailable): tried
    /// again an interval later, unless too many failed in a row.
    pub(super) fn materialization_failed(&mut self, st: usize, id: u64) {
        let allowed = self
            .scenario
            .checkpointing
            .changelog
            .map_or(0, |c| c.max_failures_allowed);
        let Some(store) = self.changelog() else { return };
        if store.backends[st].pending.is_none_or(|p| p.id != id) {
            return;
        }
        store.failed_materializations += 1;
        if store.backends[st].materialization_failed() > allowed {
            let name = self.scenario.operators[self.subtasks[st].op].name.clone();
            self.fail_subtasks(
                format!(
                    "subtask {st} ({name}) failed to complete the asynchronous part of materialization more than {allowed} times in a row"
                ),
                &[st],
            );
        } else {
            self.schedule_next_materialization(st);
        }
    }

    /// The job ended: what only the backends referred to is deleted (once, however
    /// many ways the end is reported).
    pub(super) fn changelog_job_ended(&mut self) {
        let Some(store) = self.changelog() else { return };
        if std::mem::replace(&mut store.ended, true) {
            return;
        }
        let held: Vec<_> = store.backends.iter().flat_map(|b| b.image.files()).collect();
        self.state_storage().release_files(&held);
    }

    /// The changelog backends' summary; `None` without `state.changelog.enabled`.
    pub fn changelog_summary(&self) -> Option<ChangelogSummary> {
        self.ckpt.as_ref()?.changelog.as_ref().map(ChangelogStore::summary)
    }
}

#[cfg(test)]
mod tests {
    use super::initial_delay;

    #[test]
    fn initial_delays_stay_below_the_interval_and_differ() {
        let delays: Vec<_> = (0..8).map(|st| initial_delay(st, 1_000)).collect();
        assert!(delays.iter().all(|&d| d < 1_000));
        let mut distinct = delays.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 4, "{delays:?}");
    }
}
