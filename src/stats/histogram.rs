//! A log-linear histogram of durations: 1/64 relative precision, constant memory,
//! O(1) recording. Used for record latency, where a run may see billions of samples.

use crate::sim::Nanos;

/// Values below this are counted exactly; above, each power of two splits in 32.
const LINEAR: u64 = 64;
const BUCKETS: usize = 60 * 32;

#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: Nanos,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

/// Bucket m·32 + (v >> m), where v >> m keeps the top six bits of v.
#[inline]
fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let shift = 63 - value.leading_zeros() - 5;
    ((shift as usize) << 5) + (value >> shift) as usize
}

/// The largest value that falls in `bucket` (so percentiles never understate).
fn bucket_high(bucket: usize) -> u64 {
    if bucket < LINEAR as usize {
        return bucket as u64;
    }
    let shift = (bucket >> 5) - 1;
    let top = (bucket - (shift << 5)) as u64;
    (((top + 1) as u128) << shift).saturating_sub(1).min(u64::MAX as u128) as u64
}

impl Histogram {
    #[inline]
    pub fn record(&mut self, value: Nanos) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Forgets every value, keeping the buckets' memory.
    pub fn clear(&mut self) {
        if self.total > 0 {
            self.counts.fill(0);
            self.total = 0;
            self.max = 0;
        }
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> Nanos {
        self.max
    }

    /// The value at quantile `q` in [0, 1], within 1/32 above the true value.
    pub fn quantile(&self, q: f64) -> Nanos {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_high(bucket).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_tight() {
        let mut last = 0;
        for v in (0..200_000u64).chain([1 << 40, u64::MAX / 2]) {
            let b = bucket_of(v);
            assert!(b >= last);
            last = b;
            assert!(bucket_high(b) >= v);
            assert!(bucket_high(b) - v <= v / 32 + 1, "{v}");
        }
    }

    #[test]
    fn a_cleared_histogram_is_empty() {
        let mut h = Histogram::default();
        h.record(5_000);
        h.clear();
        assert_eq!((h.count(), h.max(), h.quantile(0.5)), (0, 0, 0));
        h.record(7);
        assert_eq!(h.quantile(1.0), 7);
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5);
        let p99 = h.quantile(0.99);
        assert!((5_000_000..=5_200_000).contains(&p50), "{p50}");
        assert!((9_900_000..=10_000_000).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), 10_000_000);
    }
}
