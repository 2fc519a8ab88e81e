//! The cluster recipes in deploy/: the Slurm scripts run the shards and the merge a
//! user submits, the Kubernetes manifest's shard count agrees with itself, and a merge
//! of a wrong set of shard files names what is wrong.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_ckptsim");
const SEEDS: &str = "0..24";

fn ckptsim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary starts")
}

/// A fresh folder of this test's own, so that parallel tests never share files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-shard-merge-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", text(&out.stdout), text(&out.stderr))
}

/// Runs a deploy/slurm script with bash, as a Slurm node would, with `env` set.
fn slurm_script(name: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command.arg(Path::new("deploy/slurm").join(name));
    command
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT");
    command.envs(env.iter().copied()).env("CKPTSIM", BIN);
    command.output().expect("bash starts")
}

/// A results file's seeds, verdicts and digests: everything but the header and the
/// wall times, which differ between an unsharded run and a merge.
fn seed_lines(path: &Path) -> Vec<String> {
    let content = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    content
        .lines()
        .skip(1)
        .map(|l| l.split(",\"wall_ms\":").next().unwrap().to_string())
        .collect()
}

fn seeds_in(lines: &[String]) -> BTreeSet<u64> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&format!("{l}}}")).unwrap();
            v["seed"].as_u64().unwrap()
        })
        .collect()
}

/// Shard files 0/3, 1/3 and 2/3 of SEEDS, written by the binary into `dir`.
fn three_shards(dir: &Path) -> Vec<String> {
    (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            let out = ckptsim(&[
                "explore",
                "scenarios/quickstart.yaml",
                "--seeds",
                SEEDS,
                "--shard",
                &shard,
                "--jobs",
                "1",
                "--out",
                dir.to_str().unwrap(),
            ]);
            assert!(out.status.code().unwrap() <= 1, "{}", show(&out));
            dir.join(format!("shard-{i}-of-3.jsonl")).display().to_string()
        })
        .collect()
}

#[test]
fn the_slurm_scripts_parse() {
    for script in ["deploy/slurm/explore-array.sh", "deploy/slurm/merge.sh"] {
        let out = Command::new("bash").args(["-n", script]).output().unwrap();
        assert!(out.status.success(), "{script}: {}", show(&out));
    }
}

/// The seed range explored in one process into `dir/whole`: what the shards must add up to.
fn explore_unsharded(dir: &Path) -> (PathBuf, Output) {
    let whole = dir.join("whole");
    let out = ckptsim(&[
        "explore",
        "scenarios/quickstart.yaml",
        "--seeds",
        SEEDS,
        "--out",
        whole.to_str().unwrap(),
    ]);
    (whole, out)
}

#[test]
fn the_slurm_array_and_merge_give_what_one_unsharded_run_gives() {
    let dir = scratch("slurm");
    let (whole, unsharded) = explore_unsharded(&dir);
    let code = unsharded.status.code().unwrap();
    assert!(code <= 1, "{}", show(&unsharded));

    let shards = dir.join("shards");
    let out = shards.to_str().unwrap();
    // Tasks finish in any order on a cluster; run them out of order here too.
    for task in ["2", "0", "1"] {
        let run = slurm_script(
            "explore-array.sh",
            &[
                ("SLURM_ARRAY_TASK_ID", task),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
                ("SEEDS", SEEDS),
                ("OUT", out),
            ],
        );
        // A violation is a result: the task must succeed so that afterok runs the merge.
        assert_eq!(run.status.code(), Some(0), "task {task}: {}", show(&run));
        assert!(shards.join(format!("shard-{task}-of-3.jsonl")).exists());
    }
    let merged = slurm_script("merge.sh", &[("SHARDS", "3"), ("OUT", out)]);
    assert_eq!(merged.status.code(), Some(code), "{}", show(&merged));
    assert_eq!(
        text(&merged.stdout).replace(out, "DIR"),
        text(&unsharded.stdout).replace(whole.to_str().unwrap(), "DIR")
    );

    let expected = seed_lines(&whole.join("results.jsonl"));
    let got = seed_lines(&shards.join("results.jsonl"));
    assert_eq!(seeds_in(&got), (0..24).collect::<BTreeSet<u64>>());
    assert_eq!(got, expected, "same seeds, verdicts and trace digests");
}

#[test]
fn the_slurm_array_script_refuses_to_run_without_its_task_id() {
    let run = slurm_script("explore-array.sh", &[("SLURM_ARRAY_TASK_COUNT", "3")]);
    assert_ne!(run.status.code(), Some(0));
    assert!(text(&run.stderr).contains("SLURM_ARRAY_TASK_ID"), "{}", show(&run));
}

#[test]
fn merging_shards_given_out_of_order_equals_the_unsharded_run() {
    let dir = scratch("cli");
    let files = three_shards(&dir.join("shards"));
    let (whole, unsharded) = explore_unsharded(&dir);
    let merged_dir = dir.join("merged");
    let merged = ckptsim(&[
        "explore",
        "--out",
        merged_dir.to_str().unwrap(),
        "--merge",
        &files[2],
        &files[0],
        &files[1],
    ]);
    assert_eq!(merged.status.code(), unsharded.status.code(), "{}", show(&merged));
    let summary = |o: &Output| text(&o.stdout).lines().take(4).collect::<Vec<_>>().join("\n");
    assert_eq!(summary(&merged), summary(&unsharded));
    assert_eq!(
        seed_lines(&merged_dir.join("results.jsonl")),
        seed_lines(&whole.join("results.jsonl"))
    );
}

/// A merge that must fail with exit 2 and an error containing every one of `needles`.
fn assert_refused(files: &[&str], needles: &[&str]) {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let out_dir = scratch(&format!("refused-{}", CALLS.fetch_add(1, Ordering::Relaxed)));
    let mut args = vec!["explore", "--out", out_dir.to_str().unwrap(), "--merge"];
    args.extend_from_slice(files);
    let out = ckptsim(&args);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    for needle in needles {
        assert!(text(&out.stderr).contains(needle), "no `{needle}` in: {}", show(&out));
    }
    assert!(
        !out_dir.join("results.jsonl").exists(),
        "a refused merge writes no results"
    );
}

#[test]
fn a_missing_or_duplicated_shard_is_named() {
    let dir = scratch("wrong-set");
    let files = three_shards(&dir);
    assert_refused(
        &[&files[2], &files[0]],
        &["missing 1 shard(s): 1/3", "shard-1-of-3.jsonl"],
    );
    assert_refused(&[&files[1]], &["missing 2 shard(s): 0/3", "2/3"]);
    let copy = dir.join("copy-of-shard-1.jsonl");
    std::fs::copy(&files[1], &copy).unwrap();
    let copy = copy.to_str().unwrap();
    assert_refused(
        &[&files[0], &files[1], copy, &files[2]],
        &[copy, &files[1], "both hold shard 1/3"],
    );
}

#[test]
fn shards_of_another_exploration_are_named() {
    let dir = scratch("foreign");
    let files = three_shards(&dir.join("ours"));
    let other = |scenario: &str, seeds: &str, shard: &str, name: &str| {
        let out_dir = dir.join(name);
        let out = ckptsim(&[
            "explore",
            scenario,
            "--seeds",
            seeds,
            "--shard",
            shard,
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(out.status.code().unwrap() <= 1, "{}", show(&out));
        let (i, n) = shard.split_once('/').unwrap();
        out_dir.join(format!("shard-{i}-of-{n}.jsonl")).display().to_string()
    };
    let seeds = other("scenarios/quickstart.yaml", "0..30", "1/3", "seeds");
    assert_refused(&[&files[0], &seeds, &files[2]], &[&seeds, "seeds 0..30 against 0..24"]);
    let scenario = other("scenarios/quickstart-timeout.yaml", SEEDS, "1/3", "scenario");
    assert_refused(&[&files[0], &scenario, &files[2]], &[&scenario, "quickstart-timeout"]);
    let count = other("scenarios/quickstart.yaml", SEEDS, "1/4", "count");
    assert_refused(&[&files[0], &count, &files[2]], &[&count, "shard count 4 against 3"]);

    let format = dir.join("format.jsonl");
    let content = std::fs::read_to_string(&files[1]).unwrap();
    std::fs::write(
        &format,
        content.replacen("\"ckptsim_explore\":1", "\"ckptsim_explore\":9", 1),
    )
    .unwrap();
    let format = format.to_str().unwrap();
    assert_refused(&[&files[0], format, &files[2]], &[format, "results format 9"]);
}

#[test]
fn the_kubernetes_job_runs_one_shard_per_index_and_merges_them_all() {
    let text = std::fs::read_to_string("deploy/kubernetes/explore-job.yaml").unwrap();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("each document is YAML"))
        .collect();
    let job = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Job {name}"))
    };
    let command = |job: &serde_yaml::Value| {
        job["spec"]["template"]["spec"]["containers"][0]["args"][0]
            .as_str()
            .unwrap()
            .to_string()
    };

    let shards = job("ckptsim-explore");
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    let n = shards["spec"]["completions"].as_u64().unwrap();
    let run = command(shards);
    assert!(run.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")), "{run}");
    // The image from deploy/Dockerfile holds the scenario the pods run.
    let dockerfile = std::fs::read_to_string("deploy/Dockerfile").unwrap();
    assert!(dockerfile.contains("cargo build --release") && dockerfile.contains("COPY scenarios/ /scenarios/"));
    assert!(
        run.contains("ckptsim explore /scenarios/quickstart.yaml") && Path::new("scenarios/quickstart.yaml").exists()
    );
    let merge = command(job("ckptsim-explore-merge"));
    assert!(
        merge.contains(&format!("--merge /results/quickstart/shard-*-of-{n}.jsonl")),
        "{merge}"
    );

    let claim = docs
        .iter()
        .find(|d| d["kind"] == "PersistentVolumeClaim")
        .expect("a claim");
    for j in [shards, job("ckptsim-explore-merge")] {
        assert_eq!(
            j["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            claim["metadata"]["name"]
        );
    }
}
