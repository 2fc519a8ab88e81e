//! bench-64: parallelism 64 over 8 TaskManagers × 8 slots, 1M records/s for 60 s of
//! virtual time, source → keyBy → aggregate → sink. Throughput is reported in
//! record-steps (records × operators they pass through) per second of wall time.
//!
//! `CKPTSIM_BENCH_SECONDS` shortens the virtual run for a quick look.

use ckptsim::scenario::load_file;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let mut scenario =
        load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bench-64.yaml").as_ref()).expect("bench-64 loads");
    if let Some(seconds) = std::env::var("CKPTSIM_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        scenario.duration_ns = seconds * 1_000_000_000;
    }
    let records = scenario.duration_ns / 1_000_000_000 * 1_000_000;
    let operators = scenario.operators.len() as u64;
    let mut group = c.benchmark_group("bench-64");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(1));
    group.throughput(Throughput::Elements(records * operators));
    group.bench_function("simulate (record-steps)", |b| {
        b.iter(|| ckptsim::run::simulate(scenario.clone(), |_| {}).digest.value())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
