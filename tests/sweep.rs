//! `ckptsim sweep`: the grid runs, in parallel or not with the same results, the
//! report names the best settings, and bad keys or values are clear errors (exit 2).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");

fn sweep(args: &[&str], out: &Path) -> Output {
    common::grid_command("sweep", QUICKSTART.as_ref(), args, out)
}

fn dir(name: &str) -> PathBuf {
    common::tmp_dir(name)
}

#[test]
fn a_sweep_runs_the_grid_and_names_the_best_settings() {
    let out = dir("sweep-grid");
    let args = [
        "--set",
        "execution.checkpointing.interval=200ms,500ms",
        "--set",
        "duration=1s",
        "--seeds",
        "2",
        "--jobs",
        "2",
    ];
    let run = sweep(&args, &out);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        json["runs"].as_array().unwrap().len(),
        4,
        "2 intervals × 1 duration × 2 seeds"
    );
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // A 200 ms interval completes more checkpoints in 1 s than a 500 ms one.
    let completed = |interval: &str| -> u64 {
        json["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["settings"][0][1] == interval)
            .map(|r| r["metrics"]["completed"].as_u64().unwrap())
            .sum()
    };
    assert!(completed("200ms") > completed("500ms"), "{json}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(
        csv.starts_with("execution.checkpointing.interval,duration,seed,"),
        "{csv}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("Best throughput"), "{stdout}");
    // Each metric against each parameter.
    let svgs = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "svg"))
        .count();
    assert_eq!(svgs, 10 * 2);
    assert!(
        out.join("sweep-e2e-p99-ms-vs-execution-checkpointing-interval.svg")
            .exists()
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("<figure").count(), 20);

    // One thread gives the same runs: parallelism is only across runs.
    let serial = dir("sweep-serial");
    let mut one = args.to_vec();
    *one.last_mut().unwrap() = "1";
    let run = sweep(&one, &serial);
    assert!(run.status.success());
    assert_eq!(csv, std::fs::read_to_string(serial.join("sweep.csv")).unwrap());
}

#[test]
fn bad_keys_and_values_name_the_key_and_exit_2() {
    let out = dir("sweep-bad");
    let cases: [(&str, &[&str]); 4] = [
        (
            "execution.checkpointing.intervall=1s",
            &[
                "execution.checkpointing.intervall",
                "did you mean `execution.checkpointing.interval`",
            ],
        ),
        ("cluster.taskmanagers=two", &["cluster.taskmanagers=two"]),
        (
            "job.operators.nope.parallelism=2",
            &["job.operators.nope.parallelism", "no element named `nope`"],
        ),
        ("duration", &["--set duration", "KEY=VALUE"]),
    ];
    for (set, needles) in cases {
        let run = sweep(&["--set", set], &out);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{set}: {stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{set}: `{needle}` not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
