//! Validation stays linear in the size of the scenario: inputs that are large but
//! well within the limits are judged correctly, and quickly (benches/validate.rs
//! measures how quickly; these check the answers on inputs big enough that a
//! quadratic validation would take minutes).

mod common;

use ckptsim::scenario;

#[test]
fn a_long_chain_of_operators_is_valid() {
    let s = scenario::parse_str(&common::chain(50_000), "chain.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.operators.len(), 50_002);
    assert_eq!(s.topological_order().len(), 50_002);
}

#[test]
fn a_long_chain_with_a_cycle_at_its_end_is_rejected() {
    let text = common::chain(50_000) + "    - {from: m49999, to: m49998}\n";
    let e = scenario::parse_str(&text, "chain.yaml").unwrap_err();
    assert!(e.message.contains("acyclic"), "{e}");
}

#[test]
fn a_misspelt_long_name_is_reported_without_a_suggestion() {
    let long = "x".repeat(200_000);
    let text = format!(
        "duration: 1s\njob:\n  operators:\n    - {{name: {long}a, kind: source, rate: 10}}\n    - {{name: out, kind: sink}}\n  edges:\n    - {{from: {long}b, to: out}}\n"
    );
    let e = scenario::parse_str(&text, "long.yaml").unwrap_err();
    assert_eq!(e.path, "job.edges[0].from");
    assert!(e.message.contains("is not defined"), "{e}");
}

// The parser's time grows with the square of the nesting depth: a linear pre-scan
// refuses such a document first, at the place where it gets too deep.
#[test]
fn a_deeply_nested_document_is_rejected_with_a_position() {
    let depth = 200_000;
    let text = format!(
        "duration: 1s\ndescription: {}1{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let e = scenario::parse_str(&text, "deep.yaml").unwrap_err();
    assert_eq!((e.line, e.column), (2, 13 + 65), "{e}");
    assert!(e.to_string().contains("nested deeper than 64 levels"), "{e}");
}

#[test]
fn brackets_in_quotes_and_comments_do_not_count_as_nesting() {
    let deep = "[".repeat(100);
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml"))
        .unwrap()
        .replacen("name: quickstart", &format!("name: '{deep}'  # {deep}"), 1);
    let s = scenario::parse_str(&text, "quoted.yaml").unwrap();
    assert_eq!(s.name, deep);
}
