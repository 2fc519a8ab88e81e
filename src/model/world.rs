//! The simulated world: subtasks on TaskManagers, joined by credit-based channels,
//! driven by the kernel's event queue.
//!
//! Each handler mutates the world and names the subtasks that may now make progress;
//! the main loop runs those after the handler returns. No handler calls another
//! subtask's step directly, so there is no re-entrancy and the order of work is the
//! order of the queue.

mod checkpointing;
mod network;
mod recovery;

pub use checkpointing::{CheckpointRuntime, CheckpointSnapshot, SubtaskBreakdown, SubtaskSnapshot};
pub use recovery::{JobStatus, RecoveryState};

use super::channel::{Channel, ChannelId, Gate, Item, OpenBuffer};
use super::operator::{DenseKeyedState, KeySlots, OperatorLogic, SinkMode};
use super::record::Record;
use super::source::{KeySampler, PartitionLog};
use super::storage::CheckpointStorage;
use super::taskmanager::{Cpu, Disk, Link, TaskManager};
use crate::protocol::barrier::BarrierHandler;
use crate::scenario::{OperatorLogicSpec, Partitioning, Scenario, TimeCharacteristic};
use crate::sim::{EventQueue, Nanos, TraceDigest};
use crate::stats::histogram::Histogram;
use std::collections::VecDeque;

/// What the kernel's queue holds.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// An idle source looks for new records.
    Poll(usize),
    /// A subtask finished the CPU work it started in the given epoch (an
    /// interrupted batch leaves a stale event behind, which is skipped).
    BatchDone(usize, u64),
    /// The next in-flight item of a channel arrives at its consumer.
    Deliver(ChannelId),
    /// A credit announcement reaches a channel's producer.
    Credit(ChannelId),
    /// The buffer timeout of a subtask's outputs expires.
    Flush(usize),
    /// A processing-time timer of a subtask.
    Timer(usize),
    /// Periodic metrics sample.
    Sample,
    /// A checkpoint (false) or savepoint (true) requested at a fixed time.
    ManualTrigger(bool),
    /// The checkpoint coordinator's timer.
    CoordinatorTimer,
    /// The coordinator's trigger reaches a source subtask.
    SourceTrigger(usize, u64),
    /// A barrier handler's alignment timer.
    BarrierTimer(usize),
    /// A snapshot's local disk write finished.
    DiskDone(usize, u64),
    /// A snapshot's upload to checkpoint storage finished.
    UploadDone(usize, u64),
    /// A snapshot's channel state upload finished.
    ChannelUploadDone(usize, u64),
    /// A subtask's acknowledgement reaches the coordinator.
    Ack(usize, u64),
    /// A subtask's decline reaches the coordinator.
    Decline(usize, u64),
    /// A checkpoint's metadata is in storage.
    MetadataWritten(u64),
    /// The completion notice reaches a subtask.
    NotifyComplete(usize, u64),
    /// Writing a checkpoint's metadata failed.
    MetadataFailed(u64),
    /// The scenario's fault with this index strikes.
    Fault(usize),
    /// A crashed TaskManager is back.
    TaskManagerBack(u32),
    /// The standby JobManager has taken over.
    JobManagerBack,
    /// The restart delay of this attempt has passed.
    Restart(u32),
    /// The restored state of this attempt is in place: the tasks run again.
    Running(u32),
    /// A stalled subtask gets CPU again.
    StallEnd(usize),
}

impl Event {
    fn digest_words(self) -> (u64, u64) {
        match self {
            Event::Poll(s) => (1, s as u64),
            Event::BatchDone(s, e) => (2, (s as u64) << 32 | e),
            Event::Deliver(c) => (3, c as u64),
            Event::Credit(c) => (4, c as u64),
            Event::Flush(s) => (5, s as u64),
            Event::Timer(s) => (6, s as u64),
            Event::Sample => (7, 0),
            Event::ManualTrigger(savepoint) => (8, savepoint as u64),
            Event::CoordinatorTimer => (9, 0),
            Event::SourceTrigger(s, c) => (10, (s as u64) << 32 | c),
            Event::BarrierTimer(s) => (11, s as u64),
            Event::DiskDone(s, c) => (12, (s as u64) << 32 | c),
            Event::UploadDone(s, c) => (13, (s as u64) << 32 | c),
            Event::ChannelUploadDone(s, c) => (14, (s as u64) << 32 | c),
            Event::Ack(s, c) => (15, (s as u64) << 32 | c),
            Event::Decline(s, c) => (16, (s as u64) << 32 | c),
            Event::MetadataWritten(c) => (17, c),
            Event::NotifyComplete(s, c) => (18, (s as u64) << 32 | c),
            Event::MetadataFailed(c) => (19, c),
            Event::Fault(i) => (20, i as u64),
            Event::TaskManagerBack(tm) => (21, u64::from(tm)),
            Event::JobManagerBack => (22, 0),
            Event::Restart(a) => (23, u64::from(a)),
            Event::Running(a) => (24, u64::from(a)),
            Event::StallEnd(s) => (25, s as u64),
        }
    }

    /// Whether the event outlives a failover: the failed tasks' work is dropped, the
    /// coordinator's, the metrics' and the faults' is not.
    fn survives_failover(&self) -> bool {
        matches!(
            self,
            Event::Sample
                | Event::ManualTrigger(_)
                | Event::CoordinatorTimer
                | Event::MetadataWritten(_)
                | Event::MetadataFailed(_)
                | Event::Fault(_)
                | Event::TaskManagerBack(_)
                | Event::JobManagerBack
                | Event::Restart(_)
                | Event::Running(_)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaskState {
    Idle,
    WaitingForCore,
    Busy,
}

struct OutputEdge {
    partitioning: Partitioning,
    /// Channels by consumer subtask index (one channel for forward).
    channels: Vec<ChannelId>,
    next_rebalance: usize,
}

struct SourceReader {
    partitions: Vec<PartitionLog>,
    /// Partition to read first next time, so partitions take turns.
    next_partition: usize,
    poll_scheduled: bool,
    poll_interval: Nanos,
    max_batch: u64,
    next_watermark_at: Nanos,
    last_watermark: Nanos,
    /// The memory every batch of this source is read into, reused from batch to
    /// batch: it stays in cache, where a buffer from the shared pool is one that
    /// some consumer last used (3 % of bench-64's wall time).
    batch_buffer: Vec<Record>,
}

/// Counters of one subtask, in the words of Flink's task metrics.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SubtaskMetrics {
    pub records_in: u64,
    pub records_out: u64,
    /// CPU time spent processing.
    pub busy_ns: Nanos,
    /// Time with at least one output channel's backlog full (Flink: backPressuredTime).
    pub backpressured_ns: Nanos,
}

pub struct Subtask {
    pub op: usize,
    pub index: u32,
    pub tm: usize,
    pub logic: OperatorLogic,
    cpu_per_record: Nanos,
    inputs: Vec<ChannelId>,
    input_watermarks: Vec<Nanos>,
    watermark: Nanos,
    inputs_ended: usize,
    available: VecDeque<ChannelId>,
    outputs: Vec<OutputEdge>,
    /// Output channels with a partly filled buffer.
    dirty: Vec<ChannelId>,
    /// Output channels whose backlog is at its limit; the subtask waits while any is.
    full_outputs: u32,
    backpressured_since: Option<Nanos>,
    state: TaskState,
    batch: Vec<Record>,
    batch_from: Option<ChannelId>,
    flush_armed: bool,
    pub finished: bool,
    source: Option<SourceReader>,
    pub metrics: SubtaskMetrics,
    /// The barrier handler of this subtask's input, when checkpointing is on.
    barriers: Option<BarrierHandler>,
    /// Snapshots decided and waiting for the subtask to be between batches.
    pending_snapshots: VecDeque<u64>,
    /// Checkpoint triggers that reached this source, not yet injected.
    source_triggers: VecDeque<u64>,
    barrier_timer_at: Option<Nanos>,
    /// The CPU work in progress is a snapshot's synchronous phase: (checkpoint, cost).
    sync_work: Option<(u64, Nanos)>,
    /// Input bytes processed while a checkpoint was aligning (Flink's processed data).
    processed_during_alignment: u64,
    /// Counts CPU grants, so that the completion of interrupted work is recognised.
    work_epoch: u64,
    /// When the CPU work in progress started.
    work_started: Nanos,
    /// The rest of a batch interrupted by a snapshot, resumed after it.
    /// (records, the channel to credit, the channel a restored batch belongs to).
    resume: Option<(Vec<Record>, Option<ChannelId>, Option<ChannelId>)>,
    /// Restored channel state by channel, processed before any new input.
    recovered: VecDeque<(ChannelId, Vec<Record>)>,
    /// The batch in hand is restored channel state of this channel.
    batch_recovered_from: Option<ChannelId>,
    /// A subtask-stall fault: no CPU before this time.
    stalled_until: Nanos,
    /// With the snapshot-before-alignment flaw: the checkpoint already snapshotted
    /// at its first barrier.
    early_snapshot: Option<u64>,
}

/// One point of the metrics time series.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub time: Nanos,
    /// Records read by all sources so far.
    pub source_records: u64,
    /// Records received by all sinks so far.
    pub sink_records: u64,
    /// Subtasks with a full output backlog at this instant.
    pub backpressured_subtasks: u32,
}

pub struct World {
    pub scenario: Scenario,
    pub now: Nanos,
    queue: EventQueue<Event>,
    pub digest: TraceDigest,
    pub subtasks: Vec<Subtask>,
    pub channels: Vec<Channel>,
    gates: Vec<Gate>,
    pub taskmanagers: Vec<TaskManager>,
    /// Subtasks to step once the current event is handled.
    wake: Vec<usize>,
    /// Emptied record vectors, reused for new buffers.
    pool: Vec<Vec<Record>>,
    scratch: Vec<Record>,
    /// The open buffer of every channel, by channel id.
    open: Vec<OpenBuffer>,
    /// Buffers that filled up during the current routing, in order.
    full_buffers: Vec<(ChannelId, Vec<Record>)>,
    /// Target channel of each record being routed.
    targets: Vec<ChannelId>,
    pub latency: Histogram,
    pub samples: Vec<Sample>,
    sample_interval: Nanos,
    unfinished: usize,
    emit_watermarks: bool,
    /// When the last source read its last record.
    pub sources_done_at: Nanos,
    pub storage: CheckpointStorage,
    /// The checkpointing side, when the scenario checkpoints.
    pub ckpt: Option<CheckpointRuntime>,
    /// Faults, failures and restarts.
    pub recovery: RecoveryState,
    /// When the job ended: finished, or failed for good. Events after it (a
    /// checkpoint timeout timer, say) do not stretch the run's statistics.
    pub ended_at: Option<Nanos>,
}

/// Hints the CPU to load the cache line at `address`; no effect on results.
#[inline]
fn prefetch<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint and never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// An empty open buffer for every channel.
fn open_buffers(channels: &[Channel]) -> Vec<OpenBuffer> {
    channels
        .iter()
        .map(|c| OpenBuffer {
            records: Vec::new(),
            capacity: c.capacity as u32,
            dirty: false,
        })
        .collect()
}

/// For each operator, `Some(p)` when its subtask i receives exactly the keys that
/// subtask i of a keyed operator with parallelism p owns.
fn key_partitioning(s: &Scenario) -> Vec<Option<u32>> {
    let mut layout: Vec<Option<u32>> = vec![None; s.operators.len()];
    for op in s.topological_order() {
        let own = s.operators[op].parallelism;
        let mut inputs = s.inputs_of(op).peekable();
        if inputs.peek().is_none() {
            continue;
        }
        let consistent = inputs.all(|e| match e.partitioning {
            Partitioning::Hash => true,
            Partitioning::Forward => layout[e.from] == Some(own),
            _ => false,
        });
        layout[op] = consistent.then_some(own);
    }
    layout
}

/// How a sink folds its input, from the operators upstream of it.
fn sink_modes(s: &Scenario) -> Vec<SinkMode> {
    let mut modes = vec![SinkMode::Append; s.operators.len()];
    for op in s.topological_order() {
        let inherited = s
            .inputs_of(op)
            .map(|e| modes[e.from])
            .max_by_key(|m| match m {
                SinkMode::Append => 0,
                SinkMode::Upsert => 1,
                SinkMode::UpsertWindows => 2,
                SinkMode::UpsertTotals => 3,
            })
            .unwrap_or(SinkMode::Append);
        modes[op] = match s.operators[op].logic {
            OperatorLogicSpec::Aggregate => SinkMode::Upsert,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Event,
                ..
            } => SinkMode::UpsertWindows,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Processing,
                ..
            } => SinkMode::UpsertTotals,
            _ => inherited,
        };
    }
    modes
}

/// The job's tasks as deployed: subtasks with fresh state, and the channels and
/// input gates between them. A failover deploys them anew.
fn build_tasks(s: &Scenario) -> (Vec<Subtask>, Vec<Channel>, Vec<Gate>) {
    let net = &s.network;
    let modes = sink_modes(s);
    // Subtasks, operator by operator; first_subtask[op] is the id of subtask 0.
    let mut subtasks = Vec::new();
    let mut first_subtask = Vec::new();
    let mut partition_id = 0u64;
    // Keys never change along the job, so every key is below the largest source key count.
    let key_count = s
        .operators
        .iter()
        .filter_map(|o| match &o.logic {
            OperatorLogicSpec::Source(src) => Some(src.keys.count()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let key_partitioned = key_partitioning(s);
    let mut slot_layouts: Vec<(u32, KeySlots)> = Vec::new();
    for (op_index, op) in s.operators.iter().enumerate() {
        first_subtask.push(subtasks.len());
        // Keyed operators, and sinks that receive only the keys they own, keep
        // dense per-key state; operators of equal parallelism share the layout.
        let key_slots = key_partitioned[op_index]
            .filter(|_| op.logic.is_keyed() || matches!(op.logic, OperatorLogicSpec::Sink))
            .map(|p| {
                if let Some((_, layout)) = slot_layouts.iter().find(|(q, _)| *q == p) {
                    return layout.clone();
                }
                let layout = KeySlots::new(key_count, s.max_parallelism, p);
                slot_layouts.push((p, layout.clone()));
                layout
            });
        let keys = match &op.logic {
            OperatorLogicSpec::Source(src) => Some(KeySampler::new(&src.keys)),
            _ => None,
        };
        for index in 0..op.parallelism {
            let source = match (&op.logic, &keys) {
                (OperatorLogicSpec::Source(src), Some(sampler)) => {
                    // Partitions are assigned round-robin, as Kafka's source does.
                    let partitions = (0..src.partitions)
                        .filter(|p| p % op.parallelism == index)
                        .map(|p| {
                            PartitionLog::new(
                                src,
                                sampler.clone(),
                                s.seed,
                                p,
                                partition_id + u64::from(p),
                                s.duration_ns,
                            )
                        })
                        .collect();
                    Some(SourceReader {
                        partitions,
                        next_partition: 0,
                        poll_scheduled: false,
                        poll_interval: src.poll_interval_ns,
                        max_batch: 1024,
                        next_watermark_at: 0,
                        last_watermark: 0,
                        batch_buffer: Vec::new(),
                    })
                }
                _ => None,
            };
            subtasks.push(Subtask {
                op: op_index,
                index,
                tm: op.placement[index as usize] as usize,
                logic: OperatorLogic::new(
                    &op.logic,
                    modes[op_index],
                    key_slots.as_ref().map(|k| DenseKeyedState::new(k, index)),
                ),
                cpu_per_record: op.cpu_per_record_ns[index as usize],
                inputs: Vec::new(),
                input_watermarks: Vec::new(),
                watermark: 0,
                inputs_ended: 0,
                available: VecDeque::new(),
                outputs: Vec::new(),
                dirty: Vec::new(),
                full_outputs: 0,
                backpressured_since: None,
                state: TaskState::Idle,
                batch: Vec::new(),
                batch_from: None,
                flush_armed: false,
                finished: false,
                source,
                metrics: SubtaskMetrics::default(),
                barriers: None,
                pending_snapshots: VecDeque::new(),
                source_triggers: VecDeque::new(),
                barrier_timer_at: None,
                sync_work: None,
                processed_during_alignment: 0,
                work_epoch: 0,
                work_started: 0,
                resume: None,
                recovered: VecDeque::new(),
                batch_recovered_from: None,
                stalled_until: 0,
                early_snapshot: None,
            });
        }
        if let OperatorLogicSpec::Source(src) = &op.logic {
            partition_id += u64::from(src.partitions);
        }
    }

    // Channels and gates, edge by edge.
    let mut channels = Vec::new();
    let mut gates = Vec::new();
    for edge in &s.edges {
        let (from, to) = (&s.operators[edge.from], &s.operators[edge.to]);
        let first_gate = gates.len();
        for _ in 0..to.parallelism {
            gates.push(Gate {
                floating_free: net.floating_buffers_per_gate,
                waiting: VecDeque::new(),
            });
        }
        for p in 0..from.parallelism {
            let producer = first_subtask[edge.from] + p as usize;
            let targets: Vec<u32> = match edge.partitioning {
                Partitioning::Forward => vec![p],
                _ => (0..to.parallelism).collect(),
            };
            let mut out_channels = Vec::with_capacity(targets.len());
            for c in targets {
                let consumer = first_subtask[edge.to] + c as usize;
                let id = channels.len();
                let consumer_input = subtasks[consumer].inputs.len();
                subtasks[consumer].inputs.push(id);
                subtasks[consumer].input_watermarks.push(0);
                let local = subtasks[producer].tm == subtasks[consumer].tm;
                channels.push(Channel::new(
                    producer,
                    consumer,
                    consumer_input,
                    first_gate + c as usize,
                    local,
                    from.record_size_bytes,
                    net.buffer_size_bytes,
                ));
                out_channels.push(id);
            }
            let start = p as usize % out_channels.len().max(1);
            subtasks[producer].outputs.push(OutputEdge {
                partitioning: edge.partitioning,
                channels: out_channels,
                next_rebalance: start,
            });
        }
    }

    (subtasks, channels, gates)
}

impl World {
    pub fn new(scenario: Scenario) -> Self {
        let s = &scenario;
        let taskmanagers = (0..s.cluster.taskmanagers)
            .map(|_| TaskManager {
                cpu: Cpu {
                    free_cores: s.cluster.cpu_cores_per_taskmanager,
                    run_queue: VecDeque::new(),
                },
                link: Link::default(),
                disk: Disk {
                    write_bandwidth: s.cluster.disk.write_bandwidth_bytes_per_s,
                    capacity: s.cluster.disk.capacity_bytes,
                    used: 0,
                    free_at: 0,
                    full: Vec::new(),
                    slow: Vec::new(),
                },
            })
            .collect();

        let (subtasks, channels, gates) = build_tasks(s);

        let emit_watermarks = s.operators.iter().any(|o| {
            matches!(
                o.logic,
                OperatorLogicSpec::Window {
                    time: TimeCharacteristic::Event,
                    ..
                }
            )
        });
        let sample_interval = (s.duration_ns / 200).max(1_000_000);
        let unfinished = subtasks.len();
        let storage = CheckpointStorage::new(&s.cluster.checkpoint_storage);
        let mut world = World {
            scenario,
            now: 0,
            queue: EventQueue::new(),
            digest: TraceDigest::new(),
            subtasks,
            channels,
            gates,
            taskmanagers,
            wake: Vec::new(),
            pool: Vec::new(),
            scratch: Vec::new(),
            open: Vec::new(),
            full_buffers: Vec::new(),
            targets: Vec::new(),
            latency: Histogram::default(),
            samples: Vec::new(),
            sample_interval,
            unfinished,
            emit_watermarks,
            sources_done_at: 0,
            storage,
            ckpt: None,
            recovery: RecoveryState::default(),
            ended_at: None,
        };
        for st in 0..world.subtasks.len() {
            if world.subtasks[st].source.is_some() {
                world.wake.push(st);
            }
        }
        world.open = open_buffers(&world.channels);
        world.queue.push(0, Event::Sample);
        world.start_checkpointing();
        world.schedule_faults();
        world
    }

    /// Runs until the job has drained. `progress` is called now and then with the
    /// virtual time reached; it observes, it cannot change the run.
    pub fn run(&mut self, mut progress: impl FnMut(Nanos)) {
        self.run_woken();
        let mut handled: u64 = 0;
        while let Some((time, event)) = self.queue.pop() {
            self.now = time;
            let (kind, id) = event.digest_words();
            self.digest.event(time, kind, id, 0);
            match event {
                Event::Poll(st) => {
                    if let Some(reader) = self.subtasks[st].source.as_mut() {
                        reader.poll_scheduled = false;
                    }
                    self.wake.push(st);
                }
                Event::BatchDone(st, epoch) => {
                    if epoch == self.subtasks[st].work_epoch {
                        self.batch_done(st)
                    }
                }
                Event::Deliver(ch) => self.deliver(ch),
                Event::Credit(ch) => self.credit_arrived(ch),
                Event::Flush(st) => self.flush_timeout(st),
                Event::Timer(st) => self.timer(st),
                Event::Sample => self.sample(),
                Event::ManualTrigger(savepoint) => self.manual_trigger(savepoint),
                Event::CoordinatorTimer => self.coordinator_timer(),
                Event::SourceTrigger(st, id) => self.source_trigger(st, id),
                Event::BarrierTimer(st) => self.barrier_timer(st),
                Event::DiskDone(st, id) => self.disk_done(st, id),
                Event::UploadDone(st, id) => self.upload_done(st, id),
                Event::ChannelUploadDone(st, id) => self.channel_upload_done(st, id),
                Event::Ack(st, id) => self.ack_arrived(st, id),
                Event::Decline(st, id) => self.decline_arrived(st, id),
                Event::MetadataWritten(id) => self.metadata_written(id),
                Event::NotifyComplete(st, id) => self.notify_complete(st, id),
                Event::MetadataFailed(id) => self.metadata_failed(id),
                Event::Fault(i) => self.fault_strikes(i),
                Event::TaskManagerBack(tm) => self.taskmanager_back(tm),
                Event::JobManagerBack => self.jobmanager_back(),
                Event::Restart(attempt) => self.restart_due(attempt),
                Event::Running(attempt) => self.restored(attempt),
                Event::StallEnd(st) => {
                    // While the job restarts, the tasks wait for their restored state.
                    if self.recovery.status == JobStatus::Running {
                        self.wake.push(st)
                    }
                }
            }
            self.run_woken();
            handled += 1;
            if handled & 0xffff == 0 {
                progress(self.now);
            }
        }
        self.close_backpressure();
    }

    fn run_woken(&mut self) {
        while let Some(st) = self.wake.pop() {
            self.step(st);
        }
    }

    /// Lets a subtask take its next piece of work, if it is free to.
    fn step(&mut self, st: usize) {
        loop {
            let s = &mut self.subtasks[st];
            if s.finished || s.state != TaskState::Idle || s.stalled_until > self.now {
                return;
            }
            // Checkpoint work runs as mailbox actions, as in Flink: before any further
            // input, and even while backpressure holds the input back.
            if let Some(id) = s.pending_snapshots.pop_front() {
                self.start_sync(st, id);
                return;
            }
            if let Some((rest, from, origin)) = s.resume.take() {
                // The rest of a buffer interrupted by a snapshot; it was counted once.
                s.batch = rest;
                s.batch_from = from;
                s.batch_recovered_from = origin;
                let cost = s.batch.len() as Nanos * s.cpu_per_record;
                self.start_work(st, cost);
                return;
            }
            if let Some((ch, records)) = s.recovered.pop_front() {
                // Restored channel state: records that were in flight at the checkpoint.
                self.start_batch(st, records, None);
                self.subtasks[st].batch_recovered_from = Some(ch);
                return;
            }
            if !s.source_triggers.is_empty() {
                self.inject_source_barriers(st);
                continue;
            }
            if s.full_outputs > 0 {
                return;
            }
            if s.source.is_some() {
                self.source_step(st);
                return;
            }
            let Some(&ch) = s.available.front() else {
                return;
            };
            let input = self.channels[ch].consumer_input;
            if s.barriers.as_ref().is_some_and(|h| h.is_blocked(input))
                && self.scenario.flaw != Some(crate::fault::Flaw::BarrierDoesNotBlock)
            {
                // Aligning: this channel's data waits until the handler unblocks it.
                s.available.pop_front();
                self.channels[ch].enqueued_for_consumer = false;
                continue;
            }
            s.available.pop_front();
            let channel = &mut self.channels[ch];
            let item = channel
                .queue
                .pop_front()
                .expect("an available channel has a queued item");
            if channel.queue.is_empty() {
                channel.enqueued_for_consumer = false;
            } else {
                s.available.push_back(ch);
            }
            let now = self.now;
            match item {
                Item::Data(records) => {
                    self.start_batch(st, records, Some(ch));
                    return;
                }
                Item::Watermark(w) => self.input_watermark(st, input, w),
                Item::EndOfPartition => {
                    if let Some(handler) = self.subtasks[st].barriers.as_mut() {
                        handler.on_end_of_partition(now, input);
                        self.drain_barrier_actions(st);
                    }
                    self.input_ended(st, input)
                }
                Item::Barrier { id, .. } => {
                    if let Some(barrier) = self.barrier_of(id)
                        && let Some(handler) = self.subtasks[st].barriers.as_mut()
                    {
                        handler.on_barrier(now, input, barrier);
                        self.snapshot_early_if_flawed(st, barrier);
                        self.drain_barrier_actions(st);
                    }
                }
                Item::Cancel(id) => {
                    if let Some(handler) = self.subtasks[st].barriers.as_mut() {
                        handler.on_cancellation_marker(now, input, id);
                        self.drain_barrier_actions(st);
                    }
                }
            }
        }
    }

    fn source_step(&mut self, st: usize) {
        let now = self.now;
        let reader = self.subtasks[st].source.as_mut().expect("source");
        if reader.poll_scheduled {
            return;
        }
        let mut batch = std::mem::take(&mut reader.batch_buffer);
        let mut read = 0;
        let n = reader.partitions.len();
        for k in 0..n {
            let p = (reader.next_partition + k) % n;
            read += reader.partitions[p].read(now, reader.max_batch - read, &mut batch);
            if read >= reader.max_batch {
                break;
            }
        }
        reader.next_partition = (reader.next_partition + 1) % n.max(1);
        let exhausted = reader.partitions.iter().all(|p| p.is_exhausted());
        if read > 0 {
            self.start_batch(st, batch, None);
            return;
        }
        self.subtasks[st].source.as_mut().expect("source").batch_buffer = batch;
        // Idle: the records read so far are all out, so a watermark may follow them.
        self.emit_source_watermark(st);
        let reader = self.subtasks[st].source.as_mut().expect("source");
        if exhausted {
            self.end_of_input(st);
            return;
        }
        let next_record = reader
            .partitions
            .iter()
            .filter(|p| !p.is_exhausted())
            .map(|p| p.append_time(p.next_offset))
            .min()
            .unwrap_or(now);
        reader.poll_scheduled = true;
        let at = next_record.max(now + reader.poll_interval);
        self.queue.push(at, Event::Poll(st));
    }

    fn start_batch(&mut self, st: usize, records: Vec<Record>, from: Option<ChannelId>) {
        let s = &mut self.subtasks[st];
        let cost = records.len() as Nanos * s.cpu_per_record;
        if s.barriers.as_ref().is_some_and(|h| h.pending_checkpoint().is_some())
            && let Some(ch) = from
        {
            s.processed_during_alignment += records.len() as u64 * self.channels[ch].record_size;
        }
        s.batch = records;
        s.batch_from = from;
        s.batch_recovered_from = None;
        self.start_work(st, cost);
    }

    /// CPU work of `cost` for a subtask: on a free core now, or in the TaskManager's
    /// run queue until one frees.
    fn start_work(&mut self, st: usize, cost: Nanos) {
        let s = &mut self.subtasks[st];
        let cpu = &mut self.taskmanagers[s.tm].cpu;
        if cpu.free_cores > 0 {
            cpu.free_cores -= 1;
            s.state = TaskState::Busy;
            s.metrics.busy_ns += cost;
            s.work_epoch += 1;
            s.work_started = self.now;
            self.queue.push(self.now + cost, Event::BatchDone(st, s.work_epoch));
        } else {
            s.state = TaskState::WaitingForCore;
            cpu.run_queue.push_back(st);
        }
    }

    /// Frees the core `st` held: the next subtask waiting on the TaskManager gets it.
    fn release_core(&mut self, st: usize) {
        let now = self.now;
        let tm = self.subtasks[st].tm;
        let cpu = &mut self.taskmanagers[tm].cpu;
        if let Some(next) = cpu.run_queue.pop_front() {
            let n = &mut self.subtasks[next];
            let cost = match n.sync_work {
                Some((_, cost)) => cost,
                None => n.batch.len() as Nanos * n.cpu_per_record,
            };
            n.state = TaskState::Busy;
            n.metrics.busy_ns += cost;
            n.work_epoch += 1;
            n.work_started = now;
            self.queue.push(now + cost, Event::BatchDone(next, n.work_epoch));
        } else {
            cpu.free_cores += 1;
        }
        self.subtasks[st].state = TaskState::Idle;
    }

    fn batch_done(&mut self, st: usize) {
        self.release_core(st);
        if let Some((id, _)) = self.subtasks[st].sync_work.take() {
            self.sync_done(st, id);
            self.wake.push(st);
            return;
        }
        let batch = std::mem::take(&mut self.subtasks[st].batch);
        let from = self.subtasks[st].batch_from.take();
        self.complete_records(st, batch, from, true);
        self.wake.push(st);
    }

    /// A snapshot decided while `st` is in the middle of a buffer: the records its CPU
    /// time covers so far are done, the rest resume after the snapshot. Flink takes
    /// the snapshot between records. Sources are left alone: their batch was already
    /// taken from the log, and their snapshot holds the offsets after it.
    pub(super) fn interrupt_batch(&mut self, st: usize) {
        let now = self.now;
        let s = &mut self.subtasks[st];
        if s.sync_work.is_some() || s.source.is_some() || s.batch.is_empty() {
            return;
        }
        if s.state == TaskState::WaitingForCore {
            // Not started: the whole buffer waits for after the snapshot.
            let rest = std::mem::take(&mut s.batch);
            s.resume = Some((rest, s.batch_from.take(), s.batch_recovered_from.take()));
            s.state = TaskState::Idle;
            self.taskmanagers[s.tm].cpu.run_queue.retain(|&w| w != st);
            return;
        }
        if s.state != TaskState::Busy {
            return;
        }
        let cpu = s.cpu_per_record;
        // Records whose CPU time has passed (all of them when records cost nothing).
        let len = s.batch.len() as u64;
        let done = (now - s.work_started).checked_div(cpu).map_or(len, |d| d.min(len)) as usize;
        let rest = s.batch.split_off(done);
        s.metrics.busy_ns -= rest.len() as Nanos * cpu;
        let first = std::mem::take(&mut s.batch);
        let from = s.batch_from.take();
        s.work_epoch += 1;
        s.resume = Some((rest, from, s.batch_recovered_from.take()));
        self.release_core(st);
        self.complete_records(st, first, from, false);
    }

    /// Applies the operator to records whose CPU work is done and routes its output.
    /// They came from channel `from`, whose buffer goes back as a credit when this
    /// was its `last_part`.
    fn complete_records(&mut self, st: usize, batch: Vec<Record>, from: Option<ChannelId>, last_part: bool) {
        let now = self.now;
        let s = &mut self.subtasks[st];
        // The digest covers what was processed, not only when.
        self.digest.word(batch.len() as u64);
        let mut out = std::mem::take(&mut self.scratch);
        s.metrics.records_in += batch.len() as u64;
        if matches!(s.logic, OperatorLogic::Sink { .. }) {
            for record in &batch {
                self.latency.record(now.saturating_sub(record.time));
            }
        }
        let mut timers = Vec::new();
        let is_source = matches!(s.logic, OperatorLogic::Source);
        if !is_source {
            s.logic.process_batch(now, &batch, &mut out, &mut timers);
        }
        for t in timers {
            self.queue.push(t, Event::Timer(st));
        }
        // A source's output is its batch as read: route it without a copy.
        self.route(st, if is_source { &batch } else { &out });
        out.clear();
        self.scratch = out;
        if let Some(ch) = from {
            self.channels[ch].records_consumed += batch.len() as u64;
            if last_part {
                self.release_buffer(ch);
            }
        }
        let mut batch = batch;
        batch.clear();
        match self.subtasks[st].source.as_mut() {
            Some(reader) => reader.batch_buffer = batch,
            None => self.pool.push(batch),
        }
        if self.scenario.network.buffer_timeout_ns == Some(0) {
            self.flush_all(st);
        }
        // A source's watermark follows the records of the batch just emitted.
        self.emit_source_watermark(st);
    }

    /// Emits a source's periodic watermark if one is due: the next unread record of
    /// every partition is later, so no record after it can be late. Called only when
    /// every record read so far has been emitted.
    fn emit_source_watermark(&mut self, st: usize) {
        let now = self.now;
        let interval = self.scenario.watermark_interval_ns;
        let Some(reader) = self.subtasks[st].source.as_mut() else {
            return;
        };
        if !self.emit_watermarks || now < reader.next_watermark_at {
            return;
        }
        reader.next_watermark_at = now + interval;
        let watermark = reader
            .partitions
            .iter()
            .filter(|p| !p.is_exhausted())
            .map(|p| p.append_time(p.next_offset).saturating_sub(1))
            .min();
        if let Some(w) = watermark
            && w > reader.last_watermark
        {
            reader.last_watermark = w;
            self.broadcast(st, || Item::Watermark(w));
        }
    }

    fn input_watermark(&mut self, st: usize, input: usize, watermark: Nanos) {
        let s = &mut self.subtasks[st];
        s.input_watermarks[input] = s.input_watermarks[input].max(watermark);
        self.advance_watermark(st);
    }

    fn advance_watermark(&mut self, st: usize) {
        let s = &mut self.subtasks[st];
        let combined = s.input_watermarks.iter().copied().min().unwrap_or(Nanos::MAX);
        if combined <= s.watermark {
            return;
        }
        s.watermark = combined;
        let mut out = std::mem::take(&mut self.scratch);
        s.logic.on_watermark(combined, &mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        if combined != Nanos::MAX {
            self.broadcast(st, || Item::Watermark(combined));
        }
    }

    fn input_ended(&mut self, st: usize, input: usize) {
        let s = &mut self.subtasks[st];
        s.inputs_ended += 1;
        s.input_watermarks[input] = Nanos::MAX;
        if s.inputs_ended == s.inputs.len() {
            self.end_of_input(st);
        } else {
            self.advance_watermark(st);
        }
    }

    /// All input of `st` has ended: fire what is left, flush, and end its outputs.
    fn end_of_input(&mut self, st: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        self.subtasks[st].logic.on_end_of_input(&mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        self.broadcast(st, || Item::EndOfPartition);
        if self.subtasks[st].source.is_some() {
            self.sources_done_at = self.now;
        }
        self.subtasks[st].finished = true;
        self.unfinished -= 1;
        if self.unfinished == 0 {
            self.ended_at = Some(self.now);
            // The job finished: every sink commits what it still holds, as after
            // Flink's final checkpoint. Not earlier: a failover before the whole job
            // finished replays the input, so a finished sink's output is not final yet.
            for s in &mut self.subtasks {
                s.logic.commit(None);
            }
        }
        self.checkpointing_subtask_finished(st);
    }

    fn timer(&mut self, st: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        self.subtasks[st].logic.on_timer(self.now, &mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        self.wake.push(st);
    }

    fn sample(&mut self) {
        let mut sample = Sample {
            time: self.now,
            source_records: 0,
            sink_records: 0,
            backpressured_subtasks: 0,
        };
        for s in &self.subtasks {
            match s.logic {
                OperatorLogic::Source => sample.source_records += s.metrics.records_in,
                OperatorLogic::Sink { .. } => sample.sink_records += s.metrics.records_in,
                _ => {}
            }
            if s.full_outputs > 0 {
                sample.backpressured_subtasks += 1;
            }
        }
        self.samples.push(sample);
        if self.unfinished > 0 && self.recovery.status != JobStatus::Failed {
            self.queue.push(self.now + self.sample_interval, Event::Sample);
        }
    }

    fn close_backpressure(&mut self) {
        let end = self.end_time();
        for s in &mut self.subtasks {
            if let Some(since) = s.backpressured_since.take() {
                s.metrics.backpressured_ns += end.saturating_sub(since);
            }
        }
    }

    /// When the job ended, or the last event's time if it did not.
    pub fn end_time(&self) -> Nanos {
        self.ended_at.unwrap_or(self.now)
    }

    /// The output of every sink operator, by operator index: the union of its
    /// subtasks' tables, folded as the sink folds.
    pub fn sink_outputs(&self) -> Vec<(usize, SinkOutput)> {
        let mut outputs: Vec<(usize, SinkOutput)> = Vec::new();
        for s in &self.subtasks {
            let OperatorLogic::Sink { table, mode, .. } = &s.logic else {
                continue;
            };
            let index = match outputs.iter().position(|(op, _)| *op == s.op) {
                Some(i) => i,
                None => {
                    outputs.push((s.op, SinkOutput::default()));
                    outputs.len() - 1
                }
            };
            let merged = &mut outputs[index].1;
            merged.records += table.records;
            for (key, row) in table.rows() {
                let into = merged.rows.entry(key).or_default();
                match mode {
                    SinkMode::Upsert | SinkMode::UpsertWindows => {
                        if row.count > into.count {
                            *into = row;
                        }
                    }
                    SinkMode::Append | SinkMode::UpsertTotals => {
                        into.count += row.count;
                        into.sum += row.sum;
                    }
                }
            }
        }
        outputs
    }

    /// How far each source partition was read, by (source operator, partition),
    /// over every attempt (a job that failed for good read further before).
    pub fn source_offsets(&self) -> Vec<(usize, u32, u64)> {
        let mut offsets = Vec::new();
        for s in &self.subtasks {
            if let Some(reader) = &s.source {
                offsets.extend(reader.partitions.iter().map(|p| {
                    let before = self.recovery.furthest_read(s.op, p.partition);
                    (s.op, p.partition, p.next_offset.max(before))
                }));
            }
        }
        offsets.sort_unstable();
        offsets
    }
}

/// What one sink operator holds at the end of a run.
#[derive(Clone, Debug, Default)]
pub struct SinkOutput {
    pub rows: std::collections::BTreeMap<super::operator::OutputKey, super::operator::CountSum>,
    pub records: u64,
}
