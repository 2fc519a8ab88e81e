//! A validated scenario: every value resolved to plain integers, every default
//! applied, every reference checked. The model runs from this, and a user's own
//! tests can build or change one in code.

use crate::sim::Nanos;
use serde::Serialize;

pub use super::schema::{Partitioning, TimeCharacteristic};

/// The shortest default drain timeout: ten minutes of virtual time.
pub const DEFAULT_MIN_DRAIN_TIMEOUT: Nanos = 600 * crate::sim::time::SECOND;

/// All knobs of a run, printed at start-up with the seed so that a run can be
/// reproduced from its first line.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// How long the sources produce input; the job then drains to the end.
    pub duration_ns: Nanos,
    /// `drain-timeout` as written; [`Scenario::drain_timeout_ns`] gives the default.
    pub drain_timeout: Option<Nanos>,
    pub network: NetworkSpec,
    pub cluster: ClusterSpec,
    /// `pipeline.auto-watermark-interval`.
    pub watermark_interval_ns: Nanos,
    /// `pipeline.max-parallelism`: the number of key groups of keyed operators.
    pub max_parallelism: u32,
    pub operators: Vec<OperatorSpec>,
    pub edges: Vec<EdgeSpec>,
    /// How the job checkpoints.
    pub checkpointing: super::checkpointing::CheckpointSpec,
    /// Faults at fixed times, in time order.
    pub faults: Vec<crate::fault::Fault>,
    /// How the explorer draws random faults.
    pub random_faults: crate::fault::RandomFaults,
    /// `restart-strategy.type` and its options.
    pub restart_strategy: crate::fault::RestartStrategy,
    /// `jobmanager.execution.failover-strategy`; left out of the serialised scenario
    /// when it is Flink's default, `region`.
    #[serde(skip_serializing_if = "FailoverStrategy::is_region")]
    pub failover: FailoverStrategy,
    /// The user ends the job: cancel, or stop with a savepoint.
    pub stop: Option<JobStop>,
    /// The job started again after the stop, from the snapshot it left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<JobResume>,
    /// A deliberately broken protocol variant, to show that the oracle catches it.
    /// Tests only; scenario files cannot select one.
    #[doc(hidden)]
    #[serde(skip)]
    pub flaw: Option<crate::fault::Flaw>,
    /// A checkpoint protocol given in code (a user's own, say) instead of the one the
    /// scenario's configuration selects.
    #[serde(skip)]
    pub custom_protocol: Option<crate::protocol::interface::SharedProtocol>,
}

/// What a task failure restarts (`jobmanager.execution.failover-strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailoverStrategy {
    /// Flink's default: only the pipelined regions of the failed tasks.
    #[default]
    Region,
    /// Every task of the job.
    Full,
}

impl FailoverStrategy {
    pub fn is_region(&self) -> bool {
        *self == FailoverStrategy::Region
    }
}

/// How and when the user ends the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct JobStop {
    pub at_ns: Nanos,
    pub kind: StopKind,
}

/// The job submitted again after its stop, from a snapshot the stop left
/// (`execution.state-recovery.path`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct JobResume {
    /// From the job's end to the new submission.
    pub after_ns: Nanos,
    pub from: ResumeFrom,
    /// `execution.state-recovery.claim-mode`.
    pub claim_mode: crate::protocol::coordinator::RecoveryClaimMode,
}

/// Which snapshot the new job starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResumeFrom {
    /// The savepoint of a stop-with-savepoint.
    Savepoint,
    /// The latest checkpoint a cancel retained (`RETAIN_ON_CANCELLATION`).
    LatestCheckpoint,
}

impl ResumeFrom {
    pub fn name(self) -> &'static str {
        match self {
            ResumeFrom::Savepoint => "savepoint",
            ResumeFrom::LatestCheckpoint => "latest-checkpoint",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopKind {
    /// `flink cancel`: the tasks are cancelled at once and the job is CANCELED;
    /// what the sinks had not committed is lost.
    Cancel,
    /// `flink stop`: a savepoint is taken, the sinks commit it, and the job is
    /// FINISHED without processing anything after the savepoint (no `--drain`).
    StopWithSavepoint,
}

impl StopKind {
    pub fn name(self) -> &'static str {
        match self {
            StopKind::Cancel => "cancel",
            StopKind::StopWithSavepoint => "stop-with-savepoint",
        }
    }
}

/// Flink's network stack settings and the links between TaskManagers.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkSpec {
    /// `taskmanager.memory.segment-size`: the size of one network buffer.
    pub buffer_size_bytes: u64,
    /// `execution.buffer-timeout`: flush a non-full buffer this long after its first
    /// record; `None` flushes only full buffers, `Some(0)` after every batch.
    pub buffer_timeout_ns: Option<Nanos>,
    /// `taskmanager.network.memory.buffers-per-channel`: exclusive credits per channel.
    pub buffers_per_channel: u32,
    /// `taskmanager.network.memory.floating-buffers-per-gate`: shared credits per input gate.
    pub floating_buffers_per_gate: u32,
    /// `taskmanager.network.memory.max-buffers-per-channel`: output backlog per
    /// channel before the producing task is backpressured.
    pub max_buffers_per_channel: u32,
    /// One-way latency between two TaskManagers.
    pub latency_ns: Nanos,
    /// Each TaskManager's outbound link, in bytes per second.
    pub bandwidth_bytes_per_s: u64,
    /// Buffer debloating, when `taskmanager.network.memory.buffer-debloat.enabled`.
    pub debloat: Option<DebloatSpec>,
}

/// `taskmanager.network.memory.buffer-debloat.*` (FLIP-183): each input gate sizes its
/// producers' buffers so that what it has in use takes `target` to consume.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct DebloatSpec {
    /// `.target`: how long the buffers in use should take to consume.
    pub target_ns: Nanos,
    /// `.period`: how often each gate measures its throughput and resizes.
    pub period_ns: Nanos,
    /// `.samples`: the moving average's span.
    pub samples: u32,
    /// `.threshold-percentages`: smaller changes are not announced.
    pub threshold_percentages: u32,
    /// `taskmanager.memory.min-segment-size`: the smallest buffer.
    pub min_buffer_bytes: u64,
}

impl DebloatSpec {
    /// Flink's defaults (`TaskManagerOptions.BUFFER_DEBLOAT_*`, `MIN_MEMORY_SEGMENT_SIZE`).
    pub const FLINK_DEFAULTS: DebloatSpec = DebloatSpec {
        target_ns: 1_000_000_000,
        period_ns: 200_000_000,
        samples: 20,
        threshold_percentages: 25,
        min_buffer_bytes: 256,
    };
}

#[derive(Clone, Debug, Serialize)]
pub struct ClusterSpec {
    pub taskmanagers: u32,
    /// `taskmanager.numberOfTaskSlots`.
    pub slots_per_taskmanager: u32,
    pub cpu_cores_per_taskmanager: u32,
    /// From the job (or a restart) starting until its tasks run: deployment and
    /// initialization, before any restored state is read.
    pub deployment_ns: Nanos,
    pub disk: DiskSpec,
    pub checkpoint_storage: StorageSpec,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiskSpec {
    pub write_bandwidth_bytes_per_s: u64,
    /// Reading a local state copy back on a restore (task-local recovery); `None`:
    /// at the write bandwidth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_bandwidth_bytes_per_s: Option<u64>,
    pub capacity_bytes: u64,
}

impl DiskSpec {
    /// The bandwidth a restore reads a local state copy at.
    pub fn read_bandwidth(&self) -> u64 {
        self.read_bandwidth_bytes_per_s
            .unwrap_or(self.write_bandwidth_bytes_per_s)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StorageSpec {
    pub latency_ns: Nanos,
    pub bandwidth_bytes_per_s: u64,
    pub max_concurrent_requests: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct OperatorSpec {
    pub name: String,
    pub logic: OperatorLogicSpec,
    pub parallelism: u32,
    /// CPU time per record for each subtask (skew already applied).
    pub cpu_per_record_ns: Vec<Nanos>,
    /// The TaskManager hosting each subtask.
    pub placement: Vec<u32>,
    /// Size of each output record on the wire.
    pub record_size_bytes: u64,
    /// Keyed operators: bytes one key's state takes in a snapshot, instead of the
    /// operator's own encoding (24 B per aggregate key, 32 B per window entry).
    pub state_bytes_per_key: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub enum OperatorLogicSpec {
    Source(SourceSpec),
    /// value ← value × multiply + add
    Map {
        multiply: i64,
        add: i64,
    },
    /// keep records whose value mod modulus (Euclidean) equals remainder
    Filter {
        modulus: i64,
        remainder: i64,
    },
    /// Keyed running count and sum; emits the updated pair for every record.
    Aggregate,
    /// Keyed tumbling window count and sum; emits one result per key and window.
    Window {
        size_ns: Nanos,
        time: TimeCharacteristic,
    },
    /// Collects the job's output.
    Sink,
}

impl OperatorLogicSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            OperatorLogicSpec::Source(_) => "source",
            OperatorLogicSpec::Map { .. } => "map",
            OperatorLogicSpec::Filter { .. } => "filter",
            OperatorLogicSpec::Aggregate => "aggregate",
            OperatorLogicSpec::Window { .. } => "window",
            OperatorLogicSpec::Sink => "sink",
        }
    }

    /// Keyed operators own key groups and need hash-partitioned input.
    pub fn is_keyed(&self) -> bool {
        matches!(self, OperatorLogicSpec::Aggregate | OperatorLogicSpec::Window { .. })
    }
}

/// A source reading a partitioned, replayable log (as Kafka partitions are).
#[derive(Clone, Debug, Serialize)]
pub struct SourceSpec {
    pub partitions: u32,
    /// Records appended per second over all partitions.
    pub rate_per_s: u64,
    pub keys: KeySpec,
    pub value_min: i64,
    pub value_max: i64,
    /// How long an idle source waits before polling its partitions again.
    pub poll_interval_ns: Nanos,
    /// Bytes a snapshot holds per partition a subtask reads (its split: the
    /// partition and the offset).
    pub state_bytes_per_partition: u64,
    /// `rate-profile`: the rate from each step's time on, piecewise constant; the first
    /// step is at 0. Empty: `rate_per_s` from 0 to the end.
    pub rate_profile: Vec<RateStep>,
    /// `backlog`: records already in the log at time 0, ahead of those the rate
    /// appends (a consumer that starts behind its log).
    pub backlog: u64,
    /// `backlog-threshold`: a source subtask reports `isProcessingBacklog` while more
    /// than this many records appended to its partitions are unread.
    pub backlog_threshold: u64,
}

/// One step of a source's rate profile: `rate_per_s` records per second from `at_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateStep {
    pub at_ns: Nanos,
    pub rate_per_s: u64,
}

/// The default `backlog-threshold`: what a source subtask reads from its partitions at
/// one go, so that a subtask above it cannot catch up in one read.
pub const DEFAULT_BACKLOG_THRESHOLD: u64 = 1024;

impl SourceSpec {
    /// The rate steps the source appends at: the profile, or `rate_per_s` from 0.
    pub fn rate_steps(&self) -> Vec<RateStep> {
        if self.rate_profile.is_empty() {
            vec![RateStep {
                at_ns: 0,
                rate_per_s: self.rate_per_s,
            }]
        } else {
            self.rate_profile.clone()
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub enum KeySpec {
    Uniform {
        count: u64,
    },
    Sequence {
        count: u64,
    },
    Zipf {
        count: u64,
        exponent: f64,
    },
    HotKey {
        count: u64,
        hot_keys: u64,
        hot_fraction: f64,
    },
}

impl KeySpec {
    pub fn count(&self) -> u64 {
        match *self {
            KeySpec::Uniform { count }
            | KeySpec::Sequence { count }
            | KeySpec::Zipf { count, .. }
            | KeySpec::HotKey { count, .. } => count,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct EdgeSpec {
    pub from: usize,
    pub to: usize,
    pub partitioning: Partitioning,
}

impl Scenario {
    /// The scenario with `protocol` in place of the one its configuration selects: a
    /// protocol written against [`crate::protocol::interface`], run by the same world,
    /// explorer and oracle as the built-in ones.
    pub fn with_protocol(mut self, protocol: crate::protocol::interface::SharedProtocol) -> Self {
        self.custom_protocol = Some(protocol);
        self
    }

    /// Sets how long the sources produce input, as `ckptsim run --duration` does. A
    /// manual trigger or a stop past the new end no longer lies within the run: they
    /// are dropped (the job then drains as usual), and named in the returned lines.
    pub fn set_duration(&mut self, duration_ns: Nanos) -> Vec<String> {
        self.duration_ns = duration_ns;
        let mut dropped = Vec::new();
        for (i, t) in self.checkpointing.triggers.iter().enumerate() {
            if t.at_ns > duration_ns {
                dropped.push(format!(
                    "checkpointing.triggers[{i}] at {}",
                    crate::sim::time::format_duration(t.at_ns)
                ));
            }
        }
        self.checkpointing.triggers.retain(|t| t.at_ns <= duration_ns);
        if let Some(stop) = self.stop.filter(|s| s.at_ns > duration_ns) {
            dropped.push(format!("stop at {}", crate::sim::time::format_duration(stop.at_ns)));
            self.stop = None;
        }
        // A job starts again only after its stop, within the duration.
        if self.resume.is_some() && (self.stop.is_none() || self.resume.is_some_and(|r| r.after_ns > duration_ns)) {
            dropped.push("resume".to_string());
            self.resume = None;
        }
        dropped
    }

    /// How long the job may take to drain after its input ends; past it the run
    /// stops and the verdict says the job did not drain. By default ten times the
    /// input's duration and at least ten minutes: far beyond what a job that keeps up
    /// needs, so that only a job that cannot finish (a restart loop, a record that
    /// takes days) meets it.
    pub fn drain_timeout_ns(&self) -> Nanos {
        self.drain_timeout
            .unwrap_or_else(|| self.duration_ns.saturating_mul(10).max(DEFAULT_MIN_DRAIN_TIMEOUT))
    }

    /// The checkpoint protocol the job runs: the one given in code, else the one the
    /// configuration selects, broken as the test-only flaw says.
    pub fn protocol(&self) -> crate::protocol::interface::SharedProtocol {
        let chosen = self
            .custom_protocol
            .clone()
            .unwrap_or_else(|| self.checkpointing.protocol(self.seed));
        match self.flaw {
            Some(flaw) => crate::fault::flawed_protocol(chosen, flaw),
            None => chosen,
        }
    }

    /// Indices of the operators feeding `op`, in edge order.
    pub fn inputs_of(&self, op: usize) -> impl Iterator<Item = &EdgeSpec> {
        self.edges.iter().filter(move |e| e.to == op)
    }

    /// Edges leaving `op`, in edge order.
    pub fn outputs_of(&self, op: usize) -> impl Iterator<Item = &EdgeSpec> {
        self.edges.iter().filter(move |e| e.from == op)
    }

    /// Operators in an order where every operator comes after its inputs. Linear in
    /// operators and edges: a long chain of operators stays cheap.
    pub fn topological_order(&self) -> Vec<usize> {
        let n = self.operators.len();
        let mut indegree = vec![0usize; n];
        let mut outputs: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in self.edges.iter().filter(|e| e.from < n && e.to < n) {
            indegree[e.to] += 1;
            outputs[e.from].push(e.to);
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(op) = ready.pop() {
            order.push(op);
            for &to in &outputs[op] {
                indegree[to] -= 1;
                if indegree[to] == 0 {
                    ready.push(to);
                }
            }
        }
        order
    }
}
