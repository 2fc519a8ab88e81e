//! Deliberately broken protocol variants. Each breaks one rule that exactly-once
//! recovery relies on; the tests show that the oracle catches every one of them.
//! A scenario file cannot select a flaw: only code can (`Scenario::flaw`).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flaw {
    /// An aligned subtask snapshots when the first barrier arrives, before the other
    /// channels' barriers (records still due before the cut are left out).
    SnapshotBeforeAlignment,
    /// A barrier does not block its channel during alignment (records after the cut
    /// get into the snapshot).
    BarrierDoesNotBlock,
    /// The two-phase-commit sink commits at the barrier instead of on completion.
    SinkCommitsAtBarrier,
    /// Restore uses the latest triggered checkpoint, complete or not.
    RestoreLatestTriggered,
    /// Sources keep their offsets on restore instead of rewinding.
    SourcesNotRewound,
    /// The channel state of unaligned checkpoints is not restored.
    ChannelStateNotRestored,
    /// On restore the sink commits its open transaction instead of aborting it.
    SinkCommitsOpenTransaction,
}

impl Flaw {
    pub const ALL: [Flaw; 7] = [
        Flaw::SnapshotBeforeAlignment,
        Flaw::BarrierDoesNotBlock,
        Flaw::SinkCommitsAtBarrier,
        Flaw::RestoreLatestTriggered,
        Flaw::SourcesNotRewound,
        Flaw::ChannelStateNotRestored,
        Flaw::SinkCommitsOpenTransaction,
    ];
}
