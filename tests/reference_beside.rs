//! The reference output computed beside the simulation: the same verdict as computed
//! after it, used only when the run read exactly the input it assumes.

mod common;

use ckptsim::check::check_exactly_once_with;
use ckptsim::check::reference::ExpectedOutput;
use ckptsim::scenario::Scenario;

fn scenario(name: &str) -> Scenario {
    common::load(format!("scenarios/{name}.yaml").as_ref())
}

#[test]
fn the_verdict_is_the_same_on_one_thread_and_on_two() {
    for name in [
        "quickstart",
        "faults",
        "cancel-retain",
        "stop-with-savepoint",
        "windows",
    ] {
        let two = ckptsim::run::run(scenario(name)).unwrap();
        let one = ckptsim::run::run_on_one_thread(scenario(name)).unwrap();
        assert_eq!(two.verdict.headline(), one.verdict.headline(), "{name}");
        assert_eq!(two.verdict.held, one.verdict.held, "{name}");
        assert_eq!(two.summary.trace_digest, one.summary.trace_digest, "{name}");
    }
}

#[test]
fn a_reference_computed_beforehand_is_what_the_sinks_are_compared_with() {
    let s = scenario("quickstart");
    let world = ckptsim::run::simulate(s.clone(), |_| {}).unwrap();
    let right = ExpectedOutput::of_whole_input(&s);
    assert!(check_exactly_once_with(&world, Some(&right)).held);
    // The same offsets with nothing expected: the sinks' output must now be "wrong".
    let mut wrong = right.clone();
    wrong
        .expected
        .iter_mut()
        .for_each(|(_, sink)| *sink = Default::default());
    assert!(!check_exactly_once_with(&world, Some(&wrong)).held);
    // A reference for other offsets is not used: the verdict is computed afresh.
    wrong.offsets[0].2 += 1;
    assert!(check_exactly_once_with(&world, Some(&wrong)).held);
}
