//! What `ckptsim compare` measures per run: the costs checkpoint protocols are
//! compared by (CheckMate's figures), from a run's summary alone.

use super::sweep_result::{METRICS, Metric, SweepRun};
use crate::stats::run::RunSummary;
use serde::{Deserialize, Serialize};

const MS: f64 = 1e6;

/// One run's protocol costs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProtocolMetrics {
    /// Source-to-sink latency of records.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// Subtask time spent checkpointing, summed over every acknowledged part:
    /// alignment, synchronous and asynchronous phases.
    pub checkpointing_s: f64,
    /// Checkpoints completed (for barrier-less protocols, one per subtask snapshot).
    pub checkpoints: u64,
    /// Snapshots forced by the communication-induced rule.
    pub forced_checkpoints: u64,
    /// Records read again after restores: sources rewound plus records replayed
    /// from message logs.
    pub records_replayed: u64,
    /// The most checkpoints one subtask rolled back at one restore.
    pub rollback_depth: u64,
    /// Bytes uploaded to checkpoint storage by acknowledged parts.
    pub checkpoint_bytes: u64,
    /// Bytes written to message logs.
    pub log_bytes: u64,
    /// Control bytes the protocol put on the network besides barriers (dependency
    /// vectors piggybacked on data buffers).
    pub protocol_network_bytes: u64,
}

impl ProtocolMetrics {
    pub fn of(s: &RunSummary) -> Self {
        let parts = s.checkpoints.as_ref().map_or(&[][..], |c| &c.subtasks[..]);
        let checkpointing_ns: u64 = parts.iter().map(|p| p.alignment_ns + p.sync_ns + p.async_ns).sum();
        let protocol = s.protocol.as_ref();
        let rewound: u64 = s.recoveries.iter().map(|r| r.reprocessed_records).sum();
        ProtocolMetrics {
            latency_p50_ms: s.latency.p50_ns as f64 / MS,
            latency_p99_ms: s.latency.p99_ns as f64 / MS,
            checkpointing_s: checkpointing_ns as f64 / 1e9,
            checkpoints: s.checkpoints.as_ref().map_or(0, |c| c.completed),
            forced_checkpoints: protocol.map_or(0, |p| p.forced_checkpoints),
            records_replayed: rewound + protocol.map_or(0, |p| p.replayed_from_logs),
            rollback_depth: protocol.map_or(0, |p| p.line.max_rollback_depth),
            checkpoint_bytes: parts.iter().map(|p| p.checkpointed_size).sum(),
            log_bytes: protocol.map_or(0, |p| p.logged_bytes),
            protocol_network_bytes: protocol.map_or(0, |p| p.piggyback_bytes),
        }
    }
}

fn protocol(r: &SweepRun) -> Option<&ProtocolMetrics> {
    r.protocol.as_ref()
}

/// The metrics of a comparison, in table order; throughput, checkpoint end-to-end
/// p50 and recovery time are the sweep's own.
pub const COMPARE_METRICS: [Metric; 13] = [
    METRICS[4],
    Metric {
        key: "latency_p50_ms",
        label: "record latency p50",
        short: "latency p50",
        unit: "ms",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.latency_p50_ms),
    },
    Metric {
        key: "latency_p99_ms",
        label: "record latency p99",
        short: "latency p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.latency_p99_ms),
    },
    Metric {
        key: "checkpointing_s",
        label: "total checkpointing time (subtask alignment + sync + async)",
        short: "checkpointing time",
        unit: "s",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.checkpointing_s),
    },
    METRICS[0],
    Metric {
        key: "checkpoints",
        label: "checkpoints completed",
        short: "checkpoints",
        unit: "checkpoints",
        higher_is_better: true,
        get: |r| protocol(r).map(|p| p.checkpoints as f64),
    },
    Metric {
        key: "forced_checkpoints",
        label: "forced checkpoints",
        short: "forced checkpoints",
        unit: "checkpoints",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.forced_checkpoints as f64),
    },
    METRICS[5],
    Metric {
        key: "records_replayed",
        label: "records replayed (sources rewound + logs)",
        short: "records replayed",
        unit: "records",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.records_replayed as f64),
    },
    Metric {
        key: "rollback_depth",
        label: "rollback depth (most checkpoints one subtask rolled back)",
        short: "rollback depth",
        unit: "checkpoints",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.rollback_depth as f64),
    },
    Metric {
        key: "checkpoint_bytes",
        label: "bytes written to checkpoint storage",
        short: "checkpoint bytes",
        unit: "bytes",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.checkpoint_bytes as f64),
    },
    Metric {
        key: "log_bytes",
        label: "bytes written to message logs",
        short: "log bytes",
        unit: "bytes",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.log_bytes as f64),
    },
    Metric {
        key: "protocol_network_bytes",
        label: "protocol bytes on the network (piggybacked)",
        short: "protocol bytes",
        unit: "bytes",
        higher_is_better: false,
        get: |r| protocol(r).map(|p| p.protocol_network_bytes as f64),
    },
];
