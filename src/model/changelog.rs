//! One subtask's changelog state backend (FLIP-158, `state.changelog.enabled`), as
//! bookkeeping: which files in checkpoint storage its keyed state is made of.
//!
//! Every state change is appended to the subtask's changelog as well as applied to
//! the underlying backend. A checkpoint uploads only the part of the changelog that
//! is not in storage yet and refers to the rest: the latest *materialization* (a
//! snapshot the underlying backend takes in the background, every
//! `state.changelog.periodic-materialize.interval`) and every changelog file written
//! since it, as `ChangelogKeyedStateBackend.snapshot` builds its
//! `ChangelogStateBackendHandle`. Once a materialization completes, the changelog
//! before it is no longer needed by later checkpoints (Flink truncates it). A restore
//! reads the materialization and the changelog since, then applies every change of
//! that changelog again: the longer since the last materialization, the longer the
//! restore.
//!
//! Positions in the changelog count changes (Flink's `SequenceNumber`); file sizes
//! are bytes. The backend holds a reference to each file it may still refer to
//! (`SharedStateRegistry` counting, see `model::state_files`), so a file is deleted
//! once neither the backend nor a retained checkpoint refers to it.

use super::state_files::FileId;

/// A changelog file in checkpoint storage: the changes from `from` (inclusive) to `to`
/// (exclusive). `file` is `None` for `state.changelog.storage: memory`, whose changes
/// travel inline with the checkpoint's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogFile {
    pub file: Option<FileId>,
    pub from: u64,
    pub to: u64,
    pub bytes: u64,
}

/// The materialized snapshot a changelog builds on.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Materialized {
    /// Its files in storage: a materialization's one, or the files of a snapshot
    /// restored without a changelog (a savepoint), which become the base.
    pub files: Vec<FileId>,
    pub bytes: u64,
    /// The changes it covers: every change before this position.
    pub to: u64,
}

/// What a subtask's changelog backend is made of at one moment; a checkpoint keeps
/// the image of its snapshot, which a restore puts back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangelogImage {
    pub materialized: Materialized,
    /// Changelog files since the materialization, in order.
    pub log: Vec<LogFile>,
    /// Changes appended so far (the next sequence number).
    pub appended: u64,
}

impl ChangelogImage {
    /// Every stored file the image refers to.
    pub fn files(&self) -> Vec<FileId> {
        self.materialized
            .files
            .iter()
            .copied()
            .chain(self.log.iter().filter_map(|l| l.file))
            .collect()
    }

    /// Flink's `state_size` of the keyed state: the materialization and the changelog since.
    pub fn state_bytes(&self) -> u64 {
        self.materialized.bytes + self.log.iter().map(|l| l.bytes).sum::<u64>()
    }

    /// Changes a restore applies again: those after the materialization.
    pub fn changes_to_replay(&self) -> u64 {
        self.appended.saturating_sub(self.materialized.to)
    }

    /// Changes appended but not in a changelog file yet.
    pub fn unuploaded(&self) -> (u64, u64) {
        let uploaded = self.log.last().map_or(self.materialized.to, |l| l.to);
        (uploaded.max(self.materialized.to), self.appended)
    }
}

/// A materialization under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingMaterialization {
    pub id: u64,
    pub to: u64,
    pub bytes: u64,
}

/// One subtask's changelog backend.
#[derive(Clone, Debug, Default)]
pub struct ChangelogBackend {
    pub image: ChangelogImage,
    pub pending: Option<PendingMaterialization>,
    next_materialization: u64,
    /// Materializations that failed in a row (`state.changelog.max-failures-allowed`).
    pub consecutive_failures: u32,
    /// Completed materializations, for the run's summary.
    pub materializations: u64,
}

impl ChangelogBackend {
    /// The backend is restored from `image` (a fresh start from the default image):
    /// no materialization is under way any more; the run's counts stay.
    pub fn restore(&mut self, image: ChangelogImage) {
        self.image = image;
        self.pending = None;
        self.consecutive_failures = 0;
    }

    pub fn append(&mut self, changes: u64) {
        self.image.appended += changes;
    }

    /// Starts a materialization of the underlying backend's `bytes`, covering every
    /// change so far; `None` when nothing changed since the last one (Flink skips it
    /// and waits another interval) or one is still under way.
    pub fn begin_materialization(&mut self, bytes: u64) -> Option<PendingMaterialization> {
        if self.pending.is_some() || self.image.appended <= self.image.materialized.to {
            return None;
        }
        self.next_materialization += 1;
        let pending = PendingMaterialization {
            id: self.next_materialization,
            to: self.image.appended,
            bytes,
        };
        self.pending = Some(pending);
        Some(pending)
    }

    /// Materialization `id` is in storage as `file`: later snapshots build on it, and
    /// the files it makes unnecessary are returned (the backend's references to them
    /// go). `None` when `id` is not the one under way.
    pub fn materialized(&mut self, id: u64, file: Option<FileId>) -> Option<Vec<FileId>> {
        let pending = self.pending.filter(|p| p.id == id)?;
        self.pending = None;
        self.consecutive_failures = 0;
        self.materializations += 1;
        let old = std::mem::replace(
            &mut self.image.materialized,
            Materialized {
                files: file.into_iter().collect(),
                bytes: pending.bytes,
                to: pending.to,
            },
        );
        let mut released: Vec<FileId> = old.files;
        // A changelog file wholly before the materialization is truncated; one that
        // straddles it is still needed for the changes after it.
        self.image.log.retain(|l| {
            let keep = l.to > pending.to;
            if !keep {
                released.extend(l.file);
            }
            keep
        });
        Some(released)
    }

    /// The materialization under way failed; returns the failures in a row.
    pub fn materialization_failed(&mut self) -> u32 {
        self.pending = None;
        self.consecutive_failures += 1;
        self.consecutive_failures
    }

    /// A changelog file with the changes `from..to` is in storage: later snapshots
    /// refer to it when it continues the changelog where the stored part ends. Returns
    /// whether it does (otherwise a materialization or another upload covered it).
    pub fn log_uploaded(&mut self, log: LogFile) -> bool {
        let (uploaded, _) = self.image.unuploaded();
        let continues = log.from == uploaded && log.to > uploaded;
        if continues {
            self.image.log.push(log);
        }
        continues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(file: FileId, from: u64, to: u64) -> LogFile {
        LogFile {
            file: Some(file),
            from,
            to,
            bytes: (to - from) * 10,
        }
    }

    #[test]
    fn a_checkpoint_uploads_only_what_is_not_stored_yet() {
        let mut b = ChangelogBackend::default();
        b.append(5);
        assert_eq!(b.image.unuploaded(), (0, 5));
        b.log_uploaded(log(1, 0, 5));
        b.append(3);
        assert_eq!(b.image.unuploaded(), (5, 8));
        assert_eq!(b.image.state_bytes(), 50);
        assert_eq!(b.image.changes_to_replay(), 8);
    }

    #[test]
    fn materialization_truncates_the_changelog_before_it() {
        let mut b = ChangelogBackend::default();
        b.append(5);
        b.log_uploaded(log(1, 0, 5));
        b.append(5);
        let m = b.begin_materialization(400).unwrap();
        assert_eq!(m.to, 10);
        // A checkpoint during the materialization still writes its changelog.
        b.log_uploaded(log(2, 5, 10));
        b.append(2);
        b.log_uploaded(log(3, 10, 12));
        assert_eq!(b.materialized(m.id, Some(9)), Some(vec![1, 2]));
        assert_eq!(b.image.files(), vec![9, 3]);
        assert_eq!(b.image.state_bytes(), 400 + 20);
        assert_eq!(b.image.changes_to_replay(), 2);
        // The next materialization releases the previous one.
        b.append(1);
        let m = b.begin_materialization(410).unwrap();
        assert_eq!(b.materialized(m.id, Some(10)), Some(vec![9, 3]));
    }

    #[test]
    fn nothing_changed_means_no_materialization() {
        let mut b = ChangelogBackend::default();
        assert_eq!(b.begin_materialization(0), None);
        b.append(1);
        let m = b.begin_materialization(10).unwrap();
        assert_eq!(b.begin_materialization(10), None, "one at a time");
        assert_eq!(b.materialized(m.id + 1, None), None, "a stale completion is ignored");
        assert!(b.materialized(m.id, None).is_some());
        assert_eq!(b.begin_materialization(10), None);
    }

    #[test]
    fn failures_count_in_a_row() {
        let mut b = ChangelogBackend::default();
        b.append(1);
        b.begin_materialization(10);
        assert_eq!(b.materialization_failed(), 1);
        let m = b.begin_materialization(10).unwrap();
        b.materialized(m.id, None);
        assert_eq!(b.consecutive_failures, 0);
    }
}
