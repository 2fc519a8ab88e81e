//! When each record of a source is appended to its log: a pure function of the
//! record's global index under the source's backlog and rate profile.
//!
//! The log is cut into stretches. The backlog, if any, is one stretch of records all
//! appended at time 0. Each step of the rate profile is one stretch from its `at` to the
//! next step's (or the end of the input), whose `k`-th record is appended at `at + k ×
//! 10⁹ / rate` ns, rounded down. Steps at rate 0 append nothing and leave no stretch. A
//! source with one step at 0 and no backlog is a single stretch: the record at global
//! index `g` is appended at `g × 10⁹ / rate`, exactly as a constant rate appends it.
//!
//! Every computation is integer arithmetic on the index, so the simulator's sources,
//! a source rewound after a restore and the oracle's reference all agree on each
//! record's append time, and so on its event time.

use crate::scenario::SourceSpec;
use crate::sim::Nanos;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// `a * b / d` and `a * b % d`, in 64 bits when the product fits (it does for days
/// at millions of records per second): a 128-bit division is a library call, and
/// sources ask often.
#[inline]
pub(crate) fn mul_div_rem(a: u64, b: u64, d: u64) -> (u64, u64) {
    match a.checked_mul(b) {
        Some(product) => (product / d, product % d),
        None => {
            let (product, d) = (u128::from(a) * u128::from(b), u128::from(d));
            ((product / d) as u64, (product % d) as u64)
        }
    }
}

/// Records `first..first + count` (global indices), appended from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub start: Nanos,
    pub first: u64,
    pub count: u64,
    /// Records per second; 0 for the backlog, whose records are all appended at `start`.
    pub rate_per_s: u64,
}

impl Stretch {
    /// The append time of the stretch's `k`-th record.
    #[inline]
    pub fn time_of_local(&self, k: u64) -> Nanos {
        if self.rate_per_s == 0 {
            self.start
        } else {
            self.start + mul_div_rem(k, NANOS_PER_SECOND, self.rate_per_s).0
        }
    }

    /// How many of its records were appended at or before `now` (`now >= start`): those
    /// whose exact time `start + k × 10⁹ / rate` is at most `now`.
    #[inline]
    fn appended_by(&self, now: Nanos) -> u64 {
        if self.rate_per_s == 0 {
            return self.count;
        }
        let within = mul_div_rem(now - self.start, self.rate_per_s, NANOS_PER_SECOND).0 + 1;
        within.min(self.count)
    }
}

/// The stretches of one source's log, in order of index and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendSchedule {
    stretches: Vec<Stretch>,
}

impl AppendSchedule {
    /// The schedule of `spec`'s log while its input lasts (`duration`): records whose
    /// exact append time is before `duration`, after the backlog.
    pub fn new(spec: &SourceSpec, duration: Nanos) -> Self {
        let mut stretches = Vec::new();
        let mut first = 0;
        if spec.backlog > 0 {
            stretches.push(Stretch {
                start: 0,
                first: 0,
                count: spec.backlog,
                rate_per_s: 0,
            });
            first = spec.backlog;
        }
        let steps = spec.rate_steps();
        for (i, step) in steps.iter().enumerate() {
            let end = steps.get(i + 1).map_or(duration, |next| next.at_ns).min(duration);
            if step.rate_per_s == 0 || end <= step.at_ns {
                continue;
            }
            // Records k with k × 10⁹ / rate < end − at.
            let count = (u128::from(end - step.at_ns) * u128::from(step.rate_per_s))
                .div_ceil(u128::from(NANOS_PER_SECOND)) as u64;
            stretches.push(Stretch {
                start: step.at_ns,
                first,
                count,
                rate_per_s: step.rate_per_s,
            });
            first += count;
        }
        Self { stretches }
    }

    /// Every record the log holds once the input ends.
    pub fn total(&self) -> u64 {
        self.stretches.last().map_or(0, |s| s.first + s.count)
    }

    /// The stretch holding global index `global`; past the end, the last stretch.
    #[inline]
    pub fn stretch_of(&self, global: u64) -> Option<&Stretch> {
        let i = self.stretches.partition_point(|s| s.first + s.count <= global);
        self.stretches.get(i).or(self.stretches.last())
    }

    /// When the record at `global` is appended (past the end: as its last stretch
    /// would go on appending).
    #[inline]
    pub fn time_of(&self, global: u64) -> Nanos {
        self.stretch_of(global)
            .map_or(0, |s| s.time_of_local(global.saturating_sub(s.first)))
    }

    /// How many records (global indices from 0) were appended at or before `now`.
    #[inline]
    pub fn appended_by(&self, now: Nanos) -> u64 {
        let i = self.stretches.partition_point(|s| s.start <= now);
        match i.checked_sub(1).map(|i| &self.stretches[i]) {
            Some(s) => s.first + s.appended_by(now),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{KeySpec, RateStep};

    fn spec(rate: u64, profile: &[(Nanos, u64)], backlog: u64) -> SourceSpec {
        SourceSpec {
            partitions: 1,
            rate_per_s: rate,
            keys: KeySpec::Uniform { count: 10 },
            value_min: 0,
            value_max: 9,
            poll_interval_ns: 1_000_000,
            state_bytes_per_partition: 16,
            rate_profile: profile
                .iter()
                .map(|&(at_ns, rate_per_s)| RateStep { at_ns, rate_per_s })
                .collect(),
            backlog,
            backlog_threshold: 1024,
        }
    }

    #[test]
    fn a_constant_rate_is_one_stretch_as_before() {
        let s = AppendSchedule::new(&spec(3, &[], 0), 2_000_000_000);
        assert_eq!(s.total(), 6);
        assert_eq!(s.time_of(1), 333_333_333);
        // A record counts as appended once its exact time has passed.
        assert_eq!(s.appended_by(333_333_333), 1);
        assert_eq!(s.appended_by(333_333_334), 2);
        assert_eq!(s.appended_by(u64::MAX / 4), 6);
    }

    #[test]
    fn a_profile_appends_its_integral_and_a_backlog_sits_at_zero() {
        let second = 1_000_000_000;
        let s = AppendSchedule::new(
            &spec(10, &[(0, 10), (2 * second, 0), (3 * second, 100)], 50),
            5 * second,
        );
        // 50 + 10 × 2 s + 0 × 1 s + 100 × 2 s.
        assert_eq!(s.total(), 50 + 20 + 200);
        assert_eq!(s.time_of(49), 0);
        assert_eq!(s.time_of(50), 0);
        assert_eq!(s.time_of(51), 100_000_000);
        assert_eq!(s.time_of(70), 3 * second);
        assert_eq!(s.appended_by(0), 51);
        assert_eq!(s.appended_by(2_500_000_000), 70);
        assert_eq!(s.appended_by(3 * second), 71);
    }
}
