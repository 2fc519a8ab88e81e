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
