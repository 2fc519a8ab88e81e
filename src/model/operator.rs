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
    /// Updates of a keyed running result: per key, the update with the largest count.
    Upsert,
    /// Event-time window results: per (key, window), the result with the largest count.
    UpsertWindows,
    /// Processing-time window results: window boundaries depend on timing, so only
    /// per-key totals over all windows are kept.
    UpsertTotals,
}

/// A sink's output: what the job produced.
#[derive(Clone, Debug)]
pub struct SinkTable {
    rows: SinkRows,
    pub records: u64,
}

/// Rows by key: dense when the sink's input is partitioned by key (each subtask
/// then sees only the keys it owns), hashed otherwise or when windows multiply keys.
#[derive(Clone, Debug)]
enum SinkRows {
    Dense(DenseKeyedState),
    Hashed(FxHashMap<OutputKey, CountSum>),
}

impl SinkTable {
    /// A table with dense rows over `keys` where the mode allows it.
    pub fn new(mode: SinkMode, keys: Option<DenseKeyedState>) -> Self {
        let rows = match (mode, keys) {
            (SinkMode::Append | SinkMode::Upsert, Some(dense)) => SinkRows::Dense(dense),
            _ => SinkRows::Hashed(FxHashMap::default()),
        };
        Self { rows, records: 0 }
    }

    #[inline]
    fn row(&mut self, key: u64, window: u64) -> &mut CountSum {
        match &mut self.rows {
            SinkRows::Dense(dense) => dense.get_mut(key),
            SinkRows::Hashed(map) => map.entry((key, window)).or_default(),
        }
    }

    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let SinkRows::Dense(dense) = &self.rows {
            dense.prefetch(key);
        }
    }

    #[inline]
    pub fn apply(&mut self, mode: SinkMode, record: &Record) {
        self.records += 1;
        match mode {
            SinkMode::Append => {
                let row = self.row(record.key, 0);
                row.count += 1;
                row.sum += record.value;
            }
            SinkMode::Upsert | SinkMode::UpsertWindows => {
                let window = if mode == SinkMode::UpsertWindows {
                    record.time
                } else {
                    0
                };
                let row = self.row(record.key, window);
                if record.count > row.count {
                    *row = CountSum {
                        count: record.count,
                        sum: record.value,
                    };
                }
            }
            SinkMode::UpsertTotals => {
                let row = self.row(record.key, 0);
                row.count += record.count;
                row.sum += record.value;
            }
        }
    }

    /// Every row, in no particular order.
    pub fn rows(&self) -> Box<dyn Iterator<Item = (OutputKey, CountSum)> + '_> {
        match &self.rows {
            SinkRows::Dense(dense) => Box::new(dense.iter().map(|(k, v)| ((k, 0), v))),
            SinkRows::Hashed(map) => Box::new(map.iter().map(|(k, v)| (*k, *v))),
        }
    }

    /// Rows in key order, for comparison and output.
    pub fn sorted(&self) -> BTreeMap<OutputKey, CountSum> {
        self.rows().collect()
    }
}

/// Per-key count and sum, in a hash map: window contents, which come and go.
pub type KeyedCountSum = FxHashMap<u64, CountSum>;

/// Where each key's state lives in its owning subtask: `slot[key]` indexes the
/// owner's dense state vector. Keys are integers below the sources' key count, so
/// a subtask's keyed state is one contiguous vector, not a hash table: the
/// simulator touches it for every record.
#[derive(Clone, Debug)]
pub struct KeySlots {
    pub slot: std::sync::Arc<Vec<u32>>,
    /// The keys each subtask owns, in slot order.
    pub keys: std::sync::Arc<Vec<Vec<u32>>>,
}

impl KeySlots {
    pub fn new(key_count: u64, max_parallelism: u32, parallelism: u32) -> Self {
        let mut keys: Vec<Vec<u32>> = vec![Vec::new(); parallelism as usize];
        let slot = (0..key_count)
            .map(|key| {
                let owner = super::keygroups::subtask_for_key(key, max_parallelism, parallelism) as usize;
                keys[owner].push(key as u32);
                (keys[owner].len() - 1) as u32
            })
            .collect();
        Self {
            slot: std::sync::Arc::new(slot),
            keys: std::sync::Arc::new(keys),
        }
    }
}

/// A subtask's running count and sum per key, dense by key slot.
#[derive(Clone, Debug)]
pub struct DenseKeyedState {
    slots: std::sync::Arc<Vec<u32>>,
    keys: std::sync::Arc<Vec<Vec<u32>>>,
    subtask: usize,
    values: Vec<CountSum>,
    /// Keys with state.
    live: usize,
    /// Slots changed since the last snapshot, when an incremental backend asks.
    changed: Option<ChangeSet>,
}

/// Which slots changed since the last snapshot: a bitset and its population.
#[derive(Clone, Debug, Default)]
struct ChangeSet {
    bits: Vec<u64>,
    count: usize,
}

impl DenseKeyedState {
    pub fn new(slots: &KeySlots, subtask: u32) -> Self {
        let owned = slots.keys[subtask as usize].len();
        Self {
            slots: slots.slot.clone(),
            keys: slots.keys.clone(),
            subtask: subtask as usize,
            values: vec![CountSum::default(); owned],
            live: 0,
            changed: None,
        }
    }

    /// Starts tracking changed keys, for incremental snapshots.
    pub fn track_changes(&mut self) {
        self.changed = Some(ChangeSet {
            bits: vec![0; self.values.len().div_ceil(64)],
            count: 0,
        });
    }

    /// How many keys changed since the last call, forgetting them; every live key
    /// when changes are not tracked.
    pub fn take_changes(&mut self) -> usize {
        match &mut self.changed {
            Some(set) => {
                set.bits.iter_mut().for_each(|w| *w = 0);
                std::mem::take(&mut set.count)
            }
            None => self.live,
        }
    }

    #[inline]
    pub fn get_mut(&mut self, key: u64) -> &mut CountSum {
        let slot = self.slots[key as usize] as usize;
        if let Some(set) = &mut self.changed {
            let (word, bit) = (slot / 64, 1u64 << (slot % 64));
            if set.bits[word] & bit == 0 {
                set.bits[word] |= bit;
                set.count += 1;
            }
        }
        let value = &mut self.values[slot];
        if value.count == 0 {
            self.live += 1;
        }
        value
    }

    /// Hints the CPU to load `key`'s entry; no effect on results.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot = self.slots[key as usize] as usize;
            let entry: *const CountSum = &self.values[slot];
            // SAFETY: prefetching is a hint; the pointer is in bounds and never dereferenced.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(entry.cast()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = key;
    }

    /// (key, value) of every key seen at least once, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, CountSum)> + '_ {
        self.keys[self.subtask]
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| v.count > 0)
            .map(|(k, v)| (u64::from(*k), *v))
    }

    /// Keys with state: those seen at least once.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

/// A two-phase-commit sink's transactions: records go into the open transaction;
/// a checkpoint's barrier pre-commits it; the checkpoint's completion commits every
/// pre-committed transaction up to it (as Flink's committer does, so a transaction of
/// an aborted checkpoint is committed by the next completed one).
#[derive(Debug, Default)]
pub struct Transactions {
    pub open: Vec<Record>,
    pub precommitted: Vec<(u64, Vec<Record>)>,
    pub committed_records: u64,
}

/// What a snapshot keeps of a subtask's operator state. A sink keeps nothing here:
/// its transactions live in the external system and survive a failure.
#[derive(Clone, Debug)]
pub enum StateSnapshot {
    Stateless,
    Keyed(DenseKeyedState),
    Windows(BTreeMap<Nanos, KeyedCountSum>),
}

/// The code and state of one subtask.
pub enum OperatorLogic {
    Source,
    Map {
        multiply: i64,
        add: i64,
    },
    Filter {
        modulus: i64,
        remainder: i64,
    },
    Aggregate {
        state: DenseKeyedState,
    },
    Window {
        size: Nanos,
        time: TimeCharacteristic,
        /// Open windows by their end (exclusive), each with per-key count and sum.
        windows: BTreeMap<Nanos, KeyedCountSum>,
    },
    Sink {
        mode: SinkMode,
        /// What is committed: the job's visible output.
        table: SinkTable,
        /// Present when checkpoints make the sink transactional.
        transactions: Option<Transactions>,
    },
}

impl OperatorLogic {
    /// `keys` places keyed state; only keyed operators use it.
    pub fn new(spec: &OperatorLogicSpec, sink_mode: SinkMode, keys: Option<DenseKeyedState>) -> Self {
        let mut keys = keys;
        match *spec {
            OperatorLogicSpec::Source(_) => OperatorLogic::Source,
            OperatorLogicSpec::Map { multiply, add } => OperatorLogic::Map { multiply, add },
            OperatorLogicSpec::Filter { modulus, remainder } => OperatorLogic::Filter { modulus, remainder },
            OperatorLogicSpec::Aggregate => OperatorLogic::Aggregate {
                state: keys.take().expect("an aggregate has key slots"),
            },
            OperatorLogicSpec::Window { size_ns, time } => OperatorLogic::Window {
                size: size_ns,
                time,
                windows: BTreeMap::new(),
            },
            OperatorLogicSpec::Sink => OperatorLogic::Sink {
                mode: sink_mode,
                table: SinkTable::new(sink_mode, keys.take()),
                transactions: None,
            },
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
            OperatorLogic::Aggregate { state } => out.push(aggregate(state, record)),
            OperatorLogic::Window { size, time, windows } => {
                let t = match time {
                    TimeCharacteristic::Event => record.time,
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
            OperatorLogic::Sink {
                mode,
                table,
                transactions,
            } => match transactions {
                Some(t) => t.open.push(*record),
                None => table.apply(*mode, record),
            },
        }
        None
    }

    /// Processes a buffer's records in order; new processing-time timers go to `timers`.
    pub fn process_batch(&mut self, now: Nanos, batch: &[Record], out: &mut Vec<Record>, timers: &mut Vec<Nanos>) {
        // Keyed state is large and touched at random: ask for each record's entry
        // ahead of use so that the memory accesses overlap.
        // The hot kinds get their own loops, without a dispatch per record.
        match self {
            OperatorLogic::Aggregate { state } => {
                batch.iter().for_each(|r| state.prefetch(r.key));
                out.reserve(batch.len());
                out.extend(batch.iter().map(|record| aggregate(state, record)));
                return;
            }
            OperatorLogic::Sink {
                table,
                mode,
                transactions: None,
            } => {
                batch.iter().for_each(|r| table.prefetch(r.key));
                for record in batch {
                    table.apply(*mode, record);
                }
                return;
            }
            _ => {}
        }
        for record in batch {
            if let Some(t) = self.process(now, record, out) {
                timers.push(t);
            }
        }
    }

    /// Event time advanced to `watermark`: fires every event-time window it closes.
    pub fn on_watermark(&mut self, watermark: Nanos, out: &mut Vec<Record>) {
        if let OperatorLogic::Window {
            time: TimeCharacteristic::Event,
            windows,
            ..
        } = self
        {
            fire_windows(windows, |end| end <= watermark.saturating_add(1), out);
        }
    }

    /// A processing-time timer at `now`: fires the windows that ended.
    pub fn on_timer(&mut self, now: Nanos, out: &mut Vec<Record>) {
        if let OperatorLogic::Window {
            time: TimeCharacteristic::Processing,
            windows,
            ..
        } = self
        {
            fire_windows(windows, |end| end <= now, out);
        }
    }

    /// All input ended: fires what is left, as Flink does at end of input.
    pub fn on_end_of_input(&mut self, out: &mut Vec<Record>) {
        if let OperatorLogic::Window { windows, .. } = self {
            fire_windows(windows, |_| true, out);
        }
    }

    /// Pre-commits the open transaction for checkpoint `id` (at its barrier).
    pub fn precommit(&mut self, id: u64) {
        if let OperatorLogic::Sink {
            transactions: Some(t), ..
        } = self
        {
            let open = std::mem::take(&mut t.open);
            t.precommitted.push((id, open));
        }
    }

    /// Commits every pre-committed transaction up to checkpoint `id`; with `None`,
    /// everything including the open transaction (the end of input).
    pub fn commit(&mut self, id: Option<u64>) {
        if let OperatorLogic::Sink {
            mode,
            table,
            transactions: Some(t),
        } = self
        {
            let upto = id.unwrap_or(u64::MAX);
            let ready = t.precommitted.iter().take_while(|(c, _)| *c <= upto).count();
            let mut batches: Vec<Vec<Record>> = t.precommitted.drain(..ready).map(|(_, r)| r).collect();
            if id.is_none() {
                batches.push(std::mem::take(&mut t.open));
            }
            for batch in batches {
                t.committed_records += batch.len() as u64;
                batch.iter().for_each(|r| table.prefetch(r.key));
                for record in &batch {
                    table.apply(*mode, record);
                }
            }
        }
    }

    /// A copy of the operator state, as the synchronous phase of a snapshot takes it.
    pub fn snapshot_state(&self) -> StateSnapshot {
        match self {
            OperatorLogic::Aggregate { state } => StateSnapshot::Keyed(state.clone()),
            OperatorLogic::Window { windows, .. } => StateSnapshot::Windows(windows.clone()),
            _ => StateSnapshot::Stateless,
        }
    }

    /// Puts back the operator state of a snapshot (a restore).
    pub fn restore_state(&mut self, snapshot: StateSnapshot) {
        match (self, snapshot) {
            (OperatorLogic::Aggregate { state }, StateSnapshot::Keyed(saved)) => *state = saved,
            (OperatorLogic::Window { windows, .. }, StateSnapshot::Windows(saved)) => *windows = saved,
            _ => {}
        }
    }

    /// The ends of the open windows: a restored processing-time window needs its timer again.
    pub fn window_ends(&self) -> Vec<Nanos> {
        match self {
            OperatorLogic::Window {
                windows,
                time: TimeCharacteristic::Processing,
                ..
            } => windows.keys().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// A two-phase-commit sink restarting from checkpoint `restored` (`None`: from
    /// the beginning): transactions pre-committed up to it are committed if they are
    /// not yet, as Flink's `TwoPhaseCommitSinkFunction` does on restore; later ones
    /// and the open one are aborted. `commit_open` breaks this on purpose (a flaw).
    pub fn recover_transactions(&mut self, restored: Option<u64>, commit_open: bool) {
        if let Some(id) = restored {
            self.commit(Some(id));
        }
        if commit_open {
            self.commit_open();
        }
        if let OperatorLogic::Sink {
            transactions: Some(t), ..
        } = self
        {
            t.precommitted.clear();
            t.open.clear();
        }
    }

    /// Commits the open transaction at once.
    fn commit_open(&mut self) {
        if let OperatorLogic::Sink {
            mode,
            table,
            transactions: Some(t),
        } = self
        {
            t.committed_records += t.open.len() as u64;
            for record in t.open.drain(..) {
                table.apply(*mode, &record);
            }
        }
    }

    /// With exactly-once checkpoints, a sink becomes transactional (two-phase
    /// commit); keyed state tracks changes when snapshots are incremental.
    pub fn configure_checkpointing(&mut self, incremental: bool, exactly_once: bool) {
        match self {
            OperatorLogic::Sink { transactions, .. } if exactly_once && transactions.is_none() => {
                *transactions = Some(Transactions::default())
            }
            OperatorLogic::Aggregate { state } if incremental => state.track_changes(),
            _ => {}
        }
    }

    /// Keyed state entries changed since the last call (all entries for a
    /// non-incremental backend), for the size of an incremental upload.
    pub fn take_changed_entries(&mut self) -> usize {
        match self {
            OperatorLogic::Aggregate { state } => state.take_changes(),
            _ => self.state_entries(),
        }
    }

    /// Bytes a full snapshot of this subtask's state takes, as serialised.
    pub fn state_bytes(&self) -> u64 {
        match self {
            // key + count + sum
            OperatorLogic::Aggregate { state } => state.len() as u64 * 24,
            // window end + key + count + sum
            OperatorLogic::Window { windows, .. } => windows.values().map(|w| w.len() as u64).sum::<u64>() * 32,
            // a handle per pending transaction
            OperatorLogic::Sink {
                transactions: Some(t), ..
            } => 64 * (t.precommitted.len() as u64 + 1),
            _ => 0,
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

/// The running aggregate: the key's updated count and sum, as the record it emits.
#[inline]
fn aggregate(state: &mut DenseKeyedState, record: &Record) -> Record {
    let acc = state.get_mut(record.key);
    acc.count += 1;
    acc.sum += record.value;
    Record {
        count: acc.count,
        value: acc.sum,
        ..*record
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
fn fire_windows(windows: &mut BTreeMap<Nanos, KeyedCountSum>, closes: impl Fn(Nanos) -> bool, out: &mut Vec<Record>) {
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
            time: end - 1,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: u64, value: i64, t: Nanos) -> Record {
        Record {
            key,
            value,
            count: 1,
            time: t,
        }
    }

    #[test]
    fn aggregate_emits_running_count_and_sum() {
        let slots = KeySlots::new(10, 128, 1);
        let mut op = OperatorLogic::new(
            &OperatorLogicSpec::Aggregate,
            SinkMode::Append,
            Some(DenseKeyedState::new(&slots, 0)),
        );
        let mut out = Vec::new();
        op.process(0, &rec(7, 5, 0), &mut out);
        op.process(0, &rec(7, 3, 0), &mut out);
        assert_eq!((out[1].count, out[1].value), (2, 8));
    }

    #[test]
    fn event_time_window_fires_on_watermark_past_its_end() {
        let spec = OperatorLogicSpec::Window {
            size_ns: 100,
            time: TimeCharacteristic::Event,
        };
        let mut op = OperatorLogic::new(&spec, SinkMode::Append, None);
        let mut out = Vec::new();
        op.process(0, &rec(1, 2, 10), &mut out);
        op.process(0, &rec(1, 3, 99), &mut out);
        op.process(0, &rec(1, 4, 100), &mut out);
        op.on_watermark(98, &mut out);
        assert!(out.is_empty());
        op.on_watermark(99, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].count, out[0].value, out[0].time), (2, 5, 99));
    }

    #[test]
    fn upsert_sink_keeps_the_latest_update() {
        let mut table = SinkTable::new(SinkMode::Upsert, None);
        let mut later = rec(1, 10, 0);
        later.count = 3;
        let mut earlier = rec(1, 4, 0);
        earlier.count = 2;
        table.apply(SinkMode::Upsert, &later);
        table.apply(SinkMode::Upsert, &earlier);
        assert_eq!(table.sorted()[&(1, 0)], CountSum { count: 3, sum: 10 });
    }
}
