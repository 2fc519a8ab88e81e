//! The interface between a checkpoint protocol and whatever runs it.
//!
//! A protocol has two roles: one [`SubtaskProtocol`] per subtask, deciding what the
//! subtask does when a barrier, a marker, a data buffer or a timer reaches it, and one
//! [`CoordinatorProtocol`] per job, deciding when checkpoints start, when they are
//! complete and what a failed job restores from. A [`Protocol`] value builds both for a
//! job. The simulated world (`model/`) drives any implementation through these traits
//! and never asks which protocol it runs; a real engine could drive the same values.
//!
//! Both roles are sans-IO state machines in one shape: the driver calls an input method
//! with the current time, then drains `poll_action` until it returns `None`, and calls
//! `handle_timeout(t)` once time reaches `t = poll_timeout()`. Nothing here reads a
//! clock, spawns, sleeps or performs I/O.
//!
//! Flink's family (aligned, unaligned, aligned with a timeout, at-least-once) implements
//! the subtask role with [`BarrierHandler`] and the coordinator role with
//! [`CheckpointCoordinator`]; [`FlinkCheckpointing`] is its [`Protocol`].
//!
//! # What the driver provides
//!
//! - **Channels.** Each input channel is a FIFO of items received and not yet processed.
//!   Before taking a data buffer the driver asks [`SubtaskProtocol::is_blocked`]; markers
//!   (barriers, cancellation markers) and end of partition are handed over when taken
//!   from the head of their queue, or at once when they overtake the queue (priority).
//! - **Snapshots.** On [`SubtaskAction::TriggerSnapshot`] the driver snapshots the
//!   subtask's state before it processes anything else, forwards the barrier downstream
//!   when the trigger asks for it, stores the snapshot and acknowledges it to the
//!   coordinator (or declines it).
//! - **Channel state and logs.** Buffers the protocol names as channel state are copied
//!   into the checkpoint (see the actions). When [`SubtaskProtocol::logs_sent_data`] is
//!   true the driver keeps every record the subtask sends, per output channel, until the
//!   coordinator no longer needs it, and replays a channel's log on restore.
//! - **Control data.** [`SubtaskProtocol::piggyback`] is attached to every data buffer the
//!   subtask sends and handed to the consumer's [`SubtaskProtocol::on_data`] before the
//!   buffer is processed, so a protocol can decide to checkpoint first.
//! - **Restore.** After a failure the driver asks [`CoordinatorProtocol::recovery_line`]
//!   which checkpoint each subtask restores, deploys fresh subtask roles, restores each
//!   from its checkpoint, replays channel state and logs, and resumes.

use std::fmt::Debug;
use std::sync::Arc;

use crate::protocol::barrier::{AlignmentTimeoutStart, BarrierHandler, BarrierHandlerConfig};
use crate::protocol::coordinator::{
    CheckpointCoordinator, CheckpointCounts, CheckpointStats, ConfigError, CoordinatorAction, CoordinatorConfig,
    JobTermination, RecoveryClaimMode, RestoredCheckpointStats, SourceId, SubtaskAck, SubtaskId,
};
use crate::protocol::types::{Barrier, CheckpointFailureReason, CheckpointId, Nanos, SnapshotKind};

pub use crate::protocol::barrier::{Action as SubtaskAction, ChannelIndex, LocalSnapshotCause, SnapshotTrigger};

/// What a subtask's protocol role is told about its place in the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtaskContext {
    /// This subtask's id, `0..num_subtasks`.
    pub subtask: SubtaskId,
    /// Every subtask of the job.
    pub num_subtasks: usize,
    /// The producing subtask of each input channel, by [`ChannelIndex`]. Empty for a source.
    pub input_producers: Vec<SubtaskId>,
    /// The consuming subtask of each output channel, in the driver's channel order.
    pub output_consumers: Vec<SubtaskId>,
    /// Whether the subtask reads the job's input (it has no input channels).
    pub is_source: bool,
    /// When the role starts (the job's start, or its restart after a failure).
    pub started_at: Nanos,
    /// Ids the role may give snapshots it takes on its own start above this, unused by
    /// any checkpoint so far: the `k`-th (from 0) is `first_checkpoint_id + k ·
    /// num_subtasks + subtask`, so that no two subtasks' ids meet.
    pub first_checkpoint_id: CheckpointId,
}

/// How far each channel of a subtask had got when it took a snapshot: the records it
/// had sent on each output channel and processed from each input channel, counted
/// from the job's start. Channels are the driver's channel ids ([`JobContext::channels`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    pub sent: Vec<(usize, u64)>,
    pub received: Vec<(usize, u64)>,
}

impl ChannelCounts {
    /// Records sent on `channel` at the snapshot (0 when it is not an output).
    pub fn sent_on(&self, channel: usize) -> u64 {
        lookup(&self.sent, channel)
    }

    /// Records received from `channel` at the snapshot (0 when it is not an input).
    pub fn received_on(&self, channel: usize) -> u64 {
        lookup(&self.received, channel)
    }
}

fn lookup(counts: &[(usize, u64)], channel: usize) -> u64 {
    counts.iter().find(|(c, _)| *c == channel).map_or(0, |(_, n)| *n)
}

/// What a protocol's recovery lines cost, for comparing protocols.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineStats {
    /// Checkpoints rolled back past at restores: stored, newer than the recovery line.
    pub rolled_back_checkpoints: u64,
    /// The most checkpoints one subtask rolled back at one restore.
    pub max_rollback_depth: u64,
    /// Checkpoints discarded without ever being on a recovery line.
    pub useless_checkpoints: u64,
}

/// What the coordinator role is told about the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobContext {
    pub num_subtasks: usize,
    /// The subtasks that read the job's input.
    pub sources: Vec<SubtaskId>,
    /// Every channel of the job as (producer, consumer), indexed by the driver's channel id.
    pub channels: Vec<(SubtaskId, SubtaskId)>,
}

/// Control information a protocol attaches to a data buffer (communication-induced
/// protocols piggyback their dependency vectors this way).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Piggyback {
    /// The values carried, in the protocol's own layout.
    pub words: Vec<u64>,
    /// Bytes the control information adds to the buffer on the wire.
    pub bytes: u64,
}

/// Which checkpoint each subtask restores after a failure: a recovery line.
///
/// For a coordinated protocol every subtask restores the same checkpoint, including
/// its channel state. For protocols with message logging the entries differ per
/// subtask; the driver then also replays, on each channel, what the producer's
/// checkpoint had sent and the consumer's checkpoint had not received, from the
/// producer's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryLine {
    /// By subtask: the checkpoint it restores, or `None` to start from scratch.
    pub checkpoints: Vec<Option<CheckpointId>>,
}

impl RecoveryLine {
    /// Every one of `num_subtasks` subtasks restores checkpoint `id`.
    pub fn uniform(id: CheckpointId, num_subtasks: usize) -> Self {
        RecoveryLine {
            checkpoints: vec![Some(id); num_subtasks],
        }
    }

    /// The checkpoint all subtasks restore, when they restore the same one.
    pub fn common_checkpoint(&self) -> Option<CheckpointId> {
        let first = *self.checkpoints.first()?;
        self.checkpoints.iter().all(|c| *c == first).then_some(first).flatten()
    }
}

/// A checkpoint protocol's role at one subtask.
pub trait SubtaskProtocol: Debug + Send {
    /// The coordinator asked this subtask to checkpoint (a source in a coordinated
    /// protocol): snapshot and emit the barrier.
    fn on_trigger(&mut self, now: Nanos, barrier: Barrier);
    /// A barrier taken from the head of `channel`'s queue, in data order.
    fn on_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier);
    /// A barrier that overtook the buffers queued on `channel`.
    fn on_priority_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier);
    /// A barrier was received on `channel` and queued behind its data (Flink's
    /// `CheckpointBarrierAnnouncement`, a priority event): it is handed over again with
    /// `on_barrier` when it reaches the head of the queue, or with `on_priority_barrier`
    /// if the protocol makes it overtake the queue first.
    fn on_barrier_announcement(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        let _ = (now, channel, barrier);
    }
    /// A cancellation marker taken from `channel`.
    fn on_cancellation_marker(&mut self, now: Nanos, channel: ChannelIndex, checkpoint_id: CheckpointId);
    /// `channel` delivered its end of partition.
    fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex);
    /// A data buffer from `channel` is about to be processed, with the control
    /// information its producer attached. A protocol that must checkpoint before
    /// processing it emits the snapshot now.
    fn on_data(&mut self, now: Nanos, channel: ChannelIndex, piggyback: &Piggyback) {
        let _ = (now, channel, piggyback);
    }
    /// Time has reached [`Self::poll_timeout`].
    fn handle_timeout(&mut self, now: Nanos);

    /// The next thing the driver must do; `None` when all are drained.
    fn poll_action(&mut self) -> Option<SubtaskAction>;
    /// When the role next needs [`Self::handle_timeout`].
    fn poll_timeout(&self) -> Option<Nanos>;

    /// Whether the driver must leave `channel`'s queued data alone for now.
    fn is_blocked(&self, channel: ChannelIndex) -> bool;
    /// The checkpoint this subtask is collecting barriers for, if any.
    fn pending_checkpoint(&self) -> Option<CheckpointId>;
    /// The control information to attach to the next data buffer sent on output
    /// channel `channel`; `None` when the protocol piggybacks nothing.
    fn piggyback(&mut self, channel: ChannelIndex) -> Option<Piggyback> {
        let _ = channel;
        None
    }
    /// Whether this subtask's part of `checkpoint_id` includes the output buffers its
    /// forwarded barrier may still overtake (see `SubtaskAction::PrioritizeOutputBarrier`):
    /// then the driver completes the part only once that barrier has left every output
    /// backlog, sent or prioritized.
    fn times_out_output_barrier(&self, checkpoint_id: CheckpointId) -> bool {
        let _ = checkpoint_id;
        false
    }
    /// The state of snapshot `checkpoint_id` is being copied now: data sent from here
    /// on is after it.
    fn on_snapshot(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        let _ = (now, checkpoint_id);
    }
    /// Whether the driver keeps a log of what this subtask sends, for replay.
    fn logs_sent_data(&self) -> bool {
        false
    }
}

/// A checkpoint protocol's role at the coordinator of one job.
pub trait CoordinatorProtocol: Debug + Send {
    /// The job's tasks run: periodic triggers may start.
    fn start_scheduler(&mut self, now: Nanos);
    /// The job's tasks are gone (failover): no trigger until `start_scheduler`.
    fn stop_scheduler(&mut self, now: Nanos);
    /// Every task is deployed and running (`true`), or some task is not (`false`: still
    /// deploying at the start, or gone in a failover). Flink fails a trigger that finds a
    /// task not running with `NOT_ALL_REQUIRED_TASKS_RUNNING`.
    fn set_tasks_running(&mut self, now: Nanos, running: bool) {
        let _ = (now, running);
    }
    /// Every source finished: there is no input left to cut.
    fn stop_periodic_triggers(&mut self);
    /// A source operator reports whether it is processing backlog (Flink's
    /// `isProcessingBacklog`); `source` is the driver's own id for it. Protocols without
    /// a periodic trigger ignore it.
    fn set_is_processing_backlog(&mut self, now: Nanos, source: SourceId, backlog: bool) {
        let _ = (now, source, backlog);
    }
    /// A checkpoint (or savepoint) requested by the user at `now`.
    fn trigger(&mut self, now: Nanos, kind: SnapshotKind);
    /// A subtask started its part of `checkpoint_id` (its snapshot was decided).
    fn snapshot_started(&mut self, now: Nanos, checkpoint_id: CheckpointId, subtask: SubtaskId) {
        let _ = (now, checkpoint_id, subtask);
    }
    /// A subtask stored its part of `checkpoint_id`; `channels` says how far each of its
    /// channels had got at the snapshot.
    fn acknowledge(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        ack: SubtaskAck,
        channels: &ChannelCounts,
    );
    /// A subtask gave up on `checkpoint_id`.
    fn decline(&mut self, now: Nanos, checkpoint_id: CheckpointId, subtask: SubtaskId, reason: CheckpointFailureReason);
    /// The metadata asked for with `WriteMetadata` is stored.
    fn finalize_complete(&mut self, now: Nanos, checkpoint_id: CheckpointId);
    /// The metadata write failed.
    fn finalize_failed(&mut self, now: Nanos, checkpoint_id: CheckpointId);
    /// The driver could not start `checkpoint_id` (its tasks are not running).
    fn abort_checkpoint(&mut self, now: Nanos, checkpoint_id: CheckpointId, reason: CheckpointFailureReason);
    /// Every pending checkpoint fails with `reason` (a failover).
    fn abort_pending_checkpoints(&mut self, now: Nanos, reason: CheckpointFailureReason);
    /// `subtask` finished; checkpoints no longer wait for it.
    fn subtask_finished(&mut self, now: Nanos, subtask: SubtaskId);
    /// The job was deployed anew with `num_subtasks` running subtasks.
    fn tasks_restarted(&mut self, num_subtasks: usize);
    /// `subtasks` alone were deployed again (a region failover): later checkpoints
    /// wait for them, including those that had finished before.
    fn subtasks_restarted(&mut self, subtasks: &[usize]) {
        let _ = subtasks;
    }
    /// The job ended.
    fn shutdown(&mut self, now: Nanos, termination: JobTermination);
    /// After a failure: which checkpoint each subtask restores (`None`: from scratch).
    /// The coordinator records the restore.
    fn recovery_line(&mut self, now: Nanos) -> Option<RecoveryLine>;
    /// The job ended and is started again from snapshot `id` (a savepoint or a retained
    /// checkpoint), in claim mode `mode`: the next `recovery_line` restores it. Returns
    /// false when the protocol cannot start a job from a snapshot.
    fn start_from_snapshot(&mut self, id: CheckpointId, mode: RecoveryClaimMode) -> bool {
        let _ = (id, mode);
        false
    }
    /// Time has reached [`Self::poll_timeout`].
    fn handle_timeout(&mut self, now: Nanos);

    /// The next thing the driver must do; `None` when all are drained.
    fn poll_action(&mut self) -> Option<CoordinatorAction>;
    /// When the coordinator next needs [`Self::handle_timeout`].
    fn poll_timeout(&self) -> Option<Nanos>;

    /// Every checkpoint triggered, in id order, with Flink's statistics.
    fn history(&self) -> &[CheckpointStats];
    /// Flink's `counts` of the checkpoint statistics.
    fn counts(&self) -> CheckpointCounts;
    /// The latest restore, as Flink's `latest.restored` reports it.
    fn latest_restored(&self) -> Option<RestoredCheckpointStats>;
    /// The coordinator's configuration, as Flink's `/checkpoints/config` shows it.
    fn config(&self) -> &CoordinatorConfig;
    /// What recovery lines cost so far (nothing for a coordinated protocol).
    fn line_stats(&self) -> LineStats {
        LineStats::default()
    }
}

/// A checkpoint protocol: builds its roles for a job.
pub trait Protocol: Debug + Send + Sync {
    /// The name a scenario selects it by (`ckptsim.checkpointing.protocol`).
    fn name(&self) -> &str;
    /// The role of one subtask.
    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol>;
    /// The coordinator of a job; an error when the protocol's configuration is invalid.
    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError>;
    /// Whether the protocol checkpoints without barriers, so that every snapshot must
    /// record how far each channel had got ([`ChannelCounts`]).
    fn counts_channels(&self) -> bool {
        false
    }
}

/// A protocol value shared by a scenario and every world built from it.
pub type SharedProtocol = Arc<dyn Protocol>;

/// Flink's coordinated checkpoints: barriers from the sources, aligned, unaligned,
/// aligned with a timeout, or at-least-once, completed by Flink's coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlinkCheckpointing {
    pub coordinator: CoordinatorConfig,
    /// `execution.checkpointing.aligned-checkpoint-timeout`.
    pub aligned_checkpoint_timeout: Option<Nanos>,
    /// From when that timeout counts; Flink counts from the checkpoint's start.
    pub timeout_start: AlignmentTimeoutStart,
}

impl FlinkCheckpointing {
    /// Flink's protocol as `coordinator` configures it, the timeout counted as Flink does.
    pub fn new(coordinator: CoordinatorConfig, aligned_checkpoint_timeout: Option<Nanos>) -> Self {
        FlinkCheckpointing {
            coordinator,
            aligned_checkpoint_timeout,
            timeout_start: AlignmentTimeoutStart::CheckpointStart,
        }
    }
}

impl Protocol for FlinkCheckpointing {
    fn name(&self) -> &str {
        "coordinated"
    }

    fn subtask(&self, context: &SubtaskContext) -> Box<dyn SubtaskProtocol> {
        let mut config = BarrierHandlerConfig::new(
            self.coordinator.mode,
            context.input_producers.len(),
            self.aligned_checkpoint_timeout,
        );
        config.timeout_start = self.timeout_start;
        Box::new(BarrierHandler::with_config(config))
    }

    fn coordinator(&self, job: &JobContext) -> Result<Box<dyn CoordinatorProtocol>, ConfigError> {
        Ok(Box::new(CheckpointCoordinator::new(
            self.coordinator.clone(),
            job.num_subtasks,
        )?))
    }
}

impl SubtaskProtocol for BarrierHandler {
    fn on_trigger(&mut self, now: Nanos, barrier: Barrier) {
        self.trigger(now, barrier);
    }
    fn on_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        BarrierHandler::on_barrier(self, now, channel, barrier);
    }
    fn on_priority_barrier(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        BarrierHandler::on_priority_barrier(self, now, channel, barrier);
    }
    fn on_barrier_announcement(&mut self, now: Nanos, channel: ChannelIndex, barrier: Barrier) {
        BarrierHandler::on_barrier_announcement(self, now, channel, barrier);
    }
    fn on_cancellation_marker(&mut self, now: Nanos, channel: ChannelIndex, checkpoint_id: CheckpointId) {
        BarrierHandler::on_cancellation_marker(self, now, channel, checkpoint_id);
    }
    fn on_end_of_partition(&mut self, now: Nanos, channel: ChannelIndex) {
        BarrierHandler::on_end_of_partition(self, now, channel);
    }
    fn handle_timeout(&mut self, now: Nanos) {
        BarrierHandler::handle_timeout(self, now);
    }
    fn poll_action(&mut self) -> Option<SubtaskAction> {
        BarrierHandler::poll_action(self)
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        BarrierHandler::poll_timeout(self)
    }
    fn is_blocked(&self, channel: ChannelIndex) -> bool {
        BarrierHandler::is_blocked(self, channel)
    }
    fn pending_checkpoint(&self) -> Option<CheckpointId> {
        BarrierHandler::pending_checkpoint(self)
    }
    fn times_out_output_barrier(&self, checkpoint_id: CheckpointId) -> bool {
        BarrierHandler::times_out_output_barrier(self, checkpoint_id)
    }
}

impl CoordinatorProtocol for CheckpointCoordinator {
    fn start_scheduler(&mut self, now: Nanos) {
        CheckpointCoordinator::start_scheduler(self, now);
    }
    fn stop_scheduler(&mut self, now: Nanos) {
        CheckpointCoordinator::stop_scheduler(self, now);
    }
    fn set_tasks_running(&mut self, now: Nanos, running: bool) {
        CheckpointCoordinator::set_tasks_running(self, now, running);
    }
    fn stop_periodic_triggers(&mut self) {
        CheckpointCoordinator::stop_periodic_triggers(self);
    }
    fn set_is_processing_backlog(&mut self, now: Nanos, source: SourceId, backlog: bool) {
        CheckpointCoordinator::set_is_processing_backlog(self, now, source, backlog);
    }
    fn trigger(&mut self, now: Nanos, kind: SnapshotKind) {
        match kind {
            SnapshotKind::Savepoint => self.trigger_savepoint(now),
            SnapshotKind::Checkpoint => self.trigger_checkpoint(now, kind),
        };
    }
    fn acknowledge(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        ack: SubtaskAck,
        _channels: &ChannelCounts,
    ) {
        CheckpointCoordinator::acknowledge(self, now, checkpoint_id, subtask, ack);
    }
    fn decline(
        &mut self,
        now: Nanos,
        checkpoint_id: CheckpointId,
        subtask: SubtaskId,
        reason: CheckpointFailureReason,
    ) {
        CheckpointCoordinator::decline(self, now, checkpoint_id, subtask, reason);
    }
    fn finalize_complete(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        CheckpointCoordinator::finalize_complete(self, now, checkpoint_id);
    }
    fn finalize_failed(&mut self, now: Nanos, checkpoint_id: CheckpointId) {
        CheckpointCoordinator::finalize_failed(self, now, checkpoint_id);
    }
    fn abort_checkpoint(&mut self, now: Nanos, checkpoint_id: CheckpointId, reason: CheckpointFailureReason) {
        CheckpointCoordinator::abort_checkpoint(self, now, checkpoint_id, reason);
    }
    fn abort_pending_checkpoints(&mut self, now: Nanos, reason: CheckpointFailureReason) {
        CheckpointCoordinator::abort_pending_checkpoints(self, now, reason);
    }
    fn subtask_finished(&mut self, now: Nanos, subtask: SubtaskId) {
        CheckpointCoordinator::subtask_finished(self, now, subtask);
    }
    fn tasks_restarted(&mut self, num_subtasks: usize) {
        CheckpointCoordinator::tasks_restarted(self, num_subtasks);
    }
    fn subtasks_restarted(&mut self, subtasks: &[usize]) {
        CheckpointCoordinator::subtasks_restarted(self, subtasks);
    }
    fn shutdown(&mut self, now: Nanos, termination: JobTermination) {
        CheckpointCoordinator::shutdown(self, now, termination);
    }
    fn start_from_snapshot(&mut self, id: CheckpointId, mode: RecoveryClaimMode) -> bool {
        CheckpointCoordinator::start_from_snapshot(self, id, mode);
        true
    }
    fn recovery_line(&mut self, now: Nanos) -> Option<RecoveryLine> {
        let n = self.num_subtasks();
        self.restore_latest_checkpoint(now)
            .map(|id| RecoveryLine::uniform(id, n))
    }
    fn handle_timeout(&mut self, now: Nanos) {
        CheckpointCoordinator::handle_timeout(self, now);
    }
    fn poll_action(&mut self) -> Option<CoordinatorAction> {
        CheckpointCoordinator::poll_action(self)
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        CheckpointCoordinator::poll_timeout(self)
    }
    fn history(&self) -> &[CheckpointStats] {
        CheckpointCoordinator::history(self)
    }
    fn counts(&self) -> CheckpointCounts {
        CheckpointCoordinator::counts(self)
    }
    fn latest_restored(&self) -> Option<RestoredCheckpointStats> {
        CheckpointCoordinator::latest_restored(self)
    }
    fn config(&self) -> &CoordinatorConfig {
        CheckpointCoordinator::config(self)
    }
}
