//! `ckptsim import`: real Flink runs and a hand-made folder become scenarios that
//! `ckptsim run` accepts, with the plan's topology and the checkpoint configuration;
//! missing and malformed files are errors naming the file and the field, exit 2.

mod common;

use ckptsim::import::import_dir;
use ckptsim::scenario::parse_str;
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const HAND_MADE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/import-rest");

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn every_real_run_imports_with_its_plan_and_checkpoint_configuration() {
    for run in common::live_runs() {
        let text = import_dir(&run).unwrap_or_else(|e| panic!("{}: {e}", run.display()));
        let scenario = parse_str(&text, "imported.yaml").unwrap_or_else(|e| panic!("{}: {e}\n{text}", run.display()));
        let job = json(&run.join("job.json"));
        let nodes = job["plan"]["nodes"].as_array().unwrap();
        // Every plan node is an operator; a terminal vertex chained with its sink
        // becomes its keyed operator and the sink.
        let names: Vec<&str> = scenario.operators.iter().map(|o| o.name.as_str()).collect();
        for node in nodes {
            let chain: Vec<&str> = node["description"].as_str().unwrap().split("<br/>").collect();
            let first = chain[0].trim();
            let op = scenario
                .operators
                .iter()
                .find(|o| o.name == first)
                .unwrap_or_else(|| panic!("{}: no operator `{first}` in {names:?}", run.display()));
            assert_eq!(
                op.parallelism as u64,
                node["parallelism"].as_u64().unwrap(),
                "{}",
                run.display()
            );
        }
        assert!(scenario.operators.len() >= nodes.len(), "{}", run.display());

        let config = json(&run.join("checkpoints_config.json"));
        let interval_ms = config["interval"].as_u64().unwrap();
        assert_eq!(
            scenario.checkpointing.interval_ns,
            Some(interval_ms * 1_000_000),
            "{}",
            run.display()
        );
        let doc = yaml(&text);
        let mode = doc["config"]["execution.checkpointing.mode"].as_str().unwrap();
        assert_eq!(
            mode.to_ascii_lowercase(),
            config["mode"].as_str().unwrap(),
            "{}",
            run.display()
        );
        let unaligned = doc["config"]["execution.checkpointing.unaligned.enabled"]
            .as_bool()
            .unwrap();
        assert_eq!(
            unaligned,
            config["unaligned_checkpoints"].as_bool().unwrap(),
            "{}",
            run.display()
        );
    }
}

#[test]
fn an_imported_real_run_completes_and_holds() {
    for run in common::live_runs() {
        let text = import_dir(&run).unwrap();
        let mut scenario = parse_str(&text, "imported.yaml").unwrap();
        // The real runs are 40–60 s; 3 s of input still takes checkpoints.
        scenario.duration_ns = 3_000_000_000;
        let outcome = ckptsim::run::run(scenario).expect("valid");
        assert!(
            outcome.verdict.held,
            "{}: {:?}",
            run.display(),
            outcome.verdict.anomalies
        );
    }
}

#[test]
fn every_value_says_where_it_came_from_or_that_it_is_assumed() {
    let text = import_dir(Path::new(HAND_MADE)).unwrap();
    // Structure (names, kinds, edge ends, mapping headers) needs no comment; values do.
    let structural = ["name:", "- name:", "description:", "kind:", "- from:", "to:"];
    for line in text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains(':'))
    {
        let trimmed = line.trim_start();
        if structural.iter().any(|s| trimmed.starts_with(s)) || trimmed.ends_with(':') {
            continue;
        }
        assert!(line.contains("  # "), "no provenance comment: {line}");
    }
    assert!(
        text.contains("cpu-per-record: 1us  # assumption: default 1us"),
        "{text}"
    );
    assert!(
        text.contains("bandwidth: 200mb/s  # assumption: default 200mb/s"),
        "{text}"
    );
    assert!(text.contains("latency: 100us  # assumption: default 100us"), "{text}");
}

/// The hand-made folder's explicit inputs (see its README) give these values.
#[test]
fn hand_made_folder_gives_the_expected_scenario() {
    let text = import_dir(Path::new(HAND_MADE)).unwrap();
    let scenario = parse_str(&text, "imported.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let doc = yaml(&text);
    let config = &doc["config"];
    let key = |k: &str| config[k].clone();
    assert_eq!(key("execution.checkpointing.interval"), Value::from("500ms"));
    assert_eq!(key("execution.checkpointing.mode"), Value::from("EXACTLY_ONCE"));
    assert_eq!(key("execution.checkpointing.timeout"), Value::from("30000ms"));
    assert_eq!(key("execution.checkpointing.min-pause"), Value::from("100ms"));
    assert_eq!(
        key("execution.checkpointing.max-concurrent-checkpoints"),
        Value::from(1)
    );
    assert_eq!(
        key("execution.checkpointing.tolerable-failed-checkpoints"),
        Value::from(3)
    );
    assert_eq!(
        key("execution.checkpointing.externalized-checkpoint-retention"),
        Value::from("RETAIN_ON_CANCELLATION")
    );
    assert_eq!(key("execution.checkpointing.unaligned.enabled"), Value::from(true));
    assert_eq!(
        key("execution.checkpointing.aligned-checkpoint-timeout"),
        Value::from("50ms")
    );
    assert_eq!(key("state.backend.type"), Value::from("rocksdb"));
    assert_eq!(key("execution.checkpointing.incremental"), Value::from(true));
    assert_eq!(key("taskmanager.numberOfTaskSlots"), Value::from(2));
    assert_eq!(doc["cluster"]["taskmanagers"], Value::from(2));
    assert_eq!(doc["cluster"]["cpu-cores"], Value::from(4));
    assert_eq!(doc["duration"], Value::from("12000ms"));

    let ops: Vec<(&str, &str, u64)> = doc["job"]["operators"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["parallelism"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("Source: numbers", "source", 2),
            ("parse", "map", 2),
            ("sum", "aggregate", 4),
            ("Sink: out", "sink", 4)
        ]
    );
    let source = &doc["job"]["operators"][0];
    assert_eq!(source["rate"], Value::from(5000));
    assert_eq!(source["record-size"], Value::from("50b"));
    // Median of 2400 and 2900 B per subtask (3000 less the persisted in-flight data;
    // checkpoints 1–3 are warm-up), × 4 subtasks / 24 B per simulated entry.
    assert_eq!(source["keys"]["count"], Value::from(441));
    let mut edges: Vec<(&str, &str, &str)> = doc["job"]["edges"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["partitioning"].as_str().unwrap(),
            )
        })
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            ("Source: numbers", "parse", "forward"),
            ("parse", "sum", "hash"),
            ("sum", "Sink: out", "forward")
        ]
    );
    assert!(
        text.contains("rate: 5000  # vertices/aaaa0000000000000000000000000001/metrics: numRecordsOutPerSecond.sum"),
        "{text}"
    );
    assert!(
        text.contains("# checkpoints.json: checkpoints 1, 2, 3 dropped as warm-up"),
        "{text}"
    );
    let outcome = ckptsim::run::run(scenario).expect("valid");
    assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
}

/// A copy of the hand-made folder in a fresh temporary place, to break.
fn copy_of_hand_made(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(Path::new(HAND_MADE), &dir);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn import_cli(dir: &Path, out: Option<&Path>) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ckptsim"));
    cmd.arg("import").arg(dir);
    if let Some(out) = out {
        cmd.arg("-o").arg(out);
    }
    let output = cmd.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_missing_checkpoints_config_names_the_file_and_exits_2() {
    let dir = copy_of_hand_made("missing");
    std::fs::remove_file(dir.join("checkpoints/config")).unwrap();
    let (code, stderr) = import_cli(&dir, None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("checkpoints/config"), "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_field_is_named_with_its_file() {
    let dir = copy_of_hand_made("field");
    let config = dir.join("checkpoints/config");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"interval\": 500,", "");
    std::fs::write(&config, text).unwrap();
    let error = import_dir(&dir).unwrap_err();
    assert!(error.file.ends_with("checkpoints/config"), "{error}");
    assert_eq!(error.field.as_deref(), Some("interval"), "{error}");
    let (code, stderr) = import_cli(&dir, None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("checkpoints/config: interval: missing"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_json_names_the_file_and_position_and_exits_2() {
    let dir = copy_of_hand_made("malformed");
    std::fs::write(dir.join("checkpoints.json"), "{\"history\": [ {\"id\": 1,, }").unwrap();
    let out = dir.join("out.yaml");
    let (code, stderr) = import_cli(&dir, Some(&out));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("checkpoints.json: invalid JSON at line 1 column"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written on an error");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrongly_typed_field_is_named_with_its_path() {
    let dir = copy_of_hand_made("typed");
    let path = dir.join("checkpoints/details/4");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\"num_subtasks\": 4", "\"num_subtasks\": \"four\"", 1);
    std::fs::write(&path, text).unwrap();
    let error = import_dir(&dir).unwrap_err();
    assert!(error.file.ends_with("checkpoints/details/4"), "{error}");
    assert_eq!(
        error.field.as_deref(),
        Some("tasks.cccc0000000000000000000000000003.num_subtasks"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_output_file_is_written_and_accepted_by_validate() {
    let dir = copy_of_hand_made("output");
    let out = dir.join("scenario.yaml");
    let (code, stderr) = import_cli(Path::new(HAND_MADE), Some(&out));
    assert_eq!(code, Some(0), "{stderr}");
    let status = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .arg("validate")
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

const CALIBRATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/calibrate-rest");

/// The value and comment of `key` in the scenario text: `  key: value  # comment`,
/// searched after the line holding `after` (an operator's name), if given.
fn line_of<'a>(text: &'a str, after: Option<&str>, key: &str) -> &'a str {
    let start = after.map_or(0, |a| text.find(a).unwrap_or_else(|| panic!("no `{a}` in\n{text}")));
    text[start..]
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no `{key}` after {after:?} in\n{text}"))
}

#[test]
fn calibration_fits_the_hand_made_history_to_its_known_values() {
    let (yaml_text, calibration) = ckptsim::import::import_dir_calibrated(Path::new(CALIBRATE)).unwrap();
    let fitted = |key: &str| {
        calibration
            .fits
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("{key} not fitted: {calibration:?}"))
            .clone()
    };
    let latency = fitted("cluster.checkpoint-storage.latency");
    assert_eq!(latency.value, "5000us", "the outlier must not move the intercept");
    assert_eq!(latency.points, 8);
    let bandwidth = fitted("cluster.checkpoint-storage.bandwidth");
    assert_eq!(bandwidth.value, "1000mb/s");
    assert!(bandwidth.data.contains("196608–1310720 B"), "{}", bandwidth.data);
    assert!(bandwidth.data.contains("checkpoints 4, 5"), "{}", bandwidth.data);
    assert_eq!(fitted("job.operators[keyed].cpu-per-record").value, "50000ns");
    assert_eq!(fitted("job.operators[Source: gen].rate").value, "20000");
    let segment = fitted("config.taskmanager.memory.segment-size");
    assert_eq!(segment.value, "16384b", "384 KiB persisted over 24 input buffers");
    assert_eq!(segment.points, 2);
    assert!(
        calibration
            .defaults
            .iter()
            .any(|(k, why)| k == "job.operators[Source: gen].cpu-per-record" && why.contains("no metrics")),
        "{calibration:?}"
    );
    // The fitted values are what the scenario says, each commented as calibrated.
    let storage = line_of(&yaml_text, Some("checkpoint-storage:"), "bandwidth");
    assert!(storage.contains("1000mb/s  # calibrated:"), "{storage}");
    assert!(line_of(&yaml_text, Some("checkpoint-storage:"), "latency").contains("5000us  # calibrated:"));
    assert!(line_of(&yaml_text, Some("\"keyed\""), "cpu-per-record").contains("50000ns  # calibrated:"));
    assert!(line_of(&yaml_text, Some("\"sink: Writer\""), "cpu-per-record").contains("0ns  # calibrated:"));
    assert!(line_of(&yaml_text, Some("\"Source: gen\""), "rate").contains("20000  # calibrated:"));
    assert!(line_of(&yaml_text, Some("\"Source: gen\""), "cpu-per-record").contains("1us  # assumption"));
    let scenario = parse_str(&yaml_text, "calibrated.yaml").unwrap_or_else(|e| panic!("{e}\n{yaml_text}"));
    assert_eq!(scenario.network.buffer_size_bytes, 16384);
}

#[test]
fn calibration_is_printed_with_its_data_and_the_defaults_it_kept() {
    let out = std::env::temp_dir().join(format!("ckptsim-calibrated-{}.yaml", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["import", "--calibrate", CALIBRATE, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cluster.checkpoint-storage.bandwidth = 1000mb/s"),
        "{stderr}"
    );
    assert!(stderr.contains("Theil-Sen"), "{stderr}");
    assert!(stderr.contains("data: 8 points:"), "{stderr}");
    assert!(stderr.contains("stayed defaults:"), "{stderr}");
    assert!(
        stderr.contains("job.operators[Source: gen].cpu-per-record: no metrics"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# calibrated by `ckptsim import --calibrate`"), "{text}");
    std::fs::remove_file(out).unwrap();
}

#[test]
fn calibration_of_a_history_without_details_keeps_every_default_and_says_why() {
    let dir = std::env::temp_dir().join(format!("ckptsim-calibrate-bare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["job.json", "checkpoints_config.json"] {
        std::fs::copy(Path::new(CALIBRATE).join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("checkpoints.json"), r#"{"history": []}"#).unwrap();
    let (yaml_text, calibration) = ckptsim::import::import_dir_calibrated(&dir).unwrap();
    assert!(calibration.fits.is_empty(), "{calibration:?}");
    let kept: Vec<&str> = calibration.defaults.iter().map(|(k, _)| k.as_str()).collect();
    for key in [
        "cluster.checkpoint-storage.latency",
        "cluster.checkpoint-storage.bandwidth",
        "job.operators[Source: gen].rate",
        "job.operators[keyed].cpu-per-record",
        "config.taskmanager.memory.segment-size",
    ] {
        assert!(kept.contains(&key), "{key} not among the defaults kept: {kept:?}");
    }
    assert!(calibration.render("x").contains("nothing could be fitted"));
    parse_str(&yaml_text, "calibrated.yaml").unwrap_or_else(|e| panic!("{e}\n{yaml_text}"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_real_run_calibrates_its_storage_into_a_valid_scenario() {
    for run in common::live_runs() {
        let (text, calibration) = ckptsim::import::import_dir_calibrated(&run).unwrap();
        parse_str(&text, "calibrated.yaml").unwrap_or_else(|e| panic!("{}: {e}\n{text}", run.display()));
        let bandwidth = calibration
            .fits
            .iter()
            .find(|f| f.key == "cluster.checkpoint-storage.bandwidth")
            .unwrap_or_else(|| panic!("{}: no storage fit: {calibration:?}", run.display()));
        // Every run uploads about 4.7 MB per keyed subtask in tens to hundreds of ms.
        let mib: f64 = bandwidth.value.trim_end_matches("mb/s").parse().unwrap();
        assert!((100.0..5000.0).contains(&mib), "{}: {}", run.display(), bandwidth.value);
        assert!(bandwidth.points >= 4, "{bandwidth:?}");
    }
}

/// A history already full at its first checkpoint (Flink keeps only the latest ones)
/// shows no growth, but the job's `start-time` bounds it: the state was full by then.
/// Every checkpoint holds 10600 B, the first triggered 2.12 s after the start: at 5000
/// records/s at most 5000 × 2.12 = 10600 keys, the details' 2650 B × 4 subtasks over
/// them 1 B each.
#[test]
fn a_history_without_growth_is_bounded_by_the_jobs_start() {
    let dir = copy_of_hand_made("full-from-start");
    let path = dir.join("checkpoints.json");
    let mut doc = json(&path);
    let start = 1_700_000_000_000u64;
    for c in doc["history"].as_array_mut().unwrap() {
        let id = c["id"].as_u64().unwrap();
        c["trigger_timestamp"] = serde_json::json!(start + 2120 + (id - 1) * 500);
        if c["status"] == "COMPLETED" {
            c["state_size"] = serde_json::json!(10600);
        }
    }
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    let job = dir.join("jobs/0123456789abcdef0123456789abcdef.json");
    let mut job_doc = json(&job);
    job_doc["start-time"] = serde_json::json!(start);
    std::fs::write(&job, serde_json::to_string(&job_doc).unwrap()).unwrap();
    let text = import_dir(&dir).unwrap();
    let doc = yaml(&text);
    let source = &doc["job"]["operators"][0];
    assert_eq!(source["keys"]["distribution"], Value::from("sequence"), "{text}");
    assert_eq!(source["keys"]["count"], Value::from(10600), "{text}");
    assert_eq!(doc["job"]["operators"][2]["state-per-key"], Value::from("1b"), "{text}");
    assert!(text.contains("2.1 s after the job's start-time"), "{text}");
    // Without a start time nothing bounds it: the assumed bytes per key stand.
    job_doc.as_object_mut().unwrap().remove("start-time");
    std::fs::write(&job, serde_json::to_string(&job_doc).unwrap()).unwrap();
    let text = import_dir(&dir).unwrap();
    assert!(text.contains("an assumed 24 B per key"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A keyed state that grows by G B/s at R records/s to a plateau P holds, one new
/// key per record, R × P / G keys of (its keyed bytes / keys) each: the hand-made
/// history grows 1000 → 6000 B in 0.5 s (10000 B/s) to 10600 B; at 5000 records/s that
/// is 5000 × 1.06 s = 5300 keys, and the details' 2650 B × 4 subtasks over them 2 B each.
#[test]
fn keys_and_bytes_per_key_follow_the_state_growth_in_the_history() {
    let dir = copy_of_hand_made("growth");
    let path = dir.join("checkpoints.json");
    let mut doc = json(&path);
    for c in doc["history"].as_array_mut().unwrap() {
        let id = c["id"].as_u64().unwrap();
        c["trigger_timestamp"] = serde_json::json!(1_700_000_000_000u64 + (id - 1) * 500);
        if c["status"] == "COMPLETED" {
            c["state_size"] = serde_json::json!(match id {
                1 => 1000,
                2 => 6000,
                _ => 10600,
            });
        }
    }
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    let text = import_dir(&dir).unwrap();
    let doc = yaml(&text);
    let source = &doc["job"]["operators"][0];
    assert_eq!(source["keys"]["distribution"], Value::from("sequence"), "{text}");
    assert_eq!(source["keys"]["count"], Value::from(5300), "{text}");
    assert_eq!(doc["job"]["operators"][2]["state-per-key"], Value::from("2b"), "{text}");
    assert!(text.contains("grew 10000 B/s over checkpoints 1, 2"), "{text}");
    let scenario = parse_str(&text, "imported.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = ckptsim::run::run(scenario).expect("valid");
    assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
    let _ = std::fs::remove_dir_all(&dir);
}
