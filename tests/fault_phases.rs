//! Which checkpoint phase a fault strikes in the middle of: recorded per fault, counted
//! by the explorer per seed, and aimed at by its random schedules.

mod common;

use ckptsim::explore;
use ckptsim::explore::report::phase_coverage;
use ckptsim::fault::{Fault, FaultKind, random_schedule};
use ckptsim::scenario::Scenario;
use ckptsim::sim::Nanos;
use ckptsim::sim::time::MILLISECOND;

fn quickstart() -> Scenario {
    common::load("scenarios/quickstart.yaml".as_ref())
}

/// A fault that changes nothing before it strikes, and little after.
fn probe(at_ns: Nanos) -> Fault {
    Fault {
        at_ns,
        kind: FaultKind::LatencySpike {
            extra_ns: 1,
            duration_ns: 1,
        },
    }
}

/// The phases recorded for each of `faults`, struck in the quickstart.
fn phases_at(faults: Vec<Fault>) -> Vec<Vec<String>> {
    let mut s = quickstart();
    s.faults = faults;
    let outcome = ckptsim::run::run(s).unwrap();
    outcome.summary.faults.iter().map(|f| f.phases.clone()).collect()
}

/// Midpoints of each phase of checkpoint 1 at its slowest subtask in a run without
/// faults: (alignment, sync, async upload, finalization).
fn phase_midpoints() -> (Nanos, Nanos, Nanos, Nanos) {
    let outcome = ckptsim::run::run(quickstart()).unwrap();
    let report = outcome.summary.checkpoints.unwrap();
    let parts: Vec<_> = report.subtasks.iter().filter(|b| b.checkpoint_id == 1).collect();
    let aligning = parts.iter().max_by_key(|b| b.alignment_ns).unwrap();
    assert!(aligning.alignment_ns > 2, "no alignment to strike in: {aligning:?}");
    let first_barrier = aligning.trigger_timestamp + aligning.start_delay_ns;
    let alignment = first_barrier + aligning.alignment_ns / 2;
    let b = parts.iter().max_by_key(|b| b.sync_ns).unwrap();
    let sync_start = b.trigger_timestamp + b.start_delay_ns + b.alignment_ns + b.snapshot_wait_ns;
    let sync = sync_start + b.sync_ns / 2;
    let upload = sync_start + b.sync_ns + b.async_ns / 2;
    let checkpoint = report.checkpoints.iter().find(|c| c.id == 1).unwrap();
    let finalize = checkpoint.latest_ack_timestamp.unwrap() + checkpoint.finalize_duration.unwrap() / 2;
    (alignment, sync, upload, finalize)
}

#[test]
fn a_fault_records_the_checkpoint_phase_it_strikes_in() {
    let (alignment, sync, upload, finalize) = phase_midpoints();
    let phases = phases_at(vec![probe(alignment), probe(sync), probe(upload), probe(finalize)]);
    assert!(phases[0].contains(&"alignment".to_string()), "{phases:?}");
    assert!(phases[1].contains(&"sync".to_string()), "{phases:?}");
    assert!(phases[2].contains(&"async-upload".to_string()), "{phases:?}");
    assert_eq!(phases[3], vec!["finalization".to_string()], "{phases:?}");
}

#[test]
fn a_fault_between_checkpoints_strikes_no_phase_and_one_after_a_crash_strikes_the_restore() {
    let (_, _, _, finalize) = phase_midpoints();
    // Checkpoint 1 is finalized 20 ms after its last acknowledgement; the next is
    // triggered 500 ms after the first.
    let idle = finalize + 100 * MILLISECOND;
    let crash = Fault {
        at_ns: 1_200 * MILLISECOND,
        kind: FaultKind::TaskmanagerCrash {
            taskmanager: 1,
            restart_after_ns: 300 * MILLISECOND,
        },
    };
    let phases = phases_at(vec![probe(idle), crash, probe(1_210 * MILLISECOND)]);
    assert!(phases[0].is_empty(), "{phases:?}");
    assert!(phases[2].contains(&"restore".to_string()), "{phases:?}");
}

#[test]
fn the_explorer_counts_the_seeds_that_struck_each_phase() {
    let report = explore::explore(&quickstart(), 0..200, 2);
    let seeds_with = |phase: &str| {
        report
            .results
            .iter()
            .filter(|r| r.phases.iter().any(|p| p == phase))
            .count()
    };
    for phase in ["async-upload", "finalization", "restore"] {
        assert!(seeds_with(phase) > 0, "no seed struck {phase}");
    }
    let line = phase_coverage(&report.results);
    assert!(
        line.contains(&format!("async-upload {}", seeds_with("async-upload"))),
        "{line}"
    );
    assert!(line.contains(&format!("restore {}", seeds_with("restore"))), "{line}");
}

#[test]
fn random_schedules_aim_at_the_moments_after_a_trigger() {
    // A uniform draw puts 1 in 500 faults within 1 ms after one of the quickstart's
    // 500 ms triggers; the aimed draws put about one in eight there.
    let s = quickstart();
    let interval = s.checkpointing.interval_ns.unwrap();
    let faults: Vec<Fault> = (0..2_000).flat_map(|seed| random_schedule(&s, seed)).collect();
    let just_after = faults.iter().filter(|f| f.at_ns % interval < MILLISECOND).count();
    assert!(
        just_after * 20 > faults.len(),
        "{just_after} of {} faults within 1 ms after a trigger",
        faults.len()
    );
}
