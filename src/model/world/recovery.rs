//! Faults and recovery in the simulated world: faults strike at their scheduled
//! times; a fault that fails tasks starts a full restart, as Flink's default
//! failover does for a job whose tasks are all connected: every task is cancelled,
//! the restart strategy picks a delay, and once the cluster has the resources again
//! every subtask is deployed anew and restored from the latest completed checkpoint
//! (keyed state, source offsets, channel state, sink transactions).
//!
//! Faults that only degrade (slow links, disks or storage, partitions, full disks,
//! storage outages) are windows installed in the components up front; the
//! components consult them as they work.

use super::local_recovery::{ReadFrom, RestoreRead};
use super::{Event, World, build_tasks, open_buffers};
use crate::fault::{FaultKind, Flaw, RestartDecision, RestartTracker};
use crate::model::channel::ChannelId;
use crate::model::operator::OperatorLogic;
use crate::model::record::Record;
use crate::model::taskmanager::Window;
use crate::protocol::coordinator::JobTermination;
use crate::protocol::interface::RecoveryLine;
use crate::protocol::{CheckpointFailureReason, CheckpointId};
use crate::sim::Nanos;
use crate::stats::faults::{CheckpointPhase, FaultRecord, RecoveryRecord, RestoredFrom};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where the job stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    #[default]
    Running,
    /// Tasks failed; waiting for the restart delay, the resources, or the restore.
    Restarting,
    /// The restart strategy gave up.
    Failed,
    /// The user cancelled the job.
    Canceled,
    /// The user stopped the job with a savepoint.
    Finished,
}

impl JobStatus {
    /// The job failed or was cancelled before its input ended: what the sinks had
    /// not committed is lost, and the oracle tolerates the loss. (A job stopped with
    /// a savepoint is checked exactly against the input its savepoint covers.)
    pub fn lost_uncommitted(self) -> bool {
        matches!(self, JobStatus::Failed | JobStatus::Canceled)
    }

    /// The user cancelled or stopped the job.
    pub fn ended_by_user(self) -> bool {
        matches!(self, JobStatus::Canceled | JobStatus::Finished)
    }
}

/// Faults, failures and restarts of a run.
#[derive(Debug, Default)]
pub struct RecoveryState {
    pub status: JobStatus,
    /// Every fault that struck, in time order.
    pub faults: Vec<FaultRecord>,
    pub recoveries: Vec<RecoveryRecord>,
    pub(super) attempt: u32,
    tracker: Option<RestartTracker>,
    taskmanager_down: Vec<bool>,
    jobmanager_down: bool,
    /// The restart delay has passed (or the standby JobManager took over).
    pub(super) restart_due: bool,
    /// Network partitions: (TaskManager, TaskManager, window).
    partitions: Vec<(u32, u32, Window)>,
    /// Latency spikes: `value` nanoseconds added to every link.
    latency_spikes: Vec<Window>,
    /// The furthest offset each source partition was read to, over all attempts.
    read_high: BTreeMap<(usize, u32), u64>,
    /// What the current attempt restores: a checkpoint per subtask.
    restoring: Option<RecoveryLine>,
    /// Subtask stalls that struck, by subtask and end (a region restart keeps them).
    stalls: Vec<(usize, Nanos)>,
}

impl RecoveryState {
    /// Whether any network fault is scheduled: the send path looks no further when not.
    pub(super) fn has_network_faults(&self) -> bool {
        !self.partitions.is_empty() || !self.latency_spikes.is_empty()
    }

    /// Latency the spikes active at `now` add to every message.
    fn extra_latency(&self, now: Nanos) -> Nanos {
        self.latency_spikes
            .iter()
            .filter(|w| w.covers(now))
            .map(|w| w.value)
            .sum()
    }

    /// Until when the stalls that struck `st` hold it, from `now` (`now` if none does).
    pub(super) fn stall_until(&self, st: usize, now: Nanos) -> Nanos {
        self.stalls
            .iter()
            .filter(|(s, _)| *s == st)
            .map(|(_, until)| *until)
            .fold(now, Nanos::max)
    }

    /// The furthest offset of a source partition read by an earlier attempt.
    pub fn furthest_read(&self, op: usize, partition: u32) -> u64 {
        self.read_high.get(&(op, partition)).copied().unwrap_or(0)
    }
}

impl World {
    /// Puts every scheduled fault on the queue and installs the windows of those
    /// that only degrade a component.
    pub(super) fn schedule_faults(&mut self) {
        let tms = self.taskmanagers.len();
        let r = &mut self.recovery;
        r.tracker = Some(RestartTracker::new(self.scenario.restart_strategy.clone()));
        r.taskmanager_down = vec![false; tms];
        for (i, fault) in self.scenario.faults.iter().enumerate() {
            self.queue.push(fault.at_ns, Event::Fault(i));
            let window = |value: u64, d: Nanos| Window {
                start: fault.at_ns,
                end: fault.at_ns.saturating_add(d),
                value,
            };
            match fault.kind {
                FaultKind::NetworkPartition { a, b, duration_ns } => {
                    self.recovery.partitions.push((a, b, window(0, duration_ns)));
                }
                FaultKind::LatencySpike { extra_ns, duration_ns } => {
                    self.recovery.latency_spikes.push(window(extra_ns, duration_ns));
                }
                FaultKind::SlowLink {
                    taskmanager,
                    factor,
                    duration_ns,
                } => {
                    let w = window(u64::from(factor), duration_ns);
                    self.taskmanagers[taskmanager as usize].link.slow.push(w);
                }
                FaultKind::DiskFull {
                    taskmanager,
                    duration_ns,
                } => {
                    let w = window(1, duration_ns);
                    self.taskmanagers[taskmanager as usize].disk.full.push(w);
                }
                FaultKind::SlowDisk {
                    taskmanager,
                    factor,
                    duration_ns,
                } => {
                    let w = window(u64::from(factor), duration_ns);
                    self.taskmanagers[taskmanager as usize].disk.slow.push(w);
                }
                FaultKind::StorageOutage { duration_ns, hang } => {
                    self.storage.outages.push(window(u64::from(hang), duration_ns));
                }
                FaultKind::SlowStorage { factor, duration_ns } => {
                    self.storage.slow.push(window(u64::from(factor), duration_ns));
                }
                _ => {}
            }
        }
    }

    /// When an item sent now from TaskManager `from` to `to` may arrive at the
    /// earliest, and the latency it pays: partitions hold it, spikes slow it.
    pub(super) fn network_conditions(&self, from: usize, to: usize, now: Nanos) -> (Nanos, Nanos) {
        let r = &self.recovery;
        let held_until = r
            .partitions
            .iter()
            .filter(|(a, b, w)| {
                let (a, b) = (*a as usize, *b as usize);
                ((a, b) == (from, to) || (a, b) == (to, from)) && w.covers(now)
            })
            .map(|(_, _, w)| w.end)
            .max()
            .unwrap_or(0);
        (held_until, self.scenario.network.latency_ns + r.extra_latency(now))
    }

    /// The latency of a message between TaskManagers (or to the JobManager) now.
    pub(super) fn message_latency(&self) -> Nanos {
        let now = self.now;
        self.scenario.network.latency_ns + self.recovery.extra_latency(now)
    }

    pub(super) fn fault_strikes(&mut self, index: usize) {
        let now = self.now;
        let fault = self.scenario.faults[index].clone();
        let target = self.fault_target(&fault.kind);
        let until_ns = fault.kind.duration_ns().map(|d| now.saturating_add(d));
        let mut phases = self.checkpoint_phases_now();
        if self.recovery.status == JobStatus::Restarting || self.region_restart.is_some() {
            phases.push(CheckpointPhase::Restore);
        }
        let phases = phases.into_iter().map(|p| p.name().to_string()).collect();
        self.recovery.faults.push(FaultRecord {
            at_ns: now,
            until_ns,
            kind: fault.kind.name().to_string(),
            target: target.clone(),
            fails_tasks: fault.kind.fails_tasks(),
            phases,
        });
        match fault.kind {
            FaultKind::TaskmanagerCrash {
                taskmanager,
                restart_after_ns,
            } => {
                self.recovery.taskmanager_down[taskmanager as usize] = true;
                self.lose_local_state(taskmanager as usize);
                self.queue
                    .push(now + restart_after_ns, Event::TaskManagerBack(taskmanager));
                let failed: Vec<usize> = (0..self.subtasks.len())
                    .filter(|&st| self.subtasks[st].tm == taskmanager as usize)
                    .collect();
                if !failed.is_empty() {
                    self.fail_subtasks(format!("{target} crashed"), &failed);
                }
            }
            FaultKind::ConnectionLoss { a, b } => {
                let (a, b) = (a as usize, b as usize);
                let mut failed: Vec<usize> = self
                    .channels
                    .iter()
                    .filter(|c| {
                        let (p, q) = (self.subtasks[c.producer].tm, self.subtasks[c.consumer].tm);
                        (p, q) == (a, b) || (p, q) == (b, a)
                    })
                    .flat_map(|c| [c.producer, c.consumer])
                    .collect();
                failed.sort_unstable();
                failed.dedup();
                if !failed.is_empty() {
                    self.fail_subtasks(format!("connection lost between {target}"), &failed);
                }
            }
            FaultKind::JobmanagerCrash { failover_after_ns } => {
                self.recovery.jobmanager_down = true;
                self.queue.push(now + failover_after_ns, Event::JobManagerBack);
                // The TaskManagers lose their leader and cancel the job's tasks; the
                // standby recovers the job from the checkpoints in storage.
                self.fail_tasks("the JobManager crashed".to_string());
            }
            FaultKind::SubtaskStall {
                operator,
                subtask,
                duration_ns,
            } => {
                let st = self
                    .subtasks
                    .iter()
                    .position(|s| s.op == operator && s.index == subtask)
                    .expect("validated subtask");
                let until = now + duration_ns;
                self.recovery.stalls.push((st, until));
                let s = &mut self.subtasks[st];
                s.stalled_until = s.stalled_until.max(until);
                self.queue.push(until, Event::StallEnd(st));
            }
            _ => {}
        }
    }

    fn fault_target(&self, kind: &FaultKind) -> String {
        match *kind {
            FaultKind::TaskmanagerCrash { taskmanager, .. }
            | FaultKind::SlowLink { taskmanager, .. }
            | FaultKind::DiskFull { taskmanager, .. }
            | FaultKind::SlowDisk { taskmanager, .. } => format!("TaskManager {taskmanager}"),
            FaultKind::ConnectionLoss { a, b } | FaultKind::NetworkPartition { a, b, .. } => {
                format!("TaskManagers {a} and {b}")
            }
            FaultKind::LatencySpike { .. } => "every link".to_string(),
            FaultKind::StorageOutage { .. } | FaultKind::SlowStorage { .. } => "checkpoint storage".to_string(),
            FaultKind::JobmanagerCrash { .. } => "the JobManager".to_string(),
            FaultKind::SubtaskStall { operator, subtask, .. } => {
                format!("{}[{subtask}]", self.scenario.operators[operator].name)
            }
        }
    }

    /// Tasks failed: cancel them all and restart as the restart strategy says.
    pub(super) fn fail_tasks(&mut self, cause: String) {
        let now = self.now;
        if self.recovery.status != JobStatus::Running || self.unfinished == 0 {
            return;
        }
        self.recovery.status = JobStatus::Restarting;
        let attempt = self.begin_recovery(RecoveryRecord {
            cause,
            ..RecoveryRecord::default()
        });
        self.note_furthest_reads(&(0..self.subtasks.len()).collect::<Vec<_>>());
        if self.ckpt.is_some() {
            // Pending checkpoints cannot complete: their tasks are gone.
            let rt = self.runtime();
            rt.coordinator.set_tasks_running(now, false);
            rt.coordinator
                .abort_pending_checkpoints(now, CheckpointFailureReason::JobFailoverRegion);
            rt.coordinator.stop_scheduler(now);
            self.drain_coordinator();
        }
        self.tear_down_tasks();
        if self.recovery.jobmanager_down {
            // The standby JobManager restarts the job when it takes over.
            return;
        }
        match self.restart_delay(now) {
            Some(delay) => self.queue.push(now + delay, Event::Restart(attempt)),
            None => self.fail_job(),
        }
    }

    /// A new restart attempt starts now: `record` (its cause, what it restarts) is
    /// the run's next recovery. Returns the attempt.
    pub(super) fn begin_recovery(&mut self, record: RecoveryRecord) -> u32 {
        self.recovery.attempt += 1;
        let attempt = self.recovery.attempt;
        self.recovery.recoveries.push(RecoveryRecord {
            failed_at_ns: self.now,
            attempt,
            ..record
        });
        attempt
    }

    /// The restart strategy's delay for a failure now; `None` when it gives up.
    pub(super) fn restart_delay(&mut self, now: Nanos) -> Option<Nanos> {
        let decision = self
            .recovery
            .tracker
            .as_mut()
            .map_or(RestartDecision::FailJob, |t| t.on_failure(now));
        match decision {
            RestartDecision::RestartAfter(delay) => Some(delay),
            RestartDecision::FailJob => None,
        }
    }

    /// Remembers how far the sources among `subtasks` had read, before they rewind.
    pub(super) fn note_furthest_reads(&mut self, subtasks: &[usize]) {
        for &st in subtasks {
            let s = &self.subtasks[st];
            if let Some(reader) = &s.source {
                for p in &reader.partitions {
                    let high = self.recovery.read_high.entry((s.op, p.partition)).or_default();
                    *high = (*high).max(p.next_offset);
                }
            }
        }
    }

    /// The restart strategy gave up: the job is FAILED and nothing runs any more.
    pub(super) fn fail_job(&mut self) {
        self.end_job(JobTermination::Failed);
    }

    /// Cancels every task: their in-flight work is dropped and a fresh deployment
    /// waits. What lives outside the tasks stays: the sinks' external system (its
    /// committed output and pre-committed transactions), metrics, checkpoint storage.
    pub(super) fn tear_down_tasks(&mut self) {
        // Every task restarts: a region restart under way is part of it.
        self.region_restart = None;
        self.close_backpressure();
        self.queue.retain(|e| e.survives_failover());
        let (mut subtasks, channels, gates) = build_tasks(&self.scenario);
        for (new, old) in subtasks.iter_mut().zip(self.subtasks.iter_mut()) {
            new.metrics = std::mem::take(&mut old.metrics);
            if matches!(old.logic, OperatorLogic::Sink { .. }) {
                std::mem::swap(&mut new.logic, &mut old.logic);
            }
        }
        self.subtasks = subtasks;
        self.channels = channels;
        self.gates = gates;
        self.open = open_buffers(&self.channels);
        self.wake.clear();
        self.full_buffers.clear();
        self.unfinished = self.subtasks.len();
        let cores = self.scenario.cluster.cpu_cores_per_taskmanager;
        for i in 0..self.taskmanagers.len() {
            // Snapshot files being written went with the processes; local state
            // copies (local recovery) stay on the disk.
            let kept = self.local_state_bytes_on(i);
            let tm = &mut self.taskmanagers[i];
            tm.cpu.free_cores = cores;
            tm.cpu.run_queue.clear();
            tm.disk.used = kept;
        }
        self.install_subtask_protocols();
        if let Some(rt) = self.ckpt.as_mut() {
            rt.progress.clear();
            // Uploads under way are lost with the tasks: they never become files.
            rt.uploads.clear();
        }
    }

    pub(super) fn taskmanager_back(&mut self, tm: u32) {
        if let Some(down) = self.recovery.taskmanager_down.get_mut(tm as usize) {
            *down = false;
        }
        self.try_deploy();
        self.try_deploy_regions();
    }

    pub(super) fn jobmanager_back(&mut self) {
        self.recovery.jobmanager_down = false;
        if self.recovery.status == JobStatus::Restarting {
            self.recovery.restart_due = true;
        }
        self.try_deploy();
        self.try_deploy_regions();
    }

    pub(super) fn restart_due(&mut self, attempt: u32) {
        if attempt == self.recovery.attempt && self.recovery.status == JobStatus::Restarting {
            self.recovery.restart_due = true;
            self.try_deploy();
        }
    }

    /// Deploys the tasks once the restart is due and every TaskManager hosting them
    /// and the JobManager are up; Flink waits for the slots the same way.
    pub(super) fn try_deploy(&mut self) {
        let r = &self.recovery;
        let ready = r.status == JobStatus::Restarting && r.restart_due && self.resources_up();
        if !ready {
            return;
        }
        self.recovery.restart_due = false;
        let (line, running_at) = self.deploy_restoring(None);
        self.recovery.restoring = line;
        self.queue.push(running_at, Event::Running(self.recovery.attempt));
    }

    /// Deploys the tasks of `subtasks` (of every subtask with `None`) anew, each then
    /// reading its state back from checkpoint storage, or from its local copy with
    /// local recovery. Returns what they restore — the coordinator's recovery line,
    /// cut to them — and when they all run again; notes it in the latest recovery.
    pub(super) fn deploy_restoring(&mut self, subtasks: Option<&[usize]>) -> (Option<RecoveryLine>, Nanos) {
        let now = self.now;
        let mut line = self.ckpt.as_mut().and_then(|rt| rt.coordinator.recovery_line(now));
        if let (Some(line), Some(only)) = (line.as_mut(), subtasks) {
            // The other subtasks keep their state.
            for (st, checkpoint) in line.checkpoints.iter_mut().enumerate() {
                if !only.contains(&st) {
                    *checkpoint = None;
                }
            }
        }
        if self.ckpt.is_some() {
            // The coordinator may discard what the line leaves behind.
            self.drain_coordinator();
        }
        let deployed_at = now + self.scenario.cluster.deployment_ns;
        let local_recovery = self.ckpt.as_ref().is_some_and(|rt| rt.local.is_some());
        if let Some(r) = self.recovery.recoveries.last_mut() {
            r.restored_checkpoint = line.as_ref().and_then(|l| match subtasks {
                None => l.common_checkpoint(),
                Some(_) => l.checkpoints.iter().flatten().copied().max(),
            });
            r.restored_from = local_recovery.then(RestoredFrom::default);
        }
        let running_at = match &line {
            Some(line) => {
                let at = self.read_restored_state(line, deployed_at);
                self.prune_local_state_for(&line.checkpoints);
                at
            }
            None => deployed_at,
        };
        (line, running_at)
    }

    /// The subtasks of `line` read their state back from `deployed_at` on; returns
    /// when the last is done (and has applied its changelog again), and notes what
    /// was restored in the latest recovery.
    pub(super) fn read_restored_state(&mut self, line: &RecoveryLine, deployed_at: Nanos) -> Nanos {
        let mut running_at = deployed_at;
        let local_recovery = self.ckpt.as_ref().is_some_and(|rt| rt.local.is_some());
        let (reads, from) = self.restore_reads(line);
        for read in reads {
            let done = match read.from {
                ReadFrom::Storage => self.storage.get(deployed_at, read.bytes),
                ReadFrom::LocalDisk(tm) => self.taskmanagers[tm].disk.read(deployed_at, read.bytes),
            };
            // Then the changelog since the materialization is applied again.
            running_at = running_at.max(done + read.replay_ns);
        }
        if let Some(r) = self.recovery.recoveries.last_mut() {
            r.restored_from = local_recovery.then_some(from);
        }
        running_at
    }

    /// Whether the JobManager and every TaskManager hosting a subtask are up.
    fn resources_up(&self) -> bool {
        let all: Vec<usize> = (0..self.subtasks.len()).collect();
        self.resources_up_for(&all)
    }

    /// Whether the JobManager and every TaskManager hosting one of `subtasks` are up.
    pub(super) fn resources_up_for(&self, subtasks: &[usize]) -> bool {
        let r = &self.recovery;
        !r.jobmanager_down && subtasks.iter().all(|&st| !r.taskmanager_down[self.subtasks[st].tm])
    }

    /// The restored state is in place: install it and run.
    pub(super) fn restored(&mut self, attempt: u32) {
        let now = self.now;
        if attempt != self.recovery.attempt || self.recovery.status != JobStatus::Restarting {
            return;
        }
        if !self.resources_up() {
            // A TaskManager or the JobManager died while the state was downloading:
            // deploy again once they are back.
            self.recovery.restart_due = true;
            return;
        }
        let line = self.recovery.restoring.clone();
        let n = self.subtasks.len();
        if self.ckpt.is_some() {
            // Every TaskManager's file-merging manager starts anew.
            self.state_storage().close_merged_files();
        }
        let all: Vec<usize> = (0..n).collect();
        let reprocessed = self.put_back(&all, line.as_ref());
        let restored_line = line.map_or_else(|| vec![None; n], |l| l.checkpoints);
        self.replay_logs(&restored_line);
        // Fresh protocol roles, their clocks starting now that the tasks run again.
        self.new_subtask_roles();
        self.arm_protocol_timers();
        self.recovery.status = JobStatus::Running;
        if let Some(r) = self.recovery.recoveries.last_mut() {
            r.running_at_ns = Some(now);
            r.reprocessed_records = reprocessed;
        }
        if self.ckpt.is_some() {
            let n = self.subtasks.len();
            let rt = self.runtime();
            rt.coordinator.tasks_restarted(n);
            rt.coordinator.set_tasks_running(now, true);
            rt.coordinator.start_scheduler(now);
            self.drain_coordinator();
        }
    }

    /// Puts `line` back in `subtasks`, whose tasks run again: each one's state, offsets
    /// and transactions, the channel state between them, their state files and
    /// changelogs. Returns the source records they will read again.
    pub(super) fn put_back(&mut self, subtasks: &[usize], line: Option<&RecoveryLine>) -> u64 {
        let mut reprocessed = 0;
        for &st in subtasks {
            reprocessed += self.restore_subtask(st, line);
        }
        if let Some(line) = line
            && !self.flaw(Flaw::ChannelStateNotRestored)
        {
            self.replay_channel_state(line);
        }
        if self.ckpt.is_some() {
            let n = self.subtasks.len();
            let restored_line = line.map_or_else(|| vec![None; n], |l| l.checkpoints.clone());
            let forst = self.scenario.checkpointing.forst().is_some();
            for &st in subtasks {
                self.state_storage().restored_subtask(st, restored_line[st], forst);
            }
            self.changelog_restored(&restored_line, subtasks);
        }
        reprocessed
    }

    /// Puts `st`'s part of `line` back: its keyed state and windows, its sink's
    /// transactions (pre-committed ones up to the restored checkpoint committed, the
    /// rest aborted), its sources' offsets (rewound). Returns the source records it
    /// will read again.
    pub(super) fn restore_subtask(&mut self, st: usize, line: Option<&RecoveryLine>) -> u64 {
        let now = self.now;
        let rewind = !self.flaw(Flaw::SourcesNotRewound);
        let commit_open = self.flaw(Flaw::SinkCommitsOpenTransaction);
        let mut reprocessed = 0;
        let restored = line.and_then(|l| l.checkpoints[st]);
        let snapshot = restored.and_then(|id| self.ckpt.as_ref().and_then(|rt| rt.snapshots.get(&id)));
        let saved = snapshot.and_then(|c| c.subtasks[st].clone());
        // A source without a snapshot in a checkpoint had finished before it
        // (FLIP-147): it stays finished, its partitions read to the end.
        let finished_before = snapshot.is_some() && saved.is_none();
        let s = &mut self.subtasks[st];
        let offsets = saved.as_ref().map(|x| x.offsets.clone()).unwrap_or_default();
        if let Some(saved) = saved {
            s.logic.restore_state(saved.state);
        }
        s.logic.recover_transactions(restored, commit_open);
        for end in s.logic.window_ends() {
            self.queue.push(end.max(now), Event::Timer(st));
        }
        let op = s.op;
        if let Some(reader) = s.source.as_mut() {
            for p in &mut reader.partitions {
                let high = self.recovery.read_high.get(&(op, p.partition)).copied().unwrap_or(0);
                let unread = if finished_before { p.end_offset() } else { 0 };
                let from = offsets
                    .iter()
                    .find(|(q, _)| *q == p.partition)
                    .map_or(unread, |(_, o)| *o);
                let from = if rewind { from } else { high };
                reprocessed += high.saturating_sub(from);
                p.seek(from);
            }
            self.wake.push(st);
        }
        reprocessed
    }

    /// What each subtask reads back to restore `line`, and from where: its state
    /// (from its local copy of the restored checkpoint when it has one, the rest from
    /// checkpoint storage), and the channel state replayed into it (from storage).
    fn restore_reads(&self, line: &RecoveryLine) -> (Vec<RestoreRead>, RestoredFrom) {
        let mut reads = Vec::new();
        let mut from = RestoredFrom::default();
        let Some(rt) = self.ckpt.as_ref() else {
            return (reads, from);
        };
        let remote = |bytes| RestoreRead {
            bytes,
            from: ReadFrom::Storage,
            replay_ns: 0,
        };
        for (st, restored) in line.checkpoints.iter().enumerate() {
            if let Some(id) = restored
                && let Some(saved) = rt.snapshots.get(id).and_then(|snapshot| snapshot.subtasks[st].as_ref())
            {
                if rt.files.in_place(*id) {
                    // ForSt opens the files where they are: one request for their
                    // metadata, the state is read lazily as records need it.
                    reads.push(remote(0));
                    continue;
                }
                // Exactly the files the checkpoint refers to.
                let bytes = rt.files.restore_bytes(*id, st).unwrap_or(saved.state_bytes);
                match self.local_copy(st, *id) {
                    Some((copy, tm)) => {
                        from.local_bytes += copy;
                        from.local_subtasks += 1;
                        reads.push(RestoreRead {
                            bytes: copy,
                            from: ReadFrom::LocalDisk(tm),
                            replay_ns: 0,
                        });
                        // Operator state is not in the copy.
                        let rest = bytes.saturating_sub(copy);
                        if rest > 0 {
                            reads.push(remote(rest));
                        }
                    }
                    None => {
                        let keyed = self.scenario.operators[self.subtasks[st].op].logic.is_keyed();
                        if keyed && rt.local.is_some() {
                            from.remote_subtasks += 1;
                        }
                        reads.push(RestoreRead {
                            replay_ns: self.changelog_replay_ns(*id, st),
                            ..remote(bytes)
                        });
                    }
                }
            }
        }
        for (ch, [input, output]) in self.channel_state_of(line) {
            reads.push(remote(
                (input.len() + output.len()) as u64 * self.channels[ch].record_size,
            ));
        }
        from.remote_bytes = reads
            .iter()
            .filter(|r| r.from == ReadFrom::Storage)
            .map(|r| r.bytes)
            .sum();
        (reads, from)
    }

    /// The channel state `line` restores, by channel, as persisted at the consumer's
    /// input and at the producer's output: a channel's state belongs to the checkpoint
    /// both of its ends restore.
    fn channel_state_of(&self, line: &RecoveryLine) -> Vec<(ChannelId, [Vec<Record>; 2])> {
        let Some(rt) = self.ckpt.as_ref() else {
            return Vec::new();
        };
        let mut state = Vec::new();
        let mut restored: Vec<CheckpointId> = line.checkpoints.iter().flatten().copied().collect();
        restored.sort_unstable();
        restored.dedup();
        for id in restored {
            let Some(snapshot) = rt.snapshots.get(&id) else {
                continue;
            };
            for (&ch, (input, output)) in &snapshot.channels {
                let c = &self.channels[ch];
                if line.checkpoints[c.consumer] == Some(id) && line.checkpoints[c.producer] == Some(id) {
                    state.push((ch, [input.clone(), output.clone()]));
                }
            }
        }
        state
    }

    /// Queues the channel state `line` restores at each consumer, buffer by buffer,
    /// ahead of any new input.
    pub(super) fn replay_channel_state(&mut self, line: &RecoveryLine) {
        for (ch, [input, output]) in self.channel_state_of(line) {
            let consumer = self.channels[ch].consumer;
            let capacity = self.channels[ch].capacity;
            for chunk in input.chunks(capacity).chain(output.chunks(capacity)) {
                self.subtasks[consumer].recovered.push_back((ch, chunk.to_vec()));
            }
            self.wake.push(consumer);
        }
    }
}
