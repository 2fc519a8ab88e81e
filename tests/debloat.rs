//! Buffer debloating (FLIP-183): the arithmetic of Flink's `BufferSizeEMA`,
//! `BufferDebloater` and `ThroughputCalculator`, case by case from Flink's
//! `BufferSizeEMATest` and `BufferDebloaterTest` (flink-runtime,
//! org.apache.flink.runtime.throughput), and its effect on a job.

mod common;

use ckptsim::model::debloat::{BufferDebloater, BufferSizeEma, ThroughputCalculator};
use ckptsim::scenario::{DebloatSpec, Scenario};

/// `BufferSizeEMATest.testCalculationBufferSize` (current Flink, where the average is
/// kept in floating point): max 200, min 10, 3 samples.
#[test]
fn the_moving_average_seeks_the_desired_size_at_flinks_pace() {
    let mut ema = BufferSizeEma::new(200, 200, 10, 3);
    let down = [
        (111, 13, 104),
        (107, 7, 60),
        (107, 7, 38),
        (107, 7, 26),
        (107, 7, 21),
        (107, 7, 18),
        (107, 13, 13),
        (107, 13, 11),
        (107, 13, 10),
    ];
    for (total, buffers, expected) in down {
        assert_eq!(ema.calculate(total, buffers), expected, "{total} B over {buffers}");
    }
    // Growing at most doubles the size per step.
    for expected in [15, 23, 34, 51, 76, 114] {
        assert_eq!(ema.calculate(333, 1), expected);
    }
}

/// `testSizeGreaterThanMaxSize` and `testSizeLessThanMinSize`.
#[test]
fn the_moving_average_stays_between_min_and_max() {
    let mut ema = BufferSizeEma::new(200, 200, 10, 3);
    assert_eq!(ema.calculate(0, 1), 100);
    for expected in [150, 200, 200] {
        assert_eq!(ema.calculate(1000, 1), expected);
    }
    let mut ema = BufferSizeEma::new(200, 200, 10, 3);
    for expected in [100, 50, 25, 13, 10, 10] {
        assert_eq!(ema.calculate(0, 1), expected);
    }
}

/// `BufferDebloaterTest`, one sample (the moving average follows at once):
/// (target ms, min, max, buffers in use, throughput B/s) → the size announced.
#[test]
fn the_debloater_announces_flinks_sizes() {
    let cases = [
        // testZeroBuffersInUse: zero buffers count as one.
        (1000, 50, 2400, 0, 1200, Some(1200)),
        // testCorrectBufferSizeCalculation: 3333 × 1.2 s / 16 buffers.
        (1200, 50, 1100, 16, 3333, Some(250)),
        // testCalculatedBufferSizeLessThanMin.
        (1200, 250, 1100, 16, 3333, Some(250)),
        // testCalculatedBufferSizeForThroughputZero: the minimum.
        (1200, 50, 1100, 16, 0, Some(50)),
        // testCalculatedBufferSizeGreaterThanMax: max, as before: nothing to announce.
        (1200, 50, 248, 16, 3333, None),
        // testCalculatedBufferSlightlyDifferentFromCurrentOne: within 25 %.
        (1200, 50, 250, 16, 3333, None),
    ];
    for (target, min, max, buffers, throughput, expected) in cases {
        let mut d = BufferDebloater::new(target, max, min, 25, 1);
        assert_eq!(
            d.recalculate(throughput, buffers),
            expected,
            "target {target} ms, {min}..{max} B, {buffers} buffers, {throughput} B/s"
        );
    }
}

/// `testAnnouncedMaxBufferSizeDespiteLastDiffLessThanThreshold` and its min twin:
/// reaching a bound is announced even when it is within the threshold.
#[test]
fn the_bounds_are_announced_within_the_threshold() {
    let mut d = BufferDebloater::new(1000, 1100, 50, 25, 1);
    assert_eq!(d.recalculate(500, 1), Some(500));
    assert_eq!(d.recalculate(1000, 1), Some(1000));
    assert_eq!(d.recalculate(2000, 1), Some(1100));
    assert_eq!(d.recalculate(2000, 1), None);
    let mut d = BufferDebloater::new(1000, 1100, 50, 25, 1);
    assert_eq!(d.recalculate(60, 1), Some(60));
    assert_eq!(d.recalculate(60, 1), None);
    assert_eq!(d.recalculate(40, 1), Some(50));
    assert_eq!(d.recalculate(40, 1), None);
    assert_eq!(d.last_size(), 50);
}

/// `ThroughputCalculatorTest`: bytes over whole milliseconds of measurement; no
/// measured time keeps the last figure.
#[test]
fn throughput_is_bytes_over_measured_milliseconds() {
    let mut t = ThroughputCalculator::default();
    assert_eq!(t.calculate(0, 0), 0);
    assert_eq!(t.calculate(3000, 6_000_000), 500_000);
    assert_eq!(t.calculate(10, 999_999), 500_000);
    assert_eq!(t.calculate(0, 1_000_000), 0);
}

/// `testSmallBufferSizeChanges`: with a tiny alpha the size still grows from the minimum.
#[test]
fn a_tiny_alpha_still_grows_the_size() {
    let mut ema = BufferSizeEma::new(16, 32 * 1024, 16, 10_000);
    for _ in 0..10_000 {
        ema.calculate(20_000, 10);
    }
    assert!(ema.calculate(10_000, 10) > 16);
}

/// The steady checkpoints of a run (after the first, which meets the buffers before
/// debloating has shrunk them): their end-to-end durations in ms.
fn steady_end_to_end_ms(scenario: Scenario) -> Vec<f64> {
    let outcome = common::run_held(scenario);
    let report = outcome.summary.checkpoints.expect("checkpoints");
    report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED")
        .skip(1)
        .map(|c| c.end_to_end_duration.unwrap() as f64 / 1e6)
        .collect()
}

/// Flink's `CheckpointingTimeBenchmark` (flink-benchmarks, mode ALIGNED): two
/// rebalance exchanges under backpressure, a 300 ms debloat target, "a checkpoint
/// should take ~2 (number of exchanges) * 300 ms = ~600 ms". `scenarios/debloat.yaml`
/// is that job; without debloating its aligned checkpoints take several times longer.
#[test]
fn aligned_checkpoints_under_backpressure_take_about_the_target_per_exchange() {
    let on = common::load("scenarios/debloat.yaml".as_ref());
    let debloated = steady_end_to_end_ms(on.clone());
    assert!(debloated.len() >= 4, "{debloated:?}");
    for ms in &debloated {
        assert!(
            (450.0..=750.0).contains(ms),
            "debloated checkpoint took {ms} ms: {debloated:?}"
        );
    }
    let mut off = on;
    off.network.debloat = None;
    let bloated = steady_end_to_end_ms(off);
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(
        median(&bloated) > 3.0 * median(&debloated),
        "without debloating {bloated:?}, with {debloated:?}"
    );
}

/// The sizes announced stay between `min-segment-size` and `segment-size`, and a
/// backpressured job shrinks its buffers well below the largest.
#[test]
fn announced_sizes_stay_within_the_segment_sizes() {
    let mut scenario = common::load("scenarios/debloat.yaml".as_ref());
    scenario.duration_ns = 4_000_000_000;
    let outcome = common::run_held(scenario);
    let d = outcome.summary.debloat.expect("debloating is on");
    assert!(d.announcements > 8, "{} announcements", d.announcements);
    assert_eq!(d.buffer_sizes.len(), 8, "one per input gate");
    assert!(
        d.buffer_sizes.iter().all(|&s| (256..=8192).contains(&s)),
        "{:?}",
        d.buffer_sizes
    );
    assert!(d.buffer_sizes.iter().any(|&s| s < 4096), "{:?}", d.buffer_sizes);
}

/// Switched off (Flink's default), nothing is announced and nothing is reported.
#[test]
fn debloating_is_off_by_default() {
    let outcome = common::run_held(common::load("scenarios/backpressure-aligned.yaml".as_ref()));
    assert!(outcome.summary.debloat.is_none());
}

/// Exactly-once holds under random faults with debloating on: buffer sizes change
/// what is in flight, never which records.
#[test]
fn exactly_once_holds_under_faults_with_debloating() {
    let mut scenario = common::load("scenarios/quickstart-timeout.yaml".as_ref());
    scenario.network.debloat = Some(DebloatSpec {
        target_ns: 50_000_000,
        period_ns: 50_000_000,
        ..DebloatSpec::FLINK_DEFAULTS
    });
    let report = ckptsim::explore::explore(&scenario, 0..150, 2);
    assert_eq!(report.violations, Vec::<u64>::new());
}

/// Bad settings are refused naming the key, as every scenario error is.
#[test]
fn bad_debloat_settings_name_the_key() {
    let base = "duration: 1s
config:
  taskmanager.network.memory.buffer-debloat.enabled: true
  KEY
job:
  operators:
    - {name: src, kind: source, rate: 100}
    - {name: out, kind: sink}
  edges:
    - {from: src, to: out}
";
    let cases = [
        (
            "taskmanager.network.memory.buffer-debloat.period: 0ms",
            "buffer-debloat.period",
        ),
        (
            "taskmanager.network.memory.buffer-debloat.samples: 0",
            "buffer-debloat.samples",
        ),
        (
            "taskmanager.network.memory.buffer-debloat.threshold-percentages: 101",
            "threshold-percentages",
        ),
        ("taskmanager.memory.min-segment-size: 64kb", "min-segment-size"),
    ];
    for (line, key) in cases {
        let text = base.replace("KEY", line);
        let err = ckptsim::scenario::parse_str(&text, "x.yaml").unwrap_err();
        let message = err.to_string();
        assert!(message.contains(key), "{line}: {message}");
        assert!(message.contains("x.yaml:4:"), "{line}: {message}");
    }
}

/// The report says what debloating did, in the page and in `summary.md`, and says
/// nothing of it when it is off.
#[test]
fn the_report_shows_the_debloated_buffer_sizes() {
    use ckptsim::report::{RunRecord, render_run};
    let render = |scenario: Scenario| -> Vec<(String, String)> {
        let record = RunRecord::new(&ckptsim::run::run(scenario).unwrap());
        render_run(&record)
            .unwrap()
            .into_iter()
            .map(|(p, c)| {
                (
                    p.to_string_lossy().into_owned(),
                    String::from_utf8_lossy(&c).into_owned(),
                )
            })
            .collect()
    };
    let mut on = common::load("scenarios/debloat.yaml".as_ref());
    on.duration_ns = 2_000_000_000;
    let files = render(on.clone());
    let file = |name: &str| &files.iter().find(|(p, _)| p == name).unwrap().1;
    assert!(file("summary.md").contains("| buffer debloating | "), "summary.md");
    assert!(
        file("index.html").contains("<td>buffer debloating</td><td>"),
        "index.html"
    );
    assert!(file("index.html").contains("buffer sizes announced; at the end "));
    on.network.debloat = None;
    let files = render(on);
    assert!(
        files.iter().all(|(_, text)| {
            !text.contains("| buffer debloating |") && !text.contains("<td>buffer debloating</td>")
        })
    );
}
