//! What the checkpoint protocol itself cost a run, beyond Flink's checkpoint
//! statistics: the figures protocols are compared by.

use crate::model::World;
use crate::protocol::interface::LineStats;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProtocolSummary {
    /// `ckptsim.checkpointing.protocol`.
    pub name: String,
    /// Snapshots subtasks took on their own timers (basic checkpoints).
    pub timer_checkpoints: u64,
    /// Snapshots the protocol forced before a message (communication-induced).
    pub forced_checkpoints: u64,
    /// Control information piggybacked on data buffers, in all and per buffer.
    pub piggyback_bytes: u64,
    pub piggyback_bytes_per_buffer: u64,
    /// Records written to the senders' message logs, and the most held at once.
    pub logged_records: u64,
    /// Bytes written to the message logs over the run.
    #[serde(default)]
    pub logged_bytes: u64,
    pub log_peak_records: u64,
    pub log_peak_bytes: u64,
    /// Records restores replayed from the logs.
    pub replayed_from_logs: u64,
    /// Recovery lines the coordinator advanced to.
    pub recovery_lines: u64,
    /// Checkpoints rolled back at restores, and how deep, and checkpoints never used.
    pub line: LineStats,
}

impl ProtocolSummary {
    /// The protocol's figures of a checkpointing run; `None` without checkpoints.
    pub fn from_world(world: &World) -> Option<Self> {
        let rt = world.ckpt.as_ref()?;
        let logs = rt.logs.as_ref();
        Some(ProtocolSummary {
            name: world.scenario.protocol().name().to_string(),
            timer_checkpoints: rt.timer_snapshots,
            forced_checkpoints: rt.forced_snapshots,
            piggyback_bytes: rt.piggyback_bytes,
            piggyback_bytes_per_buffer: world.channels.iter().map(|c| c.piggyback_bytes).max().unwrap_or(0),
            logged_records: logs.map_or(0, |l| l.logged_records),
            logged_bytes: logs.map_or(0, |l| l.logged_bytes),
            log_peak_records: logs.map_or(0, |l| l.peak_records),
            log_peak_bytes: logs.map_or(0, |l| l.peak_bytes),
            replayed_from_logs: logs.map_or(0, |l| l.replayed_records),
            recovery_lines: rt.lines.len() as u64,
            line: rt.coordinator.line_stats(),
        })
    }
}
