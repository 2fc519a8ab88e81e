//! The README's library example, kept compiling and passing.

use ckptsim::scenario;

#[test]
fn my_job_keeps_exactly_once_with_unaligned_checkpoints() {
    let mut job = scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
    job.checkpointing.unaligned = true;
    job.checkpointing.interval_ns = Some(200_000_000);
    let outcome = ckptsim::run::run(job);
    assert!(outcome.verdict.held, "{:?}", outcome.verdict.anomalies);
    let checkpoints = outcome.summary.checkpoints.unwrap();
    assert!(checkpoints.completed >= 5);
}

#[test]
fn my_job_survives_a_taskmanager_crash() {
    use ckptsim::fault::{Fault, FaultKind};
    let mut job = scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
    job.faults.push(Fault {
        at_ns: 1_200_000_000,
        kind: FaultKind::TaskmanagerCrash {
            taskmanager: 1,
            restart_after_ns: 300_000_000,
        },
    });
    let outcome = ckptsim::run::run(job);
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    let recovery = &outcome.summary.recoveries[0];
    assert_eq!(recovery.restored_checkpoint, Some(2));
    assert!(recovery.recovery_time_ns().unwrap() < 2_000_000_000);
}
