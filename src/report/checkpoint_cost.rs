//! What checkpointing costs the job's processing, from a run's acknowledged subtask
//! parts. Flink snapshots asynchronously: a subtask stops processing (some or all of
//! its inputs) only for the blocking alignment and the synchronous phase, while the
//! asynchronous upload runs beside it. So the cost counted here is those two phases;
//! the upload shows in the end-to-end duration, a metric of its own.

use super::units::{ms, percentile};
use crate::model::world::SubtaskBreakdown;
use crate::stats::run::RunSummary;

/// A run's checkpointing cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CheckpointCost {
    /// C: the median over completed checkpoints (savepoints left out) of the mean
    /// over the checkpoint's subtasks of blocking alignment + sync, in ms. `None`
    /// when no checkpoint completed.
    pub per_checkpoint_ms: Option<f64>,
    /// Blocking alignment + sync summed over every acknowledged part (failed
    /// checkpoints' too), as a percentage of all subtasks' time (subtasks × the
    /// run's virtual time). 0 when the scenario does not checkpoint. About
    /// `per_checkpoint_ms` × checkpoints per second, in percent.
    pub overhead_pct: Option<f64>,
}

/// The time a subtask's processing was held by one checkpoint.
fn blocking_ns(part: &SubtaskBreakdown) -> u64 {
    part.alignment_ns + part.sync_ns
}

pub fn of(s: &RunSummary) -> CheckpointCost {
    let Some(report) = &s.checkpoints else {
        return CheckpointCost {
            per_checkpoint_ms: None,
            overhead_pct: Some(0.0),
        };
    };
    let subtask_time = s.subtasks.len() as f64 * s.virtual_time_ns.max(1) as f64;
    let blocked: u64 = report.subtasks.iter().map(blocking_ns).sum();
    // Each completed checkpoint's parts, found in one pass over the parts.
    let mut parts_of: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
    for p in &report.subtasks {
        let e = parts_of.entry(p.checkpoint_id).or_default();
        e.0 += blocking_ns(p);
        e.1 += 1;
    }
    let mut costs: Vec<f64> = report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED" && !c.is_savepoint)
        .filter_map(|c| parts_of.get(&c.id))
        .filter(|(_, n)| *n > 0)
        .map(|(sum, n)| ms(*sum) / *n as f64)
        .collect();
    CheckpointCost {
        per_checkpoint_ms: percentile(&mut costs, 0.5),
        overhead_pct: Some(100.0 * blocked as f64 / subtask_time),
    }
}
