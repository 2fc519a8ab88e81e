//! Reports and exports: the Flink REST export has the shape of real Flink responses
//! (read by the same types), Prometheus metrics carry Flink's names, `run.json`
//! renders the same report again, and fault windows reach every time axis.

use ckptsim::report::flink_rest::{
    CheckpointConfigInfo, CheckpointDetails, CheckpointStatistics, CheckpointingStatistics, ExternalizedCheckpointInfo,
    Quantile, StatsSummary, TaskDetails,
};
use ckptsim::report::{RUN_REPORT_FILES, RunRecord, render_run};
use ckptsim::stats::faults::{FaultRecord, RecoveryRecord};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SAMPLES: &str = "/work/shared/flink-rest-samples";

fn samples_dir() -> Option<PathBuf> {
    // The samples live beside the repository on the project's machines; a checkout
    // elsewhere can point at its own copy.
    let dir = std::env::var("CKPTSIM_FLINK_SAMPLES").unwrap_or_else(|_| SAMPLES.to_string());
    let dir = PathBuf::from(dir);
    if dir.join("checkpoints.json").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: no Flink REST samples at {} (set CKPTSIM_FLINK_SAMPLES)",
            dir.display()
        );
        None
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn quickstart_record() -> RunRecord {
    scenario_record("quickstart")
}

/// The record of a run of a shipped scenario.
fn scenario_record(name: &str) -> RunRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    RunRecord::new(&ckptsim::run::run(ckptsim::scenario::load_file(&path).unwrap()).unwrap())
}

fn files(record: &RunRecord) -> BTreeMap<String, Vec<u8>> {
    render_run(record)
        .unwrap()
        .into_iter()
        .map(|(p, c)| (p.to_string_lossy().into_owned(), c))
        .collect()
}

fn text(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(files.get(name).unwrap_or_else(|| panic!("no {name}")).clone()).unwrap()
}

/// The set of key paths of a JSON value, arrays collapsed to their first element.
fn shape(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                // Task maps are keyed by vertex id: compare their entries, not their ids.
                let key = if k.len() == 32 && k.chars().all(|c| c.is_ascii_hexdigit()) {
                    "<vertex>"
                } else {
                    k
                };
                let path = format!("{at}.{key}");
                out.push(path.clone());
                shape(child, &path, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                shape(first, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
}

fn keys(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    shape(v, "", &mut out);
    out
}

#[test]
fn real_flink_responses_read_with_the_export_types() {
    let Some(dir) = samples_dir() else { return };
    let overview: CheckpointingStatistics = serde_json::from_str(&read(&dir.join("checkpoints.json"))).unwrap();
    assert_eq!(overview.counts.completed, 32);
    assert_eq!(overview.history.len(), 32);
    assert_eq!(overview.latest.completed.as_ref().unwrap().id, 32);
    let details: CheckpointStatistics = serde_json::from_str(&read(&dir.join("checkpoint-details.json"))).unwrap();
    assert_eq!(details.tasks.len(), 2);
    let task: TaskDetails = serde_json::from_str(&read(&dir.join("checkpoint-subtasks.json"))).unwrap();
    assert_eq!(task.subtasks.len(), 2);
    assert_eq!(task.summary.end_to_end_duration.p50, Quantile::Text("NaN".into()));

    // Our summary statistics, computed from Flink's own history, equal Flink's.
    let completed: Vec<&CheckpointStatistics> = overview.history.iter().filter(|c| c.status == "COMPLETED").collect();
    let column = |f: fn(&CheckpointStatistics) -> i64| -> StatsSummary {
        StatsSummary::with_percentiles(&completed.iter().map(|c| f(c)).collect::<Vec<_>>())
    };
    // serde_json reads decimals to within an ulp, so percentiles compare that closely.
    let same = |a: &StatsSummary, b: &StatsSummary| {
        let close = |x: &Quantile, y: &Quantile| match (x, y) {
            (Quantile::Value(x), Quantile::Value(y)) => (x - y).abs() <= x.abs() * 1e-12,
            (x, y) => x == y,
        };
        assert_eq!((a.min, a.max, a.avg), (b.min, b.max, b.avg));
        for (x, y) in [
            (&a.p50, &b.p50),
            (&a.p90, &b.p90),
            (&a.p95, &b.p95),
            (&a.p99, &b.p99),
            (&a.p999, &b.p999),
        ] {
            assert!(close(x, y), "{a:?} against {b:?}");
        }
    };
    same(
        &column(|c| c.end_to_end_duration),
        &overview.summary.end_to_end_duration,
    );
    same(&column(|c| c.processed_data as i64), &overview.summary.processed_data);
    same(
        &column(|c| c.checkpointed_size as i64),
        &overview.summary.checkpointed_size,
    );
    same(&column(|c| c.state_size as i64), &overview.summary.state_size);
}

#[test]
fn the_export_has_the_shape_and_values_of_flinks_rest_api() {
    let record = quickstart_record();
    let files = files(&record);
    let exported: Value = serde_json::from_str(&text(&files, "checkpoints.json")).unwrap();
    let overview: CheckpointingStatistics = serde_json::from_value(exported.clone()).unwrap();
    let report = record.summary.checkpoints.as_ref().unwrap();
    assert_eq!(overview.counts.total, report.triggered);
    assert_eq!(overview.counts.completed, report.completed);
    assert_eq!(overview.counts.failed, report.failed);
    assert_eq!(overview.history.len(), report.checkpoints.len());
    // Newest first, durations in milliseconds.
    let newest = report.checkpoints.last().unwrap();
    assert_eq!(overview.history[0].id, newest.id);
    let first = &report.checkpoints[0];
    let exported_first = overview.history.iter().find(|c| c.id == first.id).unwrap();
    let e2e_ms = first.end_to_end_duration.unwrap() as f64 / 1e6;
    assert!(
        (exported_first.end_to_end_duration as f64 - e2e_ms).abs() <= 0.5,
        "{e2e_ms}"
    );
    assert_eq!(
        exported_first.trigger_timestamp,
        (first.trigger_timestamp / 1_000_000) as i64
    );
    let last_completed = report
        .checkpoints
        .iter()
        .rev()
        .find(|c| c.status == "COMPLETED")
        .unwrap();
    assert_eq!(overview.latest.completed.as_ref().unwrap().id, last_completed.id);
    // The quickstart's last checkpoint fails at shutdown, as Flink reports it.
    let failed = overview.latest.failed.as_ref().expect("a failed checkpoint");
    assert_eq!(
        failed.failure_message.as_deref(),
        Some("CHECKPOINT_COORDINATOR_SHUTDOWN")
    );

    let all: BTreeMap<String, CheckpointDetails> =
        serde_json::from_str(&text(&files, "checkpoints-details.json")).unwrap();
    assert_eq!(all.len(), report.checkpoints.len());
    let all_json: Value = serde_json::from_str(&text(&files, "checkpoints-details.json")).unwrap();
    let details = all_json[first.id.to_string()]["details"].clone();
    let parsed: CheckpointStatistics = serde_json::from_value(details.clone()).unwrap();
    assert_eq!(parsed.tasks.len(), 3, "source, aggregate, sink");
    let acks: u64 = parsed.tasks.values().map(|t| t.num_acknowledged_subtasks).sum();
    assert_eq!(acks, first.num_acknowledged_subtasks as u64);
    let vertex = parsed.tasks.keys().next().unwrap().clone();
    let task_json = all_json[first.id.to_string()]["subtasks"][&vertex].clone();
    let task: TaskDetails = serde_json::from_value(task_json.clone()).unwrap();
    assert_eq!(task.subtasks.len(), 2);
    assert!(task.subtasks.iter().all(|s| s.class_name == "completed"));

    // Field for field the shape of real responses (when the samples are at hand).
    let Some(dir) = samples_dir() else { return };
    let real: Value = serde_json::from_str(&read(&dir.join("checkpoints.json"))).unwrap();
    // Compare history entries of the same kind: our newest is the failed one.
    let mut exported = exported;
    if let Some(history) = exported["history"].as_array_mut() {
        history.retain(|c| c["status"] == "COMPLETED");
    }
    let mut ours = keys(&exported);
    let theirs = keys(&real);
    // Flink's sample has no failed checkpoint in its history; ours does.
    ours.retain(|k| !k.contains("failure_") && !k.starts_with(".latest.failed."));
    assert_eq!(ours, theirs);
    let real_details: Value = serde_json::from_str(&read(&dir.join("checkpoint-details.json"))).unwrap();
    assert_eq!(keys(&details), keys(&real_details));
    let real_task: Value = serde_json::from_str(&read(&dir.join("checkpoint-subtasks.json"))).unwrap();
    assert_eq!(keys(&task_json), keys(&real_task));
}

#[test]
fn prometheus_metrics_use_flinks_names_and_the_runs_values() {
    let record = quickstart_record();
    let files = files(&record);
    let prom = text(&files, "metrics.prom");
    let report = record.summary.checkpoints.as_ref().unwrap();
    let value = |name: &str| -> Vec<f64> {
        prom.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
            .collect()
    };
    assert_eq!(
        value("flink_jobmanager_job_numberOfCompletedCheckpoints"),
        vec![report.completed as f64]
    );
    assert_eq!(
        value("flink_jobmanager_job_numberOfFailedCheckpoints"),
        vec![report.failed as f64]
    );
    assert_eq!(
        value("flink_jobmanager_job_totalNumberOfCheckpoints"),
        vec![report.triggered as f64]
    );
    let last = report
        .checkpoints
        .iter()
        .rev()
        .find(|c| c.status == "COMPLETED")
        .unwrap();
    assert_eq!(
        value("flink_jobmanager_job_lastCheckpointSize"),
        vec![last.checkpointed_size as f64]
    );
    let duration_ms = value("flink_jobmanager_job_lastCheckpointDuration")[0];
    assert!((duration_ms - last.end_to_end_duration.unwrap() as f64 / 1e6).abs() <= 0.5);
    // One task sample per subtask, labelled as Flink labels them.
    let alignment: Vec<&str> = prom
        .lines()
        .filter(|l| l.starts_with("flink_taskmanager_job_task_checkpointAlignmentTime{"))
        .collect();
    assert_eq!(alignment.len(), record.summary.subtasks.len());
    assert!(alignment[0].contains("job_name=\"quickstart\""), "{}", alignment[0]);
    assert!(alignment[0].contains("subtask_index=\"0\""), "{}", alignment[0]);
    assert!(alignment[0].contains("task_name=\"source\""), "{}", alignment[0]);
    assert_eq!(value("flink_taskmanager_job_task_checkpointStartDelayNanos").len(), 6);
    // Every line is a comment or `name{labels} number`.
    for line in prom.lines() {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP flink_") || line.starts_with("# TYPE flink_"),
                "{line}"
            );
            continue;
        }
        let (series, number) = line.rsplit_once(' ').unwrap();
        assert!(number.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("flink_") && series.ends_with('}'), "{line}");
    }
}

/// Every file of a report drawn again from its `run.json` is byte for byte the same,
/// for a run whose ratios need every digit of an f64 to read back (backpressure).
#[test]
fn run_json_renders_the_same_report_again() {
    for scenario in ["quickstart", "backpressure"] {
        let record = scenario_record(scenario);
        let first = files(&record);
        let json = String::from_utf8(first["run.json"].clone()).unwrap();
        let dir = std::env::temp_dir().join(format!("ckptsim-runjson-{scenario}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.json"), &json).unwrap();
        let again = RunRecord::read(&dir.join("run.json")).unwrap();
        let second = files(&again);
        assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
        for (name, contents) in &first {
            assert!(
                *contents == second[name],
                "{scenario}: {name} differs after reading run.json back"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The verdict reaches the three files that state it, in the words each uses, for a
/// run that held and for one that did not.
#[test]
fn the_report_states_the_verdict_it_was_given() {
    let held = quickstart_record();
    let mut violated = held.clone();
    violated.verdict["held"] = Value::Bool(false);
    for (record, cell, row, field) in [
        (
            &held,
            "<td class=\"good\">held</td>",
            "| exactly-once | held |",
            "\"held\":true",
        ),
        (
            &violated,
            "<td class=\"bad\">VIOLATED</td>",
            "| exactly-once | **violated** |",
            "\"held\":false",
        ),
    ] {
        let files = files(record);
        let page = text(&files, "index.html");
        assert!(
            page.contains(&format!(
                "<tr><td>exactly-once</td>{cell}</tr><tr><td>trace digest</td>"
            )),
            "index.html lacks {cell}"
        );
        assert!(
            text(&files, "summary.md").contains(&format!("{row}\n")),
            "summary.md lacks {row}"
        );
        let run_json = text(&files, "run.json");
        let verdict_at = run_json.rfind("\"verdict\":").expect("run.json ends with the verdict");
        assert!(
            run_json[verdict_at..].contains(field),
            "run.json's verdict lacks {field}"
        );
    }
}

/// A run's report consists of exactly the files `ckptsim run --report` opens ahead.
#[test]
fn the_report_files_are_the_listed_ones() {
    let drawn: Vec<String> = files(&quickstart_record()).into_keys().collect();
    let mut listed: Vec<String> = RUN_REPORT_FILES.iter().map(|name| name.to_string()).collect();
    listed.sort();
    assert_eq!(drawn, listed);
}

#[test]
fn a_report_names_what_the_run_shows() {
    let record = quickstart_record();
    let files = files(&record);
    let md = text(&files, "summary.md");
    // The quickstart is healthy: small checkpoints, no backpressure.
    assert!(md.contains("No subtask was backpressured."), "{md}");
    assert!(md.contains("Nothing to change"), "{md}");
    let report = record.summary.checkpoints.as_ref().unwrap();
    assert!(md.contains(&format!(
        "{} triggered, {} completed",
        report.triggered, report.completed
    )));
    let csv = text(&files, "checkpoints.csv");
    assert_eq!(csv.lines().count(), report.checkpoints.len() + 1);
    let html = text(&files, "index.html");
    assert_eq!(html.matches("<figure").count(), ckptsim::report::plots::RUN_PLOTS.len());
    // Self-contained: nothing to fetch, nothing to run.
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="));
}

#[test]
fn faults_and_recoveries_are_marked_on_every_time_axis() {
    let mut record = quickstart_record();
    record.summary.faults.push(FaultRecord {
        at_ns: 700_000_000,
        until_ns: Some(900_000_000),
        kind: "taskmanager-crash".into(),
        target: "taskmanager 1".into(),
        fails_tasks: true,
        phases: Vec::new(),
    });
    record.summary.recoveries.push(RecoveryRecord {
        failed_at_ns: 700_000_000,
        running_at_ns: Some(950_000_000),
        cause: "taskmanager 1 crashed".into(),
        restored_checkpoint: Some(1),
        reprocessed_records: 1234,
        attempt: 1,
        restored_from: None,
        restarted_subtasks: None,
        resubmitted: false,
    });
    let files = files(&record);
    for plot in ["checkpoints-over-time.svg", "throughput-backpressure.svg"] {
        let svg = text(&files, plot);
        // The window's label on each panel, and the legend.
        assert_eq!(svg.matches("taskmanager-crash").count(), 2, "{plot}");
        assert!(svg.contains("fault window"), "{plot}");
        assert!(svg.contains("running again"), "{plot}");
    }
    let plain = self::files(&quickstart_record());
    assert!(!text(&plain, "throughput-backpressure.svg").contains("fault window"));
    let overview: CheckpointingStatistics = serde_json::from_str(&text(&files, "checkpoints.json")).unwrap();
    assert_eq!(overview.counts.restored, 1);
    let restored = overview.latest.restored.unwrap();
    assert_eq!((restored.id, restored.restore_timestamp), (1, 950));
    let prom = text(&files, "metrics.prom");
    assert!(prom.contains("flink_jobmanager_job_numRestarts{"));
    assert!(
        prom.lines()
            .any(|l| l.starts_with("flink_jobmanager_job_numRestarts{") && l.ends_with(" 1"))
    );
    let md = text(&files, "summary.md");
    assert!(md.contains("replayed 1234 records"), "{md}");
}

/// `ckptsim run scenarios/quickstart.yaml --report=DIR` and more arguments.
fn run_quickstart_report(dir: &Path, more: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml")])
        .arg(format!("--report={}", dir.display()))
        .args(more)
        .output()
        .unwrap()
}

#[test]
fn the_cli_writes_and_rerenders_a_report() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-cli");
    let _ = std::fs::remove_dir_all(&dir);
    let run = run_quickstart_report(&dir, &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for f in [
        "index.html",
        "summary.md",
        "checkpoints.json",
        "metrics.prom",
        "checkpoints.csv",
        "run.json",
        "phases.svg",
        "timeline.svg",
        "checkpoints-over-time.svg",
        "throughput-backpressure.svg",
        "alignment-heatmap.svg",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    // Written again into the same folder: every file replaced, no temporary file left.
    let rerun = run_quickstart_report(&dir, &[]);
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut listed: Vec<String> = RUN_REPORT_FILES.iter().map(|name| name.to_string()).collect();
    listed.sort();
    assert_eq!(left, listed);
    let again = dir.join("again");
    let report = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["report"])
        .arg(dir.join("run.json"))
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    assert_eq!(
        std::fs::read(dir.join("index.html")).unwrap(),
        std::fs::read(again.join("index.html")).unwrap()
    );
    // Bad input: a clear message and exit code 2.
    std::fs::write(dir.join("bad.json"), "{\"summary\": 3}").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .arg("report")
        .arg(dir.join("bad.json"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("not a ckptsim run.json"),
        "{stderr}"
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["report", "/nonexistent/run.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    // A report folder that cannot be created fails before the simulation runs.
    let unwritable = run_quickstart_report(&dir.join("index.html").join("below-a-file"), &[]);
    assert_eq!(unwritable.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unwritable.stderr);
    assert!(stderr.contains("cannot create output folder"), "{stderr}");
    assert!(!String::from_utf8_lossy(&unwritable.stdout).contains("simulated"));
    // A report folder holding something else is refused before the run: replacing
    // it whole would lose what it holds.
    let blocked = dir.join("blocked");
    std::fs::create_dir_all(blocked.join("phases.svg")).unwrap();
    let refused = run_quickstart_report(&blocked, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("simulated"));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("phases.svg") && stderr.contains("not a file of the report"),
        "{stderr}"
    );
    assert!(blocked.join("phases.svg").is_dir());
}

/// The config answer of every real Flink run at hand: the REST sample and the live runs.
fn real_configs() -> Vec<(PathBuf, String)> {
    let mut paths: Vec<PathBuf> = samples_dir()
        .map(|d| d.join("checkpoints-config.json"))
        .into_iter()
        .collect();
    let live = std::env::var("CKPTSIM_FLINK_LIVE").unwrap_or_else(|_| "/work/shared/flink-live".into());
    if let Ok(runs) = std::fs::read_dir(&live) {
        paths.extend(
            runs.flatten()
                .map(|r| r.path().join("checkpoints_config.json"))
                .filter(|p| p.exists()),
        );
    }
    paths.sort();
    paths.into_iter().map(|p| (p.clone(), read(&p))).collect()
}

#[test]
fn the_config_export_has_the_shape_of_flinks() {
    let ours: Value = serde_json::from_str(&text(&files(&quickstart_record()), "checkpoints-config.json")).unwrap();
    for (path, real) in real_configs() {
        let real: Value = serde_json::from_str(&real).unwrap();
        // Read by the export's type, which refuses unknown fields.
        let _: CheckpointConfigInfo = serde_json::from_value(real.clone()).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(keys(&ours), keys(&real), "{}", path.display());
    }
}

/// The quickstart job with `config` in place of its own Flink keys.
fn quickstart_with(config: &str) -> RunRecord {
    let text = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml"));
    let text = text.replace(
        "  execution.checkpointing.interval: 500ms\n",
        &config.lines().map(|l| format!("  {l}\n")).collect::<String>(),
    );
    let scenario = ckptsim::scenario::parse_str(&text, "quickstart-config.yaml").unwrap();
    RunRecord::new(&ckptsim::run::run(scenario).unwrap())
}

#[test]
fn the_config_export_shows_the_scenarios_own_settings() {
    let record = quickstart_with(
        "execution.checkpointing.interval: 750ms
execution.checkpointing.timeout: 45s
execution.checkpointing.min-pause: 120ms
execution.checkpointing.tolerable-failed-checkpoints: 4
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
execution.checkpointing.unaligned.enabled: true
execution.checkpointing.aligned-checkpoint-timeout: 150ms
state.backend.type: rocksdb
execution.checkpointing.incremental: true",
    );
    let exported: CheckpointConfigInfo =
        serde_json::from_str(&text(&files(&record), "checkpoints-config.json")).unwrap();
    assert_eq!(
        exported,
        CheckpointConfigInfo {
            mode: "exactly_once".into(),
            interval: 750,
            timeout: 45_000,
            min_pause: 120,
            max_concurrent: 1,
            externalization: ExternalizedCheckpointInfo {
                enabled: true,
                delete_on_cancellation: false,
            },
            state_backend: "EmbeddedRocksDBStateBackend".into(),
            checkpoint_storage: "FileSystemCheckpointStorage".into(),
            unaligned_checkpoints: true,
            tolerable_failed_checkpoints: 4,
            aligned_checkpoint_timeout: 150,
            checkpoints_after_tasks_finish: true,
            state_changelog_enabled: false,
            changelog_periodic_materialization_interval: 600_000,
            changelog_storage: "memory".into(),
        }
    );
    let other = quickstart_with(
        "execution.checkpointing.interval: 300ms
execution.checkpointing.mode: AT_LEAST_ONCE
execution.checkpointing.max-concurrent-checkpoints: 3
execution.checkpointing.externalized-checkpoint-retention: DELETE_ON_CANCELLATION",
    );
    let exported: CheckpointConfigInfo =
        serde_json::from_str(&text(&files(&other), "checkpoints-config.json")).unwrap();
    assert_eq!(
        (exported.mode.as_str(), exported.interval, exported.max_concurrent),
        ("at_least_once", 300, 3)
    );
    assert_eq!(
        exported.externalization,
        ExternalizedCheckpointInfo {
            enabled: true,
            delete_on_cancellation: true,
        }
    );
    assert_eq!(exported.tolerable_failed_checkpoints, 0);
}
