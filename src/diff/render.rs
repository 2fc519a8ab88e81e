//! A comparison as a text table per vertex, a summary line per phase, or JSON.

use super::{Comparison, DURATIONS, Dominant, JOB_ROW, PHASES, Row};
use crate::import::derive::id_list;
use serde_json::{Value, json};
use std::fmt::Write;

fn is_duration(phase: &str) -> bool {
    PHASES[..DURATIONS].contains(&phase)
}

/// A median as the table shows it: milliseconds, or a size in B, KiB or MiB.
pub fn value(phase: &str, v: Option<f64>) -> String {
    let Some(v) = v else { return "—".into() };
    if is_duration(phase) {
        return if v < 10.0 {
            format!("{v:.1} ms")
        } else {
            format!("{v:.0} ms")
        };
    }
    let (scaled, unit) = if v >= f64::from(1 << 20) {
        (v / f64::from(1 << 20), "MiB")
    } else if v >= 1024.0 {
        (v / 1024.0, "KiB")
    } else {
        return format!("{v:.0} B");
    };
    if scaled < 10.0 {
        format!("{scaled:.2} {unit}")
    } else {
        format!("{scaled:.1} {unit}")
    }
}

fn ratio(r: &Row) -> String {
    match (r.ratio(), r.sim, r.flink) {
        (Some(x), _, _) => format!("{x:.2}"),
        (None, Some(_), Some(_)) => "Flink 0".into(),
        _ => "—".into(),
    }
}

fn checkpoints(ids: &[u64]) -> String {
    match ids {
        [] => "none".into(),
        [one] => one.to_string(),
        [first, .., last] if ids.len() > 6 => format!("{first}–{last}"),
        _ => id_list(ids.iter().copied()),
    }
}

fn dominant(d: &Option<Dominant>) -> String {
    match d {
        Some(d) => format!("{} at `{}` ({})", d.phase, d.vertex, value(d.phase, Some(d.median_ms))),
        None => "none (no subtask parts)".into(),
    }
}

/// The factor a summary line states: `1.4×`.
pub fn factor(f: f64) -> String {
    if f.is_infinite() {
        "∞×".into()
    } else {
        format!("{f:.2}×")
    }
}

pub fn text(c: &Comparison) -> String {
    let mut out = String::new();
    for side in [&c.sim, &c.flink] {
        let label = side.kind;
        let steady: Vec<u64> = side.job.iter().map(|j| j.0).collect();
        let _ = writeln!(
            out,
            "{label:<9} {}: {} completed checkpoints after the warm-up ({}), skipped {}; subtask parts of {}",
            side.label,
            steady.len(),
            checkpoints(&steady),
            if side.warm_up_ids.is_empty() {
                "none".to_string()
            } else {
                id_list(side.warm_up_ids.iter().copied())
            },
            checkpoints(&side.detailed_ids())
        );
    }
    let _ = writeln!(
        out,
        "medians over the checkpoints after the warm-up (the first {} completed on each side, --warm-up); \
         durations per subtask part, sizes per vertex and checkpoint",
        c.warm_up
    );
    let mut vertex = "";
    for r in &c.rows {
        if r.vertex != vertex {
            vertex = &r.vertex;
            out.push('\n');
            if r.vertex == JOB_ROW {
                out.push_str(
                    "whole job (Flink's history; simulated: last acknowledgement - trigger, no metadata write)\n",
                );
            } else {
                let sims = c
                    .pairings
                    .iter()
                    .find(|p| p.flink == r.vertex)
                    .map_or(String::new(), |p| p.sim.join(", "));
                let _ = writeln!(out, "vertex `{}` (simulated: {sims})", r.vertex);
            }
            let _ = writeln!(
                out,
                "  {:<18} {:>11} {:>11} {:>10} {:>12}",
                "phase",
                c.sim.kind,
                c.flink.kind,
                format!("{}/Flink", if c.sim.kind == "simulated" { "sim" } else { c.sim.kind }),
                "samples"
            );
        }
        let _ = writeln!(
            out,
            "  {:<18} {:>11} {:>11} {:>10} {:>12}",
            r.phase,
            value(r.phase, r.sim),
            value(r.phase, r.flink),
            ratio(r),
            format!("{}/{}", r.sim_n, r.flink_n)
        );
    }
    out.push_str(
        "\nsummary (the largest factor over the vertices and the whole job; durations both under 1 ms agree)\n",
    );
    for s in &c.summary {
        let job = c
            .rows
            .iter()
            .find(|r| r.vertex == JOB_ROW && r.phase == s.phase)
            .and_then(Row::ratio)
            .map_or(String::new(), |r| format!("; whole job {r:.2}"));
        let worst = |v: &str| c.rows.iter().find(|r| r.vertex == v && r.phase == s.phase);
        match (s.factor, &s.worst_vertex) {
            (Some(f), Some(v)) if f.is_infinite() => {
                let (sim, flink) = worst(v).map_or((None, None), |r| (r.sim, r.flink));
                let _ = writeln!(
                    out,
                    "  {}: no factor: {} {} against Flink {} (at {v}){job}",
                    s.phase,
                    c.sim.kind,
                    value(s.phase, sim),
                    value(s.phase, flink)
                );
            }
            (Some(f), Some(v)) => {
                let _ = writeln!(out, "  {}: within {} (worst: {v}){job}", s.phase, factor(f));
            }
            _ => {
                let _ = writeln!(out, "  {}: not compared (no data on both sides)", s.phase);
            }
        }
    }
    let same = match (&c.dominant_sim, &c.dominant_flink) {
        (Some(a), Some(b)) if a.phase == b.phase => "same phase",
        (Some(_), Some(_)) => "different phases",
        _ => "not compared",
    };
    let _ = writeln!(
        out,
        "dominant phase: {} {}, Flink {}: {same}",
        c.sim.kind,
        dominant(&c.dominant_sim),
        dominant(&c.dominant_flink)
    );
    out
}

fn num(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

fn dominant_json(d: &Option<Dominant>) -> Value {
    match d {
        Some(d) => json!({"phase": d.phase, "vertex": d.vertex, "median_ms": d.median_ms}),
        None => Value::Null,
    }
}

pub fn json(c: &Comparison) -> Value {
    let side = |s: &super::Side| {
        json!({
            "source": s.label,
            "warm_up_checkpoints": s.warm_up_ids,
            "checkpoints": s.job.iter().map(|j| j.0).collect::<Vec<_>>(),
            "checkpoints_with_subtask_parts": s.detailed_ids(),
        })
    };
    json!({
        "warm_up": c.warm_up,
        "run_kind": c.sim.kind,
        "simulated": side(&c.sim),
        "flink": side(&c.flink),
        "vertices": c.pairings.iter().map(|p| json!({"flink": p.flink, "simulated": p.sim})).collect::<Vec<_>>(),
        "rows": c.rows.iter().map(|r| json!({
            "vertex": r.vertex,
            "phase": r.phase,
            "unit": if is_duration(r.phase) { "ms" } else { "bytes" },
            "simulated": num(r.sim),
            "flink": num(r.flink),
            "ratio": num(r.ratio()),
            "samples_simulated": r.sim_n,
            "samples_flink": r.flink_n,
        })).collect::<Vec<_>>(),
        "summary": c.summary.iter().map(|s| json!({
            "phase": s.phase,
            "within_factor": num(s.factor),
            "agrees": s.factor.map(|f| f.is_finite()),
            "worst_vertex": s.worst_vertex,
            "rows_compared": s.compared,
        })).collect::<Vec<_>>(),
        "dominant_phase": {
            "simulated": dominant_json(&c.dominant_sim),
            "flink": dominant_json(&c.dominant_flink),
        },
    })
}
