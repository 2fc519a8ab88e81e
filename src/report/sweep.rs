//! A sweep's report: every grid point's metrics (mean over seeds) in a table, each
//! metric plotted against each parameter, the best setting per metric named, and,
//! given an objective, the one recommended setting with its trade-off plots. A
//! comparison's report is drawn the same way from its own metrics (median over
//! seeds). Both write their table also as Markdown.

pub use super::sweep_result::{
    Best, COMPARE_METRICS, Kind, METRICS, Metric, ProtocolMetrics, SweepResult, SweepRow, SweepRun, format_value,
};

use super::html::{STYLE, figure};
use super::plots::sweep as sweep_plots;
use super::plots::sweep_objective as objective_plots;
use super::sweep_objective::{DEFINITIONS, Recommendation};
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
        || name == "summary.md"
        || name == format!("{prefix}.csv")
        || name == format!("{prefix}.json")
        || (name.starts_with(&format!("{prefix}-")) && name.ends_with(".svg"))
}

/// `sweep.json`: the result, and the recommendation when an objective was given.
#[derive(serde::Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    result: &'a SweepResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<&'a Recommendation>,
}

/// Renders every file of a sweep's (or comparison's) report; `recommendation` is what
/// `--objective` found.
pub fn render(result: &SweepResult, recommendation: Option<&Recommendation>) -> Result<Vec<ReportFile>, String> {
    let metrics = result.kind.metrics();
    let prefix = result.kind.name();
    let jobs: Vec<(usize, usize)> = (0..metrics.len())
        .flat_map(|m| (0..result.parameters.len()).map(move |p| (m, p)))
        .collect();
    let plots = jobs
        .par_iter()
        .map(|(m, p)| sweep_plots::plot(result, &metrics[*m], *p))
        .collect::<Result<Vec<_>, String>>()?;
    let trade_offs = match recommendation {
        Some(r) => objective_plots::plots(result, r)?,
        None => Vec::new(),
    };
    let mut files: Vec<ReportFile> = vec![
        (
            "index.html".into(),
            html(result, recommendation, &trade_offs, &plots).into_bytes(),
        ),
        (format!("{prefix}.csv").into(), csv(result).into_bytes()),
        (format!("{prefix}.json").into(), {
            let json = Json { result, recommendation };
            let mut v = serde_json::to_vec_pretty(&json).expect("a sweep serialises");
            v.push(b'\n');
            v
        }),
        (
            "summary.md".into(),
            markdown(result, recommendation, &trade_offs).into_bytes(),
        ),
    ];
    for p in trade_offs.into_iter().chain(plots) {
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

/// The recommendation in Markdown: the goal, the finding, the trade-off plots' files.
fn recommendation_markdown(out: &mut String, r: &Recommendation, trade_offs: &[super::plots::Plot]) {
    out.push_str("## Recommendation\n\n");
    let _ = writeln!(
        out,
        "- objective: `{}:{}`",
        match r.goal.objective.direction {
            super::sweep_goal::Direction::Min => "min",
            super::sweep_goal::Direction::Max => "max",
        },
        r.goal.objective.metric
    );
    for c in &r.goal.constraints {
        let _ = writeln!(out, "- constraint: `{}`", c.text);
    }
    if let Some(rate) = &r.goal.failure_rate {
        let _ = writeln!(out, "- failure rate λ: `{rate}`");
    }
    out.push('\n');
    for s in &r.sentences {
        let _ = writeln!(out, "{s}\n");
    }
    for p in trade_offs {
        let _ = writeln!(out, "![{}]({})\n", p.title, p.file);
    }
    out.push_str("How these are measured:\n\n");
    for (what, definition) in DEFINITIONS {
        let _ = writeln!(out, "- `{what}`: {definition}");
    }
    out.push('\n');
}

/// The whole report in Markdown: the recommendation, when asked for, then one row
/// per grid point with every metric, then the best setting per metric.
pub fn markdown(
    result: &SweepResult,
    recommendation: Option<&Recommendation>,
    trade_offs: &[super::plots::Plot],
) -> String {
    let metrics = result.kind.metrics();
    let mut out = format!(
        "# ckptsim {}: {}\n\n{} grid point(s) × {} seed(s) = {} run(s); each value is the {}.\n\n",
        result.kind.name(),
        result.scenario,
        result.rows.len(),
        result.seeds.len(),
        result.runs.len(),
        result.kind.over_seeds(),
    );
    if let Some(r) = recommendation {
        recommendation_markdown(&mut out, r, trade_offs);
        out.push_str("## Grid points\n\n");
    }
    out.push('|');
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

fn html(
    result: &SweepResult,
    recommendation: Option<&Recommendation>,
    trade_offs: &[super::plots::Plot],
    plots: &[super::plots::Plot],
) -> String {
    let metrics = result.kind.metrics();
    let command = result.kind.name();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ckptsim {command}: {name}</title>\
         <style>{STYLE}tr.chosen td{{background:#fdf0cc}}</style></head><body><h1>ckptsim {command}: {name}</h1><p class=\"sub\">{} grid point(s) × {} \
         seed(s) = {} run(s). Values are {}s over seeds.</p>\n",
        result.rows.len(),
        result.seeds.len(),
        result.runs.len(),
        result.kind.statistic(),
        name = escape(&result.scenario),
    );
    if let Some(r) = recommendation {
        h.push_str("<h2>Recommendation</h2><table class=\"kv\">");
        let _ = write!(
            h,
            "<tr><th>objective</th><td><code>{}:{}</code></td></tr>",
            match r.goal.objective.direction {
                super::sweep_goal::Direction::Min => "min",
                super::sweep_goal::Direction::Max => "max",
            },
            escape(r.goal.objective.metric)
        );
        for c in &r.goal.constraints {
            let _ = write!(
                h,
                "<tr><th>constraint</th><td><code>{}</code></td></tr>",
                escape(&c.text)
            );
        }
        if let Some(rate) = &r.goal.failure_rate {
            let _ = write!(
                h,
                "<tr><th>failure rate λ</th><td><code>{}</code></td></tr>",
                escape(rate)
            );
        }
        h.push_str("</table>");
        for s in &r.sentences {
            let _ = write!(h, "<p>{}</p>", escape(s));
        }
        for p in trade_offs {
            figure(&mut h, p);
        }
        h.push_str("<details><summary>How these are measured</summary><ul>");
        for (what, definition) in DEFINITIONS {
            let _ = write!(h, "<li><code>{}</code>: {}</li>", escape(what), escape(definition));
        }
        h.push_str("</ul></details>");
    }
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
    for (i, row) in result.rows.iter().enumerate() {
        let chosen = recommendation.is_some_and(|r| r.recommended == Some(i));
        h.push_str(if chosen {
            "<tr class=\"chosen\" title=\"the recommended setting\">"
        } else {
            "<tr>"
        });
        for (_, v) in &row.settings {
            let _ = write!(h, "<td>{}{}</td>", escape(v), if chosen { " ★" } else { "" });
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
         <li><a href=\"{command}.json\">{command}.json</a>: runs, grid points, the best settings{}</li>\
         <li><a href=\"summary.md\">summary.md</a>: this page's findings and table in Markdown</li></ul></body></html>",
        if recommendation.is_some() {
            " and the recommendation"
        } else {
            ""
        },
    );
    h
}
