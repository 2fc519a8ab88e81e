//! Starting the job again from a snapshot after the user ended it, as `flink run
//! --fromSavepoint` (`execution.state-recovery.path`) does with a savepoint or with a
//! checkpoint a cancelled job retained.
//!
//! The new job goes through the failover path (`recovery.rs`): its tasks are deployed
//! anew, every subtask reads its state from the snapshot (keyed state, source offsets,
//! channel state, sink transactions) and the sources rewind to the snapshot's offsets.
//! What lies outside the job stays: the sinks' external system with what the first job
//! committed, checkpoint storage with the snapshot's files. The coordinator starts the
//! new job from the snapshot (`CheckpointCoordinator::start_from_snapshot`), and the
//! claim mode (`execution.state-recovery.claim-mode`) decides who owns it: under
//! `CLAIM` the job deletes it once it is subsumed, under `NO_CLAIM` never, and no
//! checkpoint of the new job refers to its files (the first one uploads the full state
//! again). A savepoint is self-contained (canonical format): a RocksDB restore from it
//! rebuilds the database, so in any mode the first checkpoint after it is a full one.

use super::{Event, JobStatus, World};
use crate::protocol::CheckpointId;
use crate::protocol::coordinator::RecoveryClaimMode;
use crate::scenario::spec::ResumeFrom;
use crate::sim::Nanos;
use crate::stats::faults::RecoveryRecord;
use serde::Serialize;

/// What became of the scenario's `resume:`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ResumeState {
    /// The latest checkpoint the job had completed when it was cancelled.
    #[serde(skip)]
    retained_at_stop: Option<CheckpointId>,
    /// When the new job was submitted, and from which snapshot.
    pub submitted_at_ns: Option<Nanos>,
    pub snapshot: Option<CheckpointId>,
    pub is_savepoint: bool,
    pub claim_mode: Option<RecoveryClaimMode>,
    /// Why the new job could not start (its snapshot was not in storage).
    pub failure: Option<String>,
}

impl World {
    /// The job was cancelled or stopped: a `resume:` submits it again later. Called
    /// before the coordinator shuts down, while it still knows its latest checkpoint.
    pub(super) fn note_stop_for_resume(&mut self) {
        if self.scenario.resume.is_none() {
            return;
        }
        self.resume.retained_at_stop = self.ckpt.as_ref().and_then(|rt| {
            rt.coordinator
                .history()
                .iter()
                .rev()
                .find(|c| !c.is_savepoint && c.completion_timestamp.is_some())
                .map(|c| c.checkpoint_id)
        });
    }

    /// The job has ended on the user's request; queue its new submission.
    pub(super) fn schedule_resume(&mut self) {
        if let Some(resume) = self.scenario.resume {
            self.queue.push(self.now + resume.after_ns, Event::Resume);
        }
    }

    /// Whether the job was started again from a snapshot.
    pub fn resumed(&self) -> bool {
        self.resume.snapshot.is_some()
    }

    /// The new submission is due: start the job from its snapshot, or record why not.
    pub(super) fn resume_due(&mut self) {
        let Some(resume) = self.scenario.resume else {
            return;
        };
        let now = self.now;
        let (id, what) = match resume.from {
            ResumeFrom::Savepoint => (self.stop.savepoint, "savepoint"),
            ResumeFrom::LatestCheckpoint => (self.resume.retained_at_stop, "checkpoint"),
        };
        let in_storage = |id: CheckpointId| {
            self.ckpt
                .as_ref()
                .is_some_and(|rt| rt.files.checkpoints.contains_key(&id) && rt.snapshots.contains_key(&id))
        };
        let Some(id) = id.filter(|&id| in_storage(id)) else {
            self.resume.failure = Some(match id {
                Some(id) => format!("{what} {id} is no longer in checkpoint storage"),
                None => format!("the job left no {what} to start from"),
            });
            return;
        };
        let mode = resume.claim_mode;
        let is_savepoint = resume.from == ResumeFrom::Savepoint;
        self.resume.submitted_at_ns = Some(now);
        self.resume.snapshot = Some(id);
        self.resume.is_savepoint = is_savepoint;
        self.resume.claim_mode = Some(mode);
        self.ended_at = None;
        // A new job keeps no task-local state of the old one.
        for tm in 0..self.taskmanagers.len() {
            self.lose_local_state(tm);
        }
        let rt = self.runtime();
        if !mode.reuses_files() || is_savepoint {
            rt.files.not_reused.insert(id);
        }
        let started = rt.coordinator.start_from_snapshot(id, mode);
        debug_assert!(started, "validation admits only protocols that start from snapshots");
        self.note_furthest_reads(&(0..self.subtasks.len()).collect::<Vec<_>>());
        self.recovery.status = JobStatus::Restarting;
        let mode_name = mode.flink_name();
        self.begin_recovery(RecoveryRecord {
            cause: format!("the job was submitted again from {what} {id} in {mode_name} mode"),
            resubmitted: true,
            ..RecoveryRecord::default()
        });
        self.tear_down_tasks();
        self.queue.push(now, Event::Sample);
        if let Some(d) = self.scenario.network.debloat {
            self.queue.push(now + d.period_ns, Event::DebloatTick);
        }
        self.recovery.restart_due = true;
        self.try_deploy();
    }
}
