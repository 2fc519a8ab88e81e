//! `ckptsim diff`: a simulated run's checkpoints against a Flink job's, phase by
//! phase and vertex by vertex, as medians over the checkpoints after a warm-up.
//!
//! [`sides`] reads both into the same shape ([`Side`]); this module pairs their
//! vertices and compares their medians; [`render`] writes the table, the summary and
//! JSON; [`plot`] draws the ratios.
//!
//! Like with like: a part's phases are Flink's (start delay, alignment as Flink
//! reports it, sync, async, end to end = its acknowledgement minus the trigger), and
//! the job's end to end is the last acknowledgement minus the trigger on both sides:
//! Flink's `end_to_end_duration` does not hold the metadata write, so the simulated
//! coordinator's finalize is left out too.

pub mod plot;
pub mod render;
pub mod sides;

pub use sides::{Side, VertexData};

/// The phases compared, in table order: five durations (ms), three sizes (bytes).
pub const PHASES: [&str; 8] = [
    "start delay",
    "alignment",
    "sync",
    "async",
    "end to end",
    "state size",
    "checkpointed size",
    "persisted size",
];
/// The durations among [`PHASES`]: the first five.
pub const DURATIONS: usize = 5;
/// Phases that can dominate a checkpoint (end to end is their sum).
pub const DOMINANT_CANDIDATES: usize = 4;
/// Flink's REST API reports whole milliseconds: durations both under this agree.
pub const RESOLUTION_MS: f64 = 1.0;
/// Completed checkpoints skipped at the start of each side unless told otherwise.
pub const DEFAULT_WARM_UP: usize = 3;

/// The name the comparison gives the whole job's row.
pub const JOB_ROW: &str = "(job)";

/// One vertex and phase: both medians and how they compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The Flink vertex's name, or [`JOB_ROW`].
    pub vertex: String,
    pub phase: &'static str,
    pub sim: Option<f64>,
    pub flink: Option<f64>,
    /// Samples behind each median.
    pub sim_n: usize,
    pub flink_n: usize,
}

impl Row {
    /// sim ÷ Flink; 1 when both durations are under Flink's resolution or both are 0;
    /// `None` when a side has no data or only Flink's is 0.
    pub fn ratio(&self) -> Option<f64> {
        let (s, f) = (self.sim?, self.flink?);
        let duration = PHASES[..DURATIONS].contains(&self.phase);
        if (duration && s <= RESOLUTION_MS && f <= RESOLUTION_MS) || (s == 0.0 && f == 0.0) {
            return Some(1.0);
        }
        if f == 0.0 { None } else { Some(s / f) }
    }

    /// How far apart the two are, as a factor of at least 1 (∞ when one side is 0).
    pub fn factor(&self) -> Option<f64> {
        match self.ratio() {
            Some(r) if r > 0.0 => Some(r.max(1.0 / r)),
            Some(_) => Some(f64::INFINITY),
            None if self.sim.is_some() && self.flink.is_some() => Some(f64::INFINITY),
            None => None,
        }
    }
}

/// A phase's agreement over every vertex: the largest factor and where.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSummary {
    pub phase: &'static str,
    /// `None` when no vertex had the phase on both sides.
    pub factor: Option<f64>,
    pub worst_vertex: Option<String>,
    pub compared: usize,
}

/// The phase that took longest in the median, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Dominant {
    pub phase: &'static str,
    pub vertex: String,
    pub median_ms: f64,
}

/// Simulated vertex → Flink vertex it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    pub flink: String,
    pub sim: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub warm_up: usize,
    pub sim: Side,
    pub flink: Side,
    pub pairings: Vec<Pairing>,
    pub rows: Vec<Row>,
    pub summary: Vec<PhaseSummary>,
    pub dominant_sim: Option<Dominant>,
    pub dominant_flink: Option<Dominant>,
}

/// Vertex names of the two sides that have no counterpart: bad input.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch(pub String);

use crate::stats::median;

/// The closest of `names` to `name` by edit distance, for "did you mean".
pub fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names.min_by_key(|n| (edit_distance(&name.to_lowercase(), &n.to_lowercase()), n.len()))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Compares two sides whose vertices have been paired already (see
/// [`sides::pair`]): `sim` holds one vertex per Flink vertex, in the same order.
pub fn compare(sim: Side, flink: Side, pairings: Vec<Pairing>, warm_up: usize) -> Comparison {
    let mut rows = Vec::new();
    for (s, f) in sim.vertices.iter().zip(&flink.vertices) {
        for (p, phase) in PHASES.iter().enumerate() {
            let (sv, fv) = (s.values(p), f.values(p));
            rows.push(Row {
                vertex: f.name.clone(),
                phase,
                sim: median(&sv),
                flink: median(&fv),
                sim_n: sv.len(),
                flink_n: fv.len(),
            });
        }
    }
    for (p, phase) in PHASES.iter().enumerate().skip(DURATIONS - 1) {
        let (sv, fv) = (sim.job_values(p), flink.job_values(p));
        rows.push(Row {
            vertex: JOB_ROW.into(),
            phase,
            sim: median(&sv),
            flink: median(&fv),
            sim_n: sv.len(),
            flink_n: fv.len(),
        });
    }
    let summary = PHASES
        .iter()
        .map(|phase| {
            let compared: Vec<(&Row, f64)> = rows
                .iter()
                .filter(|r| r.phase == *phase)
                .filter_map(|r| Some((r, r.factor()?)))
                .collect();
            let worst = compared.iter().copied().reduce(|a, b| if b.1 > a.1 { b } else { a });
            PhaseSummary {
                phase,
                factor: worst.map(|w| w.1),
                worst_vertex: worst.map(|w| w.0.vertex.clone()),
                compared: compared.len(),
            }
        })
        .collect();
    let dominant = |side: &Side| {
        let mut best: Option<Dominant> = None;
        for v in &side.vertices {
            for (p, phase) in PHASES.iter().enumerate().take(DOMINANT_CANDIDATES) {
                if let Some(m) = median(&v.values(p))
                    && best.as_ref().is_none_or(|b| m > b.median_ms)
                {
                    best = Some(Dominant {
                        phase,
                        vertex: v.name.clone(),
                        median_ms: m,
                    });
                }
            }
        }
        best
    };
    Comparison {
        warm_up,
        dominant_sim: dominant(&sim),
        dominant_flink: dominant(&flink),
        sim,
        flink,
        pairings,
        rows,
        summary,
    }
}
