//! Sources processing backlog (Flink's `isProcessingBacklog`, FLIP-309), and telling
//! the checkpoint coordinator when a source starts or stops processing it.
//!
//! Flink leaves it to each source when it reports backlog: the hybrid source while it
//! reads a bounded source before the last, a CDC source in its snapshot phase. ckptsim's
//! sources are logs read by offset, as Kafka partitions are, so a source subtask
//! processes backlog while the records appended to its partitions and not read yet
//! (Flink's `pendingRecords` metric) exceed the source's `backlog-threshold`, evaluated
//! each time it reads. A source operator processes backlog while any of its unfinished
//! subtasks does; Flink reports per operator, from the source's coordinator, and clears
//! the report when all the operator's tasks reach the end of their data.
//!
//! Reports are made only when `execution.checkpointing.interval-during-backlog` is set:
//! it is all they change, and a run without it is the same run as before.

use super::World;
use crate::sim::Nanos;

/// A stretch of time during which a source operator processed backlog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BacklogPeriod {
    /// The source operator's index in the job.
    pub operator: usize,
    pub from_ns: Nanos,
    /// `None`: still processing backlog when the run ended.
    pub until_ns: Option<Nanos>,
}

impl World {
    /// Whether this run's sources report backlog to the coordinator.
    fn reports_backlog(&self) -> bool {
        self.ckpt.is_some() && self.scenario.checkpointing.reports_backlog()
    }

    /// Every source subtask's status at the start: a source whose log starts with a
    /// backlog is behind before it reads anything.
    pub(super) fn initial_backlog(&mut self) {
        for st in 0..self.subtasks.len() {
            self.update_backlog(st);
        }
    }

    /// Re-evaluates whether source subtask `st` processes backlog (after it read, or
    /// when it finished) and reports its operator's change to the coordinator.
    pub(super) fn update_backlog(&mut self, st: usize) {
        if !self.reports_backlog() {
            return;
        }
        let now = self.now;
        let subtask = &self.subtasks[st];
        let Some(reader) = subtask.source.as_ref() else {
            return;
        };
        let pending: u64 = reader.partitions.iter().map(|p| p.pending_at(now)).sum();
        let lagging = !subtask.finished && pending > reader.backlog_threshold;
        if lagging == reader.backlogged {
            return;
        }
        let op = subtask.op;
        let was = self.operator_backlogged(op);
        self.subtasks[st].source.as_mut().expect("source").backlogged = lagging;
        let is = self.operator_backlogged(op);
        if was == is {
            return;
        }
        if is {
            self.backlog_periods.push(BacklogPeriod {
                operator: op,
                from_ns: now,
                until_ns: None,
            });
        } else if let Some(open) = self
            .backlog_periods
            .iter_mut()
            .rev()
            .find(|p| p.operator == op && p.until_ns.is_none())
        {
            open.until_ns = Some(now);
        }
        if let Some(rt) = self.ckpt.as_mut() {
            rt.coordinator.set_is_processing_backlog(now, op, is);
        }
        self.drain_coordinator();
    }

    fn operator_backlogged(&self, op: usize) -> bool {
        self.subtasks
            .iter()
            .filter(|s| s.op == op)
            .any(|s| s.source.as_ref().is_some_and(|r| r.backlogged))
    }
}
