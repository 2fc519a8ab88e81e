//! A job that cannot finish: the run stops at the drain timeout (or before memory runs
//! out) and says why, instead of running until memory is exhausted.

mod common;

use ckptsim::model::World;
use ckptsim::model::world::RunCutOff;
use ckptsim::sim::time::SECOND;

const QUICKSTART: &str = include_str!("../scenarios/quickstart.yaml");

/// The quickstart job whose every checkpoint expires after 1 ms with no failure
/// tolerated: each expiry fails the job, which restarts forever, as Flink's job would.
fn restart_loop() -> String {
    QUICKSTART.replace(
        "  execution.checkpointing.interval: 500ms\n",
        "  execution.checkpointing.interval: 500ms\n  execution.checkpointing.timeout: 1ms\n  \
         execution.checkpointing.tolerable-failed-checkpoints: 0\n  restart-strategy.type: fixed-delay\n  \
         restart-strategy.fixed-delay.attempts: 2147483647\n  restart-strategy.fixed-delay.delay: 100ms\n",
    )
}

#[test]
fn a_restart_loop_stops_at_the_default_drain_timeout_and_says_so() {
    let outcome = ckptsim::run::run(common::parse(&restart_loop())).expect("valid");
    // Ten times the 2 s input is less than ten minutes: the default is ten minutes.
    assert_eq!(
        outcome.world.cut_off,
        Some(RunCutOff::DrainTimeout {
            at_ns: 602 * SECOND,
            drain_timeout_ns: 600 * SECOND
        })
    );
    assert_eq!(outcome.summary.virtual_time_ns, 602 * SECOND);
    assert!(!outcome.verdict.held);
    let headline = outcome.verdict.headline();
    assert!(
        headline.starts_with("the job did not drain: still running 600.000s"),
        "{headline}"
    );
    assert!(headline.contains("drain-timeout"), "{headline}");
    assert!(headline.contains("CHECKPOINT_EXPIRED"), "{headline}");
    assert!(outcome.summary.recoveries.len() > 1000);
}

#[test]
fn a_record_that_takes_thirty_days_stops_at_the_drain_timeout_given() {
    let text = QUICKSTART
        .replace("cpu-per-record: 5us", "cpu-per-record: 30days")
        .replace("duration: 2s", "duration: 2s\ndrain-timeout: 1min");
    let outcome = ckptsim::run::run(common::parse(&text)).expect("valid");
    assert_eq!(
        outcome.world.cut_off,
        Some(RunCutOff::DrainTimeout {
            at_ns: 62 * SECOND,
            drain_timeout_ns: 60 * SECOND
        })
    );
    assert!(!outcome.verdict.held);
    // The record's batch started before the cut-off and counts only up to it.
    for subtask in &outcome.summary.subtasks {
        assert!(
            subtask.busy_ratio <= 1.0,
            "{}: {}",
            subtask.operator,
            subtask.busy_ratio
        );
    }
}

#[test]
fn a_run_that_keeps_too_many_statistics_stops_before_memory_runs_out() {
    let mut world = World::new(common::parse(&restart_loop()));
    world.kept_records_limit = 2_000;
    world.run(|_| {});
    let Some(RunCutOff::TooManyRecords { records, at_ns }) = world.cut_off else {
        panic!("not cut off: {:?}", world.cut_off);
    };
    assert!(records > 2_000 && at_ns < 602 * SECOND, "{records} at {at_ns}");
    let verdict = ckptsim::run::check(world).verdict;
    assert!(
        verdict.headline().contains("statistics records"),
        "{}",
        verdict.headline()
    );
}

#[test]
fn a_job_that_drains_is_never_cut_off() {
    for path in common::shipped_scenarios() {
        if path.ends_with("bench-64.yaml") {
            continue;
        }
        let outcome = ckptsim::run::run(common::load(&path)).expect("valid");
        assert_eq!(outcome.world.cut_off, None, "{}", path.display());
    }
}

#[test]
fn a_zero_drain_timeout_is_refused_by_name() {
    let err = ckptsim::scenario::parse_str(
        &QUICKSTART.replace("duration: 2s", "duration: 2s\ndrain-timeout: 0s"),
        "limits.yaml",
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("limits.yaml") && err.contains("drain-timeout"), "{err}");
}

#[test]
fn the_command_exits_1_and_prints_why() {
    let dir = std::env::temp_dir().join(format!("ckptsim-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("loop.yaml");
    std::fs::write(&file, restart_loop()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("the job did not drain"), "{stdout}");
    // Thousands of restarts print as their first and last ten.
    assert!(stdout.contains("more recoveries"), "{stdout}");
    assert!(stdout.lines().count() < 200, "{} lines", stdout.lines().count());
    std::fs::remove_dir_all(&dir).unwrap();
}
