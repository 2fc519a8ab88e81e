//! bench-64: parallelism 64 over 8 TaskManagers × 8 slots, 1M records/s for 60 s of
//! virtual time, source → keyBy → aggregate → sink. Throughput is reported in
//! record-steps (records × operators they pass through) per second of wall time.
//!
//! Three runs of the same job, measured in the same process: checkpoints off (the
//! baseline), an aligned checkpoint every second with two-phase-commit sinks, and
//! checkpoints off with every allocation on the system allocator, to show what
//! `ckptsim::memory::BlockAllocator` (the `ckptsim` binary's allocator) gains.
//! `CKPTSIM_BENCH_SECONDS` shortens the virtual run for a quick look.

use ckptsim::scenario::{Scenario, load_file};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: ckptsim::memory::BlockAllocator = ckptsim::memory::BlockAllocator;

fn bench_64() -> Scenario {
    let mut scenario =
        load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bench-64.yaml").as_ref()).expect("bench-64 loads");
    if let Some(seconds) = std::env::var("CKPTSIM_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        scenario.duration_ns = seconds * 1_000_000_000;
    }
    scenario
}

fn bench(c: &mut Criterion) {
    let off = bench_64();
    let mut every_second = off.clone();
    every_second.checkpointing.interval_ns = Some(1_000_000_000);
    let records = off.duration_ns / 1_000_000_000 * 1_000_000;
    let operators = off.operators.len() as u64;
    let mut group = c.benchmark_group("bench-64");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(1));
    group.throughput(Throughput::Elements(records * operators));
    group.bench_function("checkpoints off", |b| {
        b.iter(|| ckptsim::run::simulate(off.clone(), |_| {}).unwrap().digest.value())
    });
    group.bench_function("checkpoint every 1s", |b| {
        b.iter(|| {
            ckptsim::run::simulate(every_second.clone(), |_| {})
                .unwrap()
                .digest
                .value()
        })
    });
    group.bench_function("checkpoints off, system allocator", |b| {
        ckptsim::memory::use_huge_page_blocks(false);
        b.iter(|| ckptsim::run::simulate(off.clone(), |_| {}).unwrap().digest.value());
        ckptsim::memory::use_huge_page_blocks(true);
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
