//! The changelog state backend (`state.changelog.enabled`, FLIP-158).
//!
//! Flink sources the cases follow:
//! - `StateChangelogOptions` (flink-core): `state.changelog.enabled` (default `false`),
//!   `state.changelog.periodic-materialize.enabled` (`true`),
//!   `state.changelog.periodic-materialize.interval` (10 min),
//!   `state.changelog.max-failures-allowed` (3), `state.changelog.storage` (`memory`;
//!   `filesystem` is the DSTL on a file system), each with a deprecated
//!   `state.backend.changelog.*` key.
//! - `ChangelogKeyedStateBackend.snapshot` / `buildSnapshotResult`: a checkpoint uploads
//!   the changelog not stored yet and reports it as its persisted size
//!   (`persistedSizeOfThisCheckpoint` = the delta's checkpointed size); the handle
//!   refers to the materialized snapshot and every changelog handle since, whose sum is
//!   its state size.
//! - `ChangelogKeyedStateBackend.savepoint` delegates to the underlying backend: a
//!   savepoint is the backend's own full snapshot.
//! - `PeriodicMaterializationManager`: the first materialization an interval plus a
//!   hashed delay below it after start, each next one an interval after the previous;
//!   skipped when nothing changed; after more than `max-failures-allowed` failed
//!   materializations in a row the task fails.
//! - `ChangelogBackendRestoreOperation`: a restore reads the materialized state and
//!   applies every change of the changelog since it again.

mod common;

use ckptsim::explore;
use ckptsim::stats::checkpoint::CheckpointSummary;
use std::process::Command;

/// One source (1,000 records/s over 10 keys), one aggregate keeping 100 bytes per key
/// (1,000 bytes of keyed state once every key is seen), one sink; a checkpoint every
/// second. `config` goes under `config:`, `extra` at the top level.
fn scenario(config: &str, extra: &str) -> String {
    format!(
        "name: changelog-test
seed: 3
duration: 8s
config:
  taskmanager.numberOfTaskSlots: 3
  execution.checkpointing.interval: 1s
  state.changelog.enabled: true
{config}
cluster:
  taskmanagers: 1
  checkpoint-storage: {{latency: 10ms, bandwidth: 10mb/s}}
job:
  operators:
    - {{name: source, kind: source, parallelism: 1, partitions: 1, rate: 1000, keys: {{distribution: uniform, count: 10}}}}
    - {{name: aggregate, kind: aggregate, parallelism: 1, state-per-key: 100b}}
    - {{name: sink, kind: sink, parallelism: 1}}
  edges:
    - {{from: source, to: aggregate}}
    - {{from: aggregate, to: sink}}
{extra}
"
    )
}

/// The aggregate's (state size, checkpointed size) per completed checkpoint, in id order.
fn aggregate_sizes(outcome: &ckptsim::run::Outcome) -> Vec<(u64, u64, u64)> {
    let report = outcome.summary.checkpoints.as_ref().unwrap();
    let completed: Vec<&CheckpointSummary> = report.checkpoints.iter().filter(|c| c.status == "COMPLETED").collect();
    completed
        .iter()
        .map(|c| {
            let part = report
                .subtasks
                .iter()
                .find(|b| b.checkpoint_id == c.id && b.operator == 1)
                .unwrap();
            (c.id, part.state_size, part.checkpointed_size)
        })
        .collect()
}

// Without materialization (`periodic-materialize.enabled: false`) the changelog is
// never truncated: every checkpoint uploads only the changes since the one before
// (about 1,000 changes of 100 bytes a second), and its state size is every change
// so far, the sum of every upload. The hashmap backend without the changelog
// uploads its 1,000 bytes of state every time.
#[test]
fn a_checkpoint_uploads_the_changes_since_the_previous_one() {
    let outcome = common::run_held(common::parse(&scenario(
        "  state.changelog.periodic-materialize.enabled: false\n  state.changelog.storage: filesystem",
        "",
    )));
    let sizes = aggregate_sizes(&outcome);
    assert!(sizes.len() >= 6, "{sizes:?}");
    let mut total = 0;
    for (i, &(id, state, checkpointed)) in sizes.iter().enumerate() {
        total += checkpointed;
        assert_eq!(state, total, "checkpoint {id}: state is every change so far");
        assert_eq!(checkpointed % 100, 0, "whole changes of 100 bytes");
        if i > 0 {
            assert!(
                (90_000..=110_000).contains(&checkpointed),
                "checkpoint {id}: about one second of changes, got {checkpointed}"
            );
        }
    }
    let c = outcome.summary.changelog.unwrap();
    assert_eq!(c.materializations, 0);
    assert_eq!((c.materialized_bytes, c.changelog_bytes), (0, total));

    let hashmap = common::run_held(common::parse(
        &scenario("", "").replace("  state.changelog.enabled: true\n", ""),
    ));
    assert!(hashmap.summary.changelog.is_none());
    for (id, state, checkpointed) in aggregate_sizes(&hashmap) {
        assert_eq!((state, checkpointed), (1_000, 1_000), "checkpoint {id}");
    }
}

// A materialization every 2 s makes the changelog before it unnecessary: the first
// checkpoint after it reports a state of the materialized 1,000 bytes plus the
// changes since, far below the one before it; the truncated changelog files leave
// checkpoint storage once no retained checkpoint refers to them.
#[test]
fn materialization_truncates_the_changelog() {
    let outcome = common::run_held(common::parse(&scenario(
        "  state.changelog.periodic-materialize.interval: 2s\n  state.changelog.storage: filesystem",
        "",
    )));
    let sizes = aggregate_sizes(&outcome);
    let drop = sizes
        .windows(2)
        .find(|w| w[1].1 < w[0].1)
        .unwrap_or_else(|| panic!("no checkpoint after a materialization: {sizes:?}"));
    let (_, state, checkpointed) = drop[1];
    assert!(state >= 1_000 + checkpointed, "{drop:?}");
    assert!(state < drop[0].1 / 2, "{drop:?}");
    let c = outcome.summary.changelog.unwrap();
    assert!(c.materializations >= 2, "{c:?}");
    assert_eq!(c.materialized_bytes, 1_000);
    // Storage never held the whole changelog of the run.
    let storage = &outcome.summary.checkpoints.as_ref().unwrap().storage;
    let everything: u64 = sizes.iter().map(|s| s.2).sum();
    assert!(storage.peak_bytes < everything, "{storage:?} against {everything}");
    assert_eq!(
        (storage.bytes_at_end, storage.files_at_end),
        (0, 0),
        "a finished job keeps nothing"
    );
}

// A restore applies the changelog since the materialization again: with the
// changelog never truncated, the recovery takes exactly (changes in the restored
// checkpoint) × `changelog-apply-per-change` longer than with applying for free.
#[test]
fn a_restore_applies_the_changelog_since_the_materialization_again() {
    let run = |apply: &str| {
        common::run_held(common::parse(&scenario(
            "  state.changelog.periodic-materialize.enabled: false\n  state.changelog.storage: filesystem",
            &format!(
                "checkpointing: {{changelog-apply-per-change: {apply}}}\nfaults: [{{at: 5500ms, kind: taskmanager-crash, taskmanager: 0, restart-after: 500ms}}]"
            ),
        )))
    };
    let (free, costly) = (run("0ns"), run("10us"));
    let (a, b) = (&free.summary.recoveries[0], &costly.summary.recoveries[0]);
    assert_eq!(a.restored_checkpoint, b.restored_checkpoint);
    let restored = a.restored_checkpoint.unwrap();
    let (_, state, _) = aggregate_sizes(&free).into_iter().find(|s| s.0 == restored).unwrap();
    let changes = state / 100;
    assert!(changes > 3_000, "{changes}");
    assert_eq!(
        b.recovery_time_ns().unwrap() - a.recovery_time_ns().unwrap(),
        changes * 10_000
    );
}

// `state.changelog.storage: memory` (Flink's default) keeps the changes inline with
// the checkpoint's metadata: checkpoint storage holds no changelog files, only the
// metadata and the operator state, while the checkpoints report the same kind of
// sizes.
#[test]
fn the_memory_changelog_storage_writes_no_changelog_files() {
    let memory = common::run_held(common::parse(&scenario("", "")));
    let filesystem = common::run_held(common::parse(&scenario("  state.changelog.storage: filesystem", "")));
    let peak = |o: &ckptsim::run::Outcome| o.summary.checkpoints.as_ref().unwrap().storage.peak_bytes;
    assert!(peak(&memory) < 20_000, "{}", peak(&memory));
    assert!(peak(&filesystem) > 100_000, "{}", peak(&filesystem));
    for (id, state, checkpointed) in aggregate_sizes(&memory).into_iter().skip(1) {
        assert!(checkpointed >= 90_000 && state >= checkpointed, "checkpoint {id}");
    }
}

// A savepoint is the underlying backend's own: it uploads the whole state (1,000
// bytes), not the changelog.
#[test]
fn a_savepoint_is_the_underlying_backends_full_snapshot() {
    let text = scenario(
        "  state.changelog.storage: filesystem",
        "checkpointing:\n  triggers:\n    - {at: 3500ms, kind: savepoint}",
    )
    .replace("  execution.checkpointing.interval: 1s\n", "");
    let outcome = common::run_held(common::parse(&text));
    assert_eq!(
        aggregate_sizes(&outcome).iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(),
        vec![(1_000, 1_000)]
    );
}

// Materializations that cannot be uploaded (checkpoint storage down for 2.2 s, its
// failed checkpoints tolerated) are counted; more than `max-failures-allowed` in a
// row fail the task, which restarts.
#[test]
fn too_many_failed_materializations_fail_the_task() {
    let run = |allowed: u32| {
        common::run_held(common::parse(&scenario(
            &format!(
                "  execution.checkpointing.tolerable-failed-checkpoints: 100\n  state.changelog.periodic-materialize.interval: 500ms\n  state.changelog.max-failures-allowed: {allowed}"
            ),
            "faults: [{at: 2s, kind: storage-outage, duration: 2200ms}]",
        )))
    };
    let tolerant = run(10);
    assert!(tolerant.summary.changelog.unwrap().failed_materializations >= 2);
    assert!(
        tolerant
            .summary
            .recoveries
            .iter()
            .all(|r| !r.cause.contains("materialization")),
        "{:?}",
        tolerant.summary.recoveries
    );
    let strict = run(1);
    assert!(
        strict
            .summary
            .recoveries
            .iter()
            .any(|r| r.cause.contains("materialization")),
        "{:?}",
        strict.summary.recoveries
    );
}

fn validate(text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("ckptsim-changelog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// Changelog keys without `state.changelog.enabled`, an unknown storage and a zero
// interval are bad input: exit 2, naming the key.
#[test]
fn bad_changelog_settings_are_named() {
    let off = scenario("  state.changelog.storage: filesystem", "").replace("  state.changelog.enabled: true\n", "");
    let (code, err) = validate(&off);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("state.changelog.storage") && err.contains("state.changelog.enabled"),
        "{err}"
    );
    let (code, err) = validate(&scenario("  state.changelog.storage: s3", ""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("state.changelog.storage"), "{err}");
    let (code, err) = validate(&scenario("  state.backend.type: forst", ""));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("state.changelog.enabled") && err.contains("forst"),
        "{err}"
    );
    let (code, err) = validate(&scenario("  state.changelog.periodic-materialize.interval: 0ms", ""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("periodic-materialize.interval"), "{err}");
}

// Exactly-once holds with the changelog under random fault schedules: the changelog
// changes what a restore reads and how long it takes, never what it restores.
#[test]
fn exactly_once_holds_with_the_changelog_under_random_faults() {
    let mut scenario = common::load("scenarios/changelog.yaml".as_ref());
    // Shorter, materializing more often: several materializations per seed.
    scenario.duration_ns = 12_000_000_000;
    if let Some(c) = scenario.checkpointing.changelog.as_mut() {
        c.materialize_interval_ns = Some(2_000_000_000);
    }
    let report = explore::explore(&scenario, 0..40, 2);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert!(report.results.iter().filter(|r| r.recoveries > 0).count() > 10);
}

// Flink's `GET /jobs/:jobid/checkpoints/config` shows the changelog as configured:
// enabled, the materialization interval in milliseconds, the storage's name; off,
// Flink's defaults (false, 600000, `memory`).
#[test]
fn the_configuration_export_shows_the_changelog() {
    use ckptsim::report::flink_rest::config;
    use ckptsim::report::record::ScenarioFacts;
    let export = |text: &str| {
        let scenario = common::parse(text);
        let value = serde_json::to_value(&scenario).unwrap();
        let c = config(&ScenarioFacts::from_value(&value));
        (
            c.state_changelog_enabled,
            c.changelog_periodic_materialization_interval,
            c.changelog_storage,
        )
    };
    assert_eq!(
        export(&scenario(
            "  state.changelog.periodic-materialize.interval: 2s\n  state.changelog.storage: filesystem",
            ""
        )),
        (true, 2_000, "filesystem".to_string())
    );
    assert_eq!(
        export(&scenario("", "").replace("  state.changelog.enabled: true\n", "")),
        (false, 600_000, "memory".to_string())
    );
}

// A job started again from a savepoint (the backend's own full snapshot, without a
// changelog) builds on it as on a materialization: the first checkpoint after the
// start reports the savepoint's 1,000 bytes of keyed state plus the changes since, and
// uploads only those changes, as Flink's `ChangelogKeyedStateBackend` restores
// non-changelog handles as its materialized state.
#[test]
fn a_start_from_a_savepoint_builds_on_it() {
    let outcome = common::run_held(common::parse(&scenario(
        "  state.changelog.periodic-materialize.enabled: false\n  state.changelog.storage: filesystem",
        "stop: {at: 3500ms, kind: stop-with-savepoint}\nresume: {after: 300ms, from: savepoint}",
    )));
    let savepoint = outcome.summary.stop.as_ref().unwrap().savepoint.unwrap();
    let sizes = aggregate_sizes(&outcome);
    assert!(sizes.contains(&(savepoint, 1_000, 1_000)), "{sizes:?}");
    let after: Vec<_> = sizes.iter().filter(|s| s.0 > savepoint).collect();
    assert!(after.len() >= 3, "{sizes:?}");
    let mut since = 0;
    for &&(id, state, checkpointed) in &after {
        since += checkpointed;
        assert_eq!(state, 1_000 + since, "checkpoint {id}");
    }
}

// A job cancelled with its latest checkpoint retained and started again from it in
// CLAIM mode: the new job's backends hold the changelog and materialization they
// restored, and let go of them at its own end, so that a finished job leaves nothing
// in checkpoint storage (its checkpoints, and the claimed one, are gone).
#[test]
fn a_claimed_restart_lets_go_of_the_changelog_at_its_end() {
    let outcome = common::run_held(common::parse(&scenario(
        "  state.changelog.periodic-materialize.interval: 2s\n  state.changelog.storage: filesystem\n  execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION\n  execution.state-recovery.claim-mode: CLAIM",
        "stop: {at: 4500ms, kind: cancel}\nresume: {after: 300ms, from: latest-checkpoint}",
    )));
    let storage = &outcome.summary.checkpoints.as_ref().unwrap().storage;
    assert_eq!((storage.bytes_at_end, storage.files_at_end), (0, 0), "{storage:?}");
    let c = outcome.summary.changelog.unwrap();
    assert!(c.materializations >= 1, "{c:?}");
}
