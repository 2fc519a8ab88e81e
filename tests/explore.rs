//! The fault-schedule explorer: seed ranges, determinism over threads and shards,
//! the shrinker, and the command line's errors.

use ckptsim::explore::{self, SeedResult, parse_seeds, parse_shard};
use ckptsim::fault::{Fault, FaultKind, random_schedule};
use ckptsim::scenario::{self, Scenario};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MS: u64 = 1_000_000;

fn quickstart() -> Scenario {
    scenario::load_file("scenarios/quickstart.yaml".as_ref()).expect("quickstart validates")
}

fn ckptsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(args)
        .output()
        .expect("the binary starts")
}

/// A fresh folder of this test's own, so that parallel tests never share files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-explore-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A results file without its wall times, the one part that may differ.
fn without_wall_times(path: &Path) -> String {
    let content = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    content
        .lines()
        .map(|l| match l.find(",\"wall_ms\":") {
            Some(i) => format!("{}}}", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn seeds_are_a_count_or_a_half_open_range() {
    assert_eq!(parse_seeds("1000"), Ok(0..1000));
    assert_eq!(parse_seeds("10..20"), Ok(10..20));
    assert_eq!(parse_seeds(" 1_000..1_500 "), Ok(1000..1500));
    for bad in ["", "0", "20..10", "5..5", "abc", "1..x", "-3", "1..=5", "..5"] {
        assert!(parse_seeds(bad).is_err(), "`{bad}` should be refused");
    }
    assert_eq!(parse_shard("1/4").map(|s| (s.index, s.count)), Ok((1, 4)));
    assert!(parse_shard("4/4").is_err());
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let scenario = quickstart();
    let one = explore::explore(&scenario, 3..15, 1);
    let two = explore::explore(&scenario, 3..15, 2);
    let plain = |r: &[SeedResult]| r.iter().map(SeedResult::deterministic).collect::<Vec<_>>();
    assert_eq!(plain(&one.results), plain(&two.results));
    assert_eq!(one.violations, two.violations);
    let seeds: Vec<u64> = one.results.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, (3..15).collect::<Vec<_>>());
    // Each seed must really run with its own seed and schedule.
    for r in &one.results {
        assert_eq!(r.faults, random_schedule(&scenario, r.seed).len(), "seed {}", r.seed);
    }
    assert_ne!(one.results[0].digest, one.results[1].digest);
}

#[test]
fn merged_shards_print_and_write_what_an_unsharded_run_does() {
    let dir = scratch("merge");
    let whole = dir.join("whole");
    let parts = dir.join("parts");
    let (w, p) = (whole.to_str().unwrap(), parts.to_str().unwrap());
    let qs = "scenarios/quickstart.yaml";

    let unsharded = ckptsim(&["explore", qs, "--seeds", "5..25", "--jobs", "2", "--out", w]);
    assert_eq!(unsharded.status.code(), Some(0), "{}", text(&unsharded.stderr));
    let expected_file = without_wall_times(&whole.join("results.jsonl"));
    std::fs::remove_file(whole.join("results.jsonl")).unwrap();

    let mut files = Vec::new();
    for shard in ["0/3", "1/3", "2/3"] {
        let out = ckptsim(&[
            "explore", qs, "--seeds", "5..25", "--jobs", "1", "--shard", shard, "--out", p,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let file = parts.join(format!("shard-{}-of-3.jsonl", &shard[..1]));
        assert!(file.exists(), "{} missing", file.display());
        files.push(file.to_str().unwrap().to_string());
    }
    // Given in another order than the shards': the merge sorts by seed.
    let mut args = vec!["explore", "--out", w, "--merge"];
    args.extend([&files[2], &files[0], &files[1]].map(String::as_str));
    let merged = ckptsim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(text(&merged.stdout), text(&unsharded.stdout));
    assert!(
        text(&merged.stdout).contains("seeds 5..25, 20 runs"),
        "{}",
        text(&merged.stdout)
    );
    assert_eq!(without_wall_times(&whole.join("results.jsonl")), expected_file);

    // A missing shard or one given twice is an error, not a smaller exploration.
    let missing = ckptsim(&["explore", "--out", w, "--merge", &files[0], &files[1]]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("missing 1 shard(s): 2/3"),
        "{}",
        text(&missing.stderr)
    );
    let twice = ckptsim(&[
        "explore", "--out", w, "--merge", &files[0], &files[1], &files[1], &files[2],
    ]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        text(&twice.stderr).contains("both hold shard 1/3"),
        "{}",
        text(&twice.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_truncated_or_foreign_file_is_refused_by_merge() {
    let dir = scratch("truncated");
    let d = dir.to_str().unwrap();
    let out = ckptsim(&["explore", "scenarios/quickstart.yaml", "--seeds", "4", "--out", d]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = dir.join("results.jsonl");
    let content = std::fs::read_to_string(&results).unwrap();
    let cut: Vec<&str> = content.lines().take(3).collect();
    let truncated = dir.join("cut.jsonl");
    std::fs::write(&truncated, cut.join("\n")).unwrap();
    let merged = ckptsim(&["explore", "--out", d, "--merge", truncated.to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(2));
    assert!(text(&merged.stderr).contains("cut short"), "{}", text(&merged.stderr));

    let foreign = dir.join("foreign.jsonl");
    std::fs::write(&foreign, "{\"hello\": 1}\n").unwrap();
    let merged = ckptsim(&["explore", "--out", d, "--merge", foreign.to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(2));
    assert!(
        text(&merged.stderr).contains("not an explorer results file"),
        "{}",
        text(&merged.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn disk_full(at_ns: u64, duration_ns: u64) -> Fault {
    Fault {
        at_ns,
        kind: FaultKind::DiskFull {
            taskmanager: 1,
            duration_ns,
        },
    }
}

#[test]
fn the_shrinker_keeps_the_one_fault_that_matters_earlier_and_shorter() {
    let scenario = quickstart();
    let faults = vec![
        Fault {
            at_ns: 300 * MS,
            kind: FaultKind::TaskmanagerCrash {
                taskmanager: 0,
                restart_after_ns: 200 * MS,
            },
        },
        disk_full(1_200 * MS, 400 * MS),
        Fault {
            at_ns: 1_500 * MS,
            kind: FaultKind::StorageOutage {
                duration_ns: 100 * MS,
                hang: true,
            },
        },
    ];
    // Fails iff a disk-full strikes before 1.5 s and lasts at least 50 ms.
    let fails = |f: &[Fault]| {
        f.iter().any(|f| {
            matches!(f.kind, FaultKind::DiskFull { duration_ns, .. } if duration_ns >= 50 * MS) && f.at_ns < 1_500 * MS
        })
    };
    let mut runs = 0;
    let shrunk = explore::shrink(
        &scenario,
        7,
        faults.clone(),
        |f| {
            runs += 1;
            assert!(
                f.windows(2).all(|w| w[0].at_ns <= w[1].at_ns),
                "unsorted candidate {f:?}"
            );
            fails(f)
        },
        200,
    );
    assert!(runs <= 200);
    assert_eq!(shrunk.len(), 1, "{shrunk:?}");
    assert!(fails(&shrunk));
    assert_eq!(shrunk[0].at_ns, 0, "moved to the start: {shrunk:?}");
    let FaultKind::DiskFull { duration_ns, .. } = shrunk[0].kind else {
        panic!("kept the wrong fault: {shrunk:?}");
    };
    // Bisection stops within 1/16 of the value.
    assert!(
        (50 * MS..=50 * MS + 50 * MS / 8).contains(&duration_ns),
        "{duration_ns}"
    );

    // With a budget of 2 runs, only the first drop can be tried: the result still fails.
    let mut calls = 0;
    let bounded = explore::shrink(
        &scenario,
        7,
        faults.clone(),
        |f| {
            calls += 1;
            fails(f)
        },
        2,
    );
    assert_eq!(calls, 2);
    assert!(fails(&bounded));
    assert!(bounded.len() < faults.len());
}

#[test]
fn a_replay_file_reads_back_as_the_schedule_that_failed() {
    let scenario = quickstart();
    let original = std::fs::read_to_string("scenarios/quickstart.yaml").unwrap();
    for seed in 0..20 {
        let faults = random_schedule(&scenario, seed);
        let yaml = scenario::faults::with_faults(&original, &scenario, seed, &faults).unwrap();
        let back = scenario::parse_str(&yaml, "violation-seed.yaml").unwrap();
        assert_eq!((back.seed, &back.faults), (seed, &faults), "seed {seed}");
        assert_eq!(back.name, scenario.name);
    }
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    let dir = scratch("errors");
    let d = dir.to_str().unwrap();
    let qs = "scenarios/quickstart.yaml";
    let cases: [(&[&str], &str); 5] = [
        (&["explore", qs, "--seeds", "9..3", "--out", d], "holds no seed"),
        (&["explore", qs, "--seeds", "ten", "--out", d], "not a whole number"),
        (
            &["explore", qs, "--seeds", "10", "--shard", "3/3", "--out", d],
            "0 <= I < N",
        ),
        (
            &["explore", qs, "--seeds", "10", "--jobs", "0", "--out", d],
            "1 or more",
        ),
        (
            &["explore", "no/such/scenario.yaml", "--seeds", "10", "--out", d],
            "cannot read the scenario",
        ),
    ];
    for (args, message) in cases {
        let out = ckptsim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(message), "{args:?}: {}", text(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Violations with shrunk schedules survive the trip through shard files: the merge
/// prints the same summary, replay commands included, as the unsharded results.
#[test]
fn merging_keeps_violations_and_their_shrunk_schedules() {
    use ckptsim::explore::report::summary_text;
    use ckptsim::explore::shard::{FORMAT, Header, Shard, merge, read_jsonl, to_jsonl};
    let scenario = quickstart();
    let dir = scratch("violations");
    let results: Vec<SeedResult> = (0..10)
        .map(|seed| {
            let faults = random_schedule(&scenario, seed);
            let violated = seed % 4 == 3;
            SeedResult {
                seed,
                held: !violated,
                headline: if violated {
                    "2 difference(s)".into()
                } else {
                    "exactly-once held".into()
                },
                digest: format!("{:016x}", seed * 7919),
                faults: faults.len(),
                fault_kinds: faults.iter().map(|f| f.kind.name().to_string()).collect(),
                recoveries: seed as usize % 3,
                phases: Vec::new(),
                job_failed: false,
                shrunk: violated.then(|| explore::Shrunk {
                    faults: faults[..1].to_vec(),
                    runs: 17,
                }),
                wall_ms: seed as f64,
            }
        })
        .collect();
    let header = Header {
        ckptsim_explore: FORMAT,
        version: "test".into(),
        scenario: scenario.name.clone(),
        scenario_digest: explore::scenario_digest(&scenario),
        scenario_yaml: std::fs::read_to_string("scenarios/quickstart.yaml").unwrap(),
        seeds: 0..10,
        shard: Shard::WHOLE,
        max_shrink_runs: 200,
    };
    let mut files = Vec::new();
    for index in 0..3 {
        let shard = Shard { index, count: 3 };
        let mine: Vec<SeedResult> = results
            .iter()
            .filter(|r| shard.seeds(&(0..10)).contains(&r.seed))
            .cloned()
            .collect();
        let path = dir.join(shard.file_name());
        let shard_header = Header {
            shard,
            ..header.clone()
        };
        std::fs::write(&path, to_jsonl(&shard_header, &mine)).unwrap();
        let (h, r) = read_jsonl(&path).unwrap();
        files.push((path.display().to_string(), h, r));
    }
    let (merged_header, merged) = merge(&files).unwrap();
    assert_eq!(to_jsonl(&merged_header, &merged), to_jsonl(&header, &results));
    let out = Path::new("explore-out");
    let summary = summary_text(&merged_header, &merged, &scenario, out);
    assert_eq!(summary, summary_text(&header, &results, &scenario, out));
    assert!(summary.contains("violated in 2"), "{summary}");
    assert!(summary.contains("VIOLATION seed 7: 2 difference(s)"), "{summary}");
    assert!(summary.contains("shrunk from"), "{summary}");
    assert!(
        summary.contains(&format!(
            "replay: ckptsim run {}",
            out.join("violation-seed-3.yaml").display()
        )),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
