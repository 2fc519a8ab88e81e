//! The scenario file, as written by a user. Field names are kebab-case; the `config`
//! section takes Flink's configuration keys verbatim. Validation turns this into a
//! [`crate::scenario::Scenario`] of plain integers.

use super::units::{Bytes, BytesPerSecond, Duration};
use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScenarioFile {
    /// Defaults to the file's stem.
    pub name: Option<String>,
    pub description: Option<String>,
    /// The seed of every random stream in the run.
    #[serde(default)]
    pub seed: u64,
    /// How long the sources produce input, in virtual time; the job then drains.
    pub duration: Duration,
    /// How long the job may take to drain after its input ends; past it the run
    /// stops and reports that the job did not drain.
    pub drain_timeout: Option<Duration>,
    /// Flink configuration keys, verbatim.
    #[serde(default)]
    pub config: FlinkConfig,
    #[serde(default)]
    pub cluster: ClusterFile,
    pub job: JobFile,
    /// The snapshot cost model and manual checkpoints or savepoints.
    #[serde(default)]
    pub checkpointing: CheckpointingFile,
    /// Faults at fixed virtual times.
    #[serde(default)]
    pub faults: Vec<FaultFile>,
    /// How `ckptsim explore` draws a random fault schedule for each seed.
    pub random_faults: Option<RandomFaultsFile>,
    /// Ends the job at a virtual time, as `flink cancel` or `flink stop` does.
    pub stop: Option<StopFile>,
    /// Starts the job again, after the stop, from the snapshot the stop left.
    pub resume: Option<ResumeFile>,
}

/// After the stop, the job is submitted again from a snapshot (Flink's
/// `execution.state-recovery.path`), in the claim mode of
/// `execution.state-recovery.claim-mode`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResumeFile {
    /// Time from the job's end to the new submission.
    #[serde(default)]
    pub after: Duration,
    pub from: ResumeFromFile,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ResumeFromFile {
    /// The savepoint a stop-with-savepoint took.
    Savepoint,
    /// The latest checkpoint a cancelled job retained.
    LatestCheckpoint,
}

/// The user ends the job at `at`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StopFile {
    pub at: Duration,
    pub kind: StopKindFile,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StopKindFile {
    Cancel,
    StopWithSavepoint,
}

/// One fault, as written in a scenario. Which fields apply depends on `kind`;
/// validation names a missing or misplaced one.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FaultFile {
    pub at: Duration,
    pub kind: String,
    pub taskmanager: Option<u32>,
    /// Two TaskManagers, for connection faults.
    pub between: Option<Vec<u32>>,
    pub duration: Option<Duration>,
    /// How many times slower, for slow-link, slow-disk, slow-storage.
    pub factor: Option<u32>,
    /// Added latency, for latency-spike.
    pub latency: Option<Duration>,
    /// taskmanager-crash: when the TaskManager is back.
    pub restart_after: Option<Duration>,
    /// jobmanager-crash: when the standby has taken over.
    pub failover_after: Option<Duration>,
    /// storage-outage: requests wait for the storage instead of failing.
    pub hang: Option<bool>,
    /// subtask-stall: the operator's name and the subtask's index.
    pub operator: Option<String>,
    pub subtask: Option<u32>,
}

/// The random fault schedules of `ckptsim explore`.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RandomFaultsFile {
    /// Each schedule has between 1 and this many faults (default 3).
    pub max_faults: Option<u32>,
    /// Fault kinds to draw from (default: all).
    pub kinds: Option<Vec<String>>,
}

/// What Flink has no configuration key for: the snapshot cost model, and
/// checkpoints or savepoints requested at fixed times.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckpointingFile {
    /// CPU time of the synchronous phase per state entry copied or flushed.
    pub sync_cpu_per_entry: Option<Duration>,
    /// CPU time of every synchronous phase.
    pub sync_cpu_base: Option<Duration>,
    /// CPU time a restore spends applying one changelog change again.
    pub changelog_apply_per_change: Option<Duration>,
    #[serde(default)]
    pub triggers: Vec<TriggerFile>,
}

/// A checkpoint or savepoint at a virtual time.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TriggerFile {
    pub at: Duration,
    pub kind: TriggerKind,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    Checkpoint,
    Savepoint,
}

/// Flink's configuration keys that the simulation honours.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FlinkConfig {
    #[serde(rename = "taskmanager.numberOfTaskSlots")]
    pub task_slots: Option<u32>,
    #[serde(rename = "parallelism.default")]
    pub default_parallelism: Option<u32>,
    #[serde(rename = "execution.buffer-timeout")]
    pub buffer_timeout: Option<BufferTimeout>,
    #[serde(rename = "execution.buffer-timeout.enabled")]
    pub buffer_timeout_enabled: Option<bool>,
    #[serde(rename = "execution.buffer-timeout.interval")]
    pub buffer_timeout_interval: Option<Duration>,
    #[serde(rename = "taskmanager.memory.segment-size")]
    pub segment_size: Option<Bytes>,
    #[serde(rename = "taskmanager.network.memory.buffers-per-channel")]
    pub buffers_per_channel: Option<u32>,
    #[serde(rename = "taskmanager.network.memory.floating-buffers-per-gate")]
    pub floating_buffers_per_gate: Option<u32>,
    #[serde(rename = "taskmanager.network.memory.max-buffers-per-channel")]
    pub max_buffers_per_channel: Option<u32>,
    #[serde(rename = "taskmanager.network.memory.buffer-debloat.enabled")]
    pub debloat_enabled: Option<bool>,
    #[serde(rename = "taskmanager.network.memory.buffer-debloat.target")]
    pub debloat_target: Option<Duration>,
    #[serde(rename = "taskmanager.network.memory.buffer-debloat.period")]
    pub debloat_period: Option<Duration>,
    #[serde(rename = "taskmanager.network.memory.buffer-debloat.samples")]
    pub debloat_samples: Option<u32>,
    #[serde(rename = "taskmanager.network.memory.buffer-debloat.threshold-percentages")]
    pub debloat_threshold_percentages: Option<u32>,
    #[serde(rename = "taskmanager.memory.min-segment-size")]
    pub min_segment_size: Option<Bytes>,
    #[serde(rename = "pipeline.auto-watermark-interval")]
    pub auto_watermark_interval: Option<Duration>,
    #[serde(rename = "pipeline.max-parallelism")]
    pub max_parallelism: Option<u32>,

    #[serde(rename = "execution.checkpointing.interval")]
    pub checkpoint_interval: Option<Duration>,
    #[serde(rename = "execution.checkpointing.mode")]
    pub checkpointing_mode: Option<CheckpointingModeKey>,
    #[serde(
        rename = "execution.checkpointing.unaligned.enabled",
        alias = "execution.checkpointing.unaligned"
    )]
    pub unaligned: Option<bool>,
    #[serde(rename = "execution.checkpointing.aligned-checkpoint-timeout")]
    pub aligned_checkpoint_timeout: Option<Duration>,
    /// ckptsim's own: from when that timeout counts (Flink: the checkpoint's start).
    #[serde(rename = "ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from")]
    pub aligned_checkpoint_timeout_counts_from: Option<TimeoutCountsFromKey>,
    #[serde(rename = "execution.checkpointing.interval-during-backlog")]
    pub checkpoint_interval_during_backlog: Option<Duration>,
    #[serde(rename = "execution.checkpointing.min-pause")]
    pub min_pause: Option<Duration>,
    #[serde(rename = "execution.checkpointing.max-concurrent-checkpoints")]
    pub max_concurrent_checkpoints: Option<u32>,
    #[serde(rename = "execution.checkpointing.timeout")]
    pub checkpoint_timeout: Option<Duration>,
    #[serde(rename = "execution.checkpointing.tolerable-failed-checkpoints")]
    pub tolerable_failed_checkpoints: Option<u32>,
    #[serde(
        rename = "state.checkpoints.num-retained",
        alias = "execution.checkpointing.num-retained"
    )]
    pub num_retained: Option<u32>,
    #[serde(rename = "execution.checkpointing.externalized-checkpoint-retention")]
    pub externalized_retention: Option<RetentionKey>,
    #[serde(rename = "state.backend.type", alias = "state.backend")]
    pub state_backend: Option<StateBackendKey>,
    #[serde(rename = "execution.checkpointing.incremental", alias = "state.backend.incremental")]
    pub incremental: Option<bool>,
    /// ForSt's local file cache (`ForStOptions.CACHE_SIZE_BASE_LIMIT`).
    #[serde(rename = "state.backend.forst.cache.size-based-limit")]
    pub forst_cache_size_limit: Option<Bytes>,
    /// ForSt's read threads (`ForStOptions.EXECUTOR_READ_IO_PARALLELISM`).
    #[serde(rename = "state.backend.forst.executor.read-io-parallelism")]
    pub forst_read_io_parallelism: Option<u32>,
    /// The latency of one read of a state file in checkpoint storage (no Flink key).
    #[serde(rename = "ckptsim.forst.remote-read-latency")]
    pub forst_remote_read_latency: Option<Duration>,
    #[serde(rename = "state.changelog.enabled", alias = "state.backend.changelog.enabled")]
    pub changelog_enabled: Option<bool>,
    #[serde(
        rename = "state.changelog.periodic-materialize.enabled",
        alias = "state.backend.changelog.periodic-materialize.enabled"
    )]
    pub changelog_materialize_enabled: Option<bool>,
    #[serde(
        rename = "state.changelog.periodic-materialize.interval",
        alias = "state.backend.changelog.periodic-materialize.interval"
    )]
    pub changelog_materialize_interval: Option<Duration>,
    #[serde(
        rename = "state.changelog.max-failures-allowed",
        alias = "state.backend.changelog.max-failures-allowed"
    )]
    pub changelog_max_failures: Option<u32>,
    #[serde(rename = "state.changelog.storage", alias = "state.backend.changelog.storage")]
    pub changelog_storage: Option<ChangelogStorageKey>,
    /// Task-local recovery (Flink 2.x's key; `state.backend.local-recovery` before).
    #[serde(
        rename = "execution.state-recovery.from-local",
        alias = "state.backend.local-recovery"
    )]
    pub local_recovery: Option<bool>,
    /// Checkpoint file merging (FLIP-306), Flink 2.x's `CheckpointingOptions` keys.
    #[serde(rename = "execution.checkpointing.file-merging.enabled")]
    pub file_merging_enabled: Option<bool>,
    #[serde(rename = "execution.checkpointing.file-merging.across-checkpoint-boundary")]
    pub file_merging_across_boundary: Option<bool>,
    #[serde(rename = "execution.checkpointing.file-merging.max-file-size")]
    pub file_merging_max_file_size: Option<Bytes>,
    #[serde(rename = "execution.checkpointing.file-merging.pool-blocking")]
    pub file_merging_pool_blocking: Option<bool>,
    #[serde(rename = "execution.checkpointing.file-merging.max-space-amplification")]
    pub file_merging_max_space_amplification: Option<f64>,
    /// Who owns the snapshot a `resume:` starts from (Flink 2.x's key;
    /// `execution.savepoint-restore-mode` before).
    #[serde(
        rename = "execution.state-recovery.claim-mode",
        alias = "execution.savepoint-restore-mode"
    )]
    pub claim_mode: Option<ClaimModeKey>,
    #[serde(rename = "ckptsim.checkpointing.protocol")]
    pub protocol: Option<ProtocolKey>,
    #[serde(rename = "ckptsim.checkpointing.timer-jitter")]
    pub timer_jitter: Option<Duration>,

    #[serde(rename = "jobmanager.execution.failover-strategy")]
    pub failover_strategy: Option<FailoverStrategyKey>,
    #[serde(rename = "restart-strategy.type", alias = "restart-strategy")]
    pub restart_strategy: Option<String>,
    #[serde(rename = "restart-strategy.fixed-delay.attempts")]
    pub fixed_delay_attempts: Option<u32>,
    #[serde(rename = "restart-strategy.fixed-delay.delay")]
    pub fixed_delay_delay: Option<Duration>,
    #[serde(rename = "restart-strategy.failure-rate.max-failures-per-interval")]
    pub failure_rate_max_failures: Option<u32>,
    #[serde(rename = "restart-strategy.failure-rate.failure-rate-interval")]
    pub failure_rate_interval: Option<Duration>,
    #[serde(rename = "restart-strategy.failure-rate.delay")]
    pub failure_rate_delay: Option<Duration>,
    #[serde(rename = "restart-strategy.exponential-delay.initial-backoff")]
    pub exponential_initial_backoff: Option<Duration>,
    #[serde(rename = "restart-strategy.exponential-delay.max-backoff")]
    pub exponential_max_backoff: Option<Duration>,
    #[serde(rename = "restart-strategy.exponential-delay.backoff-multiplier")]
    pub exponential_multiplier: Option<f64>,
    #[serde(rename = "restart-strategy.exponential-delay.reset-backoff-threshold")]
    pub exponential_reset_threshold: Option<Duration>,
    #[serde(rename = "restart-strategy.exponential-delay.attempts-before-reset-backoff")]
    pub exponential_attempts: Option<u32>,
}

/// `jobmanager.execution.failover-strategy`, as Flink spells it.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailoverStrategyKey {
    Region,
    Full,
}

/// `state.changelog.storage`, by the shortcut names Flink recognises.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChangelogStorageKey {
    Memory,
    Filesystem,
}

/// `execution.checkpointing.mode`, spelled as Flink spells it.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointingModeKey {
    #[serde(rename = "EXACTLY_ONCE", alias = "exactly_once")]
    ExactlyOnce,
    #[serde(rename = "AT_LEAST_ONCE", alias = "at_least_once")]
    AtLeastOnce,
}

/// `ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TimeoutCountsFromKey {
    /// The barrier's trigger timestamp, as Flink counts it (the default).
    CheckpointStart,
    /// The first barrier's arrival at each subtask.
    FirstBarrier,
}

/// `ckptsim.checkpointing.protocol`: which checkpoint protocol the job runs.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolKey {
    Coordinated,
    Uncoordinated,
    CommunicationInduced,
}

/// `execution.checkpointing.externalized-checkpoint-retention`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum RetentionKey {
    #[serde(rename = "DELETE_ON_CANCELLATION")]
    DeleteOnCancellation,
    #[serde(rename = "RETAIN_ON_CANCELLATION")]
    RetainOnCancellation,
    #[serde(rename = "NO_EXTERNALIZED_CHECKPOINTS")]
    NoExternalizedCheckpoints,
}

/// `execution.state-recovery.claim-mode`, spelled as Flink spells it.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum ClaimModeKey {
    #[serde(rename = "CLAIM", alias = "claim")]
    Claim,
    #[serde(rename = "NO_CLAIM", alias = "no_claim")]
    NoClaim,
    #[serde(rename = "LEGACY", alias = "legacy")]
    Legacy,
}

/// `state.backend.type`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StateBackendKey {
    Hashmap,
    Rocksdb,
    /// Flink 2.0's disaggregated state backend.
    Forst,
}

/// `execution.buffer-timeout`: a duration, `0` to flush after every record, `-1` for
/// flushing only full buffers (Flink's older spelling of disabling the timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferTimeout {
    After(u64),
    Disabled,
}

impl<'de> Deserialize<'de> for BufferTimeout {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than an untagged enum: serde_yaml then reports errors at
        // the value with its field path, and a wrong type names what is expected.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = BufferTimeout;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration like 100ms, 0 to flush after every record, or -1 to disable the timeout")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<BufferTimeout, E> {
                // Through the unit parser, so that a huge number is an error, not an overflow.
                super::units::parse_duration(&format!("{v}ms"))
                    .map(BufferTimeout::After)
                    .map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<BufferTimeout, E> {
                match v {
                    -1 => Ok(BufferTimeout::Disabled),
                    v if v >= 0 => self.visit_u64(v as u64),
                    v => Err(E::custom(format!("must be -1 (disabled) or a duration, got {v}"))),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<BufferTimeout, E> {
                if v == -1.0 {
                    return Ok(BufferTimeout::Disabled);
                }
                if v < 0.0 {
                    return Err(E::custom(format!("must be -1 (disabled) or a duration, got {v}")));
                }
                let number = super::units::float_text(v).map_err(E::custom)?;
                super::units::parse_duration(&format!("{number}ms"))
                    .map(BufferTimeout::After)
                    .map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<BufferTimeout, E> {
                if v.trim() == "-1" {
                    return Ok(BufferTimeout::Disabled);
                }
                super::units::parse_duration(v)
                    .map(BufferTimeout::After)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The simulated cluster.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClusterFile {
    pub taskmanagers: Option<u32>,
    /// CPU cores of each TaskManager, shared by the subtasks it hosts.
    pub cpu_cores: Option<u32>,
    /// From the job switching to RUNNING (or a restart) until its tasks run: deploying
    /// and initializing them. Checkpoints triggered before then fail.
    pub deployment_time: Option<Duration>,
    #[serde(default)]
    pub network: NetworkFile,
    #[serde(default)]
    pub disk: DiskFile,
    #[serde(default)]
    pub checkpoint_storage: StorageFile,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NetworkFile {
    /// One-way latency between two TaskManagers.
    pub latency: Option<Duration>,
    /// Each TaskManager's outbound link, shared by all its channels.
    pub bandwidth: Option<BytesPerSecond>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DiskFile {
    pub write_bandwidth: Option<BytesPerSecond>,
    /// What a restore from a local copy reads at (default: the write bandwidth).
    pub read_bandwidth: Option<BytesPerSecond>,
    pub capacity: Option<Bytes>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StorageFile {
    pub latency: Option<Duration>,
    pub bandwidth: Option<BytesPerSecond>,
    pub max_concurrent_requests: Option<u32>,
}

/// The job graph: operators and the edges between them.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobFile {
    pub operators: Vec<OperatorFile>,
    #[serde(default)]
    pub edges: Vec<EdgeFile>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OperatorKind {
    Source,
    Map,
    Filter,
    /// Keyed running count and sum per key.
    Aggregate,
    /// Keyed tumbling window count and sum.
    Window,
    Sink,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TimeCharacteristic {
    #[default]
    Event,
    Processing,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum KeyDistribution {
    Uniform,
    Sequence,
    Zipf,
    HotKey,
}

/// How a source draws its keys.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeysFile {
    pub distribution: KeyDistribution,
    pub count: u64,
    /// zipf: the exponent s of P(k) ∝ 1 / k^s.
    pub exponent: Option<f64>,
    /// hot-key: how many keys are hot.
    pub hot_keys: Option<u64>,
    /// hot-key: the share of records that carry a hot key.
    pub hot_fraction: Option<f64>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ValuesFile {
    pub min: i64,
    pub max: i64,
}

/// One step of a source's `rate-profile`: `rate` records per second from `at` on.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateStepFile {
    pub at: Duration,
    pub rate: f64,
}

/// A per-subtask override of the CPU cost per record.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CpuSkewFile {
    pub subtask: u32,
    pub cpu_per_record: Duration,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperatorFile {
    pub name: String,
    pub kind: OperatorKind,
    pub parallelism: Option<u64>,
    /// CPU time a subtask spends on each record.
    pub cpu_per_record: Option<Duration>,
    #[serde(default)]
    pub cpu_skew: Vec<CpuSkewFile>,
    /// The TaskManager of each subtask, overriding slot sharing's assignment.
    pub taskmanagers: Option<Vec<u32>>,
    /// Size of each output record on the wire (default: the input's).
    pub record_size: Option<Bytes>,

    // source
    pub partitions: Option<u64>,
    /// Records per second over all partitions.
    pub rate: Option<f64>,
    pub keys: Option<KeysFile>,
    pub values: Option<ValuesFile>,
    /// How often an idle source polls its partitions.
    pub poll_interval: Option<Duration>,
    /// Bytes of a source snapshot per partition read.
    pub state_per_partition: Option<Bytes>,
    /// The rate over time, piecewise constant, instead of `rate`.
    pub rate_profile: Option<Vec<RateStepFile>>,
    /// Records already in the log at time 0.
    pub backlog: Option<u64>,
    /// Unread records above which a source subtask processes backlog.
    pub backlog_threshold: Option<u64>,

    // map: value * multiply + add
    pub multiply: Option<i64>,
    pub add: Option<i64>,

    // filter: keep records whose value % modulus == remainder
    pub modulus: Option<i64>,
    pub remainder: Option<i64>,

    // window
    pub size: Option<Duration>,
    pub time: Option<TimeCharacteristic>,

    // aggregate, window: bytes one key's state (one key's window entry) takes as
    // serialised in a snapshot
    pub state_per_key: Option<Bytes>,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Partitioning {
    Forward,
    Hash,
    Rebalance,
    Broadcast,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EdgeFile {
    pub from: String,
    pub to: String,
    /// Default: hash into keyed operators, forward when parallelisms match, else rebalance.
    pub partitioning: Option<Partitioning>,
}
