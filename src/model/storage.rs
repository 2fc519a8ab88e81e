//! Remote checkpoint storage (S3, HDFS): a fixed number of concurrent requests, each
//! paying the round-trip latency, sharing the storage's bandwidth equally.
//!
//! A request that finds every slot busy waits for the earliest one to free; requests
//! are served first come, first served. What storage holds is kept by the
//! shared-state registry (`state_files`).

use super::taskmanager::{Window, active, transfer_time};
use crate::scenario::StorageSpec;
use crate::sim::Nanos;

#[derive(Debug)]
pub struct CheckpointStorage {
    latency: Nanos,
    per_request_bandwidth: u64,
    /// When each request slot becomes free.
    slots: Vec<Nanos>,
    /// Outages: requests fail (`value` 0) or wait until the end (`value` 1).
    pub outages: Vec<Window>,
    /// Slow-storage faults: latency times `value`, bandwidth divided by it.
    pub slow: Vec<Window>,
}

/// A request that met an outage and failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable {
    /// When the client learns of the failure.
    pub at: Nanos,
}

impl CheckpointStorage {
    pub fn new(spec: &StorageSpec) -> Self {
        let n = spec.max_concurrent_requests.max(1);
        Self {
            latency: spec.latency_ns,
            per_request_bandwidth: (spec.bandwidth_bytes_per_s / u64::from(n)).max(1),
            slots: vec![0; n as usize],
            outages: Vec::new(),
            slow: Vec::new(),
        }
    }

    /// Uploads `bytes` starting no earlier than `now`; returns the completion time.
    /// During an outage the request fails, or waits for the storage to come back.
    pub fn put(&mut self, now: Nanos, bytes: u64) -> Result<Nanos, Unavailable> {
        self.request(now, bytes)
    }

    /// Downloads `bytes` (a restore); an outage makes the restore wait for the storage.
    pub fn get(&mut self, now: Nanos, bytes: u64) -> Nanos {
        let start = self
            .outages
            .iter()
            .filter(|w| w.covers(now))
            .map(|w| w.end)
            .max()
            .unwrap_or(now);
        self.request(start, bytes).unwrap_or(start)
    }

    fn request(&mut self, now: Nanos, bytes: u64) -> Result<Nanos, Unavailable> {
        let slot = (0..self.slots.len()).min_by_key(|&i| (self.slots[i], i)).unwrap_or(0);
        let mut start = self.slots[slot].max(now);
        if let Some(outage) = self.outages.iter().find(|w| w.covers(start)) {
            if outage.value == 0 {
                return Err(Unavailable {
                    at: start + self.latency,
                });
            }
            start = outage.end;
        }
        let factor = active(&self.slow, start).unwrap_or(1).max(1);
        let done = start + self.latency * factor + transfer_time(bytes, self.per_request_bandwidth / factor);
        self.slots[slot] = done;
        Ok(done)
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
        assert_eq!(storage.put(0, 1000), Ok(1_000_000_010));
        assert_eq!(storage.put(0, 1000), Ok(1_000_000_010));
        assert_eq!(storage.put(0, 1000), Ok(2_000_000_020));
    }

    #[test]
    fn an_outage_fails_or_holds_requests() {
        let spec = StorageSpec {
            latency_ns: 10,
            bandwidth_bytes_per_s: 1_000_000_000,
            max_concurrent_requests: 1,
        };
        let mut storage = CheckpointStorage::new(&spec);
        storage.outages = vec![
            Window {
                start: 100,
                end: 200,
                value: 0,
            },
            Window {
                start: 300,
                end: 400,
                value: 1,
            },
        ];
        assert_eq!(storage.put(150, 0), Err(Unavailable { at: 160 }));
        // A restore during a failing outage waits for the storage.
        assert_eq!(storage.get(120, 0), 210);
        assert_eq!(storage.put(350, 0), Ok(410));
    }
}
