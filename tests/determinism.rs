//! Same scenario and seed, same trace digest; another seed, another run.

mod common;

use ckptsim::sim::time::SECOND;

/// Caps a scenario's input so that the big ones run quickly in a test build.
fn capped(path: &std::path::Path) -> ckptsim::scenario::Scenario {
    let mut scenario = common::load(path);
    // A stop or trigger past the cap no longer lies within the run.
    scenario.set_duration(scenario.duration_ns.min(SECOND / 2));
    scenario
}

#[test]
fn every_scenario_gives_the_same_digest_twice() {
    for path in common::shipped_scenarios() {
        let first = ckptsim::run::run(capped(&path)).unwrap();
        let second = ckptsim::run::run(capped(&path)).unwrap();
        assert_eq!(
            first.summary.trace_digest,
            second.summary.trace_digest,
            "{}",
            path.display()
        );
        assert_eq!(first.summary.events, second.summary.events, "{}", path.display());
        assert!(
            first.summary.events > 100,
            "{} processed almost nothing",
            path.display()
        );
    }
}

#[test]
fn another_seed_gives_another_digest() {
    for path in common::shipped_scenarios() {
        let a = ckptsim::run::run(capped(&path)).unwrap();
        let mut other = capped(&path);
        other.seed += 1;
        let b = ckptsim::run::run(other).unwrap();
        assert_ne!(a.summary.trace_digest, b.summary.trace_digest, "{}", path.display());
    }
}

#[test]
fn the_quickstart_digest_is_pinned() {
    // A change of this value means every published digest changes: a deliberate
    // model change must update it, an accidental one must not happen.
    let outcome = ckptsim::run::run(common::load("scenarios/quickstart.yaml".as_ref())).unwrap();
    assert_eq!(outcome.summary.trace_digest, "a5fcab343c744fc2");
}
