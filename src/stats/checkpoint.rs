//! Checkpoint statistics of a run, in the field names of Flink's REST API
//! (`/jobs/:jobid/checkpoints`), with each subtask's time cut into phases.

use crate::model::World;
use crate::model::world::SubtaskBreakdown;
use crate::sim::Nanos;
use serde::{Deserialize, Serialize};

/// Percentile of a set of durations (nearest rank); 0 when empty.
fn percentile(values: &mut [Nanos], q: f64) -> Nanos {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// A name from Flink's vocabulary (a status, a failure reason): static text. The
/// alias keeps serde from borrowing it when `run.json` is read back.
pub type FlinkName = &'static str;

/// The p50 and maximum of one phase over a checkpoint's subtasks.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PhaseSpread {
    pub p50: Nanos,
    pub max: Nanos,
}

fn spread(parts: &[&SubtaskBreakdown], phase: impl Fn(&SubtaskBreakdown) -> Nanos) -> PhaseSpread {
    let mut values: Vec<Nanos> = parts.iter().map(|b| phase(b)).collect();
    PhaseSpread {
        p50: percentile(&mut values, 0.5),
        max: values.iter().copied().max().unwrap_or(0),
    }
}

/// One checkpoint, as Flink's REST API reports it, plus its phase spreads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointSummary {
    pub id: u64,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[serde(deserialize_with = "crate::report::compat::static_str")]
    pub status: FlinkName,
    pub is_savepoint: bool,
    pub trigger_timestamp: Nanos,
    pub latest_ack_timestamp: Option<Nanos>,
    pub end_to_end_duration: Option<Nanos>,
    pub state_size: u64,
    pub checkpointed_size: u64,
    pub processed_data: u64,
    pub persisted_data: u64,
    pub num_subtasks: usize,
    pub num_acknowledged_subtasks: usize,
    /// All acknowledged to metadata written: the coordinator's finalization.
    pub finalize_duration: Option<Nanos>,
    #[serde(default, deserialize_with = "crate::report::compat::static_str_opt")]
    pub failure_message: Option<FlinkName>,
    pub unaligned_subtasks: usize,
    pub start_delay: PhaseSpread,
    pub alignment: PhaseSpread,
    pub snapshot_wait: PhaseSpread,
    pub sync: PhaseSpread,
    #[serde(rename = "async")]
    pub async_: PhaseSpread,
    pub ack_transit: PhaseSpread,
    /// Flink's alignment duration (for unaligned checkpoints, until the last barrier).
    pub reported_alignment: PhaseSpread,
    /// Subtasks (operator, index) that had finished before the trigger: counted as
    /// acknowledged at the trigger with an empty snapshot, as Flink reports them.
    #[serde(default)]
    pub finished_subtasks: Vec<(usize, u32)>,
    /// With file merging on: the logical files it wrote and the physical files it opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_written: Option<crate::model::file_merging::FilesWritten>,
}

/// Everything about a run's checkpoints.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub triggered: u64,
    pub completed: u64,
    pub failed: u64,
    pub in_progress: u64,
    pub checkpoints: Vec<CheckpointSummary>,
    /// Every acknowledged subtask part, in acknowledgement order.
    pub subtasks: Vec<SubtaskBreakdown>,
    /// Periodic triggers the coordinator skipped, with Flink's reason.
    #[serde(deserialize_with = "crate::report::compat::timed_reasons")]
    pub dropped_triggers: Vec<(Nanos, &'static str)>,
    /// Times the coordinator asked for a failover (tolerable failures exceeded).
    #[serde(deserialize_with = "crate::report::compat::failover_requests")]
    pub failover_requests: Vec<(Nanos, u64, &'static str)>,
    /// What checkpoint storage held: the files checkpoints refer to.
    #[serde(default)]
    pub storage: StorageUsage,
}

/// Bytes and files in checkpoint storage (the run's time series has them over time):
/// the logical files checkpoints refer to.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StorageUsage {
    pub bytes_at_end: u64,
    pub files_at_end: u64,
    pub peak_bytes: u64,
    pub peak_files: u64,
    /// With file merging on, the physical files those are segments of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_merging: Option<FileMergingUsage>,
}

/// Physical files in checkpoint storage with file merging on, and space amplification
/// (physical bytes held over logical bytes referenced, as Flink's `SpaceStat`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FileMergingUsage {
    pub physical_bytes_at_end: u64,
    pub physical_files_at_end: u64,
    pub peak_physical_bytes: u64,
    pub peak_physical_files: u64,
    pub space_amplification_at_end: f64,
    pub peak_space_amplification: f64,
    /// Over the run's samples while storage held anything.
    pub mean_space_amplification: f64,
    /// By TaskManager at the end: logical files and bytes, physical files and bytes
    /// (Flink's `fileMerging.*` gauges of that TaskManager's manager).
    pub by_taskmanager: Vec<TaskManagerFiles>,
}

/// One TaskManager's file-merging manager at the end of the run.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskManagerFiles {
    pub taskmanager: usize,
    pub logical_file_count: u64,
    pub logical_file_size: u64,
    pub physical_file_count: u64,
    pub physical_file_size: u64,
}

impl CheckpointReport {
    pub fn from_world(world: &World) -> Option<Self> {
        let rt = world.ckpt.as_ref()?;
        let counts = rt.coordinator.counts();
        // Each checkpoint's parts, found in one pass: a long run has many thousands
        // of checkpoints, and scanning every part for each was quadratic.
        let mut parts_of: std::collections::BTreeMap<u64, Vec<&SubtaskBreakdown>> = Default::default();
        for b in &rt.breakdowns {
            parts_of.entry(b.checkpoint_id).or_default().push(b);
        }
        let checkpoints = rt
            .coordinator
            .history()
            .iter()
            .map(|c| {
                // Only the parts the coordinator accepted, as Flink's REST API shows
                // them: an acknowledgement that arrives after the checkpoint failed is not.
                let parts: Vec<&SubtaskBreakdown> = parts_of
                    .get(&c.checkpoint_id)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|b| c.subtasks.contains_key(&b.subtask))
                    .collect();
                CheckpointSummary {
                    id: c.checkpoint_id,
                    status: c.status.flink_name(),
                    is_savepoint: c.is_savepoint,
                    trigger_timestamp: c.trigger_timestamp,
                    latest_ack_timestamp: c.latest_ack_timestamp,
                    end_to_end_duration: c.end_to_end_duration,
                    state_size: c.state_size,
                    checkpointed_size: c.checkpointed_size,
                    processed_data: c.processed_data,
                    persisted_data: c.persisted_data,
                    num_subtasks: c.num_subtasks,
                    num_acknowledged_subtasks: c.num_acknowledged_subtasks,
                    finalize_duration: c.finalize_duration,
                    failure_message: c.failure_message(),
                    unaligned_subtasks: parts.iter().filter(|b| b.unaligned).count(),
                    start_delay: spread(&parts, |b| b.start_delay_ns),
                    alignment: spread(&parts, |b| b.alignment_ns),
                    snapshot_wait: spread(&parts, |b| b.snapshot_wait_ns),
                    sync: spread(&parts, |b| b.sync_ns),
                    async_: spread(&parts, |b| b.async_ns),
                    ack_transit: spread(&parts, |b| b.ack_transit_ns),
                    reported_alignment: spread(&parts, |b| b.reported_alignment_ns),
                    finished_subtasks: c
                        .subtasks
                        .values()
                        .filter(|r| r.finished)
                        .filter_map(|r| world.subtasks.get(r.subtask))
                        .map(|s| (s.op, s.index))
                        .collect(),
                    files_written: rt
                        .files
                        .merging
                        .as_ref()
                        .map(|m| m.written(c.checkpoint_id).unwrap_or_default()),
                }
            })
            .collect();
        Some(CheckpointReport {
            triggered: counts.triggered,
            completed: counts.completed,
            failed: counts.failed,
            in_progress: counts.in_progress,
            checkpoints,
            subtasks: rt.breakdowns.clone(),
            dropped_triggers: rt.dropped_triggers.iter().map(|(t, r)| (*t, r.flink_name())).collect(),
            failover_requests: rt
                .failover_requests
                .iter()
                .map(|(t, id, r)| (*t, *id, r.flink_name()))
                .collect(),
            storage: StorageUsage {
                bytes_at_end: rt.files.registry.bytes(),
                files_at_end: rt.files.registry.file_count() as u64,
                peak_bytes: rt.files.peak_bytes,
                peak_files: rt.files.peak_files as u64,
                file_merging: rt.files.merging.as_ref().map(|m| {
                    let end = m.stat();
                    FileMergingUsage {
                        physical_bytes_at_end: end.physical_bytes,
                        physical_files_at_end: end.physical_files,
                        peak_physical_bytes: rt.files.peak_physical.physical_bytes,
                        peak_physical_files: rt.files.peak_physical.physical_files,
                        space_amplification_at_end: end.space_amplification(),
                        peak_space_amplification: rt.files.peak_space_amplification,
                        mean_space_amplification: mean_space_amplification(&world.samples),
                        by_taskmanager: {
                            // Every TaskManager, those holding nothing with zeros.
                            let held = m.stat_by_taskmanager();
                            (0..world.taskmanagers.len())
                                .map(|tm| (tm, held.get(&tm).copied().unwrap_or_default()))
                                .map(|(tm, s)| TaskManagerFiles {
                                    taskmanager: tm,
                                    logical_file_count: s.logical_files,
                                    logical_file_size: s.logical_bytes,
                                    physical_file_count: s.physical_files,
                                    physical_file_size: s.physical_bytes,
                                })
                                .collect()
                        },
                    }
                }),
            },
        })
    }
}

/// Physical over logical bytes, averaged over the samples in which storage held
/// anything (1 when none did).
fn mean_space_amplification(samples: &[crate::model::world::Sample]) -> f64 {
    let ratios: Vec<f64> = samples
        .iter()
        .filter(|s| s.storage_bytes > 0)
        .filter_map(|s| s.physical_storage.map(|p| p.bytes as f64 / s.storage_bytes as f64))
        .collect();
    if ratios.is_empty() {
        1.0
    } else {
        ratios.iter().sum::<f64>() / ratios.len() as f64
    }
}
