//! Oracles: what the job must have produced, computed independently of the
//! simulator, and the comparison that names each difference.

pub mod cut;
pub mod reference;

use crate::model::World;
use crate::model::operator::{CountSum, OutputKey};
use reference::{ExpectedOutput, ExpectedSink, expected_sinks};
use serde::Serialize;

/// The kind of a difference between what a sink holds and what it should.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A key the reference produces is missing from the sink.
    Lost,
    /// A key the reference does not produce is in the sink.
    Unexpected,
    /// More records counted for a key than the reference: duplicates.
    Duplicated,
    /// Fewer records counted for a key than the reference.
    Missing,
    /// Same count, different value.
    WrongValue,
    /// A channel lost or invented records in transit.
    ChannelImbalance,
    /// The sink received a different number of records (updates) than the reference.
    RecordCount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub operator: String,
    pub key: u64,
    /// The window's last instant for window results, else 0.
    pub window: u64,
    pub expected: Option<CountSum>,
    pub actual: Option<CountSum>,
}

/// The outcome of checking a finished run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verdict {
    /// The guarantee checked: EXACTLY_ONCE, or AT_LEAST_ONCE (duplicates allowed).
    pub guarantee: &'static str,
    /// Every sink matched the reference (up to what the guarantee allows), every
    /// channel delivered what was sent, and every completed checkpoint was a
    /// consistent cut.
    pub held: bool,
    pub sinks: Vec<SinkCheck>,
    /// The first violations found (at most 20 are kept), in key order.
    pub anomalies: Vec<Anomaly>,
    pub anomaly_count: u64,
    /// Keys with more records than the reference where the guarantee allows it
    /// (AT_LEAST_ONCE), and keys missing because the job failed for good: reported,
    /// not violations.
    pub duplicated_keys: u64,
    pub missing_keys_after_job_failure: u64,
    /// The job failed for good (the restart strategy gave up): its committed output
    /// may stop short of the input, but must hold no duplicates.
    pub job_failed: bool,
    /// Completed checkpoints checked to be consistent cuts.
    pub cuts: cut::CutCheck,
    /// Recovery lines a restore could not put back exactly: an orphan message
    /// (processed by the consumer's checkpoint, not sent by the producer's), or
    /// records to replay that the sender's log no longer held.
    #[serde(default)]
    pub line_violations: Vec<crate::model::world::LineViolation>,
    /// The run stopped before the job drained: its output is not checked.
    pub not_drained: Option<NotDrained>,
}

/// A job that could not finish, and what it was doing when the run stopped.
#[derive(Clone, Debug, Serialize)]
pub struct NotDrained {
    pub cut_off: crate::model::world::RunCutOff,
    /// Restarts so far, and what failed the tasks the last time.
    pub restarts: usize,
    pub last_failure: Option<String>,
}

impl NotDrained {
    fn text(&self) -> String {
        use crate::model::world::RunCutOff;
        use crate::sim::time::format_duration;
        let what = match self.cut_off {
            RunCutOff::DrainTimeout {
                at_ns,
                drain_timeout_ns,
            } => format!(
                "the job did not drain: still running {} after its input ended (at {} of virtual time; \
                 `drain-timeout` sets how long to wait)",
                format_duration(drain_timeout_ns),
                format_duration(at_ns)
            ),
            RunCutOff::TooManyRecords { at_ns, records } => format!(
                "the run stopped at {} of virtual time, having kept {records} statistics records \
                 (checkpoints times subtasks, samples, restarts): a job this size cannot finish in memory; \
                 lengthen the checkpoint interval or shorten the duration",
                format_duration(at_ns)
            ),
        };
        match &self.last_failure {
            Some(cause) => format!("{what}; {} restart(s), the last after: {cause}", self.restarts),
            None => what,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SinkCheck {
    pub operator: String,
    pub keys: usize,
    pub records: u64,
    pub expected_records: u64,
}

const KEPT_ANOMALIES: usize = 20;

impl Verdict {
    /// One line for a person: "held", or the first difference found.
    pub fn headline(&self) -> String {
        if self.held {
            return "exactly-once held".to_string();
        }
        if let Some(not_drained) = &self.not_drained {
            return not_drained.text();
        }
        // A recovery line that could not be restored is the cause of what follows.
        if let Some(v) = self.line_violations.first() {
            return line_violation_text(v);
        }
        if let Some(a) = self.anomalies.first() {
            return format!(
                "{} difference(s) in the sinks' output; first: {:?} at `{}` key {} window {}: expected {:?}, got {:?}",
                self.anomaly_count, a.kind, a.operator, a.key, a.window, a.expected, a.actual
            );
        }
        match self.cuts.violations.first() {
            Some(v) => format!(
                "checkpoint {} (completed at {} ns) is not a consistent cut: `{}` key {} holds count {} sum {}, \
                 the records before its offsets give count {} sum {}",
                v.checkpoint_id,
                v.completed_at_ns,
                v.operator,
                v.key,
                v.actual.count,
                v.actual.sum,
                v.expected.count,
                v.expected.sum
            ),
            None => format!("{} difference(s)", self.anomaly_count),
        }
    }
}

/// What is wrong with a recovery line, for a person.
pub fn line_violation_text(v: &crate::model::world::LineViolation) -> String {
    let at = |c: Option<u64>| c.map_or("the job's start".to_string(), |id| format!("checkpoint {id}"));
    if v.orphan {
        format!(
            "the recovery line restored at {} ns is inconsistent: on channel {} subtask {} at {} had processed {} \
             records, but subtask {} at {} had sent only {} (an orphan message)",
            v.at_ns,
            v.channel,
            v.consumer,
            at(v.consumer_checkpoint),
            v.received,
            v.producer,
            at(v.producer_checkpoint),
            v.sent
        )
    } else {
        format!(
            "the recovery line restored at {} ns cannot be replayed: channel {} must replay records {}..{} sent by \
             subtask {} before {}, and its log does not hold them",
            v.at_ns,
            v.channel,
            v.received,
            v.sent,
            v.producer,
            at(v.producer_checkpoint)
        )
    }
}

/// Compares every sink of a drained world with the reference output, and every
/// completed checkpoint with the reference state of its cut.
pub fn check_exactly_once(world: &World) -> Verdict {
    check_exactly_once_with(world, None)
}

/// As [`check_exactly_once`], with a reference computed beforehand (beside the
/// simulation); it is used when the sources were read exactly as far as it assumes,
/// and the reference is computed here otherwise.
pub fn check_exactly_once_with(world: &World, precomputed: Option<&ExpectedOutput>) -> Verdict {
    if let Some(cut_off) = world.cut_off {
        // The sinks' output of a job that is still running is not an answer yet.
        let recoveries = &world.recovery.recoveries;
        return Verdict {
            guarantee: "EXACTLY_ONCE",
            not_drained: Some(NotDrained {
                cut_off,
                restarts: recoveries.len(),
                last_failure: recoveries.last().map(|r| r.cause.clone()),
            }),
            ..Verdict::default()
        };
    }
    // A job stopped with a savepoint has committed exactly the input its savepoint
    // covers: that is its reference, not what the sources had read by then.
    let offsets = world.stop_savepoint_offsets().unwrap_or_else(|| world.source_offsets());
    let mut verdict = match precomputed.filter(|r| r.offsets == offsets) {
        Some(reference) => check_against(world, &reference.expected),
        None => check_against(world, &expected_sinks(&world.scenario, &offsets)),
    };
    verdict.cuts = cut::check_cuts(world);
    if verdict.cuts.violation_count > 0 {
        verdict.held = false;
    }
    if let Some(rt) = world.ckpt.as_ref()
        && !rt.line_violations.is_empty()
    {
        verdict.line_violations = rt.line_violations.clone();
        verdict.held = false;
    }
    verdict
}

/// Compares every sink of a drained world with the given expected outputs.
pub fn check_against(world: &World, expected: &[(usize, ExpectedSink)]) -> Verdict {
    let scenario = &world.scenario;
    let actual = world.sink_outputs();
    // Without checkpoints a restarted job replays its input from the beginning into
    // sinks that are not transactional: at least once, no more.
    let at_least_once = if scenario.checkpointing.enabled() {
        scenario.checkpointing.mode == crate::scenario::checkpointing::Mode::AtLeastOnce
    } else {
        !world.recovery.recoveries.is_empty()
    };
    let job_failed = world.recovery.status == crate::model::world::JobStatus::Failed;
    // A job that failed for good, or that the user cancelled, loses what its sinks had
    // not committed; it must still never duplicate or corrupt.
    let ended_early = world.recovery.status.lost_uncommitted();
    // A cancel or a stop drops the records still in flight: a channel's sent and
    // consumed counts then differ legitimately (a stopped job's sinks are checked
    // exactly against its savepoint, so nothing it needed can hide there).
    let in_flight_dropped = world.recovery.status.ended_by_user();
    let mut verdict = Verdict {
        guarantee: if at_least_once { "AT_LEAST_ONCE" } else { "EXACTLY_ONCE" },
        held: true,
        job_failed,
        ..Verdict::default()
    };
    let note = |verdict: &mut Verdict, anomaly: Anomaly| {
        let more = anomaly.actual.unwrap_or_default().count > anomaly.expected.unwrap_or_default().count;
        let fewer = anomaly.actual.unwrap_or_default().count < anomaly.expected.unwrap_or_default().count;
        let tolerated_duplicate = at_least_once
            && match anomaly.kind {
                AnomalyKind::Duplicated => true,
                AnomalyKind::RecordCount => more,
                _ => false,
            };
        let tolerated_loss = ended_early
            && match anomaly.kind {
                AnomalyKind::Lost | AnomalyKind::Missing => true,
                AnomalyKind::RecordCount => fewer,
                _ => false,
            };
        if tolerated_duplicate {
            verdict.duplicated_keys += u64::from(anomaly.kind == AnomalyKind::Duplicated);
            return;
        }
        if in_flight_dropped && anomaly.kind == AnomalyKind::ChannelImbalance {
            return;
        }
        if tolerated_loss {
            verdict.missing_keys_after_job_failure += u64::from(anomaly.kind != AnomalyKind::RecordCount);
            return;
        }
        verdict.held = false;
        verdict.anomaly_count += 1;
        if verdict.anomalies.len() < KEPT_ANOMALIES {
            verdict.anomalies.push(anomaly);
        }
    };
    for (op, want) in expected {
        let name = scenario.operators[*op].name.clone();
        let empty = Default::default();
        let output = actual.iter().find(|(o, _)| o == op).map_or(&empty, |(_, t)| t);
        let (got, records) = (&output.rows, output.records);
        verdict.sinks.push(SinkCheck {
            operator: name.clone(),
            keys: got.len(),
            records,
            expected_records: want.records,
        });
        if want.records_are_exact && records != want.records {
            let count = |n| Some(CountSum { count: n, sum: 0 });
            let anomaly = Anomaly {
                kind: AnomalyKind::RecordCount,
                operator: name.clone(),
                key: 0,
                window: 0,
                expected: count(want.records),
                actual: count(records),
            };
            note(&mut verdict, anomaly);
        }
        let keys: std::collections::BTreeSet<OutputKey> = want.rows.keys().chain(got.keys()).copied().collect();
        for key in keys {
            let (e, a) = (want.rows.get(&key).copied(), got.get(&key).copied());
            let kind = match (e, a) {
                (Some(e), Some(a)) if e == a => continue,
                (Some(_), None) => AnomalyKind::Lost,
                (None, Some(_)) => AnomalyKind::Unexpected,
                (Some(e), Some(a)) if a.count > e.count => AnomalyKind::Duplicated,
                (Some(e), Some(a)) if a.count < e.count => AnomalyKind::Missing,
                _ => AnomalyKind::WrongValue,
            };
            note(
                &mut verdict,
                Anomaly {
                    kind,
                    operator: name.clone(),
                    key: key.0,
                    window: key.1,
                    expected: e,
                    actual: a,
                },
            );
        }
    }
    for channel in &world.channels {
        if channel.records_sent != channel.records_consumed {
            let producer = &world.subtasks[channel.producer];
            let anomaly = Anomaly {
                kind: AnomalyKind::ChannelImbalance,
                operator: scenario.operators[producer.op].name.clone(),
                key: 0,
                window: 0,
                expected: Some(CountSum {
                    count: channel.records_sent,
                    sum: 0,
                }),
                actual: Some(CountSum {
                    count: channel.records_consumed,
                    sum: 0,
                }),
            };
            note(&mut verdict, anomaly);
        }
    }
    verdict
}
