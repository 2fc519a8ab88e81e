//! A sweep's report: every grid point's metrics (mean over seeds) in a table, each
//! metric plotted against each parameter, and the best setting per metric named.

use super::analysis::RunMetrics;
use super::html::{STYLE, figure};
use super::plots::sweep as sweep_plots;
use super::units::{bytes, escape};
use super::{ReportFile, csv::field};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One simulated run of a sweep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepRun {
    /// (key, value) per parameter, in the order of `--set`.
    pub settings: Vec<(String, String)>,
    pub seed: u64,
    pub trace_digest: String,
    pub metrics: RunMetrics,
}

/// A grid point: its runs' metrics averaged over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepRow {
    pub settings: Vec<(String, String)>,
    pub runs: usize,
    /// Mean over the runs that have the metric, by [`METRICS`] key.
    pub values: Vec<(String, Option<f64>)>,
    /// Smallest and largest over seeds, by [`METRICS`] key.
    pub spread: Vec<(String, Option<(f64, f64)>)>,
    pub exactly_once: bool,
}

impl SweepRow {
    pub fn value(&self, key: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v)
    }

    pub fn spread(&self, key: &str) -> Option<(f64, f64)> {
        self.spread.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v)
    }

    pub fn label(&self) -> String {
        self.settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A metric a sweep compares.
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub higher_is_better: bool,
    pub get: fn(&RunMetrics) -> Option<f64>,
}

pub const METRICS: [Metric; 6] = [
    Metric {
        key: "e2e_p50_ms",
        label: "checkpoint end-to-end p50",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.e2e_p50_ms,
    },
    Metric {
        key: "e2e_p99_ms",
        label: "checkpoint end-to-end p99",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.e2e_p99_ms,
    },
    Metric {
        key: "alignment_ms",
        label: "alignment (p50 of the longest per checkpoint)",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.alignment_ms,
    },
    Metric {
        key: "persisted_bytes",
        label: "persisted in-flight data per checkpoint",
        unit: "bytes",
        higher_is_better: false,
        get: |m| m.persisted_bytes,
    },
    Metric {
        key: "throughput_per_s",
        label: "throughput",
        unit: "records/s",
        higher_is_better: true,
        get: |m| Some(m.throughput_per_s),
    },
    Metric {
        key: "recovery_ms",
        label: "recovery time",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.recovery_ms,
    },
];

/// The best grid point for one metric.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Best {
    pub metric: String,
    pub settings: Option<Vec<(String, String)>>,
    pub value: Option<f64>,
    /// In words, for the page and the terminal.
    pub sentence: String,
}

/// Everything `sweep.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepResult {
    pub scenario: String,
    /// Each parameter and its values, in the order given.
    pub parameters: Vec<(String, Vec<String>)>,
    pub seeds: Vec<u64>,
    pub runs: Vec<SweepRun>,
    pub rows: Vec<SweepRow>,
    pub best: Vec<Best>,
}

pub fn format_value(metric: &Metric, v: f64) -> String {
    match metric.unit {
        "bytes" => bytes(v),
        "records/s" => format!("{v:.0} records/s"),
        _ => format!("{v:.1} {}", metric.unit),
    }
}

impl SweepResult {
    /// Groups runs by grid point (in the order of the grid) and names the best points.
    pub fn new(scenario: String, parameters: Vec<(String, Vec<String>)>, seeds: Vec<u64>, runs: Vec<SweepRun>) -> Self {
        let mut rows: Vec<SweepRow> = Vec::new();
        for run in &runs {
            if rows.iter().any(|r| r.settings == run.settings) {
                continue;
            }
            let mine: Vec<&SweepRun> = runs.iter().filter(|r| r.settings == run.settings).collect();
            let values = METRICS
                .iter()
                .map(|m| {
                    let vs: Vec<f64> = mine.iter().filter_map(|r| (m.get)(&r.metrics)).collect();
                    (m.key.to_string(), super::analysis::mean(&vs))
                })
                .collect();
            let spread = METRICS
                .iter()
                .map(|m| {
                    let vs: Vec<f64> = mine.iter().filter_map(|r| (m.get)(&r.metrics)).collect();
                    let range = (!vs.is_empty()).then(|| {
                        (
                            vs.iter().copied().fold(f64::INFINITY, f64::min),
                            vs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        )
                    });
                    (m.key.to_string(), range)
                })
                .collect();
            rows.push(SweepRow {
                settings: run.settings.clone(),
                runs: mine.len(),
                values,
                spread,
                exactly_once: mine.iter().all(|r| r.metrics.exactly_once),
            });
        }
        let best = METRICS.iter().map(|m| best_for(m, &rows)).collect();
        Self {
            scenario,
            parameters,
            seeds,
            runs,
            rows,
            best,
        }
    }
}

fn best_for(m: &Metric, rows: &[SweepRow]) -> Best {
    let candidates = rows.iter().filter_map(|r| Some((r, r.value(m.key)?)));
    // Ties keep the first point of the grid.
    let best = candidates.reduce(|a, b| {
        let better = if m.higher_is_better { b.1 > a.1 } else { b.1 < a.1 };
        if better { b } else { a }
    });
    match best {
        Some((row, value)) => {
            let worst = rows
                .iter()
                .filter_map(|r| r.value(m.key))
                .fold(value, |w, v| if m.higher_is_better { w.min(v) } else { w.max(v) });
            Best {
                metric: m.key.to_string(),
                settings: Some(row.settings.clone()),
                value: Some(value),
                sentence: format!(
                    "Best {}: {} with {} ({} at the other end of the grid).",
                    m.label,
                    format_value(m, value),
                    row.label(),
                    format_value(m, worst)
                ),
            }
        }
        None => Best {
            metric: m.key.to_string(),
            settings: None,
            value: None,
            sentence: format!("No {} in any run of the sweep.", m.label),
        },
    }
}

/// Renders every file of a sweep's report.
pub fn render(result: &SweepResult) -> Result<Vec<ReportFile>, String> {
    let jobs: Vec<(usize, usize)> = (0..METRICS.len())
        .flat_map(|m| (0..result.parameters.len()).map(move |p| (m, p)))
        .collect();
    let plots = jobs
        .par_iter()
        .map(|(m, p)| sweep_plots::plot(result, &METRICS[*m], *p))
        .collect::<Result<Vec<_>, String>>()?;
    let mut files: Vec<ReportFile> = vec![
        ("index.html".into(), html(result, &plots).into_bytes()),
        ("sweep.csv".into(), csv(result).into_bytes()),
        ("sweep.json".into(), {
            let mut v = serde_json::to_vec_pretty(result).expect("a sweep serialises");
            v.push(b'\n');
            v
        }),
    ];
    for p in plots {
        files.push((p.file.into(), p.svg.into_bytes()));
    }
    Ok(files)
}

/// One row per run: settings, seed, every metric.
pub fn csv(result: &SweepResult) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = result.parameters.iter().map(|(k, _)| field(k)).collect();
    header.push("seed".into());
    header.extend(METRICS.iter().map(|m| m.key.to_string()));
    header.extend(["completed", "failed", "exactly_once", "trace_digest"].map(String::from));
    let _ = writeln!(out, "{}", header.join(","));
    for run in &result.runs {
        let mut row: Vec<String> = run.settings.iter().map(|(_, v)| field(v)).collect();
        row.push(run.seed.to_string());
        row.extend(
            METRICS
                .iter()
                .map(|m| (m.get)(&run.metrics).map_or(String::new(), |v| format!("{v:.3}"))),
        );
        row.push(run.metrics.completed.to_string());
        row.push(run.metrics.failed.to_string());
        row.push(run.metrics.exactly_once.to_string());
        row.push(run.trace_digest.clone());
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

fn html(result: &SweepResult, plots: &[super::plots::Plot]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ckptsim sweep: {name}</title>\
         <style>{STYLE}</style></head><body><h1>ckptsim sweep: {name}</h1><p class=\"sub\">{} grid point(s) × {} \
         seed(s) = {} run(s). Values are means over seeds.</p>\n",
        result.rows.len(),
        result.seeds.len(),
        result.runs.len(),
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
    for m in &METRICS {
        let _ = write!(h, "<th>{} ({})</th>", escape(m.label), escape(m.unit));
    }
    h.push_str("<th>exactly-once</th></tr>");
    for row in &result.rows {
        h.push_str("<tr>");
        for (_, v) in &row.settings {
            let _ = write!(h, "<td>{}</td>", escape(v));
        }
        for m in &METRICS {
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
    h.push_str(
        "<h2>Files</h2><ul><li><a href=\"sweep.csv\">sweep.csv</a>: one row per run</li>\
         <li><a href=\"sweep.json\">sweep.json</a>: runs, grid points and the best settings</li></ul></body></html>\n",
    );
    h
}
