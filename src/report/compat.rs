//! Reading a run's statistics back from `run.json`.
//!
//! The statistics hold a few types of the simulated world (samples, subtask metrics,
//! checkpoint breakdowns) that only serialise, and `&'static str` names that other
//! code compares with literals. Rather than change those types, these helpers read
//! the same JSON shape into them: mirror structs for the model types, and interned
//! strings for the names (a run's names are few, so interning leaks next to nothing).

use crate::model::world::{Sample, SubtaskBreakdown, SubtaskMetrics};
use crate::sim::Nanos;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Returns the one `'static` copy of `text`, leaking it the first time it is seen.
pub fn intern(text: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(name) = names.get(text) {
        return name;
    }
    let name: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(name);
    name
}

pub fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    Ok(intern(&String::deserialize(d)?))
}

pub fn static_str_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| intern(&s)))
}

pub fn timed_reasons<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Nanos, &'static str)>, D::Error> {
    let raw = Vec::<(Nanos, String)>::deserialize(d)?;
    Ok(raw.into_iter().map(|(t, r)| (t, intern(&r))).collect())
}

pub fn failover_requests<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Nanos, u64, &'static str)>, D::Error> {
    let raw = Vec::<(Nanos, u64, String)>::deserialize(d)?;
    Ok(raw.into_iter().map(|(t, id, r)| (t, id, intern(&r))).collect())
}

/// The JSON shape of [`Sample`].
#[derive(Deserialize)]
struct SampleJson {
    time: Nanos,
    source_records: u64,
    sink_records: u64,
    backpressured_subtasks: u32,
}

pub fn samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Sample>, D::Error> {
    let raw = Vec::<SampleJson>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|s| Sample {
            time: s.time,
            source_records: s.source_records,
            sink_records: s.sink_records,
            backpressured_subtasks: s.backpressured_subtasks,
        })
        .collect())
}

/// The JSON shape of [`SubtaskMetrics`] (flattened into its subtask's summary).
#[derive(Deserialize)]
struct MetricsJson {
    records_in: u64,
    records_out: u64,
    busy_ns: Nanos,
    backpressured_ns: Nanos,
}

pub fn subtask_metrics<'de, D: Deserializer<'de>>(d: D) -> Result<SubtaskMetrics, D::Error> {
    let m = MetricsJson::deserialize(d)?;
    #[allow(clippy::needless_update)] // new fields of the model default to zero
    Ok(SubtaskMetrics {
        records_in: m.records_in,
        records_out: m.records_out,
        busy_ns: m.busy_ns,
        backpressured_ns: m.backpressured_ns,
        ..Default::default()
    })
}

/// The JSON shape of [`SubtaskBreakdown`], with its renamed fields.
#[derive(Deserialize)]
struct BreakdownJson {
    checkpoint_id: u64,
    subtask: usize,
    operator: usize,
    index: u32,
    trigger_timestamp: Nanos,
    ack_timestamp: Nanos,
    end_to_end_duration_ns: Nanos,
    start_delay_ns: Nanos,
    alignment_duration_ns: Nanos,
    snapshot_wait_ns: Nanos,
    sync_duration_ns: Nanos,
    async_duration_ns: Nanos,
    ack_transit_ns: Nanos,
    flink_alignment_duration_ns: Nanos,
    unaligned_checkpoint: bool,
    state_size: u64,
    checkpointed_size: u64,
    processed_data: u64,
    persisted_data: u64,
}

pub fn breakdowns<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SubtaskBreakdown>, D::Error> {
    let raw = Vec::<BreakdownJson>::deserialize(d)?;
    #[allow(clippy::needless_update)] // new fields of the model default to zero
    Ok(raw
        .into_iter()
        .map(|b| SubtaskBreakdown {
            checkpoint_id: b.checkpoint_id,
            subtask: b.subtask,
            operator: b.operator,
            index: b.index,
            trigger_timestamp: b.trigger_timestamp,
            ack_timestamp: b.ack_timestamp,
            end_to_end_ns: b.end_to_end_duration_ns,
            start_delay_ns: b.start_delay_ns,
            alignment_ns: b.alignment_duration_ns,
            snapshot_wait_ns: b.snapshot_wait_ns,
            sync_ns: b.sync_duration_ns,
            async_ns: b.async_duration_ns,
            ack_transit_ns: b.ack_transit_ns,
            reported_alignment_ns: b.flink_alignment_duration_ns,
            unaligned: b.unaligned_checkpoint,
            state_size: b.state_size,
            checkpointed_size: b.checkpointed_size,
            processed_data: b.processed_data,
            persisted_data: b.persisted_data,
            ..Default::default()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_returns_one_copy_per_name() {
        let a = intern(&String::from("CHECKPOINT_EXPIRED"));
        let b = intern("CHECKPOINT_EXPIRED");
        assert_eq!(a, "CHECKPOINT_EXPIRED");
        assert!(std::ptr::eq(a, b));
    }
}
