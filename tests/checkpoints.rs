//! Checkpoints in the shipped scenarios: each subtask's phases add up, and the
//! protocol's knobs (aligned or unaligned, incremental state, storage speed and
//! timeout, min-pause and max-concurrent) show the effects a Flink user expects.

mod common;

use ckptsim::model::world::SubtaskBreakdown;
use ckptsim::run::Outcome;
use ckptsim::scenario::Scenario;
use ckptsim::sim::Nanos;
use ckptsim::sim::time::{MILLISECOND, SECOND};
use ckptsim::stats::checkpoint::{CheckpointReport, CheckpointSummary};
use std::path::Path;

fn scenario_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
}

fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(scenario_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(scenario: Scenario) -> Outcome {
    let name = scenario.name.clone();
    let outcome = ckptsim::run::run(scenario).unwrap();
    assert!(outcome.verdict.held, "{name}: {:?}", outcome.verdict.anomalies);
    outcome
}

fn run_file(name: &str) -> Outcome {
    run(common::load(&scenario_path(name)))
}

fn report(outcome: &Outcome) -> &CheckpointReport {
    outcome.summary.checkpoints.as_ref().expect("the scenario checkpoints")
}

fn completed(report: &CheckpointReport) -> Vec<&CheckpointSummary> {
    report.checkpoints.iter().filter(|c| c.status == "COMPLETED").collect()
}

/// When a checkpoint completed or failed: its trigger plus its end-to-end duration.
fn end_of(c: &CheckpointSummary) -> Nanos {
    c.trigger_timestamp + c.end_to_end_duration.expect("a finished checkpoint has a duration")
}

fn parts_of(report: &CheckpointReport, id: u64) -> impl Iterator<Item = &SubtaskBreakdown> {
    report.subtasks.iter().filter(move |b| b.checkpoint_id == id)
}

fn median(mut values: Vec<Nanos>) -> Nanos {
    assert!(!values.is_empty(), "no values to take the median of");
    values.sort_unstable();
    values[values.len() / 2]
}

fn ms(n: Nanos) -> f64 {
    n as f64 / MILLISECOND as f64
}

// Pins: every shipped checkpointing scenario: phases sum to end-to-end exactly, exactly-once holds, ids complete in order.
#[test]
fn every_checkpointing_scenario_accounts_for_each_nanosecond() {
    let mut checked = 0;
    for path in common::shipped_scenarios() {
        let mut scenario = common::load(&path);
        if !scenario.checkpointing.enabled() {
            continue;
        }
        // Long enough for several checkpoints, short enough for a test build; keep
        // the manual triggers, which must lie within the duration.
        let last_trigger = scenario
            .checkpointing
            .triggers
            .iter()
            .map(|t| t.at_ns)
            .max()
            .unwrap_or(0);
        // Two intervals at least, for scenarios that checkpoint every few seconds.
        let interval = scenario.checkpointing.interval_ns.unwrap_or(0);
        let cap = (3 * SECOND).max(last_trigger + SECOND).max(2 * interval + SECOND);
        scenario.duration_ns = scenario.duration_ns.min(cap);
        let name = path.display().to_string();
        let outcome = run(scenario);
        let report = report(&outcome);
        assert!(
            !report.subtasks.is_empty(),
            "{name}: no subtask acknowledged a checkpoint"
        );
        for b in &report.subtasks {
            let sum: Nanos = b.phases().iter().map(|(_, d)| d).sum();
            assert_eq!(
                sum,
                b.end_to_end_ns,
                "{name}: checkpoint {} subtask {} phases {:?}",
                b.checkpoint_id,
                b.subtask,
                b.phases()
            );
            assert_eq!(
                b.ack_timestamp - b.trigger_timestamp,
                b.end_to_end_ns,
                "{name}: checkpoint {} subtask {}",
                b.checkpoint_id,
                b.subtask
            );
        }
        let mut done = completed(report);
        assert!(!done.is_empty(), "{name}: no checkpoint completed");
        for c in &done {
            // Every subtask acknowledged a completed checkpoint, once; one that had
            // finished before the trigger counts as acknowledged with no part.
            assert_eq!(
                parts_of(report, c.id).count() + c.finished_subtasks.len(),
                c.num_subtasks,
                "{name}: checkpoint {}",
                c.id
            );
            assert_eq!(
                c.num_acknowledged_subtasks, c.num_subtasks,
                "{name}: checkpoint {}",
                c.id
            );
        }
        done.sort_by_key(|c| (end_of(c), c.id));
        let ids: Vec<u64> = done.iter().map(|c| c.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{name}: completion order {ids:?}");
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} shipped scenarios checkpoint");
}

/// Per completed checkpoint, the slowest subtask's start delay plus alignment.
fn barrier_waits(report: &CheckpointReport) -> Vec<Nanos> {
    completed(report)
        .iter()
        .map(|c| {
            parts_of(report, c.id)
                .map(|b| b.start_delay_ns + b.alignment_ns)
                .max()
                .unwrap_or(0)
        })
        .collect()
}

// Pins: under backpressure an aligned barrier waits behind the backlog: start delay + alignment grow manyfold.
#[test]
fn aligned_barriers_wait_behind_the_backlog() {
    let text = scenario_text("backpressure-aligned.yaml");
    let skew = "      cpu-skew:\n        - {subtask: 1, cpu-per-record: 200us}\n";
    assert!(text.contains(skew), "the scenario's slow subtask moved");
    let backpressured = run(common::parse(&text));
    let free = run(common::parse(&text.replace(skew, "")));
    let slow = median(barrier_waits(report(&backpressured)));
    let fast = median(barrier_waits(report(&free)));
    assert!(
        slow > 10 * fast && slow > 500 * MILLISECOND,
        "start delay + alignment: {:.1} ms backpressured, {:.1} ms without",
        ms(slow),
        ms(fast)
    );
}

// Pins: unaligned barriers overtake the backlog: ~no alignment, backlog persisted, far shorter than aligned.
#[test]
fn unaligned_checkpoints_overtake_the_backlog() {
    let unaligned = run_file("backpressure-unaligned.yaml");
    let aligned = run_file("backpressure-aligned.yaml");
    let u = report(&unaligned);
    let longest_alignment = u.subtasks.iter().map(|b| b.alignment_ns).max().unwrap_or(0);
    assert!(
        longest_alignment < 5 * MILLISECOND,
        "alignment up to {:.2} ms",
        ms(longest_alignment)
    );
    let done = completed(u);
    assert!(done.len() >= 5, "{} unaligned checkpoints completed", done.len());
    for c in &done {
        assert!(c.persisted_data > 0, "checkpoint {} persisted no in-flight data", c.id);
        assert!(c.unaligned_subtasks > 0, "checkpoint {} was aligned everywhere", c.id);
    }
    let e2e = |r: &CheckpointReport| median(completed(r).iter().map(|c| c.end_to_end_duration.unwrap()).collect());
    let (fast, slow) = (e2e(u), e2e(report(&aligned)));
    assert!(
        5 * fast < slow,
        "median end-to-end: {:.1} ms unaligned, {:.1} ms aligned",
        ms(fast),
        ms(slow)
    );
    // Aligned checkpoints persist nothing in flight.
    assert!(completed(report(&aligned)).iter().all(|c| c.persisted_data == 0));
}

// Pins: with state built up, incremental checkpoints upload a fraction of the state full
// ones upload whole, except when RocksDB's level-0 compaction (more than four live SST
// files) has rewritten the state into one new file, which that checkpoint uploads whole.
#[test]
fn incremental_checkpoints_upload_less_once_state_is_stable() {
    let incremental = run_file("incremental.yaml");
    let full = run_file("full-state.yaml");
    let (inc, fs) = (report(&incremental), report(&full));
    let later: Vec<&CheckpointSummary> = completed(inc).into_iter().filter(|c| c.id >= 2).collect();
    assert!(later.len() >= 10, "{} later incremental checkpoints", later.len());
    let (mut deltas, mut compactions) = (0, 0);
    let (mut uploaded, mut uploaded_full) = (0u64, 0u64);
    for c in &later {
        let f = fs
            .checkpoints
            .iter()
            .find(|f| f.id == c.id && f.status == "COMPLETED")
            .unwrap_or_else(|| panic!("full-state checkpoint {} did not complete", c.id));
        let (a, b) = (c.state_size as f64, f.state_size as f64);
        assert!((a - b).abs() / b < 0.05, "checkpoint {}: state {a} vs {b}", c.id);
        assert_eq!(
            f.checkpointed_size, f.state_size,
            "a full checkpoint uploads its whole state"
        );
        uploaded += c.checkpointed_size;
        uploaded_full += f.checkpointed_size;
        if c.checkpointed_size == c.state_size {
            compactions += 1;
            // Each subtask compacts after its fifth live file: checkpoints 5, 9, 13, ...
            assert_eq!(c.id % 4, 1, "checkpoint {} uploaded its whole state", c.id);
        } else {
            deltas += 1;
            assert!(
                3 * c.checkpointed_size < f.checkpointed_size || c.id < 4,
                "checkpoint {}: incremental uploaded {} B, full {} B",
                c.id,
                c.checkpointed_size,
                f.checkpointed_size
            );
        }
    }
    assert!(
        compactions >= 2 && deltas >= 3 * compactions,
        "{deltas} delta and {compactions} compaction checkpoints"
    );
    assert!(
        2 * uploaded < uploaded_full,
        "incremental uploaded {uploaded} B in all, full {uploaded_full} B"
    );
    // The first incremental checkpoint has no base to refer to: it uploads everything.
    let first = &completed(inc)[0];
    assert_eq!(first.checkpointed_size, first.state_size);
}

// Pins: slow storage expires some checkpoints at the timeout (CHECKPOINT_EXPIRED) while others complete.
#[test]
fn slow_storage_expires_some_checkpoints() {
    let outcome = run_file("slow-storage.yaml");
    let timeout = outcome.world.scenario.checkpointing.timeout_ns;
    let r = report(&outcome);
    let expired: Vec<&CheckpointSummary> = r
        .checkpoints
        .iter()
        .filter(|c| c.status == "FAILED" && c.failure_message == Some("CHECKPOINT_EXPIRED"))
        .collect();
    assert!(!expired.is_empty(), "no checkpoint expired: {:?}", r.checkpoints);
    assert!(!completed(r).is_empty(), "no checkpoint completed");
    for c in &expired {
        assert_eq!(
            c.end_to_end_duration,
            Some(timeout),
            "checkpoint {} expired off time",
            c.id
        );
        assert!(c.num_acknowledged_subtasks < c.num_subtasks);
    }
    assert!(r.failover_requests.is_empty(), "{:?}", r.failover_requests);
}

// Pins: periodic triggers keep min-pause after completions, at most max-concurrent overlap, the savepoint shows.
#[test]
fn min_pause_and_max_concurrent_pace_checkpoints() {
    let outcome = run_file("min-pause.yaml");
    let spec = &outcome.world.scenario.checkpointing;
    let (min_pause, max_concurrent) = (spec.min_pause_ns, spec.max_concurrent as usize);
    assert!(min_pause > 0 && max_concurrent == 2);
    let r = report(&outcome);
    let periodic: Vec<&CheckpointSummary> = r.checkpoints.iter().filter(|c| !c.is_savepoint).collect();
    assert!(periodic.len() >= 10, "{} periodic checkpoints", periodic.len());
    for c in &periodic {
        let last_completion = completed(r)
            .iter()
            .map(|d| end_of(d))
            .filter(|&t| t <= c.trigger_timestamp)
            .max();
        if let Some(last) = last_completion {
            assert!(
                c.trigger_timestamp - last >= min_pause,
                "checkpoint {} triggered {:.1} ms after a completion",
                c.id,
                ms(c.trigger_timestamp - last)
            );
        }
    }
    let most_overlapping = periodic
        .iter()
        .map(|c| {
            let t = c.trigger_timestamp;
            periodic
                .iter()
                .filter(|o| o.trigger_timestamp <= t && t < end_of(o))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert_eq!(most_overlapping, max_concurrent, "most periodic checkpoints at once");
    assert!(
        r.dropped_triggers
            .iter()
            .any(|(_, why)| *why == "MINIMUM_TIME_BETWEEN_CHECKPOINTS")
    );
    let savepoints: Vec<&CheckpointSummary> = r.checkpoints.iter().filter(|c| c.is_savepoint).collect();
    assert_eq!(savepoints.len(), 1, "{savepoints:?}");
    assert_eq!(savepoints[0].status, "COMPLETED");
    assert_eq!(savepoints[0].trigger_timestamp, spec.triggers[0].at_ns);
}

// Pins: runs with checkpoints and a savepoint are deterministic: same digest, same checkpoint statistics.
#[test]
fn checkpointing_runs_are_deterministic() {
    for name in ["min-pause.yaml", "backpressure-unaligned.yaml"] {
        let a = run_file(name);
        let b = run_file(name);
        assert_eq!(a.summary.trace_digest, b.summary.trace_digest, "{name}");
        assert_eq!(format!("{:?}", report(&a)), format!("{:?}", report(&b)), "{name}");
    }
}

// Pins: after a checkpoint failed, late barriers take no snapshot for it and none of its uploads stays stored.
#[test]

fn an_expired_checkpoint_takes_no_late_snapshots() {
    let interval = "  execution.checkpointing.interval: 1s\n";
    let text = scenario_text("backpressure-aligned.yaml");
    assert!(text.contains(interval), "the scenario's interval moved");
    let text = text.replace(
        interval,
        "  execution.checkpointing.interval: 1s\n  execution.checkpointing.timeout: 500ms\n  \
         execution.checkpointing.tolerable-failed-checkpoints: 100\n",
    );
    let outcome = run(common::parse(&text));
    let r = report(&outcome);
    let expired: Vec<&CheckpointSummary> = r
        .checkpoints
        .iter()
        .filter(|c| c.failure_message == Some("CHECKPOINT_EXPIRED"))
        .collect();
    assert!(!expired.is_empty(), "no checkpoint expired");
    for c in &expired {
        let late: Vec<(usize, Nanos)> = parts_of(r, c.id)
            .filter(|b| b.ack_timestamp > end_of(c))
            .map(|b| (b.subtask, b.ack_timestamp))
            .collect();
        assert!(
            late.is_empty(),
            "checkpoint {} expired at {} ns, yet (subtask, ack at) {late:?} snapshotted and acknowledged it",
            c.id,
            end_of(c)
        );
    }
    // No checkpoint completed and none is retained once the job finished: storage is empty.
    let rt = outcome.world.ckpt.as_ref().expect("checkpointing run");
    assert_eq!(
        (rt.files.registry.bytes(), rt.files.registry.file_count()),
        (0, 0),
        "bytes left in checkpoint storage"
    );
}

// Pins: a savepoint is self-contained: under incremental checkpoints it still uploads the whole state.
#[test]

fn a_savepoint_uploads_the_full_state_under_incremental_checkpoints() {
    let cost = "  sync-cpu-per-entry: 1us\n";
    let text = scenario_text("incremental.yaml");
    assert!(text.contains(cost), "the scenario's checkpointing section moved");
    let text = text.replace(
        cost,
        "  sync-cpu-per-entry: 1us\n  triggers: [{at: 8500ms, kind: savepoint}]\n",
    );
    let outcome = run(common::parse(&text));
    let r = report(&outcome);
    let savepoint = r
        .checkpoints
        .iter()
        .find(|c| c.is_savepoint)
        .expect("the savepoint ran");
    assert_eq!(savepoint.status, "COMPLETED");
    assert_eq!(
        savepoint.checkpointed_size, savepoint.state_size,
        "savepoint {} uploaded {} B of {} B",
        savepoint.id, savepoint.checkpointed_size, savepoint.state_size
    );
}
