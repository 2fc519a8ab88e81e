//! Checkpoint statistics in the shape of Flink's REST API, so that a tool written
//! against `/jobs/:jobid/checkpoints` reads ckptsim's export unchanged. The same
//! types read real Flink responses (see the tests), so the shape is checked, not
//! assumed. Units are Flink's: timestamps in epoch milliseconds (the simulation
//! starts at epoch 0), durations in milliseconds, sizes in bytes.

use super::analysis::{CheckpointView, checkpoint_views};
use super::record::{RunRecord, ScenarioFacts};
use crate::model::world::SubtaskBreakdown;
use crate::sim::Nanos;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A percentile: a number, or the string "NaN" where Flink has none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantile {
    Value(f64),
    Text(String),
}

impl Quantile {
    fn nan() -> Self {
        Quantile::Text("NaN".into())
    }
}

/// Flink's `StatsSummaryDto`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSummary {
    pub min: i64,
    pub max: i64,
    pub avg: i64,
    pub p50: Quantile,
    pub p90: Quantile,
    pub p95: Quantile,
    pub p99: Quantile,
    pub p999: Quantile,
}

impl StatsSummary {
    /// A job-level summary: percentiles as Commons Math's default estimator computes
    /// them (Flink keeps a histogram of the values), "NaN" when there are none.
    pub fn with_percentiles(values: &[i64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let q = |p: f64| match legacy_percentile(&sorted, p) {
            Some(v) => Quantile::Value(v),
            None => Quantile::nan(),
        };
        Self {
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            ..Self::min_max_avg(&sorted)
        }
    }

    /// A task-level summary: Flink keeps no histogram there, so percentiles are "NaN".
    pub fn without_percentiles(values: &[i64]) -> Self {
        Self::min_max_avg(values)
    }

    /// Flink's placeholder for the alignment buffer size it no longer measures.
    pub fn zero() -> Self {
        Self {
            min: 0,
            max: 0,
            avg: 0,
            p50: Quantile::Value(0.0),
            p90: Quantile::Value(0.0),
            p95: Quantile::Value(0.0),
            p99: Quantile::Value(0.0),
            p999: Quantile::Value(0.0),
        }
    }

    fn min_max_avg(values: &[i64]) -> Self {
        let count = values.len() as i64;
        Self {
            min: values.iter().copied().min().unwrap_or(0),
            max: values.iter().copied().max().unwrap_or(0),
            // Flink divides the long sum by the count.
            avg: if count == 0 {
                0
            } else {
                values.iter().sum::<i64>() / count
            },
            p50: Quantile::nan(),
            p90: Quantile::nan(),
            p95: Quantile::nan(),
            p99: Quantile::nan(),
            p999: Quantile::nan(),
        }
    }
}

/// Commons Math's `Percentile` with its default (legacy) estimation, which Flink's
/// histogram statistics use: position p·(n+1), linear between neighbours.
fn legacy_percentile(sorted: &[i64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = p * (n as f64 + 1.0);
    if pos < 1.0 {
        return Some(sorted[0] as f64);
    }
    if pos >= n as f64 {
        return Some(sorted[n - 1] as f64);
    }
    let floor = pos.floor();
    let d = pos - floor;
    let lower = sorted[floor as usize - 1] as f64;
    let upper = sorted[floor as usize] as f64;
    Some(lower + d * (upper - lower))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub restored: u64,
    pub total: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub checkpointed_size: StatsSummary,
    pub state_size: StatsSummary,
    pub end_to_end_duration: StatsSummary,
    pub alignment_buffered: StatsSummary,
    pub processed_data: StatsSummary,
    pub persisted_data: StatsSummary,
}

/// One task (job vertex) of a checkpoint: Flink's `TaskCheckpointStatistics`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskStatistics {
    pub id: u64,
    pub status: String,
    pub latest_ack_timestamp: i64,
    pub checkpointed_size: u64,
    pub state_size: u64,
    pub end_to_end_duration: i64,
    pub alignment_buffered: u64,
    pub processed_data: u64,
    pub persisted_data: u64,
    pub num_subtasks: u64,
    pub num_acknowledged_subtasks: u64,
}

/// Flink's `CheckpointStatistics` (completed, failed or in progress, told apart by
/// `className`); with `tasks` filled it is also the details endpoint's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointStatistics {
    #[serde(rename = "className")]
    pub class_name: String,
    pub id: u64,
    pub status: String,
    pub is_savepoint: bool,
    #[serde(rename = "savepointFormat")]
    pub savepoint_format: Option<String>,
    pub trigger_timestamp: i64,
    pub latest_ack_timestamp: i64,
    pub checkpointed_size: u64,
    pub state_size: u64,
    pub end_to_end_duration: i64,
    pub alignment_buffered: u64,
    pub processed_data: u64,
    pub persisted_data: u64,
    pub num_subtasks: u64,
    pub num_acknowledged_subtasks: u64,
    pub checkpoint_type: String,
    pub tasks: BTreeMap<String, TaskStatistics>,
    /// Completed checkpoints only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discarded: Option<bool>,
    /// Failed checkpoints only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoredStatistics {
    pub id: u64,
    pub restore_timestamp: i64,
    pub is_savepoint: bool,
    pub external_path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latest {
    pub completed: Option<CheckpointStatistics>,
    pub savepoint: Option<CheckpointStatistics>,
    pub failed: Option<CheckpointStatistics>,
    pub restored: Option<RestoredStatistics>,
}

/// `GET /jobs/:jobid/checkpoints`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointingStatistics {
    pub counts: Counts,
    pub summary: Summary,
    pub latest: Latest,
    pub history: Vec<CheckpointStatistics>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointDurationSummary {
    pub sync: StatsSummary,
    #[serde(rename = "async")]
    pub async_: StatsSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentSummary {
    pub buffered: StatsSummary,
    pub processed: StatsSummary,
    pub persisted: StatsSummary,
    pub duration: StatsSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSummary {
    pub checkpointed_size: StatsSummary,
    pub state_size: StatsSummary,
    pub end_to_end_duration: StatsSummary,
    pub checkpoint_duration: CheckpointDurationSummary,
    pub alignment: AlignmentSummary,
    pub start_delay: StatsSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskDuration {
    pub sync: i64,
    #[serde(rename = "async")]
    pub async_: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskAlignment {
    pub buffered: u64,
    pub processed: u64,
    pub persisted: u64,
    pub duration: i64,
}

/// One subtask of a task's checkpoint: acknowledged (`completed`), or not
/// (`pending_or_failed`, with only its index and status).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskStatistics {
    #[serde(rename = "className")]
    pub class_name: String,
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpointed_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<SubtaskDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<SubtaskAlignment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_delay: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unaligned_checkpoint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<bool>,
    pub status: String,
}

/// `GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDetails {
    pub id: u64,
    pub status: String,
    pub latest_ack_timestamp: i64,
    pub checkpointed_size: u64,
    pub state_size: u64,
    pub end_to_end_duration: i64,
    pub alignment_buffered: u64,
    pub processed_data: u64,
    pub persisted_data: u64,
    pub num_subtasks: u64,
    pub num_acknowledged_subtasks: u64,
    pub summary: TaskSummary,
    pub subtasks: Vec<SubtaskStatistics>,
}

/// Everything exported for one run: the overview, then per checkpoint its details
/// and per task its subtasks.
pub struct FlinkExport {
    pub job_id: String,
    /// Job vertex id and name, in the job's order.
    pub vertices: Vec<(String, String)>,
    pub overview: CheckpointingStatistics,
    pub details: Vec<CheckpointStatistics>,
    /// (checkpoint id, vertex id, details).
    pub task_details: Vec<(u64, String, TaskDetails)>,
}

/// One checkpoint's details as the two detail endpoints answer them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointDetails {
    /// `GET /jobs/:jobid/checkpoints/details/:checkpointid`.
    pub details: CheckpointStatistics,
    /// `GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid`, by vertex id.
    pub subtasks: BTreeMap<String, TaskDetails>,
}

/// [`CheckpointDetails`] borrowed from the export, for writing it without a copy:
/// the same fields, so it serialises the same.
#[derive(Serialize)]
pub struct CheckpointDetailsRef<'a> {
    pub details: &'a CheckpointStatistics,
    pub subtasks: BTreeMap<&'a str, &'a TaskDetails>,
}

impl FlinkExport {
    /// `checkpoints-details.json`: every checkpoint's details by id, in one file
    /// rather than one per endpoint and vertex (a report writes fewer files).
    pub fn details_by_id(&self) -> BTreeMap<u64, CheckpointDetailsRef<'_>> {
        self.details
            .iter()
            .map(|d| {
                let subtasks = self
                    .task_details
                    .iter()
                    .filter(|(id, _, _)| *id == d.id)
                    .map(|(_, vertex, t)| (vertex.as_str(), t))
                    .collect();
                (d.id, CheckpointDetailsRef { details: d, subtasks })
            })
            .collect()
    }
}

fn to_ms(ns: Nanos) -> i64 {
    (ns / 1_000_000) as i64
}

/// Durations round to the nearest millisecond, so a 0.6 ms phase shows as 1.
fn duration_ms(ns: Nanos) -> i64 {
    ns.saturating_add(500_000).checked_div(1_000_000).unwrap_or(0) as i64
}

/// A stable 32-digit hexadecimal id (Flink's job and vertex ids look like this).
pub fn hex_id(parts: &[&str]) -> String {
    // FNV-1a, twice with different offsets: stable across versions and machines.
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            a = (a ^ byte as u64).wrapping_mul(0x100_0000_01b3);
            b = (b ^ byte as u64).wrapping_mul(0x100_0000_01b3).rotate_left(7);
        }
    }
    format!("{a:016x}{b:016x}")
}

fn class_name(status: &str) -> &'static str {
    match status {
        "COMPLETED" => "completed",
        "FAILED" => "failed",
        _ => "in_progress",
    }
}

struct Builder {
    facts: ScenarioFacts,
    job_id: String,
    vertices: Vec<(String, String)>,
    /// Completed non-savepoint checkpoints still retained (the last `num_retained`).
    retained: Vec<u64>,
}

impl Builder {
    fn statistics(&self, view: &CheckpointView, with_tasks: bool) -> CheckpointStatistics {
        let c = view.checkpoint;
        let completed = c.status == "COMPLETED";
        let failed = c.status == "FAILED";
        let latest_ack = c
            .latest_ack_timestamp
            .or_else(|| view.parts.iter().map(|b| b.ack_timestamp).max());
        let tasks = if with_tasks {
            self.vertices
                .iter()
                .enumerate()
                .map(|(op, (id, _))| (id.clone(), self.task_statistics(view, op)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let external_path = if c.is_savepoint {
            format!("file:/ckptsim/savepoints/savepoint-{}-{:012x}", &self.job_id[..6], c.id)
        } else {
            format!("file:/ckptsim/checkpoints/{}/chk-{}", self.job_id, c.id)
        };
        CheckpointStatistics {
            class_name: class_name(c.status).into(),
            id: c.id,
            status: c.status.into(),
            is_savepoint: c.is_savepoint,
            savepoint_format: c.is_savepoint.then(|| "CANONICAL".to_string()),
            trigger_timestamp: to_ms(c.trigger_timestamp),
            latest_ack_timestamp: latest_ack.map_or(-1, to_ms),
            checkpointed_size: c.checkpointed_size,
            state_size: c.state_size,
            end_to_end_duration: c.end_to_end_duration.map_or(-1, duration_ms),
            alignment_buffered: 0,
            processed_data: c.processed_data,
            persisted_data: c.persisted_data,
            num_subtasks: c.num_subtasks as u64,
            num_acknowledged_subtasks: c.num_acknowledged_subtasks as u64,
            checkpoint_type: view.flink_type().into(),
            tasks,
            external_path: completed.then_some(external_path),
            discarded: completed.then(|| !c.is_savepoint && !self.retained.contains(&c.id)),
            failure_timestamp: failed.then(|| to_ms(c.trigger_timestamp + c.end_to_end_duration.unwrap_or(0))),
            failure_message: if failed {
                c.failure_message.map(str::to_string)
            } else {
                None
            },
        }
    }

    /// The parts of `op`'s subtasks, with those that had finished before the trigger
    /// as empty acknowledgements at the trigger (Flink's `reportFinishedTasks`).
    fn parts_of(&self, view: &CheckpointView, op: usize) -> Vec<SubtaskBreakdown> {
        let c = view.checkpoint;
        let finished = c
            .finished_subtasks
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|&(_, index)| SubtaskBreakdown {
                checkpoint_id: c.id,
                operator: op,
                index,
                trigger_timestamp: c.trigger_timestamp,
                ack_timestamp: c.trigger_timestamp,
                ..SubtaskBreakdown::default()
            });
        let mut parts: Vec<SubtaskBreakdown> = view
            .parts
            .iter()
            .filter(|b| b.operator == op)
            .map(|b| (*b).clone())
            .collect();
        parts.extend(finished);
        parts
    }

    fn parallelism(&self, op: usize) -> u64 {
        self.facts.operators.get(op).map_or(0, |(_, p)| *p)
    }

    fn task_statistics(&self, view: &CheckpointView, op: usize) -> TaskStatistics {
        self.task_statistics_of(view, op, &self.parts_of(view, op))
    }

    fn task_statistics_of(&self, view: &CheckpointView, op: usize, parts: &[SubtaskBreakdown]) -> TaskStatistics {
        let c = view.checkpoint;
        let latest = parts.iter().map(|b| b.ack_timestamp).max();
        TaskStatistics {
            id: c.id,
            status: c.status.into(),
            latest_ack_timestamp: latest.map_or(-1, to_ms),
            checkpointed_size: parts.iter().map(|b| b.checkpointed_size).sum(),
            state_size: parts.iter().map(|b| b.state_size).sum(),
            end_to_end_duration: latest.map_or(-1, |t| duration_ms(t - c.trigger_timestamp)),
            alignment_buffered: 0,
            processed_data: parts.iter().map(|b| b.processed_data).sum(),
            persisted_data: parts.iter().map(|b| b.persisted_data).sum(),
            num_subtasks: self.parallelism(op),
            num_acknowledged_subtasks: parts.len() as u64,
        }
    }

    fn task_details(&self, view: &CheckpointView, op: usize) -> TaskDetails {
        let parts = self.parts_of(view, op);
        let t = self.task_statistics_of(view, op, &parts);
        let col = |f: &dyn Fn(&SubtaskBreakdown) -> i64| -> StatsSummary {
            StatsSummary::without_percentiles(&parts.iter().map(f).collect::<Vec<_>>())
        };
        let summary = TaskSummary {
            checkpointed_size: col(&|b| b.checkpointed_size as i64),
            state_size: col(&|b| b.state_size as i64),
            end_to_end_duration: col(&|b| duration_ms(b.end_to_end_ns)),
            checkpoint_duration: CheckpointDurationSummary {
                sync: col(&|b| duration_ms(b.sync_ns)),
                async_: col(&|b| duration_ms(b.async_ns)),
            },
            alignment: AlignmentSummary {
                buffered: StatsSummary::zero(),
                processed: col(&|b| b.processed_data as i64),
                persisted: col(&|b| b.persisted_data as i64),
                duration: col(&|b| duration_ms(b.reported_alignment_ns)),
            },
            start_delay: col(&|b| duration_ms(b.start_delay_ns)),
        };
        let subtasks = (0..self.parallelism(op) as u32)
            .map(|index| match parts.iter().find(|b| b.index == index) {
                Some(b) => SubtaskStatistics {
                    class_name: "completed".into(),
                    index,
                    ack_timestamp: Some(to_ms(b.ack_timestamp)),
                    end_to_end_duration: Some(duration_ms(b.end_to_end_ns)),
                    checkpointed_size: Some(b.checkpointed_size),
                    state_size: Some(b.state_size),
                    checkpoint: Some(SubtaskDuration {
                        sync: duration_ms(b.sync_ns),
                        async_: duration_ms(b.async_ns),
                    }),
                    alignment: Some(SubtaskAlignment {
                        buffered: 0,
                        processed: b.processed_data,
                        persisted: b.persisted_data,
                        duration: duration_ms(b.reported_alignment_ns),
                    }),
                    start_delay: Some(duration_ms(b.start_delay_ns)),
                    unaligned_checkpoint: Some(b.unaligned),
                    aborted: Some(false),
                    status: "completed".into(),
                },
                None => SubtaskStatistics {
                    class_name: "pending_or_failed".into(),
                    index,
                    ack_timestamp: None,
                    end_to_end_duration: None,
                    checkpointed_size: None,
                    state_size: None,
                    checkpoint: None,
                    alignment: None,
                    start_delay: None,
                    unaligned_checkpoint: None,
                    aborted: None,
                    status: "pending_or_failed".into(),
                },
            })
            .collect();
        TaskDetails {
            id: t.id,
            status: t.status,
            latest_ack_timestamp: t.latest_ack_timestamp,
            checkpointed_size: t.checkpointed_size,
            state_size: t.state_size,
            end_to_end_duration: t.end_to_end_duration,
            alignment_buffered: 0,
            processed_data: t.processed_data,
            persisted_data: t.persisted_data,
            num_subtasks: t.num_subtasks,
            num_acknowledged_subtasks: t.num_acknowledged_subtasks,
            summary,
            subtasks,
        }
    }
}

/// Builds the whole export of a run.
pub fn export(record: &RunRecord) -> FlinkExport {
    let facts = record.facts();
    let s = &record.summary;
    let job_id = hex_id(&[&facts.name, &s.seed.to_string(), &s.trace_digest]);
    let vertices: Vec<(String, String)> = facts
        .operators
        .iter()
        .map(|(name, _)| (hex_id(&[&job_id, name]), name.clone()))
        .collect();
    let views = checkpoint_views(s);
    let mut completed_ids: Vec<u64> = views
        .iter()
        .filter(|v| v.checkpoint.status == "COMPLETED" && !v.checkpoint.is_savepoint)
        .map(|v| v.checkpoint.id)
        .collect();
    let keep = facts.num_retained.max(1) as usize;
    let retained = completed_ids.split_off(completed_ids.len().saturating_sub(keep));
    let builder = Builder {
        facts,
        job_id: job_id.clone(),
        vertices: vertices.clone(),
        retained,
    };
    let report = s.checkpoints.as_ref();

    let completed: Vec<&CheckpointView> = views.iter().filter(|v| v.checkpoint.status == "COMPLETED").collect();
    let column = |f: &dyn Fn(&CheckpointView) -> i64| -> StatsSummary {
        StatsSummary::with_percentiles(&completed.iter().map(|v| f(v)).collect::<Vec<_>>())
    };
    let summary = Summary {
        checkpointed_size: column(&|v| v.checkpoint.checkpointed_size as i64),
        state_size: column(&|v| v.checkpoint.state_size as i64),
        end_to_end_duration: column(&|v| v.checkpoint.end_to_end_duration.map_or(0, duration_ms)),
        alignment_buffered: column(&|_| 0),
        processed_data: column(&|v| v.checkpoint.processed_data as i64),
        persisted_data: column(&|v| v.checkpoint.persisted_data as i64),
    };
    let history: Vec<CheckpointStatistics> = views.iter().rev().map(|v| builder.statistics(v, false)).collect();
    let latest_of = |pred: &dyn Fn(&CheckpointView) -> bool| {
        views
            .iter()
            .rev()
            .find(|v| pred(v))
            .map(|v| builder.statistics(v, false))
    };
    let restored = s
        .recoveries
        .iter()
        .rev()
        .find_map(|r| Some((r, r.restored_checkpoint?)))
        .map(|(r, id)| {
            let savepoint = views.iter().any(|v| v.checkpoint.id == id && v.checkpoint.is_savepoint);
            RestoredStatistics {
                id,
                restore_timestamp: to_ms(r.running_at_ns.unwrap_or(r.failed_at_ns)),
                is_savepoint: savepoint,
                external_path: Some(if savepoint {
                    format!("file:/ckptsim/savepoints/savepoint-{id}")
                } else {
                    format!("file:/ckptsim/checkpoints/{job_id}/chk-{id}")
                }),
            }
        });
    let overview = CheckpointingStatistics {
        counts: Counts {
            restored: s.recoveries.iter().filter(|r| r.restored_checkpoint.is_some()).count() as u64,
            total: report.map_or(0, |r| r.triggered),
            in_progress: report.map_or(0, |r| r.in_progress),
            completed: report.map_or(0, |r| r.completed),
            failed: report.map_or(0, |r| r.failed),
        },
        summary,
        latest: Latest {
            completed: latest_of(&|v| v.checkpoint.status == "COMPLETED" && !v.checkpoint.is_savepoint),
            savepoint: latest_of(&|v| v.checkpoint.status == "COMPLETED" && v.checkpoint.is_savepoint),
            failed: latest_of(&|v| v.checkpoint.status == "FAILED"),
            restored,
        },
        history,
    };
    let details = views.iter().map(|v| builder.statistics(v, true)).collect();
    let task_details = views
        .iter()
        .flat_map(|v| {
            let builder = &builder;
            (0..builder.vertices.len()).map(move |op| {
                (
                    v.checkpoint.id,
                    builder.vertices[op].0.clone(),
                    builder.task_details(v, op),
                )
            })
        })
        .collect();
    FlinkExport {
        job_id,
        vertices,
        overview,
        details,
        task_details,
    }
}

/// `externalization` of Flink's `CheckpointConfigInfo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalizedCheckpointInfo {
    pub enabled: bool,
    pub delete_on_cancellation: bool,
}

/// `GET /jobs/:jobid/checkpoints/config`: Flink's `CheckpointConfigInfo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfigInfo {
    pub mode: String,
    pub interval: i64,
    pub timeout: i64,
    pub min_pause: i64,
    pub max_concurrent: u64,
    pub externalization: ExternalizedCheckpointInfo,
    pub state_backend: String,
    pub checkpoint_storage: String,
    pub unaligned_checkpoints: bool,
    pub tolerable_failed_checkpoints: u64,
    pub aligned_checkpoint_timeout: i64,
    pub checkpoints_after_tasks_finish: bool,
    pub state_changelog_enabled: bool,
    pub changelog_periodic_materialization_interval: i64,
    pub changelog_storage: String,
}

/// `GET /jobs/:jobid/checkpoints/config`, from the scenario's settings. Checkpoints
/// after tasks finish are always on, as in Flink 2.x.
pub fn config(facts: &ScenarioFacts) -> CheckpointConfigInfo {
    let ms = |ns: u64| (ns / 1_000_000) as i64;
    CheckpointConfigInfo {
        mode: if facts.at_least_once {
            "at_least_once"
        } else {
            "exactly_once"
        }
        .into(),
        // Flink's "no periodic checkpoints".
        interval: facts.interval_ns.map_or(i64::MAX, ms),
        timeout: ms(facts.timeout_ns),
        min_pause: ms(facts.min_pause_ns),
        max_concurrent: facts.max_concurrent,
        // Flink's CheckpointConfigHandler: enabled unless the retention is
        // NO_EXTERNALIZED_CHECKPOINTS, deleted on cancellation unless RETAIN_ON_CANCELLATION.
        externalization: ExternalizedCheckpointInfo {
            enabled: facts.retention != "NO_EXTERNALIZED_CHECKPOINTS",
            delete_on_cancellation: facts.retention != "RETAIN_ON_CANCELLATION",
        },
        state_backend: if facts.backend.starts_with("rocksdb") {
            "EmbeddedRocksDBStateBackend"
        } else if facts.backend == "forst" {
            "ForStStateBackend"
        } else {
            "HashMapStateBackend"
        }
        .into(),
        checkpoint_storage: "FileSystemCheckpointStorage".into(),
        unaligned_checkpoints: facts.unaligned,
        tolerable_failed_checkpoints: facts.tolerable_failed,
        aligned_checkpoint_timeout: ms(facts.aligned_checkpoint_timeout_ns),
        checkpoints_after_tasks_finish: true,
        state_changelog_enabled: facts.changelog.is_some(),
        changelog_periodic_materialization_interval: facts.changelog.as_ref().map_or(600_000, |(i, _)| ms(*i)),
        changelog_storage: facts.changelog.as_ref().map_or("memory", |(_, s)| s.as_str()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_commons_math() {
        let values: Vec<i64> = (1..=10).map(|v| v * 10).collect();
        let s = StatsSummary::with_percentiles(&values);
        assert_eq!(s.p50, Quantile::Value(55.0));
        assert_eq!(s.p90, Quantile::Value(99.0));
        assert_eq!(s.p99, Quantile::Value(100.0));
        assert_eq!((s.min, s.max, s.avg), (10, 100, 55));
        let empty = StatsSummary::with_percentiles(&[]);
        assert_eq!(empty.p50, Quantile::Text("NaN".into()));
        assert_eq!((empty.min, empty.max, empty.avg), (0, 0, 0));
    }

    #[test]
    fn ids_are_stable_hex() {
        let id = hex_id(&["quickstart", "42"]);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, hex_id(&["quickstart", "42"]));
        assert_ne!(id, hex_id(&["quickstart", "43"]));
    }
}
