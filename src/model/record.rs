//! A record as it flows through the job: a real key and value, and its event time,
//! so that outputs can be checked and latency measured. 32 bytes: the simulator
//! moves tens of millions of them, and their size is its memory traffic.

use crate::sim::Nanos;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub key: u64,
    /// The value; after an aggregate, the running sum.
    pub value: i64,
    /// 1 for a source record; after an aggregate, the running count (a version: a
    /// larger count is a later update of the same key).
    pub count: u64,
    /// Event time: when the record was appended to its source partition (an update
    /// keeps the time of the record that caused it); for a window result, the
    /// window's last instant.
    pub time: Nanos,
}
