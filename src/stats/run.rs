//! What a run reports: throughput, latency, backpressure and the trace digest.

use crate::model::World;
use crate::model::world::{Sample, SubtaskMetrics};
use crate::sim::Nanos;
use crate::sim::time::as_secs_f64;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OperatorSummary {
    pub name: String,
    #[serde(deserialize_with = "crate::report::compat::static_str")]
    pub kind: super::checkpoint::FlinkName,
    pub parallelism: u32,
    pub records_in: u64,
    pub records_out: u64,
    /// Mean over subtasks of the share of time spent on CPU.
    pub busy_ratio_avg: f64,
    /// Largest share of time any subtask spent backpressured.
    pub backpressured_ratio_max: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubtaskSummary {
    pub operator: String,
    pub subtask: u32,
    pub taskmanager: usize,
    #[serde(flatten)]
    pub metrics: SubtaskMetrics,
    pub busy_ratio: f64,
    pub backpressured_ratio: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LatencySummary {
    pub records: u64,
    pub p50_ns: Nanos,
    pub p99_ns: Nanos,
    pub max_ns: Nanos,
}

/// The user ended the job, or tried to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StopSummary {
    /// `cancel` or `stop-with-savepoint`.
    pub kind: String,
    pub requested_at_ns: Nanos,
    /// When the job ended on the request: at once for a cancel, once its savepoint
    /// completed for a stop; `None` when the stop failed.
    pub ended_at_ns: Option<Nanos>,
    /// The savepoint a stop ended the job with.
    pub savepoint: Option<u64>,
    /// Why a stop-with-savepoint failed; the job then kept running, as in Flink.
    pub failure: Option<String>,
    /// The job submitted again from a snapshot after the stop (`resume:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeSummary>,
}

/// The job's new submission from the snapshot its stop left.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ResumeSummary {
    /// `savepoint` or `latest-checkpoint`, as the scenario asked.
    pub from: String,
    /// `execution.state-recovery.claim-mode`.
    pub claim_mode: String,
    /// When the job was submitted again and from which snapshot; `None` when it
    /// never was (the stop failed, or `failure` says why).
    pub submitted_at_ns: Option<Nanos>,
    pub snapshot: Option<u64>,
    pub is_savepoint: bool,
    /// Why the new job could not start.
    pub failure: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    pub scenario: String,
    pub seed: u64,
    /// Virtual time during which the sources produced input.
    pub input_duration_ns: Nanos,
    /// Virtual time until the job drained.
    pub virtual_time_ns: Nanos,
    pub events: u64,
    /// 16 hexadecimal digits; the same scenario and seed always give the same digest.
    pub trace_digest: String,
    /// Records the sources read, counting those read again after a recovery.
    pub source_records: u64,
    pub sink_records: u64,
    /// Records per second appended to the source partitions (the offered load), each
    /// record once.
    pub offered_rate_per_s: f64,
    /// When the sources had read everything: later than the input duration when
    /// backpressure made them fall behind.
    pub sources_done_ns: Nanos,
    /// Records per second the sources actually read, start to `sources_done_ns`.
    pub input_rate_per_s: f64,
    /// Latency from a record's append to its source partition to its arrival at a sink.
    pub latency: LatencySummary,
    pub operators: Vec<OperatorSummary>,
    pub subtasks: Vec<SubtaskSummary>,
    pub samples: Vec<Sample>,
    /// Present when the scenario checkpoints.
    pub checkpoints: Option<super::checkpoint::CheckpointReport>,
    /// Faults injected, in time order.
    pub faults: Vec<super::faults::FaultRecord>,
    /// Recoveries from task failures, in time order.
    pub recoveries: Vec<super::faults::RecoveryRecord>,
    /// The job failed for good: the restart strategy gave up.
    pub job_failed: bool,
    /// The scenario's request to end the job (cancel or stop-with-savepoint), and
    /// what became of it.
    #[serde(default)]
    pub stop: Option<StopSummary>,
    /// The run stopped before the job drained (a restart loop, a record that takes
    /// days): past `drain-timeout`, or with too many statistics kept.
    #[serde(default)]
    pub cut_off: Option<crate::model::world::RunCutOff>,
    /// What the checkpoint protocol itself cost; present when the scenario checkpoints.
    #[serde(default)]
    pub protocol: Option<super::protocol::ProtocolSummary>,
    /// Buffer debloating's outcome; present when it is enabled.
    #[serde(default)]
    pub debloat: Option<DebloatSummary>,
    /// The changelog state backends' materializations; present with `state.changelog.enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog: Option<crate::model::world::ChangelogSummary>,
    /// When sources processed backlog, as they reported it to the coordinator (only
    /// with `execution.checkpointing.interval-during-backlog`).
    #[serde(default)]
    pub backlog: Vec<BacklogSummary>,
}

/// What buffer debloating did: how often the gates announced a new buffer size and the
/// sizes they announced last.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DebloatSummary {
    pub announcements: u64,
    /// Each input gate's last buffer size, in bytes.
    pub buffer_sizes: Vec<u32>,
}

/// A stretch of time during which a source operator processed backlog.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BacklogSummary {
    pub source: String,
    pub from_ns: Nanos,
    /// `None`: still processing backlog when the run ended.
    pub until_ns: Option<Nanos>,
}

impl RunSummary {
    pub fn from_world(world: &World) -> Self {
        let s = &world.scenario;
        let elapsed = world.end_time().max(1) as f64;
        let subtasks: Vec<SubtaskSummary> = world
            .subtasks
            .iter()
            .map(|t| SubtaskSummary {
                operator: s.operators[t.op].name.clone(),
                subtask: t.index,
                taskmanager: t.tm,
                metrics: t.metrics.clone(),
                // A batch's CPU time is counted when it starts: one still running when
                // a run is cut off (see `World::cut_off`) would count past the end.
                busy_ratio: (t.metrics.busy_ns as f64 / elapsed).min(1.0),
                backpressured_ratio: t.metrics.backpressured_ns as f64 / elapsed,
            })
            .collect();
        let operators: Vec<OperatorSummary> = s
            .operators
            .iter()
            .map(|op| {
                let mine: Vec<&SubtaskSummary> = subtasks.iter().filter(|t| t.operator == op.name).collect();
                OperatorSummary {
                    name: op.name.clone(),
                    kind: op.logic.kind_name(),
                    parallelism: op.parallelism,
                    records_in: mine.iter().map(|t| t.metrics.records_in).sum(),
                    records_out: mine.iter().map(|t| t.metrics.records_out).sum(),
                    busy_ratio_avg: mine.iter().map(|t| t.busy_ratio).sum::<f64>() / mine.len().max(1) as f64,
                    backpressured_ratio_max: mine.iter().map(|t| t.backpressured_ratio).fold(0.0, f64::max),
                }
            })
            .collect();
        // A job that ended before its sources had read everything read until it ended.
        let sources_done = match world.sources_done_at {
            0 => world.ended_at.unwrap_or(world.now),
            at => at,
        };
        let source_records = operators
            .iter()
            .filter(|o| o.kind == "source")
            .map(|o| o.records_in)
            .sum();
        let sink_records = operators
            .iter()
            .filter(|o| o.kind == "sink")
            .map(|o| o.records_in)
            .sum();
        RunSummary {
            scenario: s.name.clone(),
            seed: s.seed,
            input_duration_ns: s.duration_ns,
            virtual_time_ns: world.end_time(),
            events: world.digest.events(),
            trace_digest: world.digest.hex(),
            source_records,
            sink_records,
            offered_rate_per_s: world.offered_records() as f64 / as_secs_f64(s.duration_ns),
            sources_done_ns: sources_done,
            input_rate_per_s: source_records as f64 / as_secs_f64(sources_done.max(1)),
            latency: LatencySummary {
                records: world.latency.count(),
                p50_ns: world.latency.quantile(0.5),
                p99_ns: world.latency.quantile(0.99),
                max_ns: world.latency.max(),
            },
            operators,
            subtasks,
            samples: world.samples.clone(),
            checkpoints: super::checkpoint::CheckpointReport::from_world(world),
            faults: world.recovery.faults.clone(),
            recoveries: world.recovery.recoveries.clone(),
            job_failed: world.recovery.status == crate::model::world::JobStatus::Failed,
            stop: s.stop.map(|stop| StopSummary {
                kind: stop.kind.name().to_string(),
                requested_at_ns: stop.at_ns,
                ended_at_ns: world.stop.ended_at_ns,
                savepoint: world.stop.savepoint,
                failure: world.stop.failure.clone(),
                resume: s.resume.map(|resume| ResumeSummary {
                    from: resume.from.name().to_string(),
                    claim_mode: resume.claim_mode.flink_name().to_string(),
                    submitted_at_ns: world.resume.submitted_at_ns,
                    snapshot: world.resume.snapshot,
                    is_savepoint: world.resume.is_savepoint,
                    failure: world.resume.failure.clone(),
                }),
            }),
            protocol: super::protocol::ProtocolSummary::from_world(world),
            cut_off: world.cut_off,
            debloat: s.network.debloat.map(|_| DebloatSummary {
                announcements: world.debloat_announcements,
                buffer_sizes: world.debloated_buffer_sizes(),
            }),
            changelog: world.changelog_summary(),
            backlog: world
                .backlog_periods
                .iter()
                .map(|p| BacklogSummary {
                    source: s.operators[p.operator].name.clone(),
                    from_ns: p.from_ns,
                    until_ns: p.until_ns,
                })
                .collect(),
        }
    }

    /// Source records per second between two instants, from the samples.
    pub fn input_rate_between(&self, from: Nanos, to: Nanos) -> Option<f64> {
        let first = self.samples.iter().find(|p| p.time >= from)?;
        let last = self.samples.iter().rev().find(|p| p.time <= to)?;
        if last.time <= first.time {
            return None;
        }
        Some((last.source_records - first.source_records) as f64 / as_secs_f64(last.time - first.time))
    }
}
