//! What a failure costs in records read again: a task failure restores the latest
//! completed checkpoint and rewinds the sources to the offsets it holds, so every
//! record read since those offsets is read again (Flink's
//! `CheckpointCoordinator.restoreLatestCheckpointedState`).
//!
//! For a failure at a random instant of the run (a Poisson failure process is
//! uniform over time), the expected number replayed is the mean, over the run, of the
//! restore point's age, times the rate the sources read. The age at instant t is t
//! minus the instant the sources took the offsets of the latest checkpoint completed
//! by t, or t itself before the first one completed (the job starts over). Savepoints
//! are left out: since Flink 1.15 a failover does not restore an intermediate
//! savepoint (Flink docs, `docs/content/docs/ops/state/savepoints.md`, FLINK-25191).

use crate::stats::run::RunSummary;
use std::collections::BTreeMap;

/// A run's expected replay per failure.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FailureCost {
    /// Mean age of the restore point over the run, in ms.
    pub restore_age_ms: f64,
    /// `restore_age_ms` × the sources' read rate.
    pub records_replayed: f64,
}

/// When the sources took each checkpoint's offsets, by checkpoint id: the mean over
/// its source parts of the start of their synchronous phase (trigger, then start
/// delay and snapshot wait; a source does not align). One pass over the parts: a
/// long run has thousands of checkpoints.
fn offsets_taken_at(s: &RunSummary) -> BTreeMap<u64, f64> {
    let mut sums: BTreeMap<u64, (f64, u32)> = BTreeMap::new();
    for p in s.checkpoints.iter().flat_map(|r| &r.subtasks) {
        if s.operators.get(p.operator).is_some_and(|o| o.kind == "source") {
            let at = p.trigger_timestamp + p.start_delay_ns + p.alignment_ns + p.snapshot_wait_ns;
            let e = sums.entry(p.checkpoint_id).or_default();
            e.0 += at as f64;
            e.1 += 1;
        }
    }
    sums.into_iter().map(|(id, (sum, n))| (id, sum / n as f64)).collect()
}

/// The restore points of a run: (completed at, offsets taken at), in completion
/// order; a checkpoint without a recorded source part took them at its trigger.
fn restore_points(s: &RunSummary) -> Vec<(f64, f64)> {
    let Some(report) = &s.checkpoints else {
        return Vec::new();
    };
    let taken = offsets_taken_at(s);
    let mut points: Vec<(f64, f64)> = report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED" && !c.is_savepoint)
        .filter_map(|c| {
            let done = c.trigger_timestamp + c.end_to_end_duration?;
            let at = taken.get(&c.id).copied().unwrap_or(c.trigger_timestamp as f64);
            Some((done as f64, at))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// The mean age (ns) over [0, `window`) of the restore point, given the restore
/// points as (completed at, offsets taken at) in completion order.
pub fn mean_restore_age_ns(points: &[(f64, f64)], window: f64) -> f64 {
    if window <= 0.0 {
        return 0.0;
    }
    // ∫ (t − p) dt from a to b, with p the offsets' instant, constant in between.
    let area = |a: f64, b: f64, p: f64| (b - a) * ((a + b) / 2.0 - p);
    let (mut from, mut offsets, mut total) = (0.0, 0.0_f64, 0.0);
    for &(done, taken) in points {
        if done >= window {
            break;
        }
        total += area(from, done, offsets);
        from = done;
        // Flink restores the checkpoint with the highest id, whose offsets are the
        // latest even when an older one completed after it.
        offsets = offsets.max(taken);
    }
    total += area(from, window, offsets);
    total / window
}

pub fn of(s: &RunSummary) -> FailureCost {
    // The sources read from the start until `sources_done_ns`, the window the read
    // rate is measured over.
    let window = s.sources_done_ns as f64;
    let age_ns = mean_restore_age_ns(&restore_points(s), window);
    FailureCost {
        restore_age_ms: age_ns / 1e6,
        records_replayed: age_ns / 1e9 * s.input_rate_per_s,
    }
}

#[cfg(test)]
mod tests {
    use super::mean_restore_age_ns;

    /// Without a checkpoint, a failure at a random instant of a 10 s run replays
    /// half of it on average.
    #[test]
    fn no_checkpoint_means_half_the_run() {
        assert_eq!(mean_restore_age_ns(&[], 10.0), 5.0);
    }

    /// Checkpoints every 2 s that complete at once (offsets taken at completion):
    /// the age is a sawtooth from 0 to 2, mean 1.
    #[test]
    fn instant_periodic_checkpoints_halve_the_interval() {
        let points: Vec<(f64, f64)> = (1..5).map(|k| (2.0 * k as f64, 2.0 * k as f64)).collect();
        assert!((mean_restore_age_ns(&points, 10.0) - 1.0).abs() < 1e-12);
    }

    /// A checkpoint that takes 1 s to complete adds that second to the age while
    /// it is the latest: offsets at 2, 4, 6, 8, complete at 3, 5, 7, 9. Age over
    /// [0,3): t, mean 1.5; over each [3,5) etc.: t − (done − 1), from 1 to 3, mean 2;
    /// over [9,10): from 1 to 2, mean 1.5. (3·1.5 + 6·2 + 1·1.5) / 10 = 1.8.
    #[test]
    fn completion_delay_adds_to_the_age() {
        let points: Vec<(f64, f64)> = (1..5).map(|k| (2.0 * k as f64 + 1.0, 2.0 * k as f64)).collect();
        assert!((mean_restore_age_ns(&points, 10.0) - 1.8).abs() < 1e-12);
    }
}
