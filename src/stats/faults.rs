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
    /// The checkpoint and recovery phases under way when it struck
    /// ([`CheckpointPhase`] names); empty when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<String>,
}

/// What a fault can strike in the middle of: the phases the explorer's coverage counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckpointPhase {
    /// A subtask had received a checkpoint's first barrier and not yet all of them.
    Alignment,
    /// A subtask was copying its state (the synchronous part of a snapshot).
    Sync,
    /// A subtask was uploading its snapshot (the asynchronous part) or had not yet
    /// acknowledged it.
    AsyncUpload,
    /// The coordinator was writing a checkpoint's metadata.
    Finalization,
    /// The job was restarting: tasks gone, or deployed and restoring state.
    Restore,
}

impl CheckpointPhase {
    pub const ALL: [CheckpointPhase; 5] = [
        CheckpointPhase::Alignment,
        CheckpointPhase::Sync,
        CheckpointPhase::AsyncUpload,
        CheckpointPhase::Finalization,
        CheckpointPhase::Restore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CheckpointPhase::Alignment => "alignment",
            CheckpointPhase::Sync => "sync",
            CheckpointPhase::AsyncUpload => "async-upload",
            CheckpointPhase::Finalization => "finalization",
            CheckpointPhase::Restore => "restore",
        }
    }
}

/// One recovery: from the failure that stopped the job to the job running again.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
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
    /// With local recovery (`execution.state-recovery.from-local`): where the
    /// restore read the state from; `None` with it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<RestoredFrom>,
    /// With region failover: how many subtasks the failure restarted, when it was
    /// not all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_subtasks: Option<u32>,
    /// Not a failure: the user's stopped job was submitted again from a snapshot
    /// (`resume:`); `failed_at_ns` is then the submission.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resubmitted: bool,
}

/// Where a restore with local recovery read its state from: the TaskManagers' local
/// disks or checkpoint storage.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RestoredFrom {
    /// Keyed state read from local copies of the restored checkpoint.
    pub local_bytes: u64,
    /// Everything read from checkpoint storage: the state of subtasks without a
    /// local copy, operator state (source offsets, sink transactions) and channel state.
    pub remote_bytes: u64,
    /// Keyed subtasks that restored from a local copy, and those that read their
    /// keyed state from checkpoint storage (their TaskManager was lost, or the copy
    /// is of another checkpoint).
    pub local_subtasks: u32,
    pub remote_subtasks: u32,
}

impl RecoveryRecord {
    /// Failure to running again.
    pub fn recovery_time_ns(&self) -> Option<Nanos> {
        self.running_at_ns.map(|t| t - self.failed_at_ns)
    }
}
