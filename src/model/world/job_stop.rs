//! Ending the job on the user's request, as `flink cancel` and `flink stop` do.
//!
//! Cancel tears the job down at once: the job is CANCELED, pending checkpoints are
//! aborted, and what the sinks had not committed is lost. Stop-with-savepoint asks
//! the coordinator for a savepoint; once it completes the sinks commit it (a
//! terminating savepoint commits side effects, unlike an intermediate one) and the
//! job is FINISHED without processing what came after the savepoint's barrier (Flink's
//! `flink stop` without `--drain`). If that savepoint fails, the stop fails and the
//! job keeps running, as in Flink. Either way the coordinator shuts down with the
//! job's terminal status, and the externalized-checkpoint retention decides which
//! retained checkpoints stay in storage; savepoints belong to the user and stay.

use super::{Event, JobStatus, World};
use crate::protocol::coordinator::JobTermination;
use crate::protocol::{CheckpointFailureReason, CheckpointId};
use crate::scenario::spec::StopKind;
use crate::sim::Nanos;
use serde::Serialize;

/// What became of the scenario's stop request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StopState {
    /// The savepoint a stop-with-savepoint waits for.
    #[serde(skip)]
    pending: Option<StopPending>,
    /// When the job ended on the request, and by which savepoint for a stop.
    pub ended_at_ns: Option<Nanos>,
    pub savepoint: Option<CheckpointId>,
    /// Why a stop-with-savepoint failed (the job then kept running).
    pub failure: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopPending {
    /// Requested; the coordinator has not triggered its savepoint yet.
    Requested,
    Savepoint(CheckpointId),
}

impl World {
    pub(super) fn schedule_stop(&mut self) {
        if let Some(stop) = self.scenario.stop {
            self.queue.push(stop.at_ns, Event::Stop);
        }
    }

    /// The scenario's stop time came.
    pub(super) fn stop_requested(&mut self) {
        let Some(stop) = self.scenario.stop else {
            return;
        };
        if self.ended_at.is_some() {
            return;
        }
        match stop.kind {
            StopKind::Cancel => {
                self.stop.ended_at_ns = Some(self.now);
                self.note_stop_for_resume();
                self.end_job(JobTermination::Canceled);
                self.schedule_resume();
            }
            StopKind::StopWithSavepoint => {
                if self.recovery.status != JobStatus::Running {
                    // Flink refuses to stop a job whose tasks are not all running.
                    self.stop.failure = Some(format!(
                        "{}: the job was restarting",
                        CheckpointFailureReason::NotAllRequiredTasksRunning.flink_name()
                    ));
                    return;
                }
                self.stop.pending = Some(StopPending::Requested);
                let now = self.now;
                self.runtime()
                    .coordinator
                    .trigger(now, crate::protocol::SnapshotKind::Savepoint);
                self.drain_coordinator();
            }
        }
    }

    /// The coordinator triggered a savepoint: the first after a stop request serves it.
    pub(super) fn stop_savepoint_triggered(&mut self, id: CheckpointId) {
        if self.stop.pending == Some(StopPending::Requested) {
            self.stop.pending = Some(StopPending::Savepoint(id));
        }
    }

    /// The stop's savepoint request was dropped, or its savepoint aborted.
    pub(super) fn stop_savepoint_failed(&mut self, id: Option<CheckpointId>, reason: CheckpointFailureReason) {
        let ours = match (self.stop.pending, id) {
            (Some(StopPending::Requested), None) => true,
            (Some(StopPending::Savepoint(p)), Some(id)) => p == id,
            _ => false,
        };
        if ours {
            self.stop.pending = None;
            self.stop.failure = Some(reason.flink_name().to_string());
        }
    }

    /// A savepoint completed; if it is the stop's, the sinks commit it and the job ends.
    pub(super) fn stop_savepoint_completed(&mut self, id: CheckpointId) {
        if self.stop.pending != Some(StopPending::Savepoint(id)) {
            return;
        }
        self.stop.pending = None;
        self.stop.savepoint = Some(id);
        self.stop.ended_at_ns = Some(self.now);
        for st in 0..self.subtasks.len() {
            self.notify_complete(st, id);
        }
        self.note_stop_for_resume();
        self.end_job(JobTermination::Finished);
        self.schedule_resume();
    }

    /// The job reached a terminal state before its input ended: nothing runs any more,
    /// the coordinator shuts down with that status and the queue empties.
    pub(super) fn end_job(&mut self, termination: JobTermination) {
        let now = self.now;
        self.recovery.status = match termination {
            JobTermination::Failed => JobStatus::Failed,
            JobTermination::Canceled => JobStatus::Canceled,
            JobTermination::Finished | JobTermination::Suspended => JobStatus::Finished,
        };
        self.ended_at = Some(now);
        self.region_restart = None;
        self.close_backpressure();
        if self.ckpt.is_some() {
            self.runtime().coordinator.shutdown(now, termination);
            self.drain_coordinator();
            self.state_storage().close_databases();
            self.changelog_job_ended();
            self.state_storage().job_ended();
            // A new job arms its own coordinator timer.
            self.runtime().timer_at = None;
        }
        // Faults still strike the cluster when the job is submitted again later.
        let resubmitted = self.scenario.resume.is_some() && termination != JobTermination::Failed;
        self.queue.retain(|e| resubmitted && e.strikes_the_cluster());
    }

    /// How far the stop's savepoint had read each source partition, by (source
    /// operator, partition), when the job was stopped with one.
    /// `None` once the job was started again from it: it then ran on.
    pub fn stop_savepoint_offsets(&self) -> Option<Vec<(usize, u32, u64)>> {
        if self.resumed() {
            return None;
        }
        let id = self.stop.savepoint?;
        let snapshot = self.ckpt.as_ref()?.snapshots.get(&id)?;
        let mut offsets = Vec::new();
        for (st, s) in self.subtasks.iter().enumerate() {
            if s.source.is_none() {
                continue;
            }
            let taken = snapshot.subtasks.get(st)?.as_ref()?;
            offsets.extend(
                taken
                    .offsets
                    .iter()
                    .map(|&(partition, offset)| (s.op, partition, offset)),
            );
        }
        offsets.sort_unstable();
        Some(offsets)
    }
}
