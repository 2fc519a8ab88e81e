//! `run.json`: everything a report is drawn from — the run's summary, the scenario
//! and the exactly-once verdict — so that `ckptsim report` can draw it again later
//! without simulating.

use crate::stats::run::RunSummary;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a report is made from. The scenario and verdict are kept as JSON values so
/// that a re-rendered `run.json` is the one that was read, field for field.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// `ckptsim <version>` that wrote the record.
    pub generator: String,
    pub summary: RunSummary,
    pub scenario: serde_json::Value,
    pub verdict: serde_json::Value,
}

impl RunRecord {
    pub fn new(outcome: &crate::run::Outcome) -> Self {
        Self::from_parts(
            outcome.summary.clone(),
            serde_json::to_value(&outcome.world.scenario).expect("a scenario serialises"),
            serde_json::to_value(&outcome.verdict).expect("a verdict serialises"),
        )
    }

    pub fn from_parts(summary: RunSummary, scenario: serde_json::Value, verdict: serde_json::Value) -> Self {
        Self {
            generator: format!("ckptsim {}", env!("CARGO_PKG_VERSION")),
            summary,
            scenario,
            verdict,
        }
    }

    /// Reads a `run.json`; the error names the file and what is wrong with it.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a ckptsim run.json: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })
    }

    /// `run.json`'s text. Compact, as the Flink exports beside it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a run record serialises") + "\n"
    }

    /// The facts about the scenario that reports use.
    pub fn facts(&self) -> ScenarioFacts {
        ScenarioFacts::from_value(&self.scenario)
    }

    /// Whether the sink output matched the reference.
    pub fn held(&self) -> bool {
        held(&self.verdict)
    }
}

/// Whether a verdict, as `run.json` records it, says the sink output matched the
/// reference (and a record without one: it could not say otherwise).
pub fn held(verdict: &serde_json::Value) -> bool {
    verdict.get("held").and_then(|v| v.as_bool()).unwrap_or(true)
}

/// The scenario's settings that a diagnosis depends on, read leniently from its JSON
/// (a missing field takes its default, so records of older versions still render).
#[derive(Clone, Debug, Default)]
pub struct ScenarioFacts {
    pub name: String,
    pub description: String,
    pub taskmanagers: u64,
    pub slots_per_taskmanager: u64,
    /// (name, parallelism), in the job's order.
    pub operators: Vec<(String, u64)>,
    /// The job graph's edges, (from, to) by operator index.
    pub edges: Vec<(usize, usize)>,
    pub interval_ns: Option<u64>,
    pub unaligned: bool,
    pub aligned_checkpoint_timeout_ns: u64,
    pub at_least_once: bool,
    pub timeout_ns: u64,
    pub min_pause_ns: u64,
    pub max_concurrent: u64,
    pub num_retained: u64,
    /// `execution.checkpointing.tolerable-failed-checkpoints`.
    pub tolerable_failed: u64,
    /// `execution.checkpointing.externalized-checkpoint-retention`, as Flink spells it.
    pub retention: String,
    /// `hashmap`, `rocksdb` or `rocksdb (incremental)`.
    pub backend: String,
    pub incremental: bool,
    pub storage_bandwidth_bytes_per_s: u64,
    pub storage_latency_ns: u64,
    /// `state.changelog.*` when enabled: the periodic materialization interval
    /// (Flink's default when periodic materialization is off) and the storage.
    pub changelog: Option<(u64, String)>,
}

impl ScenarioFacts {
    pub fn from_value(v: &serde_json::Value) -> Self {
        let u = |path: &[&str]| -> Option<u64> {
            let mut at = v;
            for key in path {
                at = at.get(key)?;
            }
            at.as_u64()
        };
        let s = |key: &str| v.get(key).and_then(|x| x.as_str()).unwrap_or_default().to_string();
        let ck = v.get("checkpointing").cloned().unwrap_or_default();
        let backend = ck.get("backend").cloned().unwrap_or_default();
        let incremental = backend
            .get("rocks_db")
            .and_then(|r| r.get("incremental"))
            .and_then(|i| i.as_bool())
            .unwrap_or(false);
        let backend_name = match (&backend, incremental) {
            (serde_json::Value::Object(m), true) if m.contains_key("rocks_db") => "rocksdb (incremental)",
            (serde_json::Value::Object(m), false) if m.contains_key("rocks_db") => "rocksdb (full)",
            (serde_json::Value::Object(m), _) if m.contains_key("forst") => "forst",
            _ => "hashmap",
        };
        let operators = v
            .get("operators")
            .and_then(|o| o.as_array())
            .map(|ops| {
                ops.iter()
                    .map(|o| {
                        (
                            o.get("name").and_then(|n| n.as_str()).unwrap_or("?").to_string(),
                            o.get("parallelism").and_then(|p| p.as_u64()).unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let edges = v
            .get("edges")
            .and_then(|e| e.as_array())
            .map(|edges| {
                edges
                    .iter()
                    .filter_map(|e| {
                        let end = |k: &str| e.get(k).and_then(|x| x.as_u64()).map(|x| x as usize);
                        Some((end("from")?, end("to")?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ScenarioFacts {
            name: s("name"),
            edges,
            description: s("description"),
            taskmanagers: u(&["cluster", "taskmanagers"]).unwrap_or(0),
            slots_per_taskmanager: u(&["cluster", "slots_per_taskmanager"]).unwrap_or(0),
            operators,
            interval_ns: u(&["checkpointing", "interval_ns"]),
            unaligned: ck.get("unaligned").and_then(|x| x.as_bool()).unwrap_or(false),
            aligned_checkpoint_timeout_ns: u(&["checkpointing", "aligned_checkpoint_timeout_ns"]).unwrap_or(0),
            at_least_once: ck.get("mode").and_then(|m| m.as_str()) == Some("at_least_once"),
            timeout_ns: u(&["checkpointing", "timeout_ns"]).unwrap_or(600_000_000_000),
            min_pause_ns: u(&["checkpointing", "min_pause_ns"]).unwrap_or(0),
            max_concurrent: u(&["checkpointing", "max_concurrent"]).unwrap_or(1),
            num_retained: u(&["checkpointing", "num_retained"]).unwrap_or(1),
            tolerable_failed: u(&["checkpointing", "tolerable_failed"]).unwrap_or(0),
            retention: ck
                .get("retention")
                .and_then(|r| r.as_str())
                .unwrap_or("NO_EXTERNALIZED_CHECKPOINTS")
                .to_string(),
            backend: backend_name.to_string(),
            incremental,
            storage_bandwidth_bytes_per_s: u(&["cluster", "checkpoint_storage", "bandwidth_bytes_per_s"]).unwrap_or(0),
            storage_latency_ns: u(&["cluster", "checkpoint_storage", "latency_ns"]).unwrap_or(0),
            changelog: ck.get("changelog").filter(|c| c.is_object()).map(|c| {
                (
                    c.get("materialize_interval_ns")
                        .and_then(|i| i.as_u64())
                        .unwrap_or(600_000_000_000),
                    c.get("storage")
                        .and_then(|s| s.as_str())
                        .unwrap_or("memory")
                        .to_string(),
                )
            }),
        }
    }

    /// How far an operator is from the sources: the most edges on a path from a
    /// source to it (0 for a source). A barrier reaches the operators in this order.
    pub fn depth(&self, operator: usize) -> usize {
        let mut depth = vec![0usize; self.operators.len().max(operator + 1)];
        // The job graph is acyclic: as many passes as operators settle every depth.
        for _ in 0..depth.len() {
            for &(from, to) in &self.edges {
                if from < depth.len() && to < depth.len() {
                    depth[to] = depth[to].max(depth[from] + 1);
                }
            }
        }
        depth[operator]
    }

    /// How barriers are handled, in words.
    pub fn mode(&self) -> String {
        if self.at_least_once {
            "at-least-once".to_string()
        } else if self.unaligned && self.aligned_checkpoint_timeout_ns > 0 {
            format!(
                "aligned, unaligned after {}",
                super::units::duration(self.aligned_checkpoint_timeout_ns)
            )
        } else if self.unaligned {
            "unaligned".to_string()
        } else {
            "aligned".to_string()
        }
    }
}
