//! Channel counts and message logs, for protocols that checkpoint without barriers.
//!
//! Such a protocol's snapshots are not cut by barriers, so each records how far every
//! channel had got: the records its subtask had sent on each output and processed
//! from each input, counted from the job's start and carried across restores. A
//! sender that logs keeps every record it sends, per channel, until the coordinator
//! says no recovery line can need it. A restore puts each channel back where its two
//! ends' checkpoints left it and replays, from the producer's log, what the producer
//! had sent and the consumer had not processed. A recovery line whose consumer
//! processed more than its producer had sent (an orphan), or whose log lacks what
//! must be replayed, is recorded as a violation for the oracle.

use super::World;
use crate::model::channel::ChannelId;
use crate::model::record::Record;
use crate::protocol::interface::ChannelCounts;
use crate::protocol::{CheckpointId, Nanos};
use serde::Serialize;
use std::collections::VecDeque;

/// Where one channel stands, across attempts.
#[derive(Clone, Debug, Default)]
pub struct ChannelLog {
    /// The producer keeps what it sends.
    pub logging: bool,
    /// Bytes of one record on this channel.
    pub record_size: u64,
    /// Records the producer has sent since the job started.
    pub sent: u64,
    /// Records the consumer has processed since the job started.
    pub received: u64,
    /// The logged records, the first of them the `first`-th the channel carried.
    first: u64,
    records: VecDeque<Record>,
}

impl ChannelLog {
    /// Records `from..to` of the channel, if the log still holds all of them.
    pub fn records_between(&self, from: u64, to: u64) -> Option<Vec<Record>> {
        let end = self.first + self.records.len() as u64;
        if from < self.first || to > end {
            return None;
        }
        let (a, b) = ((from - self.first) as usize, (to - self.first) as usize);
        Some(self.records.range(a..b).copied().collect())
    }
}

/// Every channel's counts and log.
#[derive(Clone, Debug, Default)]
pub struct MessageLogs {
    pub channels: Vec<ChannelLog>,
    /// The most records, and bytes, all logs held at once.
    pub peak_records: u64,
    pub peak_bytes: u64,
    /// Records, and bytes, written to logs over the run.
    pub logged_records: u64,
    pub logged_bytes: u64,
    /// Records replayed from logs by restores.
    pub replayed_records: u64,
    held: u64,
    held_bytes: u64,
}

/// A recovery line that cannot be restored exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineViolation {
    /// When the restore was attempted.
    pub at_ns: Nanos,
    pub channel: ChannelId,
    pub producer: usize,
    pub consumer: usize,
    /// The checkpoints of the two ends on the line (`None`: the job's start).
    pub producer_checkpoint: Option<CheckpointId>,
    pub consumer_checkpoint: Option<CheckpointId>,
    /// Records the producer's checkpoint had sent and the consumer's had processed.
    pub sent: u64,
    pub received: u64,
    /// `true`: an orphan (received, never sent); `false`: records to replay that the
    /// producer's log does not hold.
    pub orphan: bool,
}

impl MessageLogs {
    /// Counts for channels of the given record sizes, logged where the producer logs.
    pub fn new(channels: impl Iterator<Item = (bool, u64)>) -> Self {
        MessageLogs {
            channels: channels
                .map(|(logging, record_size)| ChannelLog {
                    logging,
                    record_size,
                    ..ChannelLog::default()
                })
                .collect(),
            ..MessageLogs::default()
        }
    }

    fn sent(&mut self, ch: ChannelId, records: &[Record]) {
        let log = &mut self.channels[ch];
        log.sent += records.len() as u64;
        if log.logging {
            log.records.extend(records.iter().copied());
            let n = records.len() as u64;
            self.logged_records += n;
            self.logged_bytes += n * log.record_size;
            self.held += n;
            self.held_bytes += n * log.record_size;
            self.peak_records = self.peak_records.max(self.held);
            self.peak_bytes = self.peak_bytes.max(self.held_bytes);
        }
    }

    /// Drops the records before the `before`-th of `ch`: no restore can replay them.
    pub fn truncate_before(&mut self, ch: ChannelId, before: u64) {
        let log = &mut self.channels[ch];
        let drop = before.saturating_sub(log.first).min(log.records.len() as u64);
        log.records.drain(..drop as usize);
        log.first += drop;
        self.held -= drop;
        self.held_bytes -= drop * log.record_size;
    }

    /// Puts `ch` back to `sent` records sent and `received` processed: what was sent
    /// after `sent` is forgotten (the producer sends it again).
    fn rewind(&mut self, ch: ChannelId, sent: u64, received: u64) {
        let log = &mut self.channels[ch];
        let keep = sent.saturating_sub(log.first).min(log.records.len() as u64) as usize;
        let dropped = (log.records.len() - keep) as u64;
        self.held -= dropped;
        self.held_bytes -= dropped * log.record_size;
        log.records.truncate(keep);
        log.sent = sent;
        log.received = received;
    }

    /// Records logged now, over all channels.
    pub fn held_records(&self) -> u64 {
        self.held
    }
}

impl World {
    /// Whether the protocol counts channels (it checkpoints without barriers).
    pub(super) fn counts_channels(&self) -> bool {
        self.ckpt.as_ref().is_some_and(|rt| rt.logs.is_some())
    }

    /// A data buffer of `records` entered `ch`'s backlog.
    #[inline]
    pub(super) fn log_sent(&mut self, ch: ChannelId, records: &[Record]) {
        if let Some(logs) = self.ckpt.as_mut().and_then(|rt| rt.logs.as_mut()) {
            logs.sent(ch, records);
        }
    }

    /// The consumer of `ch` processed `n` records of it.
    #[inline]
    pub(super) fn log_received(&mut self, ch: ChannelId, n: u64) {
        if let Some(logs) = self.ckpt.as_mut().and_then(|rt| rt.logs.as_mut()) {
            logs.channels[ch].received += n;
        }
    }

    /// How far every channel of `st` has got, for its snapshot.
    pub(super) fn channel_counts(&self, st: usize) -> ChannelCounts {
        let Some(logs) = self.ckpt.as_ref().and_then(|rt| rt.logs.as_ref()) else {
            return ChannelCounts::default();
        };
        ChannelCounts {
            sent: self
                .output_channels(st)
                .into_iter()
                .map(|ch| (ch, logs.channels[ch].sent))
                .collect(),
            received: self.subtasks[st]
                .inputs
                .iter()
                .map(|&ch| (ch, logs.channels[ch].received))
                .collect(),
        }
    }

    /// Restores every channel to where the recovery line's checkpoints left it and
    /// queues, at each consumer, what must be replayed from the producer's log.
    pub(super) fn replay_logs(&mut self, line: &[Option<CheckpointId>]) {
        let now = self.now;
        let Some(rt) = self.ckpt.as_ref() else {
            return;
        };
        if rt.logs.is_none() {
            return;
        }
        let counts_at = |st: usize| -> Option<&ChannelCounts> {
            line[st]
                .and_then(|id| rt.snapshots.get(&id))
                .and_then(|snapshot| snapshot.subtasks[st].as_ref())
                .map(|saved| &saved.channels)
        };
        let mut plan = Vec::new();
        for (ch, c) in self.channels.iter().enumerate() {
            let sent = counts_at(c.producer).map_or(0, |counts| counts.sent_on(ch));
            let received = counts_at(c.consumer).map_or(0, |counts| counts.received_on(ch));
            plan.push((ch, c.producer, c.consumer, sent, received));
        }
        let mut violations = Vec::new();
        let mut replays = Vec::new();
        let logs = self
            .ckpt
            .as_mut()
            .and_then(|rt| rt.logs.as_mut())
            .expect("checked above");
        for (ch, producer, consumer, sent, received) in plan {
            let violation = |orphan| LineViolation {
                at_ns: now,
                channel: ch,
                producer,
                consumer,
                producer_checkpoint: line[producer],
                consumer_checkpoint: line[consumer],
                sent,
                received,
                orphan,
            };
            if received > sent {
                violations.push(violation(true));
            } else if received < sent {
                match logs.channels[ch].records_between(received, sent) {
                    Some(records) => {
                        logs.replayed_records += records.len() as u64;
                        replays.push((ch, consumer, records));
                    }
                    None => violations.push(violation(false)),
                }
            }
            logs.rewind(ch, sent, received.min(sent));
        }
        let rt = self.ckpt.as_mut().expect("checked above");
        rt.line_violations.extend(violations);
        for (ch, consumer, records) in replays {
            let capacity = self.channels[ch].capacity;
            for chunk in records.chunks(capacity) {
                self.subtasks[consumer].recovered.push_back((ch, chunk.to_vec()));
            }
            self.wake.push(consumer);
        }
    }
}

impl World {
    /// The producer's control information for the data buffer just sent on `ch`.
    pub(super) fn attach_piggyback(&mut self, ch: ChannelId) {
        let producer = self.channels[ch].producer;
        let Some(output) = self.output_channels(producer).iter().position(|&c| c == ch) else {
            return;
        };
        let Some(piggyback) = self.subtasks[producer]
            .protocol
            .as_mut()
            .and_then(|p| p.piggyback(output))
        else {
            return;
        };
        let channel = &mut self.channels[ch];
        channel.piggyback_bytes = piggyback.bytes;
        channel.piggybacks.push_back(piggyback);
        self.runtime().piggyback_bytes += channel.piggyback_bytes;
    }
}
