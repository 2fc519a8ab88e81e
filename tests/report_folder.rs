//! A report folder is replaced whole: a `ckptsim run --report` killed at any step of
//! writing its report leaves the previous report or the new one, whole, with no
//! temporary file in the folder; and a write that fails (a file too large for the
//! file-size limit, as a full disk fails it) leaves no temporary file behind in the
//! output of `run --report`, `run --out`, `explore --out` or `sweep --out`.

use ckptsim::report::RUN_REPORT_FILES;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");

/// A fresh folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-folder-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ckptsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ckptsim"))
}

fn run_report(dir: &Path, seed: u64, kill_at: Option<&str>) -> Output {
    run_report_renaming(dir, seed, kill_at, false)
}

/// A run with `--report=DIR`; with `rename_only`, the folder is replaced by two renames,
/// as where folders cannot be swapped in one step.
fn run_report_renaming(dir: &Path, seed: u64, kill_at: Option<&str>, rename_only: bool) -> Output {
    let mut command = ckptsim();
    command
        .args(["run", QUICKSTART, "--seed", &seed.to_string()])
        .arg(format!("--report={}", dir.display()));
    if let Some(step) = kill_at {
        command.env("CKPTSIM_TEST_KILL_AT", step);
    }
    if rename_only {
        command.env("CKPTSIM_TEST_RENAME_ONLY", "1");
    }
    command.output().unwrap()
}

/// Every file of a folder by name, with its contents.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The names in a folder, sorted: files and folders.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn report_names() -> Vec<String> {
    let mut names: Vec<String> = RUN_REPORT_FILES.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// The report of a run of the quickstart with `seed`, written into a folder of its own.
fn report_of(parent: &Path, seed: u64) -> BTreeMap<String, Vec<u8>> {
    let dir = parent.join(format!("reference-{seed}"));
    let out = run_report(&dir, seed, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    contents(&dir)
}

// The kill hooks are honoured by debug builds only.
#[cfg(all(unix, debug_assertions))]
#[test]
fn a_run_killed_at_any_step_of_writing_its_report_leaves_a_whole_report() {
    use std::os::unix::process::ExitStatusExt;
    let parent = scratch("killed");
    let (old, new) = (report_of(&parent, 1), report_of(&parent, 2));
    assert_eq!(old.keys().cloned().collect::<Vec<_>>(), report_names());
    assert_ne!(old["run.json"], new["run.json"]);
    let dir = parent.join("quickstart");
    let mut steps: Vec<String> = RUN_REPORT_FILES.iter().map(|f| format!("staging:{f}")).collect();
    steps.extend(["staged".to_string(), "swapped".to_string()]);
    for step in &steps {
        // The previous report: seed 1; the one being written when the run is killed: seed 2.
        let out = run_report(&dir, 1, None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let killed = run_report(&dir, 2, Some(step));
        assert_eq!(killed.status.signal(), Some(9), "{step}: not killed");
        assert!(
            String::from_utf8_lossy(&killed.stdout).contains("trace digest"),
            "{step}"
        );
        assert_whole_report(&dir, step, if step == "swapped" { &new } else { &old });
    }
    // The next report removes what the killed runs left beside the folder.
    let out = run_report(&dir, 3, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let beside: Vec<String> = names(&parent).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(beside.is_empty(), "left beside the report folder: {beside:?}");
    std::fs::remove_dir_all(parent).unwrap();
}

/// After a run killed at `step`, the folder holds exactly the files of `expected`'s report.
#[cfg(all(unix, debug_assertions))]
fn assert_whole_report(dir: &Path, step: &str, expected: &BTreeMap<String, Vec<u8>>) {
    let left = contents(dir);
    assert_eq!(
        left.keys().cloned().collect::<Vec<_>>(),
        report_names(),
        "{step}: the folder holds other files"
    );
    for (name, bytes) in &left {
        assert!(bytes == &expected[name], "{step}: {name} is not the expected report's");
    }
}

#[cfg(all(unix, debug_assertions))]
#[test]
fn a_run_killed_between_the_two_renames_leaves_the_previous_report_for_the_next_run() {
    use std::os::unix::process::ExitStatusExt;
    let parent = scratch("killed-renaming");
    let (old, new) = (report_of(&parent, 1), report_of(&parent, 2));
    let dir = parent.join("quickstart");
    let mut steps: Vec<String> = RUN_REPORT_FILES.iter().map(|f| format!("staging:{f}")).collect();
    steps.extend(["staged", "moved-aside", "swapped"].map(String::from));
    for step in &steps {
        let out = run_report_renaming(&dir, 1, None, true);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let killed = run_report_renaming(&dir, 2, Some(step), true);
        assert_eq!(killed.status.signal(), Some(9), "{step}: not killed");
        if step == "moved-aside" {
            // The folder is missing; the previous report is whole beside it. The next
            // run puts it back before anything else: killed before its own swap, it
            // leaves the previous report in the folder.
            assert!(!dir.exists(), "{step}");
            let next = run_report_renaming(&dir, 2, Some("staged"), true);
            assert_eq!(next.status.signal(), Some(9), "{step}: the next run was not killed");
        }
        assert_whole_report(&dir, step, if step == "swapped" { &new } else { &old });
    }
    let out = run_report_renaming(&dir, 3, None, true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let beside: Vec<String> = names(&parent).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(beside.is_empty(), "left beside the report folder: {beside:?}");
    std::fs::remove_dir_all(parent).unwrap();
}

/// Runs `ckptsim ARGS` with writes of files over `kib` KiB failing (EFBIG), as a full
/// disk fails them: the file-size limit, with its signal ignored.
#[cfg(unix)]
fn with_file_size_limit(kib: u32, args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_ckptsim"))
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_report_that_cannot_be_written_leaves_the_previous_one_and_no_temporary_file() {
    let parent = scratch("too-large");
    let dir = parent.join("quickstart");
    let out = run_report(&dir, 1, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = contents(&dir);
    let summary = parent.join("summary");
    let failed = with_file_size_limit(
        8,
        &["run", QUICKSTART, "--seed", "2", &format!("--report={}", dir.display())],
    );
    assert_eq!(failed.status.code(), Some(2));
    // The run's summary is out before the report's error.
    assert!(String::from_utf8_lossy(&failed.stdout).contains("trace digest"));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("cannot write") && stderr.contains("quickstart"),
        "{stderr}"
    );
    assert!(contents(&dir) == before, "the previous report changed");
    assert_eq!(names(&parent), ["quickstart"], "left beside the report folder");

    // run --out: summary.json is larger than the limit.
    let out = with_file_size_limit(8, &["run", QUICKSTART, "--out", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(names(&summary).is_empty(), "left in --out: {:?}", names(&summary));
    std::fs::remove_dir_all(parent).unwrap();
}

#[cfg(unix)]
#[test]
fn explore_and_sweep_outputs_that_cannot_be_written_leave_no_temporary_file() {
    let parent = scratch("too-large-batch");
    let explore = parent.join("explore");
    let out = with_file_size_limit(
        1,
        &[
            "explore",
            QUICKSTART,
            "--seeds",
            "20",
            "--jobs",
            "1",
            "--out",
            explore.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        names(&explore).is_empty(),
        "left in explore --out: {:?}",
        names(&explore)
    );

    let sweep = parent.join("sweep");
    let out = with_file_size_limit(
        8,
        &[
            "sweep",
            QUICKSTART,
            "--set",
            "execution.checkpointing.interval=200ms,400ms",
            "--jobs",
            "1",
            "--out",
            sweep.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(names(&sweep).is_empty(), "left in sweep --out: {:?}", names(&sweep));
    assert_eq!(names(&parent), ["explore", "sweep"], "left beside the outputs");
    std::fs::remove_dir_all(parent).unwrap();
}
