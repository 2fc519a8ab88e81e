//! Validation time against input size: a chain of operators and a deep `[[[…]]]`
//! document, each at three sizes doubling. Linear validation doubles its time with
//! each doubling; the quadratic one it replaced quadrupled it (a 50,000-operator chain
//! took 14 s).
//!
//! `cargo bench --bench validate`; compare the rows of each group with one another.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn chain(operators: usize) -> String {
    let mut text = String::from("duration: 1s\njob:\n  operators:\n    - {name: src, kind: source, rate: 10}\n");
    for i in 0..operators {
        text += &format!("    - {{name: m{i}, kind: map}}\n");
    }
    text += "    - {name: out, kind: sink}\n  edges:\n";
    let mut previous = "src".to_string();
    for i in 0..operators {
        text += &format!("    - {{from: {previous}, to: m{i}}}\n");
        previous = format!("m{i}");
    }
    text += &format!("    - {{from: {previous}, to: out}}\n");
    text
}

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
        let text = chain(operators);
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
