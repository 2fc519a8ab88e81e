//! Writes a [`Derived`] scenario as YAML, each value followed by a comment saying
//! where it came from. Names are written as JSON strings, which YAML reads as
//! double-quoted scalars, so any operator name survives.

use super::derive::{Derived, Sourced};
use std::fmt::Write;

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn line(out: &mut String, indent: usize, key: &str, v: &Sourced) {
    let _ = writeln!(out, "{:indent$}{key}: {}  # {}", "", v.text, v.comment);
}

/// Writes `entries`, whose dotted keys (`network.latency`) become nested mappings.
fn mapping(out: &mut String, indent: usize, entries: &[(String, Sourced)]) {
    let mut open: Option<&str> = None;
    for (key, value) in entries {
        match key.split_once('.') {
            Some((parent, child)) => {
                if open != Some(parent) {
                    let _ = writeln!(out, "{:indent$}{parent}:", "");
                    open = Some(parent);
                }
                line(out, indent + 2, child, value);
            }
            None => {
                open = None;
                line(out, indent, key, value);
            }
        }
    }
}

pub fn write(d: &Derived) -> String {
    let mut out = String::new();
    out.push_str("# Imported by `ckptsim import` from Flink REST responses. Each value says where\n");
    out.push_str("# it came from; `assumption: default` marks what the responses cannot tell.\n");
    for note in &d.notes {
        let _ = writeln!(out, "# {note}");
    }
    let _ = writeln!(out, "name: {}", quote(&d.name));
    let _ = writeln!(out, "description: {}", quote(&d.description));
    out.push_str("seed: 0  # assumption: default 0\n");
    line(&mut out, 0, "duration", &d.duration);
    out.push_str("\nconfig:\n");
    for (key, value) in &d.config {
        line(&mut out, 2, key, value);
    }
    out.push_str("\ncheckpointing:\n");
    mapping(&mut out, 2, &d.checkpointing);
    out.push_str("\ncluster:\n");
    mapping(&mut out, 2, &d.cluster);
    out.push_str("\njob:\n  operators:\n");
    for op in &d.operators {
        for note in &op.notes {
            let _ = writeln!(out, "    # {note}");
        }
        let _ = writeln!(out, "    - name: {}  # {}", quote(&op.name), op.comment);
        let _ = writeln!(out, "      kind: {}", op.kind);
        mapping(&mut out, 6, &op.fields);
    }
    out.push_str("  edges:\n");
    for e in &d.edges {
        let _ = writeln!(
            out,
            "    - from: {}\n      to: {}\n      partitioning: {}  # {}",
            quote(&e.from),
            quote(&e.to),
            e.partitioning.text,
            e.partitioning.comment
        );
    }
    out
}
