//! The run's time series and per-subtask counters, closed when the job ends.

use super::{Event, JobStatus, PhysicalStorage, Sample, WindowLatency, World};
use crate::model::operator::OperatorLogic;
use crate::sim::Nanos;

impl World {
    pub(super) fn sample(&mut self) {
        let mut sample =
            Sample {
                time: self.now,
                source_records: 0,
                sink_records: 0,
                backpressured_subtasks: 0,
                storage_bytes: self.ckpt.as_ref().map_or(0, |rt| rt.files.registry.bytes()),
                storage_files: self.ckpt.as_ref().map_or(0, |rt| rt.files.registry.file_count() as u64),
                physical_storage: self.ckpt.as_ref().and_then(|rt| rt.files.merging.as_ref()).map(|m| {
                    PhysicalStorage {
                        bytes: m.stat().physical_bytes,
                        files: m.stat().physical_files,
                    }
                }),
                latency: WindowLatency {
                    records: self.latency_since_sample.count(),
                    p50_ns: self.latency_since_sample.quantile(0.5),
                    p99_ns: self.latency_since_sample.quantile(0.99),
                    max_ns: self.latency_since_sample.max(),
                },
            };
        self.latency_since_sample.clear();
        for s in &self.subtasks {
            match s.logic {
                OperatorLogic::Source => sample.source_records += s.metrics.records_in,
                OperatorLogic::Sink { .. } => sample.sink_records += s.metrics.records_in,
                _ => {}
            }
            if s.full_outputs > 0 {
                sample.backpressured_subtasks += 1;
            }
        }
        self.samples.push(sample);
        if self.unfinished > 0 && self.recovery.status != JobStatus::Failed {
            self.queue.push(self.now + self.sample_interval, Event::Sample);
        }
    }

    pub(super) fn close_backpressure(&mut self) {
        let end = self.end_time();
        for s in &mut self.subtasks {
            if let Some(since) = s.backpressured_since.take() {
                s.metrics.backpressured_ns += end.saturating_sub(since);
            }
        }
    }

    /// When the job ended, or the last event's time if it did not.
    /// Records appended to every source partition during the input: the offered load,
    /// each record once however often a recovery made the sources read it again.
    pub fn offered_records(&self) -> u64 {
        self.subtasks
            .iter()
            .filter_map(|t| t.source.as_ref())
            .flat_map(|r| &r.partitions)
            .map(|p| p.end_offset())
            .sum()
    }

    pub fn end_time(&self) -> Nanos {
        self.ended_at.unwrap_or(self.now)
    }
}
