//! `metrics.prom`: the run's final checkpoint metrics in Prometheus' text exposition
//! format, named as Flink's Prometheus reporter names them (`flink_` + the metric
//! group's logical scope + the metric name, with the scope's variables as labels), so
//! dashboards and alerts written for Flink read them unchanged.

use super::analysis::checkpoint_views;
use super::flink_rest::FlinkExport;
use super::record::RunRecord;
use std::fmt::Write;

const JOB_SCOPE: &str = "jobmanager_job";
const TASK_SCOPE: &str = "taskmanager_job_task";
/// The scope of a TaskManager's job metrics, where Flink's `FileMergingMetricGroup` is.
const TM_JOB_SCOPE: &str = "taskmanager_job";
const HOST: &str = "ckptsim";

/// A label value as the exposition format wants it: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Labels as the exposition format writes them: `{k="v",...}`.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{k}=\"{}\"", label(v));
    }
    out.push('}');
    out
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    /// Writes the HELP and TYPE lines, as Flink's reporter does, then one sample per
    /// set of labels (each already written by [`labels`]).
    fn gauge<'l>(&mut self, scope: &str, metric: &str, samples: impl IntoIterator<Item = (&'l str, f64)>) {
        let _ = writeln!(self.out, "# HELP flink_{scope}_{metric} {metric} (scope: {scope})");
        let _ = writeln!(self.out, "# TYPE flink_{scope}_{metric} gauge");
        for (labels, value) in samples {
            let _ = writeln!(self.out, "flink_{scope}_{metric}{labels} {}", number(value));
        }
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub fn render(record: &RunRecord, export: &FlinkExport) -> String {
    let s = &record.summary;
    let facts = record.facts();
    let mut out = String::with_capacity(16 * 1024);
    let mut family = Family { out: &mut out };
    let job = labels(&[("job_id", &export.job_id), ("host", HOST), ("job_name", &facts.name)]);
    let views = checkpoint_views(s);
    let last = views
        .iter()
        .rev()
        .find(|v| v.checkpoint.status == "COMPLETED" && !v.checkpoint.is_savepoint);
    let report = s.checkpoints.as_ref();
    let count = |f: fn(&crate::stats::checkpoint::CheckpointReport) -> u64| report.map_or(0, f) as f64;
    let restore = s
        .recoveries
        .iter()
        .rev()
        .find(|r| r.restored_checkpoint.is_some())
        .map_or(-1.0, |r| (r.running_at_ns.unwrap_or(r.failed_at_ns) / 1_000_000) as f64);
    let job_metrics: [(&str, f64); 12] = [
        ("totalNumberOfCheckpoints", count(|r| r.triggered)),
        ("numberOfInProgressCheckpoints", count(|r| r.in_progress)),
        ("numberOfCompletedCheckpoints", count(|r| r.completed)),
        ("numberOfFailedCheckpoints", count(|r| r.failed)),
        ("lastCheckpointRestoreTimestamp", restore),
        // Flink reports -1 until a checkpoint completes.
        (
            "lastCheckpointDuration",
            last.and_then(|v| v.checkpoint.end_to_end_duration)
                .map_or(-1.0, |d| ((d + 500_000) / 1_000_000) as f64),
        ),
        (
            "lastCheckpointSize",
            last.map_or(-1.0, |v| v.checkpoint.checkpointed_size as f64),
        ),
        (
            "lastCheckpointFullSize",
            last.map_or(-1.0, |v| v.checkpoint.state_size as f64),
        ),
        (
            "lastCheckpointProcessedData",
            last.map_or(-1.0, |v| v.checkpoint.processed_data as f64),
        ),
        (
            "lastCheckpointPersistedData",
            last.map_or(-1.0, |v| v.checkpoint.persisted_data as f64),
        ),
        (
            "lastCompletedCheckpointId",
            last.map_or(-1.0, |v| v.checkpoint.id as f64),
        ),
        // The new job started from a snapshot after a stop is not a restart.
        (
            "numRestarts",
            s.recoveries.iter().filter(|r| !r.resubmitted).count() as f64,
        ),
    ];
    for (metric, value) in job_metrics {
        family.gauge(JOB_SCOPE, metric, [(job.as_str(), value)]);
    }

    // Task metrics: per subtask, the values after its last acknowledged checkpoint.
    let mut last_part = vec![None; s.subtasks.len()];
    if let Some(r) = report {
        for b in &r.subtasks {
            if let Some(slot) = last_part.get_mut(b.subtask) {
                *slot = Some(b);
            }
        }
    }
    let task_labels: Vec<String> = s
        .subtasks
        .iter()
        .map(|t| {
            let vertex = facts
                .operators
                .iter()
                .position(|(name, _)| *name == t.operator)
                .and_then(|op| export.vertices.get(op))
                .map_or("", |(id, _)| id.as_str());
            labels(&[
                ("job_id", &export.job_id),
                ("host", HOST),
                ("tm_id", &format!("taskmanager-{}", t.taskmanager)),
                ("job_name", &facts.name),
                ("task_id", vertex),
                ("task_name", &t.operator),
                ("subtask_index", &t.subtask.to_string()),
                ("task_attempt_num", "0"),
            ])
        })
        .collect();
    type TaskValue = fn(&crate::stats::run::SubtaskSummary, Option<&crate::model::world::SubtaskBreakdown>) -> f64;
    let task_metrics: [(&str, TaskValue); 6] = [
        // Nanoseconds, as Flink names the first and documents the second.
        ("checkpointAlignmentTime", |_, b| {
            b.map_or(0.0, |b| b.reported_alignment_ns as f64)
        }),
        ("checkpointStartDelayNanos", |_, b| {
            b.map_or(0.0, |b| b.start_delay_ns as f64)
        }),
        ("busyTimeMsPerSecond", |t, _| (t.busy_ratio * 1000.0).round()),
        ("backPressuredTimeMsPerSecond", |t, _| {
            (t.backpressured_ratio * 1000.0).round()
        }),
        ("numRecordsIn", |t, _| t.metrics.records_in as f64),
        ("numRecordsOut", |t, _| t.metrics.records_out as f64),
    ];
    for (metric, value) in task_metrics {
        let samples = (0..s.subtasks.len()).map(|i| (task_labels[i].as_str(), value(&s.subtasks[i], last_part[i])));
        family.gauge(TASK_SCOPE, metric, samples);
    }

    // File merging: each TaskManager's manager's `SpaceStat`, with the `.` of
    // `fileMerging.logicalFileCount` written `_` as the reporter writes it.
    if let Some(m) = report.and_then(|r| r.storage.file_merging.as_ref()) {
        let tm_labels: Vec<String> = m
            .by_taskmanager
            .iter()
            .map(|t| {
                labels(&[
                    ("job_id", &export.job_id),
                    ("host", HOST),
                    ("tm_id", &format!("taskmanager-{}", t.taskmanager)),
                    ("job_name", &facts.name),
                ])
            })
            .collect();
        type TmValue = fn(&crate::stats::checkpoint::TaskManagerFiles) -> u64;
        let tm_metrics: [(&str, TmValue); 4] = [
            ("fileMerging_logicalFileCount", |t| t.logical_file_count),
            ("fileMerging_logicalFileSize", |t| t.logical_file_size),
            ("fileMerging_physicalFileCount", |t| t.physical_file_count),
            ("fileMerging_physicalFileSize", |t| t.physical_file_size),
        ];
        for (metric, value) in tm_metrics {
            let samples = m
                .by_taskmanager
                .iter()
                .zip(&tm_labels)
                .map(|(t, l)| (l.as_str(), value(t) as f64));
            family.gauge(TM_JOB_SCOPE, metric, samples);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(41.0), "41");
        assert_eq!(number(0.5), "0.5");
    }
}
