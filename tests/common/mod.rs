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
