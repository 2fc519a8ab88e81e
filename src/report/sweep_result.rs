//! What a sweep found: every run's metrics, grid points summarised over seeds, and the
//! best setting per metric. The plots and the page are drawn from it
//! ([`super::sweep`], [`super::plots::sweep`]). `ckptsim compare` is a sweep whose
//! first parameter is the protocol, with its own metrics ([`Kind::Compare`]).

use super::analysis::RunMetrics;
pub use super::compare_metrics::{COMPARE_METRICS, ProtocolMetrics};
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
    /// What the protocol cost: measured for comparisons only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ProtocolMetrics>,
}

/// Which command's grid a result is: it picks the metrics and how seeds combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `ckptsim sweep`: Flink's checkpoint metrics, the mean over seeds.
    #[default]
    Sweep,
    /// `ckptsim compare`: the protocols' costs, the median over seeds.
    Compare,
}

impl Kind {
    pub fn is_sweep(&self) -> bool {
        *self == Kind::Sweep
    }

    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Kind::Sweep => &METRICS,
            Kind::Compare => &COMPARE_METRICS,
        }
    }

    /// The command's name, which also starts its report's file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sweep => "sweep",
            Kind::Compare => "compare",
        }
    }

    /// The statistic a grid point's value is.
    pub fn statistic(self) -> &'static str {
        match self {
            Kind::Sweep => "mean",
            Kind::Compare => "median",
        }
    }

    /// How a grid point's seeds combine into one value, in words.
    pub fn over_seeds(self) -> &'static str {
        match self {
            Kind::Sweep => "mean over seeds",
            Kind::Compare => "median over seeds",
        }
    }

    fn combine(self, values: &[f64]) -> Option<f64> {
        match self {
            Kind::Sweep => super::analysis::mean(values),
            Kind::Compare => median(values),
        }
    }
}

use crate::stats::median;

/// A grid point: its runs' metrics averaged over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepRow {
    pub settings: Vec<(String, String)>,
    pub runs: usize,
    /// Mean (sweep) or median (compare) over the runs that have the metric, by key.
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
#[derive(Clone, Copy)]
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    /// A few words for a plot's title and axis.
    pub short: &'static str,
    pub unit: &'static str,
    pub higher_is_better: bool,
    pub get: fn(&SweepRun) -> Option<f64>,
}

pub const METRICS: [Metric; 10] = [
    Metric {
        key: "e2e_p50_ms",
        label: "checkpoint end-to-end p50",
        short: "end-to-end p50",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.e2e_p50_ms,
    },
    Metric {
        key: "e2e_p99_ms",
        label: "checkpoint end-to-end p99",
        short: "end-to-end p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.e2e_p99_ms,
    },
    Metric {
        key: "alignment_ms",
        label: "alignment (p50 of the longest per checkpoint)",
        short: "alignment",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.alignment_ms,
    },
    Metric {
        key: "persisted_bytes",
        label: "persisted in-flight data per checkpoint",
        short: "persisted data",
        unit: "bytes",
        higher_is_better: false,
        get: |r| r.metrics.persisted_bytes,
    },
    Metric {
        key: "throughput_per_s",
        label: "throughput",
        short: "throughput",
        unit: "records/s",
        higher_is_better: true,
        get: |r| Some(r.metrics.throughput_per_s),
    },
    Metric {
        key: "recovery_ms",
        label: "recovery time",
        short: "recovery time",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.recovery_ms,
    },
    Metric {
        key: "latency_p99_ms",
        label: "record latency p99 (source to sink)",
        short: "latency p99",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.latency_p99_ms,
    },
    Metric {
        key: "checkpoint_cost_ms",
        label: "checkpoint cost C (blocking alignment + sync per checkpoint)",
        short: "checkpoint cost",
        unit: "ms",
        higher_is_better: false,
        get: |r| r.metrics.checkpoint_cost_ms,
    },
    Metric {
        key: "checkpoint_overhead_pct",
        label: "checkpoint overhead (blocking alignment + sync, share of subtask time)",
        short: "checkpoint overhead",
        unit: "%",
        higher_is_better: false,
        get: |r| r.metrics.checkpoint_overhead_pct,
    },
    Metric {
        key: "records_replayed_per_failure",
        label: "records replayed per failure",
        short: "records replayed per failure",
        unit: "records",
        higher_is_better: false,
        get: |r| r.metrics.records_replayed_per_failure,
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
    #[serde(default, skip_serializing_if = "Kind::is_sweep")]
    pub kind: Kind,
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
        "records" | "checkpoints" => format!("{v:.0} {}", metric.unit),
        "%" => format!("{v:.2} %"),
        _ => format!("{v:.1} {}", metric.unit),
    }
}

impl SweepResult {
    /// Groups runs by grid point (in the order of the grid) and names the best points.
    pub fn new(
        kind: Kind,
        scenario: String,
        parameters: Vec<(String, Vec<String>)>,
        seeds: Vec<u64>,
        runs: Vec<SweepRun>,
    ) -> Self {
        let metrics = kind.metrics();
        let mut rows: Vec<SweepRow> = Vec::new();
        for run in &runs {
            if rows.iter().any(|r| r.settings == run.settings) {
                continue;
            }
            let mine: Vec<&SweepRun> = runs.iter().filter(|r| r.settings == run.settings).collect();
            let values = metrics
                .iter()
                .map(|m| {
                    let vs: Vec<f64> = mine.iter().filter_map(|r| (m.get)(r)).collect();
                    (m.key.to_string(), kind.combine(&vs))
                })
                .collect();
            let spread = metrics
                .iter()
                .map(|m| {
                    let vs: Vec<f64> = mine.iter().filter_map(|r| (m.get)(r)).collect();
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
        let best = metrics.iter().map(|m| best_for(kind, m, &rows)).collect();
        Self {
            kind,
            scenario,
            parameters,
            seeds,
            runs,
            rows,
            best,
        }
    }
}

fn best_for(kind: Kind, m: &Metric, rows: &[SweepRow]) -> Best {
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
            sentence: format!("No {} in any run of the {}.", m.label, kind.name()),
        },
    }
}
