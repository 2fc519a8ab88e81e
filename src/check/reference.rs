//! The expected output of a job, computed without the simulator: every record the
//! sources produced, processed exactly once, in offset order, by a plain walk over
//! the job graph. No channels, no time, no TaskManagers.

use crate::model::operator::{CountSum, OutputKey, filter_keeps, map_value, window_end};
use crate::model::source::{KeySampler, PartitionLog};
use crate::scenario::{OperatorLogicSpec, Partitioning, Scenario, TimeCharacteristic};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What a sink must hold at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedSink {
    pub rows: BTreeMap<OutputKey, CountSum>,
    /// Records the sink receives, counting every update and broadcast copy.
    pub records: u64,
    /// False where the record count depends on timing (processing-time windows).
    pub records_are_exact: bool,
}

/// The per-operator state of the reference walk.
enum Reference {
    Pass,
    /// Per key (keys are below the sources' key count), its running count and sum.
    Aggregate(Vec<CountSum>),
    /// Per key, per window end: count and sum. Processing-time windows are kept
    /// under window 0: only per-key totals can be known without timing.
    Window {
        size: u64,
        event_time: bool,
        windows: FxHashMap<(u64, u64), CountSum>,
    },
    Sink(ExpectedSink, Rows, SinkFold),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SinkFold {
    Append,
    Upsert,
    Totals,
}

/// A sink's expected rows: plain keys in a vector by key, window results in a map.
#[derive(Default)]
struct Rows {
    by_key: Vec<CountSum>,
    windowed: FxHashMap<OutputKey, CountSum>,
}

impl Rows {
    fn get(&mut self, key: u64, window: u64) -> &mut CountSum {
        if window == 0 {
            &mut self.by_key[key as usize]
        } else {
            self.windowed.entry((key, window)).or_default()
        }
    }
}

/// A record in the reference walk: key, value, count, and the output key's window part.
#[derive(Clone, Copy)]
struct Row {
    key: u64,
    value: i64,
    count: u64,
    window: u64,
}

/// Computes each sink's expected output, given how far each source partition was
/// read: `offsets` lists (source operator, partition, end offset).
pub fn expected_sinks(scenario: &Scenario, offsets: &[(usize, u32, u64)]) -> Vec<(usize, ExpectedSink)> {
    let ops = &scenario.operators;
    let mut states: Vec<Reference> = Vec::with_capacity(ops.len());
    let mut fold = vec![SinkFold::Append; ops.len()];
    for op in scenario.topological_order() {
        let inherited = scenario
            .inputs_of(op)
            .map(|e| fold[e.from])
            .find(|f| *f != SinkFold::Append)
            .unwrap_or(SinkFold::Append);
        fold[op] = match ops[op].logic {
            OperatorLogicSpec::Aggregate => SinkFold::Upsert,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Event,
                ..
            } => SinkFold::Upsert,
            OperatorLogicSpec::Window {
                time: TimeCharacteristic::Processing,
                ..
            } => SinkFold::Totals,
            _ => inherited,
        };
    }
    let key_count = ops
        .iter()
        .filter_map(|o| match &o.logic {
            OperatorLogicSpec::Source(s) => Some(s.keys.count() as usize),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    for (i, op) in ops.iter().enumerate() {
        states.push(match op.logic {
            OperatorLogicSpec::Aggregate => Reference::Aggregate(vec![CountSum::default(); key_count]),
            OperatorLogicSpec::Window { size_ns, time } => Reference::Window {
                size: size_ns,
                event_time: time == TimeCharacteristic::Event,
                windows: FxHashMap::default(),
            },
            OperatorLogicSpec::Sink => {
                let sink = ExpectedSink {
                    records_are_exact: fold[i] != SinkFold::Totals,
                    ..ExpectedSink::default()
                };
                Reference::Sink(
                    sink,
                    Rows {
                        by_key: vec![CountSum::default(); key_count],
                        ..Rows::default()
                    },
                    fold[i],
                )
            }
            _ => Reference::Pass,
        });
    }
    let graph = Graph::new(scenario);
    // Indexed once: a search of `offsets` per partition is quadratic in partitions.
    let mut ends: BTreeMap<(usize, u32), u64> = BTreeMap::new();
    for &(o, p, end) in offsets {
        ends.entry((o, p)).or_insert(end);
    }
    for (op_index, partition, mut log) in source_logs(scenario) {
        let end = ends.get(&(op_index, partition)).copied().unwrap_or(0);
        for offset in 0..end {
            let r = log.record_at(offset);
            let row = Row {
                key: r.key,
                value: r.value,
                count: 1,
                window: r.time,
            };
            emit(&graph, &mut states, op_index, row, 1);
        }
    }
    // End of input: every window fires, in topological order so results flow on.
    for op in scenario.topological_order() {
        if let Reference::Window { windows, .. } = &mut states[op] {
            let mut fired: Vec<((u64, u64), CountSum)> = windows.drain().collect();
            fired.sort_unstable_by_key(|(k, _)| *k);
            for ((key, window), acc) in fired {
                let row = Row {
                    key,
                    value: acc.sum,
                    count: acc.count,
                    window,
                };
                emit(&graph, &mut states, op, row, 1);
            }
        }
    }
    states
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Reference::Sink(mut sink, rows, _) => {
                let plain = rows.by_key.into_iter().enumerate().filter(|(_, v)| v.count > 0);
                sink.rows = plain.map(|(k, v)| ((k as u64, 0), v)).chain(rows.windowed).collect();
                Some((i, sink))
            }
            _ => None,
        })
        .collect()
}

/// Every source partition's end: (source operator, partition, offset after its last
/// record), sorted as [`crate::model::World::source_offsets`] sorts them. A job that
/// drains has read exactly this far.
pub fn end_offsets(scenario: &Scenario) -> Vec<(usize, u32, u64)> {
    let mut offsets: Vec<(usize, u32, u64)> = source_logs(scenario)
        .into_iter()
        .map(|(op, partition, log)| (op, partition, log.end_offset()))
        .collect();
    offsets.sort_unstable();
    offsets
}

/// The expected output of a job that reads its whole input: computed from the
/// scenario alone, so it can be computed while the simulation runs.
#[derive(Clone, Debug)]
pub struct ExpectedOutput {
    /// How far the sources were read for it.
    pub offsets: Vec<(usize, u32, u64)>,
    pub expected: Vec<(usize, ExpectedSink)>,
}

impl ExpectedOutput {
    pub fn of_whole_input(scenario: &Scenario) -> ExpectedOutput {
        let offsets = end_offsets(scenario);
        let expected = expected_sinks(scenario, &offsets);
        ExpectedOutput { offsets, expected }
    }
}

/// Every source partition's log, as (source operator, partition, log), numbered
/// across the job's sources as the model numbers them.
pub fn source_logs(scenario: &Scenario) -> Vec<(usize, u32, PartitionLog)> {
    let mut logs = Vec::new();
    let mut partition_id = 0u64;
    for (op, o) in scenario.operators.iter().enumerate() {
        let OperatorLogicSpec::Source(spec) = &o.logic else {
            continue;
        };
        let sampler = KeySampler::new(&spec.keys);
        for partition in 0..spec.partitions {
            let id = partition_id + u64::from(partition);
            let log = PartitionLog::new(
                spec,
                sampler.clone(),
                scenario.seed,
                partition,
                id,
                scenario.duration_ns,
            );
            logs.push((op, partition, log));
        }
        partition_id += u64::from(spec.partitions);
    }
    logs
}

/// Sends `row`, output by `from`, along every edge leaving it. `copies` counts how
/// many identical copies travel (broadcast sends one to each consumer subtask).
fn emit(graph: &Graph, states: &mut [Reference], from: usize, row: Row, copies: u64) {
    for &(to, fan_out) in &graph.outputs[from] {
        process(graph, states, to, row, copies * fan_out);
    }
}

/// The job graph as the walk needs it: per operator, its logic and where its output goes.
struct Graph<'a> {
    logic: Vec<&'a OperatorLogicSpec>,
    /// Per operator: (target operator, copies of each record it receives).
    outputs: Vec<Vec<(usize, u64)>>,
}

impl<'a> Graph<'a> {
    fn new(scenario: &'a Scenario) -> Self {
        let outputs = (0..scenario.operators.len())
            .map(|op| {
                scenario
                    .outputs_of(op)
                    .map(|e| {
                        let fan_out = if e.partitioning == Partitioning::Broadcast {
                            u64::from(scenario.operators[e.to].parallelism)
                        } else {
                            1
                        };
                        (e.to, fan_out)
                    })
                    .collect()
            })
            .collect();
        Self {
            logic: scenario.operators.iter().map(|o| &o.logic).collect(),
            outputs,
        }
    }
}

fn process(graph: &Graph, states: &mut [Reference], op: usize, row: Row, copies: u64) {
    match *graph.logic[op] {
        OperatorLogicSpec::Source(_) => unreachable!("sources have no inputs"),
        OperatorLogicSpec::Map { multiply, add } => {
            let mapped = Row {
                value: map_value(row.value, multiply, add),
                ..row
            };
            emit(graph, states, op, mapped, copies);
        }
        OperatorLogicSpec::Filter { modulus, remainder } => {
            if filter_keeps(row.value, modulus, remainder) {
                emit(graph, states, op, row, copies);
            }
        }
        OperatorLogicSpec::Aggregate => {
            // Each copy is a separate record for the aggregate.
            for _ in 0..copies {
                let Reference::Aggregate(state) = &mut states[op] else {
                    unreachable!()
                };
                let acc = &mut state[row.key as usize];
                acc.count += 1;
                acc.sum += row.value;
                let update = Row {
                    key: row.key,
                    value: acc.sum,
                    count: acc.count,
                    window: 0,
                };
                emit(graph, states, op, update, 1);
            }
        }
        OperatorLogicSpec::Window { .. } => {
            let Reference::Window {
                size,
                event_time,
                windows,
            } = &mut states[op]
            else {
                unreachable!()
            };
            let window = if *event_time {
                window_end(row.window, *size) - 1
            } else {
                0
            };
            let acc = windows.entry((row.key, window)).or_default();
            acc.count += copies;
            acc.sum += row.value * copies as i64;
        }
        OperatorLogicSpec::Sink => {
            let Reference::Sink(sink, rows, fold) = &mut states[op] else {
                unreachable!()
            };
            sink.records += copies;
            match fold {
                SinkFold::Append => {
                    let r = rows.get(row.key, 0);
                    r.count += copies;
                    r.sum += row.value * copies as i64;
                }
                SinkFold::Upsert => {
                    let r = rows.get(row.key, row.window);
                    if row.count > r.count {
                        *r = CountSum {
                            count: row.count,
                            sum: row.value,
                        };
                    }
                }
                SinkFold::Totals => {
                    let r = rows.get(row.key, 0);
                    r.count += row.count * copies;
                    r.sum += row.value * copies as i64;
                }
            }
        }
    }
}
