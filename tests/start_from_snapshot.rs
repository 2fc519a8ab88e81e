//! Starting a job from a savepoint or a retained checkpoint (`resume:`), in Flink's
//! claim modes (`execution.state-recovery.claim-mode`).
//!
//! Flink's behaviour, and where it comes from:
//! - `RecoveryClaimMode` (flink-core `org.apache.flink.core.execution`): `CLAIM` — "Flink
//!   will take ownership of the given snapshot. It will clean the snapshot once it is
//!   subsumed by newer ones"; `NO_CLAIM` — "Flink will not claim ownership of the
//!   snapshot files ... Flink will take the first checkpoint as a full one"; `LEGACY`
//!   (deprecated in 1.19 by FLINK-34190, still in 2.0: FLINK-37021 was backported to
//!   release-2.0) — not owned, never deleted, its files may be reused. `DEFAULT =
//!   NO_CLAIM`, and `StateRecoveryOptions.RESTORE_MODE` is the key
//!   `execution.state-recovery.claim-mode` (deprecated key
//!   `execution.savepoint-restore-mode`).
//! - `CheckpointCoordinator.restoreSavepoint`: the snapshot is added to the completed
//!   checkpoint store (so the job restores it, and falls back to it after a failure
//!   before its first checkpoint), and "Reset the checkpoint ID counter":
//!   `checkpointIdCounter.setCount(savepoint.getCheckpointID() + 1)`.
//! - FLINK-25155 ("Implement claim snapshot mode"): under `NO_CLAIM` the restored
//!   snapshot gets `CheckpointProperties.forSavepoint(false)`, which never discards it
//!   when it is subsumed; under `CLAIM` it takes the job's checkpoint properties and is
//!   discarded when subsumed.
//! - Docs, "Savepoints → Restore mode" and "Checkpoints → Retained checkpoints": a
//!   cancelled job's checkpoint is there to start from only with
//!   `RETAIN_ON_CANCELLATION`; a savepoint is self-contained (canonical format).

mod common;

use ckptsim::model::World;
use ckptsim::protocol::coordinator::{
    CheckpointCoordinator, CoordinatorAction, CoordinatorConfig, DiscardCause, JobTermination, RecoveryClaimMode,
    SubtaskAck,
};
use ckptsim::protocol::types::{CheckpointId, SnapshotKind};
use ckptsim::run::{Outcome, run};
use ckptsim::scenario::{Scenario, ScenarioError};

fn text(file: &str) -> String {
    std::fs::read_to_string(format!("scenarios/{file}")).unwrap()
}

fn with_mode(file: &str, mode: &str) -> Scenario {
    let text = text(file);
    let text = text
        .replace("claim-mode: CLAIM", &format!("claim-mode: {mode}"))
        .replace("claim-mode: NO_CLAIM", &format!("claim-mode: {mode}"));
    common::parse(&text)
}

/// Checkpoints (not savepoints) by id: (id, checkpointed size, state size).
fn checkpoints(outcome: &Outcome) -> Vec<(u64, u64, u64)> {
    let report = outcome.summary.checkpoints.as_ref().expect("checkpoints");
    report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED" && !c.is_savepoint)
        .map(|c| (c.id, c.checkpointed_size, c.state_size))
        .collect()
}

fn stored(world: &World) -> Vec<u64> {
    world
        .ckpt
        .as_ref()
        .expect("checkpointing")
        .files
        .checkpoints
        .keys()
        .copied()
        .collect()
}

/// The bytes the snapshot `id` keeps in checkpoint storage for its subtasks' state.
fn snapshot_state_bytes(world: &World, id: u64) -> u64 {
    let files = &world.ckpt.as_ref().unwrap().files;
    (0..world.subtasks.len())
        .filter_map(|st| files.restore_bytes(id, st))
        .sum()
}

fn error(text: &str) -> ScenarioError {
    match ckptsim::scenario::parse_str(text, "test.yaml") {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[test]
fn the_new_job_restores_the_savepoint_and_its_ids_continue_after_it() {
    let outcome = common::run_held(common::load("scenarios/resume-from-savepoint.yaml".as_ref()));
    let world = &outcome.world;
    let savepoint = world.stop.savepoint.expect("the stop's savepoint");
    assert_eq!(world.resume.snapshot, Some(savepoint));
    assert!(world.resume.is_savepoint);
    assert_eq!(
        world.resume.submitted_at_ns,
        Some(world.stop.ended_at_ns.unwrap() + 300_000_000)
    );
    let after: Vec<u64> = checkpoints(&outcome)
        .iter()
        .map(|c| c.0)
        .filter(|&id| id > savepoint)
        .collect();
    assert_eq!(
        after.first(),
        Some(&(savepoint + 1)),
        "ids continue after the savepoint: {after:?}"
    );
    let restore = outcome.summary.recoveries.last().expect("the restore");
    assert!(restore.resubmitted);
    assert_eq!(restore.restored_checkpoint, Some(savepoint));
    // The sources rewound to the savepoint's offsets and read on to the end: the
    // input read by both jobs is the whole input, plus what the first job read past
    // its savepoint and did not commit.
    assert!(restore.reprocessed_records > 0);
}

#[test]
fn output_is_exactly_once_across_the_two_jobs() {
    for file in ["resume-from-savepoint.yaml", "resume-claim.yaml"] {
        for mode in ["CLAIM", "NO_CLAIM", "LEGACY"] {
            let outcome = run(with_mode(file, mode)).unwrap();
            let v = &outcome.verdict;
            assert!(v.held, "{file} {mode}: {}", v.headline());
            assert_eq!(
                (v.duplicated_keys, v.missing_keys_after_job_failure),
                (0, 0),
                "{file} {mode}"
            );
            let committed: u64 = outcome.world.sink_outputs().iter().map(|(_, o)| o.records).sum();
            assert_eq!(committed, 15_000, "{file} {mode}: 5000 records/s for 3 s, each once");
        }
    }
}

/// NO_CLAIM + incremental RocksDB: the first checkpoint after the restore uploads the
/// full state (every live SST file, the restored ones included), and the retained
/// checkpoint is still in storage when the job has finished; later checkpoints are
/// incremental again.
#[test]
fn no_claim_makes_the_first_checkpoint_full_and_never_deletes_the_snapshot() {
    let outcome = common::run_held(with_mode("resume-claim.yaml", "NO_CLAIM"));
    let world = &outcome.world;
    let restored = world.resume.snapshot.expect("started from a checkpoint");
    let after: Vec<_> = checkpoints(&outcome).into_iter().filter(|c| c.0 > restored).collect();
    let (first, uploaded, _) = after[0];
    assert!(
        uploaded >= snapshot_state_bytes(world, restored),
        "checkpoint {first} uploads {uploaded} B, at least the restored {} B",
        snapshot_state_bytes(world, restored)
    );
    let (_, second, state) = after[1];
    assert!(second < state, "the next one is incremental: {second} B of {state} B");
    assert_eq!(
        stored(world),
        vec![restored],
        "the job finished; only the unclaimed snapshot stays"
    );
}

/// CLAIM: the first checkpoint refers to the claimed checkpoint's files and uploads
/// only what changed; the job owns the snapshot, so nothing of it is left at the end.
#[test]
fn claim_keeps_checkpoints_incremental_on_the_snapshots_files() {
    let claim = common::run_held(with_mode("resume-claim.yaml", "CLAIM"));
    let no_claim = common::run_held(with_mode("resume-claim.yaml", "NO_CLAIM"));
    let restored = claim.world.resume.snapshot.expect("started from a checkpoint");
    let first = |o: &Outcome| checkpoints(o).into_iter().find(|c| c.0 > restored).unwrap();
    let (id, claimed, state) = first(&claim);
    assert!(claimed < state, "checkpoint {id} uploads {claimed} B of {state} B");
    assert!(
        claimed < first(&no_claim).1,
        "CLAIM uploads less than NO_CLAIM's full first checkpoint"
    );
    assert_eq!(stored(&claim.world), Vec::<u64>::new());
}

/// A savepoint is self-contained: whatever the mode, a RocksDB restore from it builds
/// new files, so the first checkpoint after it uploads the full state.
#[test]
fn the_first_checkpoint_after_a_savepoint_is_full_in_every_mode() {
    for mode in ["CLAIM", "NO_CLAIM"] {
        let outcome = common::run_held(with_mode("resume-from-savepoint.yaml", mode));
        let world = &outcome.world;
        let savepoint = world.resume.snapshot.unwrap();
        let (id, uploaded, _) = checkpoints(&outcome).into_iter().find(|c| c.0 > savepoint).unwrap();
        let restored = snapshot_state_bytes(world, savepoint);
        if mode == "NO_CLAIM" {
            assert!(
                uploaded >= restored,
                "{mode}: checkpoint {id} uploads {uploaded} B of {restored} B"
            );
            assert_eq!(stored(world), vec![savepoint], "the savepoint stays the user's");
        } else {
            assert_eq!(
                stored(world),
                Vec::<u64>::new(),
                "{mode}: the claimed savepoint was deleted"
            );
        }
    }
}

fn coordinator(subtasks: usize) -> CheckpointCoordinator {
    let config = CoordinatorConfig {
        interval: Some(1_000),
        ..CoordinatorConfig::default()
    };
    CheckpointCoordinator::new(config, subtasks).unwrap()
}

/// Runs checkpoint `id` to completion with `subtasks` acknowledging; returns what the
/// coordinator asked for.
fn complete_next(c: &mut CheckpointCoordinator, now: u64, subtasks: usize) -> (CheckpointId, Vec<CoordinatorAction>) {
    c.trigger_checkpoint(now, SnapshotKind::Checkpoint);
    let id = std::iter::from_fn(|| c.poll_action())
        .find_map(|a| match a {
            CoordinatorAction::TriggerCheckpoint { barrier, .. } => Some(barrier.checkpoint_id),
            _ => None,
        })
        .expect("triggered");
    for st in 0..subtasks {
        c.acknowledge(now, id, st, SubtaskAck::default());
    }
    let _ = std::iter::from_fn(|| c.poll_action()).count();
    c.finalize_complete(now, id);
    (id, std::iter::from_fn(|| c.poll_action()).collect())
}

fn discarded(actions: &[CoordinatorAction]) -> Vec<(CheckpointId, DiscardCause)> {
    actions
        .iter()
        .filter_map(|a| match *a {
            CoordinatorAction::DiscardCheckpoint { checkpoint_id, cause } => Some((checkpoint_id, cause)),
            _ => None,
        })
        .collect()
}

/// `restoreSavepoint`: the snapshot is what the job restores, the id counter goes on at
/// the snapshot's id + 1, and under CLAIM the snapshot is discarded once subsumed,
/// under NO_CLAIM and LEGACY never (not when subsumed, not at the job's end).
#[test]
fn the_coordinator_owns_the_snapshot_only_when_claimed() {
    for (mode, deleted) in [
        (RecoveryClaimMode::Claim, vec![(7, DiscardCause::Subsumed)]),
        (RecoveryClaimMode::NoClaim, vec![]),
        (RecoveryClaimMode::Legacy, vec![]),
    ] {
        let mut c = coordinator(2);
        c.shutdown(0, JobTermination::Canceled);
        c.start_from_snapshot(7, mode);
        assert_eq!(c.next_checkpoint_id(), 8, "{mode:?}");
        assert_eq!(c.retained_checkpoints(), vec![7], "{mode:?}");
        assert_eq!(c.restore_latest_checkpoint(10), Some(7), "{mode:?}");
        c.set_tasks_running(10, true);
        let (id, actions) = complete_next(&mut c, 20, 2);
        assert_eq!(id, 8, "{mode:?}");
        assert_eq!(discarded(&actions), deleted, "{mode:?}");
        assert_eq!(c.retained_checkpoints(), vec![8], "{mode:?}");
    }
    // At the job's end an unowned snapshot still in the store is not deleted either.
    let mut c = coordinator(1);
    c.start_from_snapshot(3, RecoveryClaimMode::NoClaim);
    c.shutdown(0, JobTermination::Finished);
    assert!(discarded(&std::iter::from_fn(|| c.poll_action()).collect::<Vec<_>>()).is_empty());
}

/// Flink 2.x's default claim mode is NO_CLAIM (`RecoveryClaimMode.DEFAULT`).
#[test]
fn the_default_claim_mode_is_no_claim() {
    let text = text("resume-from-savepoint.yaml").replace("  execution.state-recovery.claim-mode: NO_CLAIM\n", "");
    let scenario = common::parse(&text);
    assert_eq!(scenario.resume.unwrap().claim_mode, RecoveryClaimMode::NoClaim);
    assert_eq!(RecoveryClaimMode::default(), RecoveryClaimMode::NoClaim);
}

/// A snapshot the stop is certain not to leave is refused up front, naming the field.
#[test]
fn starting_from_a_snapshot_the_stop_does_not_leave_is_an_error() {
    let cancel = text("resume-claim.yaml");
    let deleted = cancel.replace("RETAIN_ON_CANCELLATION", "DELETE_ON_CANCELLATION");
    let e = error(&deleted);
    assert_eq!(e.path.as_str(), "resume.from", "{e}");
    assert!(e.to_string().contains("DELETE_ON_CANCELLATION"), "{e}");
    let e = error(&cancel.replace("from: latest-checkpoint", "from: savepoint"));
    assert_eq!(e.path.as_str(), "resume.from", "{e}");
    let savepoint = text("resume-from-savepoint.yaml");
    let e = error(&savepoint.replace("from: savepoint", "from: latest-checkpoint"));
    assert_eq!(e.path.as_str(), "resume.from", "{e}");
    let e = error(&savepoint.replace("stop:\n  at: 1300ms\n  kind: stop-with-savepoint\n", ""));
    assert_eq!(e.path.as_str(), "resume", "{e}");
    let e = error(&savepoint.replace("claim-mode: NO_CLAIM", "claim-mode: SOMETIMES"));
    assert!(e.to_string().contains("claim-mode"), "{e}");
}

/// A cancel before any checkpoint completed leaves nothing to start from: the new job
/// is never submitted, the run says why, and the first job's verdict stands.
#[test]
fn a_cancel_before_the_first_checkpoint_leaves_nothing_to_start_from() {
    let text = text("resume-claim.yaml").replace("at: 1300ms", "at: 300ms");
    let outcome = run(common::parse(&text)).unwrap();
    let world = &outcome.world;
    assert_eq!(world.resume.snapshot, None);
    let failure = world.resume.failure.clone().expect("a failure");
    assert!(failure.contains("no checkpoint"), "{failure}");
    let resume = outcome.summary.stop.unwrap().resume.unwrap();
    assert_eq!(resume.failure, Some(failure));
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
}

/// The REST export reports the restore as Flink's `latest.restored` does.
#[test]
fn the_rest_export_shows_the_restored_savepoint() {
    let outcome = common::run_held(common::load("scenarios/resume-from-savepoint.yaml".as_ref()));
    let savepoint = outcome.world.resume.snapshot.unwrap();
    let record = ckptsim::report::RunRecord::new(&outcome);
    let export = ckptsim::report::flink_rest::export(&record);
    let restored = export.overview.latest.restored.expect("latest.restored");
    assert_eq!((restored.id, restored.is_savepoint), (savepoint, true));
    assert!(
        restored
            .external_path
            .unwrap()
            .contains(&format!("savepoint-{savepoint}"))
    );
    assert_eq!(export.overview.counts.restored, 1);
}

/// The oracle judges both jobs together: a new job whose sources do not rewind to the
/// snapshot's offsets loses what the first job read after it and never committed.
#[test]
fn the_oracle_catches_a_restart_that_does_not_rewind_the_sources() {
    let mut scenario = common::load("scenarios/resume-claim.yaml".as_ref());
    scenario.flaw = Some(ckptsim::fault::Flaw::SourcesNotRewound);
    let verdict = run(scenario).unwrap().verdict;
    assert!(!verdict.held && verdict.anomaly_count > 0, "{}", verdict.headline());
}

/// The report tells the new job's start apart from a failure: summary.md names the
/// snapshot and the mode, and Flink's `numRestarts` does not count it.
#[test]
fn the_report_names_the_start_and_counts_no_restart() {
    let outcome = common::run_held(common::load("scenarios/resume-from-savepoint.yaml".as_ref()));
    let record = ckptsim::report::RunRecord::new(&outcome);
    let files: std::collections::BTreeMap<String, Vec<u8>> = ckptsim::report::render_run(&record)
        .unwrap()
        .into_iter()
        .map(|(p, c)| (p.to_string_lossy().into_owned(), c))
        .collect();
    let read = |name: &str| String::from_utf8(files[name].clone()).unwrap();
    let summary = read("summary.md");
    assert!(
        summary.contains("| started again | the job was submitted again from savepoint 3 in NO_CLAIM mode at 1.61 s"),
        "{summary}"
    );
    assert!(!summary.contains("| recoveries |"), "{summary}");
    let restarts = read("metrics.prom")
        .lines()
        .find(|l| l.starts_with("flink_jobmanager_job_numRestarts{"))
        .map(|l| l.rsplit(' ').next().unwrap().to_string());
    assert_eq!(restarts.as_deref(), Some("0"));
}
