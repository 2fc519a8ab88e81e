//! Unaligned checkpoints in the exports, as Flink 2.3 reports them.
//!
//! What Flink does, seen in the real runs of /work/shared/flink-live (the same job
//! checkpointed aligned, `aligned-bp/`, and unaligned, `unaligned-bp/`): an unaligned
//! checkpoint's `state_size` and `checkpointed_size` include its persisted in-flight
//! data, at every level (subtask, task, checkpoint) — the unaligned run's state minus
//! its `persisted_data` is exactly the aligned run's 9,406,800 B — and its
//! `checkpoint_type` is `UNALIGNED_CHECKPOINT`, each subtask saying
//! `unaligned_checkpoint: true`. Flink's `PendingCheckpointStats.reportSubtaskStats`
//! adds each subtask's sizes and ORs its unaligned flag into the checkpoint's, so with
//! an aligned-checkpoint timeout a checkpoint that no subtask took unaligned stays a
//! `CHECKPOINT`.

use ckptsim::report::flink_rest::{CheckpointDetails, CheckpointStatistics, TaskDetails};
use ckptsim::report::{RunRecord, render_run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LIVE: &str = "/work/shared/flink-live";

fn live_dir(run: &str) -> Option<PathBuf> {
    let dir = Path::new(&std::env::var("CKPTSIM_FLINK_LIVE").unwrap_or_else(|_| LIVE.into())).join(run);
    if dir.join("checkpoints.json").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: no real Flink runs at {} (set CKPTSIM_FLINK_LIVE)",
            dir.display()
        );
        None
    }
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A real checkpoint's details and, by vertex, its subtasks' answers.
fn real_checkpoint(dir: &Path, id: u64) -> (CheckpointStatistics, Vec<TaskDetails>) {
    let details: CheckpointStatistics =
        serde_json::from_value(json(&dir.join(format!("checkpoint_{id}_details.json")))).unwrap();
    let tasks = details
        .tasks
        .keys()
        .map(|vertex| {
            let file = dir.join(format!("checkpoint_{id}_subtasks_{}.json", &vertex[..8]));
            serde_json::from_value(json(&file)).unwrap()
        })
        .collect();
    (details, tasks)
}

/// Sizes add up from subtasks to tasks to the checkpoint, as Flink adds them.
fn assert_sizes_add_up(details: &CheckpointStatistics, tasks: &[TaskDetails]) {
    let sum = |f: fn(&TaskDetails) -> u64| tasks.iter().map(f).sum::<u64>();
    assert_eq!(details.state_size, sum(|t| t.state_size), "checkpoint {}", details.id);
    assert_eq!(details.checkpointed_size, sum(|t| t.checkpointed_size));
    assert_eq!(details.persisted_data, sum(|t| t.persisted_data));
    for t in tasks {
        let acked = t.subtasks.iter().filter(|s| s.class_name == "completed");
        let (state, checkpointed, persisted) = acked.fold((0, 0, 0), |(a, b, c), s| {
            (
                a + s.state_size.unwrap(),
                b + s.checkpointed_size.unwrap(),
                c + s.alignment.as_ref().unwrap().persisted,
            )
        });
        assert_eq!(
            (t.state_size, t.checkpointed_size, t.persisted_data),
            (state, checkpointed, persisted)
        );
    }
}

#[test]
fn flink_counts_persisted_in_flight_data_in_the_sizes_of_an_unaligned_checkpoint() {
    let (Some(aligned), Some(unaligned)) = (live_dir("aligned-bp"), live_dir("unaligned-bp")) else {
        return;
    };
    const STATE: u64 = 9_406_800;
    for id in [15, 29] {
        let (details, tasks) = real_checkpoint(&aligned, id);
        assert_eq!(details.checkpoint_type, "CHECKPOINT");
        assert_eq!((details.state_size, details.persisted_data), (STATE, 0));
        assert!(
            tasks
                .iter()
                .flat_map(|t| &t.subtasks)
                .all(|s| s.unaligned_checkpoint == Some(false))
        );
        assert_sizes_add_up(&details, &tasks);
    }
    for id in [16, 31] {
        let (details, tasks) = real_checkpoint(&unaligned, id);
        assert_eq!(details.checkpoint_type, "UNALIGNED_CHECKPOINT");
        assert!(details.persisted_data > 0);
        assert_eq!(details.state_size - details.persisted_data, STATE);
        assert_eq!(details.checkpointed_size, details.state_size);
        for s in tasks.iter().flat_map(|t| &t.subtasks) {
            if s.state_size == Some(0) && s.end_to_end_duration == Some(0) {
                // Finished before the trigger: acknowledged at once, empty and aligned.
                assert_eq!(s.unaligned_checkpoint, Some(false));
                continue;
            }
            assert_eq!(s.unaligned_checkpoint, Some(true));
            assert!(s.state_size.unwrap() >= s.alignment.as_ref().unwrap().persisted);
        }
        assert_sizes_add_up(&details, &tasks);
    }
    let history = json(&unaligned.join("checkpoints.json"))["history"].clone();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["checkpoint_type"] == "UNALIGNED_CHECKPOINT")
    );
}

fn record_of(scenario: &str, change: impl FnOnce(&mut ckptsim::scenario::Scenario)) -> RunRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{scenario}.yaml"));
    let mut s = ckptsim::scenario::load_file(&path).unwrap();
    change(&mut s);
    RunRecord::new(&ckptsim::run::run(s).unwrap())
}

/// Every checkpoint's details and its tasks' answers, from a report's export.
fn exported(record: &RunRecord) -> Vec<(CheckpointStatistics, Vec<TaskDetails>)> {
    let files = render_run(record).unwrap();
    let (_, text) = files
        .iter()
        .find(|(name, _)| name.as_os_str() == "checkpoints-details.json")
        .unwrap();
    let all: BTreeMap<String, CheckpointDetails> = serde_json::from_slice(text).unwrap();
    all.into_values()
        .map(|c| (c.details, c.subtasks.into_values().collect()))
        .collect()
}

#[test]
fn an_unaligned_checkpoint_is_exported_with_its_in_flight_data_in_its_sizes() {
    let record = record_of("backpressure-unaligned", |_| {});
    let checkpoints = exported(&record);
    let completed: Vec<_> = checkpoints.iter().filter(|(c, _)| c.status == "COMPLETED").collect();
    assert!(completed.iter().any(|(c, _)| c.persisted_data > 0));
    for (details, tasks) in &completed {
        assert_eq!(
            details.checkpoint_type, "UNALIGNED_CHECKPOINT",
            "checkpoint {}",
            details.id
        );
        assert_sizes_add_up(details, tasks);
        for s in tasks.iter().flat_map(|t| &t.subtasks) {
            if s.state_size == Some(0) && s.end_to_end_duration == Some(0) {
                // Finished before the trigger: acknowledged at once, empty and aligned.
                assert_eq!(s.unaligned_checkpoint, Some(false));
                continue;
            }
            assert_eq!(s.unaligned_checkpoint, Some(true));
            let persisted = s.alignment.as_ref().unwrap().persisted;
            assert!(
                s.state_size.unwrap() >= persisted && s.checkpointed_size.unwrap() >= persisted,
                "checkpoint {} subtask {}: state {:?}, checkpointed {:?}, persisted {persisted}",
                details.id,
                s.index,
                s.state_size,
                s.checkpointed_size
            );
        }
    }
    // The run's own summary says the same as the export.
    let report = record.summary.checkpoints.as_ref().unwrap();
    for (details, _) in &completed {
        let c = report.checkpoints.iter().find(|c| c.id == details.id).unwrap();
        assert_eq!(
            (c.state_size, c.checkpointed_size),
            (details.state_size, details.checkpointed_size)
        );
    }
}

#[test]
fn a_checkpoint_no_subtask_took_unaligned_is_a_checkpoint() {
    // Unaligned after a timeout no barrier waits for: every checkpoint stays aligned.
    let record = record_of("quickstart", |s| {
        s.checkpointing.unaligned = true;
        s.checkpointing.aligned_checkpoint_timeout_ns = 10_000_000_000;
    });
    let checkpoints = exported(&record);
    assert!(!checkpoints.is_empty());
    for (details, tasks) in &checkpoints {
        assert_eq!(details.checkpoint_type, "CHECKPOINT", "checkpoint {}", details.id);
        assert_eq!(details.persisted_data, 0);
        let flags = tasks
            .iter()
            .flat_map(|t| &t.subtasks)
            .filter_map(|s| s.unaligned_checkpoint);
        assert!(flags.into_iter().all(|unaligned| !unaligned));
    }
    let overview: Value = serde_json::from_slice(
        &render_run(&record)
            .unwrap()
            .into_iter()
            .find(|(name, _)| name.as_os_str() == "checkpoints.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(
        overview["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["checkpoint_type"] == "CHECKPOINT")
    );
}
