//! Faults: what can go wrong in a simulated cluster, when, and how the job restarts.
//!
//! A fault is scheduled at a virtual time, either written in the scenario
//! (`faults:`) or drawn from the seed ([`random_schedule`]). The model applies it;
//! this module only describes it, so that a schedule can be printed, shrunk and
//! written back as a scenario file.

mod flaw;
mod random;
mod restart;

pub use flaw::{Flaw, flawed_protocol};
pub use random::{RandomFaults, random_schedule};
pub use restart::{RestartDecision, RestartStrategy, RestartTracker};

use crate::sim::Nanos;
use serde::{Deserialize, Serialize};

/// One fault at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub at_ns: Nanos,
    pub kind: FaultKind,
}

/// What goes wrong. TaskManagers are numbered from 0; a subtask is (operator index,
/// subtask index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The TaskManager's process dies: its tasks fail; it is back after `restart_after_ns`.
    TaskmanagerCrash { taskmanager: u32, restart_after_ns: Nanos },
    /// The connection between two TaskManagers breaks: the tasks exchanging data over
    /// it fail, as Flink's network stack fails them.
    ConnectionLoss { a: u32, b: u32 },
    /// Nothing crosses between two TaskManagers for a while; what was sent arrives
    /// when the partition heals.
    NetworkPartition { a: u32, b: u32, duration_ns: Nanos },
    /// A TaskManager's outbound link runs `factor` times slower.
    SlowLink {
        taskmanager: u32,
        factor: u32,
        duration_ns: Nanos,
    },
    /// Every link's latency grows by `extra_ns`.
    LatencySpike { extra_ns: Nanos, duration_ns: Nanos },
    /// A TaskManager's local disk is full: snapshot writes fail.
    DiskFull { taskmanager: u32, duration_ns: Nanos },
    /// A TaskManager's local disk writes `factor` times slower.
    SlowDisk {
        taskmanager: u32,
        factor: u32,
        duration_ns: Nanos,
    },
    /// Checkpoint storage is unreachable: requests fail at once, or with `hang` they
    /// wait until it is back (so checkpoints may expire).
    StorageOutage { duration_ns: Nanos, hang: bool },
    /// Checkpoint storage is `factor` times slower (latency and bandwidth).
    SlowStorage { factor: u32, duration_ns: Nanos },
    /// The JobManager dies; a standby takes over after `failover_after_ns`, reads the
    /// latest completed checkpoint from storage and restarts the job from it.
    JobmanagerCrash { failover_after_ns: Nanos },
    /// A subtask gets no CPU for a while (a long GC pause, a stuck call).
    SubtaskStall {
        operator: usize,
        subtask: u32,
        duration_ns: Nanos,
    },
}

impl FaultKind {
    /// The name a scenario file uses for this kind.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::TaskmanagerCrash { .. } => "taskmanager-crash",
            FaultKind::ConnectionLoss { .. } => "connection-loss",
            FaultKind::NetworkPartition { .. } => "network-partition",
            FaultKind::SlowLink { .. } => "slow-link",
            FaultKind::LatencySpike { .. } => "latency-spike",
            FaultKind::DiskFull { .. } => "disk-full",
            FaultKind::SlowDisk { .. } => "slow-disk",
            FaultKind::StorageOutage { .. } => "storage-outage",
            FaultKind::SlowStorage { .. } => "slow-storage",
            FaultKind::JobmanagerCrash { .. } => "jobmanager-crash",
            FaultKind::SubtaskStall { .. } => "subtask-stall",
        }
    }

    /// Every kind's name, in the order [`FaultKind::name`] lists them.
    pub const NAMES: [&'static str; 11] = [
        "taskmanager-crash",
        "connection-loss",
        "network-partition",
        "slow-link",
        "latency-spike",
        "disk-full",
        "slow-disk",
        "storage-outage",
        "slow-storage",
        "jobmanager-crash",
        "subtask-stall",
    ];

    /// How long the fault lasts, for faults with a duration.
    pub fn duration_ns(&self) -> Option<Nanos> {
        self.clone().duration_field().map(|d| *d)
    }

    /// The same fault lasting `d` instead (shrinking shortens faults).
    pub fn with_duration(&self, d: Nanos) -> FaultKind {
        let mut k = self.clone();
        if let Some(field) = k.duration_field() {
            *field = d;
        }
        k
    }

    /// The field that says how long the fault lasts (for a crash: until the restart
    /// or the failover), if it has one.
    fn duration_field(&mut self) -> Option<&mut Nanos> {
        match self {
            FaultKind::TaskmanagerCrash { restart_after_ns, .. } => Some(restart_after_ns),
            FaultKind::JobmanagerCrash { failover_after_ns } => Some(failover_after_ns),
            FaultKind::ConnectionLoss { .. } => None,
            FaultKind::NetworkPartition { duration_ns, .. }
            | FaultKind::SlowLink { duration_ns, .. }
            | FaultKind::LatencySpike { duration_ns, .. }
            | FaultKind::DiskFull { duration_ns, .. }
            | FaultKind::SlowDisk { duration_ns, .. }
            | FaultKind::StorageOutage { duration_ns, .. }
            | FaultKind::SlowStorage { duration_ns, .. }
            | FaultKind::SubtaskStall { duration_ns, .. } => Some(duration_ns),
        }
    }

    /// Whether the fault fails running tasks (and so starts a recovery) when it strikes.
    pub fn fails_tasks(&self) -> bool {
        matches!(
            self,
            FaultKind::TaskmanagerCrash { .. } | FaultKind::ConnectionLoss { .. } | FaultKind::JobmanagerCrash { .. }
        )
    }
}
