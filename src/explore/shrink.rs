//! Shrinking a failing fault schedule: fewer faults, earlier, shorter.
//!
//! The search is greedy and generic over a "still fails" predicate, so that it can
//! be tested without the simulator. Every candidate it keeps made the predicate
//! true, so the result always still fails (or is the input, when nothing helped).

use crate::fault::Fault;
use crate::sim::Nanos;

/// Runs the predicate at most `max_runs` times; past the budget every candidate
/// counts as passing, so the search keeps what it has.
struct Budget<F> {
    still_fails: F,
    runs: usize,
    max_runs: usize,
}

impl<F: FnMut(&[Fault]) -> bool> Budget<F> {
    fn fails(&mut self, candidate: &[Fault]) -> bool {
        if self.runs >= self.max_runs {
            return false;
        }
        self.runs += 1;
        // The model expects a schedule in time order, as a scenario file gives it;
        // the search moves faults in place, so it hands over a sorted copy.
        let mut sorted = candidate.to_vec();
        sorted.sort_by_key(|f| f.at_ns);
        (self.still_fails)(&sorted)
    }

    fn exhausted(&self) -> bool {
        self.runs >= self.max_runs
    }
}

/// The smallest value in `floor..=current` found to still fail, by trying `floor`
/// first (the common case: the time or length did not matter) and then bisecting.
/// Bisection stops at a resolution of 1/16 of the value (at least 1 µs): a minimal
/// schedule is for reading, and every extra step costs a full run.
fn lowest(current: Nanos, floor: Nanos, mut fails: impl FnMut(Nanos) -> bool) -> Nanos {
    if current <= floor {
        return current;
    }
    if fails(floor) {
        return floor;
    }
    let (mut passing, mut failing) = (floor, current);
    while failing - passing > (failing / 16).max(1_000) {
        let mid = round_between(passing, failing);
        if fails(mid) {
            failing = mid;
        } else {
            passing = mid;
        }
    }
    failing
}

/// A point near the middle of `lo..hi` with few significant digits: the midpoint
/// rounded to the largest power of ten below a quarter of the interval, so that it
/// stays in the middle half (bisection keeps its pace) and a shrunk schedule reads
/// `20.5ms` rather than `20.106164ms`.
fn round_between(lo: Nanos, hi: Nanos) -> Nanos {
    let mid = lo + (hi - lo) / 2;
    let quarter = (hi - lo) / 4;
    let mut step: Nanos = 1;
    while step <= quarter / 10 {
        step *= 10;
    }
    let rounded = (mid + step / 2) / step * step;
    if rounded > lo && rounded < hi { rounded } else { mid }
}

/// Shrinks `faults`, which make `still_fails` true, to a schedule that still does:
/// drops faults one at a time, then moves each earlier, then shortens each, and
/// repeats until a whole round changes nothing or `max_runs` predicate calls are
/// spent. The result is in time order.
pub fn shrink_schedule(
    faults: Vec<Fault>,
    still_fails: impl FnMut(&[Fault]) -> bool,
    max_runs: usize,
) -> (Vec<Fault>, usize) {
    let mut budget = Budget {
        still_fails,
        runs: 0,
        max_runs,
    };
    let mut faults = faults;
    loop {
        let mut changed = false;

        // Fewer faults: the biggest simplification, and it makes later steps cheaper.
        let mut i = 0;
        while i < faults.len() && !budget.exhausted() {
            let mut candidate = faults.clone();
            candidate.remove(i);
            if budget.fails(&candidate) {
                faults = candidate;
                changed = true;
            } else {
                i += 1;
            }
        }

        // Earlier: a fault at the start of the run is easier to reason about.
        for i in 0..faults.len() {
            let at = faults[i].at_ns;
            let earliest = lowest(at, 0, |t| {
                let mut candidate = faults.clone();
                candidate[i].at_ns = t;
                budget.fails(&candidate)
            });
            if earliest < at {
                faults[i].at_ns = earliest;
                changed = true;
            }
        }

        // Shorter: down to 1 ns, since a scenario file rejects a zero duration.
        for i in 0..faults.len() {
            let Some(length) = faults[i].kind.duration_ns() else {
                continue;
            };
            let shortest = lowest(length, 1, |d| {
                let mut candidate = faults.clone();
                candidate[i].kind = candidate[i].kind.with_duration(d);
                budget.fails(&candidate)
            });
            if shortest < length {
                faults[i].kind = faults[i].kind.with_duration(shortest);
                changed = true;
            }
        }

        if !changed || budget.exhausted() {
            break;
        }
    }
    faults.sort_by_key(|f| f.at_ns);
    (faults, budget.runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultKind;

    fn stall(at_ns: Nanos, duration_ns: Nanos) -> Fault {
        Fault {
            at_ns,
            kind: FaultKind::SubtaskStall {
                operator: 0,
                subtask: 0,
                duration_ns,
            },
        }
    }

    #[test]
    fn lowest_finds_a_threshold_within_its_resolution() {
        let found = lowest(1_000_000_000, 0, |t| t >= 300_000_000);
        assert!(
            (300_000_000..=300_000_000 + 1_000_000_000 / 16).contains(&found),
            "{found}"
        );
    }

    #[test]
    fn bisection_points_are_round_and_central() {
        assert_eq!(round_between(0, 400_000_000), 200_000_000);
        assert_eq!(round_between(19_531_250, 20_106_164), 19_800_000);
        assert_eq!(round_between(3, 5), 4);
        let (lo, hi) = (123_456_789, 987_654_321);
        let r = round_between(lo, hi);
        assert!(r > lo + (hi - lo) / 4 && r < hi - (hi - lo) / 4, "{r}");
        assert_eq!(r % 100_000_000, 0, "{r}");
    }

    #[test]
    fn a_schedule_that_always_fails_shrinks_to_nothing() {
        let (faults, runs) = shrink_schedule(vec![stall(5, 5), stall(6, 6)], |_| true, 100);
        assert!(faults.is_empty());
        assert_eq!(runs, 2);
    }

    #[test]
    fn the_budget_bounds_the_runs_and_keeps_a_failing_schedule() {
        let mut calls = 0;
        let original = vec![stall(1_000_000_000, 1_000_000_000), stall(2_000_000_000, 500_000_000)];
        let (faults, runs) = shrink_schedule(
            original.clone(),
            |f| {
                calls += 1;
                f.len() == 2 && f[0].at_ns > 10
            },
            7,
        );
        assert_eq!((calls, runs), (7, 7));
        assert_eq!(faults.len(), 2);
        assert!(faults[0].at_ns > 10);
    }
}
