//! The `forst` state backend (Flink 2.0's disaggregated state): its working state
//! files live in checkpoint storage, so a checkpoint uploads what its sync phase
//! flushed and refers to the rest, a restore opens the files in place, and a state
//! read that the local file cache misses waits for checkpoint storage.
//!
//! Flink sources the cases follow:
//! - Flink docs, "Disaggregated State Management" (docs/ops/state/disaggregated_state):
//!   "By default, ForSt stores the state in the checkpoint directory. In this case,
//!   ForSt could perform lightweight checkpoints and fast recovery"; the file cache on
//!   the local disk, limited by `state.backend.forst.cache.size-based-limit`;
//!   `state.backend.forst.executor.read-io-parallelism`, default 3.
//! - Flink docs, "State Backends", The ForStStateBackend: "It always performs
//!   asynchronous incremental snapshots" (so `execution.checkpointing.incremental`
//!   does not change it).
//! - `ForStOptions` (flink-statebackend-forst): `CACHE_SIZE_BASE_LIMIT` and
//!   `CACHE_RESERVED_SIZE` default to 0, and `ForStResourceContainer.prepareDirectories`
//!   configures the cache only when one of them is positive: no limit, no cache.
//! - FLIP-428 (fast checkpoint and restore for disaggregated state): files are reused
//!   by the checkpoint and by the restore instead of copied.
//! - Mei et al., "Disaggregated State Management in Apache Flink 2.0", PVLDB 18(12),
//!   2025: up to 94% shorter checkpoints and up to 49× faster recovery than Flink 1.20.

mod common;

use ckptsim::model::world::SubtaskBreakdown;
use ckptsim::run::Outcome;

/// 1,000 keys of 64 KiB (62.5 MiB, every key seen after 1 s: `sequence` keys at
/// 1,000 records/s) in 2 aggregate subtasks; one slot per TaskManager, source and
/// sink subtasks on both. Checkpoints at the `triggers` times. Storage: 20 ms round
/// trip, `bandwidth` over 4 requests. `config` goes under `config:`.
fn scenario_text(backend: &str, config: &str, triggers: &str, faults: &str, bandwidth: &str) -> String {
    format!(
        "name: forst-test
seed: 1
duration: 10s
config:
  taskmanager.numberOfTaskSlots: 1
  state.backend.type: {backend}
  execution.checkpointing.incremental: true
  restart-strategy.type: fixed-delay
  restart-strategy.fixed-delay.attempts: 1
  restart-strategy.fixed-delay.delay: 1s
{config}
checkpointing:
  triggers: [{triggers}]
cluster:
  taskmanagers: 2
  checkpoint-storage:
    latency: 20ms
    bandwidth: {bandwidth}
    max-concurrent-requests: 4
job:
  operators:
    - {{name: source, kind: source, parallelism: 2, partitions: 2, rate: 1000, keys: {{distribution: sequence, count: 1000}}}}
    - {{name: aggregate, kind: aggregate, parallelism: 2, state-per-key: 64kb}}
    - {{name: sink, kind: sink, parallelism: 2}}
  edges:
    - {{from: source, to: aggregate}}
    - {{from: aggregate, to: sink}}
faults: [{faults}]
"
    )
}

const KIB64: u64 = 64 * 1024;

/// Storage at 64 MiB/s (16 MiB/s a request).
const SLOW: &str = "64mb/s";
/// Storage at 1 GiB/s: a checkpoint's upload ends before the next half second.
const FAST: &str = "1gb/s";

fn run(backend: &str, config: &str, triggers: &str, faults: &str, bandwidth: &str) -> Outcome {
    common::run_held(common::parse(&scenario_text(
        backend, config, triggers, faults, bandwidth,
    )))
}

/// Per completed checkpoint, the aggregate's (state size, checkpointed size) summed
/// over its subtasks.
fn aggregate_sizes(outcome: &Outcome) -> Vec<(u64, u64)> {
    let report = outcome.summary.checkpoints.as_ref().expect("checkpoints");
    let mut ids: Vec<u64> = report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED")
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids.iter()
        .map(|&id| {
            let parts: Vec<&SubtaskBreakdown> = report
                .subtasks
                .iter()
                .filter(|b| b.checkpoint_id == id && b.operator == 1)
                .collect();
            (
                parts.iter().map(|b| b.state_size).sum(),
                parts.iter().map(|b| b.checkpointed_size).sum(),
            )
        })
        .collect()
}

/// Six checkpoints half a second apart from 2 s: each after the first finds the 500
/// keys of the last half second changed. ForSt's checkpointed size is that flushed
/// delta, 500 × 64 KiB, every time, and its state size all 1,000 keys. RocksDB
/// (incremental) uploads the same delta until its fifth live file compacts level 0
/// into one file of the whole state, which the fifth checkpoint uploads in full;
/// ForSt compacts in checkpoint storage and uploads nothing for it.
#[test]
fn a_checkpoint_uploads_the_flushed_delta_not_the_state() {
    let triggers = (0..6)
        .map(|i| format!("{{at: {}ms, kind: checkpoint}}", 2000 + 500 * i))
        .collect::<Vec<_>>()
        .join(", ");
    let forst = aggregate_sizes(&run("forst", "", &triggers, "", FAST));
    let rocksdb = aggregate_sizes(&run("rocksdb", "", &triggers, "", FAST));
    assert_eq!(forst.len(), 6, "{forst:?}");
    let state = 1000 * KIB64;
    let delta = 500 * KIB64;
    assert_eq!(forst[0], (state, state), "the first flush holds every key");
    for (i, &(state_size, checkpointed)) in forst.iter().enumerate().skip(1) {
        // The sources' cuts fall between records and buffers: a few keys either way.
        assert_eq!(state_size, state, "forst checkpoint {}", i + 1);
        assert_eq!(checkpointed % KIB64, 0, "whole entries");
        assert!(
            checkpointed.abs_diff(delta) <= 10 * KIB64,
            "forst checkpoint {}: {checkpointed}",
            i + 1
        );
    }
    assert_eq!(rocksdb[0], (state, state));
    for (i, &(_, checkpointed)) in rocksdb.iter().enumerate().take(4).skip(1) {
        assert!(
            checkpointed.abs_diff(delta) <= 10 * KIB64,
            "rocksdb checkpoint {}: {checkpointed}",
            i + 1
        );
    }
    assert_eq!(
        rocksdb[4],
        (state, state),
        "RocksDB's compacted file is uploaded in full"
    );
}

/// The live state files are in checkpoint storage while the job runs: after the
/// first checkpoint storage holds the whole state even though later checkpoints
/// upload only deltas, and at the job's end (no retained checkpoint) nothing.
#[test]
fn storage_holds_the_live_state_files() {
    let outcome = run(
        "forst",
        "",
        "{at: 2s, kind: checkpoint}, {at: 2500ms, kind: checkpoint}",
        "",
        FAST,
    );
    let state = 1000 * KIB64;
    let samples = &outcome.summary.samples;
    let after = samples
        .iter()
        .find(|s| s.time > 4_000_000_000)
        .expect("a sample after the checkpoints");
    assert!(after.storage_bytes >= state, "{} < {state}", after.storage_bytes);
    let storage = &outcome.summary.checkpoints.as_ref().unwrap().storage;
    assert_eq!(storage.bytes_at_end, 0);
    // The first checkpoint's file and the second's flush (about 500 keys) at once.
    assert!(storage.peak_bytes >= state + 490 * KIB64, "{storage:?}");
}

/// A task failure at 7 s restores the checkpoint taken at 2 s (62.5 MiB of keyed
/// state). RocksDB downloads it: two subtasks' 31.25 MiB at 16 MiB/s each after the
/// 1 s restart delay and the 200 ms deployment. ForSt opens the files in place: one
/// 20 ms metadata request per subtask, six subtasks on four storage requests at a
/// time, so it runs again 1.24 s after the failure.
#[test]
fn a_restore_reads_no_state_and_is_far_faster_than_rocksdb() {
    let fault = "{at: 7s, kind: connection-loss, between: [0, 1]}";
    let trigger = "{at: 2s, kind: checkpoint}";
    let took = |o: &Outcome| {
        assert_eq!(o.summary.recoveries.len(), 1, "{:?}", o.summary.recoveries);
        let r = &o.summary.recoveries[0];
        assert_eq!(r.restored_checkpoint, Some(1));
        r.running_at_ns.expect("running again") - r.failed_at_ns
    };
    let forst = took(&run("forst", "", trigger, fault, SLOW));
    let rocksdb = took(&run("rocksdb", "", trigger, fault, SLOW));
    assert_eq!(forst, 1_240_000_000);
    assert!(rocksdb > 1_200_000_000 + 1_900_000_000, "{rocksdb}");
    assert!(forst * 2 < rocksdb, "{forst} vs {rocksdb}");
}

/// The aggregate's busy time over the run (both subtasks).
fn aggregate_busy_ns(outcome: &Outcome) -> u64 {
    outcome
        .summary
        .subtasks
        .iter()
        .filter(|t| t.operator == "aggregate")
        .map(|t| t.metrics.busy_ns)
        .sum()
}

/// Each aggregate subtask holds 31.25 MiB, and each TaskManager's file cache serves
/// its one aggregate subtask. A remote read takes 3 µs over the default 3 read threads,
/// so a missed record costs 1 µs more. With a cache of the whole state or more the
/// records cost what they cost on RocksDB (local state); with 8 MiB (about a quarter)
/// they cost more, and with no cache (the default: no limit set) more still, about
/// 1 µs for every record once the state holds the first keys.
#[test]
fn processing_cost_grows_with_the_miss_ratio() {
    let busy = |backend: &str, config: &str| aggregate_busy_ns(&run(backend, config, "", "", SLOW));
    let latency = "  ckptsim.forst.remote-read-latency: 3us\n";
    let local = busy("rocksdb", "");
    let cached = busy(
        "forst",
        &format!("{latency}  state.backend.forst.cache.size-based-limit: 64mb"),
    );
    let quarter = busy(
        "forst",
        &format!("{latency}  state.backend.forst.cache.size-based-limit: 8mb"),
    );
    let none = busy("forst", latency);
    assert_eq!(cached, local, "a cache of the whole state reads nothing remotely");
    assert!(local < quarter && quarter < none, "{local} {quarter} {none}");
    // 10,000 records, every one missing but those of each subtask's first buffer,
    // read while its state was still empty.
    let extra = none - local;
    assert!((9_800_000..10_000_000).contains(&extra), "{extra}");
}

/// The ForSt keys are Flink's, with its defaults; bad values name the key.
#[test]
fn forst_keys_are_validated() {
    let bad = scenario_text(
        "forst",
        "  state.backend.forst.executor.read-io-parallelism: 0",
        "",
        "",
        SLOW,
    );
    let err = ckptsim::scenario::parse_str(&bad, "test.yaml").unwrap_err().to_string();
    assert!(
        err.contains("state.backend.forst.executor.read-io-parallelism"),
        "{err}"
    );
    assert!(err.contains("at least 1"), "{err}");
    let local = scenario_text("forst", "  execution.state-recovery.from-local: true", "", "", SLOW);
    let err = ckptsim::scenario::parse_str(&local, "test.yaml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("execution.state-recovery.from-local"), "{err}");
    let parsed = common::parse(&scenario_text("forst", "", "", "", SLOW));
    let spec = parsed.checkpointing.forst().expect("forst");
    assert_eq!((spec.cache_bytes, spec.read_io_parallelism), (0, 3));
}

/// The shipped scenario, with its task failure, holds exactly-once.
#[test]
fn the_shipped_scenario_holds_exactly_once() {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/forst.yaml"));
    let scenario = common::load(path);
    assert!(scenario.checkpointing.forst().is_some());
    let outcome = ckptsim::run::run(scenario).unwrap();
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
}

proptest::proptest! {
    /// A record's state access costs at most one remote read over the read threads,
    /// no less with a smaller cache, and nothing with a cache of the whole state.
    #[test]
    fn state_access_cost_falls_as_the_cache_grows(
        cache in 0u64..1 << 40,
        more in 0u64..1 << 40,
        state in 1u64..1 << 40,
        latency_ns in 0u64..10_000_000_000,
        threads in 1u32..64,
    ) {
        use ckptsim::model::forst::state_access_ns;
        let spec = ckptsim::scenario::checkpointing::ForStSpec {
            cache_bytes: 0,
            read_io_parallelism: threads,
            remote_read_latency_ns: latency_ns,
        };
        let cost = state_access_ns(&spec, cache, state);
        proptest::prop_assert!(cost <= latency_ns / u64::from(threads));
        proptest::prop_assert!(state_access_ns(&spec, cache + more, state) <= cost);
        proptest::prop_assert_eq!(state_access_ns(&spec, state + more, state), 0);
    }
}
