//! What checkpoint storage holds, as Flink's SharedStateRegistry keeps it: a file is
//! deleted only when no retained checkpoint refers to it, so storage always holds at
//! least the whole state of the newest completed checkpoint; incremental checkpoints
//! upload a fraction of the state while retaining about as much as full ones.

mod common;

use ckptsim::run::run;
use ckptsim::stats::checkpoint::CheckpointReport;
use ckptsim::stats::run::RunSummary;

fn completed_at(report: &CheckpointReport) -> Vec<(u64, u64)> {
    report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED")
        .map(|c| {
            (
                c.latest_ack_timestamp.unwrap() + c.finalize_duration.unwrap_or(0),
                c.state_size,
            )
        })
        .collect()
}

/// At every sample after a checkpoint completed, storage holds at least that
/// checkpoint's state size: its files cover the whole state (for incremental
/// checkpoints, the files it shares with earlier ones are still there).
fn storage_covers_the_retained_state(summary: &RunSummary) {
    let report = summary.checkpoints.as_ref().expect("checkpointing run");
    let completions = completed_at(report);
    assert!(completions.len() > 5);
    let end = summary.virtual_time_ns;
    let mut checked = 0;
    for sample in summary.samples.iter().filter(|s| s.time < end) {
        let Some(&(_, state)) = completions.iter().rev().find(|(at, _)| *at <= sample.time) else {
            continue;
        };
        assert!(
            sample.storage_bytes >= state,
            "at {} ns storage holds {} B, the retained checkpoint's state is {state} B",
            sample.time,
            sample.storage_bytes
        );
        checked += 1;
    }
    assert!(checked > 50, "only {checked} samples after a completion");
}

#[test]
fn incremental_storage_holds_the_retained_checkpoints_whole_state() {
    let outcome = run(common::load("scenarios/incremental.yaml".as_ref())).unwrap();
    storage_covers_the_retained_state(&outcome.summary);
}

#[test]
fn full_state_storage_holds_the_retained_checkpoints_whole_state() {
    let outcome = run(common::load("scenarios/full-state.yaml".as_ref())).unwrap();
    storage_covers_the_retained_state(&outcome.summary);
}

/// Flink's shape: incremental checkpoints upload far less on average than full ones
/// of the same job, while storage holds about the same at its peak.
#[test]
fn incremental_uploads_less_and_retains_about_as_much_as_full() {
    let summary = |file: &str| {
        run(common::load(file.as_ref()))
            .unwrap()
            .summary
            .checkpoints
            .expect("checkpoints")
    };
    let (incremental, full) = (
        summary("scenarios/incremental.yaml"),
        summary("scenarios/full-state.yaml"),
    );
    let mean_upload = |r: &CheckpointReport| {
        let done: Vec<u64> = r
            .checkpoints
            .iter()
            .filter(|c| c.status == "COMPLETED")
            .map(|c| c.checkpointed_size)
            .collect();
        done.iter().sum::<u64>() / done.len() as u64
    };
    let (inc, ful) = (mean_upload(&incremental), mean_upload(&full));
    assert!(inc * 2 < ful, "incremental uploads {inc} B on average, full {ful} B");
    let (a, b) = (incremental.storage.peak_bytes, full.storage.peak_bytes);
    assert!(a * 2 > b && b * 2 > a, "peak storage: incremental {a} B, full {b} B");
}

/// RocksDB compacts its files: every few checkpoints one uploads the whole state
/// again (a compacted file), the others only what changed.
#[test]
fn compaction_makes_an_incremental_checkpoint_upload_the_whole_state() {
    let outcome = run(common::load("scenarios/incremental.yaml".as_ref())).unwrap();
    let report = outcome.summary.checkpoints.expect("checkpoints");
    let done: Vec<_> = report.checkpoints.iter().filter(|c| c.status == "COMPLETED").collect();
    let whole = done.iter().filter(|c| c.checkpointed_size == c.state_size).count();
    let partial = done.iter().filter(|c| c.checkpointed_size * 3 < c.state_size).count();
    assert!(
        whole >= 2 && partial >= 6,
        "{whole} whole, {partial} partial of {}",
        done.len()
    );
}
