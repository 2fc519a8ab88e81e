//! With no faults, every record produced is consumed exactly once, and each sink
//! holds what a plain function of the same operators computes from the same input.

mod common;

use ckptsim::check::reference::expected_sinks;
use ckptsim::check::{AnomalyKind, check_against};
use ckptsim::sim::time::SECOND;

#[test]
fn every_shipped_scenario_matches_the_reference() {
    for path in common::shipped_scenarios() {
        let mut scenario = common::load(&path);
        // Capped for speed; a stop past the cap no longer lies within the run, and the
        // job drains instead, so that every record is accounted for.
        scenario.set_duration(scenario.duration_ns.min(SECOND));
        let outcome = ckptsim::run::run(scenario).unwrap();
        assert!(
            outcome.verdict.held,
            "{}: {:?}",
            path.display(),
            outcome.verdict.anomalies
        );
        for channel in &outcome.world.channels {
            assert_eq!(channel.records_sent, channel.records_consumed, "{}", path.display());
        }
        // Every record appended before the end of input was read: the backlog, and per
        // rate step the records whose exact time falls in it.
        let duration = outcome.world.scenario.duration_ns;
        let appended: u64 = outcome
            .world
            .scenario
            .operators
            .iter()
            .filter_map(|o| match &o.logic {
                ckptsim::scenario::OperatorLogicSpec::Source(s) => {
                    let steps = s.rate_steps();
                    let rated: u64 = steps
                        .iter()
                        .enumerate()
                        .map(|(i, step)| {
                            let end = steps.get(i + 1).map_or(duration, |next| next.at_ns).min(duration);
                            let length = end.saturating_sub(step.at_ns);
                            (u128::from(length) * u128::from(step.rate_per_s)).div_ceil(1_000_000_000) as u64
                        })
                        .sum();
                    Some(s.backlog + rated)
                }
                _ => None,
            })
            .sum();
        assert_eq!(outcome.summary.source_records, appended, "{}", path.display());
    }
}

const ALL_KINDS: &str = "
duration: 1s
config: {taskmanager.numberOfTaskSlots: 3}
cluster: {taskmanagers: 2}
job:
  operators:
    - {name: a, kind: source, parallelism: 2, partitions: 3, rate: 4000, keys: {distribution: zipf, count: 50}}
    - {name: b, kind: source, parallelism: 1, rate: 1500, keys: {distribution: hot-key, count: 80, hot-keys: 3}, values: {min: -5, max: 5}}
    - {name: double, kind: map, parallelism: 3, multiply: 2, add: 1}
    - {name: odd, kind: filter, parallelism: 3, modulus: 3, remainder: 1}
    - {name: count, kind: aggregate, parallelism: 3}
    - {name: win, kind: window, parallelism: 2, size: 200ms}
    - {name: ptime, kind: window, parallelism: 2, size: 100ms, time: processing}
    - {name: shout, kind: map, parallelism: 3, multiply: 10}
    - {name: updates, kind: sink, parallelism: 2}
    - {name: windows, kind: sink, parallelism: 1}
    - {name: copies, kind: sink, parallelism: 2}
    - {name: totals, kind: sink, parallelism: 1}
  edges:
    - {from: a, to: double, partitioning: rebalance}
    - {from: b, to: double, partitioning: rebalance}
    - {from: double, to: odd}
    - {from: odd, to: count}
    - {from: count, to: shout}
    - {from: shout, to: updates, partitioning: rebalance}
    - {from: odd, to: win}
    - {from: win, to: windows}
    - {from: b, to: copies, partitioning: broadcast}
    - {from: a, to: ptime}
    - {from: ptime, to: totals}
";

#[test]
fn every_operator_kind_and_partitioning_matches_the_reference() {
    let outcome = ckptsim::run::run(common::parse(ALL_KINDS)).unwrap();
    assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
    let records = |name: &str| {
        outcome
            .verdict
            .sinks
            .iter()
            .find(|s| s.operator == name)
            .unwrap()
            .records
    };
    // Broadcast: each of the 2 sink subtasks gets every record of source b.
    assert_eq!(records("copies"), 2 * 1500);
    assert!(records("updates") > 0 && records("windows") > 0 && records("totals") > 0);
}

#[test]
fn the_check_reports_a_lost_record() {
    let outcome = ckptsim::run::run(common::parse(ALL_KINDS)).unwrap();
    // Pretend partition 0 of source `a` held one more record than was read: the
    // sink then lacks it, and the check must say so.
    let mut offsets = outcome.world.source_offsets();
    offsets[0].2 += 1;
    let expected = expected_sinks(&outcome.world.scenario, &offsets);
    let verdict = check_against(&outcome.world, &expected);
    assert!(!verdict.held);
    assert!(
        verdict.anomalies.iter().any(|a| matches!(
            a.kind,
            AnomalyKind::Missing | AnomalyKind::Lost | AnomalyKind::RecordCount
        )),
        "{:?}",
        verdict.anomalies
    );
}

#[test]
fn the_check_reports_a_wrong_value() {
    let outcome = ckptsim::run::run(common::parse(ALL_KINDS)).unwrap();
    // The reference of a job whose map adds 2 instead of 1: every value differs.
    let mut other = outcome.world.scenario.clone();
    let double = other.operators.iter_mut().find(|o| o.name == "double").unwrap();
    double.logic = ckptsim::scenario::OperatorLogicSpec::Map { multiply: 2, add: 2 };
    let expected = expected_sinks(&other, &outcome.world.source_offsets());
    let verdict = check_against(&outcome.world, &expected);
    assert!(!verdict.held);
    assert!(verdict.anomaly_count > 10);
}
