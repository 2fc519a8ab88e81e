//! The kernel's event queue and digest on a realistic mix of events, beside a bare
//! `std::collections::BinaryHeap` push + pop doing the same schedule, measured in
//! the same run: the kernel's overhead over the simplest possible queue.
//!
//! The mix: a few thousand pending events, as a 64-way job keeps in flight; each
//! handled event schedules one or two more at delays drawn like the model's (same
//! instant for local deliveries, microseconds for CPU work, milliseconds for polls
//! and timeouts).

use ckptsim::sim::{EventQueue, TraceDigest};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const PENDING: usize = 4096;
const EVENTS: u64 = 200_000;

#[derive(Clone, Copy)]
enum Event {
    Deliver(usize),
    BatchDone(usize),
    Poll(usize),
}

/// Delays and fan-out for each handled event, drawn once so both queues get the same work.
fn schedule() -> Vec<(u64, u8)> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..EVENTS + PENDING as u64)
        .map(|_| {
            let delay = match rng.gen_range(0..10) {
                0..=2 => 0,
                3..=7 => rng.gen_range(1_000..50_000),
                _ => rng.gen_range(1_000_000..10_000_000),
            };
            (delay, if rng.gen_range(0..8) == 0 { 2 } else { 1 })
        })
        .collect()
}

fn kernel(plan: &[(u64, u8)]) -> u64 {
    let mut queue = EventQueue::new();
    let mut digest = TraceDigest::new();
    for (i, (delay, _)) in plan.iter().take(PENDING).enumerate() {
        queue.push(*delay, Event::Poll(i));
    }
    let mut next = PENDING;
    let mut handled = 0;
    while handled < EVENTS {
        let Some((now, event)) = queue.pop() else { break };
        let (kind, id) = match event {
            Event::Deliver(c) => (1, c),
            Event::BatchDone(s) => (2, s),
            Event::Poll(s) => (3, s),
        };
        digest.event(now, kind, id as u64, 0);
        let (delay, fan_out) = plan[next % plan.len()];
        next += 1;
        queue.push(now + delay, Event::BatchDone(id));
        if fan_out == 2 && queue.len() < 2 * PENDING {
            queue.push(now, Event::Deliver(id));
        }
        handled += 1;
    }
    digest.value()
}

fn bare_heap(plan: &[(u64, u8)]) -> u64 {
    let mut heap = BinaryHeap::new();
    for (i, (delay, _)) in plan.iter().take(PENDING).enumerate() {
        heap.push(Reverse((*delay, i as u64)));
    }
    let mut next = PENDING;
    let mut handled = 0;
    let mut sum = 0u64;
    while handled < EVENTS {
        let Some(Reverse((now, id))) = heap.pop() else { break };
        sum = sum.wrapping_add(now ^ id);
        let (delay, fan_out) = plan[next % plan.len()];
        next += 1;
        heap.push(Reverse((now + delay, id)));
        if fan_out == 2 && heap.len() < 2 * PENDING {
            heap.push(Reverse((now, id)));
        }
        handled += 1;
    }
    sum
}

fn bench(c: &mut Criterion) {
    let plan = schedule();
    let mut group = c.benchmark_group("event_queue");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("kernel (EventQueue + digest)", |b| {
        b.iter_batched(|| (), |_| black_box(kernel(black_box(&plan))), BatchSize::SmallInput)
    });
    group.bench_function("baseline (bare BinaryHeap)", |b| {
        b.iter_batched(|| (), |_| black_box(bare_heap(black_box(&plan))), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
