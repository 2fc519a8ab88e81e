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
/// between 1% and 25% of it. When is drawn by [`strike_time`].
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
    let (earliest, latest) = (duration / 20, duration - duration / 20);
    let interval = scenario.checkpointing.interval_ns.filter(|i| *i > 0);
    let mut previous: Option<Nanos> = None;
    let mut faults: Vec<Fault> = (0..count)
        .map(|_| {
            let at_ns = strike_time(&mut rng, earliest, latest, interval, previous);
            previous = Some(at_ns);
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

/// When a fault strikes, between `earliest` and `latest`. A uniform time mostly
/// misses the short phases of a checkpoint (an alignment or a metadata write takes
/// milliseconds of a seconds-long interval) and the restore after a failure, so half
/// the draws aim: a quarter just after a periodic trigger, at an offset spread evenly
/// over every scale from 1 µs to the interval (as likely within 10 µs as within the
/// next 10 ms); a quarter as soon after the previous fault, from 1 ms to a quarter of
/// the run. The other half are uniform.
fn strike_time(
    rng: &mut impl Rng,
    earliest: Nanos,
    latest: Nanos,
    interval: Option<Nanos>,
    previous: Option<Nanos>,
) -> Nanos {
    let log_uniform = |rng: &mut dyn rand::RngCore, lo: Nanos, hi: Nanos| -> Nanos {
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1) + 1) as f64);
        (lo * (hi / lo).powf(rng.gen_range(0.0..1.0))) as Nanos
    };
    let span = latest.saturating_sub(earliest);
    let aimed = match rng.gen_range(0..4u8) {
        0 => interval.map(|interval| {
            let triggers = (latest / interval).max(1);
            let trigger = rng.gen_range(0..=triggers) * interval;
            trigger + log_uniform(rng, 1_000, interval)
        }),
        1 => previous.map(|at| at + log_uniform(rng, 1_000_000, span / 4)),
        _ => None,
    };
    match aimed {
        Some(at) if (earliest..=latest).contains(&at) => at,
        _ => rng.gen_range(earliest..=latest),
    }
}
