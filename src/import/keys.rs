//! How many keys the sources of an imported job draw and how many bytes each key's
//! state takes. Flink reports the keyed state's weight, never its keys, so both come
//! from how the state grew over the checkpoint history.
//!
//! A keyed state that grows by `G` bytes a second while the sources emit `R` records
//! a second gains `G / R` bytes per record. If each record brings a key not seen
//! before until every key has been seen (a key space cycled through, as a generator
//! counting up does), that is the state of one key. The plateau `P` is then reached
//! after `T = P / G` seconds and holds `R × T` keys. The scenario draws its keys as
//! such a sequence (`keys.distribution: sequence`) with that count and bytes per key,
//! so its state fills over the same time to the same weight as Flink's.
//!
//! A state that grows more slowly than one key per record (keys drawn at random, so
//! later records mostly revisit keys) still reaches the same plateau at the fitted
//! time, along a line instead of a curve.

use super::derive::{Operator, Sourced, WARM_UP_CHECKPOINTS, completed, id_list, median};
use super::rest::Responses;
use crate::scenario::validate::{MAX_KEYS, MAX_STATE_PER_KEY};

/// A checkpoint counts as still filling while its keyed state is below this share
/// of the plateau.
const FILLING_BELOW: f64 = 0.9;
/// What one key weighs when the history shows no growth to fit: the simulated
/// aggregate's own entry (key, count, sum).
const DEFAULT_BYTES_PER_KEY: u64 = 24;

/// The keyed state of one imported operator at its plateau.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedState {
    /// Index into the derived operators.
    pub operator: usize,
    /// Bytes over all its subtasks.
    pub bytes: u64,
    /// Where the figure came from.
    pub source: String,
}

/// How the whole job's keyed state filled: a line through the checkpoints taken
/// before it reached its plateau.
#[derive(Debug, Clone, PartialEq)]
pub struct StateFill {
    pub bytes_per_second: f64,
    pub plateau: u64,
    pub source: String,
}

impl StateFill {
    /// Seconds from an empty state to the plateau at the fitted growth.
    pub fn seconds(&self) -> f64 {
        self.plateau as f64 / self.bytes_per_second
    }
}

/// The growth of the keyed state (`state_size - persisted_data`) over the completed
/// checkpoints that are below [`FILLING_BELOW`] of the plateau, a least-squares line
/// against trigger time; the plateau is the median after the warm-up checkpoints.
/// `None` when fewer than two checkpoints were still filling or the line does not rise.
pub fn state_fill(r: &Responses, ckpt_file: &str) -> Option<StateFill> {
    let mut points: Vec<(u64, f64, u64)> = r
        .checkpoints
        .history
        .iter()
        .filter(|c| completed(c))
        .filter_map(|c| {
            let keyed = c.state_size.saturating_sub(c.persisted_data.unwrap_or(0));
            Some((c.id, c.trigger_ms? as f64 / 1000.0, keyed))
        })
        .collect();
    points.sort_by_key(|p| p.0);
    points.dedup_by_key(|p| p.0);
    let steady = points.get(WARM_UP_CHECKPOINTS.min(points.len().saturating_sub(1))..)?;
    let plateau = median(&mut steady.iter().map(|p| p.2).collect::<Vec<u64>>())?;
    let filling: Vec<&(u64, f64, u64)> = points
        .iter()
        .filter(|p| (p.2 as f64) < FILLING_BELOW * plateau as f64)
        .collect();
    if filling.len() < 2 {
        return full_by_first_checkpoint(r, ckpt_file, &points, plateau);
    }
    let n = filling.len() as f64;
    let (mean_t, mean_s) = (
        filling.iter().map(|p| p.1).sum::<f64>() / n,
        filling.iter().map(|p| p.2 as f64).sum::<f64>() / n,
    );
    let covariance: f64 = filling.iter().map(|p| (p.1 - mean_t) * (p.2 as f64 - mean_s)).sum();
    let variance: f64 = filling.iter().map(|p| (p.1 - mean_t).powi(2)).sum();
    let slope = covariance / variance;
    if !(slope.is_finite() && slope > 0.0) {
        return None;
    }
    Some(StateFill {
        bytes_per_second: slope,
        plateau,
        source: format!(
            "{ckpt_file}: history[].state_size - persisted_data grew {:.0} B/s over checkpoints {} \
             (a least-squares line against trigger_timestamp) to a median {plateau} B after the warm-up",
            slope,
            id_list(filling.iter().map(|p| p.0)),
        ),
    })
}

/// A history that shows no growth (Flink keeps only the latest checkpoints, by
/// default 10, so a long run's history may start full) still bounds the fill: the
/// state was full by the first checkpoint at its plateau, that long after the job
/// started. Filling at the rate that takes exactly that long gives the most keys the
/// history allows, and a state that is full by that checkpoint as Flink's was.
fn full_by_first_checkpoint(
    r: &Responses,
    ckpt_file: &str,
    points: &[(u64, f64, u64)],
    plateau: u64,
) -> Option<StateFill> {
    let start = r.job.start_time_ms? as f64 / 1000.0;
    let (id, at, _) = points.iter().find(|p| (p.2 as f64) >= FILLING_BELOW * plateau as f64)?;
    let seconds = at - start;
    if !(seconds > 0.0 && plateau > 0) {
        return None;
    }
    Some(StateFill {
        bytes_per_second: plateau as f64 / seconds,
        plateau,
        source: format!(
            "{ckpt_file}: history[].state_size - persisted_data was already at its plateau ({plateau} B) \
             at checkpoint {id}, {seconds:.1} s after the job's start-time ({}): at most that long",
            super::derive::short(&r.dir, &r.job.file)
        ),
    })
}

/// Sets each source's `keys.count` and `keys.distribution` and each keyed
/// operator's `state-per-key` from the keyed state and the sources' rates as the
/// operators hold them now (calibration may change a rate: run this again after it).
pub fn place(operators: &mut [Operator], keyed: &[KeyedState], fill: Option<&StateFill>) {
    let rate = operators
        .iter()
        .filter(|o| o.kind == "source")
        .filter_map(|o| field(o, "rate").and_then(|v| v.text.parse::<u64>().ok()))
        .max()
        .unwrap_or(1)
        .max(1);
    let heaviest = keyed.iter().map(|k| k.bytes).max();
    let count = match (fill, heaviest) {
        (_, None) => Sourced {
            text: "1000".into(),
            comment: "assumption: default 1000 (no keyed state in the checkpoint history)".into(),
        },
        (Some(fill), Some(_)) => {
            let seconds = fill.seconds();
            let count = ((rate as f64 * seconds).round() as u64).clamp(1, MAX_KEYS);
            Sourced {
                text: count.to_string(),
                comment: format!(
                    "{rate} records/s x {seconds:.1} s to fill the keyed state, one new key per record ({})",
                    fill.source
                ),
            }
        }
        (None, Some(bytes)) => {
            let count = (bytes / DEFAULT_BYTES_PER_KEY).clamp(1, MAX_KEYS);
            Sourced {
                text: count.to_string(),
                comment: format!(
                    "{bytes} B of keyed state / an assumed {DEFAULT_BYTES_PER_KEY} B per key \
                     (the history shows no growth to fit)"
                ),
            }
        }
    };
    let keys: u64 = count.text.parse().unwrap_or(1);
    let distribution = if heaviest.is_some() {
        Sourced {
            text: "sequence".into(),
            comment: "assumption: each record a new key until all were seen, so that the state fills as fast as \
                      the records allow"
                .into(),
        }
    } else {
        Sourced {
            text: "uniform".into(),
            comment: "assumption: default uniform (the key distribution is not in the responses)".into(),
        }
    };
    for op in operators.iter_mut().filter(|o| o.kind == "source") {
        put(&mut op.fields, "keys.count", count.clone());
        put(&mut op.fields, "keys.distribution", distribution.clone());
    }
    for k in keyed {
        let per_key = (k.bytes / keys).clamp(1, MAX_STATE_PER_KEY);
        let name = operators[k.operator].name.clone();
        put(
            &mut operators[k.operator].fields,
            "state-per-key",
            Sourced {
                text: format!("{per_key}b"),
                comment: format!("{} B of keyed state of `{name}` ({}) / {keys} keys", k.bytes, k.source),
            },
        );
    }
}

fn field<'a>(op: &'a Operator, key: &str) -> Option<&'a Sourced> {
    op.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Replaces the entry `key`, or appends it.
fn put(entries: &mut Vec<(String, Sourced)>, key: &str, value: Sourced) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => entries.push((key.to_string(), value)),
    }
}
