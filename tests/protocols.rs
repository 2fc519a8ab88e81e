//! Protocols without barriers on the public interface: uncoordinated checkpointing
//! with message logging and communication-induced checkpointing (HMNR), run by the
//! same world, faults and oracle as Flink's protocol.

mod common;

use ckptsim::explore::explore;
use ckptsim::fault::Flaw;
use ckptsim::protocol::communication_induced::{HmnrControl, HmnrSubtask};
use ckptsim::protocol::interface::{ChannelCounts, LocalSnapshotCause, SubtaskAction, SubtaskContext, SubtaskProtocol};
use ckptsim::protocol::recovery_line::{StoredCheckpoint, max_consistent_line};
use ckptsim::protocol::uncoordinated::{CheckpointTimer, TimerSettings};
use ckptsim::scenario::Scenario;
use ckptsim::scenario::checkpointing::ProtocolKind;

fn quickstart(protocol: ProtocolKind) -> Scenario {
    let mut s = common::load("scenarios/quickstart.yaml".as_ref());
    s.checkpointing.protocol = protocol;
    s.checkpointing.timer_jitter_ns = 100_000_000;
    s
}

fn stored(id: u64, sent: &[(usize, u64)], received: &[(usize, u64)]) -> StoredCheckpoint {
    StoredCheckpoint {
        id,
        channels: ChannelCounts {
            sent: sent.to_vec(),
            received: received.to_vec(),
        },
    }
}

// ----- the recovery line ------------------------------------------------------------

/// Two subtasks, one channel 0 → 1. The newest checkpoints are consistent when the
/// consumer's had processed no more than the producer's had sent: the line is the
/// newest checkpoint of each.
#[test]
fn the_newest_checkpoints_form_the_line_when_no_message_is_an_orphan() {
    let stored = vec![
        vec![stored(1, &[(0, 10)], &[]), stored(3, &[(0, 30)], &[])],
        vec![stored(2, &[], &[(0, 8)]), stored(4, &[], &[(0, 25)])],
    ];
    let (line, rollbacks) = max_consistent_line(&stored, &[(0, 1)]);
    assert_eq!(line, vec![Some(1), Some(1)]);
    assert_eq!(rollbacks, 0);
}

/// The consumer's newest checkpoint processed 35 records, the producer's newest had
/// sent 30: record 31..35 would be orphans. The consumer rolls back to the checkpoint
/// that had processed 25.
#[test]
fn an_orphan_rolls_the_consumer_back() {
    let stored = vec![
        vec![stored(1, &[(0, 10)], &[]), stored(3, &[(0, 30)], &[])],
        vec![stored(2, &[], &[(0, 25)]), stored(4, &[], &[(0, 35)])],
    ];
    let (line, rollbacks) = max_consistent_line(&stored, &[(0, 1)]);
    assert_eq!(line, vec![Some(1), Some(0)]);
    assert_eq!(rollbacks, 1);
}

/// The domino effect on a chain 0 → 1 → 2: rolling subtask 1 back makes subtask 2's
/// checkpoint an orphan of it, and both go back to the job's start.
#[test]
fn rolling_back_one_subtask_can_roll_back_the_next_down_to_the_start() {
    let stored = vec![
        vec![stored(1, &[(0, 5)], &[])],
        vec![stored(2, &[(1, 4)], &[(0, 6)])],
        vec![stored(3, &[], &[(1, 4)])],
    ];
    let (line, rollbacks) = max_consistent_line(&stored, &[(0, 1), (1, 2)]);
    assert_eq!(line, vec![Some(0), None, None]);
    assert_eq!(rollbacks, 2);
}

// ----- the HMNR rule ------------------------------------------------------------

fn context(subtask: usize, num_subtasks: usize, consumers: Vec<usize>) -> SubtaskContext {
    SubtaskContext {
        subtask,
        num_subtasks,
        input_producers: Vec::new(),
        output_consumers: consumers,
        is_source: false,
        started_at: 0,
        first_checkpoint_id: 1,
    }
}

fn hmnr(subtask: usize, n: usize, consumers: Vec<usize>) -> HmnrSubtask {
    let settings = TimerSettings {
        interval: 1_000_000_000,
        jitter: 0,
        seed: 7,
    };
    let ctx = context(subtask, n, consumers);
    HmnrSubtask::new(CheckpointTimer::new(settings, &ctx), &ctx)
}

fn forced(role: &mut HmnrSubtask) -> bool {
    let mut forced = false;
    while let Some(action) = role.poll_action() {
        forced |= matches!(
            action,
            SubtaskAction::LocalSnapshot {
                cause: LocalSnapshotCause::Forced,
                ..
            }
        );
    }
    forced
}

/// C2 (Hélary et al., CheckMate's `cic_cycle_detection`): a message that knows this
/// subtask's current checkpoint number and says a checkpoint was taken on its path
/// since closes a cycle back to this subtask: forced.
#[test]
fn a_message_that_carries_our_own_checkpoint_back_forces_a_checkpoint() {
    let mut me = hmnr(0, 2, vec![1]);
    let mut other = hmnr(1, 2, vec![0]);
    // `other` learned our checkpoint number (1), then checkpointed itself: taken[0] is set.
    let m = me.control();
    other.on_data(1, 0, &m.encode());
    other.on_snapshot(2, 100);
    let reply = other.piggyback(0).expect("HMNR piggybacks");
    me.on_data(3, 0, &reply);
    assert!(forced(&mut me), "C2 holds: {:?}", HmnrControl::decode(&reply, 2));
}

/// Neither condition: a message from a subtask that has not checkpointed since it last
/// heard from us, to a subtask that has sent nothing, is delivered without a checkpoint.
#[test]
fn a_message_without_a_cycle_is_delivered_without_a_checkpoint() {
    let mut me = hmnr(0, 2, vec![1]);
    let mut other = hmnr(1, 2, vec![0]);
    let m = other.piggyback(0).expect("HMNR piggybacks");
    me.on_data(1, 0, &m);
    assert!(!forced(&mut me));
}

/// C1: after sending to a subtask, a message with a greater clock from one that knows
/// of a newer checkpoint of that subtask forces a checkpoint before delivery.
#[test]
fn sending_then_receiving_a_greater_clock_forces_a_checkpoint() {
    let mut me = hmnr(0, 3, vec![1]);
    let _ = me.piggyback(0);
    // Subtask 2 has checkpointed twice since the start; its clock is ahead and it
    // flags subtask 1 as "greater".
    let mut third = hmnr(2, 3, vec![0]);
    third.on_snapshot(1, 10);
    third.on_snapshot(2, 11);
    let m = third.piggyback(0).expect("HMNR piggybacks");
    let decoded = HmnrControl::decode(&m, 3);
    assert!(decoded.greater[1] && decoded.lc > me.control().lc);
    me.on_data(3, 0, &m);
    assert!(forced(&mut me));
}

/// The piggyback is `lc`, one checkpoint number per subtask and two bit sets: it grows
/// with the number of subtasks.
#[test]
fn the_piggyback_grows_with_the_number_of_subtasks() {
    let bytes = |n| hmnr(0, n, vec![1]).piggyback(0).expect("HMNR piggybacks").bytes;
    assert_eq!(bytes(2), 8 + 16 + 2);
    assert_eq!(bytes(64), 8 + 512 + 16);
    assert!(bytes(64) > bytes(8));
}

// ----- whole runs: the oracle holds, and catches broken variants -------------------

/// Uncoordinated checkpointing holds exactly-once under random faults.
#[test]
fn uncoordinated_checkpointing_holds_under_random_faults() {
    let s = quickstart(ProtocolKind::Uncoordinated);
    let report = explore(&s, 0..300, 2);
    assert!(report.violations.is_empty(), "violations at {:?}", report.violations);
    let recovered = report.results.iter().filter(|r| r.recoveries > 0).count();
    assert!(recovered > 50, "only {recovered} seeds recovered");
}

/// A restore of uncoordinated checkpoints replays what was in transit from the logs.
#[test]
fn a_restore_replays_logged_records() {
    let text = std::fs::read_to_string("scenarios/quickstart.yaml").unwrap().replace(
        "  execution.checkpointing.interval: 500ms\n",
        "  execution.checkpointing.interval: 500ms\n  ckptsim.checkpointing.protocol: uncoordinated\n",
    ) + "faults:\n  - {at: 1300ms, kind: taskmanager-crash, taskmanager: 1, restart-after: 100ms}\n";
    let outcome = ckptsim::run::run(common::parse(&text)).unwrap();
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    assert_eq!(outcome.summary.recoveries.len(), 1);
    let p = outcome.summary.protocol.expect("checkpointing run");
    assert!(p.replayed_from_logs > 0, "{p:?}");
}

/// Communication-induced checkpointing holds exactly-once under random faults.
#[test]
fn communication_induced_checkpointing_holds_under_random_faults() {
    let s = quickstart(ProtocolKind::CommunicationInduced);
    let report = explore(&s, 0..300, 2);
    assert!(report.violations.is_empty(), "violations at {:?}", report.violations);
}

/// The headline of the first seed in 500 that the oracle rejects.
fn first_violation(flaw: Flaw) -> Option<String> {
    first_violation_under(ProtocolKind::Uncoordinated, flaw).map(|(_, headline)| headline)
}

/// The first seed in 500 whose run the oracle rejects under `protocol` with `flaw`
/// planted, and its headline.
fn first_violation_under(protocol: ProtocolKind, flaw: Flaw) -> Option<(u64, String)> {
    let mut s = quickstart(protocol);
    s.flaw = Some(flaw);
    let report = explore(&s, 0..500, 2);
    report
        .results
        .into_iter()
        .find(|r| !r.held)
        .map(|r| (r.seed, r.headline))
}

/// The logging protocols' flaws are caught within 500 seeds under either protocol
/// without barriers; the seed of each first catch is printed (`--nocapture`) for
/// the README's figures.
#[test]
fn the_logging_flaws_are_caught_under_both_protocols_without_barriers() {
    for protocol in [ProtocolKind::Uncoordinated, ProtocolKind::CommunicationInduced] {
        for flaw in [Flaw::SenderDoesNotLog, Flaw::RecoveryLineIgnoresOrphans] {
            let found = first_violation_under(protocol, flaw);
            let (seed, headline) = found.unwrap_or_else(|| panic!("{flaw:?} survived 500 seeds under {protocol:?}"));
            eprintln!("{} {flaw:?}: first caught at seed {seed}: {headline}", protocol.name());
        }
    }
}

/// Without the log, a restore has nothing to replay what was in transit: the recovery
/// line check names the records the log should have held.
#[test]
fn a_sender_that_does_not_log_is_caught() {
    let headline = first_violation(Flaw::SenderDoesNotLog).expect("caught within 500 seeds");
    assert!(headline.contains("its log does not hold them"), "{headline}");
}

/// Taking every subtask's newest checkpoint restores a consumer that processed records
/// its producer's checkpoint had not sent: the line check names the orphan.
#[test]
fn a_recovery_line_with_orphans_is_caught() {
    let headline = first_violation(Flaw::RecoveryLineIgnoresOrphans).expect("caught within 500 seeds");
    assert!(headline.contains("orphan"), "{headline}");
}

/// A run of each protocol reports its own costs: basic and forced checkpoints, log
/// sizes, piggybacked bytes (communication-induced only).
#[test]
fn each_protocol_reports_what_it_cost() {
    let unc = ckptsim::run::run(quickstart(ProtocolKind::Uncoordinated)).unwrap();
    let p = unc.summary.protocol.expect("checkpointing run");
    assert!(unc.verdict.held);
    assert_eq!(p.name, "uncoordinated");
    assert!(p.timer_checkpoints > 0 && p.logged_records > 0 && p.recovery_lines > 0);
    assert_eq!((p.forced_checkpoints, p.piggyback_bytes), (0, 0));
    let cic = ckptsim::run::run(quickstart(ProtocolKind::CommunicationInduced)).unwrap();
    let p = cic.summary.protocol.expect("checkpointing run");
    assert!(cic.verdict.held);
    assert_eq!(p.piggyback_bytes_per_buffer, 8 + 8 * 6 + 2);
    assert!(p.piggyback_bytes > 0);
}

/// A coordinator that moves the recovery line past orphans is caught by the check of
/// each line as it is reached, even in a run without faults (nothing is restored, so
/// the sinks alone could not tell).
#[test]
fn a_line_reached_with_orphans_is_not_a_consistent_cut() {
    let s = quickstart(ProtocolKind::Uncoordinated);
    let held = ckptsim::run::run(s.clone()).unwrap();
    assert!(held.verdict.held && held.verdict.cuts.checkpoints > 0);
    let mut broken = s.clone();
    broken.flaw = Some(Flaw::LineAdvancesPastOrphans);
    let outcome = ckptsim::run::run(broken).unwrap();
    assert!(
        outcome.verdict.cuts.violation_count > 0,
        "{}",
        outcome.verdict.headline()
    );
    assert!(!outcome.verdict.held);
}
