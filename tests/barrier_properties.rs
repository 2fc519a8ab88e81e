//! Properties of the barrier handlers over random inputs: a driver runs an operator that sums
//! the records it processes, and the snapshot it takes is compared with the cut the barriers
//! define (the records before barrier n on every channel).
//!
//! Inputs: 1 to 5 channels, each a stream of integer records with one barrier per
//! checkpoint (1 to 3 checkpoints) at random positions, optionally ended; a random schedule
//! of arrivals (FIFO per channel), one-item processing steps, full drains and time steps.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ckptsim::protocol::barrier::{Action, AlignmentTimeoutStart, BarrierHandler, BarrierHandlerConfig};
use ckptsim::protocol::{Barrier, CheckpointingMode, Nanos, SnapshotKind};
use proptest::prelude::*;

// ----- inputs -----------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct ChannelInput {
    values: Vec<i64>,
    /// Position (number of records before it) of barrier k+1; non-decreasing.
    barrier_at: Vec<usize>,
    /// Whether barrier k+1 was sent unaligned upstream (used only where the mode allows).
    priority: Vec<bool>,
    ends: bool,
}

#[derive(Clone, Debug)]
struct Case {
    channels: Vec<ChannelInput>,
    checkpoints: u64,
    /// (op, time step): op % (n + 2) < n is an arrival on that channel, == n processes one
    /// item, == n + 1 processes everything it may.
    schedule: Vec<(u8, u8)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Rec { id: usize, value: i64 },
    Barrier { id: u64, priority: bool },
    End,
}

impl Case {
    fn record_id(channel: usize, index: usize) -> usize {
        channel * 1000 + index
    }

    fn stream(&self, channel: usize) -> VecDeque<Item> {
        let input = &self.channels[channel];
        let mut items = VecDeque::new();
        for i in 0..=input.values.len() {
            for (k, &at) in input.barrier_at.iter().enumerate() {
                if at == i {
                    items.push_back(Item::Barrier {
                        id: k as u64 + 1,
                        priority: input.priority[k],
                    });
                }
            }
            if let Some(&value) = input.values.get(i) {
                let id = Self::record_id(channel, i);
                items.push_back(Item::Rec { id, value });
            }
        }
        if input.ends {
            items.push_back(Item::End);
        }
        items
    }

    /// The records before barrier `checkpoint` on every channel, sorted by id.
    fn cut(&self, checkpoint: u64) -> Vec<(usize, i64)> {
        let mut cut = Vec::new();
        for (c, input) in self.channels.iter().enumerate() {
            let end = input.barrier_at[checkpoint as usize - 1];
            for (i, &v) in input.values[..end].iter().enumerate() {
                cut.push((Self::record_id(c, i), v));
            }
        }
        cut.sort();
        cut
    }
}

fn channel_input(checkpoints: usize) -> impl Strategy<Value = ChannelInput> {
    (
        prop::collection::vec(-20i64..50, 0..8),
        prop::collection::vec(any::<bool>(), checkpoints),
        any::<bool>(),
    )
        .prop_flat_map(move |(values, priority, ends)| {
            let len = values.len();
            (
                Just(values),
                Just(priority),
                Just(ends),
                prop::collection::vec(0..=len, checkpoints),
            )
        })
        .prop_map(|(values, priority, ends, mut barrier_at)| {
            barrier_at.sort();
            ChannelInput {
                values,
                barrier_at,
                priority,
                ends,
            }
        })
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..6, 1usize..4)
        .prop_flat_map(|(n, k)| {
            (
                prop::collection::vec(channel_input(k), n),
                Just(k as u64),
                prop::collection::vec((any::<u8>(), 0u8..4), 0..80),
            )
        })
        .prop_map(|(channels, checkpoints, schedule)| Case {
            channels,
            checkpoints,
            schedule,
        })
}

// ----- the driver -------------------------------------------------------------------------

/// How the driver hands barriers over.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Barriers {
    /// Always in data order (aligned and at-least-once jobs).
    InOrder,
    /// Always as priority events (unaligned jobs).
    Priority,
    /// As each upstream chose (aligned with timeout: some upstreams already switched).
    AsGenerated,
}

/// Deliberate contract violations, to show the checks catch them.
#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    ignore_blocking: bool,
    skip_persist_queued: bool,
}

#[derive(Debug, Default)]
struct Outcome {
    /// Per checkpoint: the operator's sum and processed record ids at its snapshot.
    snapshots: BTreeMap<u64, (i64, Vec<usize>)>,
    /// Per checkpoint: the persisted channel state.
    persisted: BTreeMap<u64, Vec<(usize, i64)>>,
    completed: BTreeSet<u64>,
    aborted: BTreeSet<u64>,
}

struct Driver {
    h: BarrierHandler,
    barriers: Barriers,
    faults: Faults,
    upstream: Vec<VecDeque<Item>>,
    queues: Vec<VecDeque<(u64, Item)>>,
    seq: u64,
    now: Nanos,
    sum: i64,
    processed: Vec<usize>,
    out: Outcome,
}

impl Driver {
    fn run(case: &Case, h: BarrierHandler, barriers: Barriers, faults: Faults) -> Outcome {
        let n = case.channels.len();
        let mut d = Driver {
            h,
            barriers,
            faults,
            upstream: (0..n).map(|c| case.stream(c)).collect(),
            queues: vec![VecDeque::new(); n],
            seq: 0,
            now: 0,
            sum: 0,
            processed: Vec::new(),
            out: Outcome::default(),
        };
        for &(op, dt) in &case.schedule {
            d.advance(d.now + dt as Nanos);
            let op = op as usize % (n + 2);
            if op < n {
                d.arrive(op);
            } else if op == n {
                d.process_one();
            } else {
                while d.process_one() {}
            }
        }
        // Deliver and process whatever is left.
        for c in 0..n {
            while !d.upstream[c].is_empty() {
                d.advance(d.now + 1);
                d.arrive(c);
            }
        }
        while d.process_one() {}
        d.out
    }

    fn advance(&mut self, t: Nanos) {
        while let Some(deadline) = self.h.poll_timeout()
            && deadline <= t
        {
            self.now = deadline.max(self.now);
            self.h.handle_timeout(self.now);
            self.drain();
        }
        self.now = t;
    }

    fn arrive(&mut self, c: usize) {
        let Some(item) = self.upstream[c].pop_front() else {
            return;
        };
        match item {
            Item::Rec { id, value } => {
                if let Some(k) = self.h.should_persist(c) {
                    self.out.persisted.entry(k).or_default().push((id, value));
                }
                self.enqueue(c, item);
            }
            Item::Barrier { id, priority } => {
                let overtakes = match self.barriers {
                    Barriers::InOrder => false,
                    Barriers::Priority => true,
                    Barriers::AsGenerated => priority,
                };
                if overtakes || self.h.should_persist(c) == Some(id) {
                    self.hand_over(c, id, true);
                } else {
                    // Queued behind the channel's data, and announced at once (the contract).
                    self.enqueue(c, item);
                    self.h.on_barrier_announcement(self.now, c, barrier(id));
                    self.drain();
                }
            }
            Item::End => self.enqueue(c, item),
        }
    }

    fn enqueue(&mut self, c: usize, item: Item) {
        self.seq += 1;
        self.queues[c].push_back((self.seq, item));
    }

    fn hand_over(&mut self, c: usize, id: u64, priority: bool) {
        let b = barrier(id);
        if priority {
            self.h.on_priority_barrier(self.now, c, b);
        } else {
            self.h.on_barrier(self.now, c, b);
        }
        self.drain();
    }

    /// Processes the oldest item of an unblocked channel; false if there is none.
    fn process_one(&mut self) -> bool {
        let next = (0..self.queues.len())
            .filter(|&c| self.faults.ignore_blocking || !self.h.is_blocked(c))
            .filter_map(|c| self.queues[c].front().map(|&(seq, _)| (seq, c)))
            .min();
        let Some((_, c)) = next else { return false };
        let (_, item) = self.queues[c].pop_front().unwrap();
        match item {
            Item::Rec { id, value } => {
                self.sum += value;
                self.processed.push(id);
            }
            Item::Barrier { id, .. } => self.hand_over(c, id, false),
            Item::End => {
                self.h.on_end_of_partition(self.now, c);
                self.drain();
            }
        }
        true
    }

    fn drain(&mut self) {
        let mut overtaking = Vec::new();
        while let Some(action) = self.h.poll_action() {
            match action {
                Action::TriggerSnapshot(t) => {
                    let mut ids = self.processed.clone();
                    ids.sort();
                    self.out.snapshots.insert(t.checkpoint_id(), (self.sum, ids));
                }
                Action::PersistQueuedInput { channel, checkpoint_id } if !self.faults.skip_persist_queued => {
                    let entry = self.out.persisted.entry(checkpoint_id).or_default();
                    for &(_, item) in &self.queues[channel] {
                        if let Item::Rec { id, value } = item {
                            entry.push((id, value));
                        }
                    }
                }
                Action::StartPersisting { channel, checkpoint_id } => {
                    let entry = self.out.persisted.entry(checkpoint_id).or_default();
                    let queue = &mut self.queues[channel];
                    for pos in 0..queue.len() {
                        match queue[pos].1 {
                            Item::Rec { id, value } => entry.push((id, value)),
                            Item::Barrier { id, .. } if id == checkpoint_id => {
                                queue.remove(pos);
                                overtaking.push((channel, id));
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                Action::AllBarriersReceived { checkpoint_id, .. } => {
                    self.out.completed.insert(checkpoint_id);
                }
                Action::AbortCheckpoint { checkpoint_id, .. } => {
                    self.out.aborted.insert(checkpoint_id);
                }
                _ => {}
            }
        }
        for (c, id) in overtaking {
            self.hand_over(c, id, true);
        }
    }
}

/// Barrier `id`, triggered at time 0.
fn barrier(id: u64) -> Barrier {
    Barrier {
        checkpoint_id: id,
        trigger_timestamp: 0,
        kind: SnapshotKind::Checkpoint,
    }
}

// ----- the checks -------------------------------------------------------------------------

fn sum(records: &[(usize, i64)]) -> i64 {
    records.iter().map(|&(_, v)| v).sum()
}

fn ids(records: &[(usize, i64)]) -> Vec<usize> {
    let mut ids: Vec<usize> = records.iter().map(|&(id, _)| id).collect();
    ids.sort();
    ids
}

/// The newest checkpoint's barrier is last on every channel; nothing can subsume it.
fn check_newest_completes(case: &Case, out: &Outcome) -> Result<(), String> {
    if out.completed.contains(&case.checkpoints) && out.snapshots.contains_key(&case.checkpoints) {
        Ok(())
    } else {
        Err(format!("checkpoint {} never completed", case.checkpoints))
    }
}

/// (a) Every aligned checkpoint completes and its snapshot is exactly the cut.
fn check_aligned_cut(case: &Case, out: &Outcome) -> Result<(), String> {
    for k in 1..=case.checkpoints {
        let (state_sum, state_ids) = out
            .snapshots
            .get(&k)
            .ok_or_else(|| format!("checkpoint {k} never snapshotted"))?;
        let cut = case.cut(k);
        if *state_sum != sum(&cut) || *state_ids != ids(&cut) {
            return Err(format!(
                "checkpoint {k}: state sum {state_sum} of {state_ids:?}, cut sum {} of {:?}",
                sum(&cut),
                ids(&cut)
            ));
        }
        if out.persisted.get(&k).is_some_and(|p| !p.is_empty()) {
            return Err(format!("aligned checkpoint {k} persisted channel state"));
        }
    }
    if !out.aborted.is_empty() {
        return Err(format!("aborted {:?}", out.aborted));
    }
    Ok(())
}

/// (b) Every completed checkpoint's state plus its channel state, replayed, is the cut.
fn check_unaligned_replay(case: &Case, out: &Outcome) -> Result<(), String> {
    check_newest_completes(case, out)?;
    for &k in out.completed.iter().filter(|k| !out.aborted.contains(k)) {
        let (state_sum, state_ids) = &out.snapshots[&k];
        let persisted = out.persisted.get(&k).cloned().unwrap_or_default();
        let mut replayed_ids = state_ids.clone();
        replayed_ids.extend(ids(&persisted));
        replayed_ids.sort();
        let cut = case.cut(k);
        if state_sum + sum(&persisted) != sum(&cut) || replayed_ids != ids(&cut) {
            return Err(format!(
                "checkpoint {k}: state {state_ids:?} + persisted {persisted:?} != cut {cut:?}"
            ));
        }
    }
    Ok(())
}

/// (c) Every at-least-once snapshot holds every record before its barriers.
fn check_at_least_once(case: &Case, out: &Outcome) -> Result<(), String> {
    check_newest_completes(case, out)?;
    for (&k, (_, state_ids)) in &out.snapshots {
        let state: BTreeSet<usize> = state_ids.iter().copied().collect();
        if let Some(missing) = ids(&case.cut(k)).into_iter().find(|id| !state.contains(id)) {
            return Err(format!("checkpoint {k} misses record {missing}"));
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    // (a) For any interleaving, an aligned snapshot holds exactly the records before the
    // barrier on every channel (a consistent cut), and every checkpoint completes.
    #[test]
    fn aligned_snapshot_is_the_consistent_cut(case in case()) {
        let h = BarrierHandler::new(CheckpointingMode::ExactlyOnceAligned, case.channels.len(), None);
        let out = Driver::run(&case, h, Barriers::InOrder, Faults::default());
        prop_assert_eq!(check_aligned_cut(&case, &out), Ok(()));
    }

    // (b) For any interleaving, an unaligned snapshot's state plus its persisted channel
    // state, replayed, equals the aligned cut.
    #[test]
    fn unaligned_snapshot_plus_channel_state_is_the_cut(case in case()) {
        let h = BarrierHandler::new(CheckpointingMode::ExactlyOnceUnaligned, case.channels.len(), None);
        let out = Driver::run(&case, h, Barriers::Priority, Faults::default());
        prop_assert_eq!(check_unaligned_replay(&case, &out), Ok(()));
    }

    // (b') The same holds with an alignment timeout, whichever checkpoints time out (barriers
    // taken or only announced), whichever upstreams already switched, from either timeout start.
    #[test]
    fn timed_out_alignment_plus_channel_state_is_the_cut(
        case in case(),
        timeout in 1u64..30,
        from_checkpoint_start in any::<bool>(),
    ) {
        let mut config = BarrierHandlerConfig::new(
            CheckpointingMode::ExactlyOnceUnaligned,
            case.channels.len(),
            Some(timeout),
        );
        config.timeout_start = if from_checkpoint_start {
            AlignmentTimeoutStart::CheckpointStart
        } else {
            AlignmentTimeoutStart::FirstBarrier
        };
        let h = BarrierHandler::with_config(config);
        let out = Driver::run(&case, h, Barriers::AsGenerated, Faults::default());
        prop_assert_eq!(check_unaligned_replay(&case, &out), Ok(()));
    }

    // (c) For any interleaving, an at-least-once snapshot never misses a record before its
    // barrier (it may hold later ones).
    #[test]
    fn at_least_once_snapshot_never_misses_a_record(case in case()) {
        let h = BarrierHandler::new(CheckpointingMode::AtLeastOnce, case.channels.len(), None);
        let out = Driver::run(&case, h, Barriers::InOrder, Faults::default());
        prop_assert_eq!(check_at_least_once(&case, &out), Ok(()));
    }
}

// ----- the checks can fail ----------------------------------------------------------------

/// ch0: barrier 1 then x=5; ch1: y=1 then barrier 1. Cut of checkpoint 1 = {y}.
fn blocked_data_case() -> Case {
    Case {
        channels: vec![
            ChannelInput {
                values: vec![5],
                barrier_at: vec![0],
                priority: vec![false],
                ends: false,
            },
            ChannelInput {
                values: vec![1],
                barrier_at: vec![1],
                priority: vec![false],
                ends: false,
            },
        ],
        checkpoints: 1,
        // ch0 barrier, ch0 x, drain, ch1 y, ch1 barrier, drain.
        schedule: vec![(0, 1), (0, 1), (3, 1), (1, 1), (1, 1), (3, 1)],
    }
}

#[test]
fn aligned_check_catches_a_driver_that_ignores_blocking() {
    let case = blocked_data_case();
    let honest = Driver::run(
        &case,
        BarrierHandler::new(CheckpointingMode::ExactlyOnceAligned, 2, None),
        Barriers::InOrder,
        Faults::default(),
    );
    assert_eq!(check_aligned_cut(&case, &honest), Ok(()));

    let broken = Driver::run(
        &case,
        BarrierHandler::new(CheckpointingMode::ExactlyOnceAligned, 2, None),
        Barriers::InOrder,
        Faults {
            ignore_blocking: true,
            ..Faults::default()
        },
    );
    assert_eq!(broken.snapshots[&1].0, 6, "x slipped into the snapshot");
    assert!(check_aligned_cut(&case, &broken).is_err());
}

#[test]
fn aligned_check_catches_an_at_least_once_handler_posing_as_exactly_once() {
    let case = blocked_data_case();
    let out = Driver::run(
        &case,
        BarrierHandler::new(CheckpointingMode::AtLeastOnce, 2, None),
        Barriers::InOrder,
        Faults::default(),
    );
    assert_eq!(check_at_least_once(&case, &out), Ok(()));
    assert!(check_aligned_cut(&case, &out).is_err());
}

#[test]
fn replay_check_catches_a_driver_that_drops_overtaken_input() {
    // ch0: x=3 then barrier 1 (priority); ch1: barrier 1. x is queued when the barrier
    // overtakes it, so it must be channel state.
    let case = Case {
        channels: vec![
            ChannelInput {
                values: vec![3],
                barrier_at: vec![1],
                priority: vec![true],
                ends: false,
            },
            ChannelInput {
                values: vec![],
                barrier_at: vec![0],
                priority: vec![true],
                ends: false,
            },
        ],
        checkpoints: 1,
        schedule: vec![(0, 1), (0, 1), (1, 1), (3, 1)],
    };
    let run = |faults| {
        let h = BarrierHandler::new(CheckpointingMode::ExactlyOnceUnaligned, 2, None);
        Driver::run(&case, h, Barriers::Priority, faults)
    };
    assert_eq!(check_unaligned_replay(&case, &run(Faults::default())), Ok(()));
    let broken = run(Faults {
        skip_persist_queued: true,
        ..Faults::default()
    });
    assert!(check_unaligned_replay(&case, &broken).is_err());
}
