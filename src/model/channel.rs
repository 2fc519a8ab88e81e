//! A network channel from one producer subtask to one consumer subtask, with Flink's
//! credit-based flow control.
//!
//! The producer fills a buffer with records and finishes it when full or when the
//! buffer timeout flushes it; finished buffers wait in the output backlog. A data
//! buffer is sent only with a credit: one of the consumer's exclusive buffers for this
//! channel, or a floating buffer of the consumer's input gate. The credit comes back
//! when the consumer has processed the buffer. Events (watermarks, end of partition)
//! need no credit but keep their place in line.

use super::record::Record;
use crate::protocol::interface::Piggyback;
use std::collections::VecDeque;

pub type ChannelId = usize;

/// What travels on a channel.
#[derive(Debug)]
pub enum Item {
    Data(Vec<Record>),
    Watermark(u64),
    EndOfPartition,
    /// A checkpoint barrier; `priority` when sent unaligned, overtaking queued data.
    Barrier {
        id: u64,
        priority: bool,
    },
    /// Flink's CancelCheckpointMarker: checkpoint `id` was aborted upstream.
    Cancel(u64),
}

#[derive(Debug)]
pub struct Channel {
    pub producer: usize,
    /// The producer's output (result partition) this channel is a subpartition of.
    pub producer_output: usize,
    pub consumer: usize,
    /// This channel's index among the consumer's inputs.
    pub consumer_input: usize,
    /// The consumer's input gate (one per input edge), which owns the floating buffers.
    pub gate: usize,
    /// Producer and consumer on the same TaskManager: no network hop, and no buffers
    /// of the consumer's (Flink's `LocalInputChannel` reads the producer's buffers).
    pub local: bool,
    /// Wire size of each record.
    pub record_size: u64,
    /// Records per full buffer.
    pub capacity: usize,

    // Producer side.
    /// Finished items waiting to be sent.
    pub backlog: VecDeque<Item>,
    /// The producer waits for a credit from the consumer.
    pub awaiting_credit: bool,

    // In transit, in arrival order (each TaskManager link is FIFO).
    pub in_flight: VecDeque<Item>,

    // Consumer side.
    /// Delivered items not yet taken by the consumer.
    pub queue: VecDeque<Item>,
    /// Buffers of the consumer this channel holds: in flight, queued or being processed.
    pub buffers_in_use: u32,
    /// How many of those are floating buffers borrowed from the gate.
    pub floating_in_use: u32,
    pub enqueued_for_consumer: bool,

    /// Data received while this is set is persisted as channel state of that checkpoint.
    pub persisting: Option<u64>,

    /// Records put on this channel by the producer and taken off by the consumer.
    pub records_sent: u64,
    pub records_consumed: u64,

    /// The protocol's control information of each data buffer on the channel (sent,
    /// in flight or queued), in channel order, when the protocol piggybacks any.
    pub piggybacks: VecDeque<Piggyback>,
    /// Bytes the control information adds to every data buffer on the wire.
    pub piggyback_bytes: u64,
}

impl Channel {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        producer: usize,
        producer_output: usize,
        consumer: usize,
        consumer_input: usize,
        gate: usize,
        local: bool,
        record_size: u64,
        buffer_size: u64,
    ) -> Self {
        Self {
            producer,
            producer_output,
            consumer,
            consumer_input,
            gate,
            local,
            record_size,
            capacity: (buffer_size / record_size).max(1) as usize,
            backlog: VecDeque::new(),
            awaiting_credit: false,
            in_flight: VecDeque::new(),
            queue: VecDeque::new(),
            buffers_in_use: 0,
            floating_in_use: 0,
            enqueued_for_consumer: false,
            persisting: None,
            records_sent: 0,
            records_consumed: 0,
            piggybacks: VecDeque::new(),
            piggyback_bytes: 0,
        }
    }

    /// Bytes an item occupies on the wire.
    pub fn wire_bytes(&self, item: &Item) -> u64 {
        match item {
            Item::Data(records) => records.len() as u64 * self.record_size + self.piggyback_bytes,
            _ => 32,
        }
    }
}

/// The buffer a producer is filling for one channel. Kept apart from [`Channel`], in
/// one dense array, because routing touches it for every record: 32 bytes each, so
/// the open buffers of thousands of channels stay in cache.
#[derive(Debug, Default)]
pub struct OpenBuffer {
    pub records: Vec<Record>,
    /// Records per full buffer.
    pub capacity: u32,
    /// Listed among the producer's channels with an open buffer.
    pub dirty: bool,
}

/// An input gate: the channels from one upstream operator into one subtask.
#[derive(Debug)]
pub struct Gate {
    pub floating_free: u32,
    /// Channels of this gate waiting for a credit, in the order they started waiting.
    pub waiting: VecDeque<ChannelId>,
    /// The subtask this gate feeds.
    pub consumer: usize,
    /// The gate's channels, one per upstream subtask.
    pub channels: Vec<ChannelId>,
    /// Buffer debloating's measurements, when it is enabled.
    pub debloat: Option<GateDebloat>,
}

/// What one gate's buffer debloater measured at its last period.
#[derive(Debug)]
pub struct GateDebloat {
    pub debloater: crate::model::debloat::BufferDebloater,
    pub throughput: crate::model::debloat::ThroughputCalculator,
    /// Bytes the consumer had taken from the gate, and its busy and backpressured
    /// time, at the last period; `None` until the first period primes them.
    pub last: Option<(u64, crate::sim::Nanos)>,
}
