//! Faults and recoveries of a run, for its timeline: when each fault struck and
//! ended, and how the job came back.

use crate::sim::Nanos;
use serde::{Deserialize, Serialize};

/// One injected fault, as it appears on the run's timeline.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultRecord {
    /// When the fault struck.
    pub at_ns: Nanos,
    /// When it ended, for faults with a duration (a partition, a slow disk...);
    /// for a TaskManager crash, when the TaskManager is back.
    pub until_ns: Option<Nanos>,
    /// The fault's kind as written in a scenario: `taskmanager-crash`, `storage-outage`...
    pub kind: String,
    /// What it struck, in words: `taskmanager 1`, `taskmanagers 0-1`, `aggregate[2]`.
    pub target: String,
    /// Whether it failed the job's tasks (and so started a recovery).
    pub fails_tasks: bool,
}

/// One recovery: from the failure that stopped the job to the job running again.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecoveryRecord {
    /// When the tasks failed.
    pub failed_at_ns: Nanos,
    /// When every task was running again from the restored state; `None` when the
    /// job never came back (the restart strategy gave up, or the run ended first).
    pub running_at_ns: Option<Nanos>,
    /// What failed the tasks, in words.
    pub cause: String,
    /// The checkpoint restored; `None` restarts from the beginning of the input.
    pub restored_checkpoint: Option<u64>,
    /// Source records read again because the restore rewound the sources.
    pub reprocessed_records: u64,
    /// The restart attempt, counting from 1.
    pub attempt: u32,
}

impl RecoveryRecord {
    /// Failure to running again.
    pub fn recovery_time_ns(&self) -> Option<Nanos> {
        self.running_at_ns.map(|t| t - self.failed_at_ns)
    }
}
