//! Region failover (`jobmanager.execution.failover-strategy: region`, Flink's
//! default): a task failure restarts only the pipelined regions of the failed tasks,
//! as Flink's `RestartPipelinedRegionFailoverStrategy` does.
//!
//! In a streaming job every exchange is pipelined, so a region is a connected part of
//! the subtasks over their channels: a job with only forward edges has one region per
//! parallel pipeline, and an all-to-all exchange (hash, rebalance) merges everything it
//! connects into one. No channel crosses between regions, so the other regions keep
//! running untouched while the failed ones restart: their subtasks are deployed anew
//! and restored from the latest completed checkpoint (state, source offsets, channel
//! state, sink transactions), reading only their own state.
//!
//! The coordinator aborts the pending checkpoints (`JOB_FAILOVER_REGION`) and its
//! periodic trigger keeps running; triggers while the region restarts fail with
//! `NOT_ALL_REQUIRED_TASKS_RUNNING`, as in Flink. A failure while a region is still
//! restarting, one that needs every region anyway, the JobManager's loss, and a global
//! failure (too many failed checkpoints) restart the whole job, and protocols without
//! barriers (which recover along a recovery line of all subtasks) always do.

use super::{Event, JobStatus, TaskState, World, build_tasks};
use crate::model::channel::OpenBuffer;
use crate::protocol::CheckpointFailureReason;
use crate::protocol::interface::RecoveryLine;
use crate::scenario::checkpointing::ProtocolKind;
use crate::scenario::spec::FailoverStrategy;
use crate::sim::Nanos;
use crate::stats::faults::RecoveryRecord;

/// The pipelined region of each subtask: the smallest subtask index connected to it
/// over channels, as (producer, consumer) pairs.
pub fn pipelined_regions(subtasks: usize, channels: impl Iterator<Item = (usize, usize)>) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..subtasks).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (a, b) in channels {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        // The smaller index stays the root: a region is named by its first subtask.
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        parent[hi] = lo;
    }
    (0..subtasks).map(|x| root(&mut parent, x)).collect()
}

/// The regions restarting, until their subtasks run again.
#[derive(Clone, Debug)]
pub(super) struct RegionRestart {
    /// The subtasks restarting, in index order.
    subtasks: Vec<usize>,
    attempt: u32,
    due: bool,
    /// What they restore: the latest completed checkpoint for them, `None` for the rest.
    line: Option<RecoveryLine>,
}

impl World {
    /// The subtasks a failure of `failed` restarts, or `None` when it restarts the
    /// whole job.
    fn region_of_failure(&self, failed: &[usize]) -> Option<Vec<usize>> {
        let regional = self.scenario.failover == FailoverStrategy::Region
            && self.scenario.checkpointing.protocol == ProtocolKind::Coordinated
            && self.scenario.custom_protocol.is_none()
            && self.region_restart.is_none()
            && self.recovery.status == JobStatus::Running;
        if !regional || failed.is_empty() {
            return None;
        }
        let hit: Vec<usize> = failed.iter().map(|&st| self.regions[st]).collect();
        let restart: Vec<usize> = (0..self.subtasks.len())
            .filter(|st| hit.contains(&self.regions[*st]))
            .collect();
        (restart.len() < self.subtasks.len()).then_some(restart)
    }

    /// The tasks `failed` failed: their regions restart, or the whole job does.
    pub(super) fn fail_subtasks(&mut self, cause: String, failed: &[usize]) {
        if self.unfinished == 0 {
            return;
        }
        match self.region_of_failure(failed) {
            Some(restart) => self.restart_regions(cause, restart),
            None => self.fail_tasks(cause),
        }
    }

    fn restart_regions(&mut self, cause: String, restart: Vec<usize>) {
        let now = self.now;
        let attempt = self.begin_recovery(RecoveryRecord {
            cause,
            restarted_subtasks: Some(restart.len() as u32),
            ..RecoveryRecord::default()
        });
        self.note_furthest_reads(&restart);
        if self.ckpt.is_some() {
            let rt = self.runtime();
            rt.coordinator.set_tasks_running(now, false);
            rt.coordinator
                .abort_pending_checkpoints(now, CheckpointFailureReason::JobFailoverRegion);
            self.drain_coordinator();
        }
        self.tear_down_subtasks(&restart);
        self.region_restart = Some(RegionRestart {
            subtasks: restart,
            attempt,
            due: false,
            line: None,
        });
        match self.restart_delay(now) {
            Some(delay) => self.queue.push(now + delay, Event::RegionRestart(attempt)),
            None => {
                self.region_restart = None;
                self.fail_job();
            }
        }
    }

    /// Cancels `restart`'s subtasks alone: their events, queued work and channels go,
    /// and fresh ones wait, stalled, for their restored state. Everything else runs on.
    fn tear_down_subtasks(&mut self, restart: &[usize]) {
        let n = self.subtasks.len();
        let mut restarting = vec![false; n];
        for &st in restart {
            restarting[st] = true;
        }
        let channel_restarts: Vec<bool> = self.channels.iter().map(|c| restarting[c.consumer]).collect();
        self.queue.retain(|e| match e.task_owner() {
            Some(super::events::Owner::Subtask(st)) => !restarting[st],
            Some(super::events::Owner::Channel(ch)) => !channel_restarts[ch],
            None => true,
        });
        // Their cores go to the subtasks of other regions waiting for one.
        for &st in restart {
            let tm = self.subtasks[st].tm;
            self.taskmanagers[tm].cpu.run_queue.retain(|&w| !restarting[w]);
        }
        for &st in restart {
            if self.subtasks[st].state == TaskState::Busy {
                self.release_core(st);
            }
        }
        let (mut fresh, mut fresh_channels, mut fresh_gates) = build_tasks(&self.scenario);
        let end = self.end_time();
        for &st in restart {
            let old = &mut self.subtasks[st];
            if old.finished {
                self.unfinished += 1;
            }
            if let Some(since) = old.backpressured_since.take() {
                old.metrics.backpressured_ns += end.saturating_sub(since);
            }
            let new = &mut fresh[st];
            new.metrics = std::mem::take(&mut old.metrics);
            if matches!(old.logic, crate::model::operator::OperatorLogic::Sink { .. }) {
                std::mem::swap(&mut new.logic, &mut old.logic);
            }
            // No CPU until its state is back.
            new.stalled_until = Nanos::MAX;
            std::mem::swap(old, new);
        }
        for (ch, restarts) in channel_restarts.iter().enumerate() {
            if *restarts {
                std::mem::swap(&mut self.channels[ch], &mut fresh_channels[ch]);
                self.open[ch] = OpenBuffer {
                    records: Vec::new(),
                    capacity: self.channels[ch].capacity as u32,
                    dirty: false,
                };
            }
        }
        for (g, gate) in fresh_gates.iter_mut().enumerate() {
            if restarting[gate.consumer] {
                std::mem::swap(&mut self.gates[g], gate);
            }
        }
        self.wake.retain(|st| !restarting[*st]);
        // Every pending checkpoint was aborted; uploads under way never become files.
        self.forget_progress(|_| false);
        if let Some(rt) = self.ckpt.as_mut() {
            rt.uploads.clear();
        }
        self.configure_checkpointing_of(restart);
    }

    pub(super) fn region_restart_due(&mut self, attempt: u32) {
        match self.region_restart.as_mut() {
            Some(r) if r.attempt == attempt => r.due = true,
            _ => return,
        }
        self.try_deploy_regions();
    }

    /// Deploys the restarting regions once their restart is due and their
    /// TaskManagers are up; their subtasks read their state back, the rest run on.
    pub(super) fn try_deploy_regions(&mut self) {
        let Some(restart) = self.region_restart.as_ref() else {
            return;
        };
        if !restart.due || !self.resources_up_for(&restart.subtasks) {
            return;
        }
        let (subtasks, attempt) = (restart.subtasks.clone(), restart.attempt);
        let (line, running_at) = self.deploy_restoring(Some(&subtasks));
        if let Some(r) = self.region_restart.as_mut() {
            r.due = false;
            r.line = line;
        }
        self.queue.push(running_at, Event::RegionRunning(attempt));
    }

    /// The restarting regions' state is in place: install it and run them.
    pub(super) fn regions_restored(&mut self, attempt: u32) {
        let Some(restart) = self.region_restart.clone().filter(|r| r.attempt == attempt) else {
            return;
        };
        if !self.resources_up_for(&restart.subtasks) {
            // A TaskManager or the JobManager died while the state was downloading.
            if let Some(r) = self.region_restart.as_mut() {
                r.due = true;
            }
            return;
        }
        let now = self.now;
        let reprocessed = self.put_back(&restart.subtasks, restart.line.as_ref());
        self.new_roles_for(&restart.subtasks);
        for &st in &restart.subtasks {
            // A stall that struck it still holds.
            let until = self.recovery.stall_until(st, now);
            self.subtasks[st].stalled_until = until;
            if until > now {
                self.queue.push(until, Event::StallEnd(st));
            }
            self.arm_protocol_timer(st);
            self.wake.push(st);
        }
        self.region_restart = None;
        if let Some(r) = self.recovery.recoveries.last_mut() {
            r.running_at_ns = Some(now);
            r.reprocessed_records = reprocessed;
        }
        if self.ckpt.is_some() {
            let rt = self.runtime();
            rt.coordinator.subtasks_restarted(&restart.subtasks);
            rt.coordinator.set_tasks_running(now, true);
            self.drain_coordinator();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pipelined_regions;

    #[test]
    fn forward_pipelines_are_regions_and_all_to_all_merges_them() {
        // source[0..2] -> map[2..4] forward: two regions.
        assert_eq!(pipelined_regions(4, [(0, 2), (1, 3)].into_iter()), vec![0, 1, 0, 1]);
        // The same with map -> sink[4..6] all-to-all: one region.
        let all = [(0, 2), (1, 3), (2, 4), (2, 5), (3, 4), (3, 5)];
        assert_eq!(pipelined_regions(6, all.into_iter()), vec![0; 6]);
        // A subtask without channels is a region of its own.
        assert_eq!(pipelined_regions(3, [(1, 2)].into_iter()), vec![0, 1, 1]);
    }
}
