//! The README's library example, kept compiling and passing.

use ckptsim::scenario;

#[test]
fn my_job_keeps_exactly_once_with_unaligned_checkpoints() {
    let mut job = scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
    job.checkpointing.unaligned = true;
    job.checkpointing.interval_ns = Some(200_000_000);
    let outcome = ckptsim::run::run(job).unwrap();
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
    let outcome = ckptsim::run::run(job).unwrap();
    assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    let recovery = &outcome.summary.recoveries[0];
    assert_eq!(recovery.restored_checkpoint, Some(2));
    assert!(recovery.recovery_time_ns().unwrap() < 2_000_000_000);
}

// A scenario changed in code is checked by the rules a scenario file obeys: a value
// the CLI would reject is an error naming the field, never a panic inside the model.

fn quickstart() -> ckptsim::scenario::Scenario {
    scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap()
}

/// Runs `job` and returns the field its error names; fails if it ran (or panicked).
fn rejected_field(job: ckptsim::scenario::Scenario) -> String {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ckptsim::run::run(job).err()));
    let error = result
        .expect("the run panicked instead of rejecting the scenario")
        .expect("the run accepted an invalid scenario");
    assert!(error.to_string().contains(&error.path), "{error}");
    error.path
}

#[test]
fn a_zero_checkpoint_interval_is_rejected() {
    let mut job = quickstart();
    job.checkpointing.interval_ns = Some(0);
    assert_eq!(rejected_field(job), "config.execution.checkpointing.interval");
}

#[test]
fn parallelism_zero_is_rejected() {
    let mut job = quickstart();
    job.operators[1].parallelism = 0;
    assert_eq!(rejected_field(job), "job.operators[1].parallelism");
}

#[test]
fn a_fault_on_a_missing_taskmanager_is_rejected() {
    use ckptsim::fault::{Fault, FaultKind};
    let mut job = quickstart();
    job.faults.push(Fault {
        at_ns: 1_000_000_000,
        kind: FaultKind::TaskmanagerCrash {
            taskmanager: 7,
            restart_after_ns: 300_000_000,
        },
    });
    assert_eq!(rejected_field(job), "faults[0].taskmanager");
}

#[test]
fn a_stall_on_a_missing_subtask_is_rejected() {
    use ckptsim::fault::{Fault, FaultKind};
    let mut job = quickstart();
    job.faults.push(Fault {
        at_ns: 1_000_000_000,
        kind: FaultKind::SubtaskStall {
            operator: 1,
            subtask: 99,
            duration_ns: 100_000_000,
        },
    });
    assert_eq!(rejected_field(job), "faults[0].subtask");
}

#[test]
fn a_stall_on_a_missing_operator_is_rejected() {
    use ckptsim::fault::{Fault, FaultKind};
    let mut job = quickstart();
    job.faults.push(Fault {
        at_ns: 1_000_000_000,
        kind: FaultKind::SubtaskStall {
            operator: 99,
            subtask: 0,
            duration_ns: 100_000_000,
        },
    });
    assert_eq!(rejected_field(job), "faults[0].operator");
}

#[test]
fn parallelism_out_of_step_with_placement_is_rejected() {
    let mut job = quickstart();
    job.operators[1].parallelism += 1;
    assert_eq!(rejected_field(job), "job.operators[1].cpu-per-record");
}

#[test]
fn a_subtask_placed_on_a_missing_taskmanager_is_rejected() {
    let mut job = quickstart();
    job.operators[0].placement[0] = 9;
    assert_eq!(rejected_field(job), "job.operators[0].taskmanagers[0]");
}

#[test]
fn an_edge_to_a_missing_operator_is_rejected() {
    let mut job = quickstart();
    job.edges[0].to = 42;
    assert_eq!(rejected_field(job), "job.edges[0].to");
}

#[test]
fn a_source_without_partitions_is_rejected() {
    let mut job = quickstart();
    let ckptsim::scenario::OperatorLogicSpec::Source(source) = &mut job.operators[0].logic else {
        panic!("the quickstart's first operator is a source");
    };
    source.partitions = 0;
    assert_eq!(rejected_field(job), "job.operators[0].partitions");
}

#[test]
fn zero_taskmanagers_are_rejected() {
    let mut job = quickstart();
    job.cluster.taskmanagers = 0;
    assert_eq!(rejected_field(job), "cluster.taskmanagers");
}

#[test]
fn max_parallelism_below_an_operators_parallelism_is_rejected() {
    let mut job = quickstart();
    job.max_parallelism = 1;
    assert_eq!(rejected_field(job), "config.pipeline.max-parallelism");
}

#[test]
fn a_zero_watermark_interval_is_rejected() {
    let mut job = quickstart();
    job.watermark_interval_ns = 0;
    assert_eq!(rejected_field(job), "config.pipeline.auto-watermark-interval");
}

#[test]
fn zero_storage_requests_are_rejected() {
    let mut job = quickstart();
    job.cluster.checkpoint_storage.max_concurrent_requests = 0;
    assert_eq!(
        rejected_field(job),
        "cluster.checkpoint-storage.max-concurrent-requests"
    );
}

#[test]
fn the_error_of_a_scenario_built_in_code_starts_at_the_field() {
    let mut job = quickstart();
    job.operators[1].parallelism = 0;
    let error = ckptsim::run::run(job).err().unwrap();
    assert_eq!(
        error.to_string(),
        "job.operators[1].parallelism: must be greater than 0"
    );
}
