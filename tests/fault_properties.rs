//! Properties of fault schedules, written against the library API a user's own
//! test suite would use: build a scenario, add faults, run, assert the oracle.

use ckptsim::fault::{Fault, FaultKind};
use ckptsim::scenario::{self, Scenario};
use ckptsim::sim::time::MILLISECOND;
use proptest::prelude::*;

fn small_job(unaligned: bool) -> Scenario {
    let mut s = scenario::load_file("scenarios/quickstart.yaml".as_ref()).unwrap();
    s.duration_ns = 1_500 * MILLISECOND;
    s.checkpointing.interval_ns = Some(200 * MILLISECOND);
    s.checkpointing.unaligned = unaligned;
    s
}

/// Any fault of any kind, at a time within the input, lasting up to 600 ms.
fn any_fault() -> impl Strategy<Value = Fault> {
    let ms = |lo: u64, hi: u64| (lo..hi).prop_map(|v| v * MILLISECOND);
    let kind = prop_oneof![
        (0..2u32, ms(1, 600)).prop_map(|(tm, d)| FaultKind::TaskmanagerCrash {
            taskmanager: tm,
            restart_after_ns: d
        }),
        Just(FaultKind::ConnectionLoss { a: 0, b: 1 }),
        ms(1, 600).prop_map(|d| FaultKind::NetworkPartition {
            a: 0,
            b: 1,
            duration_ns: d
        }),
        (0..2u32, 2..20u32, ms(1, 600)).prop_map(|(tm, f, d)| FaultKind::SlowLink {
            taskmanager: tm,
            factor: f,
            duration_ns: d
        }),
        (ms(1, 50), ms(1, 600)).prop_map(|(x, d)| FaultKind::LatencySpike {
            extra_ns: x,
            duration_ns: d
        }),
        (0..2u32, ms(1, 600)).prop_map(|(tm, d)| FaultKind::DiskFull {
            taskmanager: tm,
            duration_ns: d
        }),
        (ms(1, 600), any::<bool>()).prop_map(|(d, hang)| FaultKind::StorageOutage { duration_ns: d, hang }),
        (2..20u32, ms(1, 600)).prop_map(|(f, d)| FaultKind::SlowStorage {
            factor: f,
            duration_ns: d
        }),
        ms(1, 600).prop_map(|d| FaultKind::JobmanagerCrash { failover_after_ns: d }),
        (0..3usize, 0..2u32, ms(1, 600)).prop_map(|(op, st, d)| FaultKind::SubtaskStall {
            operator: op,
            subtask: st,
            duration_ns: d
        }),
    ];
    (ms(10, 1_490), kind).prop_map(|(at_ns, kind)| Fault { at_ns, kind })
}

fn schedule() -> impl Strategy<Value = Vec<Fault>> {
    prop::collection::vec(any_fault(), 0..4).prop_map(|mut faults| {
        faults.sort_by_key(|f| f.at_ns);
        faults
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever faults strike, an EXACTLY_ONCE job's committed output equals the
    /// reference and every completed checkpoint is a consistent cut.
    #[test]
    fn any_fault_schedule_keeps_exactly_once(faults in schedule(), seed in 0..1_000u64, unaligned in any::<bool>()) {
        let mut job = small_job(unaligned);
        job.seed = seed;
        job.faults = faults;
        let outcome = ckptsim::run::run(job).unwrap();
        prop_assert!(outcome.verdict.held, "{}", outcome.verdict.headline());
    }

    /// The same scenario, seed and faults give the same trace digest.
    #[test]
    fn faults_keep_runs_deterministic(faults in schedule(), seed in 0..1_000u64) {
        let mut job = small_job(false);
        job.seed = seed;
        job.faults = faults;
        let a = ckptsim::run::run(job.clone()).unwrap().summary.trace_digest;
        let b = ckptsim::run::run(job).unwrap().summary.trace_digest;
        prop_assert_eq!(a, b);
    }
}
