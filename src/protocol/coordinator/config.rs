//! The coordinator's knobs, one field per Flink configuration key, so a scenario file
//! can pass Flink's keys through verbatim.

use std::fmt;

use crate::protocol::types::{CheckpointingMode, Nanos};

/// Flink's `UNLIMITED_TOLERABLE_FAILURE_NUMBER`: with this value failed checkpoints
/// never fail the job.
pub const UNLIMITED_TOLERABLE_FAILURES: u32 = u32::MAX;

/// Flink's `CheckpointRequestDecider.DEFAULT_MAX_QUEUED_REQUESTS`.
pub const DEFAULT_MAX_QUEUED_REQUESTS: usize = 1000;

/// What happens to retained checkpoints when the job terminates
/// (`execution.checkpointing.externalized-checkpoint-retention`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalizedCheckpointRetention {
    /// `DELETE_ON_CANCELLATION`: kept if the job fails, deleted when it is cancelled or
    /// finishes (Flink's `RETAIN_ON_FAILURE` retention policy).
    DeleteOnCancellation,
    /// `RETAIN_ON_CANCELLATION`: kept when the job fails or is cancelled, deleted only
    /// when it finishes.
    RetainOnCancellation,
    /// `NO_EXTERNALIZED_CHECKPOINTS`: deleted whenever the job reaches a globally
    /// terminal state (finished, cancelled or failed).
    NoExternalizedCheckpoints,
}

impl ExternalizedCheckpointRetention {
    /// The option value as Flink spells it.
    pub fn flink_name(self) -> &'static str {
        match self {
            Self::DeleteOnCancellation => "DELETE_ON_CANCELLATION",
            Self::RetainOnCancellation => "RETAIN_ON_CANCELLATION",
            Self::NoExternalizedCheckpoints => "NO_EXTERNALIZED_CHECKPOINTS",
        }
    }

    /// Whether a retained checkpoint is deleted when the job ends this way (Flink's
    /// `CompletedCheckpoint.shouldBeDiscardedOnShutdown`, applied only to globally
    /// terminal job states).
    pub fn discards_on(self, termination: JobTermination) -> bool {
        use JobTermination::*;
        match (self, termination) {
            (_, Suspended) => false,
            (_, Finished) => true,
            (Self::NoExternalizedCheckpoints, Canceled | Failed) => true,
            (Self::DeleteOnCancellation, Canceled) => true,
            (Self::DeleteOnCancellation, Failed) => false,
            (Self::RetainOnCancellation, Canceled | Failed) => false,
        }
    }
}

/// Who owns the snapshot a job starts from (`execution.state-recovery.claim-mode`,
/// Flink's `RecoveryClaimMode`; its default is `NO_CLAIM`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum RecoveryClaimMode {
    /// `CLAIM`: the job owns the snapshot, treats it as one of its checkpoints and
    /// deletes it once it is subsumed; later checkpoints may refer to its files.
    #[serde(rename = "CLAIM")]
    Claim,
    /// `NO_CLAIM`: the snapshot stays the user's and is never deleted; the job's first
    /// completed checkpoint is a full one, so that no checkpoint depends on its files.
    #[default]
    #[serde(rename = "NO_CLAIM")]
    NoClaim,
    /// `LEGACY` (deprecated since Flink 1.19): not owned, never deleted, yet later
    /// checkpoints may refer to its files.
    #[serde(rename = "LEGACY")]
    Legacy,
}

impl RecoveryClaimMode {
    /// The option value as Flink spells it.
    pub fn flink_name(self) -> &'static str {
        match self {
            Self::Claim => "CLAIM",
            Self::NoClaim => "NO_CLAIM",
            Self::Legacy => "LEGACY",
        }
    }

    /// Whether the job may delete the snapshot (once it is subsumed).
    pub fn owns_snapshot(self) -> bool {
        self == Self::Claim
    }

    /// Whether the job's checkpoints may refer to the snapshot's files instead of
    /// uploading them again.
    pub fn reuses_files(self) -> bool {
        self != Self::NoClaim
    }
}

/// How the job ended when the coordinator shuts down (the `JobStatus` Flink passes to
/// `CompletedCheckpointStore.shutdown`); decides which retained checkpoints survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobTermination {
    /// `FINISHED`: all sources reached their end.
    Finished,
    /// `CANCELED`: the user cancelled the job.
    Canceled,
    /// `FAILED`: the restart strategy gave up.
    Failed,
    /// `SUSPENDED`: the JobManager lost leadership; the job continues elsewhere, so
    /// nothing is deleted.
    Suspended,
}

/// All checkpointing knobs of one job. Defaults are Flink's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// `execution.checkpointing.interval`: time between periodic triggers; `None`
    /// disables periodic checkpoints (manual checkpoints and savepoints still work).
    /// Raised to `min_pause` if smaller, as Flink does.
    pub interval: Option<Nanos>,
    /// `execution.checkpointing.interval-during-backlog`: the interval while any source
    /// reports `isProcessingBacklog`; `None` (not set) keeps `interval`, `Some(0)` takes
    /// no periodic checkpoint during backlog. Otherwise at least `interval`, as Flink's
    /// `CheckpointConfig.getCheckpointIntervalDuringBacklog` requires.
    pub interval_during_backlog: Option<Nanos>,
    /// Delay of the first periodic trigger after `start_scheduler`. Flink draws it at
    /// random from `[min-pause, interval]`; to stay deterministic the caller draws it
    /// from its own seeded stream and passes it here. `None` means one interval.
    pub initial_delay: Option<Nanos>,
    /// `execution.checkpointing.min-pause`: minimum time from the completion of the
    /// last checkpoint to the trigger of the next periodic one.
    pub min_pause: Nanos,
    /// `execution.checkpointing.max-concurrent-checkpoints`: checkpoints that may be
    /// pending at once; forced savepoints may exceed it.
    pub max_concurrent_checkpoints: usize,
    /// `execution.checkpointing.timeout`: a pending checkpoint older than this expires
    /// with `CHECKPOINT_EXPIRED`.
    pub timeout: Nanos,
    /// `execution.checkpointing.tolerable-failed-checkpoints`: consecutive counted
    /// failures tolerated before the job is failed.
    pub tolerable_failed_checkpoints: u32,
    /// `state.checkpoints.num-retained`: completed checkpoints kept; older ones are
    /// discarded. Savepoints are never counted.
    pub num_retained: usize,
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    pub externalized_retention: ExternalizedCheckpointRetention,
    /// `execution.checkpointing.mode` and `execution.checkpointing.unaligned.enabled`.
    /// Flink forces savepoints (they ignore max-concurrent) unless unaligned
    /// checkpoints are enabled; then they queue like manual checkpoints.
    pub mode: CheckpointingMode,
    /// Bound of the trigger-request queue (not configurable in Flink: 1000).
    pub max_queued_requests: usize,
    /// Fixed part of the `_metadata` file in bytes; every acknowledgement adds its
    /// `SubtaskAck::metadata_bytes`.
    pub metadata_base_bytes: u64,
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        Self {
            interval: None,
            interval_during_backlog: None,
            initial_delay: None,
            min_pause: 0,
            max_concurrent_checkpoints: 1,
            timeout: 10 * 60 * 1_000_000_000,
            tolerable_failed_checkpoints: 0,
            num_retained: 1,
            externalized_retention: ExternalizedCheckpointRetention::NoExternalizedCheckpoints,
            mode: CheckpointingMode::ExactlyOnceAligned,
            max_queued_requests: DEFAULT_MAX_QUEUED_REQUESTS,
            metadata_base_bytes: 0,
        }
    }
}

impl CoordinatorConfig {
    /// Rejects values Flink rejects, so a bad scenario fails before the run starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.interval == Some(0) {
            return Err(ConfigError::ZeroInterval);
        }
        if let Some(during_backlog) = self.interval_during_backlog {
            match self.interval {
                None => return Err(ConfigError::BacklogIntervalWithoutInterval),
                Some(interval) if during_backlog != 0 && during_backlog < interval => {
                    return Err(ConfigError::BacklogIntervalBelowInterval);
                }
                Some(_) => {}
            }
        }
        if self.timeout == 0 {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.max_concurrent_checkpoints == 0 {
            return Err(ConfigError::ZeroMaxConcurrent);
        }
        if self.num_retained == 0 {
            return Err(ConfigError::ZeroNumRetained);
        }
        if self.max_queued_requests == 0 {
            return Err(ConfigError::ZeroMaxQueuedRequests);
        }
        Ok(())
    }

    /// The interval actually used: never below min-pause, as in Flink.
    pub fn effective_interval(&self) -> Option<Nanos> {
        self.interval.map(|interval| interval.max(self.min_pause))
    }

    /// The interval while a source processes backlog; `None` when no periodic checkpoint
    /// is taken then. As Flink's `getCurrentCheckpointInterval`, it is not raised to
    /// min-pause (the request decider still enforces the pause).
    pub fn backlog_interval(&self) -> Option<Nanos> {
        match self.interval_during_backlog {
            None => self.effective_interval(),
            Some(0) => None,
            Some(interval) => Some(interval),
        }
    }
}

/// A configuration the coordinator cannot run with, naming the Flink key at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    ZeroInterval,
    BacklogIntervalWithoutInterval,
    BacklogIntervalBelowInterval,
    ZeroTimeout,
    ZeroMaxConcurrent,
    ZeroNumRetained,
    ZeroMaxQueuedRequests,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (key, rule) = match self {
            Self::ZeroInterval => (
                "execution.checkpointing.interval",
                "must be positive (omit it to disable periodic checkpoints)",
            ),
            Self::BacklogIntervalWithoutInterval => (
                "execution.checkpointing.interval-during-backlog",
                "needs execution.checkpointing.interval (periodic checkpoints to slow down)",
            ),
            Self::BacklogIntervalBelowInterval => (
                "execution.checkpointing.interval-during-backlog",
                "must be 0 (no checkpoints during backlog) or at least execution.checkpointing.interval",
            ),
            Self::ZeroTimeout => ("execution.checkpointing.timeout", "must be positive"),
            Self::ZeroMaxConcurrent => (
                "execution.checkpointing.max-concurrent-checkpoints",
                "must be at least 1",
            ),
            Self::ZeroNumRetained => ("state.checkpoints.num-retained", "must be at least 1"),
            Self::ZeroMaxQueuedRequests => ("max queued trigger requests", "must be at least 1"),
        };
        write!(f, "{key} {rule}")
    }
}

impl std::error::Error for ConfigError {}
