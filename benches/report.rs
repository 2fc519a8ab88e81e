//! Report rendering against the run it reports on, measured in the same process: the
//! quickstart simulated and checked (the baseline a `ckptsim run` pays anyway), then
//! its whole report rendered in memory (plots, HTML, summary, Flink exports), then
//! rendered and written to disk as `--report` does; then the whole `ckptsim run`
//! command without and with `--report`.

use ckptsim::report::{RunRecord, render_run};
use ckptsim::scenario::load_file;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let scenario = load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml").as_ref())
        .expect("the quickstart loads");
    let record = RunRecord::new(&ckptsim::run::run(scenario.clone()).unwrap());
    let dir = std::env::temp_dir().join(format!("ckptsim-bench-report-{}", std::process::id()));
    let mut group = c.benchmark_group("report");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("quickstart run (baseline)", |b| {
        b.iter(|| ckptsim::run::run(scenario.clone()).unwrap().summary.events)
    });
    group.bench_function("quickstart report, rendered", |b| {
        b.iter(|| render_run(&record).expect("renders").len())
    });
    group.bench_function("quickstart report, rendered and written", |b| {
        b.iter(|| {
            // As `--report` writes: every file into a fresh folder, which then takes
            // the place of the previous one.
            let files = render_run(&record).expect("renders");
            let staging = dir.join("staging");
            std::fs::create_dir_all(&staging).expect("writable");
            for (path, contents) in &files {
                std::fs::write(staging.join(path), contents).expect("writable");
            }
            let _ = std::fs::remove_dir_all(dir.join("report"));
            std::fs::rename(&staging, dir.join("report")).expect("writable");
            files.len()
        })
    });
    // The whole command, as a user times it: process start, simulation, check,
    // summary, and with --report the report drawn and written after it.
    let binary = env!("CARGO_BIN_EXE_ckptsim");
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");
    let command = |report: Option<&std::path::Path>| {
        let mut command = std::process::Command::new(binary);
        command.args(["run", quickstart]).stdout(std::process::Stdio::null());
        if let Some(dir) = report {
            command.arg(format!("--report={}", dir.display()));
        }
        assert!(command.status().expect("the binary runs").success());
    };
    group.bench_function("ckptsim run quickstart (baseline)", |b| b.iter(|| command(None)));
    group.bench_function("ckptsim run quickstart --report", |b| {
        b.iter(|| command(Some(&dir.join("cli"))))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
