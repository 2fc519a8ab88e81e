//! A slow keyed subtask backpressures the job all the way to its sources, and the
//! sustained input rate settles where that subtask's capacity says it must.

mod common;

use ckptsim::sim::time::SECOND;

/// Subtask 0 of the aggregate spends 100 us per record: at most 10,000 records/s.
const SLOW_SUBTASK: &str = "
duration: 20s
config: {taskmanager.numberOfTaskSlots: 4, execution.buffer-timeout: 50ms}
cluster: {taskmanagers: 2, cpu-cores: 12}
job:
  operators:
    - {name: source, kind: source, parallelism: 2, partitions: 4, rate: 60000, keys: {distribution: uniform, count: 4000}, cpu-per-record: 1us}
    - {name: aggregate, kind: aggregate, parallelism: 4, cpu-per-record: 2us, cpu-skew: [{subtask: 0, cpu-per-record: 100us}]}
    - {name: sink, kind: sink, parallelism: 4, cpu-per-record: 1us}
  edges:
    - {from: source, to: aggregate, partitioning: hash}
    - {from: aggregate, to: sink, partitioning: forward}
";

#[test]
fn input_rate_settles_at_the_slow_subtask_capacity_over_its_share() {
    let outcome = ckptsim::run::run(common::parse(SLOW_SUBTASK)).unwrap();
    assert!(outcome.verdict.held);
    let s = &outcome.summary;
    let aggregate: Vec<_> = s.subtasks.iter().filter(|t| t.operator == "aggregate").collect();
    let total: u64 = aggregate.iter().map(|t| t.metrics.records_in).sum();
    let share = aggregate[0].metrics.records_in as f64 / total as f64;
    let capacity = 10_000.0;
    let expected = capacity / share;
    // After warm-up, while the sources are still behind their log.
    let measured = s
        .input_rate_between(5 * SECOND, 18 * SECOND)
        .expect("samples cover the window");
    let error = (measured - expected).abs() / expected;
    assert!(
        error < 0.05,
        "input {measured:.0}/s, expected {expected:.0}/s (share {share:.3}), off by {:.1}%",
        error * 100.0
    );
    assert!(
        expected < 60_000.0 * 0.9,
        "the test needs the slow subtask to be the bottleneck"
    );
    // The sources know it: each spends most of its time backpressured.
    for source in s.subtasks.iter().filter(|t| t.operator == "source") {
        assert!(
            source.backpressured_ratio > 0.5,
            "source#{} backpressured {:.2}",
            source.subtask,
            source.backpressured_ratio
        );
    }
    // The slow subtask itself is busy, not backpressured.
    assert!(aggregate[0].busy_ratio > 0.9 && aggregate[0].backpressured_ratio < 0.01);
}

#[test]
fn without_the_slow_subtask_the_input_keeps_up() {
    let fast = SLOW_SUBTASK.replace(", cpu-skew: [{subtask: 0, cpu-per-record: 100us}]", "");
    let outcome = ckptsim::run::run(common::parse(&fast)).unwrap();
    let measured = outcome.summary.input_rate_between(5 * SECOND, 18 * SECOND).unwrap();
    assert!((measured - 60_000.0).abs() / 60_000.0 < 0.02, "{measured}");
    assert!(outcome.summary.subtasks.iter().all(|t| t.backpressured_ratio < 0.01));
}
