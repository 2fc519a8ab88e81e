//! Validation time against input size: a chain of operators and a deep `[[[…]]]`
//! document, each at three sizes doubling. Linear validation doubles its time with
//! each doubling; the quadratic one it replaced quadrupled it (a 50,000-operator chain
//! took 14 s).
//!
//! `cargo bench --bench validate`; compare the rows of each group with one another.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn deep(depth: usize) -> String {
    format!(
        "duration: 1s\ndescription: {}1{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate chain");
    group.sample_size(10);
    for operators in [5_000, 10_000, 20_000] {
        let text = common::chain(operators);
        group.throughput(Throughput::Elements(operators as u64));
        group.bench_with_input(BenchmarkId::from_parameter(operators), &text, |b, text| {
            b.iter(|| ckptsim::scenario::parse_str(black_box(text), "chain.yaml").expect("valid chain"))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("validate nesting");
    for depth in [50_000, 100_000, 200_000] {
        let text = deep(depth);
        group.throughput(Throughput::Elements(depth as u64));
        group.bench_with_input(BenchmarkId::from_parameter(depth), &text, |b, text| {
            b.iter(|| ckptsim::scenario::parse_str(black_box(text), "deep.yaml").expect_err("too deep"))
        });
    }
    group.finish();
}

criterion_group!(validation, benches);
criterion_main!(validation);
