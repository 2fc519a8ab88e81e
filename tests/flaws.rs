//! The oracle can fail: each deliberately broken protocol variant is caught by the
//! explorer within 500 seeds of quickstart, while the correct protocol holds in
//! 2,000 seeds. A flaw is selectable only from code (`Scenario::flaw`).

use ckptsim::explore::explore;
use ckptsim::fault::Flaw;
use ckptsim::scenario::{self, Scenario};

fn quickstart() -> Scenario {
    scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap()
}

fn first_violation(flaw: Flaw, unaligned: bool) -> Option<u64> {
    let mut s = quickstart();
    s.flaw = Some(flaw);
    s.checkpointing.unaligned = unaligned;
    explore(&s, 0..500, 2).violations.first().copied()
}

fn caught(flaw: Flaw, unaligned: bool) {
    let seed = first_violation(flaw, unaligned);
    assert!(seed.is_some(), "{flaw:?} survived 500 seeds");
}

#[test]
fn a_snapshot_before_alignment_completes_is_caught() {
    caught(Flaw::SnapshotBeforeAlignment, false);
}

#[test]
fn a_barrier_that_does_not_block_its_channel_is_caught() {
    caught(Flaw::BarrierDoesNotBlock, false);
}

#[test]
fn a_sink_committing_at_the_barrier_is_caught() {
    caught(Flaw::SinkCommitsAtBarrier, false);
}

#[test]
fn restoring_the_latest_triggered_checkpoint_is_caught() {
    caught(Flaw::RestoreLatestTriggered, false);
}

#[test]
fn sources_not_rewound_on_restore_are_caught() {
    caught(Flaw::SourcesNotRewound, false);
}

#[test]
fn a_sink_committing_its_open_transaction_on_restore_is_caught() {
    caught(Flaw::SinkCommitsOpenTransaction, false);
}

/// Channel state exists only with unaligned checkpoints: quickstart with them on.
#[test]
fn unaligned_channel_state_not_restored_is_caught() {
    caught(Flaw::ChannelStateNotRestored, true);
}

#[test]
fn the_correct_protocol_holds_in_2000_seeds() {
    let report = explore(&quickstart(), 0..2000, 2);
    assert!(
        report.violations.is_empty(),
        "violations at seeds {:?}",
        report.violations
    );
    // The schedules did fail tasks: the runs recovered, they did not just run.
    let recovered = report.results.iter().filter(|r| r.recoveries > 0).count();
    assert!(recovered > 500, "only {recovered} seeds recovered");
}

#[test]
fn the_correct_protocol_holds_with_unaligned_checkpoints() {
    let mut s = quickstart();
    s.checkpointing.unaligned = true;
    let report = explore(&s, 0..500, 2);
    assert!(
        report.violations.is_empty(),
        "violations at seeds {:?}",
        report.violations
    );
}
