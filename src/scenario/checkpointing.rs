//! How a scenario checkpoints: Flink's checkpointing keys, resolved, plus the cost
//! model of snapshots and manual checkpoints or savepoints at given times.

use crate::model::file_merging::FileMergingConfig;
use crate::protocol::barrier::AlignmentTimeoutStart;
use crate::protocol::coordinator::{CoordinatorConfig, ExternalizedCheckpointRetention};
use crate::protocol::{CheckpointingMode, SnapshotKind};
use crate::sim::Nanos;
use serde::Serialize;

/// Which state backend keeps keyed state, and so what a checkpoint uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateBackend {
    /// `hashmap`: every checkpoint uploads the full state.
    HashMap,
    /// `rocksdb`: with `incremental`, a checkpoint uploads only what changed since the
    /// last completed one and refers to earlier files for the rest.
    RocksDb { incremental: bool },
    /// `forst`: Flink 2.0's disaggregated state. The working state files live in
    /// checkpoint storage, so a checkpoint uploads what the sync phase flushed and
    /// refers to the rest, a restore reads none of them, and a state access reads
    /// remotely when the local file cache misses (`model::forst`).
    #[serde(rename = "forst")]
    ForSt(ForStSpec),
}

/// The knobs of the `forst` backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ForStSpec {
    /// `state.backend.forst.cache.size-based-limit` per TaskManager (0: no file cache,
    /// Flink's default: the cache is only configured with a limit set).
    pub cache_bytes: u64,
    /// `state.backend.forst.executor.read-io-parallelism` (Flink's default 3).
    pub read_io_parallelism: u32,
    /// `ckptsim.forst.remote-read-latency`: one read of a state file in checkpoint storage.
    pub remote_read_latency_ns: Nanos,
}

impl Default for ForStSpec {
    fn default() -> Self {
        ForStSpec {
            cache_bytes: 0,
            read_io_parallelism: 3,
            remote_read_latency_ns: 1_000_000,
        }
    }
}

/// `state.changelog.*` (FLIP-158): keyed state changes go to a changelog that each
/// checkpoint uploads the new part of, and the state backend materializes in the
/// background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChangelogSpec {
    /// `state.changelog.periodic-materialize.interval`; `None` when
    /// `state.changelog.periodic-materialize.enabled` is false (the changelog is then
    /// never truncated).
    pub materialize_interval_ns: Option<Nanos>,
    /// `state.changelog.max-failures-allowed`: materializations that may fail in a row
    /// before the task fails.
    pub max_failures_allowed: u32,
    /// `state.changelog.storage`.
    pub storage: ChangelogStorage,
    /// `checkpointing.changelog-apply-per-change`: CPU time a restore spends applying
    /// one change of the changelog to the state backend again.
    pub apply_cpu_per_change_ns: Nanos,
}

impl ChangelogSpec {
    /// Flink's defaults: materialize every 10 minutes, three failures allowed, the
    /// `memory` changelog storage; 1 µs per change applied on restore.
    pub const DEFAULTS: ChangelogSpec = ChangelogSpec {
        materialize_interval_ns: Some(600_000_000_000),
        max_failures_allowed: 3,
        storage: ChangelogStorage::Memory,
        apply_cpu_per_change_ns: 1_000,
    };
}

/// `state.changelog.storage`: where the changelog goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangelogStorage {
    /// Flink's default `memory`: the changes travel inline with the checkpoint's
    /// metadata, nothing is uploaded to checkpoint storage (meant for tests).
    Memory,
    /// `filesystem`: each checkpoint uploads its new changes as a file to checkpoint
    /// storage (the DSTL).
    Filesystem,
}

/// Which checkpoint protocol the job runs (`ckptsim.checkpointing.protocol`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolKind {
    /// Flink's barriers from the sources, completed by the coordinator.
    #[default]
    Coordinated,
    /// Every subtask on its own jittered timer, with message logging.
    Uncoordinated,
    /// Basic checkpoints on a timer and forced ones by the HMNR rule, with message logging.
    CommunicationInduced,
}

impl ProtocolKind {
    /// The name a scenario selects it by.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::Coordinated => "coordinated",
            ProtocolKind::Uncoordinated => "uncoordinated",
            ProtocolKind::CommunicationInduced => "communication-induced",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    ExactlyOnce,
    AtLeastOnce,
}

/// A checkpoint or savepoint requested at a fixed virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ManualTrigger {
    pub at_ns: Nanos,
    pub savepoint: bool,
}

/// Every checkpointing knob of a run, with Flink's defaults.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointSpec {
    /// `execution.checkpointing.interval`; `None`: no periodic checkpoints.
    pub interval_ns: Option<Nanos>,
    /// `execution.checkpointing.interval-during-backlog`; `None`: not set (the interval
    /// stays the same during backlog, and sources do not report backlog); `Some(0)`: no
    /// periodic checkpoints while a source processes backlog.
    pub interval_during_backlog_ns: Option<Nanos>,
    /// `execution.checkpointing.mode`.
    pub mode: Mode,
    /// `execution.checkpointing.unaligned.enabled`.
    pub unaligned: bool,
    /// `execution.checkpointing.aligned-checkpoint-timeout` (0: unaligned at once).
    pub aligned_checkpoint_timeout_ns: Nanos,
    /// `ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from`: from the
    /// checkpoint's start, as Flink counts it, unless set otherwise.
    #[serde(serialize_with = "counts_from_name")]
    pub alignment_timeout_counts_from: AlignmentTimeoutStart,
    /// `execution.checkpointing.min-pause`.
    pub min_pause_ns: Nanos,
    /// `execution.checkpointing.max-concurrent-checkpoints`.
    pub max_concurrent: u32,
    /// `execution.checkpointing.timeout`.
    pub timeout_ns: Nanos,
    /// `execution.checkpointing.tolerable-failed-checkpoints`.
    pub tolerable_failed: u32,
    /// `state.checkpoints.num-retained`.
    pub num_retained: u32,
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    #[serde(serialize_with = "retention_name")]
    pub retention: ExternalizedCheckpointRetention,
    /// `state.backend.type` and `execution.checkpointing.incremental`.
    pub backend: StateBackend,
    /// CPU time of the synchronous phase per state entry it copies or flushes.
    pub sync_cpu_per_entry_ns: Nanos,
    /// CPU time of every synchronous phase, whatever the state.
    pub sync_cpu_base_ns: Nanos,
    /// Checkpoints and savepoints requested at fixed times (`checkpointing.triggers`).
    pub triggers: Vec<ManualTrigger>,
    /// `ckptsim.checkpointing.protocol`.
    pub protocol: ProtocolKind,
    /// `ckptsim.checkpointing.timer-jitter`: the subtasks' own timers fire after the
    /// interval ± this (uncoordinated and communication-induced protocols).
    pub timer_jitter_ns: Nanos,
    /// `execution.state-recovery.from-local` (before Flink 2.0
    /// `state.backend.local-recovery`): every subtask keeps a copy of its keyed state
    /// on its TaskManager's local disk and restores from it when it can. Left out of
    /// the serialised scenario when off, so that scenario digests stay as they were.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub local_recovery: bool,
    /// `state.changelog.enabled`; left out of the serialised scenario when off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changelog: Option<ChangelogSpec>,
    /// `execution.checkpointing.file-merging.*` when `enabled` is true; left out of the
    /// serialised scenario when off, so that scenario digests stay as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_merging: Option<FileMergingConfig>,
}

impl Default for CheckpointSpec {
    fn default() -> Self {
        Self {
            interval_ns: None,
            interval_during_backlog_ns: None,
            mode: Mode::ExactlyOnce,
            unaligned: false,
            aligned_checkpoint_timeout_ns: 0,
            alignment_timeout_counts_from: AlignmentTimeoutStart::CheckpointStart,
            min_pause_ns: 0,
            max_concurrent: 1,
            timeout_ns: 10 * 60 * 1_000_000_000,
            tolerable_failed: 0,
            num_retained: 1,
            retention: ExternalizedCheckpointRetention::NoExternalizedCheckpoints,
            backend: StateBackend::HashMap,
            sync_cpu_per_entry_ns: 20,
            sync_cpu_base_ns: 50_000,
            triggers: Vec::new(),
            protocol: ProtocolKind::Coordinated,
            timer_jitter_ns: 0,
            local_recovery: false,
            changelog: None,
            file_merging: None,
        }
    }
}

impl CheckpointSpec {
    /// Whether the run checkpoints at all.
    pub fn enabled(&self) -> bool {
        self.interval_ns.is_some() || !self.triggers.is_empty()
    }

    /// Whether sources report `isProcessingBacklog` to the coordinator: only when
    /// `interval-during-backlog` is set, the one thing their reports change.
    pub fn reports_backlog(&self) -> bool {
        self.interval_during_backlog_ns.is_some()
    }

    /// What is wrong with `execution.checkpointing.interval-during-backlog`, if anything:
    /// Flink's `CheckpointConfig.getCheckpointIntervalDuringBacklog` accepts 0 (no
    /// checkpoints during backlog) or an interval at least the normal one.
    pub fn backlog_interval_problem(&self) -> Option<&'static str> {
        let during = self.interval_during_backlog_ns?;
        match self.interval_ns {
            _ if self.protocol != ProtocolKind::Coordinated => Some(
                "applies to the coordinator's periodic trigger of `coordinated`; the subtasks' own timers of other protocols ignore backlog",
            ),
            None => Some("needs `execution.checkpointing.interval`: it replaces that interval during backlog"),
            Some(interval) if during != 0 && during < interval => Some(
                "must be 0 (no checkpoints during backlog) or at least `execution.checkpointing.interval`, as in Flink",
            ),
            Some(_) => None,
        }
    }

    /// The protocol's mode: unaligned only counts under exactly-once, as in Flink.
    pub fn protocol_mode(&self) -> CheckpointingMode {
        match (self.mode, self.unaligned) {
            (Mode::AtLeastOnce, _) => CheckpointingMode::AtLeastOnce,
            (Mode::ExactlyOnce, true) => CheckpointingMode::ExactlyOnceUnaligned,
            (Mode::ExactlyOnce, false) => CheckpointingMode::ExactlyOnceAligned,
        }
    }

    /// The barrier handlers' alignment timeout: only positive timeouts switch.
    pub fn alignment_timeout(&self) -> Option<Nanos> {
        (self.aligned_checkpoint_timeout_ns > 0).then_some(self.aligned_checkpoint_timeout_ns)
    }

    /// The coordinator's configuration. Flink starts the periodic scheduler when the job
    /// is RUNNING, before its tasks are deployed, and draws the first trigger's delay from
    /// `[min-pause, interval]`; ckptsim takes the low end, so the first trigger meets
    /// tasks still deploying and fails (`NOT_ALL_REQUIRED_TASKS_RUNNING`), as in every
    /// real Flink run of shared/flink-live.
    pub fn coordinator_config(&self) -> CoordinatorConfig {
        CoordinatorConfig {
            interval: self.interval_ns,
            interval_during_backlog: self.interval_during_backlog_ns,
            initial_delay: Some(self.min_pause_ns),
            min_pause: self.min_pause_ns,
            max_concurrent_checkpoints: self.max_concurrent as usize,
            timeout: self.timeout_ns,
            tolerable_failed_checkpoints: self.tolerable_failed,
            num_retained: self.num_retained as usize,
            externalized_retention: self.retention,
            mode: self.protocol_mode(),
            ..CoordinatorConfig::default()
        }
    }

    /// The protocol this section selects, configured as it says; `seed` seeds the
    /// subtasks' own timers.
    pub fn protocol(&self, seed: u64) -> crate::protocol::interface::SharedProtocol {
        use crate::protocol::communication_induced::CommunicationInduced;
        use crate::protocol::interface::FlinkCheckpointing;
        use crate::protocol::uncoordinated::{TimerSettings, Uncoordinated};
        use std::sync::Arc;
        let timer = TimerSettings {
            interval: self.interval_ns.unwrap_or(0),
            jitter: self.timer_jitter_ns,
            seed,
        };
        match self.protocol {
            ProtocolKind::Coordinated => {
                let mut flink = FlinkCheckpointing::new(self.coordinator_config(), self.alignment_timeout());
                flink.timeout_start = self.alignment_timeout_counts_from;
                Arc::new(flink)
            }
            ProtocolKind::Uncoordinated => Arc::new(Uncoordinated {
                coordinator: self.coordinator_config(),
                timer,
            }),
            ProtocolKind::CommunicationInduced => Arc::new(CommunicationInduced {
                coordinator: self.coordinator_config(),
                timer,
            }),
        }
    }

    pub fn incremental(&self) -> bool {
        matches!(self.backend, StateBackend::RocksDb { incremental: true })
    }

    /// The `forst` backend's knobs, when the job runs it.
    pub fn forst(&self) -> Option<ForStSpec> {
        match self.backend {
            StateBackend::ForSt(spec) => Some(spec),
            _ => None,
        }
    }

    /// Whether operators track the entries changed since the last snapshot: the
    /// backends whose snapshots flush only those.
    pub fn tracks_changes(&self) -> bool {
        // Under a changelog a snapshot notes how far the changelog goes instead.
        (self.incremental() && self.changelog.is_none()) || self.forst().is_some()
    }

    pub fn kind_of(trigger: &ManualTrigger) -> SnapshotKind {
        if trigger.savepoint {
            SnapshotKind::Savepoint
        } else {
            SnapshotKind::Checkpoint
        }
    }
}

fn counts_from_name<S: serde::Serializer>(from: &AlignmentTimeoutStart, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(from.name())
}

fn retention_name<S: serde::Serializer>(retention: &ExternalizedCheckpointRetention, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(retention.flink_name())
}
