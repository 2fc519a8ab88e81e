//! Every class of scenario error names the right line, column and field, says what is
//! wrong in words a user can act on, and never panics; the CLI turns them into exit
//! code 2 with `file:line:col:` first.

mod common;

use ckptsim::scenario::{ScenarioError, parse_str};
use std::process::Command;

/// A valid document; the tests break it one field at a time. Line numbers:
///  1 duration   3 slots   5 taskmanagers   8-11 src   12-14 agg   15-17 out
///  18 edges:   19 src → agg   20 agg → out
const BASE: &str = "\
duration: 1s
config:
  taskmanager.numberOfTaskSlots: 2
cluster:
  taskmanagers: 2
job:
  operators:
    - name: src
      kind: source
      parallelism: 2
      rate: 100
    - name: agg
      kind: aggregate
      parallelism: 2
    - name: out
      kind: sink
      parallelism: 2
  edges:
    - {from: src, to: agg}
    - {from: agg, to: out}
";

/// A document whose operators (one flow mapping per line) start at line 8, followed
/// by `  edges:` and one edge per line: operator i is on line 8 + i, and edge j on
/// line 9 + (number of operators) + j.
fn job(operators: &[&str], edges: &[&str]) -> String {
    let mut text = String::from(
        "duration: 1s\nconfig:\n  taskmanager.numberOfTaskSlots: 2\ncluster:\n  taskmanagers: 2\njob:\n  operators:\n",
    );
    for op in operators {
        text += &format!("    - {{{op}}}\n");
    }
    text += "  edges:\n";
    for edge in edges {
        text += &format!("    - {{{edge}}}\n");
    }
    text
}

/// `text` with the first `from` replaced; fails if `from` is absent, so that a test
/// cannot silently check the unchanged document.
#[track_caller]
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` is not in the document");
    text.replacen(from, to, 1)
}

#[track_caller]
fn error_of(text: &str) -> ScenarioError {
    match parse_str(text, "t.yaml") {
        Ok(_) => panic!("the document validated, but an error was expected:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the error's place (column only when given), field path and key words.
#[track_caller]
fn expect(text: &str, line: usize, column: Option<usize>, path: &str, words: &[&str]) -> ScenarioError {
    let e = error_of(text);
    assert_eq!(e.file, "t.yaml");
    assert_eq!(e.line, line, "line of: {e}");
    if let Some(column) = column {
        assert_eq!(e.column, column, "column of: {e}");
    }
    assert_eq!(e.path, path, "path of: {e}");
    for word in words {
        assert!(e.message.contains(word), "`{word}` is not in: {e}");
    }
    e
}

#[test]
fn the_base_documents_are_valid() {
    parse_str(BASE, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    let linear = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out"],
    );
    parse_str(&linear, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn yaml_syntax_error() {
    let e = expect(
        &edit(BASE, "- name: agg", "- name: agg: x"),
        12,
        Some(16),
        "",
        &["invalid YAML", "mapping values are not allowed"],
    );
    assert_eq!(
        e.to_string(),
        "t.yaml:12:16: invalid YAML: mapping values are not allowed in this context"
    );
    // A tab used for indentation.
    expect(
        &edit(BASE, "  taskmanagers: 2", "\ttaskmanagers: 2"),
        5,
        Some(1),
        "",
        &["invalid YAML"],
    );
}

#[test]
fn unclosed_quote_names_where_the_quote_began() {
    // libyaml finds the problem at the end of the file; the message says where the
    // quoted value started.
    expect(
        &edit(BASE, "name: agg", "name: \"agg"),
        21,
        Some(1),
        "",
        &["invalid YAML", "quoted scalar", "line 12 column 13"],
    );
}

#[test]
fn unknown_top_level_key_suggests_the_nearest() {
    let e = expect(
        &edit(BASE, "duration:", "duratoin:"),
        1,
        Some(1),
        "duratoin",
        &["unknown field `duratoin`", "did you mean `duration`?"],
    );
    assert_eq!(
        e.to_string(),
        "t.yaml:1:1: duratoin: unknown field `duratoin` (did you mean `duration`?)"
    );
}

#[test]
fn unknown_key_without_a_near_name_lists_the_valid_ones() {
    expect(
        &format!("{BASE}colour: red\n"),
        21,
        Some(1),
        "colour",
        &["unknown field `colour`", "valid fields:", "duration", "cluster"],
    );
}

#[test]
fn unknown_operator_field_suggests_the_nearest() {
    expect(
        &edit(
            BASE,
            "      parallelism: 2\n    - name: out",
            "      paralelism: 2\n    - name: out",
        ),
        14,
        Some(7),
        "job.operators[1].paralelism",
        &["unknown field `paralelism`", "did you mean `parallelism`?"],
    );
}

#[test]
fn unknown_flink_config_key_suggests_the_nearest() {
    expect(
        &edit(
            BASE,
            "  taskmanager.numberOfTaskSlots: 2\n",
            "  taskmanager.numberOfTaskSlots: 2\n  execution.bufer-timeout: 5ms\n",
        ),
        4,
        Some(3),
        "config.execution.bufer-timeout",
        &[
            "unknown field `execution.bufer-timeout`",
            "did you mean `execution.buffer-timeout`?",
        ],
    );
}

#[test]
fn unknown_cluster_key_suggests_the_nearest() {
    expect(
        &edit(BASE, "  taskmanagers: 2\n", "  taskmanagers: 2\n  cpu-core: 2\n"),
        6,
        Some(3),
        "cluster.cpu-core",
        &["did you mean `cpu-cores`?"],
    );
}

#[test]
fn unknown_enum_value_suggests_the_nearest() {
    expect(
        &edit(BASE, "kind: aggregate", "kind: agregate"),
        13,
        Some(13),
        "job.operators[1].kind",
        &["unknown value `agregate`", "did you mean `aggregate`?"],
    );
    expect(
        &edit(BASE, "{from: src, to: agg}", "{from: src, to: agg, partitioning: hsah}"),
        19,
        Some(42),
        "job.edges[0].partitioning",
        &["unknown value `hsah`", "did you mean `hash`?"],
    );
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys: {distribution: zpif, count: 5}\n",
        ),
        12,
        Some(28),
        "job.operators[0].keys.distribution",
        &["did you mean `zipf`?"],
    );
    // A list where a single name belongs.
    expect(
        &edit(BASE, "kind: aggregate", "kind: [aggregate]"),
        13,
        Some(13),
        "job.operators[1].kind",
        &["invalid type: sequence", "expected a single value"],
    );
}

#[test]
fn missing_required_field() {
    expect(
        &edit(BASE, "duration: 1s\n", ""),
        1,
        Some(1),
        "duration",
        &["missing required field `duration`"],
    );
    // An empty file lacks the first required field.
    expect("", 1, Some(1), "duration", &["missing required field `duration`"]);
    // A source without a rate: the source's first line.
    expect(
        &edit(BASE, "      rate: 100\n", ""),
        8,
        Some(7),
        "job.operators[0].rate",
        &["source needs a `rate`", "records per second"],
    );
    // A required field of a nested mapping: points at that mapping.
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys: {distribution: uniform}\n",
        ),
        12,
        Some(13),
        "job.operators[0].keys.count",
        &["missing required field `count`"],
    );
    expect(
        &edit(BASE, "{from: agg, to: out}", "{from: agg}"),
        20,
        Some(7),
        "job.edges[1].to",
        &["missing required field `to`"],
    );
}

#[test]
fn invalid_value_type_is_named_in_words() {
    let parallelism = "      parallelism: 2\n    - name: out";
    expect(
        &edit(BASE, parallelism, "      parallelism: \"x\"\n    - name: out"),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &["invalid type: string \"x\"", "expected a whole number"],
    );
    expect(
        &edit(BASE, parallelism, "      parallelism: 2.5\n    - name: out"),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &["floating point `2.5`", "expected a whole number"],
    );
    expect(
        &edit(BASE, "rate: 100", "rate: fast"),
        11,
        Some(13),
        "job.operators[0].rate",
        &["invalid type: string \"fast\", expected a number"],
    );
    expect(
        &edit(BASE, "config:\n  taskmanager.numberOfTaskSlots: 2", "config: 5"),
        2,
        Some(9),
        "config",
        &["expected a mapping of fields"],
    );
    expect(
        &edit(BASE, "  taskmanagers: 2", "  taskmanagers: 5000000000"),
        5,
        Some(17),
        "cluster.taskmanagers",
        &["5000000000", "expected a whole number from 0 to 4294967295"],
    );
}

#[test]
fn invalid_duration_unit() {
    expect(
        &edit(BASE, "duration: 1s", "duration: 5 parsecs"),
        1,
        Some(11),
        "duration",
        &[
            "invalid duration `5 parsecs`",
            "unknown unit `parsecs`",
            "ns, us, ms, s, min, h or d",
        ],
    );
}

#[test]
fn malformed_numbers_in_units() {
    expect(
        &edit(BASE, "duration: 1s", "duration: 1.2.3s"),
        1,
        Some(11),
        "duration",
        &["`1.2.3` is not a number"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: fast"),
        1,
        Some(11),
        "duration",
        &["expected a number with a unit"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: .s"),
        1,
        Some(11),
        "duration",
        &["expected a number with a unit"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: 99999999999d"),
        1,
        Some(11),
        "duration",
        &["too long"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: 1e300"),
        1,
        Some(11),
        "duration",
        &["1e300 is too large"],
    );
}

#[test]
fn invalid_size_and_bandwidth() {
    expect(
        &edit(BASE, "      rate: 100\n", "      rate: 100\n      record-size: 10 zb\n"),
        12,
        Some(20),
        "job.operators[0].record-size",
        &["invalid size `10 zb`", "unknown unit `zb`"],
    );
    expect(
        &edit(
            BASE,
            "  taskmanagers: 2\n",
            "  taskmanagers: 2\n  network:\n    bandwidth: 12 furlongs/s\n",
        ),
        7,
        Some(16),
        "cluster.network.bandwidth",
        &["invalid bandwidth", "unknown unit `furlongs`"],
    );
    expect(
        &edit(
            BASE,
            "  taskmanager.numberOfTaskSlots: 2\n",
            "  taskmanager.numberOfTaskSlots: 2\n  taskmanager.memory.segment-size: 16\n",
        ),
        4,
        Some(36),
        "config.taskmanager.memory.segment-size",
        &["at least 64b"],
    );
}

#[test]
fn zero_and_negative_values() {
    expect(
        &edit(BASE, "duration: 1s", "duration: 0"),
        1,
        Some(11),
        "duration",
        &["must be greater than 0"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: -5"),
        1,
        Some(11),
        "duration",
        &["must not be negative"],
    );
    expect(
        &edit(BASE, "duration: 1s", "duration: -5ms"),
        1,
        Some(11),
        "duration",
        &["must not be negative"],
    );
    let parallelism = "      parallelism: 2\n    - name: out";
    expect(
        &edit(BASE, parallelism, "      parallelism: 0\n    - name: out"),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &["must be greater than 0"],
    );
    expect(
        &edit(BASE, parallelism, "      parallelism: -1\n    - name: out"),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &["`-1`", "expected a whole number, 0 or more"],
    );
    expect(
        &edit(BASE, "numberOfTaskSlots: 2", "numberOfTaskSlots: 0"),
        3,
        Some(34),
        "config.taskmanager.numberOfTaskSlots",
        &["must be greater than 0"],
    );
    // 0 would otherwise silently mean "the input's record size".
    expect(
        &edit(BASE, "      rate: 100\n", "      rate: 100\n      record-size: 0b\n"),
        12,
        Some(20),
        "job.operators[0].record-size",
        &["must be greater than 0"],
    );
}

#[test]
fn edge_to_an_undefined_operator_suggests_the_nearest() {
    let e = expect(
        &edit(BASE, "{from: agg, to: out}", "{from: agg, to: oot}"),
        20,
        Some(23),
        "job.edges[1].to",
        &["operator `oot` is not defined", "did you mean `out`?"],
    );
    assert_eq!(
        e.to_string(),
        "t.yaml:20:23: job.edges[1].to: operator `oot` is not defined (did you mean `out`?)"
    );
    expect(
        &edit(BASE, "{from: agg, to: out}", "{from: aggr, to: out}"),
        20,
        Some(14),
        "job.edges[1].from",
        &["operator `aggr` is not defined", "did you mean `agg`?"],
    );
}

#[test]
fn cycle_in_the_graph() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: m1, kind: map, parallelism: 2",
            "name: m2, kind: map, parallelism: 2",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out", "from: m1, to: m2", "from: m2, to: m1"],
    );
    // The first edge into the first operator that no topological order reaches.
    expect(&text, 15, Some(8), "job.edges[2]", &["cycle through `m1`", "acyclic"]);
    expect(
        &edit(BASE, "{from: agg, to: out}", "{from: agg, to: agg}"),
        20,
        Some(23),
        "job.edges[1].to",
        &["cycle", "`agg` feeds itself"],
    );
}

#[test]
fn forward_edge_needs_equal_parallelism() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: out, kind: sink, parallelism: 1",
        ],
        &["from: src, to: out, partitioning: forward"],
    );
    expect(
        &text,
        11,
        Some(42),
        "job.edges[0].partitioning",
        &["forward needs equal parallelism", "`src` has 2", "`out` has 1"],
    );
}

#[test]
fn keyed_operator_needs_hash_partitioning() {
    expect(
        &edit(
            BASE,
            "{from: src, to: agg}",
            "{from: src, to: agg, partitioning: rebalance}",
        ),
        19,
        Some(42),
        "job.edges[0].partitioning",
        &["`agg` is keyed", "`hash`"],
    );
}

#[test]
fn only_map_and_sink_may_follow_an_aggregate_or_window() {
    let ops = |middle: &str| {
        job(
            &[
                "name: src, kind: source, parallelism: 2, rate: 100",
                "name: agg, kind: aggregate, parallelism: 2",
                middle,
                "name: out, kind: sink, parallelism: 2",
            ],
            &["from: src, to: agg", "from: agg, to: x", "from: x, to: out"],
        )
    };
    expect(
        &ops("name: x, kind: filter, parallelism: 2"),
        10,
        Some(8),
        "job.operators[2]",
        &[
            "`x` (filter) cannot follow an aggregate or window",
            "only map and sink may",
        ],
    );
    expect(
        &ops("name: x, kind: window, parallelism: 2, size: 1s"),
        10,
        Some(8),
        "job.operators[2]",
        &["`x` (window) cannot follow"],
    );
    parse_str(&ops("name: x, kind: map, parallelism: 2"), "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    // The rule holds through a map as well.
    let through_map = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: win, kind: window, parallelism: 2, size: 1s",
            "name: m, kind: map, parallelism: 2",
            "name: f, kind: filter, parallelism: 2",
            "name: out, kind: sink, parallelism: 2",
        ],
        &[
            "from: src, to: win",
            "from: win, to: m",
            "from: m, to: f",
            "from: f, to: out",
        ],
    );
    expect(
        &through_map,
        11,
        Some(8),
        "job.operators[3]",
        &["`f` (filter) cannot follow"],
    );
}

#[test]
fn operator_without_input() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: lonely, kind: map, parallelism: 2",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out", "from: lonely, to: out"],
    );
    expect(
        &text,
        9,
        Some(8),
        "job.operators[1]",
        &["`lonely` has no input", "`to: lonely`"],
    );
}

#[test]
fn output_going_nowhere() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: m, kind: map, parallelism: 2",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out", "from: src, to: m"],
    );
    expect(&text, 9, Some(8), "job.operators[1]", &["output of `m` goes nowhere"]);
}

#[test]
fn source_with_inputs() {
    let text = job(
        &[
            "name: a, kind: source, parallelism: 2, rate: 100",
            "name: b, kind: source, parallelism: 2, rate: 100",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: a, to: out", "from: a, to: b", "from: b, to: out"],
    );
    expect(
        &text,
        9,
        Some(8),
        "job.operators[1]",
        &["source `b` cannot have inputs"],
    );
}

#[test]
fn sink_with_outputs() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: out, kind: sink, parallelism: 2",
            "name: out2, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out", "from: out, to: out2"],
    );
    expect(
        &text,
        9,
        Some(8),
        "job.operators[1]",
        &["sink `out` cannot feed other operators"],
    );
}

#[test]
fn duplicate_operator_name() {
    expect(
        &edit(BASE, "name: out", "name: agg"),
        15,
        Some(13),
        "job.operators[2].name",
        &["operator `agg` is defined twice"],
    );
}

#[test]
fn duplicate_edge() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: out", "from: src, to: out"],
    );
    expect(
        &text,
        12,
        Some(8),
        "job.edges[1]",
        &["edge `src` → `out` is defined twice"],
    );
}

#[test]
fn duplicate_yaml_key_points_at_the_repeat() {
    expect(
        &edit(BASE, "duration: 1s\n", "duration: 1s\nduration: 2s\n"),
        2,
        Some(1),
        "duration",
        &["`duration` is given twice"],
    );
}

#[test]
fn sizes_that_cannot_fit_in_memory() {
    let parallelism = "      parallelism: 2\n    - name: out";
    expect(
        &edit(BASE, parallelism, "      parallelism: 1000000000000\n    - name: out"),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &["parallelism 1000000000000 is too large", "at most 32768"],
    );
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys: {distribution: uniform, count: 1000000000000}\n",
        ),
        12,
        Some(44),
        "job.operators[0].keys.count",
        &["key count 1000000000000 is too large", "at most 10000000"],
    );
    expect(
        &edit(BASE, "  taskmanagers: 2", "  taskmanagers: 200000"),
        5,
        Some(17),
        "cluster.taskmanagers",
        &["TaskManager count 200000 is too large", "at most 100000"],
    );
    // One slot per request is allocated when the run starts.
    expect(
        &edit(
            BASE,
            "  taskmanagers: 2\n",
            "  taskmanagers: 2\n  checkpoint-storage:\n    max-concurrent-requests: 4000000000\n",
        ),
        7,
        Some(30),
        "cluster.checkpoint-storage.max-concurrent-requests",
        &["request count 4000000000 is too large", "at most 10000"],
    );
    // 3000 × 3000 channels on the hash edge.
    let wide = edit(
        &BASE.replace("parallelism: 2", "parallelism: 3000"),
        "numberOfTaskSlots: 2",
        "numberOfTaskSlots: 3000",
    );
    expect(
        &wide,
        19,
        Some(8),
        "job.edges[0]",
        &["9000000 channels", "at most 4000000"],
    );
    expect(
        &edit(BASE, "rate: 100", "rate: 1e12"),
        11,
        Some(13),
        "job.operators[0].rate",
        &["too large", "records per second"],
    );
}

#[test]
fn parallelism_above_the_clusters_slots() {
    expect(
        &edit(
            BASE,
            "      parallelism: 2\n    - name: out",
            "      parallelism: 5\n    - name: out",
        ),
        14,
        Some(20),
        "job.operators[1].parallelism",
        &[
            "needs 5 slots but the cluster has 4",
            "2 TaskManagers",
            "numberOfTaskSlots 2",
        ],
    );
}

#[test]
fn placement_override_of_the_wrong_length() {
    expect(
        &edit(
            BASE,
            "      parallelism: 2\n    - name: out",
            "      parallelism: 2\n      taskmanagers: [0]\n    - name: out",
        ),
        15,
        Some(21),
        "job.operators[1].taskmanagers",
        &["lists 1 TaskManagers for 2 subtasks"],
    );
}

#[test]
fn placement_override_on_an_unknown_taskmanager() {
    expect(
        &edit(
            BASE,
            "      parallelism: 2\n    - name: out",
            "      parallelism: 2\n      taskmanagers: [0, 7]\n    - name: out",
        ),
        15,
        Some(25),
        "job.operators[1].taskmanagers[1]",
        &["TaskManager 7 does not exist", "the cluster has 2"],
    );
}

#[test]
fn cpu_skew_on_a_nonexistent_subtask() {
    expect(
        &edit(
            BASE,
            "      parallelism: 2\n    - name: out",
            "      parallelism: 2\n      cpu-skew:\n        - {subtask: 5, cpu-per-record: 10us}\n    - name: out",
        ),
        16,
        Some(21),
        "job.operators[1].cpu-skew[0].subtask",
        &["subtask 5 does not exist", "`agg` has parallelism 2"],
    );
}

#[test]
fn field_of_another_operator_kind() {
    let text = job(
        &[
            "name: src, kind: source, parallelism: 2, rate: 100",
            "name: m, kind: map, parallelism: 2, rate: 5",
            "name: out, kind: sink, parallelism: 2",
        ],
        &["from: src, to: m", "from: m, to: out"],
    );
    expect(
        &text,
        9,
        Some(50),
        "job.operators[1].rate",
        &["`rate` applies only to source operators, not to a map"],
    );
    expect(
        &edit(BASE, "kind: aggregate", "kind: aggregate\n      size: 1s"),
        14,
        Some(13),
        "job.operators[1].size",
        &["`size` applies only to window operators, not to a aggregate"],
    );
    expect(
        &edit(BASE, "kind: aggregate", "kind: aggregate\n      time: event"),
        14,
        Some(13),
        "job.operators[1].time",
        &["`time` applies only to window operators"],
    );
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys: {distribution: uniform, count: 100, exponent: 1}\n",
        ),
        12,
        Some(59),
        "job.operators[0].keys.exponent",
        &["`exponent` applies only to the zipf distribution"],
    );
}

#[test]
fn window_needs_a_size() {
    expect(
        &edit(BASE, "kind: aggregate", "kind: window"),
        12,
        Some(7),
        "job.operators[1].size",
        &["a window needs a `size`"],
    );
}

#[test]
fn zipf_exponent_out_of_range() {
    for exponent in ["11", "0", "-1"] {
        expect(
            &edit(
                BASE,
                "      rate: 100\n",
                &format!("      rate: 100\n      keys: {{distribution: zipf, count: 100, exponent: {exponent}}}\n"),
            ),
            12,
            Some(56),
            "job.operators[0].keys.exponent",
            &["must be above 0 and at most 10"],
        );
    }
}

#[test]
fn hot_key_settings_out_of_range() {
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys:\n        distribution: hot-key\n        count: 100\n        hot-fraction: 1.5\n",
        ),
        15,
        Some(23),
        "job.operators[0].keys.hot-fraction",
        &["must be between 0 and 1"],
    );
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      keys: {distribution: hot-key, count: 100, hot-keys: 200}\n",
        ),
        12,
        Some(59),
        "job.operators[0].keys.hot-keys",
        &["must be between 1 and the key count (100)"],
    );
}

#[test]
fn source_values_min_above_max() {
    expect(
        &edit(
            BASE,
            "      rate: 100\n",
            "      rate: 100\n      values: {min: 5, max: 1}\n",
        ),
        12,
        Some(29),
        "job.operators[0].values.max",
        &["must be at least min (5)"],
    );
}

#[test]
fn buffer_timeout_rejects_bad_values_without_panicking() {
    let with = |value: &str| {
        edit(
            BASE,
            "  taskmanager.numberOfTaskSlots: 2\n",
            &format!("  taskmanager.numberOfTaskSlots: 2\n  execution.buffer-timeout: {value}\n"),
        )
    };
    let path = "config.execution.buffer-timeout";
    expect(
        &with("true"),
        4,
        Some(29),
        path,
        &["invalid type: boolean `true`", "-1 to disable"],
    );
    expect(&with("-2"), 4, Some(29), path, &["must be -1 (disabled) or a duration"]);
    // Milliseconds that overflow nanoseconds.
    expect(&with("9223372036854775807"), 4, Some(29), path, &["too long"]);
    expect(&with("5 parsecs"), 4, Some(29), path, &["unknown unit `parsecs`"]);
    for ok in ["-1", "0", "1.5", "100ms"] {
        parse_str(&with(ok), "t.yaml").unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn every_shipped_scenario_validates() {
    let files = common::shipped_scenarios();
    assert!(!files.is_empty(), "scenarios/ holds no .yaml file");
    for file in files {
        ckptsim::scenario::load_file(&file).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn the_example_in_the_reference_validates() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario-reference.md"))
        .expect("docs/scenario-reference.md exists");
    let example = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the reference has a yaml example");
    let scenario = parse_str(example, "example.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.name, "example");
    assert_eq!(scenario.operators.len(), 7);
}

/// A fresh directory for files the CLI reads.
fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-scenario-errors-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

#[test]
fn cli_validate_reports_file_line_column_and_exits_2() {
    let dir = scratch_dir("validate");
    std::fs::write(
        dir.join("bad.yaml"),
        edit(BASE, "{from: agg, to: out}", "{from: agg, to: oot}"),
    )
    .unwrap();
    std::fs::write(dir.join("good.yaml"), BASE).unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["validate", "bad.yaml"])
        .current_dir(&dir)
        .output()
        .expect("run ckptsim");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("bad.yaml:20:23: job.edges[1].to: operator `oot` is not defined (did you mean `out`?)"),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");

    let good = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["validate", "good.yaml"])
        .current_dir(&dir)
        .output()
        .expect("run ckptsim");
    assert_eq!(
        good.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&good.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_rejects_a_missing_file_with_exit_2() {
    let dir = scratch_dir("missing");
    for command in ["run", "validate"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
            .args([command, "no-such-file.yaml"])
            .current_dir(&dir)
            .output()
            .expect("run ckptsim");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("no-such-file.yaml: cannot read the scenario"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
