//! Channels between subtasks on the same TaskManager are local, as Flink's
//! `LocalInputChannel`: the consumer has no buffers of its own and reads the
//! producer's one at a time, so what waits, waits in the producer's subpartition,
//! drawn from the producer's bounded output pool (Flink's
//! `NettyShuffleUtils.getMinMaxNetworkBuffersPerResultPartition`: subpartitions ×
//! `buffers-per-channel` + `floating-buffers-per-gate`). Under an unaligned checkpoint
//! that data is the producer's output channel state.

mod common;

const BUFFER: u64 = 32 * 1024;

/// A source at 20,000 records/s into a keyed aggregate that takes 5,000/s over all
/// its subtasks (so the source is backpressured), unaligned checkpoints every 200 ms
/// for 2 s.
/// `placement`: the aggregate's TaskManagers; `network`: extra network keys.
fn job(aggregate_parallelism: u32, placement: &str, network: &str) -> String {
    let cpu = 200 * aggregate_parallelism;
    format!(
        "name: local-channels
seed: 3
duration: 2s
config:
  taskmanager.numberOfTaskSlots: 8
  execution.checkpointing.interval: 200ms
  execution.checkpointing.unaligned.enabled: true
  execution.buffer-timeout: 1ms
{network}
cluster: {{taskmanagers: 2, cpu-cores: 8}}
job:
  operators:
    - {{name: source, kind: source, parallelism: 1, rate: 20000, taskmanagers: [0]}}
    - {{name: counts, kind: aggregate, parallelism: {aggregate_parallelism}, cpu-per-record: {cpu}us, taskmanagers: {placement}}}
    - {{name: sink, kind: sink, parallelism: 1, taskmanagers: [0]}}
  edges:
    - {{from: source, to: counts}}
    - {{from: counts, to: sink}}
"
    )
}

/// The largest in-flight bytes one operator's subtasks persisted in a completed checkpoint.
fn max_persisted(text: &str, operator: usize) -> u64 {
    common::completed_parts(text, operator, 5)
        .iter()
        .map(|parts| parts.iter().map(|b| b.persisted_data).sum::<u64>())
        .max()
        .unwrap()
}

/// A local consumer holds at most the one buffer it is reading, so its input channel
/// state is at most one buffer, and the backlog is the producer's output channel state.
#[test]
fn a_local_consumer_holds_one_buffer_and_the_backlog_stays_at_the_producer() {
    let local = job(1, "[0]", "");
    let consumer = max_persisted(&local, 1);
    let producer = max_persisted(&local, 0);
    assert!(consumer <= BUFFER, "local consumer persisted {consumer} B");
    // max-buffers-per-channel (10) and the pool (1 × 2 + 8 = 10) both bound it.
    assert!(
        producer > 5 * BUFFER && producer <= 10 * BUFFER,
        "producer persisted {producer} B"
    );
}

/// Across TaskManagers the consumer holds its credits' worth: exclusive and floating
/// buffers (2 + 8), far more than the one buffer of a local channel.
#[test]
fn a_remote_consumer_holds_its_exclusive_and_floating_buffers() {
    let remote = job(1, "[1]", "");
    let consumer = max_persisted(&remote, 1);
    assert!(
        consumer > 3 * BUFFER && consumer <= 10 * BUFFER,
        "remote consumer persisted {consumer} B"
    );
}

/// With `max-buffers-per-channel` out of the way, the producer's output pool binds:
/// 4 subpartitions × 2 + 2 floating = 10 finished buffers, against 4 × 2 + 50 = 58.
/// The buffer each subpartition is still filling is not drawn from the pool (Flink
/// draws it when it starts filling it): up to one more, partly filled, per subpartition.
#[test]
fn the_output_pool_bounds_what_a_producer_holds() {
    let network = |floating: u32| {
        format!(
            "  taskmanager.network.memory.max-buffers-per-channel: 100\n  \
             taskmanager.network.memory.floating-buffers-per-gate: {floating}"
        )
    };
    let small = max_persisted(&job(4, "[0, 0, 0, 0]", &network(2)), 0);
    let large = max_persisted(&job(4, "[0, 0, 0, 0]", &network(50)), 0);
    assert!(small <= (10 + 4) * BUFFER, "pool of 10 buffers, persisted {small} B");
    assert!(large > (10 + 4) * BUFFER, "pool of 58 buffers, persisted {large} B");
}
