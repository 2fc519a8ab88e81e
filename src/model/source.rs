//! Source partitions: replayable logs with offsets, as Kafka partitions are.
//!
//! Partition `p` of `P` holds the records whose global index `g ≡ p (mod P)`; record
//! `g` is appended when the source's [`AppendSchedule`] says (at a constant rate, `g /
//! rate` seconds), so the partitions together append what the source's rate appends.
//! A record's key and value are read from the partition's own ChaCha stream at a fixed
//! word position per offset, so any offset can be read again after a rewind and always
//! yields the same record.

use super::append_schedule::{AppendSchedule, mul_div_rem};
use super::detmath;
use super::record::Record;
use crate::scenario::{KeySpec, SourceSpec};
use crate::sim::Nanos;
use crate::sim::rng::{self, Domain};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// ChaCha words consumed per record: two u64 draws.
const WORDS_PER_RECORD: u128 = 4;

/// Draws keys from a distribution with integer arithmetic only.
#[derive(Clone, Debug)]
pub enum KeySampler {
    Uniform {
        count: u64,
    },
    /// The record's global index modulo the count: a generator counting up, keyed by
    /// `v % count` (Flink's `DataGeneratorSource` over a number sequence).
    Sequence {
        count: u64,
    },
    /// Cumulative thresholds over u64: key k is drawn when the draw is below cdf[k].
    Zipf {
        cdf: Arc<Vec<u64>>,
    },
    HotKey {
        count: u64,
        hot_keys: u64,
        hot_threshold: u64,
    },
}

/// A uniform integer in [0, n) from a u64 draw (multiply-shift, no modulo bias worth noting).
#[inline]
fn below(draw: u64, n: u64) -> u64 {
    ((u128::from(draw) * u128::from(n)) >> 64) as u64
}

impl KeySampler {
    pub fn new(spec: &KeySpec) -> Self {
        match *spec {
            KeySpec::Uniform { count } => KeySampler::Uniform { count },
            KeySpec::Sequence { count } => KeySampler::Sequence { count },
            KeySpec::Zipf { count, exponent } => {
                let weights: Vec<f64> = (1..=count).map(|k| detmath::pow(k as f64, -exponent)).collect();
                let total: f64 = weights.iter().sum();
                let mut running = 0.0;
                let mut cdf: Vec<u64> = weights
                    .iter()
                    .map(|w| {
                        running += w;
                        let share = running / total;
                        if share >= 1.0 {
                            u64::MAX
                        } else {
                            (share * 18_446_744_073_709_551_616.0) as u64
                        }
                    })
                    .collect();
                if let Some(last) = cdf.last_mut() {
                    *last = u64::MAX;
                }
                KeySampler::Zipf { cdf: Arc::new(cdf) }
            }
            KeySpec::HotKey {
                count,
                hot_keys,
                hot_fraction,
            } => KeySampler::HotKey {
                count,
                hot_keys,
                hot_threshold: if hot_fraction >= 1.0 {
                    u64::MAX
                } else {
                    (hot_fraction * 18_446_744_073_709_551_616.0) as u64
                },
            },
        }
    }

    /// A key from draw `a`; for hot keys, the 32-bit draw `b` picks which one; a
    /// sequence keys the record by its global index `global` instead.
    #[inline]
    pub fn sample(&self, a: u64, b: u64, global: u64) -> u64 {
        match self {
            KeySampler::Uniform { count } => below(a, *count),
            KeySampler::Sequence { count } => global % count,
            KeySampler::Zipf { cdf } => cdf.partition_point(|&t| t < a) as u64,
            KeySampler::HotKey {
                count,
                hot_keys,
                hot_threshold,
            } => {
                if a < *hot_threshold {
                    below(b << 32, *hot_keys)
                } else {
                    below(b << 32, *count)
                }
            }
        }
    }
}

/// One partition's log and a reader's position in it.
#[derive(Clone, Debug)]
pub struct PartitionLog {
    pub partition: u32,
    partitions: u32,
    /// When each of the source's records is appended.
    schedule: AppendSchedule,
    /// Records with global index below this were appended before the source stopped.
    global_end: u64,
    /// The next offset to read.
    pub next_offset: u64,
    rng: ChaCha8Rng,
    /// The offset the random stream is positioned at.
    rng_offset: u64,
    keys: KeySampler,
    value_min: i64,
    value_span: u64,
}

impl PartitionLog {
    /// `partition_id` numbers partitions across all sources, for the random stream.
    pub fn new(
        spec: &SourceSpec,
        keys: KeySampler,
        seed: u64,
        partition: u32,
        partition_id: u64,
        duration: Nanos,
    ) -> Self {
        let schedule = AppendSchedule::new(spec, duration);
        Self {
            partition,
            partitions: spec.partitions,
            global_end: schedule.total(),
            schedule,
            next_offset: 0,
            rng: rng::stream(seed, rng::component_id(Domain::SourcePartition, partition_id)),
            rng_offset: 0,
            keys,
            value_min: spec.value_min,
            value_span: (spec.value_max - spec.value_min) as u64 + 1,
        }
    }

    /// When the record at `offset` is appended.
    #[inline]
    pub fn append_time(&self, offset: u64) -> Nanos {
        self.schedule.time_of(self.global(offset))
    }

    /// The source-wide index of the record at `offset`.
    #[inline]
    fn global(&self, offset: u64) -> u64 {
        offset * u64::from(self.partitions) + u64::from(self.partition)
    }

    /// The partition's offsets whose global index is below `global`.
    #[inline]
    fn offsets_below(&self, global: u64) -> u64 {
        let (p, n) = (u64::from(self.partition), u64::from(self.partitions));
        if global > p { (global - p).div_ceil(n) } else { 0 }
    }

    /// How many records the partition holds once the source stops.
    pub fn end_offset(&self) -> u64 {
        self.offsets_below(self.global_end)
    }

    /// The number of records appended at or before `now`.
    pub fn available_at(&self, now: Nanos) -> u64 {
        self.offsets_below(self.schedule.appended_by(now))
            .min(self.end_offset())
    }

    /// Records appended by `now` and not read yet (Flink's `pendingRecords` metric).
    pub fn pending_at(&self, now: Nanos) -> u64 {
        self.available_at(now).saturating_sub(self.next_offset)
    }

    pub fn is_exhausted(&self) -> bool {
        self.next_offset >= self.end_offset()
    }

    /// Moves the reader to `offset` (a restore rewinds sources this way).
    pub fn seek(&mut self, offset: u64) {
        self.next_offset = offset;
    }

    /// The record at `offset`.
    pub fn record_at(&mut self, offset: u64) -> Record {
        let t = self.append_time(offset);
        self.record_appended_at(offset, t)
    }

    /// The record at `offset`, whose append time the caller already knows.
    /// Inlined into `read`'s loop so that the record goes from registers into the
    /// batch: returned through memory, each record's four words were stored one by
    /// one and loaded back two at a time, a store-forwarding stall per record.
    #[inline(always)]
    fn record_appended_at(&mut self, offset: u64, t: Nanos) -> Record {
        if offset != self.rng_offset {
            self.rng.set_word_pos(u128::from(offset) * WORDS_PER_RECORD);
            self.rng_offset = offset;
        }
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        self.rng_offset += 1;
        // Draw a picks the key (and, for hot keys, whether it is hot); b's high half
        // picks which hot key, its low half the value.
        Record {
            key: self.keys.sample(
                a,
                b >> 32,
                offset * u64::from(self.partitions) + u64::from(self.partition),
            ),
            value: self.value_min + below(b << 32, self.value_span) as i64,
            count: 1,
            time: t,
        }
    }

    /// Reads up to `max` records appended by `now`, appending them to `out`.
    pub fn read(&mut self, now: Nanos, max: u64, out: &mut Vec<Record>) -> u64 {
        let until = self.available_at(now).min(self.next_offset + max);
        out.reserve((until.saturating_sub(self.next_offset)) as usize);
        let mut offset = self.next_offset;
        // One stretch of the schedule at a time: within one, append times step evenly.
        while offset < until {
            let global = self.global(offset);
            let Some(&stretch) = self.schedule.stretch_of(global) else {
                break;
            };
            let stretch_until = until.min(self.offsets_below(stretch.first + stretch.count).max(offset + 1));
            if stretch.rate_per_s == 0 {
                for o in offset..stretch_until {
                    let record = self.record_appended_at(o, stretch.start);
                    out.push(record);
                }
            } else {
                self.read_stretch(&stretch, offset, stretch_until, out);
            }
            offset = stretch_until;
        }
        debug_assert!(out.last().is_none_or(|r| r.time <= now));
        let n = until.saturating_sub(self.next_offset);
        self.next_offset = self.next_offset.max(until);
        n
    }

    /// Reads offsets `from..until`, all in `stretch`, which appends at a rate.
    #[inline(always)]
    fn read_stretch(
        &mut self,
        stretch: &super::append_schedule::Stretch,
        from: u64,
        until: u64,
        out: &mut Vec<Record>,
    ) {
        let rate = stretch.rate_per_s;
        // Append times step by partitions × 1e9 / rate: keep quotient and remainder
        // instead of dividing for every record.
        let local = self.global(from) - stretch.first;
        let (since_start, mut rest) = mul_div_rem(local, 1_000_000_000, rate);
        let mut time = stretch.start + since_start;
        let (step_time, step_rest) = mul_div_rem(u64::from(self.partitions), 1_000_000_000, rate);
        for offset in from..until {
            debug_assert_eq!(time, self.append_time(offset));
            let record = self.record_appended_at(offset, time);
            out.push(record);
            time += step_time;
            rest += step_rest;
            if rest >= rate {
                time += 1;
                rest -= rate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rate: u64, partitions: u32, keys: KeySpec) -> SourceSpec {
        SourceSpec {
            partitions,
            rate_per_s: rate,
            keys,
            value_min: 0,
            value_max: 9,
            poll_interval_ns: 1_000_000,
            state_bytes_per_partition: 16,
            rate_profile: Vec::new(),
            backlog: 0,
            backlog_threshold: crate::scenario::DEFAULT_BACKLOG_THRESHOLD,
        }
    }

    #[test]
    fn partitions_together_append_the_rate() {
        let s = spec(1000, 3, KeySpec::Uniform { count: 10 });
        let logs: Vec<_> = (0..3)
            .map(|p| PartitionLog::new(&s, KeySampler::new(&s.keys), 1, p, u64::from(p), 2_000_000_000))
            .collect();
        let total: u64 = logs.iter().map(|l| l.end_offset()).sum();
        assert_eq!(total, 2000);
        let by_one_second: u64 = logs.iter().map(|l| l.available_at(999_999_999)).sum();
        assert_eq!(by_one_second, 1000);
        assert_eq!(logs[1].append_time(0), 1_000_000);
        assert_eq!(logs[0].append_time(1), 3_000_000);
    }

    #[test]
    fn a_rewound_partition_replays_the_same_records() {
        let s = spec(
            1000,
            2,
            KeySpec::HotKey {
                count: 100,
                hot_keys: 2,
                hot_fraction: 0.5,
            },
        );
        let mut log = PartitionLog::new(&s, KeySampler::new(&s.keys), 9, 1, 1, 1_000_000_000);
        let mut first = Vec::new();
        log.read(1_000_000_000, 50, &mut first);
        log.seek(10);
        let mut again = Vec::new();
        log.read(1_000_000_000, 5, &mut again);
        assert_eq!(&first[10..15], &again[..]);
    }

    #[test]
    fn zipf_favours_small_keys() {
        let s = spec(
            1000,
            1,
            KeySpec::Zipf {
                count: 100,
                exponent: 1.2,
            },
        );
        let mut log = PartitionLog::new(&s, KeySampler::new(&s.keys), 3, 0, 0, 10_000_000_000);
        let mut out = Vec::new();
        log.read(10_000_000_000, 10_000, &mut out);
        let key0 = out.iter().filter(|r| r.key == 0).count();
        let key50 = out.iter().filter(|r| r.key == 50).count();
        assert!(key0 > 20 * key50.max(1), "key0 {key0} key50 {key50}");
        assert!(out.iter().all(|r| r.key < 100 && (0..=9).contains(&r.value)));
    }
}
