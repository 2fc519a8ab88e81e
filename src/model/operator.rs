//! Operator code: what each subtask does to the records it processes, and the keyed
//! state it keeps. The simulator decides when this code runs; this code decides what
//! comes out.

use super::record::Record;
use crate::scenario::{OperatorLogicSpec, TimeCharacteristic};
use crate::sim::Nanos;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A sink's table key: the record key and, for window results, the window's last instant.
pub type OutputKey = (u64, u64);

/// Count and sum: the value of a keyed aggregate, a window result or an output row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct CountSum {
    pub count: u64,
    pub sum: i64,
}

/// How a sink folds what it receives into its output table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkMode {
    /// Plain records: per key, how many arrived and the sum of their values.
    Append,
    /// Updates of a keyed result: per (key, window), the update with the largest count.
    Upsert,
    /// Processing-time window results: window boundaries depend on timing, so only
    /// per-key totals over all windows are kept.
    UpsertTotals,
}

/// A sink's output: what the job produced.
#[derive(Clone, Debug, Default)]
pub struct SinkTable {
    pub rows: FxHashMap<OutputKey, CountSum>,
    pub records: u64,
}

impl SinkTable {
    #[inline]
    pub fn apply(&mut self, mode: SinkMode, record: &Record) {
        self.records += 1;
        match mode {
            SinkMode::Append => {
                let row = self.rows.entry((record.key, 0)).or_default();
                row.count += 1;
                row.sum += record.value;
            }
            SinkMode::Upsert => {
                let row = self.rows.entry((record.key, record.event_time)).or_default();
                if record.count > row.count {
                    *row = CountSum { count: record.count, sum: record.value };
                }
            }
            SinkMode::UpsertTotals => {
                let row = self.rows.entry((record.key, 0)).or_default();
                row.count += record.count;
                row.sum += record.value;
            }
        }
    }

    /// Rows in key order, for comparison and output.
    pub fn sorted(&self) -> BTreeMap<OutputKey, CountSum> {
        self.rows.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// Per-key running count and sum.
pub type KeyedCountSum = FxHashMap<u64, CountSum>;

/// The code and state of one subtask.
pub enum OperatorLogic {
    Source,
    Map { multiply: i64, add: i64 },
    Filter { modulus: i64, remainder: i64 },
    Aggregate { state: KeyedCountSum },
    Window {
        size: Nanos,
        time: TimeCharacteristic,
        /// Open windows by their end (exclusive), each with per-key count and sum.
        windows: BTreeMap<Nanos, KeyedCountSum>,
    },
    Sink { mode: SinkMode, table: SinkTable },
}

impl OperatorLogic {
    pub fn new(spec: &OperatorLogicSpec, sink_mode: SinkMode) -> Self {
        match *spec {
            OperatorLogicSpec::Source(_) => OperatorLogic::Source,
            OperatorLogicSpec::Map { multiply, add } => OperatorLogic::Map { multiply, add },
            OperatorLogicSpec::Filter { modulus, remainder } => OperatorLogic::Filter { modulus, remainder },
            OperatorLogicSpec::Aggregate => OperatorLogic::Aggregate { state: FxHashMap::default() },
            OperatorLogicSpec::Window { size_ns, time } => OperatorLogic::Window { size: size_ns, time, windows: BTreeMap::new() },
            OperatorLogicSpec::Sink => OperatorLogic::Sink { mode: sink_mode, table: SinkTable::default() },
        }
    }

    /// Processes one record at processing time `now`. Returns a processing-time timer
    /// the caller must fire with [`OperatorLogic::on_timer`], if one is newly needed.
    #[inline]
    pub fn process(&mut self, now: Nanos, record: &Record, out: &mut Vec<Record>) -> Option<Nanos> {
        match self {
            OperatorLogic::Source => out.push(*record),
            OperatorLogic::Map { multiply, add } => {
                let mut r = *record;
                r.value = map_value(r.value, *multiply, *add);
                out.push(r);
            }
            OperatorLogic::Filter { modulus, remainder } => {
                if filter_keeps(record.value, *modulus, *remainder) {
                    out.push(*record);
                }
            }
            OperatorLogic::Aggregate { state } => {
                let acc = state.entry(record.key).or_default();
                acc.count += 1;
                acc.sum += record.value;
                let mut r = *record;
                r.count = acc.count;
                r.value = acc.sum;
                r.event_time = 0;
                out.push(r);
            }
            OperatorLogic::Window { size, time, windows } => {
                let t = match time {
                    TimeCharacteristic::Event => record.event_time,
                    TimeCharacteristic::Processing => now,
                };
                let end = window_end(t, *size);
                let is_new = !windows.contains_key(&end);
                let acc = windows.entry(end).or_default().entry(record.key).or_default();
                acc.count += 1;
                acc.sum += record.value;
                if is_new && *time == TimeCharacteristic::Processing {
                    return Some(end);
                }
            }
            OperatorLogic::Sink { mode, table } => table.apply(*mode, record),
        }
        None
    }

    /// Event time advanced to `watermark`: fires every event-time window it closes.
    pub fn on_watermark(&mut self, now: Nanos, watermark: Nanos, out: &mut Vec<Record>) {
        if let OperatorLogic::Window { time: TimeCharacteristic::Event, windows, .. } = self {
            fire_windows(windows, now, |end| end <= watermark.saturating_add(1), out);
        }
    }

    /// A processing-time timer at `now`: fires the windows that ended.
    pub fn on_timer(&mut self, now: Nanos, out: &mut Vec<Record>) {
        if let OperatorLogic::Window { time: TimeCharacteristic::Processing, windows, .. } = self {
            fire_windows(windows, now, |end| end <= now, out);
        }
    }

    /// All input ended: fires what is left, as Flink does at end of input.
    pub fn on_end_of_input(&mut self, now: Nanos, out: &mut Vec<Record>) {
        if let OperatorLogic::Window { windows, .. } = self {
            fire_windows(windows, now, |_| true, out);
        }
    }

    /// Keyed state entries held, for state sizes.
    pub fn state_entries(&self) -> usize {
        match self {
            OperatorLogic::Aggregate { state } => state.len(),
            OperatorLogic::Window { windows, .. } => windows.values().map(|w| w.len()).sum(),
            _ => 0,
        }
    }
}

/// The end (exclusive) of the tumbling window holding instant `t`.
#[inline]
pub fn window_end(t: Nanos, size: Nanos) -> Nanos {
    (t / size + 1) * size
}

#[inline]
pub fn map_value(value: i64, multiply: i64, add: i64) -> i64 {
    value.wrapping_mul(multiply).wrapping_add(add)
}

#[inline]
pub fn filter_keeps(value: i64, modulus: i64, remainder: i64) -> bool {
    value.rem_euclid(modulus) == remainder
}

/// Emits the windows whose end passes `closes`, oldest first, keys in order.
fn fire_windows(windows: &mut BTreeMap<Nanos, KeyedCountSum>, now: Nanos, closes: impl Fn(Nanos) -> bool, out: &mut Vec<Record>) {
    while let Some(entry) = windows.first_entry() {
        if !closes(*entry.key()) {
            break;
        }
        let end = *entry.key();
        let mut results: Vec<(u64, CountSum)> = entry.remove().into_iter().collect();
        results.sort_unstable_by_key(|(key, _)| *key);
        out.extend(results.into_iter().map(|(key, acc)| Record {
            key,
            value: acc.sum,
            count: acc.count,
            event_time: end - 1,
            ingest_time: now,
            partition: 0,
            offset: 0,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: u64, value: i64, t: Nanos) -> Record {
        Record { key, value, count: 1, event_time: t, ingest_time: t, partition: 0, offset: 0 }
    }

    #[test]
    fn aggregate_emits_running_count_and_sum() {
        let mut op = OperatorLogic::new(&OperatorLogicSpec::Aggregate, SinkMode::Append);
        let mut out = Vec::new();
        op.process(0, &rec(7, 5, 0), &mut out);
        op.process(0, &rec(7, 3, 0), &mut out);
        assert_eq!((out[1].count, out[1].value), (2, 8));
    }

    #[test]
    fn event_time_window_fires_on_watermark_past_its_end() {
        let spec = OperatorLogicSpec::Window { size_ns: 100, time: TimeCharacteristic::Event };
        let mut op = OperatorLogic::new(&spec, SinkMode::Append);
        let mut out = Vec::new();
        op.process(0, &rec(1, 2, 10), &mut out);
        op.process(0, &rec(1, 3, 99), &mut out);
        op.process(0, &rec(1, 4, 100), &mut out);
        op.on_watermark(0, 98, &mut out);
        assert!(out.is_empty());
        op.on_watermark(0, 99, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].count, out[0].value, out[0].event_time), (2, 5, 99));
    }

    #[test]
    fn upsert_sink_keeps_the_latest_update() {
        let mut table = SinkTable::default();
        let mut later = rec(1, 10, 0);
        later.count = 3;
        let mut earlier = rec(1, 4, 0);
        earlier.count = 2;
        table.apply(SinkMode::Upsert, &later);
        table.apply(SinkMode::Upsert, &earlier);
        assert_eq!(table.rows[&(1, 0)], CountSum { count: 3, sum: 10 });
    }
}
