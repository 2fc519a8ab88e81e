//! `ckptsim import --calibrate`: fits the values an import otherwise assumes from
//! what the history measured, and says for each what it was fitted from.
//!
//! Every fit is a median, not least squares: a history holds few samples per
//! figure (often two checkpoints with details) and one of them may carry a garbage
//! collection pause or a cold start; a median of ratios ignores such an outlier
//! where a least-squares line would bend towards it.
//!
//! - Checkpoint storage: a subtask part's async duration is the storage latency plus
//!   its checkpointed size over the rate of one request, a line fitted Theil–Sen (the
//!   median of pairwise slopes, the median residual as the intercept), which one
//!   outlying part cannot tilt. The simulated storage gives each request
//!   `bandwidth / max-concurrent-requests`, so the bandwidth is that rate times the
//!   request count.
//! - CPU per record: busy time per second over records per second (in, or out for a
//!   source), both averaged over the vertex's subtasks.
//! - In-flight buffer volume: a backpressured job's in-flight data fills the input
//!   buffers of its consumers (exclusive per channel, floating per gate), which an
//!   unaligned checkpoint persists; the buffer size is the job's median persisted
//!   data over the number of those buffers.

use super::derive::{Derived, Sourced, completed, id_list, short, warm_up_ids};
use super::rest::{Responses, SubtaskStats};
use std::fmt::Write;

/// When every part is under this size, they measure the storage's latency only.
pub const SMALL_PART_BYTES: u64 = 64 << 10;
/// The simulation's defaults the fits build on.
const DEFAULT_REQUESTS: u64 = 16;
const DEFAULT_BUFFERS_PER_CHANNEL: u64 = 2;
const DEFAULT_FLOATING_PER_GATE: u64 = 8;
const DEFAULT_STORAGE_LATENCY_MS: f64 = 20.0;

/// One fitted value and the data it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The scenario key, as a path (`cluster.checkpoint-storage.bandwidth`,
    /// `job.operators[keyed-count].cpu-per-record`).
    pub key: String,
    /// As written in the scenario (`347mb/s`).
    pub value: String,
    /// The fit, in a few words.
    pub method: String,
    /// How many samples it used.
    pub points: usize,
    /// The samples' range, and where they came from.
    pub data: String,
}

/// What calibration fitted and what stayed a default, with why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Calibration {
    pub fits: Vec<Fit>,
    /// (scenario key, why it stayed the default).
    pub defaults: Vec<(String, String)>,
}

impl Calibration {
    /// The report printed after an import: one block per fitted value, then the
    /// defaults kept.
    pub fn render(&self, dir: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "calibration from {dir}:");
        if self.fits.is_empty() {
            out.push_str("  nothing could be fitted: the history lacks the data (see below)\n");
        }
        for f in &self.fits {
            let _ = writeln!(out, "  {} = {}", f.key, f.value);
            let _ = writeln!(out, "      fit: {}", f.method);
            let _ = writeln!(out, "      data: {} point{}: {}", f.points, plural(f.points), f.data);
        }
        if !self.defaults.is_empty() {
            out.push_str("stayed defaults:\n");
            for (key, why) in &self.defaults {
                let _ = writeln!(out, "  {key}: {why}");
            }
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The median of `values`: the mean of the middle two for an even count.
use crate::stats::median;

fn range(values: &[f64], unit: &str) -> String {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo == hi {
        format!("{}{unit}", number(lo))
    } else {
        format!("{}–{}{unit}", number(lo), number(hi))
    }
}

/// A figure with three significant digits at most, no exponent.
fn number(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Subtask parts of the steady checkpoints (completed, after the warm-up), with the
/// checkpoint and vertex each came from.
fn steady_parts(r: &Responses) -> Vec<(u64, &str, &SubtaskStats)> {
    let warm_up = warm_up_ids(r);
    let mut parts = Vec::new();
    for ((id, vertex), v) in &r.subtasks {
        let done = r.details.get(id).is_some_and(completed);
        if !done || warm_up.contains(id) {
            continue;
        }
        for s in &v.subtasks {
            parts.push((*id, vertex.as_str(), s));
        }
    }
    parts
}

fn set(entries: &mut [(String, Sourced)], key: &str, text: String, comment: String) {
    if let Some((_, v)) = entries.iter_mut().find(|(k, _)| k == key) {
        *v = Sourced { text, comment };
    }
}

/// Fits what the history measured into `d`, replacing its assumed defaults, and
/// returns what it fitted and from what.
pub fn calibrate(r: &Responses, d: &mut Derived) -> Calibration {
    let mut c = Calibration::default();
    storage(r, d, &mut c);
    source_rates(r, d, &mut c);
    // Keys are sized from the source rate, which may just have been fitted.
    super::keys::place(&mut d.operators, &d.keyed_state, d.state_fill.as_ref());
    cpu(r, d, &mut c);
    buffers(r, d, &mut c);
    if !c.fits.is_empty() {
        d.notes.push(format!(
            "calibrated by `ckptsim import --calibrate`: {} (each commented `calibrated:`)",
            c.fits.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    c
}

/// The checkpoints the parts came from, for the report.
fn ids_of(parts: &[(u64, &str, &SubtaskStats)]) -> String {
    let mut ids: Vec<u64> = parts.iter().map(|p| p.0).collect();
    ids.sort_unstable();
    ids.dedup();
    id_list(ids.into_iter())
}

/// A Theil–Sen line through (size, async ms): the median of the slopes between
/// parts whose sizes differ at least twofold (closer sizes give slopes that are
/// mostly noise), and the median of what each part leaves over the slope.
fn theil_sen(points: &[(f64, f64)]) -> Option<(f64, f64, usize)> {
    let mut slopes = Vec::new();
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let (lo, hi) = if a.0 < b.0 { (a, b) } else { (b, a) };
            if hi.0 >= 2.0 * lo.0 && hi.0 > lo.0 {
                slopes.push((hi.1 - lo.1) / (hi.0 - lo.0));
            }
        }
    }
    let pairs = slopes.len();
    let slope = median(&slopes)?;
    let rest: Vec<f64> = points.iter().map(|p| p.1 - slope * p.0).collect();
    Some((slope, median(&rest)?, pairs))
}

/// Bytes per second as the scenario writes them: MiB/s from 100 MiB/s, else KiB/s.
fn bandwidth_text(bytes_per_s: f64) -> String {
    let mib = bytes_per_s / f64::from(1 << 20);
    if mib >= 100.0 {
        format!("{}mb/s", mib.round() as u64)
    } else {
        format!("{}kb/s", ((bytes_per_s / 1024.0).round() as u64).max(1))
    }
}

fn storage(r: &Responses, d: &mut Derived, c: &mut Calibration) {
    const LATENCY: &str = "cluster.checkpoint-storage.latency";
    const BANDWIDTH: &str = "cluster.checkpoint-storage.bandwidth";
    let parts = steady_parts(r);
    if parts.is_empty() {
        let why = "no subtasks responses of completed checkpoints after the warm-up \
                   (checkpoints/details/<n>/subtasks/<vertex> or checkpoint_<n>_subtasks_<vertex>.json)";
        c.defaults.push((LATENCY.into(), why.into()));
        c.defaults.push((BANDWIDTH.into(), why.into()));
        return;
    }
    let points: Vec<(f64, f64)> = parts
        .iter()
        .map(|p| (p.2.checkpointed_size as f64, p.2.async_ms.max(0) as f64))
        .collect();
    let sizes: Vec<f64> = points.iter().map(|p| p.0).collect();
    let asyncs: Vec<f64> = points.iter().map(|p| p.1).collect();
    let data = format!(
        "checkpointed {} in async {} (subtask parts of checkpoints {})",
        range(&sizes, " B"),
        range(&asyncs, " ms"),
        ids_of(&parts)
    );
    // (latency ms, ms per byte of one request, how it was fitted)
    let (latency, slope, method): (Option<f64>, Option<f64>, String) = match theil_sen(&points) {
        Some((slope, _, pairs)) if slope <= 0.0 => {
            c.defaults.push((
                BANDWIDTH.into(),
                format!("async does not grow with size over {pairs} pairs of parts ({data})"),
            ));
            c.defaults
                .push((LATENCY.into(), "fitted only with the bandwidth".into()));
            return;
        }
        Some((slope, intercept, pairs)) => (
            Some(intercept.max(0.0)),
            Some(slope),
            format!(
                "Theil-Sen line async = latency + size / per-request rate: median slope over {pairs} pairs of \
                 parts whose sizes differ at least 2x, latency the median residual"
            ),
        ),
        None if sizes.iter().all(|s| *s < SMALL_PART_BYTES as f64) => (
            median(&asyncs),
            None,
            "median async duration of parts too small for the transfer to count".into(),
        ),
        None => {
            let rates: Vec<f64> = points
                .iter()
                .map(|p| (p.1 - DEFAULT_STORAGE_LATENCY_MS).max(1.0) / p.0.max(1.0))
                .collect();
            (
                None,
                median(&rates),
                "median of (async - 20ms default latency) / size: the sizes are too alike for a line".into(),
            )
        }
    };
    let points_n = points.len();
    let short_method = if method.starts_with("Theil") {
        "a Theil-Sen line"
    } else {
        "the median"
    };
    match latency {
        Some(ms) => {
            let value = format!("{}us", (ms * 1000.0).round() as u64);
            set(
                &mut d.cluster,
                "checkpoint-storage.latency",
                value.clone(),
                format!("calibrated: {short_method} of async against checkpointed size over {points_n} subtask parts"),
            );
            c.fits.push(Fit {
                key: LATENCY.into(),
                value,
                method: method.clone(),
                points: points_n,
                data: data.clone(),
            });
        }
        None => c.defaults.push((
            LATENCY.into(),
            "every part is large: the transfer hides the latency; the default 20ms is kept".into(),
        )),
    }
    match slope {
        Some(ms_per_byte) => {
            let per_request = 1000.0 / ms_per_byte;
            let value = bandwidth_text(per_request * DEFAULT_REQUESTS as f64);
            set(
                &mut d.cluster,
                "checkpoint-storage.bandwidth",
                value.clone(),
                format!(
                    "calibrated: {DEFAULT_REQUESTS} requests x the per-request rate of {short_method} of async \
                     against checkpointed size over {points_n} subtask parts"
                ),
            );
            c.fits.push(Fit {
                key: BANDWIDTH.into(),
                value,
                method: format!(
                    "{DEFAULT_REQUESTS} requests (max-concurrent-requests) x {} per request; {method}",
                    bandwidth_text(per_request)
                ),
                points: points_n,
                data,
            });
        }
        None => c.defaults.push((
            BANDWIDTH.into(),
            format!(
                "every part is under {} KiB: too little state uploaded to measure a bandwidth",
                SMALL_PART_BYTES >> 10
            ),
        )),
    }
}

/// A source whose rate the import assumed reads at the rate its consumers took in:
/// a consumer with this source as its only input reads every record it sends.
fn source_rates(r: &Responses, d: &mut Derived, c: &mut Calibration) {
    for op in d.operators.iter_mut().filter(|o| o.kind == "source") {
        let assumed = op
            .fields
            .iter()
            .any(|(k, v)| k == "rate" && v.comment.starts_with("assumption"));
        if !assumed {
            continue;
        }
        let key = format!("job.operators[{}].rate", op.name);
        let consumer = r
            .job
            .plan
            .iter()
            .filter(|n| n.inputs.len() == 1 && n.inputs[0].id == op.vertex_id)
            .find_map(|n| {
                let m = r.metrics.get(&n.id)?;
                let sum = m.values.get("numRecordsInPerSecond")?.1.filter(|s| *s >= 1.0)?;
                Some((m, sum))
            });
        let Some((m, sum)) = consumer else {
            c.defaults.push((
                key,
                "no records-per-second metric of the source or of a consumer reading only from it".into(),
            ));
            continue;
        };
        let file = short(&r.dir, &m.file).to_string();
        let value = (sum.round() as u64).clamp(1, 1_000_000_000).to_string();
        c.fits.push(Fit {
            key,
            value: value.clone(),
            method: "the records per second its consumer read (numRecordsInPerSecond.sum), which reads only from it"
                .into(),
            points: 1,
            data: format!("{file}: numRecordsInPerSecond.sum = {}", number(sum)),
        });
        set(
            &mut op.fields,
            "rate",
            value,
            format!("calibrated: {file}: numRecordsInPerSecond.sum of its consumer"),
        );
    }
}

fn cpu(r: &Responses, d: &mut Derived, c: &mut Calibration) {
    for op in d.operators.iter_mut() {
        let key = format!("job.operators[{}].cpu-per-record", op.name);
        if op.chained_end {
            let head = r.job.vertices.iter().find(|v| v.id == op.vertex_id);
            if r.metrics.contains_key(&op.vertex_id) {
                set(
                    &mut op.fields,
                    "cpu-per-record",
                    "0ns".into(),
                    format!(
                        "calibrated: chained in vertex `{}`, whose busy time is given to the operator it was split from",
                        head.map_or("", |v| v.name.as_str())
                    ),
                );
            }
            continue;
        }
        let Some(m) = r.metrics.get(&op.vertex_id) else {
            c.defaults.push((key, "no metrics response of its vertex".into()));
            continue;
        };
        let file = short(&r.dir, &m.file).to_string();
        let source = op.kind == "source";
        let rate_metric = if source {
            "numRecordsOutPerSecond"
        } else {
            "numRecordsInPerSecond"
        };
        let busy = m.values.get("busyTimeMsPerSecond").and_then(|v| v.0);
        let rate = m.values.get(rate_metric).and_then(|v| v.0);
        let (Some(busy), Some(rate)) = (busy, rate) else {
            c.defaults.push((
                key,
                format!("{file} lacks busyTimeMsPerSecond.avg or {rate_metric}.avg"),
            ));
            continue;
        };
        if !(rate >= 1.0 && (0.0..=1000.0).contains(&busy)) {
            c.defaults.push((
                key,
                format!(
                    "{file}: {rate_metric}.avg = {rate}, busyTimeMsPerSecond.avg = {busy}: no records to divide by"
                ),
            ));
            continue;
        }
        let ns = (busy * 1e6 / rate).round() as u64;
        let value = format!("{ns}ns");
        let spread = |metric: &str| match m.ranges.get(metric) {
            Some((Some(lo), Some(hi))) => format!(" (subtasks {})", range(&[*lo, *hi], "")),
            _ => String::new(),
        };
        c.fits.push(Fit {
            key,
            value: value.clone(),
            method: format!(
                "busyTimeMsPerSecond.avg / {rate_metric}.avg (busy time includes any waiting the code does)"
            ),
            points: 1,
            data: format!(
                "{file}: busy {} ms/s{}, {} records/s{}",
                number(busy),
                spread("busyTimeMsPerSecond"),
                number(rate),
                spread(rate_metric)
            ),
        });
        set(
            &mut op.fields,
            "cpu-per-record",
            value,
            format!("calibrated: {file}: busyTimeMsPerSecond.avg / {rate_metric}.avg"),
        );
    }
}

fn buffers(r: &Responses, d: &mut Derived, c: &mut Calibration) {
    const KEY: &str = "config.taskmanager.memory.segment-size";
    // Buffers the input gates hold: per consumer subtask, the exclusive buffers of
    // each input channel plus the gate's floating ones (the simulation's defaults).
    let mut buffers: u64 = 0;
    for n in r.job.plan.iter().filter(|n| !n.inputs.is_empty()) {
        let channels: u64 = n
            .inputs
            .iter()
            .map(|i| {
                let upstream = r.job.plan.iter().find(|u| u.id == i.id).map_or(1, |u| u.parallelism);
                if i.ship_strategy.eq_ignore_ascii_case("FORWARD") {
                    1
                } else {
                    upstream
                }
            })
            .sum();
        buffers += n.parallelism * (channels * DEFAULT_BUFFERS_PER_CHANNEL + DEFAULT_FLOATING_PER_GATE);
    }
    let warm_up = warm_up_ids(r);
    let steady: Vec<(u64, u64)> = r
        .checkpoints
        .history
        .iter()
        .filter(|h| completed(h) && !warm_up.contains(&h.id))
        .filter_map(|h| Some((h.id, h.persisted_data.filter(|p| *p > 0)?)))
        .collect();
    let persisted: Vec<f64> = steady.iter().map(|p| p.1 as f64).collect();
    let (Some(m), true) = (median(&persisted), buffers > 0) else {
        let why = if !r.config.unaligned {
            "the checkpoints were aligned: they persisted no in-flight data"
        } else if buffers == 0 {
            "the job has no network exchange"
        } else {
            "no completed checkpoint after the warm-up persisted in-flight data"
        };
        c.defaults.push((KEY.into(), why.into()));
        return;
    };
    let bytes = ((m / buffers as f64).round() as u64).clamp(64, 64 << 20);
    let mut ids: Vec<u64> = steady.iter().map(|p| p.0).collect();
    ids.sort_unstable();
    let value = format!("{bytes}b");
    c.fits.push(Fit {
        key: KEY.into(),
        value: value.clone(),
        method: format!(
            "median persisted in-flight data of the job / {buffers} input buffers (per consumer subtask \
             {DEFAULT_BUFFERS_PER_CHANNEL} per input channel + {DEFAULT_FLOATING_PER_GATE} floating): a \
             backpressured job's in-flight data fills its consumers' input buffers"
        ),
        points: persisted.len(),
        data: format!(
            "{}: history[].persisted_data {} (checkpoints {})",
            short(&r.dir, &r.checkpoints.file),
            range(&persisted, " B"),
            id_list(ids.into_iter())
        ),
    });
    d.config.push((
        "taskmanager.memory.segment-size".into(),
        Sourced {
            text: value,
            comment: format!("calibrated: median persisted in-flight data / {buffers} input buffers"),
        },
    ));
}
