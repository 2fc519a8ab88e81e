//! The aligned-checkpoint timeout in whole runs, as Flink applies it: counted from the
//! checkpoint's start, at subtask inputs for announced barriers (still queued behind
//! data) and at subtask outputs for barriers still in an output backlog. Flink's docs on
//! unaligned checkpoints ("Aligned checkpoint timeout") state the effect: a checkpoint
//! under backpressure takes about the timeout plus the unaligned persist, and the data the
//! barriers overtook is persisted where they overtook it.

mod common;

use ckptsim::explore;
use ckptsim::fault::random_schedule;
use ckptsim::model::world::SubtaskBreakdown;
use ckptsim::run::Outcome;
use ckptsim::scenario::Scenario;
use ckptsim::sim::time::MILLISECOND;
use ckptsim::stats::checkpoint::{CheckpointReport, CheckpointSummary};
use std::path::Path;

fn scenario(name: &str) -> Scenario {
    common::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name))
}

use common::run_held as run;

fn report(outcome: &Outcome) -> &CheckpointReport {
    outcome.summary.checkpoints.as_ref().expect("the scenario checkpoints")
}

/// Operator index of the sources and of the keyed aggregate in backpressure.yaml.
const SOURCE: usize = 0;
const AGGREGATE: usize = 1;

fn persisted_at(parts: &[&SubtaskBreakdown], operator: usize) -> u64 {
    parts
        .iter()
        .filter(|b| b.operator == operator)
        .map(|b| b.persisted_data)
        .sum()
}

/// backpressure.yaml: a 200 ms aligned-checkpoint timeout under steady backpressure. Every
/// checkpoint taken while the sources still produce ends within the timeout plus the
/// unaligned persist (channel state upload, acknowledgement, metadata: under 100 ms here),
/// where it used to wait 1.6 s behind the backlog; its persisted data sits both in the
/// sources' output backlogs (the barrier overtook them there: the sources' snapshots are
/// aligned) and at the keyed input (the slow subtask's queued buffers).
#[test]
fn backpressured_checkpoints_take_the_timeout_plus_the_unaligned_persist() {
    let s = scenario("backpressure.yaml");
    let timeout = s.checkpointing.aligned_checkpoint_timeout_ns;
    assert_eq!(timeout, 200 * MILLISECOND);
    let input_ends = s.duration_ns;
    let outcome = run(s);
    let r = report(&outcome);
    for c in completed_while_producing(r, input_ends) {
        let e2e = c.end_to_end_duration.unwrap();
        assert!(
            (timeout..timeout + 100 * MILLISECOND).contains(&e2e),
            "checkpoint {}: {} ms",
            c.id,
            e2e / MILLISECOND
        );
        let parts: Vec<_> = r.subtasks.iter().filter(|b| b.checkpoint_id == c.id).collect();
        let at_sources = persisted_at(&parts, SOURCE);
        let at_aggregate = persisted_at(&parts, AGGREGATE);
        assert!(
            at_sources > 100_000 && at_aggregate > 100_000,
            "checkpoint {}: {at_sources} B persisted at the sources' outputs, {at_aggregate} B at the keyed input",
            c.id
        );
        assert!(
            parts.iter().filter(|b| b.operator == SOURCE).all(|b| !b.unaligned),
            "the sources' snapshots are aligned; only their barriers overtook"
        );
        assert_eq!(c.persisted_data, parts.iter().map(|b| b.persisted_data).sum::<u64>());
    }
}

/// The completed checkpoints triggered at least 1.5 s before the input ends: those whose
/// barriers all meet the backpressure (later ones meet finishing sources).
fn completed_while_producing(r: &CheckpointReport, input_ends: u64) -> Vec<&CheckpointSummary> {
    let during: Vec<_> = r
        .checkpoints
        .iter()
        .filter(|c| c.status == "COMPLETED" && c.trigger_timestamp + 1_500 * MILLISECOND < input_ends)
        .collect();
    assert!(during.len() >= 7, "{} checkpoints", during.len());
    during
}

/// The Flink docs: `execution.checkpointing.aligned-checkpoint-timeout` counts from the
/// checkpoint's start. ckptsim's `first-barrier` choice counts from each subtask's first
/// barrier instead, so the same job waits longer before switching.
#[test]
fn the_timeout_counts_from_the_checkpoint_start_unless_told_otherwise() {
    let flink = scenario("backpressure.yaml");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/backpressure.yaml"))
        .unwrap()
        .replace(
            "  execution.checkpointing.aligned-checkpoint-timeout: 200ms\n",
            "  execution.checkpointing.aligned-checkpoint-timeout: 200ms\n  ckptsim.checkpointing.aligned-checkpoint-timeout.counts-from: first-barrier\n",
        );
    let first_barrier = common::parse(&text);
    assert_ne!(
        flink.checkpointing.alignment_timeout_counts_from,
        first_barrier.checkpointing.alignment_timeout_counts_from
    );
    let median_e2e = |outcome: &Outcome| {
        let mut e2e: Vec<u64> = report(outcome)
            .checkpoints
            .iter()
            .filter(|c| c.status == "COMPLETED")
            .map(|c| c.end_to_end_duration.unwrap())
            .collect();
        e2e.sort_unstable();
        e2e[e2e.len() / 2]
    };
    let from_start = median_e2e(&run(flink));
    let from_first_barrier = median_e2e(&run(first_barrier));
    assert!(
        from_first_barrier > from_start,
        "{from_first_barrier} ns from the first barrier against {from_start} ns from the start"
    );
}

/// Exactly-once holds for random fault schedules with unaligned checkpoints and a timeout
/// short enough that faults make checkpoints switch, at inputs and outputs alike.
#[test]
fn exactly_once_holds_with_the_timeout_under_random_faults() {
    let s = scenario("quickstart-timeout.yaml");
    let (mut switched, mut output_persisted) = (0, 0);
    for seed in 0..60 {
        let run = explore::seeded(&s, seed, random_schedule(&s, seed));
        let outcome = ckptsim::run::run(run).unwrap();
        assert!(outcome.verdict.held, "seed {seed}: {}", outcome.verdict.headline());
        for b in &report(&outcome).subtasks {
            switched += usize::from(b.unaligned);
            output_persisted += usize::from(!b.unaligned && b.persisted_data > 0);
        }
    }
    assert!(switched > 0, "no checkpoint switched to unaligned");
    assert!(output_persisted > 0, "no barrier overtook an output backlog");
}

/// The same job when the barriers wait in the slow subtask's input queue rather than in
/// the sources' output backlogs (a short backlog, many floating buffers): the queued
/// barriers are announced on arrival, so the timeout still fires while they wait, and the
/// buffers ahead of them become the keyed input's channel state.
#[test]
fn announced_barriers_time_out_in_a_long_input_queue() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/backpressure.yaml"))
        .unwrap()
        .replace(
            "config:\n",
            "config:\n  taskmanager.network.memory.max-buffers-per-channel: 1\n  taskmanager.network.memory.floating-buffers-per-gate: 64\n",
        );
    let s = common::parse(&text);
    let (timeout, input_ends) = (s.checkpointing.aligned_checkpoint_timeout_ns, s.duration_ns);
    let outcome = run(s);
    let r = report(&outcome);
    for c in completed_while_producing(r, input_ends) {
        let e2e = c.end_to_end_duration.unwrap();
        // The persist is larger here (up to 1.6 MB of queued input): under 200 ms.
        assert!(
            e2e < timeout + 200 * MILLISECOND,
            "checkpoint {}: {} ms",
            c.id,
            e2e / MILLISECOND
        );
        let parts: Vec<_> = r.subtasks.iter().filter(|b| b.checkpoint_id == c.id).collect();
        assert!(persisted_at(&parts, AGGREGATE) > 100_000, "checkpoint {}", c.id);
    }
}

/// A source that has read its whole input keeps its output backlog until it drains, and
/// the timeout still prioritizes a barrier waiting there: in backpressure.yaml's last
/// checkpoint, taken as the sources finish, the barrier still overtakes a source's backlog.
#[test]
fn a_finished_source_still_prioritizes_its_late_barrier() {
    let outcome = run(scenario("backpressure.yaml"));
    let r = report(&outcome);
    let last = r.checkpoints.iter().rfind(|c| c.status == "COMPLETED").unwrap();
    let parts: Vec<_> = r.subtasks.iter().filter(|b| b.checkpoint_id == last.id).collect();
    assert!(persisted_at(&parts, SOURCE) > 100_000, "checkpoint {}", last.id);
    let source_ack = parts
        .iter()
        .filter(|b| b.operator == SOURCE)
        .map(|b| b.end_to_end_ns)
        .max();
    assert!(source_ack < Some(300 * MILLISECOND), "{source_ack:?}");
}
