//! The simulated world: subtasks on TaskManagers, joined by credit-based channels,
//! driven by the kernel's event queue.
//!
//! Each handler mutates the world and names the subtasks that may now make progress;
//! the main loop runs those after the handler returns. No handler calls another
//! subtask's step directly, so there is no re-entrancy and the order of work is the
//! order of the queue.
//!
//! The rooms of the world, one job each:
//!
//! ```text
//! world.rs          the world's state and the main loop over the event queue
//! events.rs         what the queue holds, and how each event enters the digest
//! build.rs          deploying the job: subtasks, channels, gates, key layouts
//! tasks.rs          a subtask's next piece of work, CPU time, applying the operator
//! sources.rs        reading partitions' logs, polling, source watermarks
//! backlog.rs        sources processing backlog, reported to the coordinator
//! watermarks.rs     watermarks through the job
//! network.rs        routing into buffers, credits, links, delivery
//! checkpointing.rs  driving the checkpoint protocol, snapshot phases, uploads
//! recovery.rs       faults, failover, restart and restore
//! local_recovery.rs task-local state copies on the TaskManagers' disks
//! job_stop.rs       the user ends the job: cancel, stop-with-savepoint
//! job_resume.rs     the job submitted again from the snapshot its stop left
//! metrics.rs        the time series and per-subtask counters
//! outputs.rs        what the oracle reads: sink outputs, source offsets
//! ```

mod backlog;
mod build;
mod changelog;
mod checkpointing;
mod debloat;
mod events;
mod job_resume;
mod job_stop;
mod local_recovery;
mod logging;
mod metrics;
mod network;
mod outputs;
mod recovery;
mod region_failover;
mod remote_state;
mod sources;
mod state_storage;
mod tasks;
mod watermarks;

pub use backlog::BacklogPeriod;
pub use changelog::ChangelogSummary;
pub use checkpointing::{CheckpointRuntime, CheckpointSnapshot, LineRecord, SubtaskBreakdown, SubtaskSnapshot};
pub use job_resume::ResumeState;
pub use job_stop::StopState;
pub use logging::{ChannelLog, LineViolation, MessageLogs};
pub use outputs::SinkOutput;
pub use recovery::{JobStatus, RecoveryState};
pub use state_storage::{CheckpointFiles, StateStorage};

use build::{build_tasks, open_buffers};
use events::Event;

use super::channel::{Channel, ChannelId, Gate, Item, OpenBuffer};
use super::operator::OperatorLogic;
use super::record::Record;
use super::source::PartitionLog;
use super::storage::CheckpointStorage;
use super::taskmanager::{Cpu, Disk, Link, TaskManager};
use crate::protocol::interface::SubtaskProtocol;
use crate::scenario::{OperatorLogicSpec, Partitioning, Scenario, TimeCharacteristic};
use crate::sim::{EventQueue, Nanos, TraceDigest};
use crate::stats::histogram::Histogram;
use std::collections::VecDeque;

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
    /// Finished data buffers drawn from this output's buffer pool: waiting in a
    /// backlog, or (on a local channel) read by the consumer and not yet recycled.
    pool_in_use: u32,
    /// The pool's size: when all are drawn the producer is backpressured.
    pool_max: u32,
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
    /// Unread records above which this subtask processes backlog (`backlog-threshold`).
    backlog_threshold: u64,
    /// Whether it did at its last read.
    backlogged: bool,
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
    /// What each record of the current buffer waits for its state beyond its CPU
    /// time (`forst` only; 0 otherwise).
    state_access_ns: Nanos,
    /// This subtask's share of its TaskManager's ForSt file cache, once computed.
    cache_share: Option<u64>,
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
    /// This subtask's role in the checkpoint protocol, when checkpointing is on.
    protocol: Option<Box<dyn SubtaskProtocol>>,
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
}

impl Subtask {
    /// A record's processing time: its CPU time and what its state access waits.
    fn record_ns(&self) -> Nanos {
        self.cpu_per_record + self.state_access_ns
    }
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
    /// Bytes and files in checkpoint storage at this instant.
    #[serde(default)]
    pub storage_bytes: u64,
    #[serde(default)]
    pub storage_files: u64,
    /// With file merging on: the physical files those are segments of, and their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_storage: Option<PhysicalStorage>,
    /// Latency of the records that reached a sink since the sample before: how many,
    /// and their p50, p99 and maximum (0 when none arrived).
    #[serde(default)]
    pub latency: WindowLatency,
}

/// Physical files in checkpoint storage at one instant (file merging on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhysicalStorage {
    pub bytes: u64,
    pub files: u64,
}

/// Record latency over one sampling period.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowLatency {
    pub records: u64,
    pub p50_ns: Nanos,
    pub p99_ns: Nanos,
    pub max_ns: Nanos,
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
    /// The latencies since the last sample, emptied by each sample.
    latency_since_sample: Histogram,
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
    /// Each subtask's pipelined region (`region_failover`), named by its first subtask.
    pub regions: Vec<usize>,
    /// The regions a region failover is restarting.
    region_restart: Option<region_failover::RegionRestart>,
    /// When the job ended: finished, or failed for good. Events after it (a
    /// checkpoint timeout timer, say) do not stretch the run's statistics.
    pub ended_at: Option<Nanos>,
    /// The scenario's request to end the job, and what became of it.
    pub stop: StopState,
    /// The job's new submission after the stop, from a snapshot, and what became of it.
    pub resume: ResumeState,
    /// Why the run stopped before the job drained, if it did.
    pub cut_off: Option<RunCutOff>,
    /// When each source operator processed backlog, as reported to the coordinator
    /// (only with `execution.checkpointing.interval-during-backlog`).
    pub backlog_periods: Vec<BacklogPeriod>,
    /// [`MAX_KEPT_RECORDS`]; lower in tests, which cannot wait for millions.
    #[doc(hidden)]
    pub kept_records_limit: u64,
    /// Buffer sizes the input gates announced under buffer debloating.
    pub debloat_announcements: u64,
}

/// The statistics a run may keep (one per checkpoint and subtask, per dropped
/// trigger, per sample, per restart) before it stops: about 2 to 4 GiB.
pub const MAX_KEPT_RECORDS: u64 = 20_000_000;

/// A run that stopped before its job drained: the job could not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "limit")]
pub enum RunCutOff {
    /// The job was still running `drain-timeout` after its input ended.
    DrainTimeout { at_ns: Nanos, drain_timeout_ns: Nanos },
    /// The run had kept [`MAX_KEPT_RECORDS`] statistics records.
    TooManyRecords { at_ns: Nanos, records: u64 },
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
                    read_bandwidth: s.cluster.disk.read_bandwidth(),
                    capacity: s.cluster.disk.capacity_bytes,
                    used: 0,
                    free_at: 0,
                    read_free_at: 0,
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
            latency_since_sample: Histogram::default(),
            samples: Vec::new(),
            sample_interval,
            unfinished,
            emit_watermarks,
            sources_done_at: 0,
            storage,
            ckpt: None,
            recovery: RecoveryState::default(),
            regions: Vec::new(),
            region_restart: None,
            ended_at: None,
            stop: StopState::default(),
            resume: ResumeState::default(),
            cut_off: None,
            backlog_periods: Vec::new(),
            kept_records_limit: MAX_KEPT_RECORDS,
            debloat_announcements: 0,
        };
        world.open = open_buffers(&world.channels);
        world.regions = region_failover::pipelined_regions(
            world.subtasks.len(),
            world.channels.iter().map(|c| (c.producer, c.consumer)),
        );
        world.queue.push(0, Event::Sample);
        if let Some(d) = world.scenario.network.debloat {
            world.queue.push(d.period_ns, Event::DebloatTick);
        }
        let deployment = world.scenario.cluster.deployment_ns;
        if deployment > 0 {
            // The job is RUNNING from time 0; its tasks run once deployed.
            world.queue.push(deployment, Event::Deployed);
        } else {
            world.wake_sources();
        }
        world.start_checkpointing();
        world.initial_backlog();
        world.schedule_faults();
        world.schedule_stop();
        world
    }

    /// Runs until the job has drained, or until it is clear that it cannot: past the
    /// scenario's drain timeout, or once it has kept [`MAX_KEPT_RECORDS`] statistics
    /// (see [`World::cut_off`]). `progress` is called now and then with the virtual
    /// time reached; it observes, it cannot change the run.
    pub fn run(&mut self, mut progress: impl FnMut(Nanos)) {
        self.run_woken();
        let drain_timeout_ns = self.scenario.drain_timeout_ns();
        let limit = self.scenario.duration_ns.saturating_add(drain_timeout_ns);
        let mut handled: u64 = 0;
        while let Some((time, event)) = self.queue.pop() {
            if time > limit && self.ended_at.is_none() {
                self.now = limit;
                self.cut_off = Some(RunCutOff::DrainTimeout {
                    at_ns: limit,
                    drain_timeout_ns,
                });
                break;
            }
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
                Event::Deployed => self.deployed(),
                Event::Stop => self.stop_requested(),
                Event::Resume => self.resume_due(),
                Event::DebloatTick => self.debloat_tick(),
                Event::Materialize(st) => self.materialize(st),
                Event::Materialized(st, m) => self.materialized(st, m),
                Event::MaterializationFailed(st, m) => self.materialization_failed(st, m),
                Event::RegionRestart(attempt) => self.region_restart_due(attempt),
                Event::RegionRunning(attempt) => self.regions_restored(attempt),
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
                let records = self.kept_records();
                if records > self.kept_records_limit {
                    self.cut_off = Some(RunCutOff::TooManyRecords {
                        at_ns: self.now,
                        records,
                    });
                    break;
                }
            }
        }
        self.close_backpressure();
    }

    /// The statistics the run holds that grow with virtual time rather than with the
    /// job's size: what would exhaust memory in a run that cannot finish.
    fn kept_records(&self) -> u64 {
        let checkpoints = self.ckpt.as_ref().map_or(0, |rt| {
            rt.coordinator.counts().triggered * self.subtasks.len() as u64 + rt.dropped_triggers.len() as u64
        });
        checkpoints + self.samples.len() as u64 + self.recovery.recoveries.len() as u64
    }

    fn wake_sources(&mut self) {
        for st in 0..self.subtasks.len() {
            if self.subtasks[st].source.is_some() {
                self.wake.push(st);
            }
        }
    }

    /// The first deployment is done: the sources start reading and checkpoints may start.
    fn deployed(&mut self) {
        self.wake_sources();
        self.checkpointing_tasks_running(true);
        let all: Vec<usize> = (0..self.subtasks.len()).collect();
        self.schedule_materializations(&all);
    }

    fn run_woken(&mut self) {
        while let Some(st) = self.wake.pop() {
            self.step(st);
        }
    }
}
