//! The explorer's throughput in seeds per second on quickstart, beside the parts of
//! one plain quickstart run (simulate, check, summarise) measured in the same
//! process: what one seed costs over the simulation itself.
//!
//! `cargo bench --bench explore`; the seeds/s figure is the `explore/seeds` row's
//! element throughput.

use ckptsim::explore::{explore, run_seed};
use ckptsim::scenario::{Scenario, load_file};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SEEDS: u64 = 64;

fn quickstart() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");
    load_file(path.as_ref()).expect("quickstart validates")
}

fn benches(c: &mut Criterion) {
    let scenario = quickstart();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut baseline = c.benchmark_group("quickstart");
    baseline.sample_size(20);
    baseline.bench_function("simulate", |b| {
        b.iter(|| ckptsim::run::simulate(black_box(scenario.clone()), |_| {}).unwrap())
    });
    baseline.bench_function("simulate+check+summary", |b| {
        b.iter(|| ckptsim::run::run(black_box(scenario.clone())).unwrap())
    });
    baseline.bench_function("one explorer seed", |b| {
        b.iter(|| run_seed(black_box(&scenario), black_box(7)))
    });
    baseline.finish();

    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SEEDS));
    group.bench_function("seeds, 1 thread", |b| {
        b.iter(|| explore(black_box(&scenario), 0..SEEDS, 1))
    });
    group.bench_function(format!("seeds, {cores} threads"), |b| {
        b.iter(|| explore(black_box(&scenario), 0..SEEDS, cores))
    });
    group.finish();
}

criterion_group!(explorer, benches);
criterion_main!(explorer);
