//! `ckptsim sweep --objective ... --constraint ... --failure-rate ...`: one
//! recommended setting, from known grids (conformance cases) and from a real sweep
//! of a shipped scenario; the Young/Daly interval beside it; an infeasible goal
//! names the constraint closest to being met (exit 0); a bad goal is an error
//! naming the flag and the valid metrics (exit 2).

mod common;

use ckptsim::report::sweep_goal::{Bound, Goal, parse_constraint, parse_failure_rate, parse_objective};
use ckptsim::report::sweep_objective::{INTERVAL_KEY, recommend, young_daly_interval_s};
use ckptsim::report::sweep_result::{Kind, METRICS, SweepResult, SweepRow};
use std::path::Path;
use std::process::Output;

const FULL_STATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/full-state.yaml");

fn sweep(args: &[&str], out: &Path) -> Output {
    common::grid_command("sweep", FULL_STATE.as_ref(), args, out)
}

/// A grid point of a checkpoint-interval sweep with the given metric values.
fn point(interval: &str, values: &[(&str, f64)], exactly_once: bool) -> SweepRow {
    SweepRow {
        settings: vec![(INTERVAL_KEY.to_string(), interval.to_string())],
        runs: 1,
        values: values.iter().map(|(k, v)| (k.to_string(), Some(*v))).collect(),
        spread: Vec::new(),
        exactly_once,
    }
}

fn result(rows: Vec<SweepRow>) -> SweepResult {
    SweepResult {
        kind: Kind::Sweep,
        scenario: "grid".into(),
        parameters: vec![(
            INTERVAL_KEY.to_string(),
            rows.iter().map(|r| r.settings[0].1.clone()).collect(),
        )],
        seeds: vec![1],
        runs: Vec::new(),
        rows,
        best: Vec::new(),
    }
}

/// Young's model on a grid: checkpoints cost C = 10 ms each, so the overhead is
/// C / interval; a failure replays half an interval plus 100 ms of completion
/// delay at 10,000 records/s.
fn young_grid() -> SweepResult {
    let rows = [("100ms", 0.1), ("200ms", 0.2), ("500ms", 0.5), ("1s", 1.0), ("2s", 2.0)]
        .into_iter()
        .map(|(name, interval)| {
            point(
                name,
                &[
                    ("checkpoint_cost_ms", 10.0),
                    ("checkpoint_overhead_pct", 100.0 * 0.010 / interval),
                    ("records_replayed_per_failure", (interval / 2.0 + 0.1) * 10_000.0),
                    ("throughput_per_s", 10_000.0),
                ],
                true,
            )
        })
        .collect();
    result(rows)
}

fn goal(objective: &str, constraints: &[&str], rate: Option<&str>) -> Goal {
    let constraints: Vec<String> = constraints.iter().map(|c| c.to_string()).collect();
    Goal::parse(objective, &constraints, rate).unwrap()
}

fn recommended(result: &SweepResult, goal: &Goal) -> Option<String> {
    recommend(result, goal)
        .recommended
        .map(|i| result.rows[i].settings[0].1.clone())
}

#[test]
fn limits_are_read_in_the_metrics_units() {
    let c = parse_constraint("latency_p99_ms<=200ms").unwrap();
    assert_eq!((c.metric, c.bound, c.limit), ("latency_p99_ms", Bound::AtMost, 200.0));
    assert_eq!(parse_constraint("latency_p99_ms<=1.5s").unwrap().limit, 1500.0);
    assert_eq!(
        parse_constraint("latency_p99_ms <= 250").unwrap().limit,
        250.0,
        "a bare number is ms"
    );
    assert_eq!(parse_constraint("checkpoint_overhead_pct<=5%").unwrap().limit, 5.0);
    assert_eq!(parse_constraint("persisted_bytes<=1mb").unwrap().limit, 1_048_576.0);
    let t = parse_constraint("throughput_per_s>=35000").unwrap();
    assert_eq!((t.bound, t.limit), (Bound::AtLeast, 35_000.0));
    assert_eq!(
        parse_constraint("records_replayed_per_failure<=20000 records")
            .unwrap()
            .limit,
        20_000.0
    );
    assert_eq!(
        parse_constraint("checkpoint_overhead_pct<=5%").unwrap().text,
        "checkpoint_overhead_pct<=5%"
    );
    let o = parse_objective("max:throughput_per_s").unwrap();
    assert_eq!(o.metric, "throughput_per_s");
}

#[test]
fn failure_rates_are_per_hour_minute_or_second() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
    assert!(close(parse_failure_rate("1/h").unwrap(), 1.0 / 3600.0));
    assert!(close(parse_failure_rate("2/min").unwrap(), 2.0 / 60.0));
    assert!(close(parse_failure_rate("0.5/s").unwrap(), 0.5));
    assert!(close(parse_failure_rate("1/2h").unwrap(), 1.0 / 7200.0));
    for bad in ["1", "0/h", "-1/h", "1/week", "1/0s", "x/h", "1/3"] {
        let e = parse_failure_rate(bad).unwrap_err();
        assert!(e.starts_with(&format!("--failure-rate `{bad}`")), "{bad}: {e}");
    }
}

/// Young (1974): the first-order optimum interval is sqrt(2·C/λ); for C = 1 s and
/// one failure an hour, sqrt(7200) s ≈ 84.85 s.
#[test]
fn young_daly_is_sqrt_of_twice_the_cost_over_the_failure_rate() {
    let t = young_daly_interval_s(1.0, parse_failure_rate("1/h").unwrap());
    assert!((t - 7200f64.sqrt()).abs() < 1e-9 && (t - 84.85).abs() < 0.01, "{t}");
    // The same from a grid whose measured C is 1 s: the swept interval nearest to
    // 84.9 s (by ratio) is 1min, not the recommended 30s.
    let rows = ["30s", "1min", "5min"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            point(
                name,
                &[
                    ("checkpoint_cost_ms", 1000.0),
                    ("records_replayed_per_failure", 10.0 * (i + 1) as f64),
                ],
                true,
            )
        })
        .collect();
    let grid = result(rows);
    let r = recommend(&grid, &goal("min:records_replayed_per_failure", &[], Some("1/h")));
    let yd = r.young_daly.as_ref().expect("a failure rate was given");
    assert!((yd.interval_s - 84.85).abs() < 0.01, "{}", yd.interval_s);
    assert_eq!(yd.checkpoint_cost_ms, 1000.0);
    assert_eq!(yd.nearest_swept_interval.as_deref(), Some("1min"));
    let said = r.sentences.join("\n");
    assert!(said.contains("sqrt(2·C/λ) = 84.9 s for C = 1.00 s"), "{said}");
    assert!(
        said.contains("The recommended interval, 30s, is 2.8× shorter"),
        "{said}"
    );
    assert!(
        said.contains("nearest to Young/Daly's is 1min: they disagree"),
        "{said}"
    );
}

#[test]
fn the_objective_alone_picks_the_metrics_best_setting() {
    let grid = young_grid();
    assert_eq!(
        recommended(&grid, &goal("min:records_replayed_per_failure", &[], None)).as_deref(),
        Some("100ms")
    );
    assert_eq!(
        recommended(&grid, &goal("min:checkpoint_overhead_pct", &[], None)).as_deref(),
        Some("2s")
    );
    // Equal values: the first point of the grid.
    assert_eq!(
        recommended(&grid, &goal("max:throughput_per_s", &[], None)).as_deref(),
        Some("100ms")
    );
}

/// The constraint excludes the two shortest intervals (10 % and 5 % overhead); the
/// limit itself is allowed (500ms has exactly 2 %).
#[test]
fn a_constraint_excludes_the_metrics_best_setting() {
    let grid = young_grid();
    let g = goal(
        "min:records_replayed_per_failure",
        &["checkpoint_overhead_pct<=2%"],
        None,
    );
    let r = recommend(&grid, &g);
    assert_eq!(
        r.recommended.map(|i| grid.rows[i].settings[0].1.as_str()),
        Some("500ms")
    );
    let feasible: Vec<bool> = r.points.iter().map(|p| p.feasible).collect();
    assert_eq!(feasible, [false, false, true, true, true]);
    let said = r.sentences.join("\n");
    assert!(said.contains("3 of 5 setting(s) meet the constraints"), "{said}");
    assert!(
        said.contains(
            "Recommended: execution.checkpointing.interval=500ms — records replayed per failure 3500 records; \
             meets checkpoint_overhead_pct<=2% (2.00 %)."
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "without the constraints, 1500 records with execution.checkpointing.interval=100ms, misses \
             checkpoint_overhead_pct<=2% (10.00 %)"
        ),
        "{said}"
    );
}

#[test]
fn a_setting_that_violated_exactly_once_is_never_recommended() {
    let mut grid = young_grid();
    grid.rows[0].exactly_once = false;
    let r = recommend(&grid, &goal("min:records_replayed_per_failure", &[], None));
    assert_eq!(r.recommended, Some(1));
    assert_eq!(r.points[0].misses, ["exactly-once"]);
}

#[test]
fn an_infeasible_goal_names_the_constraint_closest_to_being_met() {
    let grid = young_grid();
    // No setting reaches 0.25 % overhead; the nearest is 2s at 0.5 %, 100 % over.
    let r = recommend(
        &grid,
        &goal(
            "min:records_replayed_per_failure",
            &["checkpoint_overhead_pct<=0.25%", "records_replayed_per_failure<=100000"],
            None,
        ),
    );
    assert_eq!(r.recommended, None);
    let c = r.closest.as_ref().unwrap();
    assert_eq!(
        (c.constraint.as_str(), c.value),
        ("checkpoint_overhead_pct<=0.25%", 0.5)
    );
    assert_eq!(c.settings[0].1, "2s");
    assert!(
        r.sentences
            .join("\n")
            .contains("No setting meets every constraint. Closest to being met: checkpoint_overhead_pct<=0.25%"),
        "{:?}",
        r.sentences
    );
    // Each constraint met by some setting, never both: 500ms misses only the
    // replay limit, by 17 %; 200ms misses the overhead limit by 150 %.
    let r = recommend(
        &grid,
        &goal(
            "min:records_replayed_per_failure",
            &["checkpoint_overhead_pct<=2%", "records_replayed_per_failure<=3000"],
            None,
        ),
    );
    assert_eq!(r.recommended, None);
    let c = r.closest.as_ref().unwrap();
    assert_eq!(c.constraint, "records_replayed_per_failure<=3000");
    assert_eq!(c.settings[0].1, "500ms");
    assert!((c.shortfall - 1.0 / 6.0).abs() < 1e-9, "{}", c.shortfall);
}

/// A run without failures measures no recovery time: minimising it recommends
/// nothing, and says why rather than naming a constraint every setting meets.
#[test]
fn an_objective_no_run_measured_is_named() {
    let grid = young_grid();
    let r = recommend(&grid, &goal("min:recovery_ms", &["throughput_per_s>=1"], None));
    assert_eq!(r.recommended, None);
    assert!(r.closest.is_none());
    assert!(
        r.sentences
            .contains(&"No setting is recommended: no run measured the recovery time (`recovery_ms`).".to_string()),
        "{:?}",
        r.sentences
    );
}

#[test]
fn a_bad_goal_names_the_flag_lists_the_metrics_and_exits_2() {
    let out = common::tmp_dir("sweep-objective-bad");
    let set = [
        "--set",
        "execution.checkpointing.interval=200ms,500ms",
        "--set",
        "duration=1s",
    ];
    let cases: [(&[&str], &[&str]); 8] = [
        (
            &["--objective", "min:nope"],
            &["--objective `min:nope`", "unknown metric `nope`"],
        ),
        (
            &["--objective", "fastest"],
            &["--objective `fastest`", "expected min:METRIC or max:METRIC"],
        ),
        (
            &["--objective", "min:latency_p99_ms", "--constraint", "overhead<=5%"],
            &["--constraint `overhead<=5%`", "unknown metric `overhead`"],
        ),
        (
            &[
                "--objective",
                "min:latency_p99_ms",
                "--constraint",
                "checkpoint_overhead_pct<5%",
            ],
            &[
                "--constraint `checkpoint_overhead_pct<5%`",
                "expected METRIC<=LIMIT or METRIC>=LIMIT",
            ],
        ),
        (
            &[
                "--objective",
                "min:latency_p99_ms",
                "--constraint",
                "checkpoint_overhead_pct<=200ms",
            ],
            &[
                "--constraint `checkpoint_overhead_pct<=200ms`",
                "checkpoint_overhead_pct is in %",
            ],
        ),
        (
            &[
                "--objective",
                "min:latency_p99_ms",
                "--constraint",
                "latency_p99_ms<=5%",
            ],
            &[
                "--constraint `latency_p99_ms<=5%`",
                "latency_p99_ms is in ms",
                "unknown unit `%`",
            ],
        ),
        (
            &["--objective", "min:latency_p99_ms", "--failure-rate", "often"],
            &["--failure-rate `often`", "like 1/h"],
        ),
        (&["--constraint", "latency_p99_ms<=200ms"], &["--objective"]),
    ];
    for (args, needles) in cases {
        let run = sweep(&[&set[..], args].concat(), &out);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{args:?}: `{needle}` not in {stderr}");
        }
        // Errors about a metric list every valid one.
        if stderr.contains("metric") {
            for m in METRICS {
                assert!(stderr.contains(m.key), "{args:?}: {} not listed in {stderr}", m.key);
            }
        }
        assert!(!out.join("sweep.json").exists(), "{args:?}: the grid ran");
    }
}

fn json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap()
}

/// A real sweep of full-state.yaml, one second long: shorter intervals replay
/// fewer records and cost more overhead, and a limit between the two shortest
/// intervals' overheads moves the recommendation to the second.
#[test]
fn a_real_sweep_recommends_the_setting_the_constraint_allows() {
    let intervals = ["100ms", "200ms", "500ms"];
    let set = format!("{INTERVAL_KEY}={}", intervals.join(","));
    let base = [
        "--set",
        &set,
        "--set",
        "duration=1s",
        "--objective",
        "min:records_replayed_per_failure",
    ];
    let free = common::tmp_dir("sweep-objective-free");
    let run = sweep(&base, &free);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let j = json(&free);
    let rows = j["rows"].as_array().unwrap();
    let value = |row: &serde_json::Value, key: &str| -> f64 {
        row["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v[0] == key)
            .and_then(|v| v[1].as_f64())
            .unwrap_or_else(|| panic!("no {key} in {row}"))
    };
    let replayed: Vec<f64> = rows.iter().map(|r| value(r, "records_replayed_per_failure")).collect();
    let overhead: Vec<f64> = rows.iter().map(|r| value(r, "checkpoint_overhead_pct")).collect();
    assert!(replayed.windows(2).all(|w| w[0] < w[1]), "{replayed:?}");
    assert!(overhead.windows(2).all(|w| w[0] > w[1]), "{overhead:?}");
    assert_eq!(j["recommendation"]["recommended"], 0, "{}", j["recommendation"]);

    let limit = format!("checkpoint_overhead_pct<={:.4}%", (overhead[0] + overhead[1]) / 2.0);
    let out = common::tmp_dir("sweep-objective-real");
    let mut args = base.to_vec();
    args.extend(["--constraint", &limit, "--failure-rate", "1/h"]);
    let run = sweep(&args, &out);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains(&format!(
            "Recommended: {INTERVAL_KEY}=200ms, duration=1s — records replayed per failure"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("Young/Daly first-order optimum interval sqrt(2·C/λ) = "),
        "{stdout}"
    );
    let j = json(&out);
    let rec = &j["recommendation"];
    assert_eq!(rec["recommended"], 1, "{rec}");
    assert_eq!(
        rec["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["feasible"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        [false, true, true]
    );
    // Young/Daly from the recommended setting's measured C and λ = 1/3600 per s.
    let c_ms = value(&j["rows"][1], "checkpoint_cost_ms");
    assert!(c_ms > 0.0);
    let yd = rec["young_daly"]["interval_s"].as_f64().unwrap();
    assert!(
        (yd - (2.0 * c_ms / 1e3 * 3600.0).sqrt()).abs() < 1e-9,
        "{yd} for C = {c_ms} ms"
    );
    assert_eq!(
        rec["young_daly"]["nearest_swept_interval"], "500ms",
        "Young/Daly's interval is seconds long"
    );

    // summary.md and the page carry the goal, the finding and the trade-off plot.
    let plot = "sweep-objective-records-replayed-per-failure-vs-checkpoint-overhead-pct.svg";
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for needle in [
        "## Recommendation",
        "- objective: `min:records_replayed_per_failure`",
        &format!("- constraint: `{limit}`"),
        "- failure rate λ: `1/h`",
        "Recommended: ",
        "Young/Daly",
        &format!("]({plot})"),
        "## Grid points",
    ] {
        assert!(md.contains(needle), "summary.md lacks {needle}:\n{md}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<h2>Recommendation</h2>") && html.contains("Young/Daly"),
        "{html}"
    );
    assert!(html.contains(&format!("<figure id=\"{}\"", plot.trim_end_matches(".svg"))));
    assert_eq!(html.matches("<tr class=\"chosen\"").count(), 1);
    let svg = std::fs::read_to_string(out.join(plot)).unwrap();
    for needle in [
        ">recommended<",
        "meets every constraint",
        ">misses a constraint",
        ">limit:",
        "checkpoint_overhead_pct ≤ ",
        "limit checkpoint_overhead_pct ≤ ",
    ] {
        assert!(svg.contains(needle), "the plot lacks {needle}");
    }
}

#[test]
fn an_infeasible_real_sweep_exits_0_and_says_which_constraint_came_closest() {
    let out = common::tmp_dir("sweep-objective-infeasible");
    let set = format!("{INTERVAL_KEY}=200ms,500ms");
    let run = sweep(
        &[
            "--set",
            &set,
            "--set",
            "duration=1s",
            "--objective",
            "min:latency_p99_ms",
            "--constraint",
            "records_replayed_per_failure<=1",
            "--constraint",
            "throughput_per_s>=1",
        ],
        &out,
    );
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains(
            "No setting meets every constraint. Closest to being met: records_replayed_per_failure<=1: the records \
             replayed per failure comes to "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("at best, with {INTERVAL_KEY}=200ms, duration=1s (")),
        "{stdout}"
    );
    let j = json(&out);
    assert!(j["recommendation"]["recommended"].is_null());
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("No setting meets every constraint"), "{md}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn grid() -> impl Strategy<Value = Vec<(f64, f64, bool)>> {
        prop::collection::vec((0.0..100.0f64, 0.0..10.0f64, prop::bool::weighted(0.9)), 1..12)
    }

    proptest! {
        /// The recommended setting meets every constraint and held exactly-once, no
        /// such setting is better at the objective, and there is none only when no
        /// setting qualifies.
        #[test]
        fn the_recommendation_is_the_best_feasible_point(points in grid(), limit in 0.0..10.0f64, max in any::<bool>()) {
            let rows: Vec<SweepRow> = points
                .iter()
                .enumerate()
                .map(|(i, (replayed, overhead, held))| {
                    point(
                        &format!("{}ms", 100 * (i + 1)),
                        &[("records_replayed_per_failure", *replayed), ("checkpoint_overhead_pct", *overhead)],
                        *held,
                    )
                })
                .collect();
            let grid = result(rows);
            let objective = if max { "max:records_replayed_per_failure" } else { "min:records_replayed_per_failure" };
            let g = goal(objective, &[&format!("checkpoint_overhead_pct<={limit}")], None);
            let r = recommend(&grid, &g);
            let feasible = |i: usize| points[i].2 && points[i].1 <= limit;
            for (i, p) in r.points.iter().enumerate() {
                prop_assert_eq!(p.feasible, feasible(i));
            }
            match r.recommended {
                Some(i) => {
                    prop_assert!(feasible(i));
                    for j in (0..points.len()).filter(|j| feasible(*j)) {
                        let better = if max { points[j].0 > points[i].0 } else { points[j].0 < points[i].0 };
                        prop_assert!(!better, "{} beats the recommended {}", j, i);
                    }
                }
                None => prop_assert!((0..points.len()).all(|i| !feasible(i))),
            }
        }
    }
}
