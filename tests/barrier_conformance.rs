//! Conformance cases for the barrier handlers: explicit per-channel inputs, an explicit
//! delivery schedule, and the exact output order and notifications expected, modelled on
//! Flink's AlignedCheckpointsTest, UnalignedCheckpointsTest, AlternatingCheckpointsTest and
//! CheckpointBarrierTrackerTest.
//!
//! The driver below follows the contract in `protocol::barrier`'s module docs: a channel is
//! a FIFO of received items; data is taken in arrival order from unblocked channels unless
//! the operator is held busy; priority barriers (and barriers of persisting channels) are
//! handed over on receipt; channel state is copied as the persistence actions say.

use std::collections::{BTreeMap, VecDeque};

use ckptsim::protocol::barrier::{
    Action, AlignmentTimeoutStart, BarrierHandler, BarrierHandlerConfig, SnapshotTrigger,
};
use ckptsim::protocol::{Barrier, CheckpointingMode, Nanos, SnapshotKind};

use CheckpointingMode::{AtLeastOnce, ExactlyOnceAligned, ExactlyOnceUnaligned};

// ----- the test driver ------------------------------------------------------------------

/// One item of a channel's stream, as the upstream sent it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum In {
    /// A data buffer, named for the log.
    Buf(&'static str),
    /// An in-order checkpoint barrier.
    B(u64),
    /// A priority (unaligned) checkpoint barrier: overtakes queued buffers on receipt.
    P(u64),
    /// An in-order savepoint barrier.
    Sp(u64),
    /// A cancellation marker.
    Cancel(u64),
    /// EndOfPartition.
    End,
}
use In::{B, Buf, Cancel, End, P, Sp};

/// One step of the schedule, at a time.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// The next item of the channel arrives at the input.
    D(Nanos, usize),
    /// The operator is busy: received items stay queued.
    Hold(Nanos),
    /// The operator resumes and drains what it may.
    Go(Nanos),
    /// Only time passes (timers fire).
    Tick(Nanos),
}
use Step::{D, Go, Hold, Tick};

/// Every checkpoint is triggered at time 0, so start delay = first barrier arrival.
fn barrier(id: u64, kind: SnapshotKind) -> Barrier {
    Barrier {
        checkpoint_id: id,
        trigger_timestamp: 0,
        kind,
    }
}

fn as_barrier(item: In) -> Option<Barrier> {
    match item {
        B(id) | P(id) => Some(barrier(id, SnapshotKind::Checkpoint)),
        Sp(id) => Some(barrier(id, SnapshotKind::Savepoint)),
        _ => None,
    }
}

struct Run {
    h: BarrierHandler,
    upstream: Vec<VecDeque<In>>,
    queues: Vec<VecDeque<(u64, In)>>,
    seq: u64,
    held: bool,
    now: Nanos,
    /// What the operator did, in order: processed buffers, snapshots, forwarded markers.
    out: Vec<String>,
    /// Every action the handler emitted, in order.
    notes: Vec<String>,
    /// Channel state copied per (checkpoint, channel).
    persisted: BTreeMap<(u64, usize), Vec<&'static str>>,
    /// Persistence as the driver tracks it from Start/StopPersisting.
    persisting: Vec<Option<u64>>,
    triggers: Vec<SnapshotTrigger>,
}

impl Run {
    fn new(h: BarrierHandler, inputs: Vec<Vec<In>>) -> Self {
        assert_eq!(h.num_channels(), inputs.len(), "one input list per channel");
        let n = inputs.len();
        Run {
            h,
            upstream: inputs.into_iter().map(VecDeque::from).collect(),
            queues: vec![VecDeque::new(); n],
            seq: 0,
            held: false,
            now: 0,
            out: Vec::new(),
            notes: Vec::new(),
            persisted: BTreeMap::new(),
            persisting: vec![None; n],
            triggers: Vec::new(),
        }
    }

    fn steps(mut self, steps: &[Step]) -> Self {
        for &s in steps {
            self.step(s);
        }
        self
    }

    fn step(&mut self, s: Step) {
        let t = match s {
            D(t, _) | Hold(t) | Go(t) | Tick(t) => t,
        };
        self.advance(t);
        match s {
            D(_, ch) => {
                let item = self.upstream[ch]
                    .pop_front()
                    .unwrap_or_else(|| panic!("no more input on channel {ch}"));
                self.arrive(ch, item);
            }
            Hold(_) => self.held = true,
            Go(_) => self.held = false,
            Tick(_) => {}
        }
        self.process();
    }

    /// Fires every timer due up to `t`, at its own time.
    fn advance(&mut self, t: Nanos) {
        while let Some(deadline) = self.h.poll_timeout()
            && deadline <= t
        {
            self.now = deadline.max(self.now);
            self.h.handle_timeout(self.now);
            self.drain();
            self.process();
        }
        self.now = t;
    }

    fn arrive(&mut self, ch: usize, item: In) {
        match item {
            Buf(name) => {
                let persist = self.h.should_persist(ch);
                assert_eq!(persist, self.persisting[ch], "query and actions disagree");
                if let Some(id) = persist {
                    self.persisted.entry((id, ch)).or_default().push(name);
                }
                self.enqueue(ch, item);
            }
            P(_) => self.hand_over(ch, item, true),
            B(id) | Sp(id) if self.persisting[ch] == Some(id) => self.hand_over(ch, item, true),
            B(_) | Sp(_) => {
                // Queued behind the channel's data, and announced at once (the contract).
                self.enqueue(ch, item);
                let b = as_barrier(item).expect("a barrier");
                self.h.on_barrier_announcement(self.now, ch, b);
                self.drain();
            }
            _ => self.enqueue(ch, item),
        }
    }

    fn enqueue(&mut self, ch: usize, item: In) {
        self.seq += 1;
        self.queues[ch].push_back((self.seq, item));
    }

    fn hand_over(&mut self, ch: usize, item: In, priority: bool) {
        let b = as_barrier(item).expect("a barrier");
        if priority {
            self.h.on_priority_barrier(self.now, ch, b);
        } else {
            self.h.on_barrier(self.now, ch, b);
        }
        self.drain();
    }

    /// Takes items in arrival order from unblocked channels until none is left or held.
    fn process(&mut self) {
        while !self.held {
            let next = (0..self.queues.len())
                .filter(|&c| !self.h.is_blocked(c))
                .filter_map(|c| self.queues[c].front().map(|&(seq, _)| (seq, c)))
                .min();
            let Some((_, ch)) = next else { break };
            let (_, item) = self.queues[ch].pop_front().unwrap();
            match item {
                Buf(name) => self.out.push(format!("buf({name})")),
                B(_) | Sp(_) | P(_) => self.hand_over(ch, item, false),
                Cancel(id) => {
                    self.h.on_cancellation_marker(self.now, ch, id);
                    self.drain();
                }
                End => {
                    self.h.on_end_of_partition(self.now, ch);
                    self.drain();
                }
            }
        }
    }

    fn drain(&mut self) {
        let mut overtaking = Vec::new();
        while let Some(a) = self.h.poll_action() {
            self.notes.push(describe(&a));
            match a {
                Action::TriggerSnapshot(t) => {
                    let kind = if t.unaligned { " (unaligned)" } else { "" };
                    self.out.push(format!("snapshot {}{kind}", t.checkpoint_id()));
                    self.triggers.push(t);
                }
                Action::ForwardCancellation { checkpoint_id } => self.out.push(format!("cancel {checkpoint_id}")),
                Action::PersistQueuedInput { channel, checkpoint_id } => {
                    let names: Vec<_> = self.queues[channel]
                        .iter()
                        .filter_map(|&(_, i)| if let Buf(n) = i { Some(n) } else { None })
                        .collect();
                    let entry = self.persisted.entry((checkpoint_id, channel)).or_default();
                    entry.extend(names);
                }
                Action::StartPersisting { channel, checkpoint_id } => {
                    self.persisting[channel] = Some(checkpoint_id);
                    let entry = self.persisted.entry((checkpoint_id, channel)).or_default();
                    let queue = &mut self.queues[channel];
                    for pos in 0..queue.len() {
                        match queue[pos].1 {
                            Buf(n) => entry.push(n),
                            B(id) | Sp(id) if id == checkpoint_id => {
                                // Its barrier is queued already: it overtakes what is left.
                                let (_, item) = queue.remove(pos).unwrap();
                                overtaking.push((channel, item));
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                Action::StopPersisting { channel, .. } => self.persisting[channel] = None,
                _ => {}
            }
        }
        for (ch, item) in overtaking {
            self.hand_over(ch, item, true);
        }
    }

    fn persisted(&self, id: u64, ch: usize) -> Vec<&'static str> {
        self.persisted.get(&(id, ch)).cloned().unwrap_or_default()
    }
}

fn describe(a: &Action) -> String {
    match a {
        Action::BlockChannel { channel, .. } => format!("block ch{channel}"),
        Action::UnblockChannel { channel } => format!("unblock ch{channel}"),
        Action::TriggerSnapshot(t) => format!(
            "trigger {} {} first={} align={}",
            t.checkpoint_id(),
            if t.unaligned { "unaligned" } else { "aligned" },
            t.first_barrier_at,
            t.alignment_duration
        ),
        Action::PersistQueuedInput { channel, checkpoint_id } => format!("persist-queued ch{channel} #{checkpoint_id}"),
        Action::StartPersisting { channel, checkpoint_id } => format!("start-persisting ch{channel} #{checkpoint_id}"),
        Action::StopPersisting { channel, checkpoint_id } => format!("stop-persisting ch{channel} #{checkpoint_id}"),
        Action::AllBarriersReceived {
            checkpoint_id,
            alignment_duration,
            ..
        } => format!("all-barriers {checkpoint_id} align={alignment_duration}"),
        Action::AbortCheckpoint { checkpoint_id, reason } => format!("abort {checkpoint_id} {}", reason.flink_name()),
        Action::ForwardCancellation { checkpoint_id } => format!("forward-cancel {checkpoint_id}"),
        Action::PrioritizeOutputBarrier { checkpoint_id } => format!("prioritize-output {checkpoint_id}"),
        Action::LocalSnapshot { checkpoint_id, cause } => format!("local-snapshot {checkpoint_id} {cause:?}"),
    }
}

fn aligned(n: usize) -> BarrierHandler {
    BarrierHandler::new(ExactlyOnceAligned, n, None)
}
fn unaligned(n: usize) -> BarrierHandler {
    BarrierHandler::new(ExactlyOnceUnaligned, n, None)
}
/// Aligned with a timeout to unaligned, the timeout counted as Flink counts it: from the
/// checkpoint's start (every barrier here is triggered at time 0).
fn alternating(n: usize, timeout: Nanos) -> BarrierHandler {
    BarrierHandler::new(ExactlyOnceUnaligned, n, Some(timeout))
}
/// The same with ckptsim's other choice: the timeout counts from the first barrier's (or
/// announcement's) arrival at this input.
fn alternating_from_first_barrier(n: usize, timeout: Nanos) -> BarrierHandler {
    let mut config = BarrierHandlerConfig::new(ExactlyOnceUnaligned, n, Some(timeout));
    config.timeout_start = AlignmentTimeoutStart::FirstBarrier;
    BarrierHandler::with_config(config)
}
fn at_least_once(n: usize) -> BarrierHandler {
    BarrierHandler::new(AtLeastOnce, n, None)
}
fn no_checkpoints_after_finish(mode: CheckpointingMode, n: usize) -> BarrierHandler {
    let mut config = BarrierHandlerConfig::new(mode, n, None);
    config.checkpoints_after_tasks_finish = false;
    BarrierHandler::with_config(config)
}

fn drain_all(h: &mut BarrierHandler) -> Vec<Action> {
    std::iter::from_fn(|| h.poll_action()).collect()
}

// ----- aligned exactly-once ---------------------------------------------------------------

#[test]
fn aligned_data_behind_a_barrier_waits_for_the_last_barrier() {
    let r = Run::new(aligned(3), vec![vec![B(1), Buf("b")], vec![Buf("a"), B(1)], vec![B(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 0)]);
    assert!(r.h.is_blocked(0), "ch0 delivered its barrier and waits");
    assert_eq!(r.out, ["buf(a)"], "buf(b) is held back behind the barrier");
    let r = r.steps(&[D(4, 2), D(5, 1)]);
    assert_eq!(r.out, ["buf(a)", "snapshot 1", "buf(b)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "block ch2",
            "trigger 1 aligned first=1 align=4",
            "unblock ch0",
            "unblock ch2",
            "all-barriers 1 align=4",
        ]
    );
    assert!(!r.h.is_blocked(0) && !r.h.is_blocked(2));
}

#[test]
fn aligned_single_channel_snapshots_at_once_without_blocking() {
    let r = Run::new(aligned(1), vec![vec![Buf("a"), B(1), Buf("b")]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 0)]);
    assert_eq!(r.out, ["buf(a)", "snapshot 1", "buf(b)"]);
    assert_eq!(r.notes, ["trigger 1 aligned first=2 align=0", "all-barriers 1 align=0"]);
}

#[test]
fn aligned_blocked_channel_releases_its_data_in_order() {
    let r = Run::new(
        aligned(2),
        vec![vec![B(1), Buf("x"), Buf("y"), Buf("z")], vec![Buf("a"), Buf("b"), B(1)]],
    );
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 0), D(5, 1), D(6, 0), D(7, 1)]);
    assert_eq!(r.out, ["buf(a)", "buf(b)", "snapshot 1", "buf(x)", "buf(y)", "buf(z)"]);
}

#[test]
fn aligned_checkpoints_follow_one_another() {
    let r = Run::new(
        aligned(2),
        vec![
            vec![Buf("a"), B(1), Buf("b"), B(2), Buf("c")],
            vec![B(1), Buf("d"), B(2)],
        ],
    );
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 0), D(4, 1), D(5, 1), D(6, 0), D(7, 0), D(9, 1)]);
    assert_eq!(
        r.out,
        ["buf(a)", "snapshot 1", "buf(b)", "buf(d)", "snapshot 2", "buf(c)"]
    );
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "trigger 1 aligned first=2 align=2",
            "unblock ch0",
            "all-barriers 1 align=2",
            "block ch0",
            "trigger 2 aligned first=6 align=3",
            "unblock ch0",
            "all-barriers 2 align=3",
        ]
    );
}

#[test]
fn aligned_trigger_carries_barrier_alignment_and_start_delay() {
    let mut h = aligned(2);
    let b = Barrier {
        checkpoint_id: 7,
        trigger_timestamp: 100,
        kind: SnapshotKind::Checkpoint,
    };
    h.on_barrier(130, 1, b);
    h.on_barrier(175, 0, b);
    let actions = drain_all(&mut h);
    let expected = SnapshotTrigger {
        barrier: b,
        unaligned: false,
        first_barrier_at: 130,
        alignment_duration: 45,
    };
    assert_eq!(actions[1], Action::TriggerSnapshot(expected));
    assert_eq!(expected.start_delay(), 30);
    assert!(!expected.forward_as_priority());
    assert_eq!(
        actions[3],
        Action::AllBarriersReceived {
            checkpoint_id: 7,
            first_barrier_at: 130,
            alignment_duration: 45
        }
    );
}

#[test]
fn aligned_ignores_a_barrier_older_than_the_newest_seen() {
    // ch0's upstream skipped checkpoint 1; ch1's late barrier 1 is obsolete and blocks nothing.
    let r = Run::new(aligned(2), vec![vec![B(2), Buf("x")], vec![B(1), Buf("a"), B(2)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    assert!(!r.h.is_blocked(1));
    assert_eq!(r.out, ["buf(a)"]);
    let r = r.steps(&[D(5, 1)]);
    assert_eq!(r.out, ["buf(a)", "snapshot 2", "buf(x)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "trigger 2 aligned first=1 align=4",
            "unblock ch0",
            "all-barriers 2 align=4"
        ]
    );
}

#[test]
fn aligned_ignores_a_repeated_barrier_of_a_completed_checkpoint() {
    let r = Run::new(aligned(2), vec![vec![B(1), B(1), Buf("a")], vec![B(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 0), D(4, 0)]);
    assert_eq!(r.out, ["snapshot 1", "buf(a)"]);
    assert!(!r.h.is_blocked(0));
    assert_eq!(r.h.pending_checkpoint(), None);
}

#[test]
fn newer_barrier_subsumes_the_pending_alignment() {
    let r = Run::new(aligned(2), vec![vec![B(1), Buf("a"), B(2)], vec![B(2), Buf("b")]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1), D(5, 0)]);
    assert_eq!(r.out, ["cancel 1", "buf(a)", "snapshot 2", "buf(b)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "unblock ch0",
            "abort 1 CHECKPOINT_DECLINED_SUBSUMED",
            "forward-cancel 1",
            "block ch1",
            "trigger 2 aligned first=3 align=2",
            "unblock ch1",
            "all-barriers 2 align=2",
        ]
    );
}

#[test]
fn late_barrier_of_a_subsumed_checkpoint_is_ignored() {
    let r = Run::new(aligned(3), vec![vec![B(1)], vec![B(2)], vec![B(1), Buf("c")]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 2), D(4, 2)]);
    assert!(!r.h.is_blocked(2), "barrier 1 is obsolete once 2 started");
    assert_eq!(r.out, ["cancel 1", "buf(c)"]);
    assert_eq!(r.h.pending_checkpoint(), Some(2));
}

#[test]
fn cancellation_marker_aborts_alignment_and_unblocks() {
    let r = Run::new(aligned(2), vec![vec![B(1), Buf("a")], vec![Cancel(1), Buf("b")]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    assert_eq!(r.out, ["cancel 1", "buf(a)", "buf(b)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "unblock ch0",
            "abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "forward-cancel 1",
        ]
    );
}

#[test]
fn cancellation_marker_before_any_barrier_makes_its_barriers_obsolete() {
    let r = Run::new(aligned(2), vec![vec![Cancel(1)], vec![B(1), Buf("x")]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 1)]);
    assert_eq!(r.out, ["cancel 1", "buf(x)"]);
    assert_eq!(
        r.notes,
        [
            "abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "forward-cancel 1"
        ]
    );
    assert!(!r.h.is_blocked(1));
}

#[test]
fn trailing_cancellation_marker_is_ignored() {
    let r = Run::new(aligned(2), vec![vec![Cancel(1)], vec![Cancel(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 1)]);
    assert_eq!(r.out, ["cancel 1"], "one abort, one forwarded marker");
}

/// SingleCheckpointBarrierHandler.processCancellationBarrier: a marker of a newer
/// checkpoint aborts only that one (`abortInternal(cancelledId)`); the older checkpoint
/// still aligning is released without a decline, and the coordinator leaves it to expire
/// or be subsumed.
#[test]
fn cancellation_marker_of_a_newer_checkpoint_ends_the_pending_one() {
    let r = Run::new(aligned(2), vec![vec![B(1), Buf("a")], vec![Cancel(2)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1)]);
    assert_eq!(r.out, ["cancel 2", "buf(a)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "unblock ch0",
            "abort 2 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "forward-cancel 2",
        ]
    );
}

#[test]
fn end_of_partition_during_alignment_completes_it() {
    let r = Run::new(aligned(2), vec![vec![B(1), Buf("a")], vec![Buf("b"), End]]);
    let r = r.steps(&[D(10, 0), D(11, 0), D(12, 1), D(30, 1)]);
    assert_eq!(r.out, ["buf(b)", "snapshot 1", "buf(a)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "trigger 1 aligned first=10 align=20",
            "unblock ch0",
            "all-barriers 1 align=20"
        ]
    );
}

#[test]
fn channel_ended_before_a_checkpoint_is_not_waited_for() {
    let r = Run::new(aligned(2), vec![vec![B(1), Buf("a")], vec![End]]);
    let r = r.steps(&[D(1, 1), D(2, 0), D(3, 0)]);
    assert_eq!(r.out, ["snapshot 1", "buf(a)"]);
    assert_eq!(r.h.num_open_channels(), 1);
}

#[test]
fn end_of_partition_declines_without_checkpoints_after_tasks_finish() {
    let h = no_checkpoints_after_finish(ExactlyOnceAligned, 2);
    let r = Run::new(h, vec![vec![B(1), Buf("a")], vec![End]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1)]);
    assert_eq!(r.out, ["cancel 1", "buf(a)"]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "unblock ch0",
            "abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM",
            "forward-cancel 1",
        ]
    );
}

#[test]
fn end_of_all_inputs_without_pending_checkpoint_emits_nothing() {
    let r = Run::new(aligned(2), vec![vec![Buf("a"), End], vec![End]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 0)]);
    assert_eq!(r.out, ["buf(a)"]);
    assert!(r.notes.is_empty());
    assert_eq!(r.h.num_open_channels(), 0);
    assert!(r.h.is_finished(0) && r.h.is_finished(1));
}

#[test]
fn aligned_mode_ignores_the_alignment_timeout() {
    // As in Flink, the timeout needs unaligned checkpoints enabled.
    let h = BarrierHandler::new(ExactlyOnceAligned, 2, Some(5));
    let r = Run::new(h, vec![vec![B(1)], vec![B(1)]]);
    let r = r.steps(&[D(1, 0)]);
    assert_eq!(r.h.poll_timeout(), None);
    let r = r.steps(&[D(100, 1)]);
    assert_eq!(r.out, ["snapshot 1"]);
}

// ----- unaligned exactly-once -------------------------------------------------------------

#[test]
fn unaligned_first_barrier_snapshots_at_once_and_persists_overtaken_input() {
    let r = Run::new(
        unaligned(2),
        vec![
            vec![Buf("a"), Buf("b"), P(1), Buf("x")],
            vec![Buf("c"), Buf("d"), P(1), Buf("e")],
        ],
    );
    let r = r.steps(&[
        Hold(0),
        D(1, 0),
        D(2, 0),
        D(3, 1),
        D(5, 0), // P1 overtakes a, b
        D(6, 0),
        D(7, 1), // d arrives before ch1's barrier: channel state
        D(9, 1), // ch1's barrier
        D(10, 1),
        Go(11),
    ]);
    assert_eq!(
        r.out,
        [
            "snapshot 1 (unaligned)",
            "buf(a)",
            "buf(b)",
            "buf(c)",
            "buf(x)",
            "buf(d)",
            "buf(e)"
        ]
    );
    assert_eq!(r.persisted(1, 0), ["a", "b"]);
    assert_eq!(r.persisted(1, 1), ["c", "d"]);
    assert_eq!(
        r.notes,
        [
            "persist-queued ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=5 align=0",
            "stop-persisting ch1 #1",
            "all-barriers 1 align=4",
        ]
    );
    assert!(r.triggers[0].forward_as_priority());
}

#[test]
fn unaligned_never_blocks_a_channel() {
    let r = Run::new(
        unaligned(3),
        vec![vec![P(1), Buf("a")], vec![Buf("b")], vec![Buf("c"), P(1)]],
    );
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 2)]);
    assert!((0..3).all(|c| !r.h.is_blocked(c)));
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "buf(b)", "buf(c)"]);
    // Nothing was queued at the barrier; b and c arrived before their channels' barriers.
    assert_eq!(r.persisted(1, 0), Vec::<&str>::new());
    assert_eq!(r.persisted(1, 1), ["b"]);
    assert_eq!(r.persisted(1, 2), ["c"]);
    assert_eq!(r.h.pending_checkpoint(), Some(1), "ch1's barrier is still to come");
}

#[test]
fn unaligned_single_channel_persists_queue_and_completes_at_once() {
    let r = Run::new(unaligned(1), vec![vec![Buf("a"), P(1), Buf("b")]]);
    let r = r.steps(&[Hold(0), D(1, 0), D(2, 0), D(3, 0), Go(4)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "buf(b)"]);
    assert_eq!(r.persisted(1, 0), ["a"]);
    assert_eq!(
        r.notes,
        [
            "persist-queued ch0 #1",
            "trigger 1 unaligned first=2 align=0",
            "all-barriers 1 align=0"
        ]
    );
}

#[test]
fn unaligned_mode_aligns_savepoints() {
    let r = Run::new(unaligned(2), vec![vec![Sp(1), Buf("a")], vec![Buf("b"), Sp(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    assert_eq!(r.out, ["buf(b)", "snapshot 1", "buf(a)"]);
    assert_eq!(r.notes[0], "block ch0");
    assert!(r.persisted.is_empty());
}

#[test]
fn unaligned_newer_barrier_subsumes_and_restarts_persistence() {
    let r = Run::new(unaligned(2), vec![vec![P(1), Buf("a")], vec![Buf("b"), P(2)]]);
    let r = r.steps(&[Hold(0), D(1, 0), D(2, 0), D(3, 1), D(4, 1), Go(5)]);
    assert_eq!(
        r.notes,
        [
            "persist-queued ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=1 align=0",
            "stop-persisting ch1 #1",
            "abort 1 CHECKPOINT_DECLINED_SUBSUMED",
            "forward-cancel 1",
            "start-persisting ch0 #2",
            "persist-queued ch1 #2",
            "trigger 2 unaligned first=4 align=0",
        ]
    );
    assert_eq!(r.persisted(1, 1), ["b"]);
    assert_eq!(r.persisted(2, 1), ["b"]);
    assert_eq!(r.persisted(2, 0), ["a"]);
}

#[test]
fn unaligned_cancellation_stops_persisting() {
    let r = Run::new(unaligned(2), vec![vec![P(1)], vec![Buf("a"), Cancel(1), Buf("b")]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 1), D(4, 1)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "cancel 1", "buf(b)"]);
    assert_eq!(r.persisted(1, 1), ["a"], "b came after the abort");
    assert_eq!(
        r.notes,
        [
            "persist-queued ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=1 align=0",
            "stop-persisting ch1 #1",
            "abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "forward-cancel 1",
        ]
    );
}

#[test]
fn unaligned_end_of_partition_stops_persisting_and_completes() {
    let r = Run::new(unaligned(2), vec![vec![P(1)], vec![Buf("a"), End]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(8, 1)]);
    assert_eq!(
        r.notes,
        [
            "persist-queued ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=1 align=0",
            "stop-persisting ch1 #1",
            "all-barriers 1 align=7",
        ]
    );
    assert_eq!(r.persisted(1, 1), ["a"]);
}

// ----- aligned with timeout (alternating) -------------------------------------------------

#[test]
fn alignment_within_the_timeout_stays_aligned() {
    // Triggered at 0 with a 50 timeout: the deadline is 50, whenever the first barrier comes.
    let r = Run::new(alternating(2, 50), vec![vec![B(1), Buf("a")], vec![B(1)]]);
    let r = r.steps(&[D(10, 0), D(11, 0)]);
    assert_eq!(r.h.poll_timeout(), Some(50));
    let r = r.steps(&[D(49, 1)]);
    assert_eq!(r.out, ["snapshot 1", "buf(a)"]);
    // The input timer is gone; the same deadline now times out the forwarded barrier.
    assert!(r.h.times_out_output_barrier(1));
    assert_eq!(r.notes[1], "trigger 1 aligned first=10 align=39");
}

#[test]
fn alignment_timeout_switches_to_unaligned() {
    let r = Run::new(
        alternating_from_first_barrier(3, 50),
        vec![
            vec![B(1), Buf("x")],
            vec![Buf("a"), Buf("b"), B(1), Buf("c")],
            vec![B(1)],
        ],
    );
    let r = r.steps(&[
        D(10, 0), // ch0 aligned and blocked
        Hold(11), // operator busy: a stays queued
        D(20, 1), // a
        D(30, 0), // x: behind ch0's barrier, not channel state
        Tick(60), // timer at 60 switches
        D(70, 1), // b: received while ch1 persists
        D(80, 1), // ch1's barrier: handed over at once
        D(90, 1), // c: after the barrier
        D(95, 2), // ch2's barrier completes the input side
        Go(100),
    ]);
    assert_eq!(
        r.out,
        ["snapshot 1 (unaligned)", "buf(a)", "buf(x)", "buf(b)", "buf(c)"]
    );
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "start-persisting ch1 #1",
            "start-persisting ch2 #1",
            "trigger 1 unaligned first=10 align=50",
            "unblock ch0",
            "stop-persisting ch1 #1",
            "stop-persisting ch2 #1",
            "all-barriers 1 align=85",
        ]
    );
    assert_eq!(r.persisted(1, 0), Vec::<&str>::new());
    assert_eq!(r.persisted(1, 1), ["a", "b"]);
    assert_eq!(r.persisted(1, 2), Vec::<&str>::new());
}

#[test]
fn alignment_timeout_hands_over_a_barrier_already_queued() {
    let r = Run::new(alternating(2, 50), vec![vec![B(1)], vec![Buf("a"), B(1), Buf("b")]]);
    let r = r.steps(&[D(0, 0), Hold(1), D(10, 1), D(20, 1), D(30, 1), Tick(50), Go(60)]);
    assert_eq!(r.persisted(1, 1), ["a"], "b is behind the barrier");
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=0 align=50",
            "unblock ch0",
            "stop-persisting ch1 #1",
            "all-barriers 1 align=50",
        ]
    );
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "buf(b)"]);
}

#[test]
fn alignment_timeout_fires_when_alignment_reaches_it() {
    // Flink counts the timeout from the checkpoint's start (triggered at 0): it fires at 50,
    // 40 after the first barrier.
    let r = Run::new(alternating(2, 50), vec![vec![B(1)], vec![B(1)]]);
    let r = r.steps(&[D(10, 0), D(60, 1)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)"]);
    assert_eq!(r.notes[2], "trigger 1 unaligned first=10 align=40");
    assert_eq!(r.notes.last().unwrap(), "all-barriers 1 align=50");
}

#[test]
fn alignment_timeout_from_the_first_barrier_is_ckptsims_other_choice() {
    let r = Run::new(alternating_from_first_barrier(2, 50), vec![vec![B(1)], vec![B(1)]]);
    let r = r.steps(&[D(10, 0), D(70, 1)]);
    assert_eq!(r.notes[2], "trigger 1 unaligned first=10 align=50");
    assert_eq!(
        BarrierHandlerConfig::new(ExactlyOnceUnaligned, 2, Some(50)).timeout_start,
        AlignmentTimeoutStart::CheckpointStart,
        "Flink's choice is the default"
    );
}

#[test]
fn overdue_timeout_is_noticed_by_a_late_barrier() {
    // The driver never called handle_timeout: the next barrier switches.
    let mut h = alternating(3, 50);
    let b = barrier(1, SnapshotKind::Checkpoint);
    h.on_barrier(0, 0, b);
    drain_all(&mut h);
    h.on_barrier(200, 1, b);
    let notes: Vec<_> = drain_all(&mut h).iter().map(describe).collect();
    assert_eq!(
        notes,
        [
            "start-persisting ch2 #1",
            "trigger 1 unaligned first=0 align=200",
            "unblock ch0"
        ]
    );
}

/// AlternatingCheckpointsTest `testTimeoutAlignmentBeforeFirstBarrier`: a first barrier
/// that arrives after the timeout (counted from the checkpoint's start) starts the
/// checkpoint unaligned at once; its announcement does, before it is even taken.
#[test]
fn timeout_from_checkpoint_start_switches_a_late_first_barrier_at_once() {
    let r = Run::new(alternating(2, 50), vec![vec![B(1)], vec![Buf("a"), B(1)]]);
    let r = r.steps(&[D(70, 0), D(71, 1), D(72, 1)]);
    assert_eq!(
        r.notes,
        [
            "start-persisting ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=70 align=0",
            "stop-persisting ch0 #1",
            "stop-persisting ch1 #1",
            "all-barriers 1 align=2",
        ]
    );
    assert_eq!(r.persisted(1, 0), Vec::<&str>::new());
    assert_eq!(r.persisted(1, 1), ["a"]);
}

#[test]
fn priority_barrier_from_a_timed_out_upstream_switches_at_once() {
    let r = Run::new(alternating(2, 1_000), vec![vec![B(1), Buf("x")], vec![Buf("a"), P(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), Hold(3), D(4, 1), D(5, 1), Go(6)]);
    assert_eq!(
        r.notes,
        [
            "block ch0",
            "persist-queued ch1 #1",
            "trigger 1 unaligned first=1 align=4",
            "unblock ch0",
            "all-barriers 1 align=4",
        ]
    );
    assert_eq!(r.persisted(1, 1), ["a"]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(x)", "buf(a)"]);
}

#[test]
fn savepoint_alignment_never_times_out() {
    let r = Run::new(alternating(2, 10), vec![vec![Sp(1)], vec![Sp(1)]]);
    let r = r.steps(&[D(1, 0)]);
    assert_eq!(r.h.poll_timeout(), None);
    let r = r.steps(&[D(500, 1)]);
    assert_eq!(r.out, ["snapshot 1"]);
    assert_eq!(r.notes[1], "trigger 1 aligned first=1 align=499");
}

#[test]
fn next_checkpoint_after_a_switch_starts_aligned_again() {
    let r = Run::new(
        alternating_from_first_barrier(2, 10),
        vec![vec![B(1), B(2)], vec![B(1), B(2)]],
    );
    let r = r.steps(&[D(0, 0), D(20, 1), D(30, 0), D(35, 1)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "snapshot 2"]);
}

// ----- barrier announcements and the output side of the timeout ----------------------------

/// AlternatingCheckpointsTest `testTimeoutBarrierOnTwoChannels` /
/// `testTimeoutAlignmentOnFirstBarrier`: barriers received behind data are announced; the
/// timeout fires while no barrier has been taken, the snapshot is taken at once, and the
/// queued barriers overtake their buffers, which become channel state and are processed
/// after the snapshot.
#[test]
fn announced_barriers_time_out_before_their_buffers_are_processed() {
    let r = Run::new(
        alternating(2, 50),
        vec![vec![Buf("a"), Buf("b"), B(1)], vec![Buf("c"), B(1)]],
    );
    let r = r.steps(&[Hold(0), D(1, 0), D(2, 0), D(3, 0), D(4, 1), D(5, 1)]);
    assert_eq!(
        r.out,
        Vec::<String>::new(),
        "the operator is busy: nothing processed yet"
    );
    assert_eq!(r.h.poll_timeout(), Some(50), "the announcements armed the timer");
    let r = r.steps(&[Tick(50), Go(60)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "buf(b)", "buf(c)"]);
    assert_eq!(
        r.notes,
        [
            "start-persisting ch0 #1",
            "start-persisting ch1 #1",
            "trigger 1 unaligned first=3 align=47",
            "stop-persisting ch0 #1",
            "stop-persisting ch1 #1",
            "all-barriers 1 align=47",
        ]
    );
    assert_eq!(r.persisted(1, 0), ["a", "b"]);
    assert_eq!(r.persisted(1, 1), ["c"]);
}

/// The Flink docs on the aligned-checkpoint timeout ("a checkpoint starts as aligned and
/// switches to unaligned if alignment takes longer than the timeout") and
/// AlternatingCheckpointsTest `testTimeoutAlignmentOnFirstBarrier`: with one input channel
/// there is nothing to align, yet a barrier stuck behind data still times out into an
/// unaligned snapshot that overtakes the queued buffers.
#[test]
fn single_channel_input_times_out_into_unaligned() {
    let r = Run::new(alternating(1, 50), vec![vec![Buf("a"), Buf("b"), B(1), Buf("c")]]);
    let r = r.steps(&[Hold(0), D(1, 0), D(2, 0), D(3, 0), D(4, 0), Tick(50), Go(60)]);
    assert_eq!(r.out, ["snapshot 1 (unaligned)", "buf(a)", "buf(b)", "buf(c)"]);
    assert_eq!(r.persisted(1, 0), ["a", "b"], "c is behind the barrier");
    assert_eq!(r.notes.last().unwrap(), "all-barriers 1 align=47");
}

/// A barrier taken before the deadline completes a single-channel input aligned, as
/// before: the timer only matters while the barrier waits.
#[test]
fn single_channel_barrier_taken_in_time_stays_aligned() {
    let r = Run::new(alternating(1, 50), vec![vec![Buf("a"), B(1), Buf("b")]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 0)]);
    assert_eq!(r.out, ["buf(a)", "snapshot 1", "buf(b)"]);
    assert!(r.notes.iter().all(|n| !n.contains("persist")));
}

/// SingleCheckpointBarrierHandler.processBarrierAnnouncement: only barriers that can time
/// out are announced (Flink's `TIMEOUTABLE_ALIGNED_CHECKPOINT_BARRIER`); announcing any
/// other barrier (aligned mode, unaligned without a timeout, savepoints, at-least-once)
/// changes nothing.
#[test]
fn announcements_of_barriers_that_cannot_time_out_change_nothing() {
    let checkpoint = barrier(1, SnapshotKind::Checkpoint);
    let savepoint = barrier(1, SnapshotKind::Savepoint);
    for (mut h, b) in [
        (aligned(2), checkpoint),
        (unaligned(2), checkpoint),
        (alternating(2, 50), savepoint),
        (at_least_once(2), checkpoint),
    ] {
        h.on_barrier_announcement(10, 0, b);
        assert_eq!(drain_all(&mut h), vec![]);
        assert_eq!(h.poll_timeout(), None);
        assert_eq!(h.pending_checkpoint(), None);
    }
}

/// SubtaskCheckpointCoordinatorImpl.registerAlignmentTimer and
/// PipelinedSubpartition.alignedBarrierTimeout: a subtask that forwards an aligned
/// barrier of a checkpoint that can time out arms a timer at the checkpoint's start plus
/// the timeout; when it fires, a barrier still waiting in an output backlog is prioritized.
#[test]
fn aligned_snapshot_arms_the_output_barrier_timeout() {
    let mut source = BarrierHandler::for_source(ExactlyOnceUnaligned, Some(50));
    source.trigger(10, barrier(1, SnapshotKind::Checkpoint));
    let notes: Vec<_> = drain_all(&mut source).iter().map(describe).collect();
    assert_eq!(notes, ["trigger 1 aligned first=10 align=0", "all-barriers 1 align=0"]);
    assert!(source.times_out_output_barrier(1));
    assert_eq!(source.poll_timeout(), Some(50));
    source.handle_timeout(49);
    assert_eq!(drain_all(&mut source), vec![]);
    source.handle_timeout(50);
    assert_eq!(
        drain_all(&mut source),
        vec![Action::PrioritizeOutputBarrier { checkpoint_id: 1 }]
    );
    assert_eq!(source.poll_timeout(), None);
    source.handle_timeout(60);
    assert_eq!(drain_all(&mut source), vec![], "fires once");

    // A subtask with inputs that completes its alignment in time arms it too.
    let r = Run::new(alternating(2, 50), vec![vec![B(1)], vec![B(1)]]);
    let r = r.steps(&[D(10, 0), D(20, 1)]);
    assert_eq!(r.out, ["snapshot 1"]);
    assert!(r.h.times_out_output_barrier(1));
    assert_eq!(r.h.poll_timeout(), Some(50));
}

/// Barriers that are never prioritized arm nothing: unaligned snapshots (their barrier
/// already overtakes), savepoints, aligned mode and at-least-once.
#[test]
fn only_timeoutable_aligned_snapshots_time_out_their_output_barrier() {
    let cases = [
        (ExactlyOnceUnaligned, None, SnapshotKind::Checkpoint),
        (ExactlyOnceUnaligned, Some(50), SnapshotKind::Savepoint),
        (ExactlyOnceAligned, Some(50), SnapshotKind::Checkpoint),
        (AtLeastOnce, Some(50), SnapshotKind::Checkpoint),
    ];
    for (mode, timeout, kind) in cases {
        let mut source = BarrierHandler::for_source(mode, timeout);
        source.trigger(10, barrier(1, kind));
        drain_all(&mut source);
        assert!(!source.times_out_output_barrier(1), "{mode:?} {timeout:?} {kind:?}");
        assert_eq!(source.poll_timeout(), None);
    }
}

// ----- at-least-once ----------------------------------------------------------------------

#[test]
fn at_least_once_never_blocks_and_snapshots_on_the_last_barrier() {
    let r = Run::new(at_least_once(2), vec![vec![B(1), Buf("b")], vec![Buf("a"), B(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    // b follows barrier 1 yet is in snapshot 1: replayed again on restore (at least once).
    assert_eq!(r.out, ["buf(b)", "buf(a)", "snapshot 1"]);
    assert!(!r.notes.iter().any(|n| n.starts_with("block")));
    assert_eq!(r.notes, ["trigger 1 aligned first=1 align=3", "all-barriers 1 align=3"]);
}

#[test]
fn at_least_once_tracks_overlapping_checkpoints() {
    let r = Run::new(at_least_once(2), vec![vec![B(1), B(2)], vec![B(1), B(2)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    assert_eq!(r.out, ["snapshot 1", "snapshot 2"]);
    assert_eq!(r.h.pending_checkpoint(), None);
}

/// CheckpointBarrierTracker.processBarrier: completing checkpoint 2 drops the older
/// pending checkpoint 1 without a decline (`pollFirst`); the coordinator subsumes it.
#[test]
fn at_least_once_completion_drops_older_pending_checkpoints() {
    let r = Run::new(at_least_once(2), vec![vec![B(1), B(2)], vec![B(2), B(1)]]);
    let r = r.steps(&[D(1, 0), D(2, 0), D(3, 1), D(4, 1)]);
    assert_eq!(r.out, ["snapshot 2"], "the late barrier 1 is ignored");
    assert_eq!(
        r.notes,
        ["trigger 2 aligned first=2 align=1", "all-barriers 2 align=1",]
    );
}

#[test]
fn at_least_once_cancellation_marker_aborts_and_forwards() {
    let r = Run::new(at_least_once(2), vec![vec![B(1), B(2)], vec![Cancel(1), B(2)]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 0), D(4, 1)]);
    assert_eq!(r.out, ["cancel 1", "snapshot 2"]);
    assert_eq!(
        r.notes,
        [
            "abort 1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER",
            "forward-cancel 1",
            "trigger 2 aligned first=3 align=1",
            "all-barriers 2 align=1",
        ]
    );
}

#[test]
fn at_least_once_end_of_partition_completes_pending_checkpoint() {
    let r = Run::new(at_least_once(3), vec![vec![B(1)], vec![B(1)], vec![Buf("a"), End]]);
    let r = r.steps(&[D(1, 0), D(2, 1), D(3, 2), D(9, 2)]);
    assert_eq!(r.out, ["buf(a)", "snapshot 1"]);
    assert_eq!(r.notes[0], "trigger 1 aligned first=1 align=8");
}

#[test]
fn at_least_once_end_of_partition_declines_without_checkpoints_after_tasks_finish() {
    let h = no_checkpoints_after_finish(AtLeastOnce, 2);
    let r = Run::new(h, vec![vec![B(1)], vec![End]]);
    let r = r.steps(&[D(1, 0), D(2, 1)]);
    assert_eq!(
        r.notes,
        ["abort 1 CHECKPOINT_DECLINED_INPUT_END_OF_STREAM", "forward-cancel 1"]
    );
    assert_eq!(r.h.pending_checkpoint(), None);
}

// ----- sources ----------------------------------------------------------------------------

#[test]
fn source_trigger_snapshots_at_once() {
    let mut h = BarrierHandler::for_source(ExactlyOnceAligned, None);
    let b = Barrier {
        checkpoint_id: 3,
        trigger_timestamp: 40,
        kind: SnapshotKind::Checkpoint,
    };
    h.trigger(45, b);
    let trigger = SnapshotTrigger {
        barrier: b,
        unaligned: false,
        first_barrier_at: 45,
        alignment_duration: 0,
    };
    assert_eq!(
        drain_all(&mut h),
        [
            Action::TriggerSnapshot(trigger),
            Action::AllBarriersReceived {
                checkpoint_id: 3,
                first_barrier_at: 45,
                alignment_duration: 0
            }
        ]
    );
    assert_eq!(trigger.start_delay(), 5);
}

#[test]
fn unaligned_source_forwards_checkpoint_barriers_as_priority_but_not_savepoints() {
    let mut h = BarrierHandler::for_source(ExactlyOnceUnaligned, None);
    h.trigger(1, barrier(1, SnapshotKind::Checkpoint));
    h.trigger(2, barrier(2, SnapshotKind::Savepoint));
    let priorities: Vec<bool> = drain_all(&mut h)
        .into_iter()
        .filter_map(|a| match a {
            Action::TriggerSnapshot(t) => Some(t.forward_as_priority()),
            _ => None,
        })
        .collect();
    assert_eq!(priorities, [true, false]);
}

#[test]
#[should_panic(expected = "trigger() is for sources")]
fn trigger_on_a_subtask_with_inputs_is_refused() {
    aligned(2).trigger(0, barrier(1, SnapshotKind::Checkpoint));
}
