//! Bad input never panics, hangs or exhausts memory: scenario files mutated the ways
//! files go wrong (flipped bytes, truncation, a value of the wrong type, extreme
//! numbers), and command lines put together from the real flags and bad values.
//! Each ends with a result (or exit 0, 1 or 2) in bounded time; every refusal names
//! where it is.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ckptsim::scenario::budget::Estimate;
use ckptsim::scenario::{self, ScenarioError};
use proptest::prelude::*;

/// Every shipped scenario's text, by file name.
fn shipped() -> Vec<(String, String)> {
    common::shipped_scenarios()
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Values of the wrong type or beyond every limit, put where a scalar was.
const CONFUSIONS: &[&str] = &[
    "[1, 2]",
    "{a: 1}",
    "~",
    "yes",
    "-1",
    "0",
    "1e400",
    "\"\"",
    "18446744073709551616",
    "1000000000000",
    "1000000000000000",
    "nan",
    ".inf",
    "10000h",
    "0s",
    "1ns",
    "0b",
    "64mb",
    "*missing",
    "&anchor",
    "!!binary aGk=",
    "\"\\uD800\"",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace byte `at` (modulo the length) with `byte`.
    Flip { at: usize, byte: u8 },
    /// Keep the first `keep` bytes (modulo the length).
    Truncate { keep: usize },
    /// Replace the value after the `nth` `: ` with `CONFUSIONS[value]`.
    Confuse { nth: usize, value: usize },
    /// Repeat line `nth` (a duplicated key, or an item twice).
    Duplicate { nth: usize },
    /// Multiply the `nth` whole number in the text by `factor` (0 included).
    Scale { nth: usize, factor: u64 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        (any::<usize>(), 0..CONFUSIONS.len()).prop_map(|(nth, value)| Mutation::Confuse { nth, value }),
        any::<usize>().prop_map(|nth| Mutation::Duplicate { nth }),
        (any::<usize>(), prop::sample::select(vec![0u64, 2, 10, 1000, 1_000_000]))
            .prop_map(|(nth, factor)| Mutation::Scale { nth, factor }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::Flip { at, byte } => {
            let mut bytes = text.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Truncate { keep } => {
            let mut keep = keep % text.len();
            while !text.is_char_boundary(keep) {
                keep -= 1;
            }
            text[..keep].to_string()
        }
        Mutation::Confuse { nth, value } => {
            let spots: Vec<usize> = text.match_indices(": ").map(|(i, _)| i + 2).collect();
            let Some(&start) = spots.get(nth % spots.len().max(1)) else {
                return text.to_string();
            };
            let end = text[start..]
                .find(['\n', ',', '}', '#'])
                .map_or(text.len(), |i| start + i);
            format!("{}{}{}", &text[..start], CONFUSIONS[value], &text[end..])
        }
        Mutation::Duplicate { nth } => {
            let lines: Vec<&str> = text.lines().collect();
            let i = nth % lines.len();
            let mut out: Vec<&str> = lines[..=i].to_vec();
            out.extend_from_slice(&lines[i..]);
            out.join("\n")
        }
        Mutation::Scale { nth, factor } => {
            let bytes = text.as_bytes();
            let mut numbers = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    numbers.push((start, i));
                } else {
                    i += 1;
                }
            }
            let Some(&(start, end)) = numbers.get(nth % numbers.len().max(1)) else {
                return text.to_string();
            };
            let value: u128 = text[start..end].parse::<u128>().unwrap_or(0) * u128::from(factor);
            format!("{}{value}{}", &text[..start], &text[end..])
        }
    }
}

/// A refusal says where: the file, and a field or a line.
fn assert_placed(e: &ScenarioError, file: &str) {
    assert_eq!(e.file, file, "{e}");
    assert!(!e.message.is_empty(), "{e:?}");
    assert!(!e.path.is_empty() || e.line > 0, "neither a field nor a line: {e}");
}

/// Parses without panicking; returns the scenario when accepted.
fn parse(text: &str, file: &str) -> Option<scenario::Scenario> {
    match catch_unwind(AssertUnwindSafe(|| scenario::parse_str(text, file))) {
        Err(_) => panic!("parsing panicked on:\n{text}"),
        Ok(Err(e)) => {
            assert_placed(&e, file);
            None
        }
        Ok(Ok(s)) => Some(s),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any shipped scenario, mutated once or twice, is accepted or refused with the
    /// file and a field or line named, and never panics the parser.
    #[test]
    fn a_mutated_scenario_is_accepted_or_refused_by_name(
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..3),
    ) {
        let files = shipped();
        let (name, text) = &files[which % files.len()];
        let mutated = mutations.iter().fold(text.clone(), |t, m| if t.is_empty() { t } else { apply(&t, m) });
        if let Some(s) = parse(&mutated, name) {
            // What is accepted is within the run's budget: it ends in bounded time.
            let e = Estimate::of(&s);
            prop_assert!(e.refusal().is_none(), "{e:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// The quickstart, mutated, is refused or runs to a verdict without panicking.
    #[test]
    fn a_mutated_small_scenario_runs_to_a_verdict_or_is_refused(mutation in mutation()) {
        let text = std::fs::read_to_string("scenarios/quickstart.yaml").unwrap();
        let mutated = apply(&text, &mutation);
        let Some(s) = parse(&mutated, "quickstart.yaml") else { return Ok(()) };
        // A mutation that makes the run large (a rate of 10^12, say) is exercised by
        // the parser above; here only runs of test size.
        if Estimate::of(&s).work_units > 5e6 {
            return Ok(());
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| ckptsim::run::run(s)));
        prop_assert!(outcome.is_ok(), "the run panicked on:\n{mutated}");
    }
}

#[test]
fn a_nesting_and_alias_bomb_is_refused_at_once() {
    let quickstart = std::fs::read_to_string("scenarios/quickstart.yaml").unwrap();
    let mut bomb = String::from("  pipeline.x0: &a0 [1,1,1,1,1,1,1,1,1,1]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        bomb.push_str(&format!("  pipeline.x{i}: &a{i} [{refs}]\n"));
    }
    let text = quickstart.replace("config:\n", &format!("config:\n{bomb}"));
    let started = Instant::now();
    assert!(parse(&text, "bomb.yaml").is_none());
    let deep = format!("name: {}x{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(&deep, "deep.yaml").is_none());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

// ----- the command line --------------------------------------------------------------

fn quickstart_path() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/quickstart.yaml")
        .display()
        .to_string()
}

const SUBCOMMANDS: &[&str] = &["run", "explore", "sweep", "report", "import", "validate", "nonsense"];
const FLAGS: &[&str] = &[
    "--seed",
    "--duration",
    "--out",
    "--json",
    "--report",
    "--seeds",
    "--jobs",
    "--shard",
    "--merge",
    "--max-shrink-runs",
    "--set",
    "--objective",
    "--constraint",
    "--failure-rate",
    "-o",
    "--bogus",
];
const VALUES: &[&str] = &[
    "",
    "0",
    "-1",
    "3",
    "1..4",
    "5..2",
    "0/2",
    "2/2",
    "1/0",
    "abc",
    "1e99",
    "18446744073709551616",
    "10000h",
    "100ms",
    "execution.checkpointing.interval=1s,2s",
    "cluster.taskmanagers=0",
    "=",
    "min:records_replayed_per_failure",
    "max:nope",
    "checkpoint_overhead_pct<=5%",
    "latency_p99_ms>=1e99",
    "1/h",
    "/nonexistent/path",
    "QUICKSTART",
];

/// One argument vector: a subcommand, maybe the quickstart, then flags with values.
fn argv() -> impl Strategy<Value = Vec<String>> {
    let flag = (0..FLAGS.len(), prop::option::of(0..VALUES.len()), any::<bool>()).prop_map(|(f, v, joined)| {
        let flag = FLAGS[f].to_string();
        match v.map(|v| VALUES[v].replace("QUICKSTART", &quickstart_path())) {
            None => vec![flag],
            Some(v) if joined => vec![format!("{flag}={v}")],
            Some(v) => vec![flag, v],
        }
    });
    (0..SUBCOMMANDS.len(), any::<bool>(), prop::collection::vec(flag, 0..4)).prop_map(|(sub, scenario, flags)| {
        let mut args = vec![SUBCOMMANDS[sub].to_string()];
        if scenario {
            args.push(quickstart_path());
        }
        args.extend(flags.into_iter().flatten());
        args
    })
}

/// Runs the binary in `dir` and waits at most `limit`; `None` when it did not end.
fn run_bounded(args: &[String], dir: &Path, limit: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return Some((status.code().unwrap_or(-1), stderr));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-input-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any command line built from the real flags and bad values ends within 60 s
    /// with exit 0, 1 or 2, and a refusal (2) says why on stderr.
    #[test]
    fn any_command_line_ends_with_a_known_exit_code(args in argv()) {
        let dir = scratch_dir();
        let Some((code, stderr)) = run_bounded(&args, &dir, Duration::from_secs(60)) else {
            return Err(TestCaseError::fail(format!("did not end within 60 s: {args:?}")));
        };
        prop_assert!(matches!(code, 0..=2), "exit {code} for {args:?}:\n{stderr}");
        prop_assert!(!stderr.contains("panicked"), "{args:?}:\n{stderr}");
        if code == 2 {
            prop_assert!(!stderr.trim().is_empty(), "exit 2 without a word for {args:?}");
        }
    }
}

#[test]
fn a_scenario_file_that_is_not_text_is_refused_by_name() {
    let dir = scratch_dir();
    let file = dir.join("binary.yaml");
    std::fs::write(&file, [0xff, 0xfe, 0x00, 0x80, b'\n']).unwrap();
    let args = vec!["run".to_string(), file.display().to_string()];
    let (code, stderr) = run_bounded(&args, &dir, Duration::from_secs(30)).expect("ends");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("binary.yaml"), "{stderr}");
}
