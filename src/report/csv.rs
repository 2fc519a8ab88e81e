//! `checkpoints.csv` (one row per checkpoint) and `subtasks.csv` (one row per subtask
//! part of a checkpoint), for spreadsheets and pandas. Durations in milliseconds with
//! microsecond precision, sizes in bytes, timestamps in ms since the run started.

use super::analysis::{checkpoint_views, subtask_name, subtask_names};
use super::record::RunRecord;
use crate::sim::Nanos;
use std::fmt::Write;

fn ms(ns: Nanos) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// Quotes a field when it holds a comma, quote or newline (RFC 4180).
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

pub fn checkpoints(record: &RunRecord) -> String {
    let mut out = String::from(
        "id,status,is_savepoint,trigger_ms,end_to_end_ms,finalize_ms,state_size,checkpointed_size,processed_data,\
         persisted_data,num_subtasks,num_acknowledged_subtasks,unaligned_subtasks,\
         start_delay_p50_ms,start_delay_max_ms,alignment_p50_ms,alignment_max_ms,snapshot_wait_p50_ms,\
         snapshot_wait_max_ms,sync_p50_ms,sync_max_ms,async_p50_ms,async_max_ms,ack_transit_p50_ms,\
         ack_transit_max_ms,slowest_subtask,failure_message\n",
    );
    let names = subtask_names(&record.summary);
    for v in checkpoint_views(&record.summary) {
        let c = v.checkpoint;
        let opt = |x: Option<Nanos>| x.map_or_else(String::new, ms);
        let slowest = v.slowest().map(|b| subtask_name(&names, b)).unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.id,
            c.status,
            c.is_savepoint,
            ms(c.trigger_timestamp),
            opt(c.end_to_end_duration),
            opt(c.finalize_duration),
            c.state_size,
            c.checkpointed_size,
            c.processed_data,
            c.persisted_data,
            c.num_subtasks,
            c.num_acknowledged_subtasks,
            c.unaligned_subtasks,
            ms(c.start_delay.p50),
            ms(c.start_delay.max),
            ms(c.alignment.p50),
            ms(c.alignment.max),
            ms(c.snapshot_wait.p50),
            ms(c.snapshot_wait.max),
            ms(c.sync.p50),
            ms(c.sync.max),
            ms(c.async_.p50),
            ms(c.async_.max),
            ms(c.ack_transit.p50),
            ms(c.ack_transit.max),
            field(&slowest),
            field(c.failure_message.unwrap_or(""))
        );
    }
    out
}

pub fn subtasks(record: &RunRecord) -> String {
    let mut out = String::from(
        "checkpoint_id,subtask,operator,index,trigger_ms,ack_ms,end_to_end_ms,start_delay_ms,alignment_ms,\
         snapshot_wait_ms,sync_ms,async_ms,ack_transit_ms,flink_alignment_ms,unaligned,state_size,\
         checkpointed_size,processed_data,persisted_data\n",
    );
    let names = subtask_names(&record.summary);
    let Some(report) = &record.summary.checkpoints else {
        return out;
    };
    for b in &report.subtasks {
        let name = subtask_name(&names, b);
        let operator = name.rsplit_once('#').map_or(name.as_str(), |(op, _)| op);
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            b.checkpoint_id,
            field(&name),
            field(operator),
            b.index,
            ms(b.trigger_timestamp),
            ms(b.ack_timestamp),
            ms(b.end_to_end_ns),
            ms(b.start_delay_ns),
            ms(b.alignment_ns),
            ms(b.snapshot_wait_ns),
            ms(b.sync_ns),
            ms(b.async_ns),
            ms(b.ack_transit_ns),
            ms(b.reported_alignment_ns),
            b.unaligned,
            b.state_size,
            b.checkpointed_size,
            b.processed_data,
            b.persisted_data
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_with_commas_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
