//! A record as it flows through the job: a real key and value, where it came from,
//! and when, so that outputs can be checked and latency measured.

use crate::sim::Nanos;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub key: u64,
    /// The value; after an aggregate, the running sum.
    pub value: i64,
    /// 1 for a source record; after an aggregate, the running count (a version: a
    /// larger count is a later update of the same key).
    pub count: u64,
    /// Event time: when the record was appended to its source partition; for a
    /// window result, the window's last instant.
    pub event_time: Nanos,
    /// When the record entered the job, for source-to-sink latency.
    pub ingest_time: Nanos,
    pub partition: u32,
    pub offset: u64,
}
