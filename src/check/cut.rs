//! Consistent cuts: every completed checkpoint's keyed aggregate state must equal
//! the reference state of exactly the records before its source offsets, plus the
//! records its channel state holds (in flight at an unaligned checkpoint). For
//! protocols without barriers the cuts are the recovery lines the coordinator
//! reached: each subtask's line checkpoint, plus what the line replays from the
//! senders' logs.
//!
//! The reference is a fold over the replayable source logs, independent of the
//! simulator. An aggregate is checked when everything upstream of it is sources,
//! maps and filters along single paths, without broadcast edges (the shapes where
//! the records reaching it are a plain function of the source records); other
//! aggregates are left to the end-to-end comparison of the sinks.

use crate::model::World;
use crate::model::channel::ChannelId;
use crate::model::operator::{CountSum, StateSnapshot, filter_keeps, map_value};
use crate::model::record::Record;
use crate::model::source::PartitionLog;
use crate::model::world::SubtaskSnapshot;
use crate::scenario::{OperatorLogicSpec, Partitioning, Scenario};
use crate::sim::Nanos;
use serde::Serialize;

/// A completed checkpoint whose state is not the state of its cut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutViolation {
    pub checkpoint_id: u64,
    /// When the coordinator completed it.
    pub completed_at_ns: Nanos,
    pub operator: String,
    pub key: u64,
    pub expected: CountSum,
    pub actual: CountSum,
}

/// What the cut check found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CutCheck {
    /// Completed checkpoints checked.
    pub checkpoints: u64,
    /// Aggregate operators whose state was compared.
    pub operators: Vec<String>,
    /// The first violations (at most 20), and how many there were.
    pub violations: Vec<CutViolation>,
    pub violation_count: u64,
}

/// For one aggregate, the operators upstream of it and where each sends records next.
struct Cone {
    aggregate: usize,
    next: Vec<Option<usize>>,
}

impl Cone {
    fn of(s: &Scenario, aggregate: usize) -> Option<Cone> {
        let mut next = vec![None; s.operators.len()];
        let mut stack = vec![aggregate];
        while let Some(x) = stack.pop() {
            for e in s.inputs_of(x) {
                let up = e.from;
                let simple = matches!(
                    s.operators[up].logic,
                    OperatorLogicSpec::Source(_) | OperatorLogicSpec::Map { .. } | OperatorLogicSpec::Filter { .. }
                );
                if !simple || e.partitioning == Partitioning::Broadcast || next[up].is_some_and(|n| n != x) {
                    return None;
                }
                next[up] = Some(x);
                stack.push(up);
            }
        }
        Some(Cone { aggregate, next })
    }

    /// Whether records entering `op` reach the aggregate.
    fn contains(&self, op: usize) -> bool {
        op == self.aggregate || self.next[op].is_some()
    }

    /// The record as the aggregate receives it, when it enters operator `op`.
    fn carry(&self, s: &Scenario, mut op: usize, mut r: Record) -> Option<Record> {
        while op != self.aggregate {
            match s.operators[op].logic {
                OperatorLogicSpec::Map { multiply, add } => r.value = map_value(r.value, multiply, add),
                OperatorLogicSpec::Filter { modulus, remainder } if !filter_keeps(r.value, modulus, remainder) => {
                    return None;
                }
                _ => {}
            }
            op = self.next[op]?;
        }
        Some(r)
    }
}

/// A global state to check: a snapshot per subtask and the records in transit.
struct Cut<'a> {
    /// The checkpoint, or the newest checkpoint of a recovery line.
    id: u64,
    completed_at_ns: Nanos,
    parts: Vec<Option<&'a SubtaskSnapshot>>,
    in_transit: Vec<(ChannelId, &'a Record)>,
    /// A source without a part had read all its input (a checkpoint), rather than
    /// none of it (a recovery line, whose `None` is the job's start).
    absent_read_to_end: bool,
}

/// Every completed checkpoint, in id order (the order they were taken).
fn checkpoint_cuts(world: &World) -> Vec<Cut<'_>> {
    let Some(rt) = world.ckpt.as_ref() else {
        return Vec::new();
    };
    rt.snapshots
        .iter()
        .filter_map(|(&id, snapshot)| {
            Some(Cut {
                id,
                completed_at_ns: snapshot.completed_at?,
                parts: snapshot.subtasks.iter().map(Option::as_ref).collect(),
                in_transit: snapshot.channel_records().collect(),
                absent_read_to_end: true,
            })
        })
        .collect()
}

/// A recovery line the coordinator reached: the checkpoint each subtask would
/// restore, and the records in transit between them that a restore replays.
pub struct LineCut<'a> {
    pub at: Nanos,
    pub checkpoints: &'a [Option<u64>],
    pub in_transit: &'a [(ChannelId, Record)],
}

/// Checks recovery lines one by one as a run reaches them, so that what was in
/// transit on each need not be kept until the run ends (a barrier-less run reaches a
/// line at every snapshot, and the lines' in-transit records were most of its memory).
/// The world calls [`LineChecker::check`]; [`check_cuts`] adds what it found.
pub struct LineChecker {
    fold: ReferenceFold,
    result: CutCheck,
}

impl LineChecker {
    /// A checker for `world`'s lines, when its aggregates can be checked.
    pub fn for_world(world: &World) -> Option<LineChecker> {
        let fold = ReferenceFold::new(&world.scenario)?;
        Some(LineChecker {
            fold,
            result: CutCheck::default(),
        })
    }

    /// Checks one line against the reference.
    pub fn check(&mut self, world: &World, line: LineCut<'_>) {
        let Some(rt) = world.ckpt.as_ref() else { return };
        let parts: Vec<Option<&SubtaskSnapshot>> = line
            .checkpoints
            .iter()
            .enumerate()
            .map(|(st, id)| {
                id.and_then(|id| rt.snapshots.get(&id))
                    .and_then(|snapshot| snapshot.subtasks[st].as_ref())
            })
            .collect();
        let cut = Cut {
            id: line.checkpoints.iter().flatten().max().copied().unwrap_or(0),
            completed_at_ns: line.at,
            parts,
            in_transit: line.in_transit.iter().map(|(ch, r)| (*ch, r)).collect(),
            absent_read_to_end: false,
        };
        self.fold.check(world, &cut, &mut self.result);
    }
}

/// One source partition's log and how far the reference has folded it.
struct Cursor {
    op: usize,
    partition: u32,
    log: PartitionLog,
    offset: u64,
}

const KEPT: usize = 20;

/// The reference state of every checkable aggregate, folded over the source logs up
/// to the latest cut checked (and folded again from the start when a cut goes back).
struct ReferenceFold {
    cones: Vec<Cone>,
    key_count: usize,
    cursors: Vec<Cursor>,
    expected: Vec<Vec<CountSum>>,
}

impl ReferenceFold {
    /// `None` when the scenario has no aggregate the check can follow, or does not
    /// promise exactly-once.
    fn new(s: &Scenario) -> Option<ReferenceFold> {
        if s.checkpointing.mode != crate::scenario::checkpointing::Mode::ExactlyOnce {
            return None;
        }
        let cones: Vec<Cone> = (0..s.operators.len())
            .filter(|&op| matches!(s.operators[op].logic, OperatorLogicSpec::Aggregate))
            .filter_map(|op| Cone::of(s, op))
            .collect();
        if cones.is_empty() {
            return None;
        }
        let key_count = s
            .operators
            .iter()
            .filter_map(|o| match &o.logic {
                OperatorLogicSpec::Source(src) => Some(src.keys.count() as usize),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        let expected = vec![vec![CountSum::default(); key_count]; cones.len()];
        Some(ReferenceFold {
            cursors: Self::fresh_cursors(s),
            cones,
            key_count,
            expected,
        })
    }

    fn fresh_cursors(s: &Scenario) -> Vec<Cursor> {
        super::reference::source_logs(s)
            .into_iter()
            .map(|(op, partition, log)| Cursor {
                op,
                partition,
                log,
                offset: 0,
            })
            .collect()
    }

    fn operators(&self, s: &Scenario) -> Vec<String> {
        self.cones
            .iter()
            .map(|c| s.operators[c.aggregate].name.clone())
            .collect()
    }

    /// Compares one cut's state with the reference's, adding what differs to `result`.
    fn check(&mut self, world: &World, cut_state: &Cut<'_>, result: &mut CutCheck) {
        let s = &world.scenario;
        let (cones, key_count) = (&self.cones, self.key_count);
        let (id, completed_at_ns) = (cut_state.id, cut_state.completed_at_ns);
        result.checkpoints += 1;
        // The cut: every source partition's offset in this checkpoint.
        let mut cut = Vec::new();
        for (st, part) in cut_state.parts.iter().enumerate() {
            if let Some(part) = part {
                let op = world.subtasks[st].op;
                cut.extend(part.offsets.iter().map(|&(p, o)| (op, p, o)));
            }
        }
        // A source subtask without a snapshot in a checkpoint had finished: its
        // partitions were read to the end. On a recovery line it is at the start.
        let absent = |c: &Cursor| {
            if cut_state.absent_read_to_end {
                c.log.end_offset()
            } else {
                0
            }
        };
        let target = |c: &Cursor| {
            cut.iter()
                .find(|(op, p, _)| *op == c.op && *p == c.partition)
                .map_or(absent(c), |(_, _, o)| *o)
        };
        if self.cursors.iter().any(|c| target(c) < c.offset) {
            // A cut behind the fold (a restore went back): fold again from the start.
            self.cursors = Self::fresh_cursors(s);
            self.expected.iter_mut().for_each(|e| e.fill(CountSum::default()));
        }
        for c in &mut self.cursors {
            let to = target(c);
            for offset in c.offset..to {
                let r = c.log.record_at(offset);
                for (cone, state) in cones.iter().zip(self.expected.iter_mut()) {
                    if let Some(first) = cone.next[c.op]
                        && let Some(r) = cone.carry(s, first, r)
                    {
                        let acc = &mut state[r.key as usize];
                        acc.count += 1;
                        acc.sum += r.value;
                    }
                }
            }
            c.offset = to;
        }
        for (cone, want) in cones.iter().zip(&self.expected) {
            let mut actual = vec![CountSum::default(); key_count];
            for (st, part) in cut_state.parts.iter().enumerate() {
                if world.subtasks[st].op != cone.aggregate {
                    continue;
                }
                if let Some(part) = part
                    && let StateSnapshot::Keyed(state) = &part.state
                {
                    for (key, value) in state.iter() {
                        actual[key as usize] = value;
                    }
                }
            }
            for &(ch, record) in &cut_state.in_transit {
                let consumer_op = world.subtasks[world.channels[ch].consumer].op;
                if cone.contains(consumer_op)
                    && let Some(r) = cone.carry(s, consumer_op, *record)
                {
                    let acc = &mut actual[r.key as usize];
                    acc.count += 1;
                    acc.sum += r.value;
                }
            }
            for key in 0..key_count {
                if want[key] != actual[key] {
                    result.violation_count += 1;
                    if result.violations.len() < KEPT {
                        result.violations.push(CutViolation {
                            checkpoint_id: id,
                            completed_at_ns,
                            operator: s.operators[cone.aggregate].name.clone(),
                            key: key as u64,
                            expected: want[key],
                            actual: actual[key],
                        });
                    }
                }
            }
        }
    }
}

/// Checks every completed checkpoint of an exactly-once run, and adds what the
/// run's [`LineChecker`] found on the recovery lines it reached.
pub fn check_cuts(world: &World) -> CutCheck {
    let mut result = CutCheck::default();
    let Some(rt) = world.ckpt.as_ref() else {
        return result;
    };
    let Some(mut fold) = ReferenceFold::new(&world.scenario) else {
        return result;
    };
    result.operators = fold.operators(&world.scenario);
    for cut in checkpoint_cuts(world) {
        fold.check(world, &cut, &mut result);
    }
    if let Some(lines) = rt.line_checker.as_ref() {
        result.checkpoints += lines.result.checkpoints;
        result.violation_count += lines.result.violation_count;
        let room = KEPT.saturating_sub(result.violations.len());
        result
            .violations
            .extend(lines.result.violations.iter().take(room).cloned());
    }
    result
}
