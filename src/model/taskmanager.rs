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

#[derive(Debug, Default)]
pub struct Link {
    /// When the link finishes sending what it has been given.
    pub free_at: Nanos,
    pub bytes_sent: u64,
}

impl Link {
    /// Sends `bytes` starting no earlier than `now`; returns the arrival time.
    pub fn transmit(&mut self, now: Nanos, bytes: u64, bytes_per_s: u64, latency: Nanos) -> Nanos {
        let start = self.free_at.max(now);
        self.free_at = start + transfer_time(bytes, bytes_per_s);
        self.bytes_sent += bytes;
        self.free_at + latency
    }
}

/// A local disk: one write at a time at its bandwidth, with a capacity.
#[derive(Debug)]
pub struct Disk {
    pub write_bandwidth: u64,
    pub capacity: u64,
    pub used: u64,
    pub free_at: Nanos,
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
        if self.used + bytes > self.capacity {
            return DiskWrite::Full;
        }
        self.used += bytes;
        let start = self.free_at.max(now);
        self.free_at = start + transfer_time(bytes, self.write_bandwidth);
        DiskWrite::Done(self.free_at)
    }

    pub fn delete(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
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
            capacity: 1_500,
            used: 0,
            free_at: 0,
        };
        assert_eq!(disk.write(0, 1000), DiskWrite::Done(1_000_000_000));
        assert_eq!(disk.write(0, 1000), DiskWrite::Full);
        disk.delete(1000);
        assert_eq!(disk.write(0, 500), DiskWrite::Done(1_500_000_000));
    }
}
