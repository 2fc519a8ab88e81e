//! Flink's restart strategies, as a small state machine: given a failure at a time,
//! restart after a delay, or give up and fail the job.

use crate::sim::Nanos;
use serde::Serialize;

/// `restart-strategy.type` and its options, with Flink's defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum RestartStrategy {
    /// `none`: the first failure fails the job.
    None,
    /// `fixed-delay`: up to `attempts` restarts, each after `delay_ns`.
    FixedDelay { attempts: u32, delay_ns: Nanos },
    /// `failure-rate`: restart after `delay_ns` unless more than
    /// `max_failures_per_interval` failures fall within `interval_ns`.
    FailureRate {
        max_failures_per_interval: u32,
        interval_ns: Nanos,
        delay_ns: Nanos,
    },
    /// `exponential-delay`: the delay starts at `initial_backoff_ns` and grows by
    /// `multiplier` after each failure up to `max_backoff_ns`; it resets after
    /// `reset_threshold_ns` without failure. Jitter is left out: it would only
    /// move restarts by a seeded amount.
    ExponentialDelay {
        initial_backoff_ns: Nanos,
        max_backoff_ns: Nanos,
        /// Times 1000, so that the strategy stays in integers.
        multiplier_milli: u64,
        reset_threshold_ns: Nanos,
        attempts_before_reset: u32,
    },
}

/// What to do about one failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartDecision {
    RestartAfter(Nanos),
    FailJob,
}

/// The strategy with its memory of past failures.
#[derive(Clone, Debug)]
pub struct RestartTracker {
    strategy: RestartStrategy,
    failures: Vec<Nanos>,
    restarts: u32,
    current_backoff: Nanos,
    last_failure: Option<Nanos>,
}

impl RestartTracker {
    pub fn new(strategy: RestartStrategy) -> Self {
        Self {
            strategy,
            failures: Vec::new(),
            restarts: 0,
            current_backoff: 0,
            last_failure: None,
        }
    }

    /// Records a failure at `now` and decides.
    pub fn on_failure(&mut self, now: Nanos) -> RestartDecision {
        self.failures.push(now);
        let decision = match self.strategy {
            RestartStrategy::None => RestartDecision::FailJob,
            RestartStrategy::FixedDelay { attempts, delay_ns } => {
                if self.restarts < attempts {
                    RestartDecision::RestartAfter(delay_ns)
                } else {
                    RestartDecision::FailJob
                }
            }
            RestartStrategy::FailureRate {
                max_failures_per_interval,
                interval_ns,
                delay_ns,
            } => {
                let recent = self.failures.iter().filter(|&&t| t + interval_ns > now).count();
                if recent as u64 > u64::from(max_failures_per_interval) {
                    RestartDecision::FailJob
                } else {
                    RestartDecision::RestartAfter(delay_ns)
                }
            }
            RestartStrategy::ExponentialDelay {
                initial_backoff_ns,
                max_backoff_ns,
                multiplier_milli,
                reset_threshold_ns,
                attempts_before_reset,
            } => {
                let quiet = self
                    .last_failure
                    .is_none_or(|t| now.saturating_sub(t) >= reset_threshold_ns);
                if quiet {
                    self.current_backoff = initial_backoff_ns;
                    self.restarts = 0;
                } else {
                    let grown = u128::from(self.current_backoff) * u128::from(multiplier_milli) / 1000;
                    self.current_backoff = (grown.min(u128::from(max_backoff_ns)) as Nanos).max(initial_backoff_ns);
                }
                if self.restarts >= attempts_before_reset {
                    RestartDecision::FailJob
                } else {
                    RestartDecision::RestartAfter(self.current_backoff)
                }
            }
        };
        self.last_failure = Some(now);
        if let RestartDecision::RestartAfter(_) = decision {
            self.restarts += 1;
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SECOND;

    #[test]
    fn fixed_delay_gives_up_after_its_attempts() {
        let mut t = RestartTracker::new(RestartStrategy::FixedDelay {
            attempts: 2,
            delay_ns: SECOND,
        });
        assert_eq!(t.on_failure(0), RestartDecision::RestartAfter(SECOND));
        assert_eq!(t.on_failure(5 * SECOND), RestartDecision::RestartAfter(SECOND));
        assert_eq!(t.on_failure(9 * SECOND), RestartDecision::FailJob);
    }

    #[test]
    fn failure_rate_counts_failures_within_the_interval() {
        let mut t = RestartTracker::new(RestartStrategy::FailureRate {
            max_failures_per_interval: 2,
            interval_ns: 10 * SECOND,
            delay_ns: SECOND,
        });
        assert_eq!(t.on_failure(0), RestartDecision::RestartAfter(SECOND));
        assert_eq!(t.on_failure(SECOND), RestartDecision::RestartAfter(SECOND));
        assert_eq!(t.on_failure(2 * SECOND), RestartDecision::FailJob);
        let mut later = RestartTracker::new(RestartStrategy::FailureRate {
            max_failures_per_interval: 1,
            interval_ns: 10 * SECOND,
            delay_ns: SECOND,
        });
        assert_eq!(later.on_failure(0), RestartDecision::RestartAfter(SECOND));
        assert_eq!(later.on_failure(11 * SECOND), RestartDecision::RestartAfter(SECOND));
    }

    #[test]
    fn exponential_delay_grows_caps_and_resets() {
        let mut t = RestartTracker::new(RestartStrategy::ExponentialDelay {
            initial_backoff_ns: SECOND,
            max_backoff_ns: 3 * SECOND,
            multiplier_milli: 2000,
            reset_threshold_ns: 60 * SECOND,
            attempts_before_reset: u32::MAX,
        });
        assert_eq!(t.on_failure(0), RestartDecision::RestartAfter(SECOND));
        assert_eq!(t.on_failure(2 * SECOND), RestartDecision::RestartAfter(2 * SECOND));
        assert_eq!(t.on_failure(5 * SECOND), RestartDecision::RestartAfter(3 * SECOND));
        assert_eq!(t.on_failure(100 * SECOND), RestartDecision::RestartAfter(SECOND));
    }

    #[test]
    fn none_fails_the_job_at_once() {
        assert_eq!(
            RestartTracker::new(RestartStrategy::None).on_failure(0),
            RestartDecision::FailJob
        );
    }
}
