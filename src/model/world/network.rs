//! The network between subtasks: routing records into channels' open buffers,
//! flushing them, and sending them with Flink's credit-based flow control.
//!
//! A producer fills a buffer per channel and finishes it when it is full or the
//! buffer timeout flushes it; finished buffers wait in the channel's backlog until
//! the consumer has a credit for them. A backlog at its limit stops the producer:
//! that is how backpressure climbs to the sources.

use super::{Event, Subtask, World, prefetch};
use crate::model::channel::{ChannelId, Item, OpenBuffer};
use crate::model::record::Record;
use crate::scenario::Partitioning;

impl World {
    /// Writes records to the output channels of `st`, as its partitioners choose.
    pub(super) fn route(&mut self, st: usize, records: &[Record]) {
        if records.is_empty() {
            return;
        }
        let max_parallelism = self.scenario.max_parallelism;
        let s = &mut self.subtasks[st];
        s.metrics.records_out += records.len() as u64
            * s.outputs
                .iter()
                .map(|o| {
                    if o.partitioning == Partitioning::Broadcast {
                        o.channels.len() as u64
                    } else {
                        1
                    }
                })
                .sum::<u64>();
        let Subtask { outputs, dirty, .. } = s;
        let (open, pool, full, targets) = (
            &mut self.open,
            &mut self.pool,
            &mut self.full_buffers,
            &mut self.targets,
        );
        for edge in outputs.iter_mut() {
            let width = edge.channels.len() as u32;
            match edge.partitioning {
                Partitioning::Forward => {
                    let ch = edge.channels[0];
                    for record in records {
                        Self::write(open, dirty, full, pool, ch, record);
                    }
                }
                Partitioning::Hash => {
                    // Records scatter over many channels: find every target first and
                    // touch each channel's open buffer ahead of the write, so that the
                    // cache misses overlap instead of queueing one after another.
                    targets.clear();
                    targets.extend(records.iter().map(|r| {
                        let ch = edge.channels
                            [crate::model::keygroups::subtask_for_key(r.key, max_parallelism, width) as usize];
                        prefetch(&open[ch]);
                        ch
                    }));
                    const AHEAD: usize = 8;
                    for (i, record) in records.iter().enumerate() {
                        if let Some(&next) = targets.get(i + AHEAD) {
                            prefetch(open[next].records.as_ptr_range().end);
                        }
                        Self::write(open, dirty, full, pool, targets[i], record);
                    }
                }
                Partitioning::Rebalance => {
                    for record in records {
                        let ch = edge.channels[edge.next_rebalance];
                        edge.next_rebalance = (edge.next_rebalance + 1) % edge.channels.len();
                        Self::write(open, dirty, full, pool, ch, record);
                    }
                }
                Partitioning::Broadcast => {
                    for record in records {
                        for &ch in &edge.channels {
                            Self::write(open, dirty, full, pool, ch, record);
                        }
                    }
                }
            }
        }
        self.finish_full_buffers(st);
    }

    /// Appends a record to a channel's open buffer; a buffer that fills up is
    /// staged in `full`, to be enqueued once routing is done. Always inlined: a call
    /// per record was 2–3 % of bench-64.
    #[inline(always)]
    pub(super) fn write(
        open: &mut [OpenBuffer],
        dirty: &mut Vec<ChannelId>,
        full: &mut Vec<(ChannelId, Vec<Record>)>,
        pool: &mut Vec<Vec<Record>>,
        ch: ChannelId,
        record: &Record,
    ) {
        let channel = &mut open[ch];
        if !channel.dirty {
            channel.dirty = true;
            dirty.push(ch);
        }
        let capacity = channel.capacity as usize;
        if channel.records.is_empty() && channel.records.capacity() < capacity {
            // A whole buffer's room at once: no regrowth while it fills.
            let mut buffer = pool.pop().unwrap_or_default();
            buffer.reserve_exact(capacity);
            channel.records = buffer;
        }
        channel.records.push(*record);
        if channel.records.len() >= capacity {
            let buffer = std::mem::replace(&mut channel.records, pool.pop().unwrap_or_default());
            full.push((ch, buffer));
        }
    }

    /// Enqueues the buffers that filled up while routing, and arms the flush timer
    /// if a partly filled buffer remains.
    pub(super) fn finish_full_buffers(&mut self, st: usize) {
        let mut full = std::mem::take(&mut self.full_buffers);
        for (ch, buffer) in full.drain(..) {
            self.enqueue(ch, Item::Data(buffer));
        }
        self.full_buffers = full;
        let arm = !self.subtasks[st].dirty.is_empty() && !self.subtasks[st].flush_armed;
        if arm
            && let Some(timeout) = self.scenario.network.buffer_timeout_ns
            && timeout > 0
        {
            self.subtasks[st].flush_armed = true;
            self.queue.push(self.now + timeout, Event::Flush(st));
        }
    }

    pub(super) fn flush_timeout(&mut self, st: usize) {
        self.subtasks[st].flush_armed = false;
        self.flush_all(st);
    }

    /// Finishes every open buffer of `st`, full or not.
    pub(super) fn flush_all(&mut self, st: usize) {
        let mut dirty = std::mem::take(&mut self.subtasks[st].dirty);
        // Flink's flusher goes through the subpartitions in index order.
        dirty.sort_unstable();
        for &ch in &dirty {
            self.open[ch].dirty = false;
            if !self.open[ch].records.is_empty() {
                let records = std::mem::take(&mut self.open[ch].records);
                self.enqueue(ch, Item::Data(records));
            }
        }
        dirty.clear();
        self.subtasks[st].dirty = dirty;
    }

    /// Puts an item in a channel's output backlog and sends what credits allow.
    pub(super) fn enqueue(&mut self, ch: ChannelId, item: Item) {
        let limit = self.scenario.network.max_buffers_per_channel as usize;
        let channel = &mut self.channels[ch];
        if let Item::Data(records) = &item {
            channel.records_sent += records.len() as u64;
            if self.ckpt.as_ref().is_some_and(|rt| rt.logs.is_some()) {
                self.log_sent(ch, records);
                self.attach_piggyback(ch);
            }
        }
        let is_data = matches!(item, Item::Data(_));
        let channel = &mut self.channels[ch];
        channel.backlog.push_back(item);
        if channel.backlog.len() == limit {
            let producer = channel.producer;
            self.output_became_full(producer);
        }
        if is_data {
            self.draw_pool_buffer(ch);
        }
        self.try_send(ch);
    }

    /// A finished data buffer of `ch` is drawn from its producer's output pool; the
    /// last one backpressures the producer.
    fn draw_pool_buffer(&mut self, ch: ChannelId) {
        let (producer, output) = (self.channels[ch].producer, self.channels[ch].producer_output);
        let edge = &mut self.subtasks[producer].outputs[output];
        edge.pool_in_use += 1;
        if edge.pool_in_use == edge.pool_max {
            self.output_became_full(producer);
        }
    }

    /// A data buffer of `ch` goes back to its producer's output pool: sent over the
    /// network, or read by the consumer of a local channel.
    fn recycle_pool_buffer(&mut self, ch: ChannelId) {
        let (producer, output) = (self.channels[ch].producer, self.channels[ch].producer_output);
        let edge = &mut self.subtasks[producer].outputs[output];
        let was_full = edge.pool_in_use == edge.pool_max;
        edge.pool_in_use -= 1;
        if was_full {
            self.output_has_room(producer);
        }
    }

    pub(super) fn output_became_full(&mut self, st: usize) {
        let s = &mut self.subtasks[st];
        s.full_outputs += 1;
        if s.full_outputs == 1 {
            s.backpressured_since = Some(self.now);
        }
    }

    pub(super) fn output_has_room(&mut self, st: usize) {
        let s = &mut self.subtasks[st];
        s.full_outputs -= 1;
        if s.full_outputs == 0 {
            if let Some(since) = s.backpressured_since.take() {
                s.metrics.backpressured_ns += self.now - since;
            }
            self.wake.push(st);
        }
    }

    /// Sends items from the backlog while the consumer has credit for them.
    pub(super) fn try_send(&mut self, ch: ChannelId) {
        let net = &self.scenario.network;
        let limit = net.max_buffers_per_channel as usize;
        let (exclusive, bandwidth, latency) = (net.buffers_per_channel, net.bandwidth_bytes_per_s, net.latency_ns);
        loop {
            let channel = &mut self.channels[ch];
            let Some(front) = channel.backlog.front() else {
                return;
            };
            let is_data = matches!(front, Item::Data(_));
            if is_data {
                if channel.local {
                    // The consumer reads the producer's buffers one at a time; the
                    // rest wait in the producer's subpartition.
                    if channel.buffers_in_use >= 1 {
                        channel.awaiting_credit = true;
                        return;
                    }
                } else if channel.buffers_in_use >= exclusive {
                    let gate = &mut self.gates[channel.gate];
                    if gate.floating_free == 0 {
                        if !channel.awaiting_credit {
                            channel.awaiting_credit = true;
                            gate.waiting.push_back(ch);
                        }
                        return;
                    }
                    gate.floating_free -= 1;
                    channel.floating_in_use += 1;
                }
                channel.buffers_in_use += 1;
            }
            let was_full = channel.backlog.len() == limit;
            let item = channel.backlog.pop_front().expect("front exists");
            let local = channel.local;
            let bytes = channel.wire_bytes(&item);
            if is_data && !local {
                self.recycle_pool_buffer(ch);
            }
            let channel = &self.channels[ch];
            let arrival = if channel.local {
                self.now
            } else if self.recovery.has_network_faults() {
                let (from, to) = (self.subtasks[channel.producer].tm, self.subtasks[channel.consumer].tm);
                let (held_until, latency) = self.network_conditions(from, to, self.now);
                let link = &mut self.taskmanagers[from].link;
                // A partition holds what is sent until it heals.
                link.transmit(self.now.max(held_until), bytes, bandwidth, latency)
            } else {
                let tm = self.subtasks[channel.producer].tm;
                self.taskmanagers[tm].link.transmit(self.now, bytes, bandwidth, latency)
            };
            let channel = &mut self.channels[ch];
            let aligned_barrier = match item {
                Item::Barrier { id, priority: false } => Some(id),
                _ => None,
            };
            channel.in_flight.push_back(item);
            self.queue.push(arrival, Event::Deliver(ch));
            let producer = channel.producer;
            if was_full {
                self.output_has_room(producer);
            }
            if let Some(id) = aligned_barrier
                && self.ckpt.is_some()
            {
                self.output_barrier_sent(producer, id);
            }
        }
    }

    pub(super) fn deliver(&mut self, ch: ChannelId) {
        let channel = &mut self.channels[ch];
        let item = channel.in_flight.pop_front().expect("a delivery has an item in flight");
        match &item {
            // An unaligned barrier, or any barrier of a channel being persisted,
            // goes to the handler at once, ahead of the queued data.
            Item::Barrier { id, priority } if *priority || channel.persisting == Some(*id) => {
                let (consumer, input, id) = (channel.consumer, channel.consumer_input, *id);
                if let Some(barrier) = self.barrier_of(id)
                    && let Some(protocol) = self.subtasks[consumer].protocol.as_mut()
                {
                    protocol.on_priority_barrier(self.now, input, barrier);
                    self.drain_barrier_actions(consumer);
                }
                self.wake.push(consumer);
                return;
            }
            Item::Data(records) => {
                if let Some(id) = channel.persisting {
                    // Copied only while a checkpoint persists this channel.
                    let records = records.clone();
                    self.add_persisted(id, ch, &records);
                }
            }
            _ => {}
        }
        let channel = &mut self.channels[ch];
        // Only remote channels announce: a local channel's consumer reads the barrier
        // straight from the producer's subpartition (Flink's `LocalInputChannel`).
        let announced = match item {
            Item::Barrier { id, .. } if !channel.local => Some(id),
            _ => None,
        };
        channel.queue.push_back(item);
        let (consumer, input) = (channel.consumer, channel.consumer_input);
        if !channel.enqueued_for_consumer {
            channel.enqueued_for_consumer = true;
            self.subtasks[consumer].available.push_back(ch);
        }
        // A barrier queued behind data is announced at once (Flink's priority
        // `EventAnnouncement` of `RemoteInputChannel`), so an alignment timeout can
        // overtake the data ahead of it.
        if let Some(id) = announced
            && let Some(barrier) = self.barrier_of(id)
            && let Some(protocol) = self.subtasks[consumer].protocol.as_mut()
        {
            protocol.on_barrier_announcement(self.now, input, barrier);
            self.drain_barrier_actions(consumer);
        }
        self.wake.push(consumer);
    }

    /// The consumer has processed a buffer from `ch`: its credit goes back upstream.
    pub(super) fn release_buffer(&mut self, ch: ChannelId) {
        if self.channels[ch].local {
            self.recycle_pool_buffer(ch);
        }
        let channel = &mut self.channels[ch];
        channel.buffers_in_use -= 1;
        let gate = &mut self.gates[channel.gate];
        let notify = if channel.floating_in_use > 0 {
            channel.floating_in_use -= 1;
            gate.floating_free += 1;
            if channel.awaiting_credit {
                Some(ch)
            } else {
                gate.waiting.front().copied()
            }
        } else if channel.awaiting_credit {
            Some(ch)
        } else {
            None
        };
        if let Some(target) = notify {
            let delay = if self.channels[target].local {
                0
            } else if self.recovery.has_network_faults() {
                let c = &self.channels[target];
                let (from, to) = (self.subtasks[c.consumer].tm, self.subtasks[c.producer].tm);
                let (held_until, latency) = self.network_conditions(from, to, self.now);
                held_until.saturating_sub(self.now) + latency
            } else {
                self.scenario.network.latency_ns
            };
            self.queue.push(self.now + delay, Event::Credit(target));
        }
    }

    pub(super) fn credit_arrived(&mut self, ch: ChannelId) {
        let channel = &mut self.channels[ch];
        if channel.awaiting_credit {
            channel.awaiting_credit = false;
            let gate = &mut self.gates[channel.gate];
            if let Some(pos) = gate.waiting.iter().position(|&c| c == ch) {
                gate.waiting.remove(pos);
            }
        }
        self.try_send(ch);
    }

    /// Sends an event on every output channel of `st`, after the records before it.
    pub(super) fn broadcast(&mut self, st: usize, item: impl Fn() -> Item) {
        self.flush_all(st);
        for e in 0..self.subtasks[st].outputs.len() {
            for k in 0..self.subtasks[st].outputs[e].channels.len() {
                let ch = self.subtasks[st].outputs[e].channels[k];
                self.enqueue(ch, item());
            }
        }
    }

    /// Puts an item at the front of a channel's output backlog: an unaligned barrier
    /// overtaking the buffers waiting there.
    pub(super) fn enqueue_front(&mut self, ch: ChannelId, item: Item) {
        let limit = self.scenario.network.max_buffers_per_channel as usize;
        let channel = &mut self.channels[ch];
        channel.backlog.push_front(item);
        if channel.backlog.len() == limit {
            let producer = channel.producer;
            self.output_became_full(producer);
        }
        self.try_send(ch);
    }
}
