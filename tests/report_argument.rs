//! `--report` takes a folder only as `--report=DIR`: `--report SCENARIO` runs the
//! scenario into the default folder, a scenario path that does not exist is an error
//! naming it (never a run of the built-in quickstart), and a report folder that names
//! a file is an error too. Bad input: exit code 2.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh folder for one test, the current folder of the commands it runs.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-argument-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ckptsim(dir: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");

#[test]
fn report_followed_by_a_scenario_runs_that_scenario_into_the_default_folder() {
    let dir = scratch("scenario-after");
    let out = ckptsim(&dir, &["run", "--report", QUICKSTART]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("reports/quickstart/index.html").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_misspelt_scenario_after_report_is_an_error_naming_it() {
    let dir = scratch("misspelt");
    let out = ckptsim(&dir, &["run", "--report", "scenarios/quikstart.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("scenarios/quikstart.yaml") && stderr.contains("cannot read the scenario"),
        "{stderr}"
    );
    // Neither the quickstart ran nor a folder was made of the path.
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let made: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(made.is_empty(), "{made:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn report_equals_dir_writes_into_that_folder() {
    let dir = scratch("equals");
    let out = ckptsim(&dir, &["run", QUICKSTART, "--report=mine"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("mine/index.html").is_file());
    assert!(!dir.join("reports").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_report_folder_that_names_a_file_is_an_error_and_the_file_stays() {
    let dir = scratch("file");
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = ckptsim(&dir, &["run", QUICKSTART, "--report=notes.txt"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("notes.txt") && stderr.contains("is a file, not a folder"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_folder_given_the_old_way_is_an_error_that_shows_the_new_way() {
    let dir = scratch("old-way");
    let out = ckptsim(&dir, &["run", "--report", "my-report"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("my-report") && stderr.contains("use --report=DIR"),
        "{stderr}"
    );
    assert!(!dir.join("my-report").exists() && !dir.join("reports").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
