//! A protocol written outside the crate (examples/own_protocol) runs through the same
//! world, explorer and oracle as the built-in ones: the correct variant holds, the
//! broken one is caught, shrunk and replayed.

#[path = "../examples/own_protocol/barriers.rs"]
mod barriers;

use barriers::{BarrierSubtask, SimpleBarriers};
use ckptsim::explore;
use ckptsim::protocol::interface::{SharedProtocol, SnapshotTrigger, SubtaskAction, SubtaskProtocol};
use ckptsim::protocol::{Barrier, SnapshotKind};
use ckptsim::scenario::{self, Scenario};
use proptest::prelude::*;

fn quickstart() -> Scenario {
    scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap()
}

fn with(protocol: fn(ckptsim::protocol::coordinator::CoordinatorConfig) -> SharedProtocol) -> Scenario {
    let job = quickstart();
    let coordinator = job.checkpointing.coordinator_config();
    job.with_protocol(protocol(coordinator))
}

fn barrier(id: u64) -> Barrier {
    Barrier {
        checkpoint_id: id,
        trigger_timestamp: 100,
        kind: SnapshotKind::Checkpoint,
    }
}

fn drain(role: &mut BarrierSubtask) -> Vec<SubtaskAction> {
    std::iter::from_fn(|| role.poll_action()).collect()
}

fn snapshot(id: u64, first: u64, alignment: u64) -> SubtaskAction {
    SubtaskAction::TriggerSnapshot(SnapshotTrigger {
        barrier: barrier(id),
        unaligned: false,
        first_barrier_at: first,
        alignment_duration: alignment,
    })
}

#[test]
fn the_blocking_variant_holds_the_first_channel_until_the_last_barrier() {
    let mut role = BarrierSubtask::new(2, false);
    role.on_barrier(200, 0, barrier(1));
    assert_eq!(
        drain(&mut role),
        vec![SubtaskAction::BlockChannel {
            channel: 0,
            checkpoint_id: 1
        }]
    );
    assert!(role.is_blocked(0) && !role.is_blocked(1));
    role.on_barrier(350, 1, barrier(1));
    assert_eq!(
        drain(&mut role),
        vec![
            snapshot(1, 200, 150),
            SubtaskAction::UnblockChannel { channel: 0 },
            SubtaskAction::AllBarriersReceived {
                checkpoint_id: 1,
                first_barrier_at: 200,
                alignment_duration: 150
            },
        ]
    );
    assert!(!role.is_blocked(0) && role.pending_checkpoint().is_none());
}

#[test]
fn the_eager_variant_snapshots_at_the_first_barrier_and_blocks_nothing() {
    let mut role = BarrierSubtask::new(2, true);
    role.on_barrier(200, 0, barrier(1));
    assert_eq!(drain(&mut role), vec![snapshot(1, 200, 0)]);
    assert!(!role.is_blocked(0));
    role.on_barrier(350, 1, barrier(1));
    assert_eq!(
        drain(&mut role),
        vec![SubtaskAction::AllBarriersReceived {
            checkpoint_id: 1,
            first_barrier_at: 200,
            alignment_duration: 150
        }]
    );
}

#[test]
fn a_newer_barrier_declines_the_checkpoint_still_aligning() {
    let mut role = BarrierSubtask::new(2, false);
    role.on_barrier(200, 0, barrier(1));
    drain(&mut role);
    role.on_barrier(300, 1, barrier(2));
    let actions = drain(&mut role);
    assert!(
        actions.contains(&SubtaskAction::AbortCheckpoint {
            checkpoint_id: 1,
            reason: ckptsim::protocol::CheckpointFailureReason::CheckpointDeclinedSubsumed
        }),
        "{actions:?}"
    );
    assert_eq!(role.pending_checkpoint(), Some(2));
    assert!(role.is_blocked(1) && !role.is_blocked(0));
}

#[test]
fn the_blocking_variant_holds_under_random_faults() {
    let report = explore::explore(&with(SimpleBarriers::blocking), 0..150, 2);
    assert!(
        report.violations.is_empty(),
        "violations at seeds {:?}",
        report.violations
    );
}

#[test]
fn the_eager_variant_is_caught_shrunk_and_replayed() {
    let eager = with(SimpleBarriers::eager);
    let report = explore::explore(&eager, 0..500, 2);
    let seed = *report
        .violations
        .first()
        .expect("the eager protocol is caught within 500 seeds");
    let faults = explore::shrink_violation(&eager, seed, 200);
    assert!(faults.len() <= explore::run_seed(&eager, seed).faults);
    let replay = ckptsim::run::run(explore::seeded(&eager, seed, faults)).unwrap();
    assert!(!replay.verdict.held);
    assert_eq!(eager.protocol().name(), "simple-barriers-eager");
}

/// Whether `protocol` keeps exactly-once on `seed`'s random fault schedule.
fn holds(protocol: SharedProtocol, seed: u64) -> Result<(), TestCaseError> {
    let result = explore::run_seed(&quickstart().with_protocol(protocol), seed);
    prop_assert!(result.held, "seed {seed}: {}", result.headline);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The blocking protocol keeps exactly-once on any seed's random fault schedule.
    #[test]
    fn any_seed_holds_under_the_blocking_protocol(seed in any::<u64>()) {
        let coordinator = quickstart().checkpointing.coordinator_config();
        holds(SimpleBarriers::blocking(coordinator), seed)?;
    }
}
