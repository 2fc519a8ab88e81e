//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ckptsim::scenario::{self, Scenario};
use std::path::PathBuf;

/// Every shipped scenario file, in name order.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

pub fn load(path: &std::path::Path) -> Scenario {
    scenario::load_file(path).unwrap_or_else(|e| panic!("{e}"))
}

pub fn parse(text: &str) -> Scenario {
    scenario::parse_str(text, "test.yaml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario and asserts that exactly-once held.
pub fn run_held(scenario: Scenario) -> ckptsim::run::Outcome {
    let outcome = ckptsim::run::run(scenario).unwrap();
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    outcome
}

/// Runs a scenario text (exactly-once must hold) and gives, per completed checkpoint
/// in id order, the acknowledged parts of `operator`'s subtasks; at least `min`
/// checkpoints must have completed.
pub fn completed_parts(text: &str, operator: usize, min: usize) -> Vec<Vec<ckptsim::model::world::SubtaskBreakdown>> {
    let report = run_held(parse(text)).summary.checkpoints.expect("checkpoints");
    let completed: Vec<u64> = report
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED")
        .map(|c| c.id)
        .collect();
    assert!(completed.len() >= min, "{completed:?}");
    completed
        .iter()
        .map(|&id| {
            report
                .subtasks
                .iter()
                .filter(|b| b.checkpoint_id == id && b.operator == operator)
                .cloned()
                .collect()
        })
        .collect()
}

/// Runs `ckptsim COMMAND SCENARIO ARGS --out OUT` (`sweep`, `compare`) into a fresh
/// folder.
pub fn grid_command(
    command: &str,
    scenario: &std::path::Path,
    args: &[&str],
    out: &std::path::Path,
) -> std::process::Output {
    let _ = std::fs::remove_dir_all(out);
    std::process::Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .arg(command)
        .arg(scenario)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A folder under the test build's temp folder.
pub fn tmp_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The real Flink runs in `../shared/flink-live` (or `$CKPTSIM_FLINK_LIVE`), each a
/// folder with a `job.json`, sorted; none, with a note, when the folder is absent.
pub fn live_runs() -> Vec<PathBuf> {
    let live = std::env::var("CKPTSIM_FLINK_LIVE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/flink-live").to_string());
    let Ok(entries) = std::fs::read_dir(&live) else {
        println!("note: {live} is absent; the tests of real Flink runs are skipped");
        return Vec::new();
    };
    let mut runs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("job.json").is_file())
        .collect();
    runs.sort();
    runs
}

/// A scenario whose job is a chain of `operators` maps between a source and a sink.
pub fn chain(operators: usize) -> String {
    let mut text = String::from("duration: 1s\njob:\n  operators:\n");
    text += "    - {name: src, kind: source, rate: 10}\n";
    for i in 0..operators {
        text += &format!("    - {{name: m{i}, kind: map}}\n");
    }
    text += "    - {name: out, kind: sink}\n  edges:\n";
    let mut previous = "src".to_string();
    for i in 0..operators {
        text += &format!("    - {{from: {previous}, to: m{i}}}\n");
        previous = format!("m{i}");
    }
    text += &format!("    - {{from: {previous}, to: out}}\n");
    text
}
