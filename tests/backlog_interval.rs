//! Checkpoints while sources process backlog (FLIP-309,
//! `execution.checkpointing.interval-during-backlog`), and sources whose rate varies
//! over time or whose log starts with a backlog.
//!
//! Flink's side, which each case cites:
//! - `CheckpointingOptions.CHECKPOINTING_INTERVAL_DURING_BACKLOG`
//!   (flink-core/src/main/java/org/apache/flink/configuration/CheckpointingOptions.java):
//!   "If it is not null and any source reports isProcessingBacklog=true, it is the
//!   interval in which checkpoints are periodically scheduled"; 0 disables checkpoints
//!   during backlog, otherwise it must be at least `execution.checkpointing.interval`.
//! - `CheckpointConfig.getCheckpointIntervalDuringBacklog`
//!   (flink-streaming-java/src/main/java/org/apache/flink/streaming/api/environment/CheckpointConfig.java):
//!   rejects an interval during backlog below the normal one.
//! - `CheckpointCoordinator` (flink-runtime/src/main/java/org/apache/flink/runtime/checkpoint/CheckpointCoordinator.java):
//!   `setIsProcessingBacklog` keeps the set of backlogged sources and reschedules the
//!   trigger to `now + interval` when that is sooner; `ScheduledTrigger.run` schedules
//!   the next trigger with the interval current when it fires, or none when it is
//!   disabled; `getCurrentCheckpointInterval` picks the backlog interval while the set
//!   is not empty.
//! - `CheckpointIntervalDuringBacklogITCase`
//!   (flink-tests/src/test/java/org/apache/flink/test/checkpointing/CheckpointIntervalDuringBacklogITCase.java):
//!   `testCheckpoint`, `testNoCheckpointDuringBacklog`,
//!   `testExcludeFinishedOperatorBacklogStatus`; `SchedulerBase.notifyEndOfData` clears
//!   the backlog of a source whose tasks all reached the end of their data.

mod common;

use ckptsim::explore;
use ckptsim::model::append_schedule::AppendSchedule;
use ckptsim::model::source::{KeySampler, PartitionLog};
use ckptsim::protocol::coordinator::{
    CheckpointCoordinator, ConfigError, CoordinatorAction, CoordinatorConfig, SubtaskAck,
};
use ckptsim::protocol::types::Nanos;
use ckptsim::scenario::{KeySpec, OperatorLogicSpec, RateStep, Scenario, SourceSpec};
use proptest::prelude::*;

const MS: Nanos = 1_000_000;
const S: Nanos = 1_000_000_000;

// ---------------------------------------------------------------------------------
// The coordinator
// ---------------------------------------------------------------------------------

fn config(interval: Nanos, during_backlog: Option<Nanos>) -> CoordinatorConfig {
    CoordinatorConfig {
        interval: Some(interval),
        interval_during_backlog: during_backlog,
        initial_delay: Some(interval),
        ..CoordinatorConfig::default()
    }
}

/// Runs a one-subtask coordinator until `until`, completing every checkpoint the
/// instant it is triggered, and applying `reports` (time, source, backlog) as their
/// times come. Returns the trigger times.
fn trigger_times(config: CoordinatorConfig, reports: &[(Nanos, usize, bool)], until: Nanos) -> Vec<Nanos> {
    let mut c = CheckpointCoordinator::new(config, 1).expect("valid config");
    c.start_scheduler(0);
    let mut reports = reports.iter().peekable();
    let mut triggers = Vec::new();
    loop {
        let timer = c.poll_timeout();
        let report = reports.peek().map(|r| r.0);
        let now = match (timer, report) {
            (Some(t), Some(r)) => t.min(r),
            (Some(t), None) => t,
            (None, Some(r)) => r,
            (None, None) => break,
        };
        if now > until {
            break;
        }
        if report == Some(now) {
            let &(_, source, backlog) = reports.next().unwrap();
            c.set_is_processing_backlog(now, source, backlog);
        } else {
            c.handle_timeout(now);
        }
        while let Some(action) = c.poll_action() {
            match action {
                CoordinatorAction::TriggerCheckpoint { barrier, .. } => {
                    triggers.push(now);
                    c.acknowledge(now, barrier.checkpoint_id, 0, SubtaskAck::default());
                }
                CoordinatorAction::WriteMetadata { checkpoint_id, .. } => {
                    c.finalize_complete(now, checkpoint_id);
                }
                _ => {}
            }
        }
    }
    triggers
}

/// testCheckpoint: interval 100 ms, 200 ms during backlog. Here 1 s and 3 s: a source
/// backlogged from 0 to 7.5 s. The trigger already scheduled for 1 s stays; from it on
/// triggers are 3 s apart (4 s, 7 s). Leaving the backlog at 7.5 s reschedules the next
/// trigger (due at 10 s) to 7.5 + 1 = 8.5 s, then every second.
#[test]
fn while_backlogged_the_trigger_uses_the_backlog_interval_then_returns_to_the_interval() {
    let times = trigger_times(config(S, Some(3 * S)), &[(0, 7, true), (7_500 * MS, 7, false)], 11 * S);
    assert_eq!(
        times,
        vec![S, 4 * S, 7 * S, 8_500 * MS, 9_500 * MS, 10_500 * MS],
        "{times:?}"
    );
}

/// A report that does not shorten the interval does not move the next trigger:
/// entering backlog keeps the trigger already scheduled, and so does a second source
/// reporting while the first still does; the interval returns only when every
/// source has left the backlog (`backlogOperators` is a set).
#[test]
fn the_backlog_lasts_while_any_source_reports_it() {
    let reports = [
        (500 * MS, 1, true),
        (2_500 * MS, 2, true),
        (5_200 * MS, 1, false),
        (8_300 * MS, 2, false),
    ];
    let times = trigger_times(config(S, Some(4 * S)), &reports, 10_500 * MS);
    // 1 s (scheduled before the backlog), then 5 s and 9 s at the backlog interval.
    // Source 1 leaving at 5.2 s changes nothing: source 2 is still behind. Source 2
    // leaving at 8.3 s would reschedule to 9.3 s, later than the 9 s already due, so
    // 9 s stays, and the trigger after it follows at the interval.
    assert_eq!(times, vec![S, 5 * S, 9 * S, 10 * S], "{times:?}");
}

/// testNoCheckpointDuringBacklog: with interval-during-backlog 0 no checkpoint is
/// triggered while a source processes backlog. The trigger scheduled before the
/// backlog still fires (Flink's `ScheduledTrigger.run` triggers, then schedules no
/// successor); the backlog ending at 6.25 s schedules the next at 7.25 s.
#[test]
fn interval_during_backlog_zero_takes_no_checkpoint_while_backlogged() {
    let times = trigger_times(
        config(S, Some(0)),
        &[(300 * MS, 0, true), (6_250 * MS, 0, false)],
        10 * S,
    );
    assert_eq!(times, vec![S, 7_250 * MS, 8_250 * MS, 9_250 * MS], "{times:?}");
    let mut c = CheckpointCoordinator::new(config(S, Some(0)), 1).unwrap();
    c.start_scheduler(0);
    c.set_is_processing_backlog(0, 0, true);
    assert!(c.is_processing_backlog());
    assert_eq!(c.current_interval(), None);
}

/// Not set: the interval during backlog is the interval (Flink's
/// `getCheckpointIntervalDuringBacklog` falls back to `getCheckpointInterval`), so
/// reports change nothing.
#[test]
fn without_interval_during_backlog_reports_change_nothing() {
    let reports = [(300 * MS, 0, true), (2_700 * MS, 0, false)];
    assert_eq!(
        trigger_times(config(S, None), &reports, 5 * S),
        trigger_times(config(S, None), &[], 5 * S)
    );
}

/// `CheckpointConfig.getCheckpointIntervalDuringBacklog`: "Checkpoint interval during
/// backlog must be larger than or equal to that in normal situation"; 0 is allowed.
#[test]
fn an_interval_during_backlog_below_the_interval_is_refused() {
    let refused = |during: Option<Nanos>, interval: Option<Nanos>| {
        CheckpointCoordinator::new(
            CoordinatorConfig {
                interval,
                interval_during_backlog: during,
                ..CoordinatorConfig::default()
            },
            1,
        )
        .err()
    };
    assert_eq!(
        refused(Some(500 * MS), Some(S)),
        Some(ConfigError::BacklogIntervalBelowInterval)
    );
    assert_eq!(
        refused(Some(S), None),
        Some(ConfigError::BacklogIntervalWithoutInterval)
    );
    assert_eq!(refused(Some(0), Some(S)), None);
    assert_eq!(refused(Some(S), Some(S)), None);
}

// ---------------------------------------------------------------------------------
// Sources: rate profiles and backlogs
// ---------------------------------------------------------------------------------

fn source_spec(partitions: u32, rate: u64, profile: &[(Nanos, u64)], backlog: u64) -> SourceSpec {
    SourceSpec {
        partitions,
        rate_per_s: rate,
        keys: KeySpec::Uniform { count: 1000 },
        value_min: 0,
        value_max: 999,
        poll_interval_ns: MS,
        state_bytes_per_partition: 16,
        rate_profile: profile
            .iter()
            .map(|&(at_ns, rate_per_s)| RateStep { at_ns, rate_per_s })
            .collect(),
        backlog,
        backlog_threshold: 1024,
    }
}

fn logs(spec: &SourceSpec, duration: Nanos) -> Vec<PartitionLog> {
    (0..spec.partitions)
        .map(|p| PartitionLog::new(spec, KeySampler::new(&spec.keys), 5, p, u64::from(p), duration))
        .collect()
}

/// Records appended by `t` over all partitions.
fn appended(logs: &[PartitionLog], t: Nanos) -> u64 {
    logs.iter().map(|l| l.available_at(t)).sum()
}

/// The issue's example: 1,000/s, then 20,000/s from 5 s, then 1,000/s from 8 s again,
/// over 10 s. Each window holds the profile's integral over it.
#[test]
fn a_rate_profile_appends_its_integral_over_every_window() {
    let spec = source_spec(3, 1000, &[(0, 1000), (5 * S, 20_000), (8 * S, 1000)], 0);
    let logs = logs(&spec, 10 * S);
    let total: u64 = logs.iter().map(|l| l.end_offset()).sum();
    assert_eq!(total, 5 * 1000 + 3 * 20_000 + 2 * 1000);
    // Records appended in [a, b): appended_by(b − 1 ns) − appended_by(a − 1 ns).
    let window = |a: Nanos, b: Nanos| appended(&logs, b - 1) - appended(&logs, a - 1);
    assert_eq!(window(5 * S, 8 * S), 60_000);
    assert_eq!(window(6 * S, 7 * S), 20_000);
    assert_eq!(window(4 * S, 6 * S), 1000 + 20_000);
    assert_eq!(window(7_500 * MS, 9 * S), 10_000 + 1000);
    assert_eq!(appended(&logs, 10 * S), total);
}

/// The record at a global index has the same key and value whatever the profile and
/// backlog: they only move its append time (its event time).
#[test]
fn a_record_is_a_function_of_its_index_whatever_the_profile() {
    let constant = source_spec(2, 4000, &[], 0);
    let varying = source_spec(2, 4000, &[(0, 4000), (S, 0), (2 * S, 12_000)], 3000);
    let (mut a, mut b) = (logs(&constant, 5 * S), logs(&varying, 5 * S));
    for p in 0..2 {
        for offset in [0u64, 1, 1499, 1500, 4321] {
            let (x, y) = (a[p].record_at(offset), b[p].record_at(offset));
            assert_eq!((x.key, x.value), (y.key, y.value), "partition {p} offset {offset}");
        }
    }
    // The backlog's 3,000 records (1,500 per partition) are all appended at 0; the
    // profile's first record too, then one every 1/4000 s over the two partitions.
    assert_eq!(b[0].append_time(1499), 0);
    assert_eq!(b[0].append_time(1500), 0);
    assert_eq!(b[1].append_time(1500), 250_000);
    // After the pause the schedule resumes at 2 s.
    let first_after_pause = (3000 + 4000) / 2;
    assert_eq!(b[0].append_time(first_after_pause), 2 * S);
}

proptest! {
    /// For any piecewise-constant profile, the records appended over the input are the
    /// backlog plus, per step, ⌈length × rate⌉ (the records whose exact time falls in it).
    #[test]
    fn the_total_is_the_backlog_plus_each_steps_integral(
        rates in proptest::collection::vec(0u64..50_000, 1..5),
        gaps in proptest::collection::vec(1u64..3_000, 4),
        backlog in 0u64..10_000,
        partitions in 1u32..5,
    ) {
        let mut at = 0;
        let mut profile = Vec::new();
        for (i, &rate) in rates.iter().enumerate() {
            profile.push((at, rate));
            at += gaps[i] * MS;
        }
        let duration = at;
        let spec = source_spec(partitions, 1, &profile, backlog);
        let mut expected = backlog;
        for (i, &(start, rate)) in profile.iter().enumerate() {
            let end = profile.get(i + 1).map_or(duration, |s| s.0);
            expected += (u128::from(end - start) * u128::from(rate)).div_ceil(u128::from(S)) as u64;
        }
        prop_assert_eq!(AppendSchedule::new(&spec, duration).total(), expected);
        let logs = logs(&spec, duration);
        prop_assert_eq!(logs.iter().map(|l| l.end_offset()).sum::<u64>(), expected);
        // Appended counts never decrease and reach the total at the end.
        let mut last = 0;
        for t in (0..=duration).step_by((duration / 17).max(1) as usize) {
            let now = appended(&logs, t);
            prop_assert!(now >= last);
            last = now;
        }
        prop_assert_eq!(appended(&logs, duration), expected);
    }
}

// ---------------------------------------------------------------------------------
// Whole runs
// ---------------------------------------------------------------------------------

/// A source with a backlog, and nothing else in the job to wait for: two subtasks,
/// 10 µs per record, 10,000 records/s more arriving, the tasks deployed at 200 ms.
/// When a run's checkpoints were triggered, in id order.
fn triggered_at(outcome: &ckptsim::run::Outcome) -> Vec<Nanos> {
    let report = outcome.summary.checkpoints.as_ref().expect("checkpoints");
    report.checkpoints.iter().map(|c| c.trigger_timestamp).collect()
}

fn catching_up(during_backlog: &str) -> Scenario {
    common::parse(&format!(
        r#"
name: catching-up
duration: 6s
config:
  taskmanager.numberOfTaskSlots: 4
  execution.checkpointing.interval: 500ms
  {during_backlog}
cluster: {{taskmanagers: 1, cpu-cores: 4}}
job:
  operators:
    - {{name: source, kind: source, parallelism: 2, partitions: 2, rate: 10000, backlog: 400000,
       cpu-per-record: 10us}}
    - {{name: totals, kind: aggregate, parallelism: 2, cpu-per-record: 1us}}
    - {{name: sink, kind: sink, parallelism: 2, cpu-per-record: 1us}}
  edges:
    - {{from: source, to: totals}}
    - {{from: totals, to: sink}}
"#
    ))
}

/// When a subtask's unread records fall to the threshold: each of the P subtasks owns
/// B/P of the backlog plus r·t/P of what arrives, and reads 1/c records per second of
/// CPU once deployed at d, so it is backlogged until B/P + r·t/P − (t − d)/c = threshold.
fn catch_up_time(backlog: f64, rate: f64, parallelism: f64, cpu_s: f64, deployed_s: f64, threshold: f64) -> f64 {
    (backlog / parallelism + deployed_s / cpu_s - threshold) / (1.0 / cpu_s - rate / parallelism)
}

/// A source whose log starts with a backlog processes backlog from time 0 until it
/// has caught up, at the time its rate and CPU cost give; checkpoints are 2 s apart
/// then (after the trigger at 0, which finds the tasks deploying), and 500 ms apart
/// from half a second after the catch-up on.
#[test]
fn a_source_starting_with_a_backlog_is_backlogged_until_it_catches_up() {
    let outcome = common::run_held(catching_up("execution.checkpointing.interval-during-backlog: 2s"));
    let periods = &outcome.summary.backlog;
    assert_eq!(periods.len(), 1, "{periods:?}");
    assert_eq!((periods[0].source.as_str(), periods[0].from_ns), ("source", 0));
    let until = periods[0].until_ns.expect("caught up") as f64 / S as f64;
    let expected = catch_up_time(400_000.0, 10_000.0, 2.0, 10e-6, 0.2, 1024.0);
    // A subtask reads a batch (up to 1,024 records, 10.24 ms of CPU) before it
    // processes it, so its read position leads its CPU by up to one batch.
    assert!(
        until <= expected + 0.001 && until >= expected - 0.0115,
        "caught up at {until} s, expected {expected} s"
    );
    let triggers = triggered_at(&outcome);
    let caught_up = periods[0].until_ns.unwrap();
    assert_eq!(&triggers[..2], &[2 * S, caught_up + 500 * MS], "{triggers:?}");
    for pair in triggers[1..].windows(2) {
        assert_eq!(pair[1] - pair[0], 500 * MS, "{triggers:?}");
    }
    // The same job without the key: reports are not even made.
    let plain = common::run_held(catching_up(""));
    assert!(plain.summary.backlog.is_empty());
    let plain_triggers = triggered_at(&plain);
    assert_eq!(plain_triggers[..3], [500 * MS, S, 1500 * MS]);
}

/// testNoCheckpointDuringBacklog: with 0, no checkpoint is triggered while the source
/// catches up; the first follows one interval after it has caught up. A source whose
/// input ends before it has caught up reads the rest of its log and leaves the backlog
/// before it finishes (Flink clears a finished source's backlog too,
/// testExcludeFinishedOperatorBacklogStatus): no backlog is left open at the end.
#[test]
fn no_checkpoint_while_backlogged() {
    let outcome = common::run_held(catching_up("execution.checkpointing.interval-during-backlog: 0"));
    let period = outcome.summary.backlog[0].clone();
    let caught_up = period.until_ns.unwrap();
    let report = outcome.summary.checkpoints.as_ref().unwrap();
    assert!(!report.checkpoints.is_empty());
    for c in &report.checkpoints {
        assert!(
            c.trigger_timestamp > caught_up,
            "checkpoint at {} ns",
            c.trigger_timestamp
        );
    }
    assert_eq!(report.checkpoints[0].trigger_timestamp, caught_up + 500 * MS);

    // 2 s of input: the source is still behind when its input ends, and reads the rest.
    let mut short = catching_up("execution.checkpointing.interval-during-backlog: 0");
    short.duration_ns = 2 * S;
    let outcome = common::run_held(short);
    assert!(outcome.summary.backlog.iter().all(|p| p.until_ns.is_some()));
}

/// The shipped scenario: backlogged from 0 until about 8.5 s and again during the
/// rate spike, with checkpoints 4 s apart then and 1 s apart otherwise.
#[test]
fn the_shipped_backlog_scenario_spaces_checkpoints_out_while_behind() {
    let outcome = common::run_held(common::load("scenarios/backlog.yaml".as_ref()));
    let periods = &outcome.summary.backlog;
    assert_eq!(periods.len(), 2, "{periods:?}");
    let triggers = triggered_at(&outcome);
    let mut spaced_out = 0;
    for pair in triggers.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // Each trigger schedules the next at the interval current when it fires; the
        // end of a backlog brings it forward to one interval after the end.
        match periods
            .iter()
            .find(|p| p.from_ns <= a && p.until_ns.is_none_or(|u| a < u))
        {
            Some(p) => {
                let end = p.until_ns.expect("caught up");
                assert_eq!(b, (a + 4 * S).min(end + S), "{triggers:?} {periods:?}");
                spaced_out += usize::from(b - a > S);
            }
            None => assert_eq!(b - a, S, "{triggers:?} {periods:?}"),
        }
    }
    assert!(spaced_out >= 2, "{triggers:?}");
    assert_eq!(&triggers[..2], &[4 * S, 8 * S]);
}

/// A small job with a backlog, for the explorer.
fn explorable() -> Scenario {
    common::parse(
        r#"
name: backlog-explore
duration: 2s
config:
  taskmanager.numberOfTaskSlots: 2
  execution.checkpointing.interval: 100ms
  execution.checkpointing.interval-during-backlog: 300ms
  restart-strategy.type: fixed-delay
  restart-strategy.fixed-delay.attempts: 100
  restart-strategy.fixed-delay.delay: 50ms
cluster: {taskmanagers: 2, cpu-cores: 2, deployment-time: 20ms}
job:
  operators:
    - name: source
      kind: source
      parallelism: 2
      partitions: 4
      backlog: 20000
      rate-profile: [{at: 0s, rate: 2000}, {at: 1s, rate: 40000}, {at: 1200ms, rate: 2000}]
      backlog-threshold: 200
      cpu-per-record: 20us
    - {name: totals, kind: aggregate, parallelism: 2, cpu-per-record: 2us}
    - {name: sink, kind: sink, parallelism: 2}
  edges:
    - {from: source, to: totals}
    - {from: totals, to: sink}
"#,
    )
}

/// Random fault schedules (crashes rewind the sources into backlog again) leave
/// exactly-once intact.
#[test]
fn the_explorer_finds_no_violation_with_backlog_reports_on() {
    let scenario = explorable();
    let plain = common::run_held(scenario.clone());
    assert!(!plain.summary.backlog.is_empty());
    let report = explore::explore(&scenario, 0..200, 2);
    assert_eq!(report.results.len(), 200);
    assert!(
        report.violations.is_empty(),
        "violations at seeds {:?}",
        report.violations
    );
    // The schedules did strike: most seeds restarted the job at least once.
    let recovered = report.results.iter().filter(|r| r.recoveries > 0).count();
    assert!(recovered > 50, "{recovered} of 200 seeds recovered");
}

/// The scenario's keys, refused as Flink refuses them, each naming its field.
#[test]
fn bad_backlog_and_profile_fields_are_refused_with_their_field() {
    let with = |config: &str, source: &str| {
        let text = format!(
            "name: t\nduration: 5s\nconfig:\n  execution.checkpointing.interval: 1s\n  {config}\njob:\n  operators:\n    - {{name: s, kind: source, {source}}}\n    - {{name: k, kind: sink}}\n  edges:\n    - {{from: s, to: k}}\n"
        );
        ckptsim::scenario::parse_str(&text, "t.yaml")
            .err()
            .map(|e| (e.path, e.message))
    };
    let refused = |config: &str, source: &str| with(config, source).expect("refused").0;
    assert_eq!(
        refused("execution.checkpointing.interval-during-backlog: 500ms", "rate: 10"),
        "config.execution.checkpointing.interval-during-backlog"
    );
    assert!(with("execution.checkpointing.interval-during-backlog: 0", "rate: 10").is_none());
    assert_eq!(
        refused(
            "execution.checkpointing.interval-during-backlog: 2s",
            "rate-profile: [{at: 0s, rate: 10}], rate: 10"
        ),
        "job.operators[0].rate-profile"
    );
    assert_eq!(
        refused("", "rate-profile: [{at: 1s, rate: 10}]"),
        "job.operators[0].rate-profile[0].at"
    );
    assert_eq!(
        refused("", "rate-profile: [{at: 0s, rate: 10}, {at: 0s, rate: 5}]"),
        "job.operators[0].rate-profile[1].at"
    );
    assert_eq!(
        refused("", "rate-profile: [{at: 0s, rate: 10}, {at: 6s, rate: 5}]"),
        "job.operators[0].rate-profile[1].at"
    );
    assert_eq!(
        refused("", "rate-profile: [{at: 0s, rate: 1.5}]"),
        "job.operators[0].rate-profile[0].rate"
    );
    assert_eq!(
        refused("", "rate-profile: [{at: 0s, rate: 0}]"),
        "job.operators[0].rate-profile"
    );
    assert!(with("", "rate-profile: [{at: 0s, rate: 0}], backlog: 100").is_none());
    let uncoordinated =
        "execution.checkpointing.interval-during-backlog: 2s\n  ckptsim.checkpointing.protocol: uncoordinated";
    assert_eq!(
        refused(uncoordinated, "rate: 10"),
        "config.execution.checkpointing.interval-during-backlog"
    );
    // A field of a source on another kind of operator.
    let text = "name: t\nduration: 5s\njob:\n  operators:\n    - {name: s, kind: source, rate: 5}\n    - {name: k, kind: sink, backlog: 5}\n  edges:\n    - {from: s, to: k}\n";
    let error = ckptsim::scenario::parse_str(text, "t.yaml").expect_err("refused");
    assert_eq!(error.path, "job.operators[1].backlog");
}

/// Changing a source in code is checked by the same rules.
#[test]
fn a_profile_set_in_code_is_checked_too() {
    let mut scenario = catching_up("");
    if let OperatorLogicSpec::Source(src) = &mut scenario.operators[0].logic {
        src.rate_profile = vec![
            RateStep {
                at_ns: 0,
                rate_per_s: 10,
            },
            RateStep {
                at_ns: 0,
                rate_per_s: 20,
            },
        ];
    }
    let error = ckptsim::run::run(scenario).err().expect("refused");
    assert_eq!(error.path, "job.operators[0].rate-profile[1].at");
}
