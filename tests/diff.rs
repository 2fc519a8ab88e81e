//! `ckptsim diff RUN FLINK_DIR`: medians per vertex and phase after the warm-up,
//! their ratios and a summary per phase; a simulated run's end to end compared like
//! with like (no metadata write); bad input exits 2 and says what is wrong.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const HISTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/calibrate-rest");

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-diff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ckptsim(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ckptsim"));
    for a in args {
        cmd.arg(a);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Multiplies the fields named in `durations` by `d` and in `sizes` by `s`, everywhere.
fn scale(v: &mut Value, d: u64, s: u64) {
    const DURATIONS: [&str; 5] = ["end_to_end_duration", "start_delay", "sync", "async", "duration"];
    const SIZES: [&str; 4] = ["state_size", "checkpointed_size", "persisted_data", "persisted"];
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match x.as_u64() {
                    Some(n) if DURATIONS.contains(&k.as_str()) => *x = (n * d).into(),
                    Some(n) if SIZES.contains(&k.as_str()) => *x = (n * s).into(),
                    _ => scale(x, d, s),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| scale(x, d, s)),
        _ => {}
    }
}

/// The hand-made history with durations × `d` and sizes × `s`.
fn scaled_copy(name: &str, d: u64, s: u64) -> PathBuf {
    let dir = temp(name);
    for entry in std::fs::read_dir(HISTORY).unwrap().flatten() {
        let path = entry.path();
        let target = dir.join(entry.file_name());
        if path.extension().is_some_and(|e| e == "json") {
            let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            scale(&mut v, d, s);
            std::fs::write(target, v.to_string()).unwrap();
        }
    }
    dir
}

fn row<'a>(json: &'a Value, vertex: &str, phase: &str) -> &'a Value {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vertex"] == vertex && r["phase"] == phase)
        .unwrap_or_else(|| panic!("no row {vertex} / {phase}"))
}

fn summary<'a>(json: &'a Value, phase: &str) -> &'a Value {
    json["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["phase"] == phase)
        .unwrap()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn two_histories_compare_with_the_ratios_their_figures_give() {
    let slow = scaled_copy("slow", 2, 3);
    let (code, out, err) = ckptsim(&[&"diff", &HISTORY, &slow, &"--json"]);
    assert_eq!(code, Some(0), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["run_kind"], "RUN");
    assert_eq!(json["flink"]["checkpoints"], serde_json::json!([4, 5]));
    assert_eq!(json["flink"]["warm_up_checkpoints"], serde_json::json!([1, 2, 3]));
    let keyed = "keyed -> sink: Writer";
    // Keyed async parts 15, 25, 60, 25 ms: median 25, against 50.
    assert!(close(&row(&json, keyed, "async")["simulated"], 25.0));
    assert!(close(&row(&json, keyed, "async")["flink"], 50.0));
    assert!(close(&row(&json, keyed, "async")["ratio"], 0.5));
    // Sizes per vertex and checkpoint: 640 + 1280 KiB.
    assert!(close(&row(&json, keyed, "state size")["simulated"], 1966080.0));
    assert!(close(&row(&json, keyed, "state size")["ratio"], 1.0 / 3.0));
    // The whole job: end to end 44 and 45 ms, median 44.5.
    assert!(close(&row(&json, "(job)", "end to end")["simulated"], 44.5));
    assert!(close(&row(&json, "(job)", "end to end")["ratio"], 0.5));
    assert!(close(&summary(&json, "end to end")["within_factor"], 2.0));
    assert!(close(&summary(&json, "persisted size")["within_factor"], 3.0));
    // Sync is 1 ms against 2: not both under the resolution, so it counts.
    assert!(close(&row(&json, keyed, "sync")["ratio"], 0.5));
    assert_eq!(json["dominant_phase"]["flink"]["phase"], "async");

    let (code, text, err) = ckptsim(&[&"diff", &HISTORY, &slow]);
    assert_eq!(code, Some(0), "{err}");
    assert!(text.contains("end to end: within 2.00×"), "{text}");
    assert!(text.contains("state size: within 3.00×"), "{text}");
    assert!(text.contains("vertex `keyed -> sink: Writer`"), "{text}");
    assert!(text.contains("dominant phase: RUN async"), "{text}");
    std::fs::remove_dir_all(slow).unwrap();
}

#[test]
fn the_same_history_agrees_with_itself() {
    let (code, out, err) = ckptsim(&[&"diff", &HISTORY, &HISTORY, &"--json"]);
    assert_eq!(code, Some(0), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    for s in json["summary"].as_array().unwrap() {
        assert!(close(&s["within_factor"], 1.0), "{s}");
    }
}

/// The imported hand-made history as a scenario file.
fn imported_scenario(dir: &Path) -> PathBuf {
    let yaml = ckptsim::import::import_dir(Path::new(HISTORY)).unwrap();
    let path = dir.join("calib.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn a_simulated_run_is_compared_without_its_metadata_write() {
    let dir = temp("sim");
    let scenario = imported_scenario(&dir);
    let report = dir.join("report");
    let (code, _, err) = ckptsim(&[&"run", &scenario, &format!("--report={}", report.display())]);
    assert_eq!(code, Some(0), "{err}");
    let plot = dir.join("plot.svg");
    let (code, out, err) = ckptsim(&[&"diff", &report, &HISTORY, &"--json", &"--out", &plot]);
    assert_eq!(code, Some(0), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["run_kind"], "simulated");
    assert_eq!(
        json["vertices"][1]["simulated"],
        serde_json::json!(["keyed", "sink: Writer"]),
        "the keyed vertex's chain is its two simulated operators"
    );
    // The report's Flink-shaped history: the same checkpoints after the warm-up.
    let history: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("checkpoints.json")).unwrap()).unwrap();
    let mut completed: Vec<&Value> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "COMPLETED")
        .collect();
    completed.sort_by_key(|c| c["id"].as_u64());
    let steady = &completed[3..];
    assert!(steady.len() >= 2, "{history}");
    let ids: Vec<u64> = steady.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert_eq!(json["simulated"]["checkpoints"], serde_json::json!(ids));
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let with_metadata = median(
        steady
            .iter()
            .map(|c| c["end_to_end_duration"].as_f64().unwrap())
            .collect(),
    );
    let acked = median(
        steady
            .iter()
            .map(|c| (c["latest_ack_timestamp"].as_i64().unwrap() - c["trigger_timestamp"].as_i64().unwrap()) as f64)
            .collect(),
    );
    let compared = row(&json, "(job)", "end to end")["simulated"].as_f64().unwrap();
    // The export's timestamps are whole milliseconds.
    assert!(
        (compared - acked).abs() <= 1.0,
        "{compared} against last ack - trigger {acked}"
    );
    assert!(
        compared + 10.0 < with_metadata,
        "{compared} must leave out the metadata write (20 ms storage latency): {with_metadata}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.contains("keyed -&gt; sink: Writer") || svg.contains("keyed -> sink: Writer"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".") || n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // A scenario file is simulated and gives the same comparison.
    let (code, again, err) = ckptsim(&[&"diff", &scenario, &HISTORY, &"--json"]);
    assert_eq!(code, Some(0), "{err}");
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["rows"], json["rows"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_or_incomplete_flink_folder_exits_2_naming_it() {
    let dir = temp("bad-flink");
    let (code, _, err) = ckptsim(&[&"diff", &HISTORY, &dir.join("absent")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a Flink history") && err.contains("absent"), "{err}");
    for file in ["job.json", "checkpoints_config.json"] {
        std::fs::copy(Path::new(HISTORY).join(file), dir.join(file)).unwrap();
    }
    let (code, _, err) = ckptsim(&[&"diff", &HISTORY, &dir]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("checkpoints.json"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn operators_that_match_no_vertex_are_named_with_a_suggestion() {
    let dir = temp("names");
    let scenario = imported_scenario(&dir);
    let text = std::fs::read_to_string(&scenario)
        .unwrap()
        .replace("\"keyed\"", "\"keyd\"");
    std::fs::write(&scenario, text).unwrap();
    let (code, _, err) = ckptsim(&[&"diff", &scenario, &HISTORY]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("simulated operator `keyd` matches no Flink vertex"),
        "{err}"
    );
    assert!(
        err.contains("closest: `keyed`, chained in vertex `keyed -> sink: Writer`"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_that_is_neither_a_report_nor_a_history_and_a_png_plot_exit_2() {
    let dir = temp("bad-run");
    let (code, _, err) = ckptsim(&[&"diff", &dir, &HISTORY]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("neither a report folder"), "{err}");
    let (code, _, err) = ckptsim(&[&"diff", &HISTORY, &HISTORY, &"--out", &dir.join("plot.png")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("SVG"), "{err}");
    assert!(!dir.join("plot.png").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_warm_up_longer_than_the_history_compares_nothing_without_failing() {
    let (code, out, err) = ckptsim(&[&"diff", &HISTORY, &HISTORY, &"--warm-up", &"10"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("end to end: not compared"), "{out}");
    let (code, out, _) = ckptsim(&[&"diff", &HISTORY, &HISTORY, &"--warm-up", &"0", &"--json"]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["flink"]["checkpoints"], serde_json::json!([1, 2, 3, 4, 5]));
}

#[test]
fn every_real_run_agrees_with_itself_and_reads_its_subtask_parts() {
    for run in common::live_runs() {
        let (code, out, err) = ckptsim(&[&"diff", &run, &run, &"--json"]);
        assert_eq!(code, Some(0), "{}: {err}", run.display());
        let json: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json["flink"]["checkpoints_with_subtask_parts"]
                .as_array()
                .unwrap()
                .len(),
            2,
            "{}",
            run.display()
        );
        for s in json["summary"].as_array().unwrap() {
            assert!(close(&s["within_factor"], 1.0), "{}: {s}", run.display());
        }
    }
}

/// Every shared Flink run, imported with `--calibrate`, simulated and compared with
/// nothing edited by hand, has Flink's dominant phase, the whole job's end to end
/// within 2× of Flink's median and its state, checkpointed and persisted sizes
/// within 1.25×.
#[test]
fn every_shared_run_imported_and_calibrated_comes_out_within_the_factors() {
    for run in common::live_runs() {
        let name = run.file_name().unwrap().to_string_lossy().into_owned();
        let dir = temp(&format!("shared-{name}"));
        let scenario = dir.join("scenario.yaml");
        let report = dir.join("report");
        let (code, _, err) = ckptsim(&[&"import", &"--calibrate", &run, &"-o", &scenario]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let (code, _, err) = ckptsim(&[&"run", &scenario, &format!("--report={}", report.display())]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let (code, out, err) = ckptsim(&[&"diff", &report, &run, &"--json"]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let json: Value = serde_json::from_str(&out).unwrap();
        let dominant = &json["dominant_phase"];
        assert_eq!(
            dominant["simulated"]["phase"], dominant["flink"]["phase"],
            "{name}: {dominant}"
        );
        let ratio = |phase: &str| row(&json, "(job)", phase)["ratio"].as_f64().unwrap();
        let e2e = ratio("end to end");
        assert!((0.5..=2.0).contains(&e2e), "{name}: end to end {e2e}");
        for size in ["state size", "checkpointed size", "persisted size"] {
            let r = ratio(size);
            assert!((0.8..=1.25).contains(&r), "{name}: {size} {r}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
