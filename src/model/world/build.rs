//! Deploying the job: subtasks with fresh state, channels and gates, key layouts.
//! A failover deploys them anew.

use super::{OutputEdge, SourceReader, Subtask, SubtaskMetrics, TaskState};
use crate::model::channel::{Channel, Gate, GateDebloat, OpenBuffer};
use crate::model::debloat::{BufferDebloater, ThroughputCalculator};
use crate::model::operator::{DenseKeyedState, KeySlots, OperatorLogic, SinkMode};
use crate::model::source::{KeySampler, PartitionLog};
use crate::scenario::{OperatorLogicSpec, Partitioning, Scenario, TimeCharacteristic};
use crate::sim::time::MILLISECOND;
use std::collections::VecDeque;

/// An empty open buffer for every channel.
pub(super) fn open_buffers(channels: &[Channel]) -> Vec<OpenBuffer> {
    channels
        .iter()
        .map(|c| OpenBuffer {
            records: Vec::new(),
            capacity: c.capacity as u32,
            dirty: false,
        })
        .collect()
}

/// For each operator, `Some(p)` when its subtask i receives exactly the keys that
/// subtask i of a keyed operator with parallelism p owns.
pub(super) fn key_partitioning(s: &Scenario) -> Vec<Option<u32>> {
    let mut layout: Vec<Option<u32>> = vec![None; s.operators.len()];
    for op in s.topological_order() {
        let own = s.operators[op].parallelism;
        let mut inputs = s.inputs_of(op).peekable();
        if inputs.peek().is_none() {
            continue;
        }
        let consistent = inputs.all(|e| match e.partitioning {
            Partitioning::Hash => true,
            Partitioning::Forward => layout[e.from] == Some(own),
            _ => false,
        });
        layout[op] = consistent.then_some(own);
    }
    layout
}

/// How a sink folds its input, from the operators upstream of it.
pub(super) fn sink_modes(s: &Scenario) -> Vec<SinkMode> {
    let mut modes = vec![SinkMode::Append; s.operators.len()];
    for op in s.topological_order() {
        let inherited = s
            .inputs_of(op)
            .map(|e| modes[e.from])
            .max_by_key(|m| match m {
                SinkMode::Append => 0,
                SinkMode::Upsert => 1,
                SinkMode::UpsertWindows => 2,
                SinkMode::UpsertTotals => 3,
            })
            .unwrap_or(SinkMode::Append);
        modes[op] = match s.operators[op].logic {
            OperatorLogicSpec::Aggregate => SinkMode::Upsert,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Event,
                ..
            } => SinkMode::UpsertWindows,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Processing,
                ..
            } => SinkMode::UpsertTotals,
            _ => inherited,
        };
    }
    modes
}

/// The job's tasks as deployed: subtasks with fresh state, and the channels and
/// input gates between them. A failover deploys them anew.
pub(super) fn build_tasks(s: &Scenario) -> (Vec<Subtask>, Vec<Channel>, Vec<Gate>) {
    let net = &s.network;
    let modes = sink_modes(s);
    // Subtasks, operator by operator; first_subtask[op] is the id of subtask 0.
    let mut subtasks = Vec::new();
    let mut first_subtask = Vec::new();
    let mut partition_id = 0u64;
    // Keys never change along the job, so every key is below the largest source key count.
    let key_count = s
        .operators
        .iter()
        .filter_map(|o| match &o.logic {
            OperatorLogicSpec::Source(src) => Some(src.keys.count()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let key_partitioned = key_partitioning(s);
    let mut slot_layouts: Vec<(u32, KeySlots)> = Vec::new();
    for (op_index, op) in s.operators.iter().enumerate() {
        first_subtask.push(subtasks.len());
        // Keyed operators, and sinks that receive only the keys they own, keep
        // dense per-key state; operators of equal parallelism share the layout.
        let key_slots = key_partitioned[op_index]
            .filter(|_| op.logic.is_keyed() || matches!(op.logic, OperatorLogicSpec::Sink))
            .map(|p| {
                if let Some((_, layout)) = slot_layouts.iter().find(|(q, _)| *q == p) {
                    return layout.clone();
                }
                let layout = KeySlots::new(key_count, s.max_parallelism, p);
                slot_layouts.push((p, layout.clone()));
                layout
            });
        let keys = match &op.logic {
            OperatorLogicSpec::Source(src) => Some(KeySampler::new(&src.keys)),
            _ => None,
        };
        for index in 0..op.parallelism {
            let source = match (&op.logic, &keys) {
                (OperatorLogicSpec::Source(src), Some(sampler)) => {
                    // Partitions are assigned round-robin, as Kafka's source does.
                    let partitions = (0..src.partitions)
                        .filter(|p| p % op.parallelism == index)
                        .map(|p| {
                            PartitionLog::new(
                                src,
                                sampler.clone(),
                                s.seed,
                                p,
                                partition_id + u64::from(p),
                                s.duration_ns,
                            )
                        })
                        .collect();
                    Some(SourceReader {
                        partitions,
                        next_partition: 0,
                        poll_scheduled: false,
                        poll_interval: src.poll_interval_ns,
                        max_batch: 1024,
                        next_watermark_at: 0,
                        last_watermark: 0,
                        batch_buffer: Vec::new(),
                        backlog_threshold: src.backlog_threshold,
                        backlogged: false,
                    })
                }
                _ => None,
            };
            subtasks.push(Subtask {
                op: op_index,
                index,
                tm: op.placement[index as usize] as usize,
                logic: OperatorLogic::new(
                    &op.logic,
                    modes[op_index],
                    key_slots.as_ref().map(|k| DenseKeyedState::new(k, index)),
                ),
                cpu_per_record: op.cpu_per_record_ns[index as usize],
                state_access_ns: 0,
                cache_share: None,
                inputs: Vec::new(),
                input_watermarks: Vec::new(),
                watermark: 0,
                inputs_ended: 0,
                available: VecDeque::new(),
                outputs: Vec::new(),
                dirty: Vec::new(),
                full_outputs: 0,
                backpressured_since: None,
                state: TaskState::Idle,
                batch: Vec::new(),
                batch_from: None,
                flush_armed: false,
                finished: false,
                source,
                metrics: SubtaskMetrics::default(),
                protocol: None,
                pending_snapshots: VecDeque::new(),
                source_triggers: VecDeque::new(),
                barrier_timer_at: None,
                sync_work: None,
                processed_during_alignment: 0,
                work_epoch: 0,
                work_started: 0,
                resume: None,
                recovered: VecDeque::new(),
                batch_recovered_from: None,
                stalled_until: 0,
            });
        }
        if let OperatorLogicSpec::Source(src) = &op.logic {
            partition_id += u64::from(src.partitions);
        }
    }

    // Channels and gates, edge by edge.
    let mut channels = Vec::new();
    let mut gates = Vec::new();
    for edge in &s.edges {
        let (from, to) = (&s.operators[edge.from], &s.operators[edge.to]);
        let first_gate = gates.len();
        for c in 0..to.parallelism {
            gates.push(Gate {
                floating_free: net.floating_buffers_per_gate,
                waiting: VecDeque::new(),
                consumer: first_subtask[edge.to] + c as usize,
                channels: Vec::new(),
                debloat: net.debloat.map(|d| GateDebloat {
                    debloater: BufferDebloater::new(
                        d.target_ns / MILLISECOND,
                        net.buffer_size_bytes as u32,
                        d.min_buffer_bytes as u32,
                        d.threshold_percentages,
                        d.samples,
                    ),
                    throughput: ThroughputCalculator::default(),
                    last: None,
                }),
            });
        }
        for p in 0..from.parallelism {
            let producer = first_subtask[edge.from] + p as usize;
            let targets: Vec<u32> = match edge.partitioning {
                Partitioning::Forward => vec![p],
                _ => (0..to.parallelism).collect(),
            };
            let mut out_channels = Vec::with_capacity(targets.len());
            for c in targets {
                let consumer = first_subtask[edge.to] + c as usize;
                let id = channels.len();
                let consumer_input = subtasks[consumer].inputs.len();
                subtasks[consumer].inputs.push(id);
                subtasks[consumer].input_watermarks.push(0);
                let local = subtasks[producer].tm == subtasks[consumer].tm;
                channels.push(Channel::new(
                    producer,
                    subtasks[producer].outputs.len(),
                    consumer,
                    consumer_input,
                    first_gate + c as usize,
                    local,
                    from.record_size_bytes,
                    net.buffer_size_bytes,
                ));
                gates[first_gate + c as usize].channels.push(id);
                out_channels.push(id);
            }
            let start = p as usize % out_channels.len().max(1);
            // Flink's bound of a result partition's local buffer pool
            // (`NettyShuffleUtils.getMinMaxNetworkBuffersPerResultPartition`).
            let subpartitions = out_channels.len() as u32;
            let pool_max =
                (subpartitions * net.buffers_per_channel + net.floating_buffers_per_gate).max(subpartitions + 1);
            subtasks[producer].outputs.push(OutputEdge {
                partitioning: edge.partitioning,
                channels: out_channels,
                next_rebalance: start,
                pool_in_use: 0,
                pool_max,
            });
        }
    }

    (subtasks, channels, gates)
}
