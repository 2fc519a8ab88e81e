//! Remote checkpoint storage (S3, HDFS): a fixed number of concurrent requests, each
//! paying the round-trip latency, sharing the storage's bandwidth equally.
//!
//! A request that finds every slot busy waits for the earliest one to free; requests
//! are served first come, first served.

use super::taskmanager::transfer_time;
use crate::scenario::StorageSpec;
use crate::sim::Nanos;

#[derive(Debug)]
pub struct CheckpointStorage {
    latency: Nanos,
    per_request_bandwidth: u64,
    /// When each request slot becomes free.
    slots: Vec<Nanos>,
    pub bytes_stored: u64,
}

impl CheckpointStorage {
    pub fn new(spec: &StorageSpec) -> Self {
        let n = spec.max_concurrent_requests.max(1);
        Self {
            latency: spec.latency_ns,
            per_request_bandwidth: (spec.bandwidth_bytes_per_s / u64::from(n)).max(1),
            slots: vec![0; n as usize],
            bytes_stored: 0,
        }
    }

    /// Uploads `bytes` starting no earlier than `now`; returns the completion time.
    pub fn put(&mut self, now: Nanos, bytes: u64) -> Nanos {
        let slot = (0..self.slots.len()).min_by_key(|&i| (self.slots[i], i)).unwrap_or(0);
        let start = self.slots[slot].max(now);
        let done = start + self.latency + transfer_time(bytes, self.per_request_bandwidth);
        self.slots[slot] = done;
        self.bytes_stored += bytes;
        done
    }

    pub fn delete(&mut self, bytes: u64) {
        self.bytes_stored = self.bytes_stored.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_the_limit_wait_for_a_slot() {
        let spec = StorageSpec {
            latency_ns: 10,
            bandwidth_bytes_per_s: 2_000,
            max_concurrent_requests: 2,
        };
        let mut storage = CheckpointStorage::new(&spec);
        // Each slot gets 1000 B/s: 1000 bytes take 1 s plus latency.
        assert_eq!(storage.put(0, 1000), 1_000_000_010);
        assert_eq!(storage.put(0, 1000), 1_000_000_010);
        assert_eq!(storage.put(0, 1000), 2_000_000_020);
        assert_eq!(storage.bytes_stored, 3000);
    }
}
