//! Task-local recovery (`execution.state-recovery.from-local`): each subtask keeps a
//! copy of its keyed state on its TaskManager's local disk, and a restore of exactly
//! that checkpoint reads the copy instead of checkpoint storage.
//!
//! Flink sources the cases follow:
//! - `StateRecoveryOptions.LOCAL_RECOVERY` (flink-core): the key
//!   `execution.state-recovery.from-local`, deprecated key
//!   `state.backend.local-recovery`, default `false`; it covers keyed state only.
//! - `TaskStateManagerImpl.reportTaskStateSnapshots` stores the local state as the
//!   subtask acknowledges; `prioritizedOperatorState` restores from the local copy of
//!   `restoreCheckpointId` when the store has one, from the JobManager's (remote)
//!   state otherwise, and prunes every other copy.
//! - `TaskLocalStateStoreImpl.confirmCheckpoint` / `abortCheckpoint`: what stays.
//! - The store lives on the TaskManager (`taskmanager.state.local.root-dirs`): a task
//!   failure leaves it, the loss of the TaskManager takes it.

mod common;

use ckptsim::explore;
use ckptsim::fault::random_schedule;
use ckptsim::scenario::{self, Scenario};
use ckptsim::stats::faults::{RecoveryRecord, RestoredFrom};
use std::process::Command;

const CONNECTION_LOSS: &str = "{at: 7s, kind: connection-loss, between: [0, 1]}";
const TASKMANAGER_1_CRASH: &str = "{at: 7s, kind: taskmanager-crash, taskmanager: 1, restart-after: 500ms}";
const KEY: &str = "execution.state-recovery.from-local";

/// 1,000 keys of 64 KiB (62.5 MiB, every key seen after 1 s) in `aggregates`
/// aggregate subtasks; source and sink subtasks on both TaskManagers (one slot each);
/// one checkpoint at 2 s, uploaded by 6.1 s, so that the failure at 7 s meets idle
/// storage. Storage: 20 ms round trip, 64 MiB/s over 4 requests = 16 MiB/s each;
/// local disks read at the default 500 MiB/s. `config` is added under `config:`.
fn scenario_text(aggregates: u32, config: &str, fault: &str) -> String {
    format!(
        "name: local-recovery-test
seed: 1
duration: 10s
config:
  taskmanager.numberOfTaskSlots: 1
  restart-strategy.type: fixed-delay
  restart-strategy.fixed-delay.attempts: 1
  restart-strategy.fixed-delay.delay: 1s
{config}
checkpointing:
  triggers:
    - {{at: 2s, kind: checkpoint}}
cluster:
  taskmanagers: 2
  checkpoint-storage:
    latency: 20ms
    bandwidth: 64mb/s
    max-concurrent-requests: 4
job:
  operators:
    - {{name: source, kind: source, parallelism: 2, partitions: 2, rate: 1000, state-per-partition: 1kb, keys: {{distribution: sequence, count: 1000}}}}
    - {{name: aggregate, kind: aggregate, parallelism: {aggregates}, state-per-key: 64kb}}
    - {{name: sink, kind: sink, parallelism: 2}}
  edges:
    - {{from: source, to: aggregate}}
    - {{from: aggregate, to: sink}}
faults: [{fault}]
"
    )
}

fn on() -> String {
    format!("  {KEY}: true")
}

fn build(aggregates: u32, config: &str, fault: &str) -> Scenario {
    common::parse(&scenario_text(aggregates, config, fault))
}

/// The one recovery of a run that must hold exactly-once.
fn only_recovery(outcome: &ckptsim::run::Outcome) -> RecoveryRecord {
    assert_eq!(outcome.summary.recoveries.len(), 1, "{:?}", outcome.summary.recoveries);
    outcome.summary.recoveries[0].clone()
}

/// The simulator's subtask index of `aggregate[index]`.
fn aggregate_subtask(outcome: &ckptsim::run::Outcome, index: u32) -> usize {
    let op = outcome
        .world
        .scenario
        .operators
        .iter()
        .position(|o| o.name == "aggregate")
        .unwrap();
    outcome
        .world
        .subtasks
        .iter()
        .position(|s| s.op == op && s.index == index)
        .unwrap()
}

// (a) A task failure (a lost connection; both TaskManagers survive): the one
// aggregate subtask (on TaskManager 0) restores checkpoint 1 from its local copy.
// TaskStateManagerImpl.prioritizedOperatorState prefers the local alternative.
// Off: 1 s restart delay + 200 ms deployment + 20 ms + 65,536,000 B at 16 MiB/s
// (3.90625 s) = 5.12625 s. On: 1.2 s + 65,536,000 B at 500 MiB/s (0.125 s); the
// operator state (2 partitions × 1 KiB, two sinks' 128 B of transaction handles)
// still comes from storage, in 20 ms: 1.325 s.
#[test]
fn a_task_failure_restores_the_keyed_state_from_the_local_disk() {
    let off = common::run_held(build(1, "", CONNECTION_LOSS));
    let on = common::run_held(build(1, &on(), CONNECTION_LOSS));
    let (off_r, on_r) = (only_recovery(&off), only_recovery(&on));
    assert_eq!(
        (off_r.restored_checkpoint, on_r.restored_checkpoint),
        (Some(1), Some(1))
    );
    assert_eq!(off_r.recovery_time_ns(), Some(5_126_250_000));
    assert_eq!(on_r.recovery_time_ns(), Some(1_325_000_000));
    assert_eq!(off_r.restored_from, None);
    assert_eq!(
        on_r.restored_from,
        Some(RestoredFrom {
            local_bytes: 1000 * 65_536,
            remote_bytes: 2 * 1024 + 2 * 128,
            local_subtasks: 1,
            remote_subtasks: 0,
        })
    );
    // The same records are read again: only the time differs.
    assert_eq!(off_r.reprocessed_records, on_r.reprocessed_records);
    assert_eq!(off.summary.sink_records, on.summary.sink_records);
    // The copy stays on TaskManager 0's disk, the only one kept there.
    let st = aggregate_subtask(&on, 0);
    let local = on.world.ckpt.as_ref().unwrap().local.as_ref().unwrap();
    assert_eq!(local[st].checkpoints(), vec![1]);
    assert_eq!(on.world.taskmanagers[0].disk.used, 65_536_000);
    assert_eq!(on.world.taskmanagers[1].disk.used, 0);
}

// (b) TaskManager 1 crashes: aggregate[1]'s copy went with its disk, so it reads its
// 490 keys (32,112,640 B) from storage; aggregate[0], on the surviving TaskManager 0,
// reads its 510 keys (33,423,360 B; Flink's key groups split keys 0..999 so) from its
// copy. Off: 1.22 s + 33,423,360 B at 16 MiB/s = 3.2121875 s. On: the slower is now
// aggregate[1]'s remote read, 1.22 s + 1.9140625 s = 3.1340625 s.
#[test]
fn a_lost_taskmanager_falls_back_to_storage_for_its_own_subtasks_only() {
    let off = common::run_held(build(2, "", TASKMANAGER_1_CRASH));
    let on = common::run_held(build(2, &on(), TASKMANAGER_1_CRASH));
    let (off_r, on_r) = (only_recovery(&off), only_recovery(&on));
    assert_eq!(off_r.recovery_time_ns(), Some(3_212_187_500));
    assert_eq!(on_r.recovery_time_ns(), Some(3_134_062_500));
    assert_eq!(
        on_r.restored_from,
        Some(RestoredFrom {
            local_bytes: 510 * 65_536,
            remote_bytes: 490 * 65_536 + 2 * 1024 + 2 * 128,
            local_subtasks: 1,
            remote_subtasks: 1,
        })
    );
    let local = on.world.ckpt.as_ref().unwrap().local.as_ref().unwrap();
    assert_eq!(local[aggregate_subtask(&on, 0)].checkpoints(), vec![1]);
    assert!(local[aggregate_subtask(&on, 1)].checkpoints().is_empty());
    assert_eq!(on.world.taskmanagers[0].disk.used, 510 * 65_536);
    assert_eq!(on.world.taskmanagers[1].disk.used, 0);
}

// Flink's snapshot strategies write the local (secondary) stream only for
// checkpoints, never savepoints (`isLocalRecoveryEnabled() && !isSavepoint()` in
// the heap and RocksDB full snapshot strategies): a savepoint leaves no copy and
// takes no disk. An incremental RocksDB checkpoint's copy is its live SST files,
// which here hold the 1,000 keys × 64 KiB the full snapshot holds too.
#[test]
fn a_savepoint_leaves_no_copy_and_an_incremental_copy_is_its_files() {
    let savepoint = scenario_text(1, &on(), "").replace("kind: checkpoint}", "kind: savepoint}");
    let outcome = common::run_held(common::parse(&savepoint));
    assert_eq!(
        outcome.summary.checkpoints.as_ref().unwrap().completed,
        1,
        "the savepoint completed"
    );
    let local = outcome.world.ckpt.as_ref().unwrap().local.as_ref().unwrap();
    assert!(local.iter().all(|store| store.checkpoints().is_empty()));
    assert_eq!(outcome.world.taskmanagers[0].disk.used, 0);

    let incremental = format!(
        "{}\n  state.backend.type: rocksdb\n  execution.checkpointing.incremental: true",
        on()
    );
    let outcome = common::run_held(build(1, &incremental, CONNECTION_LOSS));
    let from = only_recovery(&outcome).restored_from.unwrap();
    assert_eq!((from.local_bytes, from.local_subtasks), (1000 * 65_536, 1));
}

// (c) Off is Flink's default and changes nothing: the key absent, `false`, or the
// deprecated `state.backend.local-recovery: false` give the same run; the
// deprecated key `true` is the new key `true`; without a restore, keeping copies
// changes no event (the digest is the same on and off).
#[test]
fn off_is_the_default_and_the_deprecated_key_is_the_same_option() {
    let digest = |config: &str, fault: &str| common::run_held(build(1, config, fault)).summary.trace_digest;
    let absent = digest("", CONNECTION_LOSS);
    assert_eq!(digest(&format!("  {KEY}: false"), CONNECTION_LOSS), absent);
    assert_eq!(digest("  state.backend.local-recovery: false", CONNECTION_LOSS), absent);
    let on_digest = digest(&on(), CONNECTION_LOSS);
    assert_ne!(on_digest, absent, "the restore is faster: the run differs");
    assert_eq!(
        digest("  state.backend.local-recovery: true", CONNECTION_LOSS),
        on_digest
    );
    assert_eq!(digest(&on(), ""), digest("", ""));
    assert!(!build(1, "", "").checkpointing.local_recovery);
}

// (c) The shipped faults scenario restores twice with local recovery off: its digest
// is the one it had before local recovery existed.
#[test]
fn off_leaves_the_shipped_faults_scenario_as_it_was() {
    let outcome = common::run_held(common::load("scenarios/faults.yaml".as_ref()));
    assert_eq!(outcome.summary.recoveries.len(), 2);
    assert!(outcome.summary.recoveries.iter().all(|r| r.restored_from.is_none()));
    assert_eq!(outcome.summary.trace_digest, "bacec570c5760932");
}

#[test]
fn a_value_that_is_not_a_boolean_is_refused_by_name() {
    let text = scenario_text(1, &format!("  {KEY}: sometimes"), "");
    let e = scenario::parse_str(&text, "t.yaml").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("t.yaml", 9), "{e}");
    assert!(e.to_string().contains(KEY), "{e}");
    let both = scenario_text(1, &format!("  {KEY}: true\n  state.backend.local-recovery: true"), "");
    let e = scenario::parse_str(&both, "t.yaml").unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
    // The command line exits 2 on it.
    let dir = common::tmp_dir("local-recovery-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.yaml");
    std::fs::write(&path, &text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:9"));
}

// The shipped scenario shows both cases: at 30 s a lost connection restores all four
// aggregate subtasks locally (2.167 s against 9.012 s with the option off); at 70 s
// TaskManager 1's crash sends its two to storage while TaskManager 0's two read
// locally.
#[test]
fn the_shipped_scenario_restores_locally_then_half_remotely() {
    let on = common::run_held(common::load("scenarios/local-recovery.yaml".as_ref()));
    let mut off_scenario = common::load("scenarios/local-recovery.yaml".as_ref());
    off_scenario.checkpointing.local_recovery = false;
    let off = common::run_held(off_scenario);
    let from: Vec<(u32, u32)> = on
        .summary
        .recoveries
        .iter()
        .map(|r| r.restored_from.map(|f| (f.local_subtasks, f.remote_subtasks)).unwrap())
        .collect();
    assert_eq!(from, vec![(4, 0), (2, 2)]);
    let time = |o: &ckptsim::run::Outcome| o.summary.recoveries[0].recovery_time_ns().unwrap();
    assert_eq!((time(&on), time(&off)), (2_166_816_407, 9_012_500_000));
}

/// Quickstart's job under random faults, with local recovery, full or incremental.
fn explored(incremental: bool) -> Scenario {
    let mut s = common::load("scenarios/faults.yaml".as_ref());
    s.checkpointing.local_recovery = true;
    if incremental {
        s.checkpointing.backend = ckptsim::scenario::checkpointing::StateBackend::RocksDb { incremental: true };
    }
    s
}

// (d) Exactly-once holds with local recovery under random fault schedules (task
// failures, TaskManager and JobManager crashes, full and slow disks, storage
// outages): a local restore changes when the state is back, never what it is. The
// test also asserts that the seeds really restored from local copies, and really
// fell back to storage, so that it cannot pass with the feature doing nothing.
#[test]
fn exactly_once_holds_with_local_recovery_under_random_faults() {
    for incremental in [false, true] {
        let scenario = explored(incremental);
        let report = explore::explore(&scenario, 0..200, 2);
        assert!(
            report.violations.is_empty(),
            "incremental {incremental}: {:?}",
            report.violations
        );
        let (mut local, mut fallback) = (0, 0);
        for r in report.results.iter().filter(|r| r.recoveries > 0).take(40) {
            let run =
                ckptsim::run::run(explore::seeded(&scenario, r.seed, random_schedule(&scenario, r.seed))).unwrap();
            for from in run.summary.recoveries.iter().filter_map(|x| x.restored_from) {
                local += u32::from(from.local_subtasks > 0);
                fallback += u32::from(from.remote_subtasks > 0);
            }
        }
        assert!(
            local > 0 && fallback > 0,
            "incremental {incremental}: {local} local, {fallback} fallback"
        );
    }
}

/// The report sums up what the restores read from local disks and from storage, in
/// the page and in `summary.md`, from the same recoveries the run printed.
#[test]
fn the_report_says_where_the_restores_read_from() {
    use ckptsim::report::{RunRecord, render_run};
    let outcome = common::run_held(common::load("scenarios/local-recovery.yaml".as_ref()));
    let line = ckptsim::report::analysis::local_recovery_line(&outcome.summary.recoveries).unwrap();
    assert!(
        line.starts_with("2 restore(s): 1.1 GiB read from local disks, 387.2 MiB from checkpoint storage"),
        "{line}"
    );
    let files = render_run(&RunRecord::new(&outcome)).unwrap();
    let text = |name: &str| {
        let (_, bytes) = files.iter().find(|(p, _)| p.as_os_str() == name).unwrap();
        String::from_utf8_lossy(bytes).into_owned()
    };
    assert!(text("summary.md").contains(&format!("| task-local recovery | {line} |")));
    assert!(text("index.html").contains(&format!("<td>task-local recovery</td><td>{line}</td>")));
}
