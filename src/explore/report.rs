//! The text an exploration prints. An unsharded run and a merge of shards print it
//! from the same header and results, so their outputs are equal byte for byte; wall
//! times are not part of it (the CLI prints them to stderr).

use super::shard::Header;
use super::{SeedResult, results_digest};
use crate::fault::{Fault, random_schedule};
use crate::scenario::Scenario;
use crate::scenario::faults::fault_to_yaml;
use crate::sim::time::format_duration;
use crate::stats::faults::CheckpointPhase;
use serde_yaml::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Violations printed in full; the rest are counted, and all are in the results file.
const SHOWN_VIOLATIONS: usize = 20;

/// Where the replay scenario of a violation goes.
pub fn replay_path(out_dir: &Path, seed: u64) -> PathBuf {
    out_dir.join(format!("violation-seed-{seed}.yaml"))
}

/// The command that replays a violation.
pub fn replay_command(out_dir: &Path, seed: u64) -> String {
    format!("ckptsim run {}", replay_path(out_dir, seed).display())
}

/// The schedule a violation's replay file holds: the shrunk one, or the seed's
/// whole random schedule when it was not shrunk.
pub fn replay_faults(r: &SeedResult, scenario: &Scenario) -> Vec<Fault> {
    match &r.shrunk {
        Some(s) => s.faults.clone(),
        None => random_schedule(scenario, r.seed),
    }
}

/// One fault for a person: `at 812.5ms  taskmanager-crash  taskmanager 1, restart-after 50.0ms`.
/// Built from the scenario-file form, so that it names fields as a scenario does.
pub fn describe_fault(fault: &Fault, scenario: &Scenario) -> String {
    let Value::Mapping(fields) = fault_to_yaml(fault, scenario) else {
        return format!("{fault:?}");
    };
    let value = |v: &Value| -> String {
        match v {
            // Durations are written as exact nanoseconds; show them readably.
            Value::String(s) => match s.strip_suffix("ns").and_then(|n| n.parse::<u64>().ok()) {
                Some(ns) => format_duration(ns),
                None => s.clone(),
            },
            Value::Sequence(items) => items.iter().map(serde_yaml_scalar).collect::<Vec<_>>().join("-"),
            other => serde_yaml_scalar(other),
        }
    };
    let details: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| {
            let k = k.as_str()?;
            (k != "at" && k != "kind").then(|| format!("{k} {}", value(v)))
        })
        .collect();
    format!(
        "at {:<9} {:<18} {}",
        format_duration(fault.at_ns),
        fault.kind.name(),
        details.join(", ")
    )
}

fn serde_yaml_scalar(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// How many seeds had a fault strike in the middle of each checkpoint phase: where
/// the exploration looked.
pub fn phase_coverage(results: &[SeedResult]) -> String {
    let counts: Vec<String> = CheckpointPhase::ALL
        .iter()
        .map(|phase| {
            let seeds = results
                .iter()
                .filter(|r| r.phases.iter().any(|p| p == phase.name()))
                .count();
            format!("{} {seeds}", phase.name())
        })
        .collect();
    let outside = results.iter().filter(|r| r.faults > 0 && r.phases.is_empty()).count();
    format!(
        "seeds with a fault during: {}; only outside these phases: {outside}",
        counts.join(", ")
    )
}

/// The summary of an exploration (or of one shard of it).
pub fn summary_text(header: &Header, results: &[SeedResult], scenario: &Scenario, out_dir: &Path) -> String {
    let mut out = String::new();
    let seeds = &header.seeds;
    let which = if header.shard.count == 1 {
        format!("seeds {}..{}", seeds.start, seeds.end)
    } else {
        format!("shard {} of seeds {}..{}", header.shard, seeds.start, seeds.end)
    };
    let spec = &scenario.random_faults;
    let _ = writeln!(
        out,
        "explore `{}`: {which}, {} runs; each seed draws 1 to {} faults of {} kinds",
        header.scenario,
        results.len(),
        spec.max_faults,
        spec.kinds.len()
    );
    let violated: Vec<&SeedResult> = results.iter().filter(|r| !r.held).collect();
    let faults: usize = results.iter().map(|r| r.faults).sum();
    let recoveries: usize = results.iter().map(|r| r.recoveries).sum();
    let recovered_seeds = results.iter().filter(|r| r.recoveries > 0).count();
    let failed_jobs = results.iter().filter(|r| r.job_failed).count();
    // The guarantee the oracle checks: what the scenario's checkpointing promises.
    let guarantee = match (scenario.checkpointing.enabled(), scenario.checkpointing.mode) {
        (true, crate::scenario::checkpointing::Mode::ExactlyOnce) => "exactly-once",
        (true, crate::scenario::checkpointing::Mode::AtLeastOnce) => "at-least-once",
        (false, _) => "exactly-once without failures, at-least-once after a restart",
    };
    let _ = writeln!(
        out,
        "{guarantee}: held in {} seeds, violated in {}",
        results.len() - violated.len(),
        violated.len()
    );
    let _ = writeln!(
        out,
        "faults: {faults} injected; {recoveries} recoveries in {recovered_seeds} seeds; \
         the restart strategy gave up in {failed_jobs} seeds"
    );
    let _ = writeln!(out, "{}", phase_coverage(results));
    let _ = writeln!(
        out,
        "results digest {} (scenario {})",
        results_digest(results),
        header.scenario_digest
    );
    for r in violated.iter().take(SHOWN_VIOLATIONS) {
        let _ = writeln!(out);
        let _ = writeln!(out, "VIOLATION seed {}: {}", r.seed, r.headline);
        let faults = replay_faults(r, scenario);
        match &r.shrunk {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "  shrunk from {} to {} fault(s) in {} runs:",
                    r.faults,
                    s.faults.len(),
                    s.runs
                );
            }
            None => {
                let _ = writeln!(out, "  {} fault(s), not shrunk:", r.faults);
            }
        }
        if faults.is_empty() {
            let _ = writeln!(out, "    (none: the seed fails without faults)");
        }
        for f in &faults {
            let _ = writeln!(out, "    {}", describe_fault(f, scenario));
        }
        let _ = writeln!(out, "  replay: {}", replay_command(out_dir, r.seed));
    }
    if violated.len() > SHOWN_VIOLATIONS {
        let _ = writeln!(
            out,
            "\n... and {} more violations (every one is in the results file)",
            violated.len() - SHOWN_VIOLATIONS
        );
    }
    out
}
