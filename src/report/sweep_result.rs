//! What a sweep found: every run's metrics, grid points averaged over seeds, and the
//! best setting per metric. The plots and the page are drawn from it
//! ([`super::sweep`], [`super::plots::sweep`]).

use super::analysis::RunMetrics;
use super::units::bytes;
use serde::{Deserialize, Serialize};

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
    /// A few words for a plot's title and axis.
    pub short: &'static str,
    pub unit: &'static str,
    pub higher_is_better: bool,
    pub get: fn(&RunMetrics) -> Option<f64>,
}

pub const METRICS: [Metric; 6] = [
    Metric {
        key: "e2e_p50_ms",
        label: "checkpoint end-to-end p50",
        short: "end-to-end p50",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.e2e_p50_ms,
    },
    Metric {
        key: "e2e_p99_ms",
        label: "checkpoint end-to-end p99",
        short: "end-to-end p99",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.e2e_p99_ms,
    },
    Metric {
        key: "alignment_ms",
        label: "alignment (p50 of the longest per checkpoint)",
        short: "alignment",
        unit: "ms",
        higher_is_better: false,
        get: |m| m.alignment_ms,
    },
    Metric {
        key: "persisted_bytes",
        label: "persisted in-flight data per checkpoint",
        short: "persisted data",
        unit: "bytes",
        higher_is_better: false,
        get: |m| m.persisted_bytes,
    },
    Metric {
        key: "throughput_per_s",
        label: "throughput",
        short: "throughput",
        unit: "records/s",
        higher_is_better: true,
        get: |m| Some(m.throughput_per_s),
    },
    Metric {
        key: "recovery_ms",
        label: "recovery time",
        short: "recovery time",
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
