//! The `faults:` and `random-faults:` sections and Flink's `restart-strategy.*`
//! keys: validation into [`Fault`]s and a [`RestartStrategy`], and the way back to
//! YAML, so that a shrunk schedule can be written as a scenario file.

use super::error::nearest;
use super::schema::{FaultFile, ScenarioFile};
use super::spec::Scenario;
use super::validate::{Checked, Checker};
use crate::fault::{Fault, FaultKind, RandomFaults, RestartStrategy};
use crate::sim::Nanos;
use crate::sim::time::{MINUTE, SECOND};
use serde_yaml::{Mapping, Value};

/// The fields each fault kind takes besides `at` and `kind`.
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "taskmanager-crash" => &["taskmanager", "restart-after"],
        "connection-loss" => &["between"],
        "network-partition" => &["between", "duration"],
        "slow-link" => &["taskmanager", "factor", "duration"],
        "latency-spike" => &["latency", "duration"],
        "disk-full" => &["taskmanager", "duration"],
        "slow-disk" => &["taskmanager", "factor", "duration"],
        "storage-outage" => &["duration", "hang"],
        "slow-storage" => &["factor", "duration"],
        "jobmanager-crash" => &["failover-after"],
        "subtask-stall" => &["operator", "subtask", "duration"],
        _ => &[],
    }
}

/// The fields a fault file sets, by name.
fn given(f: &FaultFile) -> Vec<&'static str> {
    let mut names = Vec::new();
    let mut add = |set: bool, name: &'static str| {
        if set {
            names.push(name)
        }
    };
    add(f.taskmanager.is_some(), "taskmanager");
    add(f.between.is_some(), "between");
    add(f.duration.is_some(), "duration");
    add(f.factor.is_some(), "factor");
    add(f.latency.is_some(), "latency");
    add(f.restart_after.is_some(), "restart-after");
    add(f.failover_after.is_some(), "failover-after");
    add(f.hang.is_some(), "hang");
    add(f.operator.is_some(), "operator");
    add(f.subtask.is_some(), "subtask");
    names
}

impl Checker<'_> {
    pub(super) fn faults(&self, raw: &ScenarioFile, s: &Scenario) -> Checked<Vec<Fault>> {
        let mut faults = Vec::new();
        for (i, f) in raw.faults.iter().enumerate() {
            faults.push(self.fault(f, &format!("faults[{i}]"), s)?);
        }
        Ok(faults)
    }

    fn fault(&self, f: &FaultFile, at: &str, s: &Scenario) -> Checked<Fault> {
        let kind = f.kind.as_str();
        if !FaultKind::NAMES.contains(&kind) {
            let hint = nearest(kind, FaultKind::NAMES)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(self.error(
                format!("{at}.kind"),
                format!(
                    "unknown fault kind `{kind}`{hint} (one of: {})",
                    FaultKind::NAMES.join(", ")
                ),
            ));
        }
        let allowed = fields_of(kind);
        for name in given(f) {
            if !allowed.contains(&name) {
                return Err(self.error(
                    format!("{at}.{name}"),
                    format!(
                        "`{name}` does not apply to a {kind} fault (it takes: {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        let need = |name: &str| self.error(format!("{at}.kind"), format!("a {kind} fault needs `{name}`"));
        let tms = s.cluster.taskmanagers;
        let taskmanager = || -> Checked<u32> { f.taskmanager.ok_or_else(|| need("taskmanager")) };
        let between = || -> Checked<(u32, u32)> {
            let pair = f.between.as_ref().ok_or_else(|| need("between"))?;
            match pair.as_slice() {
                [a, b] => Ok((*a, *b)),
                _ => Err(self.error(
                    format!("{at}.between"),
                    format!("must be two different TaskManagers below {tms}, like [0, 1]"),
                )),
            }
        };
        let positive = |value: Option<Nanos>, name: &str| -> Checked<Nanos> {
            match value {
                None => Err(need(name)),
                Some(0) => Err(self.error(format!("{at}.{name}"), "must be greater than 0")),
                Some(v) => Ok(v),
            }
        };
        let duration = || positive(f.duration.map(|d| d.0), "duration");
        let factor = || -> Checked<u32> {
            match f.factor {
                None => Err(need("factor")),
                Some(x) if x < 1 => Err(self.error(format!("{at}.factor"), "must be at least 1")),
                Some(x) => Ok(x),
            }
        };
        let kind = match kind {
            "taskmanager-crash" => FaultKind::TaskmanagerCrash {
                taskmanager: taskmanager()?,
                restart_after_ns: positive(f.restart_after.map(|d| d.0), "restart-after")?,
            },
            "connection-loss" => {
                let (a, b) = between()?;
                FaultKind::ConnectionLoss { a, b }
            }
            "network-partition" => {
                let (a, b) = between()?;
                FaultKind::NetworkPartition {
                    a,
                    b,
                    duration_ns: duration()?,
                }
            }
            "slow-link" => FaultKind::SlowLink {
                taskmanager: taskmanager()?,
                factor: factor()?,
                duration_ns: duration()?,
            },
            "latency-spike" => FaultKind::LatencySpike {
                extra_ns: positive(f.latency.map(|d| d.0), "latency")?,
                duration_ns: duration()?,
            },
            "disk-full" => FaultKind::DiskFull {
                taskmanager: taskmanager()?,
                duration_ns: duration()?,
            },
            "slow-disk" => FaultKind::SlowDisk {
                taskmanager: taskmanager()?,
                factor: factor()?,
                duration_ns: duration()?,
            },
            "storage-outage" => FaultKind::StorageOutage {
                duration_ns: duration()?,
                hang: f.hang.unwrap_or(false),
            },
            "slow-storage" => FaultKind::SlowStorage {
                factor: factor()?,
                duration_ns: duration()?,
            },
            "jobmanager-crash" => FaultKind::JobmanagerCrash {
                failover_after_ns: positive(f.failover_after.map(|d| d.0), "failover-after")?,
            },
            _ => {
                let name = f.operator.as_ref().ok_or_else(|| need("operator"))?;
                let Some(operator) = s.operators.iter().position(|o| &o.name == name) else {
                    let hint = nearest(name, s.operators.iter().map(|o| o.name.as_str()))
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default();
                    return Err(self.error(format!("{at}.operator"), format!("no operator `{name}`{hint}")));
                };
                let subtask = f.subtask.ok_or_else(|| need("subtask"))?;
                FaultKind::SubtaskStall {
                    operator,
                    subtask,
                    duration_ns: duration()?,
                }
            }
        };
        Ok(Fault { at_ns: f.at.0, kind })
    }

    pub(super) fn random_faults(&self, raw: &ScenarioFile) -> Checked<RandomFaults> {
        let mut spec = RandomFaults::default();
        let Some(r) = &raw.random_faults else {
            return Ok(spec);
        };
        if let Some(max) = r.max_faults {
            spec.max_faults = max;
        }
        if let Some(kinds) = &r.kinds {
            for (i, k) in kinds.iter().enumerate() {
                if !FaultKind::NAMES.contains(&k.as_str()) {
                    let hint = nearest(k, FaultKind::NAMES)
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default();
                    return Err(self.error(
                        format!("random-faults.kinds[{i}]"),
                        format!("unknown fault kind `{k}`{hint}"),
                    ));
                }
            }
            spec.kinds = kinds.clone();
        }
        Ok(spec)
    }

    /// Flink's `restart-strategy.*` keys. With none given, Flink's default applies:
    /// exponential-delay when checkpointing is on, none otherwise.
    pub(super) fn restart_strategy(&self, raw: &ScenarioFile) -> Checked<RestartStrategy> {
        let cfg = &raw.config;
        let key = "config.restart-strategy.type";
        let checkpointing = cfg.checkpoint_interval.is_some() || !raw.checkpointing.triggers.is_empty();
        let name = match cfg.restart_strategy.as_deref().map(str::to_ascii_lowercase) {
            Some(n) => n,
            None if checkpointing => "exponential-delay".to_string(),
            None => "none".to_string(),
        };
        Ok(match name.as_str() {
            "none" | "off" | "disable" => RestartStrategy::None,
            "fixed-delay" | "fixeddelay" => RestartStrategy::FixedDelay {
                attempts: cfg.fixed_delay_attempts.unwrap_or(1),
                delay_ns: cfg.fixed_delay_delay.map_or(SECOND, |d| d.0),
            },
            "failure-rate" | "failurerate" => RestartStrategy::FailureRate {
                max_failures_per_interval: cfg.failure_rate_max_failures.unwrap_or(1),
                interval_ns: cfg.failure_rate_interval.map_or(MINUTE, |d| d.0),
                delay_ns: cfg.failure_rate_delay.map_or(SECOND, |d| d.0),
            },
            "exponential-delay" | "exponentialdelay" => {
                let multiplier = cfg.exponential_multiplier.unwrap_or(1.5);
                if !(1.0..=1000.0).contains(&multiplier) {
                    return Err(self.error(
                        "config.restart-strategy.exponential-delay.backoff-multiplier",
                        "must be between 1 and 1000",
                    ));
                }
                RestartStrategy::ExponentialDelay {
                    initial_backoff_ns: cfg.exponential_initial_backoff.map_or(SECOND, |d| d.0),
                    max_backoff_ns: cfg.exponential_max_backoff.map_or(MINUTE, |d| d.0),
                    multiplier_milli: (multiplier * 1000.0).round() as u64,
                    reset_threshold_ns: cfg.exponential_reset_threshold.map_or(60 * MINUTE, |d| d.0),
                    attempts_before_reset: cfg.exponential_attempts.unwrap_or(u32::MAX),
                }
            }
            other => {
                let names = ["none", "fixed-delay", "failure-rate", "exponential-delay"];
                let hint = nearest(other, names)
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                return Err(self.error(
                    key,
                    format!(
                        "unknown restart strategy `{other}`{hint} (one of: {})",
                        names.join(", ")
                    ),
                ));
            }
        })
    }
}

fn duration_text(ns: Nanos) -> Value {
    Value::String(format!("{ns}ns"))
}

/// One fault as a scenario file writes it.
pub fn fault_to_yaml(fault: &Fault, scenario: &Scenario) -> Value {
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::String(k.into()), v);
    };
    put("at", duration_text(fault.at_ns));
    put("kind", Value::String(fault.kind.name().into()));
    let pair = |a: u32, b: u32| Value::Sequence(vec![a.into(), b.into()]);
    match fault.kind {
        FaultKind::TaskmanagerCrash {
            taskmanager,
            restart_after_ns,
        } => {
            put("taskmanager", taskmanager.into());
            put("restart-after", duration_text(restart_after_ns));
        }
        FaultKind::ConnectionLoss { a, b } => put("between", pair(a, b)),
        FaultKind::NetworkPartition { a, b, duration_ns } => {
            put("between", pair(a, b));
            put("duration", duration_text(duration_ns));
        }
        FaultKind::SlowLink {
            taskmanager,
            factor,
            duration_ns,
        }
        | FaultKind::SlowDisk {
            taskmanager,
            factor,
            duration_ns,
        } => {
            put("taskmanager", taskmanager.into());
            put("factor", factor.into());
            put("duration", duration_text(duration_ns));
        }
        FaultKind::LatencySpike { extra_ns, duration_ns } => {
            put("latency", duration_text(extra_ns));
            put("duration", duration_text(duration_ns));
        }
        FaultKind::DiskFull {
            taskmanager,
            duration_ns,
        } => {
            put("taskmanager", taskmanager.into());
            put("duration", duration_text(duration_ns));
        }
        FaultKind::StorageOutage { duration_ns, hang } => {
            put("duration", duration_text(duration_ns));
            put("hang", hang.into());
        }
        FaultKind::SlowStorage { factor, duration_ns } => {
            put("factor", factor.into());
            put("duration", duration_text(duration_ns));
        }
        FaultKind::JobmanagerCrash { failover_after_ns } => put("failover-after", duration_text(failover_after_ns)),
        FaultKind::SubtaskStall {
            operator,
            subtask,
            duration_ns,
        } => {
            put("operator", Value::String(scenario.operators[operator].name.clone()));
            put("subtask", subtask.into());
            put("duration", duration_text(duration_ns));
        }
    }
    Value::Mapping(m)
}

/// The scenario text `original` with its seed and fault list replaced: a file that
/// `ckptsim run` reproduces. Comments of the original are not kept.
pub fn with_faults(original: &str, scenario: &Scenario, seed: u64, faults: &[Fault]) -> Result<String, String> {
    let mut doc: Value = serde_yaml::from_str(original).map_err(|e| e.to_string())?;
    let Value::Mapping(top) = &mut doc else {
        return Err("the scenario is not a mapping".into());
    };
    top.insert("seed".into(), seed.into());
    top.insert(
        "faults".into(),
        Value::Sequence(faults.iter().map(|f| fault_to_yaml(f, scenario)).collect()),
    );
    serde_yaml::to_string(&doc).map_err(|e| e.to_string())
}
