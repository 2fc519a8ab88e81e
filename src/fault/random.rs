//! Random fault schedules: one per seed, drawn from the seed's fault stream, so that
//! the explorer's seed N always means the same faults.

use super::{Fault, FaultKind};
use crate::scenario::Scenario;
use crate::sim::Nanos;
use crate::sim::rng::{Domain, component_id, stream};
use rand::Rng;
use serde::Serialize;

/// How the explorer draws faults (`random-faults:` in a scenario).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RandomFaults {
    /// Each schedule has between 1 and this many faults.
    pub max_faults: u32,
    /// The kinds to draw from, by name ([`FaultKind::NAMES`]).
    pub kinds: Vec<String>,
}

impl Default for RandomFaults {
    fn default() -> Self {
        Self {
            max_faults: 3,
            kinds: FaultKind::NAMES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The fault schedule of `seed` for `scenario`, in time order. Faults strike while
/// the sources still produce (between 5% and 95% of the input duration) and last
/// between 1% and 25% of it.
pub fn random_schedule(scenario: &Scenario, seed: u64) -> Vec<Fault> {
    let spec = &scenario.random_faults;
    let mut rng = stream(seed, component_id(Domain::Fault, 0));
    let duration = scenario.duration_ns.max(1_000);
    let tms = scenario.cluster.taskmanagers;
    let usable: Vec<&str> = spec
        .kinds
        .iter()
        .map(String::as_str)
        .filter(|k| tms > 1 || !matches!(*k, "connection-loss" | "network-partition"))
        .collect();
    if usable.is_empty() || spec.max_faults == 0 {
        return Vec::new();
    }
    let count = rng.gen_range(1..=spec.max_faults);
    let mut faults: Vec<Fault> = (0..count)
        .map(|_| {
            let at_ns = rng.gen_range(duration / 20..=duration - duration / 20);
            let lasting: Nanos = rng.gen_range(duration / 100..=duration / 4).max(1);
            let tm = rng.gen_range(0..tms);
            let other = (tm + rng.gen_range(1..tms.max(2))) % tms.max(1);
            let factor = rng.gen_range(2..=20u32);
            let kind = match usable[rng.gen_range(0..usable.len())] {
                "taskmanager-crash" => FaultKind::TaskmanagerCrash {
                    taskmanager: tm,
                    restart_after_ns: lasting,
                },
                "connection-loss" => FaultKind::ConnectionLoss { a: tm, b: other },
                "network-partition" => FaultKind::NetworkPartition {
                    a: tm,
                    b: other,
                    duration_ns: lasting,
                },
                "slow-link" => FaultKind::SlowLink {
                    taskmanager: tm,
                    factor,
                    duration_ns: lasting,
                },
                "latency-spike" => FaultKind::LatencySpike {
                    extra_ns: rng.gen_range(1_000_000..=50_000_000),
                    duration_ns: lasting,
                },
                "disk-full" => FaultKind::DiskFull {
                    taskmanager: tm,
                    duration_ns: lasting,
                },
                "slow-disk" => FaultKind::SlowDisk {
                    taskmanager: tm,
                    factor,
                    duration_ns: lasting,
                },
                "storage-outage" => FaultKind::StorageOutage {
                    duration_ns: lasting,
                    hang: rng.gen_bool(0.5),
                },
                "slow-storage" => FaultKind::SlowStorage {
                    factor,
                    duration_ns: lasting,
                },
                "jobmanager-crash" => FaultKind::JobmanagerCrash {
                    failover_after_ns: lasting,
                },
                _ => {
                    let operator = rng.gen_range(0..scenario.operators.len());
                    FaultKind::SubtaskStall {
                        operator,
                        subtask: rng.gen_range(0..scenario.operators[operator].parallelism),
                        duration_ns: lasting,
                    }
                }
            };
            Fault { at_ns, kind }
        })
        .collect();
    faults.sort_by_key(|f| f.at_ns);
    faults
}
