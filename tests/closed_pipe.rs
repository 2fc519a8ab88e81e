//! A reader that stops early (`ckptsim run | head -1`) ends the command quietly, as it
//! ends any command-line tool: no panic message, no exit code 101.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_run_without_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml")])
        // Long enough that the run is still simulating when the pipe closes.
        .args(["--duration", "20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("ckptsim run `quickstart`"), "{first}");
    // The reader, and with it the pipe's read end, is dropped here.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
