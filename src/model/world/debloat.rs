//! Buffer debloating in the world (FLIP-183): every `buffer-debloat.period` each input
//! gate measures the bytes its subtask took from it over the time the subtask was busy
//! or backpressured (Flink's `ThroughputCalculator` stops only while the task waits
//! for input), and announces to its producers the buffer size that makes its buffers
//! in use take `buffer-debloat.target` to consume. Producers fill later buffers of
//! those channels only up to that size; the buffer they are filling keeps its size.

use super::{Event, JobStatus, World};
use crate::sim::Nanos;

impl World {
    pub(super) fn debloat_tick(&mut self) {
        let Some(spec) = self.scenario.network.debloat else {
            return;
        };
        if self.recovery.status == JobStatus::Running {
            for gate in 0..self.gates.len() {
                self.debloat_gate(gate, spec.period_ns);
            }
        }
        if self.unfinished > 0 && self.recovery.status != JobStatus::Failed {
            self.queue.push(self.now + spec.period_ns, Event::DebloatTick);
        }
    }

    fn debloat_gate(&mut self, gate: usize, period: Nanos) {
        let consumer = self.gates[gate].consumer;
        let taken: u64 = self.gates[gate]
            .channels
            .iter()
            .map(|&ch| self.channels[ch].records_consumed * self.channels[ch].record_size)
            .sum();
        let s = &self.subtasks[consumer];
        let open_backpressure = s.backpressured_since.map_or(0, |since| self.now.saturating_sub(since));
        let active = s.metrics.busy_ns + s.metrics.backpressured_ns + open_backpressure;
        // Flink's `getBuffersInUseCount`: what the consumer holds plus the producer's
        // backlog; a local channel counts at least one.
        let in_use: u32 = self.gates[gate]
            .channels
            .iter()
            .map(|&ch| {
                let c = &self.channels[ch];
                let held = c.backlog.len() as u32 + c.buffers_in_use;
                if c.local { held.max(1) } else { held }
            })
            .sum();
        let Some(d) = self.gates[gate].debloat.as_mut() else {
            return;
        };
        let Some((last_taken, last_active)) = d.last.replace((taken, active)) else {
            return;
        };
        let measured = active.saturating_sub(last_active).min(period);
        let throughput = d.throughput.calculate(taken.saturating_sub(last_taken), measured);
        let Some(size) = d.debloater.recalculate(throughput, in_use) else {
            return;
        };
        self.debloat_announcements += 1;
        for i in 0..self.gates[gate].channels.len() {
            let ch = self.gates[gate].channels[i];
            let capacity = (u64::from(size) / self.channels[ch].record_size).max(1);
            self.channels[ch].capacity = capacity as usize;
            self.open[ch].capacity = capacity as u32;
        }
    }

    /// Buffer sizes the gates last announced (bytes), in gate order.
    pub fn debloated_buffer_sizes(&self) -> Vec<u32> {
        self.gates
            .iter()
            .filter_map(|g| g.debloat.as_ref().map(|d| d.debloater.last_size()))
            .collect()
    }
}
