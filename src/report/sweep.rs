//! A sweep's report: every grid point's metrics (mean over seeds) in a table, each
//! metric plotted against each parameter, and the best setting per metric named. A
//! comparison's report is drawn the same way from its own metrics (median over
//! seeds), with its table also as Markdown.

pub use super::sweep_result::{
    Best, COMPARE_METRICS, Kind, METRICS, Metric, ProtocolMetrics, SweepResult, SweepRow, SweepRun, format_value,
};

use super::html::{STYLE, figure};
use super::plots::sweep as sweep_plots;
use super::units::escape;
use super::{ReportFile, csv::field};
use rayon::prelude::*;
use std::fmt::Write;

/// Whether a file name is one a sweep's report writes.
pub fn is_report_file(name: &str) -> bool {
    is_file_of(Kind::Sweep, name)
}

/// Whether a file name is one a comparison's report writes.
pub fn is_compare_file(name: &str) -> bool {
    is_file_of(Kind::Compare, name)
}

/// Whether a file name is one the report of `kind` writes.
fn is_file_of(kind: Kind, name: &str) -> bool {
    let prefix = kind.name();
    name == "index.html"
        || (kind == Kind::Compare && name == "summary.md")
        || name == format!("{prefix}.csv")
        || name == format!("{prefix}.json")
        || (name.starts_with(&format!("{prefix}-")) && name.ends_with(".svg"))
}

/// Renders every file of a sweep's (or comparison's) report.
pub fn render(result: &SweepResult) -> Result<Vec<ReportFile>, String> {
    let metrics = result.kind.metrics();
    let prefix = result.kind.name();
    let jobs: Vec<(usize, usize)> = (0..metrics.len())
        .flat_map(|m| (0..result.parameters.len()).map(move |p| (m, p)))
        .collect();
    let plots = jobs
        .par_iter()
        .map(|(m, p)| sweep_plots::plot(result, &metrics[*m], *p))
        .collect::<Result<Vec<_>, String>>()?;
    let mut files: Vec<ReportFile> = vec![
        ("index.html".into(), html(result, &plots).into_bytes()),
        (format!("{prefix}.csv").into(), csv(result).into_bytes()),
        (format!("{prefix}.json").into(), {
            let mut v = serde_json::to_vec_pretty(result).expect("a sweep serialises");
            v.push(b'\n');
            v
        }),
    ];
    if result.kind == Kind::Compare {
        files.push(("summary.md".into(), markdown(result).into_bytes()));
    }
    for p in plots {
        files.push((p.file.into(), p.svg.into_bytes()));
    }
    Ok(files)
}

/// One row per run: settings, seed, every metric.
pub fn csv(result: &SweepResult) -> String {
    let metrics = result.kind.metrics();
    let mut out = String::new();
    let mut header: Vec<String> = result.parameters.iter().map(|(k, _)| field(k)).collect();
    header.push("seed".into());
    header.extend(metrics.iter().map(|m| m.key.to_string()));
    header.extend(["completed", "failed", "exactly_once", "trace_digest"].map(String::from));
    let _ = writeln!(out, "{}", header.join(","));
    for run in &result.runs {
        let mut row: Vec<String> = run.settings.iter().map(|(_, v)| field(v)).collect();
        row.push(run.seed.to_string());
        row.extend(
            metrics
                .iter()
                .map(|m| (m.get)(run).map_or(String::new(), |v| format!("{v:.3}"))),
        );
        row.push(run.metrics.completed.to_string());
        row.push(run.metrics.failed.to_string());
        row.push(run.metrics.exactly_once.to_string());
        row.push(run.trace_digest.clone());
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

/// The table of grid points as Markdown: one row per point, every metric.
pub fn markdown(result: &SweepResult) -> String {
    let metrics = result.kind.metrics();
    let mut out = format!(
        "# ckptsim {}: {}\n\n{} grid point(s) × {} seed(s) = {} run(s); each value is the {}.\n\n|",
        result.kind.name(),
        result.scenario,
        result.rows.len(),
        result.seeds.len(),
        result.runs.len(),
        result.kind.over_seeds(),
    );
    for (k, _) in &result.parameters {
        let _ = write!(out, " `{k}` |");
    }
    for m in metrics {
        let _ = write!(out, " {} ({}) |", m.short, m.unit);
    }
    out.push_str(" exactly-once |\n|");
    for _ in 0..result.parameters.len() + metrics.len() + 1 {
        out.push_str("---|");
    }
    out.push('\n');
    for row in &result.rows {
        out.push('|');
        for (_, v) in &row.settings {
            let _ = write!(out, " {v} |");
        }
        for m in metrics {
            let cell = row.value(m.key).map_or("–".to_string(), |v| format_value(m, v));
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {} |", if row.exactly_once { "held" } else { "VIOLATED" });
    }
    out.push('\n');
    for b in &result.best {
        let _ = writeln!(out, "- {}", b.sentence);
    }
    out
}

fn html(result: &SweepResult, plots: &[super::plots::Plot]) -> String {
    let metrics = result.kind.metrics();
    let command = result.kind.name();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ckptsim {command}: {name}</title>\
         <style>{STYLE}</style></head><body><h1>ckptsim {command}: {name}</h1><p class=\"sub\">{} grid point(s) × {} \
         seed(s) = {} run(s). Values are {}s over seeds.</p>\n",
        result.rows.len(),
        result.seeds.len(),
        result.runs.len(),
        result.kind.statistic(),
        name = escape(&result.scenario),
    );
    h.push_str("<h2>Best setting per metric</h2><ul>");
    for b in &result.best {
        let _ = write!(h, "<li>{}</li>", escape(&b.sentence));
    }
    h.push_str("</ul><h2>Table</h2><div class=\"scroll\"><table><tr>");
    for (k, _) in &result.parameters {
        let _ = write!(h, "<th><code>{}</code></th>", escape(k));
    }
    for m in metrics {
        let _ = write!(h, "<th>{} ({})</th>", escape(m.label), escape(m.unit));
    }
    h.push_str("<th>exactly-once</th></tr>");
    for row in &result.rows {
        h.push_str("<tr>");
        for (_, v) in &row.settings {
            let _ = write!(h, "<td>{}</td>", escape(v));
        }
        for m in metrics {
            let cell = row.value(m.key).map_or("–".to_string(), |v| format_value(m, v));
            let is_best = result
                .best
                .iter()
                .any(|b| b.metric == m.key && b.settings.as_ref() == Some(&row.settings));
            let _ = write!(
                h,
                "<td{}>{}</td>",
                if is_best { " class=\"good\"" } else { "" },
                escape(&cell)
            );
        }
        let _ = write!(
            h,
            "<td class=\"{}\">{}</td></tr>",
            if row.exactly_once { "good" } else { "bad" },
            if row.exactly_once { "held" } else { "VIOLATED" }
        );
    }
    h.push_str("</table></div><h2>Plots</h2>\n");
    for p in plots {
        figure(&mut h, p);
    }
    let _ = writeln!(
        h,
        "<h2>Files</h2><ul><li><a href=\"{command}.csv\">{command}.csv</a>: one row per run</li>\
         <li><a href=\"{command}.json\">{command}.json</a>: runs, grid points and the best settings</li>{}</ul></body></html>",
        if result.kind == Kind::Compare {
            "<li><a href=\"summary.md\">summary.md</a>: the table in Markdown</li>"
        } else {
            ""
        }
    );
    h
}
