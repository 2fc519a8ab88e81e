//! A subtask's work: taking its next input, CPU time on its TaskManager's cores,
//! applying the operator, and ending when its input has ended.

use super::{Event, TaskState, World};
use crate::model::channel::{ChannelId, Item};
use crate::model::operator::OperatorLogic;
use crate::model::record::Record;
use crate::sim::Nanos;

impl World {
    /// Lets a subtask take its next piece of work, if it is free to.
    pub(super) fn step(&mut self, st: usize) {
        loop {
            let s = &mut self.subtasks[st];
            if s.finished || s.state != TaskState::Idle || s.stalled_until > self.now {
                return;
            }
            // Checkpoint work runs as mailbox actions, as in Flink: before any further
            // input, and even while backpressure holds the input back.
            if let Some(id) = s.pending_snapshots.pop_front() {
                if self.is_aborted(id) {
                    // Its checkpoint failed while the snapshot waited: nothing to take.
                    continue;
                }
                self.start_sync(st, id);
                return;
            }
            if let Some((rest, from, origin)) = s.resume.take() {
                // The rest of a buffer interrupted by a snapshot; it was counted once.
                s.batch = rest;
                s.batch_from = from;
                s.batch_recovered_from = origin;
                let len = s.batch.len() as Nanos;
                self.refresh_state_access(st);
                let cost = len * self.subtasks[st].record_ns();
                self.start_work(st, cost);
                return;
            }
            if let Some((ch, records)) = s.recovered.pop_front() {
                // Restored channel state: records that were in flight at the checkpoint.
                self.start_batch(st, records, None);
                self.subtasks[st].batch_recovered_from = Some(ch);
                return;
            }
            if !s.source_triggers.is_empty() {
                self.inject_source_barriers(st);
                continue;
            }
            if s.full_outputs > 0 {
                return;
            }
            if s.source.is_some() {
                self.source_step(st);
                return;
            }
            let Some(&ch) = s.available.front() else {
                return;
            };
            let input = self.channels[ch].consumer_input;
            if s.protocol.as_ref().is_some_and(|p| p.is_blocked(input)) {
                // Aligning: this channel's data waits until the handler unblocks it.
                s.available.pop_front();
                self.channels[ch].enqueued_for_consumer = false;
                continue;
            }
            s.available.pop_front();
            let channel = &mut self.channels[ch];
            let item = channel
                .queue
                .pop_front()
                .expect("an available channel has a queued item");
            if channel.queue.is_empty() {
                channel.enqueued_for_consumer = false;
            } else {
                s.available.push_back(ch);
            }
            let now = self.now;
            match item {
                Item::Data(records) => {
                    if let Some(piggyback) = self.channels[ch].piggybacks.pop_front() {
                        // The protocol may have to checkpoint before this buffer.
                        if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
                            protocol.on_data(now, input, &piggyback);
                        }
                        self.drain_barrier_actions(st);
                        let s = &mut self.subtasks[st];
                        if !s.pending_snapshots.is_empty() {
                            s.resume = Some((records, Some(ch), None));
                            continue;
                        }
                    }
                    self.start_batch(st, records, Some(ch));
                    return;
                }
                Item::Watermark(w) => self.input_watermark(st, input, w),
                Item::EndOfPartition => {
                    if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
                        protocol.on_end_of_partition(now, input);
                        self.drain_barrier_actions(st);
                    }
                    self.input_ended(st, input)
                }
                Item::Barrier { id, .. } => {
                    if let Some(barrier) = self.barrier_of(id)
                        && let Some(protocol) = self.subtasks[st].protocol.as_mut()
                    {
                        protocol.on_barrier(now, input, barrier);
                        self.drain_barrier_actions(st);
                    }
                }
                Item::Cancel(id) => {
                    if let Some(protocol) = self.subtasks[st].protocol.as_mut() {
                        protocol.on_cancellation_marker(now, input, id);
                        self.drain_barrier_actions(st);
                    }
                }
            }
        }
    }

    pub(super) fn start_batch(&mut self, st: usize, records: Vec<Record>, from: Option<ChannelId>) {
        self.refresh_state_access(st);
        let s = &mut self.subtasks[st];
        let cost = records.len() as Nanos * s.record_ns();
        if s.protocol.as_ref().is_some_and(|p| p.pending_checkpoint().is_some())
            && let Some(ch) = from
        {
            s.processed_during_alignment += records.len() as u64 * self.channels[ch].record_size;
        }
        s.batch = records;
        s.batch_from = from;
        s.batch_recovered_from = None;
        self.start_work(st, cost);
    }

    /// CPU work of `cost` for a subtask: on a free core now, or in the TaskManager's
    /// run queue until one frees.
    pub(super) fn start_work(&mut self, st: usize, cost: Nanos) {
        let s = &mut self.subtasks[st];
        let cpu = &mut self.taskmanagers[s.tm].cpu;
        if cpu.free_cores > 0 {
            cpu.free_cores -= 1;
            s.state = TaskState::Busy;
            s.metrics.busy_ns += cost;
            s.work_epoch += 1;
            s.work_started = self.now;
            self.queue.push(self.now + cost, Event::BatchDone(st, s.work_epoch));
        } else {
            s.state = TaskState::WaitingForCore;
            cpu.run_queue.push_back(st);
        }
    }

    /// Frees the core `st` held: the next subtask waiting on the TaskManager gets it.
    pub(super) fn release_core(&mut self, st: usize) {
        let now = self.now;
        let tm = self.subtasks[st].tm;
        let cpu = &mut self.taskmanagers[tm].cpu;
        if let Some(next) = cpu.run_queue.pop_front() {
            let n = &mut self.subtasks[next];
            let cost = match n.sync_work {
                Some((_, cost)) => cost,
                None => n.batch.len() as Nanos * n.record_ns(),
            };
            n.state = TaskState::Busy;
            n.metrics.busy_ns += cost;
            n.work_epoch += 1;
            n.work_started = now;
            self.queue.push(now + cost, Event::BatchDone(next, n.work_epoch));
        } else {
            cpu.free_cores += 1;
        }
        self.subtasks[st].state = TaskState::Idle;
    }

    pub(super) fn batch_done(&mut self, st: usize) {
        self.release_core(st);
        if let Some((id, _)) = self.subtasks[st].sync_work.take() {
            self.sync_done(st, id);
            self.wake.push(st);
            return;
        }
        let batch = std::mem::take(&mut self.subtasks[st].batch);
        let from = self.subtasks[st].batch_from.take();
        if let Some(ch) = from.or(self.subtasks[st].batch_recovered_from) {
            self.log_received(ch, batch.len() as u64);
        }
        self.complete_records(st, batch, from, true);
        self.wake.push(st);
    }

    /// A snapshot decided while `st` is in the middle of a buffer: the records its CPU
    /// time covers so far are done, the rest resume after the snapshot. Flink takes
    /// the snapshot between records. Sources are left alone: their batch was already
    /// taken from the log, and their snapshot holds the offsets after it.
    pub(super) fn interrupt_batch(&mut self, st: usize) {
        let now = self.now;
        let s = &mut self.subtasks[st];
        if s.sync_work.is_some() || s.source.is_some() || s.batch.is_empty() {
            return;
        }
        if s.state == TaskState::WaitingForCore {
            // Not started: the whole buffer waits for after the snapshot.
            let rest = std::mem::take(&mut s.batch);
            s.resume = Some((rest, s.batch_from.take(), s.batch_recovered_from.take()));
            s.state = TaskState::Idle;
            self.taskmanagers[s.tm].cpu.run_queue.retain(|&w| w != st);
            return;
        }
        if s.state != TaskState::Busy {
            return;
        }
        let cpu = s.record_ns();
        // Records whose CPU time has passed (all of them when records cost nothing).
        let len = s.batch.len() as u64;
        let done = (now - s.work_started).checked_div(cpu).map_or(len, |d| d.min(len)) as usize;
        let rest = s.batch.split_off(done);
        s.metrics.busy_ns -= rest.len() as Nanos * cpu;
        let first = std::mem::take(&mut s.batch);
        let from = s.batch_from.take();
        let origin = from.or(s.batch_recovered_from);
        s.work_epoch += 1;
        s.resume = Some((rest, from, s.batch_recovered_from.take()));
        self.release_core(st);
        if let Some(ch) = origin {
            self.log_received(ch, first.len() as u64);
        }
        self.complete_records(st, first, from, false);
    }

    /// Applies the operator to records whose CPU work is done and routes its output.
    /// They came from channel `from`, whose buffer goes back as a credit when this
    /// was its `last_part`.
    pub(super) fn complete_records(&mut self, st: usize, batch: Vec<Record>, from: Option<ChannelId>, last_part: bool) {
        let now = self.now;
        let s = &mut self.subtasks[st];
        // The digest covers what was processed, not only when.
        self.digest.word(batch.len() as u64);
        let mut out = std::mem::take(&mut self.scratch);
        s.metrics.records_in += batch.len() as u64;
        if matches!(s.logic, OperatorLogic::Sink { .. }) {
            for record in &batch {
                let latency = now.saturating_sub(record.time);
                self.latency.record(latency);
                self.latency_since_sample.record(latency);
            }
        }
        let mut timers = Vec::new();
        let is_source = matches!(s.logic, OperatorLogic::Source);
        if !is_source {
            s.logic.process_batch(now, &batch, &mut out, &mut timers);
        }
        for t in timers {
            self.queue.push(t, Event::Timer(st));
        }
        // A source's output is its batch as read: route it without a copy.
        self.route(st, if is_source { &batch } else { &out });
        out.clear();
        self.scratch = out;
        if let Some(ch) = from {
            self.channels[ch].records_consumed += batch.len() as u64;
            if last_part {
                self.release_buffer(ch);
            }
        }
        let mut batch = batch;
        batch.clear();
        match self.subtasks[st].source.as_mut() {
            Some(reader) => reader.batch_buffer = batch,
            None => self.pool.push(batch),
        }
        if self.scenario.network.buffer_timeout_ns == Some(0) {
            self.flush_all(st);
        }
        // A source's watermark follows the records of the batch just emitted.
        self.emit_source_watermark(st);
    }

    /// All input of `st` has ended: fire what is left, flush, and end its outputs.
    pub(super) fn end_of_input(&mut self, st: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        self.subtasks[st].logic.on_end_of_input(&mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        self.broadcast(st, || Item::EndOfPartition);
        if self.subtasks[st].source.is_some() {
            self.sources_done_at = self.now;
        }
        self.subtasks[st].finished = true;
        self.unfinished -= 1;
        if self.unfinished == 0 {
            self.ended_at = Some(self.now);
            // The job finished: every sink commits what it still holds, as after
            // Flink's final checkpoint. Not earlier: a failover before the whole job
            // finished replays the input, so a finished sink's output is not final yet.
            for s in &mut self.subtasks {
                s.logic.commit(None);
            }
        }
        self.checkpointing_subtask_finished(st);
    }

    pub(super) fn timer(&mut self, st: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        self.subtasks[st].logic.on_timer(self.now, &mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        self.wake.push(st);
    }
}
