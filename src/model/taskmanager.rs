//! A TaskManager: CPU cores shared by the subtasks it hosts, an outbound network link
//! shared by its channels, and a local disk.
//!
//! CPU is granted per batch, first come first served: a subtask that finds every core
//! busy waits in the run queue. The link sends one buffer at a time at its bandwidth;
//! a buffer arrives one latency after its last byte leaves.

use crate::sim::Nanos;
use std::collections::VecDeque;

/// `bytes` at `bytes_per_s`, in nanoseconds, rounded up.
pub fn transfer_time(bytes: u64, bytes_per_s: u64) -> Nanos {
    (u128::from(bytes) * 1_000_000_000).div_ceil(u128::from(bytes_per_s.max(1))) as Nanos
}

#[derive(Debug)]
pub struct Cpu {
    pub free_cores: u32,
    pub run_queue: VecDeque<usize>,
}

/// A fault window: `value` applies from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Nanos,
    pub end: Nanos,
    pub value: u64,
}

impl Window {
    pub fn covers(&self, t: Nanos) -> bool {
        self.start <= t && t < self.end
    }
}

/// The largest value among the windows covering `t`, if any.
pub fn active(windows: &[Window], t: Nanos) -> Option<u64> {
    windows.iter().filter(|w| w.covers(t)).map(|w| w.value).max()
}

#[derive(Debug, Default)]
pub struct Link {
    /// When the link finishes sending what it has been given.
    pub free_at: Nanos,
    pub bytes_sent: u64,
    /// Slow-link faults: the bandwidth is divided by `value` during each window.
    pub slow: Vec<Window>,
}

impl Link {
    /// Sends `bytes` starting no earlier than `now`; returns the arrival time.
    pub fn transmit(&mut self, now: Nanos, bytes: u64, bytes_per_s: u64, latency: Nanos) -> Nanos {
        let start = self.free_at.max(now);
        let bytes_per_s = match active(&self.slow, start) {
            Some(factor) => bytes_per_s / factor.max(1),
            None => bytes_per_s,
        };
        self.free_at = start + transfer_time(bytes, bytes_per_s);
        self.bytes_sent += bytes;
        self.free_at + latency
    }
}

/// A local disk: one write at a time at its bandwidth, with a capacity; reads (a
/// restore from a local state copy) one at a time at theirs, beside the writes.
#[derive(Debug)]
pub struct Disk {
    pub write_bandwidth: u64,
    pub read_bandwidth: u64,
    pub capacity: u64,
    pub used: u64,
    pub free_at: Nanos,
    pub read_free_at: Nanos,
    /// Disk-full faults: every write fails during these windows.
    pub full: Vec<Window>,
    /// Slow-disk faults: the bandwidth is divided by `value` during each window.
    pub slow: Vec<Window>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DiskWrite {
    /// The write completes at this time.
    Done(Nanos),
    /// The disk is full: Flink sees an IOException.
    Full,
}

impl Disk {
    pub fn write(&mut self, now: Nanos, bytes: u64) -> DiskWrite {
        if self.used + bytes > self.capacity || active(&self.full, now).is_some() {
            return DiskWrite::Full;
        }
        self.used += bytes;
        let start = self.free_at.max(now);
        let bandwidth = self.write_bandwidth / active(&self.slow, start).unwrap_or(1).max(1);
        self.free_at = start + transfer_time(bytes, bandwidth);
        DiskWrite::Done(self.free_at)
    }

    pub fn delete(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// Reads `bytes` starting no earlier than `now`; returns the completion time. A
    /// slow-disk fault slows reads as it slows writes.
    pub fn read(&mut self, now: Nanos, bytes: u64) -> Nanos {
        let start = self.read_free_at.max(now);
        let bandwidth = self.read_bandwidth / active(&self.slow, start).unwrap_or(1).max(1);
        self.read_free_at = start + transfer_time(bytes, bandwidth);
        self.read_free_at
    }
}

#[derive(Debug)]
pub struct TaskManager {
    pub cpu: Cpu,
    pub link: Link,
    pub disk: Disk,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_serialises_sends_and_adds_latency() {
        let mut link = Link::default();
        // 1000 bytes at 1 MB/s = 1 ms each.
        assert_eq!(link.transmit(0, 1000, 1_000_000, 50), 1_000_050);
        assert_eq!(link.transmit(0, 1000, 1_000_000, 50), 2_000_050);
        assert_eq!(link.transmit(5_000_000, 1000, 1_000_000, 50), 6_000_050);
    }

    #[test]
    fn disk_queues_writes_and_fills_up() {
        let mut disk = Disk {
            write_bandwidth: 1_000,
            read_bandwidth: 2_000,
            capacity: 1_500,
            used: 0,
            free_at: 0,
            read_free_at: 0,
            full: Vec::new(),
            slow: Vec::new(),
        };
        assert_eq!(disk.write(0, 1000), DiskWrite::Done(1_000_000_000));
        assert_eq!(disk.write(0, 1000), DiskWrite::Full);
        disk.delete(1000);
        assert_eq!(disk.write(0, 500), DiskWrite::Done(1_500_000_000));
        // Reads queue among themselves at the read bandwidth, beside the writes.
        assert_eq!(disk.read(0, 1000), 500_000_000);
        assert_eq!(disk.read(0, 1000), 1_000_000_000);
    }

    #[test]
    fn disk_faults_fail_or_slow_writes_inside_their_window() {
        let mut disk = Disk {
            write_bandwidth: 1_000,
            read_bandwidth: 1_000,
            capacity: 1 << 20,
            used: 0,
            free_at: 0,
            read_free_at: 0,
            full: vec![Window {
                start: 10,
                end: 20,
                value: 1,
            }],
            slow: vec![Window {
                start: 100,
                end: 200,
                value: 4,
            }],
        };
        assert_eq!(disk.write(15, 10), DiskWrite::Full);
        assert_eq!(disk.write(150, 1000), DiskWrite::Done(150 + 4_000_000_000));
        assert_eq!(disk.read(150, 1000), 150 + 4_000_000_000);
        let mut link = Link {
            slow: vec![Window {
                start: 0,
                end: 10,
                value: 2,
            }],
            ..Link::default()
        };
        assert_eq!(link.transmit(0, 1000, 1_000_000, 0), 2_000_000);
    }
}
