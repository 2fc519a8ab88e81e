//! What a run will cost, estimated before it starts, so that a scenario the machine
//! cannot simulate is refused with the estimate instead of running for days or being
//! killed by the operating system.
//!
//! Two things grow without bound in a valid scenario: the work (records moved through
//! operators, and timers that fire whether or not records flow), and the memory the
//! run keeps until its end (every completed checkpoint's keyed state, which the
//! consistent-cut check compares at the end, and per-checkpoint statistics). Both are
//! upper-bound estimates from the scenario alone; a run usually does less.

use super::spec::{OperatorLogicSpec, Partitioning, Scenario};
use crate::sim::time::MILLISECOND;

/// Work units a run may take: about 14 hours on one core at the 20 M record steps per
/// second bench-64 measures (README, Performance).
pub const MAX_WORK_UNITS: f64 = 1e12;
/// Memory a run may keep until its end.
pub const MAX_KEPT_BYTES: f64 = 16e9;
/// One timer event costs about as much as this many record steps (8.5 M events/s
/// against 22 M record steps/s).
const TIMER_EVENT_UNITS: f64 = 3.0;
/// Statistics kept per subtask and checkpoint (its breakdown and the coordinator's
/// per-subtask entry), measured on long quickstart runs.
const BYTES_PER_SUBTASK_CHECKPOINT: f64 = 800.0;
/// One key's count and sum in a kept snapshot.
const BYTES_PER_KEY: f64 = 16.0;
/// Assumed measured speed, for saying what an estimate means in time.
const WORK_UNITS_PER_SECOND: f64 = 20e6;

/// The estimate of a scenario's run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Records read by all sources.
    pub source_records: f64,
    /// Record steps through operators plus weighted timer events.
    pub work_units: f64,
    /// Checkpoints the run may complete.
    pub checkpoints: f64,
    /// Bytes kept until the end: checkpoint state and statistics.
    pub kept_bytes: f64,
}

impl Estimate {
    pub fn of(s: &Scenario) -> Estimate {
        // Steps a record entering each operator takes there and downstream. The graph
        // is acyclic (checked before); walk from the sinks up.
        let n = s.operators.len();
        let mut steps = vec![0.0f64; n];
        for op in topological_from_sinks(s) {
            let downstream: f64 = s
                .outputs_of(op)
                .map(|e| {
                    let fan_out = if e.partitioning == Partitioning::Broadcast {
                        f64::from(s.operators[e.to].parallelism)
                    } else {
                        1.0
                    };
                    fan_out * steps[e.to]
                })
                .sum();
            steps[op] = 1.0 + downstream;
        }
        let mut source_records = 0.0;
        let mut record_steps = 0.0;
        let mut timer_events = 0.0;
        let mut keys = 0.0f64;
        let subtasks: f64 = s.operators.iter().map(|o| f64::from(o.parallelism)).sum();
        let duration = s.duration_ns as f64;
        for (op, spec) in s.operators.iter().enumerate() {
            let parallelism = f64::from(spec.parallelism);
            if let OperatorLogicSpec::Source(src) = &spec.logic {
                let records = crate::model::append_schedule::AppendSchedule::new(src, s.duration_ns).total() as f64;
                source_records += records;
                record_steps += records * steps[op];
                keys = keys.max(src.keys.count() as f64);
                // An idle source polls; watermarks are emitted on their interval.
                timer_events += parallelism * duration / src.poll_interval_ns.max(1) as f64;
                timer_events += parallelism * duration / s.watermark_interval_ns.max(1) as f64;
            }
            if let Some(timeout) = s.network.buffer_timeout_ns.filter(|t| *t > 0)
                && s.outputs_of(op).next().is_some()
            {
                timer_events += parallelism * duration / timeout as f64;
            }
        }
        let keyed_operators = s
            .operators
            .iter()
            .filter(|o| matches!(o.logic, OperatorLogicSpec::Aggregate | OperatorLogicSpec::Window { .. }))
            .count() as f64;
        let ck = &s.checkpointing;
        let periodic = ck.interval_ns.map_or(0.0, |interval| {
            duration / interval.max(ck.min_pause_ns).max(MILLISECOND) as f64
        });
        // The run stops keeping statistics at its statistics budget.
        let most = crate::model::world::MAX_KEPT_RECORDS as f64 / subtasks.max(1.0);
        let checkpoints = (periodic + ck.triggers.len() as f64).min(most);
        let per_checkpoint = keyed_operators * keys * BYTES_PER_KEY + subtasks * BYTES_PER_SUBTASK_CHECKPOINT;
        Estimate {
            source_records,
            work_units: record_steps + TIMER_EVENT_UNITS * timer_events,
            checkpoints,
            kept_bytes: checkpoints * per_checkpoint,
        }
    }

    /// Why the run is refused, if it is: a sentence with the estimate.
    pub fn refusal(&self) -> Option<String> {
        if self.work_units > MAX_WORK_UNITS {
            return Some(format!(
                "the run would take about {} on one core ({:.1e} record steps and timer events for {:.1e} source \
                 records); at most {} ({:.0e}) is simulated: shorten `duration`, lower the sources' `rate`, or \
                 lengthen poll, watermark and buffer-timeout intervals",
                human_time(self.work_units / WORK_UNITS_PER_SECOND),
                self.work_units,
                self.source_records,
                human_time(MAX_WORK_UNITS / WORK_UNITS_PER_SECOND),
                MAX_WORK_UNITS,
            ));
        }
        if self.kept_bytes > MAX_KEPT_BYTES {
            return Some(format!(
                "the run would keep about {} until its end: {:.0} checkpoints, each with its keyed state (checked \
                 as a consistent cut when the run ends) and statistics; at most {} fit: shorten `duration`, \
                 lengthen `execution.checkpointing.interval`, or use fewer keys",
                human_bytes(self.kept_bytes),
                self.checkpoints,
                human_bytes(MAX_KEPT_BYTES),
            ));
        }
        None
    }
}

/// Operators in an order where every operator comes after all it feeds.
fn topological_from_sinks(s: &Scenario) -> Vec<usize> {
    let n = s.operators.len();
    let mut remaining: Vec<usize> = (0..n).map(|op| s.outputs_of(op).count()).collect();
    let mut ready: Vec<usize> = (0..n).filter(|&op| remaining[op] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(op) = ready.pop() {
        order.push(op);
        for e in s.inputs_of(op) {
            remaining[e.from] -= 1;
            if remaining[e.from] == 0 {
                ready.push(e.from);
            }
        }
    }
    order
}

fn human_time(seconds: f64) -> String {
    const UNITS: [(f64, &str); 5] = [
        (365.0 * 86400.0, "years"),
        (86400.0, "days"),
        (3600.0, "hours"),
        (60.0, "minutes"),
        (1.0, "seconds"),
    ];
    let (scale, unit) = UNITS.iter().find(|(scale, _)| seconds >= *scale).unwrap_or(&UNITS[4]);
    format!("{:.1} {unit}", seconds / scale)
}

fn human_bytes(bytes: f64) -> String {
    const UNITS: [(f64, &str); 5] = [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1.0, "B")];
    let (scale, unit) = UNITS.iter().find(|(scale, _)| bytes >= *scale).unwrap_or(&UNITS[4]);
    format!("{:.1} {unit}", bytes / scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SECOND;

    fn quickstart() -> Scenario {
        crate::scenario::parse_str(include_str!("../../scenarios/quickstart.yaml"), "quickstart.yaml").unwrap()
    }

    #[test]
    fn the_quickstart_is_well_within_budget() {
        let e = Estimate::of(&quickstart());
        // 2 sources × 5000/s × 2 s = 10 000 records, each through 3 operators.
        assert_eq!(e.source_records, 10_000.0);
        assert!(e.work_units >= 30_000.0 && e.work_units < 1e7, "{e:?}");
        assert_eq!(e.checkpoints, 4.0);
        assert!(e.refusal().is_none());
    }

    #[test]
    fn a_broadcast_edge_multiplies_the_steps_by_the_receivers() {
        let mut s = quickstart();
        let plain = Estimate::of(&s).work_units;
        s.edges[1].partitioning = Partitioning::Broadcast;
        // aggregate → sink broadcast to 2 sinks: each record takes 1 + 1 + 2 steps.
        let broadcast = Estimate::of(&s).work_units;
        assert!(broadcast > plain, "{broadcast} vs {plain}");
    }

    #[test]
    fn a_month_at_a_billion_records_a_second_is_refused_with_the_estimate() {
        let mut s = quickstart();
        s.duration_ns = 30 * 86_400 * SECOND;
        for op in &mut s.operators {
            if let OperatorLogicSpec::Source(src) = &mut op.logic {
                src.rate_per_s = 1_000_000_000;
            }
        }
        let why = Estimate::of(&s).refusal().expect("refused");
        assert!(why.contains("years") && why.contains("source records"), "{why}");
    }

    #[test]
    fn many_checkpoints_of_large_state_are_refused_for_memory() {
        let mut s = quickstart();
        s.duration_ns = 3600 * SECOND;
        s.checkpointing.interval_ns = Some(SECOND);
        for op in &mut s.operators {
            if let OperatorLogicSpec::Source(src) = &mut op.logic {
                src.rate_per_s = 1;
                src.keys = crate::scenario::spec::KeySpec::Uniform { count: 10_000_000 };
            }
        }
        let why = Estimate::of(&s).refusal().expect("refused");
        assert!(why.contains("GB") && why.contains("3600 checkpoints"), "{why}");
    }
}
