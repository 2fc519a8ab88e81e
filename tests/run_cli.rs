//! `ckptsim run`'s own outputs: the text summary, `--json` on stdout and `--out`'s
//! `summary.json`, as a user reads them.

use serde_json::Value;
use std::process::Command;

fn run_quickstart(more: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml")])
        .args(more)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The quickstart's trace digest and verdict, as the JSON of a run states them.
fn assert_quickstart(json: &Value) {
    assert_eq!(json["summary"]["trace_digest"], "a5fcab343c744fc2");
    assert_eq!(json["check"]["held"], true);
    assert_eq!(json["scenario"]["name"], "quickstart");
}

#[test]
fn json_prints_the_run_as_one_json_document_and_nothing_else() {
    let output = run_quickstart(&["--json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_quickstart(&json);
}

#[test]
fn out_writes_summary_json_and_prints_the_text_summary() {
    let dir = std::env::temp_dir().join(format!("ckptsim-run-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = run_quickstart(&["--out", dir.to_str().unwrap()]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("trace digest a5fcab343c744fc2"), "{stdout}");
    assert!(
        stdout.contains(&format!("wrote {}", dir.join("summary.json").display())),
        "{stdout}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_quickstart(&json);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_json_the_run_prints_its_summary_as_text_only() {
    let output = run_quickstart(&[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("ckptsim run `quickstart`"), "{stdout}");
    assert!(stdout.contains("exactly-once: held"), "{stdout}");
    assert!(!stdout.contains("\"summary\""), "{stdout}");
}

#[test]
fn a_shorter_duration_leaves_out_a_trigger_past_its_end_and_says_so() {
    let output = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/min-pause.yaml")])
        .args(["--duration", "2s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--duration 2.000s: checkpointing.triggers[0] at 5.000s lies past the end, left out"),
        "{stderr}"
    );
}
