//! State sizes as a job's own encoding gives them: bytes per key of a keyed
//! operator (`state-per-key`), bytes per split of a source (`state-per-partition`),
//! and keys drawn as a sequence, so that the keyed state fills as a generator
//! counting up fills Flink's (one new key per record until all were seen).

mod common;

use ckptsim::sim::time::MILLISECOND;

/// 2,000 records/s from 2 sources over 4 partitions into a keyed aggregate of
/// parallelism 2; a checkpoint every 200 ms for 2 s.
fn job(keys: &str, aggregate_extra: &str, source_extra: &str) -> String {
    format!(
        "name: state-size
seed: 7
duration: 2s
config:
  taskmanager.numberOfTaskSlots: 2
  execution.checkpointing.interval: 200ms
  execution.buffer-timeout: 1ms
cluster: {{taskmanagers: 1, cpu-cores: 2}}
job:
  operators:
    - {{name: source, kind: source, parallelism: 2, partitions: 4, rate: 2000, keys: {keys}{source_extra}}}
    - {{name: counts, kind: aggregate, parallelism: 2{aggregate_extra}}}
    - {{name: sink, kind: sink, parallelism: 2}}
  edges:
    - {{from: source, to: counts}}
    - {{from: counts, to: sink}}
"
    )
}

/// Per completed checkpoint: its trigger time and the summed state of `operator`'s subtasks.
fn state_of(text: &str, operator: usize) -> Vec<(u64, u64)> {
    common::completed_parts(text, operator, 6)
        .iter()
        .map(|parts| (parts[0].trigger_timestamp, parts.iter().map(|b| b.state_size).sum()))
        .collect()
}

/// Once every key was seen, the keyed state weighs exactly keys × `state-per-key`.
#[test]
fn a_filled_keyed_state_weighs_its_keys_times_the_bytes_per_key() {
    // 1,000 keys at 2,000 records/s as a sequence: all seen after 0.5 s.
    let text = job("{distribution: sequence, count: 1000}", ", state-per-key: 94b", "");
    let states = state_of(&text, 1);
    for &(trigger, bytes) in &states {
        if trigger >= 600 * MILLISECOND {
            assert_eq!(bytes, 1000 * 94, "checkpoint triggered at {trigger} ns: {states:?}");
        }
    }
    // The first checkpoint (at 200 ms, about 400 records read) holds about 400 keys.
    let (first_trigger, first) = states[0];
    assert!(first_trigger < 300 * MILLISECOND);
    assert!((300 * 94..=500 * 94).contains(&first), "{states:?}");
}

/// Without `state-per-key` an aggregate's key weighs the simulation's own 24 B.
#[test]
fn the_default_aggregate_entry_is_24_bytes() {
    let text = job("{distribution: sequence, count: 1000}", "", "");
    let states = state_of(&text, 1);
    assert_eq!(states.last().unwrap().1, 1000 * 24, "{states:?}");
}

/// A sequence fills the state one new key per record; uniform draws revisit keys,
/// so at the same checkpoint they hold fewer (about 1 - e^-0.8 of them at 400 records).
#[test]
fn sequence_keys_fill_the_state_faster_than_uniform_draws() {
    let sequence = state_of(
        &job("{distribution: sequence, count: 1000}", ", state-per-key: 10b", ""),
        1,
    );
    let uniform = state_of(
        &job("{distribution: uniform, count: 1000}", ", state-per-key: 10b", ""),
        1,
    );
    let (s, u) = (sequence[0].1 as f64, uniform[0].1 as f64);
    assert!(u < 0.8 * s, "first checkpoint: sequence {s} B, uniform {u} B");
    assert_eq!(sequence.last().unwrap().1, 10_000);
}

/// A source subtask's state is its splits: `state-per-partition` bytes for each
/// partition it reads (2 partitions per subtask here).
#[test]
fn a_source_holds_its_bytes_per_partition() {
    let text = job("{distribution: uniform, count: 100}", "", ", state-per-partition: 265b");
    for (_, bytes) in state_of(&text, 0) {
        assert_eq!(bytes, 4 * 265);
    }
    let default = job("{distribution: uniform, count: 100}", "", "");
    for (_, bytes) in state_of(&default, 0) {
        assert_eq!(bytes, 4 * 16);
    }
}

/// The new fields are refused where they would be ignored or meaningless, naming them.
#[test]
fn misplaced_or_zero_sizes_are_named() {
    let cases = [
        (
            job("{distribution: uniform, count: 100}", "", ", state-per-key: 8b"),
            "job.operators[0].state-per-key",
        ),
        (
            job("{distribution: uniform, count: 100}", ", state-per-partition: 8b", ""),
            "job.operators[1].state-per-partition",
        ),
        (
            job("{distribution: uniform, count: 100}", ", state-per-key: 0b", ""),
            "job.operators[1].state-per-key",
        ),
        (
            job("{distribution: sequence, count: 100, exponent: 1.2}", "", ""),
            "job.operators[0].keys.exponent",
        ),
    ];
    for (text, field) in cases {
        let err = ckptsim::scenario::parse_str(&text, "x.yaml").expect_err(field);
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
}
