//! Checkpoints in the simulated world: the model drives the protocol's state
//! machines (the coordinator and every subtask's barrier handler) and turns their
//! actions into timed work: barriers on channels, snapshot CPU time, disk writes,
//! uploads to checkpoint storage, acknowledgements over the network.
//!
//! A subtask's part of a checkpoint, from the coordinator's trigger to its
//! acknowledgement arriving back, is cut into consecutive phases that add up to its
//! end-to-end duration exactly:
//!
//! ```text
//! start delay   trigger → first barrier taken by the subtask (source: the trigger RPC)
//! alignment     first barrier → snapshot decided (last barrier, or the switch to unaligned)
//! snapshot wait snapshot decided → sync phase starts (a batch in progress, a busy core)
//! sync          the synchronous phase: CPU time, per state entry copied or flushed
//! async         local disk write, upload to checkpoint storage, channel state upload
//! ack transit   acknowledgement travelling to the coordinator
//! ```

use super::logging::{LineViolation, MessageLogs};
use super::state_storage::StateStorage;
use super::{Event, Item, World};
use crate::fault::Flaw;
use crate::model::channel::ChannelId;
use crate::model::local_state::TaskLocalStateStore;
use crate::model::operator::StateSnapshot;
use crate::model::record::Record;
use crate::model::taskmanager::DiskWrite;
use crate::protocol::coordinator::{CoordinatorAction, JobTermination, SubtaskAck};
use crate::protocol::interface::{
    ChannelCounts, CoordinatorProtocol, JobContext, LocalSnapshotCause, SharedProtocol, SnapshotTrigger,
    SubtaskAction as Action, SubtaskContext,
};
use crate::protocol::{Barrier, CheckpointFailureReason, CheckpointId, SnapshotKind};
use crate::scenario::OperatorLogicSpec;
use crate::sim::Nanos;
use crate::stats::faults::CheckpointPhase;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One subtask's part of one checkpoint, phase by phase; the phases sum to `end_to_end_ns`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SubtaskBreakdown {
    pub checkpoint_id: CheckpointId,
    pub subtask: usize,
    pub operator: usize,
    pub index: u32,
    pub trigger_timestamp: Nanos,
    pub ack_timestamp: Nanos,
    #[serde(rename = "end_to_end_duration_ns")]
    pub end_to_end_ns: Nanos,
    pub start_delay_ns: Nanos,
    /// Blocking alignment: first barrier to the snapshot decision.
    #[serde(rename = "alignment_duration_ns")]
    pub alignment_ns: Nanos,
    pub snapshot_wait_ns: Nanos,
    #[serde(rename = "sync_duration_ns")]
    pub sync_ns: Nanos,
    #[serde(rename = "async_duration_ns")]
    pub async_ns: Nanos,
    pub ack_transit_ns: Nanos,
    /// Flink's alignment duration: for an unaligned checkpoint, until the last
    /// barrier arrived (overlapping the other phases, so not part of the sum).
    #[serde(rename = "flink_alignment_duration_ns")]
    pub reported_alignment_ns: Nanos,
    #[serde(rename = "unaligned_checkpoint")]
    pub unaligned: bool,
    pub state_size: u64,
    pub checkpointed_size: u64,
    /// Bytes processed during alignment.
    pub processed_data: u64,
    /// In-flight bytes persisted as channel state (unaligned checkpoints).
    pub persisted_data: u64,
}

impl SubtaskBreakdown {
    /// The named phases, in order.
    pub fn phases(&self) -> [(&'static str, Nanos); 6] {
        [
            ("start delay", self.start_delay_ns),
            ("alignment", self.alignment_ns),
            ("snapshot wait", self.snapshot_wait_ns),
            ("sync", self.sync_ns),
            ("async", self.async_ns),
            ("ack transit", self.ack_transit_ns),
        ]
    }
}

/// Where one subtask stands in one checkpoint.
#[derive(Clone, Debug, Default)]
pub(super) struct Progress {
    first_barrier_at: Option<Nanos>,
    decided_at: Option<Nanos>,
    unaligned: bool,
    reported_alignment: Nanos,
    sync_started: Option<Nanos>,
    sync_done: Option<Nanos>,
    state_uploaded: Option<Nanos>,
    all_barriers_at: Option<Nanos>,
    channel_upload_started: bool,
    channel_uploaded: Option<Nanos>,
    /// An aligned snapshot whose forwarded barrier may still be prioritized in the output
    /// backlogs: its part is complete once the barrier has left them all.
    awaits_output_barrier: bool,
    ack_sent: Option<Nanos>,
    state_size: u64,
    checkpointed_size: u64,
    processed: u64,
    persisted: u64,
    decline: Option<CheckpointFailureReason>,
    /// How far every channel had got at the snapshot (protocols without barriers).
    channels: ChannelCounts,
    /// Local RocksDB files the snapshot uploads (local id, bytes), and the bytes of
    /// state outside them, uploaded in full.
    sst_uploads: Vec<(u64, u64)>,
    private_bytes: u64,
    pub(super) incremental: bool,
    /// The keyed part of `state_size` (what a local state copy holds) and whether the
    /// snapshot is a savepoint (which leaves no local copy).
    pub(super) keyed_bytes: u64,
    pub(super) savepoint: bool,
    /// The changes a changelog snapshot uploads (`state.changelog.enabled`).
    changelog: Option<super::changelog::ChangelogPart>,
    /// The snapshot is on the local disk, not yet uploaded (its bytes take space there).
    pub(super) on_disk: bool,
}

/// What one subtask's snapshot holds: its operator state and, for a source, the
/// offset of every partition it reads (the next record to read).
#[derive(Clone, Debug)]
pub struct SubtaskSnapshot {
    pub state: StateSnapshot,
    pub offsets: Vec<(u32, u64)>,
    /// Bytes of state downloaded again on restore.
    pub state_bytes: u64,
    /// How far every channel of the subtask had got (protocols without barriers).
    pub channels: ChannelCounts,
}

/// The content of one checkpoint: what a restore puts back.
#[derive(Clone, Debug, Default)]
pub struct CheckpointSnapshot {
    /// By subtask; `None` until the subtask has taken its snapshot.
    pub subtasks: Vec<Option<SubtaskSnapshot>>,
    /// Channel state of an unaligned checkpoint, by channel: the records persisted at
    /// the consumer's input, then those persisted from the producer's output backlog
    /// (later in the channel's order).
    pub channels: BTreeMap<ChannelId, (Vec<Record>, Vec<Record>)>,
    /// When the coordinator completed it.
    pub completed_at: Option<Nanos>,
}

impl CheckpointSnapshot {
    /// Every channel's persisted records, in channel order, each channel's input
    /// part before its output part.
    pub fn channel_records(&self) -> impl Iterator<Item = (ChannelId, &Record)> {
        self.channels
            .iter()
            .flat_map(|(ch, (input, output))| input.iter().chain(output).map(move |r| (*ch, r)))
    }
}

/// Where persisted records go in a channel's state.
enum Persisted {
    /// After what the consumer's input already persisted.
    Input,
    /// Ahead of it: input taken off the channel before anything still queued.
    InputAhead,
    /// From the producer's output backlog.
    Output,
}

/// The checkpointing side of a world: the coordinator and per-checkpoint bookkeeping.
pub struct CheckpointRuntime {
    /// The protocol the job checkpoints with; builds fresh subtask roles on a restart.
    protocol: SharedProtocol,
    pub coordinator: Box<dyn CoordinatorProtocol>,
    barriers: BTreeMap<CheckpointId, Barrier>,
    pub(super) progress: BTreeMap<CheckpointId, Vec<Progress>>,
    /// Acknowledged subtask parts, in acknowledgement order.
    pub breakdowns: Vec<SubtaskBreakdown>,
    /// The files checkpoints keep in checkpoint storage.
    pub files: StateStorage,
    /// Each keyed subtask's changelog, with `state.changelog.enabled`.
    pub changelog: Option<super::changelog::ChangelogStore>,
    /// Each subtask's local state copies, with local recovery on.
    pub local: Option<Vec<TaskLocalStateStore>>,
    /// Uploads under way: (checkpoint, subtask, channel state?) → bytes.
    pub(super) uploads: BTreeMap<(CheckpointId, usize, bool), u64>,
    /// Checkpoints that failed: subtasks skip their barriers (forwarding a
    /// cancellation instead, as Flink's subtask checkpoint coordinator does) and
    /// drop their uploads.
    aborted: BTreeSet<CheckpointId>,
    /// Checkpoints whose metadata is being written.
    finalizing: BTreeSet<CheckpointId>,
    pub(super) timer_at: Option<Nanos>,
    /// Periodic triggers the coordinator dropped, and why.
    pub dropped_triggers: Vec<(Nanos, CheckpointFailureReason)>,
    /// The coordinator asked for a failover (too many failed checkpoints).
    pub failover_requests: Vec<(Nanos, CheckpointId, CheckpointFailureReason)>,
    /// Snapshot contents of pending and completed checkpoints (failed ones are dropped).
    pub snapshots: BTreeMap<CheckpointId, CheckpointSnapshot>,
    /// Channel counts and message logs, for protocols that checkpoint without barriers.
    pub logs: Option<MessageLogs>,
    /// The recovery line as the coordinator advanced it, by subtask (protocols
    /// without barriers), and every line it passed through, for the oracle.
    pub line: Vec<Option<CheckpointId>>,
    pub lines: Vec<LineRecord>,
    /// The oracle's check of each line as it is reached (`None` until the first line,
    /// and when the job has no aggregate it can check).
    pub line_checker: Option<crate::check::cut::LineChecker>,
    line_checker_built: bool,
    /// Recovery lines that could not be restored exactly.
    pub line_violations: Vec<LineViolation>,
    /// Snapshots subtasks took on their own: on their timer, and forced.
    pub timer_snapshots: u64,
    pub forced_snapshots: u64,
    /// Bytes of control information piggybacked on data buffers.
    pub piggyback_bytes: u64,
}

/// A recovery line the coordinator reached: a checkpoint per subtask.
#[derive(Clone, Debug)]
pub struct LineRecord {
    pub at: Nanos,
    pub checkpoints: Vec<Option<CheckpointId>>,
}

impl World {
    /// Sets up checkpointing if the scenario asks for it.
    pub(super) fn start_checkpointing(&mut self) {
        let spec = self.scenario.checkpointing.clone();
        if !spec.enabled() {
            return;
        }
        let protocol = self.scenario.protocol();
        let job = JobContext {
            num_subtasks: self.subtasks.len(),
            sources: (0..self.subtasks.len())
                .filter(|&st| self.subtasks[st].source.is_some())
                .collect(),
            channels: self.channels.iter().map(|c| (c.producer, c.consumer)).collect(),
        };
        let coordinator = match protocol.coordinator(&job) {
            Ok(c) => c,
            Err(e) => panic!("validated checkpoint configuration rejected: {e}"),
        };
        self.ckpt = Some(CheckpointRuntime {
            protocol,
            coordinator,
            barriers: BTreeMap::new(),
            progress: BTreeMap::new(),
            breakdowns: Vec::new(),
            files: StateStorage::new(self.subtasks.len(), self.scenario.checkpointing.file_merging),
            changelog: spec
                .changelog
                .map(|c| super::changelog::ChangelogStore::new(c, self.subtasks.len())),
            local: self
                .scenario
                .checkpointing
                .local_recovery
                .then(|| vec![TaskLocalStateStore::default(); self.subtasks.len()]),
            uploads: BTreeMap::new(),
            aborted: BTreeSet::new(),
            finalizing: BTreeSet::new(),
            timer_at: None,
            dropped_triggers: Vec::new(),
            failover_requests: Vec::new(),
            snapshots: BTreeMap::new(),
            logs: None,
            line: vec![None; self.subtasks.len()],
            lines: Vec::new(),
            line_checker: None,
            line_checker_built: false,
            line_violations: Vec::new(),
            timer_snapshots: 0,
            forced_snapshots: 0,
            piggyback_bytes: 0,
        });
        self.install_subtask_protocols();
        if self.runtime().protocol.counts_channels() {
            let logging: Vec<(bool, u64)> = self
                .channels
                .iter()
                .map(|c| {
                    let logs = self.subtasks[c.producer]
                        .protocol
                        .as_ref()
                        .is_some_and(|p| p.logs_sent_data());
                    (logs, c.record_size)
                })
                .collect();
            self.runtime().logs = Some(MessageLogs::new(logging.into_iter()));
        }
        self.arm_protocol_timers();
        for trigger in &spec.triggers {
            self.queue.push(trigger.at_ns, Event::ManualTrigger(trigger.savepoint));
        }
        let now = self.now;
        let rt = self.ckpt.as_mut().expect("just set");
        if self.scenario.cluster.deployment_ns > 0 {
            // Flink's scheduler starts with the job, before its tasks are deployed.
            rt.coordinator.set_tasks_running(now, false);
        }
        rt.coordinator.start_scheduler(now);
        self.drain_coordinator();
    }

    /// Tells the coordinator whether every task runs (deployed) or not (deploying, failed).
    pub(super) fn checkpointing_tasks_running(&mut self, running: bool) {
        let now = self.now;
        if let Some(rt) = self.ckpt.as_mut() {
            rt.coordinator.set_tasks_running(now, running);
            self.drain_coordinator();
        }
    }

    /// Gives every subtask its role in the checkpoint protocol and makes sinks
    /// transactional.
    pub(super) fn install_subtask_protocols(&mut self) {
        if self.ckpt.is_none() {
            return;
        }
        self.new_subtask_roles();
        let all: Vec<usize> = (0..self.subtasks.len()).collect();
        self.configure_checkpointing_of(&all);
    }

    /// Makes the sinks among `subtasks` transactional and has their keyed state
    /// track changes for incremental snapshots.
    pub(super) fn configure_checkpointing_of(&mut self, subtasks: &[usize]) {
        if self.ckpt.is_none() {
            return;
        }
        let spec = &self.scenario.checkpointing;
        let exactly_once = spec.mode == crate::scenario::checkpointing::Mode::ExactlyOnce;
        let tracks_changes = spec.tracks_changes();
        for &st in subtasks {
            self.subtasks[st]
                .logic
                .configure_checkpointing(tracks_changes, exactly_once);
        }
    }

    /// A fresh protocol role for every subtask, starting now.
    pub(super) fn new_subtask_roles(&mut self) {
        let all: Vec<usize> = (0..self.subtasks.len()).collect();
        self.new_roles_for(&all);
    }

    /// A fresh protocol role for each of `subtasks`, starting now.
    pub(super) fn new_roles_for(&mut self, subtasks: &[usize]) {
        let Some(rt) = self.ckpt.as_ref() else {
            return;
        };
        let protocol = rt.protocol.clone();
        let num_subtasks = self.subtasks.len();
        // Past every id used so far, on a multiple of the subtask count.
        let used = rt.barriers.keys().last().copied().unwrap_or(0);
        let first_checkpoint_id = used.div_ceil(num_subtasks as u64) * num_subtasks as u64 + 1;
        for &st in subtasks {
            let context = SubtaskContext {
                subtask: st,
                num_subtasks,
                input_producers: self.subtasks[st]
                    .inputs
                    .iter()
                    .map(|&ch| self.channels[ch].producer)
                    .collect(),
                output_consumers: self
                    .output_channels(st)
                    .into_iter()
                    .map(|ch| self.channels[ch].consumer)
                    .collect(),
                is_source: self.subtasks[st].source.is_some(),
                started_at: self.now,
                first_checkpoint_id,
            };
            self.subtasks[st].protocol = Some(protocol.subtask(&context));
        }
    }

    /// Arms every subtask role's timer (a protocol that checkpoints on its own clock).
    pub(super) fn arm_protocol_timers(&mut self) {
        for st in 0..self.subtasks.len() {
            self.arm_protocol_timer(st);
        }
    }

    pub(super) fn arm_protocol_timer(&mut self, st: usize) {
        let now = self.now;
        if self.subtasks[st].finished && !self.forwarded_barrier_waiting(st) {
            return;
        }
        let s = &mut self.subtasks[st];
        if let Some(at) = s.protocol.as_ref().and_then(|p| p.poll_timeout())
            && s.barrier_timer_at.is_none_or(|t| at < t)
        {
            s.barrier_timer_at = Some(at);
            self.queue.push(at.max(now), Event::BarrierTimer(st));
        }
    }

    pub(super) fn flaw(&self, flaw: Flaw) -> bool {
        self.scenario.flaw == Some(flaw)
    }

    fn snapshot_of(&mut self, id: CheckpointId) -> &mut CheckpointSnapshot {
        let n = self.subtasks.len();
        self.runtime()
            .snapshots
            .entry(id)
            .or_insert_with(|| CheckpointSnapshot {
                subtasks: vec![None; n],
                ..CheckpointSnapshot::default()
            })
    }

    /// Records of channel `ch` persisted as channel state of checkpoint `id` by
    /// subtask `st` (whose persisted-data figure counts them), where `side` says.
    fn persist_records(&mut self, id: CheckpointId, st: usize, ch: ChannelId, records: Vec<Record>, side: Persisted) {
        self.progress(id, st).persisted += records.len() as u64 * self.channels[ch].record_size;
        let parts = self.snapshot_of(id).channels.entry(ch).or_default();
        match side {
            Persisted::Input => parts.0.extend(records),
            Persisted::InputAhead => {
                parts.0.splice(0..0, records);
            }
            Persisted::Output => parts.1.extend(records),
        }
    }

    pub(super) fn runtime(&mut self) -> &mut CheckpointRuntime {
        self.ckpt.as_mut().expect("checkpointing is on")
    }

    pub(super) fn progress(&mut self, id: CheckpointId, st: usize) -> &mut Progress {
        let n = self.subtasks.len();
        &mut self
            .runtime()
            .progress
            .entry(id)
            .or_insert_with(|| vec![Progress::default(); n])[st]
    }

    /// Data received on a channel being persisted joins the checkpoint's channel state.
    pub(super) fn add_persisted(&mut self, id: CheckpointId, ch: ChannelId, records: &[Record]) {
        if self.ckpt.as_ref().is_some_and(|rt| rt.progress.contains_key(&id)) {
            let st = self.channels[ch].consumer;
            self.persist_records(id, st, ch, records.to_vec(), Persisted::Input);
        }
    }

    fn rpc_latency(&self) -> Nanos {
        self.message_latency()
    }

    pub(super) fn manual_trigger(&mut self, savepoint: bool) {
        let now = self.now;
        let kind = if savepoint {
            SnapshotKind::Savepoint
        } else {
            SnapshotKind::Checkpoint
        };
        self.runtime().coordinator.trigger(now, kind);
        self.drain_coordinator();
    }

    pub(super) fn coordinator_timer(&mut self) {
        let now = self.now;
        let rt = self.runtime();
        rt.timer_at = None;
        rt.coordinator.handle_timeout(now);
        self.drain_coordinator();
    }

    /// Carries out what the coordinator asked for, then arms its next timer.
    pub(super) fn drain_coordinator(&mut self) {
        let now = self.now;
        while let Some(action) = self.runtime().coordinator.poll_action() {
            match action {
                CoordinatorAction::TriggerCheckpoint { barrier, .. } => {
                    let id = barrier.checkpoint_id;
                    if barrier.kind == SnapshotKind::Savepoint {
                        self.stop_savepoint_triggered(id);
                        self.state_storage().savepoint_triggered(id);
                    }
                    self.runtime().barriers.insert(id, barrier);
                    let sources: Vec<usize> = (0..self.subtasks.len())
                        .filter(|&s| self.subtasks[s].source.is_some())
                        .collect();
                    if self.recovery.status != super::JobStatus::Running {
                        // Not all tasks are running (a restart is under way), as Flink declines.
                        let reason = CheckpointFailureReason::CheckpointDeclinedTaskNotReady;
                        self.runtime().coordinator.abort_checkpoint(now, id, reason);
                        continue;
                    }
                    if sources.iter().all(|&s| self.subtasks[s].finished) {
                        // Nothing left to inject a barrier into: the input has ended.
                        let reason = CheckpointFailureReason::CheckpointDeclinedTaskNotReady;
                        self.runtime().coordinator.abort_checkpoint(now, id, reason);
                        continue;
                    }
                    let at = now + self.rpc_latency();
                    for st in sources {
                        self.queue.push(at, Event::SourceTrigger(st, id));
                    }
                }
                CoordinatorAction::TriggerRequestDropped { reason, kind, .. } => {
                    if kind == SnapshotKind::Savepoint {
                        self.stop_savepoint_failed(None, reason);
                    }
                    self.runtime().dropped_triggers.push((now, reason));
                }
                CoordinatorAction::WriteMetadata { checkpoint_id, bytes } => {
                    // Finalizing until the write ends, written or failed.
                    self.runtime().finalizing.insert(checkpoint_id);
                    match self.storage.put(now, bytes) {
                        Ok(done) => {
                            self.state_storage().metadata_file(checkpoint_id, bytes);
                            self.queue.push(done, Event::MetadataWritten(checkpoint_id));
                        }
                        Err(failure) => self.queue.push(failure.at, Event::MetadataFailed(checkpoint_id)),
                    }
                }
                CoordinatorAction::NotifyCheckpointComplete { checkpoint_id, .. } => {
                    // Every subtask acknowledged it, and older pending ones are subsumed:
                    // their bookkeeping is done.
                    self.forget_progress(|c| c > checkpoint_id);
                    self.snapshot_of(checkpoint_id).completed_at = Some(now);
                    self.state_storage().completed(checkpoint_id);
                    let at = now + self.rpc_latency();
                    for st in 0..self.subtasks.len() {
                        self.queue.push(at, Event::NotifyComplete(st, checkpoint_id));
                    }
                }
                CoordinatorAction::SavepointCompleted { checkpoint_id } => {
                    self.stop_savepoint_completed(checkpoint_id);
                    if self.ended_at.is_some() {
                        return;
                    }
                }
                CoordinatorAction::NotifyCheckpointAborted { checkpoint_id, reason } => {
                    self.stop_savepoint_failed(Some(checkpoint_id), reason);
                    self.forget_progress(|c| c != checkpoint_id);
                    let rt = self.runtime();
                    rt.aborted.insert(checkpoint_id);
                    rt.snapshots.remove(&checkpoint_id);
                    rt.files.release(checkpoint_id);
                    self.changelog_checkpoint_released(checkpoint_id);
                    self.abort_local_state(checkpoint_id);
                }
                CoordinatorAction::DiscardCheckpoint { checkpoint_id, .. } => {
                    self.state_storage().release(checkpoint_id);
                    self.changelog_checkpoint_released(checkpoint_id);
                }
                CoordinatorAction::NotifySubtaskCheckpointComplete { subtask, checkpoint_id } => {
                    let at = now + self.rpc_latency();
                    self.queue.push(at, Event::NotifyComplete(subtask, checkpoint_id));
                    self.line_advanced(subtask, checkpoint_id);
                }
                CoordinatorAction::TruncateLog { channel, before } => {
                    if let Some(logs) = self.runtime().logs.as_mut() {
                        logs.truncate_before(channel, before);
                    }
                }
                CoordinatorAction::FailJob { checkpoint_id, reason } => {
                    self.runtime().failover_requests.push((now, checkpoint_id, reason));
                    self.fail_tasks(format!(
                        "checkpoint {checkpoint_id} failed ({}): tolerable-failed-checkpoints exceeded",
                        reason.flink_name()
                    ));
                }
            }
        }
        let rt = self.runtime();
        if let Some(at) = rt.coordinator.poll_timeout()
            && rt.timer_at.is_none_or(|t| at < t)
        {
            rt.timer_at = Some(at);
            self.queue.push(at.max(now), Event::CoordinatorTimer);
        }
    }

    /// The trigger RPC reached a source subtask: it injects the barrier between batches.
    pub(super) fn source_trigger(&mut self, st: usize, id: CheckpointId) {
        if self.subtasks[st].finished {
            return;
        }
        self.subtasks[st].source_triggers.push_back(id);
        self.wake.push(st);
    }

    /// Runs a source's pending triggers through its barrier handler.
    pub(super) fn inject_source_barriers(&mut self, st: usize) {
        while let Some(id) = self.subtasks[st].source_triggers.pop_front() {
            let Some(barrier) = self.runtime().barriers.get(&id).copied() else {
                continue;
            };
            let now = self.now;
            if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
                protocol.on_trigger(now, barrier);
            }
            self.drain_barrier_actions(st);
        }
    }

    /// The recovery line moved: `subtask` now restores `checkpoint_id`. The line is
    /// kept, with what its checkpoints had in transit where the oracle checks it.
    fn line_advanced(&mut self, subtask: usize, checkpoint_id: CheckpointId) {
        let now = self.now;
        self.runtime().line[subtask] = Some(checkpoint_id);
        if !self.runtime().line_checker_built {
            let checker = crate::check::cut::LineChecker::for_world(self);
            let rt = self.runtime();
            rt.line_checker = checker;
            rt.line_checker_built = true;
        }
        let rt = self.ckpt.as_mut().expect("checkpointing is on");
        let checkpoints = rt.line.clone();
        rt.lines.push(LineRecord {
            at: now,
            checkpoints: checkpoints.clone(),
        });
        // The oracle checks the line now, with what was in transit on it: the records
        // the line's checkpoints had sent and not yet received, which a restore of
        // the line replays from the senders' logs.
        let Some(mut checker) = rt.line_checker.take() else {
            return;
        };
        let rt = self.ckpt.as_ref().expect("checkpointing is on");
        let counts = |st: usize| {
            checkpoints[st]
                .and_then(|id| rt.snapshots.get(&id))
                .and_then(|s| s.subtasks[st].as_ref())
                .map(|saved| &saved.channels)
        };
        let mut in_transit = Vec::new();
        if let Some(logs) = rt.logs.as_ref() {
            for (ch, c) in self.channels.iter().enumerate() {
                let sent = counts(c.producer).map_or(0, |n| n.sent_on(ch));
                let received = counts(c.consumer).map_or(0, |n| n.received_on(ch));
                if received < sent
                    && let Some(records) = logs.channels[ch].records_between(received, sent)
                {
                    in_transit.extend(records.into_iter().map(|r| (ch, r)));
                }
            }
        }
        let line = crate::check::cut::LineCut {
            at: now,
            checkpoints: &checkpoints,
            in_transit: &in_transit,
        };
        checker.check(self, line);
        self.runtime().line_checker = Some(checker);
    }

    pub(super) fn barrier_of(&mut self, id: CheckpointId) -> Option<Barrier> {
        self.ckpt.as_ref().and_then(|rt| rt.barriers.get(&id).copied())
    }

    /// Carries out what a subtask's barrier handler asked for, then arms its timer.
    pub(super) fn drain_barrier_actions(&mut self, st: usize) {
        let now = self.now;
        while let Some(action) = self.subtasks[st].protocol.as_mut().and_then(|p| p.poll_action()) {
            match action {
                Action::BlockChannel { .. } => {}
                Action::UnblockChannel { channel } => {
                    let ch = self.subtasks[st].inputs[channel];
                    self.make_available(ch);
                }
                Action::TriggerSnapshot(trigger) => self.snapshot_decided(st, trigger, true),
                Action::LocalSnapshot { checkpoint_id, cause } => {
                    let barrier = Barrier {
                        checkpoint_id,
                        trigger_timestamp: now,
                        kind: SnapshotKind::Checkpoint,
                    };
                    let rt = self.runtime();
                    rt.barriers.insert(checkpoint_id, barrier);
                    match cause {
                        LocalSnapshotCause::Timer => rt.timer_snapshots += 1,
                        LocalSnapshotCause::Forced => rt.forced_snapshots += 1,
                    }
                    rt.coordinator.snapshot_started(now, checkpoint_id, st);
                    let trigger = SnapshotTrigger {
                        barrier,
                        unaligned: false,
                        first_barrier_at: now,
                        alignment_duration: 0,
                    };
                    self.snapshot_decided(st, trigger, false);
                }
                Action::PersistQueuedInput { channel, checkpoint_id } => {
                    let ch = self.subtasks[st].inputs[channel];
                    let records = self.queued_records_before(ch, None);
                    self.persist_records(checkpoint_id, st, ch, records, Persisted::Input);
                }
                Action::StartPersisting { channel, checkpoint_id } => {
                    let ch = self.subtasks[st].inputs[channel];
                    let records = self.queued_records_before(ch, Some(checkpoint_id));
                    self.persist_records(checkpoint_id, st, ch, records, Persisted::Input);
                    self.channels[ch].persisting = Some(checkpoint_id);
                    // The contract: a barrier already queued behind persisted data is
                    // handed over at once, as if it had overtaken them.
                    if let Some(pos) = self.channels[ch]
                        .queue
                        .iter()
                        .position(|i| matches!(i, Item::Barrier { id, .. } if *id == checkpoint_id))
                    {
                        self.channels[ch].queue.remove(pos);
                        if self.channels[ch].queue.is_empty() {
                            self.unlist_if_empty(st, ch);
                        }
                        if let Some(barrier) = self.barrier_of(checkpoint_id)
                            && let Some(protocol) = self.subtasks[st].protocol.as_mut()
                        {
                            protocol.on_priority_barrier(now, channel, barrier);
                        }
                    }
                }
                Action::StopPersisting { channel, .. } => {
                    let ch = self.subtasks[st].inputs[channel];
                    self.channels[ch].persisting = None;
                }
                Action::AllBarriersReceived {
                    checkpoint_id,
                    alignment_duration,
                    ..
                } => {
                    let p = self.progress(checkpoint_id, st);
                    p.all_barriers_at = Some(now);
                    p.reported_alignment = alignment_duration;
                    self.advance_async(st, checkpoint_id);
                }
                Action::AbortCheckpoint { checkpoint_id, reason } => {
                    self.progress(checkpoint_id, st).decline = Some(reason);
                    let at = now + self.rpc_latency();
                    self.queue.push(at, Event::Decline(st, checkpoint_id));
                }
                Action::ForwardCancellation { checkpoint_id } => {
                    self.broadcast(st, || Item::Cancel(checkpoint_id));
                }
                Action::PrioritizeOutputBarrier { checkpoint_id } => {
                    self.prioritize_output_barrier(st, checkpoint_id);
                }
            }
        }
        self.arm_protocol_timer(st);
    }

    /// An unaligned snapshot at `st` also holds the input it has taken off its
    /// channels but not processed: the rest of the buffer in hand (Flink persists the
    /// deserializer's unconsumed buffer the same way) and restored channel state not
    /// yet replayed. Both come before whatever is still queued on their channels.
    fn persist_input_in_hand(&mut self, id: CheckpointId, st: usize) {
        let s = &self.subtasks[st];
        let mut front: Vec<(ChannelId, Vec<Record>)> = Vec::new();
        if let Some((rest, from, origin)) = &s.resume
            && let Some(ch) = from.or(*origin)
        {
            front.push((ch, rest.clone()));
        }
        front.extend(s.recovered.iter().cloned());
        // Per channel, in the order taken; then ahead of what the handler persisted.
        let mut by_channel: BTreeMap<ChannelId, Vec<Record>> = BTreeMap::new();
        for (ch, records) in front {
            by_channel.entry(ch).or_default().extend(records);
        }
        for (ch, records) in by_channel {
            self.persist_records(id, st, ch, records, Persisted::InputAhead);
        }
    }

    /// Whether a barrier `st` forwarded aligned still waits in one of its output backlogs:
    /// a subtask that finished its input keeps its outputs, and the timer that may
    /// prioritize such a barrier, until they drain.
    fn forwarded_barrier_waiting(&self, st: usize) -> bool {
        self.output_channels(st).into_iter().any(|ch| {
            self.channels[ch]
                .backlog
                .iter()
                .any(|i| matches!(i, Item::Barrier { priority: false, .. }))
        })
    }

    /// Whether barrier `id`, forwarded aligned by `st`, still waits in one of its output
    /// backlogs.
    fn output_barrier_waiting(&self, st: usize, id: CheckpointId) -> bool {
        self.output_channels(st).into_iter().any(|ch| {
            self.channels[ch]
                .backlog
                .iter()
                .any(|i| matches!(i, Item::Barrier { id: b, priority: false } if *b == id))
        })
    }

    /// An aligned barrier left `st`'s output backlog on `ch`: the subtask's part of its
    /// checkpoint may now be complete.
    pub(super) fn output_barrier_sent(&mut self, st: usize, id: CheckpointId) {
        let awaits = self
            .ckpt
            .as_ref()
            .and_then(|rt| rt.progress.get(&id))
            .is_some_and(|p| p[st].awaits_output_barrier);
        if awaits {
            self.advance_async(st, id);
        }
    }

    /// The aligned-checkpoint timeout passed while barrier `id` of `st` may still wait in
    /// its output backlogs: wherever it does, it moves to the front as a priority barrier,
    /// and the buffers it overtakes become output channel state (Flink converts the
    /// timeoutable barrier in the result subpartition the same way).
    fn prioritize_output_barrier(&mut self, st: usize, id: CheckpointId) {
        if self.is_aborted(id) {
            return;
        }
        for ch in self.output_channels(st) {
            let backlog = &mut self.channels[ch].backlog;
            let Some(pos) = backlog
                .iter()
                .position(|i| matches!(i, Item::Barrier { id: b, priority: false } if *b == id))
            else {
                continue;
            };
            let records: Vec<Record> = backlog
                .iter()
                .take(pos)
                .filter_map(|i| if let Item::Data(r) = i { Some(r) } else { None })
                .flatten()
                .copied()
                .collect();
            // Same length before and after: the backlog's fullness does not change.
            backlog.remove(pos);
            backlog.push_front(Item::Barrier { id, priority: true });
            if !records.is_empty() {
                self.persist_records(id, st, ch, records, Persisted::Output);
            }
            self.try_send(ch);
        }
        self.advance_async(st, id);
    }

    pub(super) fn barrier_timer(&mut self, st: usize) {
        let now = self.now;
        self.subtasks[st].barrier_timer_at = None;
        let finished = self.subtasks[st].finished && !self.forwarded_barrier_waiting(st);
        if finished || self.recovery.status != super::JobStatus::Running {
            // Finished, or waiting for its restored state: the restore arms it again.
            return;
        }
        if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
            protocol.handle_timeout(now);
        }
        self.drain_barrier_actions(st);
        self.wake.push(st);
    }

    /// Records queued on a channel ahead of barrier `id` (all of them if `None` or if
    /// that barrier is not queued).
    fn queued_records_before(&self, ch: ChannelId, id: Option<CheckpointId>) -> Vec<Record> {
        let mut records = Vec::new();
        for item in &self.channels[ch].queue {
            match item {
                Item::Barrier { id: b, .. } if Some(*b) == id => break,
                Item::Data(data) => records.extend_from_slice(data),
                _ => {}
            }
        }
        records
    }

    pub(super) fn is_aborted(&self, id: CheckpointId) -> bool {
        self.ckpt.as_ref().is_some_and(|rt| rt.aborted.contains(&id))
    }

    /// Starts an upload to checkpoint storage, remembered until it completes. An
    /// upload that meets a storage outage fails the subtask's part: it declines.
    fn upload(&mut self, st: usize, id: CheckpointId, bytes: u64, channel_state: bool) {
        let done = match self.storage.put(self.now, bytes) {
            Ok(done) => done,
            Err(failure) => {
                self.progress(id, st).decline = Some(CheckpointFailureReason::IoException);
                self.queue.push(failure.at, Event::Decline(st, id));
                return;
            }
        };
        self.runtime().uploads.insert((id, st, channel_state), bytes);
        let event = if channel_state {
            Event::ChannelUploadDone(st, id)
        } else {
            Event::UploadDone(st, id)
        };
        self.queue.push(done, event);
    }

    /// An upload completed: its files belong to the checkpoint, or are deleted at
    /// once if the checkpoint failed meanwhile. Returns whether the checkpoint lives.
    fn upload_finished(&mut self, st: usize, id: CheckpointId, channel_state: bool) -> bool {
        let bytes = self.runtime().uploads.remove(&(id, st, channel_state)).unwrap_or(0);
        if self.is_aborted(id) || !self.runtime().progress.contains_key(&id) {
            return false;
        }
        let tm = self.subtasks[st].tm;
        if channel_state {
            self.state_storage().private_file(id, tm, bytes);
            return true;
        }
        let p = self.progress(id, st);
        let (sst_files, private) = (std::mem::take(&mut p.sst_uploads), p.private_bytes);
        if let Some(part) = p.changelog {
            self.changelog_uploaded(id, st, part);
            if private > 0 {
                self.state_storage().private_file(id, tm, private);
            }
            return true;
        }
        if !p.incremental {
            // A full snapshot: one file of the whole state.
            self.state_storage().state_file(id, st, tm, bytes, None);
            return true;
        }
        for (local, file_bytes) in sst_files {
            self.state_storage().state_file(id, st, tm, file_bytes, Some(local));
        }
        if private > 0 {
            self.state_storage().private_file(id, tm, private);
        }
        true
    }

    /// A subtask decided to snapshot: forward the barrier (when the snapshot cuts a
    /// barrier stream), pre-commit the sink's transaction, and take the snapshot as
    /// soon as the subtask is between batches. For a checkpoint that already failed it
    /// forwards a cancellation instead.
    fn snapshot_decided(&mut self, st: usize, trigger: SnapshotTrigger, forward: bool) {
        let now = self.now;
        let id = trigger.checkpoint_id();
        if self.is_aborted(id) {
            self.broadcast(st, || Item::Cancel(id));
            return;
        }
        // Between records, not after the whole buffer: the part of it already paid
        // for is done (its output goes ahead of the barrier), the rest waits.
        self.interrupt_batch(st);
        let processed = std::mem::take(&mut self.subtasks[st].processed_during_alignment);
        let p = self.progress(id, st);
        p.first_barrier_at = Some(trigger.first_barrier_at);
        p.decided_at = Some(now);
        p.unaligned = trigger.unaligned;
        p.reported_alignment = trigger.alignment_duration;
        p.processed = processed;
        if trigger.unaligned {
            self.persist_input_in_hand(id, st);
        }
        if trigger.unaligned {
            // The barrier overtakes the output backlog, which becomes channel state.
            self.flush_all(st);
            for ch in self.output_channels(st) {
                let records: Vec<Record> = self.channels[ch]
                    .backlog
                    .iter()
                    .filter_map(|i| if let Item::Data(r) = i { Some(r) } else { None })
                    .flatten()
                    .copied()
                    .collect();
                if !records.is_empty() {
                    self.persist_records(id, st, ch, records, Persisted::Output);
                }
                self.enqueue_front(ch, Item::Barrier { id, priority: true });
            }
        } else if forward {
            let awaits = self.subtasks[st]
                .protocol
                .as_ref()
                .is_some_and(|p| p.times_out_output_barrier(id));
            self.progress(id, st).awaits_output_barrier = awaits;
            self.broadcast(st, || Item::Barrier { id, priority: false });
        }
        self.subtasks[st].logic.precommit(id);
        if self.flaw(Flaw::SinkCommitsAtBarrier) {
            self.subtasks[st].logic.commit(Some(id));
        }
        self.subtasks[st].pending_snapshots.push_back(id);
        self.wake.push(st);
    }

    /// Starts the synchronous phase of a pending snapshot: CPU work on a core.
    pub(super) fn start_sync(&mut self, st: usize, id: CheckpointId) {
        let now = self.now;
        let spec = &self.scenario.checkpointing;
        let (per_entry, base) = (spec.sync_cpu_per_entry_ns, spec.sync_cpu_base_ns);
        // A savepoint is self-contained: it uploads the full state and leaves the
        // base of incremental checkpoints alone.
        let savepoint = self.barrier_of(id).is_some_and(|b| b.kind == SnapshotKind::Savepoint);
        // ForSt's snapshot flushes like an incremental one, but refers to its files
        // in storage instead of uploading them.
        let forst = self.scenario.checkpointing.forst().is_some() && !savepoint;
        let incremental = (self.scenario.checkpointing.incremental() || forst) && !savepoint;
        let per_partition = match &self.scenario.operators[self.subtasks[st].op].logic {
            OperatorLogicSpec::Source(source) => source.state_bytes_per_partition,
            _ => 0,
        };
        let (entries, keyed_bytes) = self.keyed_state(st);
        // A savepoint is the underlying backend's own, also under a changelog.
        let changelog = !savepoint && self.uses_changelog(st);
        let s = &mut self.subtasks[st];
        let operator_state = s
            .source
            .as_ref()
            .map_or(0, |r| per_partition * r.partitions.len() as u64);
        let mut state_size = keyed_bytes + operator_state;
        let changed = if incremental && !changelog {
            s.logic.take_changed_entries() as u64
        } else {
            entries
        };
        let entry_bytes = keyed_bytes.checked_div(entries).unwrap_or(0);
        // A full snapshot copies every entry; an incremental one flushes what changed;
        // a changelog snapshot only notes how far its changelog goes.
        let touched = match (changelog, incremental) {
            (true, _) => 0,
            (false, true) => changed,
            (false, false) => entries,
        };
        let cost = base + touched * per_entry;
        let mut changelog_part = None;
        // A changelog snapshot uploads the changes not stored yet. A ForSt snapshot
        // uploads its flushed file and refers to the files already in storage. An
        // incremental snapshot uploads the live RocksDB files storage does not hold
        // yet. All upload the state outside them (source offsets) in full.
        let (checkpointed, sst_uploads, private_bytes) = if changelog {
            let (part, keyed_state) = self.changelog_snapshot(id, st, entry_bytes);
            changelog_part = Some(part);
            state_size = keyed_state + operator_state;
            (part.bytes + operator_state, Vec::new(), operator_state)
        } else if forst {
            let flushed = changed * entry_bytes;
            self.state_storage()
                .forst_snapshot(id, st, flushed, entries * entry_bytes);
            let private = state_size - entries * entry_bytes;
            (flushed + private, Vec::new(), private)
        } else if incremental {
            let keyed = entries * entry_bytes;
            let snapshot = self
                .state_storage()
                .incremental_snapshot(id, st, changed * entry_bytes, keyed);
            let private = state_size - keyed;
            (snapshot.upload_bytes() + private, snapshot.uploads, private)
        } else {
            (state_size, Vec::new(), state_size)
        };
        let p = self.progress(id, st);
        p.sst_uploads = sst_uploads;
        p.private_bytes = private_bytes;
        p.incremental = incremental && !changelog;
        p.changelog = changelog_part;
        p.sync_started = Some(now);
        p.state_size = state_size;
        // Keyed state only: a sink's transaction handles are operator state.
        p.keyed_bytes = if entries > 0 { keyed_bytes } else { 0 };
        p.savepoint = savepoint;
        p.checkpointed_size = checkpointed;
        // Without barriers, the snapshot records how far each channel had got; what
        // the subtask produced before it is sent first, so the counts include it.
        let channels = if self.counts_channels() {
            self.flush_all(st);
            self.channel_counts(st)
        } else {
            ChannelCounts::default()
        };
        self.progress(id, st).channels = channels.clone();
        if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
            protocol.on_snapshot(now, id);
        }
        // The synchronous phase copies the state: later records do not change it.
        let s = &self.subtasks[st];
        let snapshot = SubtaskSnapshot {
            channels,
            state: s.logic.snapshot_state(),
            offsets: s
                .source
                .as_ref()
                .map(|r| r.partitions.iter().map(|p| (p.partition, p.next_offset)).collect())
                .unwrap_or_default(),
            state_bytes: state_size,
        };
        self.snapshot_of(id).subtasks[st] = Some(snapshot);
        self.subtasks[st].sync_work = Some((id, cost));
        self.start_work(st, cost);
    }

    /// The synchronous phase ended: the asynchronous phase writes the snapshot to the
    /// local disk, then uploads it.
    pub(super) fn sync_done(&mut self, st: usize, id: CheckpointId) {
        let now = self.now;
        self.progress(id, st).sync_done = Some(now);
        let p = self.progress(id, st);
        let (bytes, changelog, savepoint) = (p.checkpointed_size, p.changelog, p.savepoint);
        // A ForSt checkpoint flushed into a file in storage.
        let in_storage = self.scenario.checkpointing.forst().is_some() && !savepoint;
        // A changelog and a ForSt flush go straight to checkpoint storage, not
        // through the local disk.
        if let Some(part) = changelog {
            let upload = self.changelog_upload_bytes(&part) + self.progress(id, st).private_bytes;
            self.upload(st, id, upload, false);
            self.advance_async(st, id);
            return;
        }
        if in_storage {
            self.upload(st, id, bytes, false);
            self.advance_async(st, id);
            return;
        }
        let tm = self.subtasks[st].tm;
        match self.taskmanagers[tm].disk.write(now, bytes) {
            DiskWrite::Done(at) => {
                self.progress(id, st).on_disk = true;
                self.queue.push(at, Event::DiskDone(st, id));
            }
            DiskWrite::Full => {
                self.progress(id, st).decline = Some(CheckpointFailureReason::IoException);
                let at = now + self.rpc_latency();
                self.queue.push(at, Event::Decline(st, id));
            }
        }
        self.advance_async(st, id);
    }

    /// Drops the bookkeeping of the checkpoints `keep` does not keep: the snapshots
    /// their subtasks were still writing to the local disk free its space now, as
    /// their disk writes will find nothing to account for.
    pub(super) fn forget_progress(&mut self, keep: impl Fn(CheckpointId) -> bool) {
        let Some(rt) = self.ckpt.as_mut() else { return };
        let mut freed = Vec::new();
        rt.progress.retain(|&id, parts| {
            if keep(id) {
                return true;
            }
            freed.extend(
                parts
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.on_disk)
                    .map(|(st, p)| (st, p.checkpointed_size)),
            );
            false
        });
        for (st, bytes) in freed {
            let tm = self.subtasks[st].tm;
            self.taskmanagers[tm].disk.delete(bytes);
        }
    }

    pub(super) fn disk_done(&mut self, st: usize, id: CheckpointId) {
        let bytes = self
            .ckpt
            .as_mut()
            .and_then(|rt| rt.progress.get_mut(&id))
            .map_or(0, |p| {
                p[st].on_disk = false;
                p[st].checkpointed_size
            });
        let tm = self.subtasks[st].tm;
        self.taskmanagers[tm].disk.delete(bytes);
        if self.is_aborted(id) || !self.runtime().progress.contains_key(&id) {
            return;
        }
        self.upload(st, id, bytes, false);
    }

    pub(super) fn upload_done(&mut self, st: usize, id: CheckpointId) {
        if !self.upload_finished(st, id, false) {
            return;
        }
        self.progress(id, st).state_uploaded = Some(self.now);
        self.advance_async(st, id);
    }

    pub(super) fn channel_upload_done(&mut self, st: usize, id: CheckpointId) {
        if !self.upload_finished(st, id, true) {
            return;
        }
        self.progress(id, st).channel_uploaded = Some(self.now);
        self.advance_async(st, id);
    }

    /// Moves the asynchronous phase on: channel state is uploaded once the snapshot
    /// is taken and every barrier arrived; the acknowledgement leaves when all is stored.
    fn advance_async(&mut self, st: usize, id: CheckpointId) {
        let now = self.now;
        if !self.ckpt.as_ref().is_some_and(|rt| rt.progress.contains_key(&id)) {
            return;
        }
        let p = self.progress(id, st).clone();
        if p.ack_sent.is_some() || p.decline.is_some() || p.sync_done.is_none() {
            return;
        }
        let has_channel_state = p.unaligned || p.awaits_output_barrier;
        if p.awaits_output_barrier && self.output_barrier_waiting(st, id) {
            // The barrier may still overtake output buffers, which would be channel state.
            return;
        }
        if has_channel_state && p.all_barriers_at.is_some() && !p.channel_upload_started {
            self.progress(id, st).channel_upload_started = true;
            if p.persisted == 0 {
                self.progress(id, st).channel_uploaded = Some(now);
            } else {
                self.upload(st, id, p.persisted, true);
            }
        }
        let p = self.progress(id, st);
        let channel_state_done = !has_channel_state || p.channel_uploaded.is_some();
        if p.state_uploaded.is_some() && channel_state_done {
            p.ack_sent = Some(now);
            let at = now + self.rpc_latency();
            self.queue.push(at, Event::Ack(st, id));
            self.store_local_state(st, id);
        }
    }

    pub(super) fn ack_arrived(&mut self, st: usize, id: CheckpointId) {
        let now = self.now;
        let Some(barrier) = self.barrier_of(id) else { return };
        let Some(p) = self
            .ckpt
            .as_ref()
            .and_then(|rt| rt.progress.get(&id))
            .map(|v| v[st].clone())
        else {
            return;
        };
        let first = p.first_barrier_at.unwrap_or(barrier.trigger_timestamp);
        let decided = p.decided_at.unwrap_or(first);
        let sync_started = p.sync_started.unwrap_or(decided);
        let sync_done = p.sync_done.unwrap_or(sync_started);
        let sent = p.ack_sent.unwrap_or(now);
        // Flink counts the persisted in-flight data of an unaligned checkpoint in
        // the subtask's state and checkpointed sizes (its channel state is part of
        // the snapshot it uploads).
        let state_size = p.state_size + p.persisted;
        let checkpointed_size = p.checkpointed_size + p.persisted;
        let s = &self.subtasks[st];
        let breakdown = SubtaskBreakdown {
            checkpoint_id: id,
            subtask: st,
            operator: s.op,
            index: s.index,
            trigger_timestamp: barrier.trigger_timestamp,
            ack_timestamp: now,
            end_to_end_ns: now - barrier.trigger_timestamp,
            start_delay_ns: first - barrier.trigger_timestamp,
            alignment_ns: decided - first,
            snapshot_wait_ns: sync_started - decided,
            sync_ns: sync_done - sync_started,
            async_ns: sent - sync_done,
            ack_transit_ns: now - sent,
            reported_alignment_ns: if p.unaligned {
                p.reported_alignment
            } else {
                decided - first
            },
            unaligned: p.unaligned,
            state_size,
            checkpointed_size,
            processed_data: p.processed,
            persisted_data: p.persisted,
        };
        let ack = SubtaskAck {
            state_size,
            checkpointed_size,
            processed_data: p.processed,
            persisted_data: p.persisted,
            sync_duration: breakdown.sync_ns,
            async_duration: breakdown.async_ns,
            alignment_duration: breakdown.reported_alignment_ns,
            start_delay: breakdown.start_delay_ns,
            unaligned: p.unaligned,
            metadata_bytes: 64,
        };
        let rt = self.runtime();
        rt.breakdowns.push(breakdown);
        rt.coordinator.acknowledge(now, id, st, ack, &p.channels);
        self.drain_coordinator();
    }

    pub(super) fn decline_arrived(&mut self, st: usize, id: CheckpointId) {
        let now = self.now;
        let reason = self
            .ckpt
            .as_ref()
            .and_then(|rt| rt.progress.get(&id))
            .and_then(|v| v[st].decline)
            .unwrap_or(CheckpointFailureReason::CheckpointDeclined);
        self.runtime().coordinator.decline(now, id, st, reason);
        self.drain_coordinator();
    }

    /// The checkpoint phases under way at some subtask (or at the coordinator) now,
    /// in [`CheckpointPhase`] order: what a fault striking now strikes in the middle of.
    pub(super) fn checkpoint_phases_now(&self) -> Vec<CheckpointPhase> {
        let Some(rt) = self.ckpt.as_ref() else {
            return Vec::new();
        };
        let parts = || rt.progress.values().flatten().filter(|p| p.decline.is_none());
        let mut phases = Vec::new();
        // Collecting barriers is the protocol's business: ask it.
        let collecting = self
            .subtasks
            .iter()
            .any(|st| st.protocol.as_ref().is_some_and(|p| p.pending_checkpoint().is_some()));
        if collecting {
            phases.push(CheckpointPhase::Alignment);
        }
        if parts().any(|p| p.sync_started.is_some() && p.sync_done.is_none()) {
            phases.push(CheckpointPhase::Sync);
        }
        if parts().any(|p| p.sync_done.is_some() && p.ack_sent.is_none()) {
            phases.push(CheckpointPhase::AsyncUpload);
        }
        if !rt.finalizing.is_empty() {
            phases.push(CheckpointPhase::Finalization);
        }
        phases
    }

    /// Writing a checkpoint's metadata failed (a storage outage): it fails.
    pub(super) fn metadata_failed(&mut self, id: CheckpointId) {
        let now = self.now;
        self.runtime().finalizing.remove(&id);
        self.runtime().coordinator.finalize_failed(now, id);
        self.drain_coordinator();
    }

    pub(super) fn metadata_written(&mut self, id: CheckpointId) {
        let now = self.now;
        self.runtime().finalizing.remove(&id);
        self.runtime().coordinator.finalize_complete(now, id);
        self.drain_coordinator();
    }

    /// A subtask learns that checkpoint `id` completed: its sink commits, and its
    /// incremental uploads up to `id` become the base of the next ones.
    pub(super) fn notify_complete(&mut self, st: usize, id: CheckpointId) {
        self.subtasks[st].logic.commit(Some(id));
        self.state_storage().local[st].confirm(id);
        self.confirm_local_state(st, id);
    }

    /// A subtask finished. Once every source has, no new checkpoint is triggered
    /// (there is no input left to cut); at the end of the job the coordinator shuts down.
    pub(super) fn checkpointing_subtask_finished(&mut self, st: usize) {
        let now = self.now;
        if self.ckpt.is_none() {
            return;
        }
        self.runtime().coordinator.subtask_finished(now, st);
        if self.subtasks.iter().all(|s| s.source.is_none() || s.finished) {
            self.runtime().coordinator.stop_periodic_triggers();
        }
        if self.unfinished == 0 {
            self.runtime().coordinator.shutdown(now, JobTermination::Finished);
            self.drain_coordinator();
            self.state_storage().close_databases();
            self.changelog_job_ended();
            self.state_storage().job_ended();
        }
    }

    /// Output channel ids of a subtask, in edge order.
    pub(super) fn output_channels(&self, st: usize) -> Vec<ChannelId> {
        self.subtasks[st]
            .outputs
            .iter()
            .flat_map(|o| o.channels.iter().copied())
            .collect()
    }

    /// Puts a channel with queued items back in its consumer's rotation.
    fn make_available(&mut self, ch: ChannelId) {
        let channel = &mut self.channels[ch];
        if !channel.queue.is_empty() && !channel.enqueued_for_consumer {
            channel.enqueued_for_consumer = true;
            let consumer = channel.consumer;
            self.subtasks[consumer].available.push_back(ch);
            self.wake.push(consumer);
        }
    }

    fn unlist_if_empty(&mut self, st: usize, ch: ChannelId) {
        if self.channels[ch].queue.is_empty() && self.channels[ch].enqueued_for_consumer {
            self.channels[ch].enqueued_for_consumer = false;
            self.subtasks[st].available.retain(|&c| c != ch);
        }
    }
}
