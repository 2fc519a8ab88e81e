//! The events of the kernel's queue: what happens next in the world, and how each
//! one enters the trace digest.

use crate::model::channel::ChannelId;

/// What the kernel's queue holds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Event {
    /// An idle source looks for new records.
    Poll(usize),
    /// A subtask finished the CPU work it started in the given epoch (an
    /// interrupted batch leaves a stale event behind, which is skipped).
    BatchDone(usize, u64),
    /// The next in-flight item of a channel arrives at its consumer.
    Deliver(ChannelId),
    /// A credit announcement reaches a channel's producer.
    Credit(ChannelId),
    /// The buffer timeout of a subtask's outputs expires.
    Flush(usize),
    /// A processing-time timer of a subtask.
    Timer(usize),
    /// Periodic metrics sample.
    Sample,
    /// A checkpoint (false) or savepoint (true) requested at a fixed time.
    ManualTrigger(bool),
    /// The checkpoint coordinator's timer.
    CoordinatorTimer,
    /// The coordinator's trigger reaches a source subtask.
    SourceTrigger(usize, u64),
    /// A barrier handler's alignment timer.
    BarrierTimer(usize),
    /// A snapshot's local disk write finished.
    DiskDone(usize, u64),
    /// A snapshot's upload to checkpoint storage finished.
    UploadDone(usize, u64),
    /// A snapshot's channel state upload finished.
    ChannelUploadDone(usize, u64),
    /// A subtask's acknowledgement reaches the coordinator.
    Ack(usize, u64),
    /// A subtask's decline reaches the coordinator.
    Decline(usize, u64),
    /// A checkpoint's metadata is in storage.
    MetadataWritten(u64),
    /// The completion notice reaches a subtask.
    NotifyComplete(usize, u64),
    /// Writing a checkpoint's metadata failed.
    MetadataFailed(u64),
    /// The scenario's fault with this index strikes.
    Fault(usize),
    /// A crashed TaskManager is back.
    TaskManagerBack(u32),
    /// The standby JobManager has taken over.
    JobManagerBack,
    /// The restart delay of this attempt has passed.
    Restart(u32),
    /// The restored state of this attempt is in place: the tasks run again.
    Running(u32),
    /// A stalled subtask gets CPU again.
    StallEnd(usize),
    /// The job's first deployment is done: its tasks run.
    Deployed,
    /// The user ends the job (the scenario's `stop`).
    Stop,
    /// Buffer debloating's period: every input gate resizes its buffers.
    DebloatTick,
    /// A subtask's changelog backend is due to materialize its state.
    Materialize(usize),
    /// A subtask's materialization (by its number) is in checkpoint storage.
    Materialized(usize, u64),
    /// A subtask's materialization could not be uploaded.
    MaterializationFailed(usize, u64),
    /// The restart delay of a region failover (by attempt) has passed.
    RegionRestart(u32),
    /// The restarting regions' state is in place (by attempt).
    RegionRunning(u32),
    /// The job ended by the user is submitted again from a snapshot (`resume:`).
    Resume,
}

/// The task an event belongs to, when it belongs to one: a region failover drops the
/// events of the subtasks and channels it restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    Subtask(usize),
    Channel(ChannelId),
}

impl Event {
    pub(super) fn digest_words(self) -> (u64, u64) {
        match self {
            Event::Poll(s) => (1, s as u64),
            Event::BatchDone(s, e) => (2, (s as u64) << 32 | e),
            Event::Deliver(c) => (3, c as u64),
            Event::Credit(c) => (4, c as u64),
            Event::Flush(s) => (5, s as u64),
            Event::Timer(s) => (6, s as u64),
            Event::Sample => (7, 0),
            Event::ManualTrigger(savepoint) => (8, savepoint as u64),
            Event::CoordinatorTimer => (9, 0),
            Event::SourceTrigger(s, c) => (10, (s as u64) << 32 | c),
            Event::BarrierTimer(s) => (11, s as u64),
            Event::DiskDone(s, c) => (12, (s as u64) << 32 | c),
            Event::UploadDone(s, c) => (13, (s as u64) << 32 | c),
            Event::ChannelUploadDone(s, c) => (14, (s as u64) << 32 | c),
            Event::Ack(s, c) => (15, (s as u64) << 32 | c),
            Event::Decline(s, c) => (16, (s as u64) << 32 | c),
            Event::MetadataWritten(c) => (17, c),
            Event::NotifyComplete(s, c) => (18, (s as u64) << 32 | c),
            Event::MetadataFailed(c) => (19, c),
            Event::Fault(i) => (20, i as u64),
            Event::TaskManagerBack(tm) => (21, u64::from(tm)),
            Event::JobManagerBack => (22, 0),
            Event::Restart(a) => (23, u64::from(a)),
            Event::Running(a) => (24, u64::from(a)),
            Event::StallEnd(s) => (25, s as u64),
            Event::Deployed => (26, 0),
            Event::Stop => (27, 0),
            Event::DebloatTick => (28, 0),
            Event::Materialize(s) => (29, s as u64),
            Event::Materialized(s, m) => (30, (s as u64) << 32 | m),
            Event::MaterializationFailed(s, m) => (31, (s as u64) << 32 | m),
            Event::RegionRestart(a) => (32, u64::from(a)),
            Event::RegionRunning(a) => (33, u64::from(a)),
            Event::Resume => (34, 0),
        }
    }

    /// Whether the event belongs to the cluster rather than to the job: faults and the
    /// machines coming back, which go on when the job ends and is submitted again.
    pub(super) fn strikes_the_cluster(&self) -> bool {
        matches!(
            self,
            Event::Fault(_) | Event::TaskManagerBack(_) | Event::JobManagerBack
        )
    }

    /// Whether the event outlives a failover: the failed tasks' work is dropped, the
    /// coordinator's, the metrics' and the faults' is not.
    pub(super) fn survives_failover(&self) -> bool {
        matches!(
            self,
            Event::Sample
                | Event::ManualTrigger(_)
                | Event::CoordinatorTimer
                | Event::MetadataWritten(_)
                | Event::MetadataFailed(_)
                | Event::Fault(_)
                | Event::TaskManagerBack(_)
                | Event::JobManagerBack
                | Event::Restart(_)
                | Event::Running(_)
                | Event::Stop
                | Event::DebloatTick
                | Event::RegionRestart(_)
                | Event::RegionRunning(_)
                | Event::Resume
        )
    }

    pub(super) fn task_owner(&self) -> Option<Owner> {
        match *self {
            Event::Poll(s)
            | Event::BatchDone(s, _)
            | Event::Flush(s)
            | Event::Timer(s)
            | Event::SourceTrigger(s, _)
            | Event::BarrierTimer(s)
            | Event::DiskDone(s, _)
            | Event::UploadDone(s, _)
            | Event::ChannelUploadDone(s, _)
            | Event::Ack(s, _)
            | Event::Decline(s, _)
            | Event::NotifyComplete(s, _)
            | Event::StallEnd(s)
            | Event::Materialize(s)
            | Event::Materialized(s, _)
            | Event::MaterializationFailed(s, _) => Some(Owner::Subtask(s)),
            Event::Deliver(c) | Event::Credit(c) => Some(Owner::Channel(c)),
            _ => None,
        }
    }
}
