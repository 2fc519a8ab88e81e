//! `ckptsim compare`: every protocol runs the same scenario and seeds, the report has
//! a row per protocol (and setting), the table is the same however many runs go at
//! once, and bad protocol names or refused combinations are clear errors (exit 2).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");

fn compare(scenario: &Path, args: &[&str], out: &Path) -> Output {
    common::grid_command("compare", scenario, args, out)
}

fn dir(name: &str) -> PathBuf {
    common::tmp_dir(name)
}

fn json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_comparison_reports_one_row_per_protocol() {
    let out = dir("compare-rows");
    let run = compare(
        QUICKSTART.as_ref(),
        &["--set", "duration=1s", "--seeds", "2", "--jobs", "2"],
        &out,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    for file in ["index.html", "compare.csv", "compare.json", "summary.md"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let svgs = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".svg"))
        .count();
    assert!(svgs > 0, "no plots");
    let json = json(&out);
    let protocols: Vec<&str> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["settings"][0][1].as_str().unwrap())
        .collect();
    assert_eq!(protocols, ["coordinated", "uncoordinated", "communication-induced"]);
    assert_eq!(json["runs"].as_array().unwrap().len(), 6, "3 protocols × 2 seeds");
    // The protocols' own costs: message logs only without barriers, piggybacked
    // dependency vectors only for the communication-induced protocol.
    let value = |protocol: &str, key: &str| -> f64 {
        let row = json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["settings"][0][1] == protocol)
            .unwrap();
        let values = row["values"].as_array().unwrap();
        let pair = values.iter().find(|v| v[0] == key).unwrap();
        pair[1].as_f64().unwrap()
    };
    assert_eq!(value("coordinated", "log_bytes"), 0.0);
    assert!(value("uncoordinated", "log_bytes") > 0.0);
    assert_eq!(value("uncoordinated", "protocol_network_bytes"), 0.0);
    assert!(value("communication-induced", "protocol_network_bytes") > 0.0);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for p in protocols {
        assert_eq!(
            md.lines().filter(|l| l.starts_with(&format!("| {p} |"))).count(),
            1,
            "{md}"
        );
    }
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "a header and one line per run");
}

#[test]
fn a_second_axis_gives_a_row_per_protocol_and_setting() {
    let out = dir("compare-axis");
    let run = compare(
        QUICKSTART.as_ref(),
        &["--protocols", "coordinated,uncoordinated", "--set", "duration=500ms,1s"],
        &out,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let rows = json(&out)["rows"].as_array().unwrap().len();
    assert_eq!(rows, 4);
}

#[test]
fn the_table_is_the_same_for_the_same_seeds_however_many_run_at_once() {
    let args = |jobs: &'static str| ["--set", "duration=1s", "--seeds", "2", "--jobs", jobs];
    let (a, b) = (dir("compare-det-1"), dir("compare-det-2"));
    assert!(compare(QUICKSTART.as_ref(), &args("1"), &a).status.success());
    assert!(compare(QUICKSTART.as_ref(), &args("2"), &b).status.success());
    assert_eq!(json(&a)["rows"], json(&b)["rows"]);
    assert_eq!(
        std::fs::read_to_string(a.join("summary.md")).unwrap(),
        std::fs::read_to_string(b.join("summary.md")).unwrap()
    );
}

#[test]
fn an_unknown_protocol_is_named_with_the_valid_ones() {
    let out = dir("compare-unknown");
    let run = compare(
        QUICKSTART.as_ref(),
        &["--protocols", "coordinated,chandy-lamport"],
        &out,
    );
    assert_eq!(run.status.code(), Some(2));
    let e = stderr(&run);
    assert!(e.contains("`chandy-lamport`"), "{e}");
    assert!(e.contains("coordinated, uncoordinated, communication-induced"), "{e}");
    assert!(!out.exists(), "no report for bad input");
}

#[test]
fn a_protocol_the_scenario_refuses_is_named_with_its_setting() {
    let out = dir("compare-refused");
    let run = compare(
        QUICKSTART.as_ref(),
        &["--set", "execution.checkpointing.unaligned.enabled=false,true"],
        &out,
    );
    assert_eq!(run.status.code(), Some(2));
    let e = stderr(&run);
    assert!(
        e.contains(
            "protocol `uncoordinated` with execution.checkpointing.unaligned.enabled=true is refused by this scenario"
        ),
        "{e}"
    );
    assert!(e.contains("checkpoints without barriers"), "{e}");
    assert!(!e.contains("panicked"), "{e}");

    // A scenario file that sets a timer jitter has no coordinated variant.
    let jittered = dir("compare-jittered.yaml");
    let text = std::fs::read_to_string(QUICKSTART).unwrap().replace(
        "execution.checkpointing.interval: 500ms",
        "execution.checkpointing.interval: 500ms\n  ckptsim.checkpointing.protocol: uncoordinated\n  \
         ckptsim.checkpointing.timer-jitter: 100ms",
    );
    std::fs::write(&jittered, text).unwrap();
    let run = compare(&jittered, &[], &out);
    assert_eq!(run.status.code(), Some(2));
    let e = stderr(&run);
    assert!(e.contains("protocol `coordinated` is refused by this scenario"), "{e}");
    assert!(e.contains("timer-jitter"), "{e}");
}
