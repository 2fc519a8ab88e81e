//! The two sides of a comparison in one shape: a Flink history read from its REST
//! responses, and a simulated run read from its record. Both keep only the
//! completed checkpoints after the warm-up.

use super::{Mismatch, Pairing, closest};
use crate::import::derive::{chained_names, completed, completed_ids};
use crate::import::rest::Responses;
use crate::report::RunRecord;
use crate::report::analysis::checkpoint_views;
use std::collections::BTreeMap;

/// One subtask's part of a checkpoint, in [`super::PHASES`] order: five durations in
/// milliseconds, then state, checkpointed and persisted sizes in bytes.
pub type Part = [f64; 8];

/// A part with the checkpoint and subtask index it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedPart {
    pub checkpoint: u64,
    pub index: u64,
    pub part: Part,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VertexData {
    pub name: String,
    /// Operators chained in it (Flink), or the simulated operators it groups.
    pub members: Vec<String>,
    pub parts: Vec<IndexedPart>,
}

impl VertexData {
    /// The samples of phase `p`: a duration per part; a size per checkpoint, summed
    /// over its parts (the vertex's size, as Flink's details report it).
    pub fn values(&self, p: usize) -> Vec<f64> {
        if p < super::DURATIONS {
            return self.parts.iter().map(|x| x.part[p]).collect();
        }
        let mut per: BTreeMap<u64, f64> = BTreeMap::new();
        for x in &self.parts {
            *per.entry(x.checkpoint).or_default() += x.part[p];
        }
        per.into_values().collect()
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// What it is, as the table's column heads name it: `simulated`, `Flink`, `RUN`.
    pub kind: &'static str,
    /// Where it came from: a folder or file.
    pub label: String,
    pub vertices: Vec<VertexData>,
    /// Per steady checkpoint: (id, [end to end ms, state, checkpointed, persisted]).
    pub job: Vec<(u64, [f64; 4])>,
    pub warm_up_ids: Vec<u64>,
}

impl Side {
    /// The job-level samples of phase `p` (end to end and the sizes).
    pub fn job_values(&self, p: usize) -> Vec<f64> {
        let k = p.saturating_sub(super::DURATIONS - 1).min(3);
        self.job.iter().map(|j| j.1[k]).collect()
    }

    /// The ids of the checkpoints with subtask parts.
    pub fn detailed_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .vertices
            .iter()
            .flat_map(|v| v.parts.iter().map(|p| p.checkpoint))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Splits completed ids into the first `warm_up` (in id order) and the rest.
fn split_warm_up(mut ids: Vec<u64>, warm_up: usize) -> (Vec<u64>, Vec<u64>) {
    ids.sort_unstable();
    ids.dedup();
    let rest = ids.split_off(warm_up.min(ids.len()));
    (ids, rest)
}

/// Flink's side: the history's completed checkpoints after the first `warm_up`, and
/// the subtasks responses of those among them.
pub fn flink(r: &Responses, warm_up: usize) -> Side {
    let (warm, steady) = split_warm_up(completed_ids(r), warm_up);
    let last_warm = warm.last().copied();
    // Details of checkpoints the history no longer lists count when they came later.
    let is_steady = |id: u64| {
        steady.contains(&id)
            || (!warm.contains(&id) && last_warm.is_none_or(|w| id > w) && r.details.get(&id).is_some_and(completed))
    };
    let mut job: Vec<(u64, [f64; 4])> = r
        .checkpoints
        .history
        .iter()
        .filter(|c| completed(c) && steady.contains(&c.id))
        .filter_map(|c| {
            Some((
                c.id,
                [
                    c.end_to_end_ms? as f64,
                    c.state_size as f64,
                    c.checkpointed_size.unwrap_or(c.state_size) as f64,
                    c.persisted_data.unwrap_or(0) as f64,
                ],
            ))
        })
        .collect();
    job.sort_by_key(|j| j.0);
    let vertices = r
        .job
        .vertices
        .iter()
        .map(|v| {
            let members = r
                .job
                .plan
                .iter()
                .find(|n| n.id == v.id)
                .map(chained_names)
                .unwrap_or_default();
            let parts = r
                .subtasks
                .iter()
                .filter(|((id, vid), _)| *vid == v.id && is_steady(*id))
                .flat_map(|((id, _), s)| {
                    s.subtasks.iter().map(move |s| IndexedPart {
                        checkpoint: *id,
                        index: s.index,
                        part: [
                            s.start_delay_ms as f64,
                            s.alignment_ms as f64,
                            s.sync_ms as f64,
                            s.async_ms as f64,
                            s.end_to_end_ms as f64,
                            s.state_size as f64,
                            s.checkpointed_size as f64,
                            s.persisted_data as f64,
                        ],
                    })
                })
                .collect();
            VertexData {
                name: v.name.clone(),
                members,
                parts,
            }
        })
        .collect();
    Side {
        kind: "Flink",
        label: r.dir.clone(),
        vertices,
        job,
        warm_up_ids: warm,
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The simulated side: one vertex per operator, completed checkpoints after the
/// first `warm_up`.
pub fn simulated(record: &RunRecord, label: &str, warm_up: usize) -> Side {
    let views = checkpoint_views(&record.summary);
    let done: Vec<_> = views
        .iter()
        .filter(|v| v.checkpoint.status == "COMPLETED" && !v.checkpoint.is_savepoint)
        .collect();
    let (warm, steady) = split_warm_up(done.iter().map(|v| v.checkpoint.id).collect(), warm_up);
    let steady_views: Vec<_> = done.iter().filter(|v| steady.contains(&v.checkpoint.id)).collect();
    let mut job: Vec<(u64, [f64; 4])> = steady_views
        .iter()
        .filter_map(|v| {
            let c = v.checkpoint;
            // Last acknowledgement minus trigger, as Flink's end_to_end_duration.
            let last_ack = c.latest_ack_timestamp?;
            Some((
                c.id,
                [
                    ms(last_ack.saturating_sub(c.trigger_timestamp)),
                    c.state_size as f64,
                    c.checkpointed_size as f64,
                    c.persisted_data as f64,
                ],
            ))
        })
        .collect();
    job.sort_by_key(|j| j.0);
    let vertices = record
        .facts()
        .operators
        .iter()
        .enumerate()
        .map(|(op, (name, _))| VertexData {
            name: name.clone(),
            members: vec![name.clone()],
            parts: steady_views
                .iter()
                .flat_map(|v| {
                    v.parts
                        .iter()
                        .filter(|b| b.operator == op)
                        .map(|b| (v.checkpoint.id, b))
                })
                .map(|(id, b)| IndexedPart {
                    checkpoint: id,
                    index: u64::from(b.index),
                    part: [
                        ms(b.start_delay_ns),
                        ms(b.reported_alignment_ns),
                        ms(b.sync_ns),
                        ms(b.async_ns),
                        ms(b.end_to_end_ns),
                        b.state_size as f64,
                        b.checkpointed_size as f64,
                        b.persisted_data as f64,
                    ],
                })
                .collect(),
        })
        .collect();
    Side {
        kind: "simulated",
        label: label.to_string(),
        vertices,
        job,
        warm_up_ids: warm,
    }
}

/// Whether simulated operator `sim` stands for (part of) the Flink vertex: named as
/// the vertex or one of its chained operators, or as the sink `ckptsim import`
/// splits off a vertex (`<operator>-sink`).
fn stands_for(sim: &str, flink: &VertexData) -> bool {
    sim == flink.name
        || flink.members.iter().any(|m| m == sim)
        || sim
            .strip_suffix("-sink")
            .is_some_and(|head| head == flink.name || flink.members.iter().any(|m| m == head))
}

/// Groups the simulated operators by the Flink vertex each stands for. A group's
/// part per checkpoint and subtask index: start delay and alignment of its first
/// operator (where the barrier enters the chain), sync and async summed (a chain
/// snapshots its operators one after another), end to end the latest, sizes summed.
pub fn pair(sim: Side, flink: &Side) -> Result<(Side, Vec<Pairing>), Mismatch> {
    let mut owner: Vec<Option<usize>> = vec![None; sim.vertices.len()];
    for (s, v) in sim.vertices.iter().enumerate() {
        owner[s] = flink.vertices.iter().position(|f| stands_for(&v.name, f));
    }
    let mut problems = Vec::new();
    for (s, v) in sim.vertices.iter().enumerate() {
        if owner[s].is_none() {
            // Chained operator names count: an operator is more often named as one of them.
            let candidates = flink
                .vertices
                .iter()
                .flat_map(|f| std::iter::once(f.name.as_str()).chain(f.members.iter().map(String::as_str)));
            let hint = closest(&v.name, candidates).map_or(String::new(), |c| {
                match flink
                    .vertices
                    .iter()
                    .find(|f| f.name != c && f.members.iter().any(|m| m == c))
                {
                    Some(f) => format!(" (closest: `{c}`, chained in vertex `{}`)", f.name),
                    None => format!(" (closest: `{c}`)"),
                }
            });
            problems.push(format!("simulated operator `{}` matches no Flink vertex{hint}", v.name));
        }
    }
    for (f, fv) in flink.vertices.iter().enumerate() {
        if !owner.contains(&Some(f)) {
            let hint = closest(&fv.name, sim.vertices.iter().map(|v| v.name.as_str()))
                .map_or(String::new(), |c| format!(" (closest simulated operator: `{c}`)"));
            problems.push(format!("Flink vertex `{}` has no simulated operator{hint}", fv.name));
        }
    }
    if !problems.is_empty() {
        return Err(Mismatch(format!(
            "vertex names do not match: {}. Name the simulated operators as Flink's vertices or their chained \
             operators, as `ckptsim import` does",
            problems.join("; ")
        )));
    }
    let mut pairings = Vec::new();
    let mut vertices = Vec::new();
    for (f, fv) in flink.vertices.iter().enumerate() {
        let group: Vec<&VertexData> = sim
            .vertices
            .iter()
            .enumerate()
            .filter(|(s, _)| owner[*s] == Some(f))
            .map(|(_, v)| v)
            .collect();
        let mut combined: BTreeMap<(u64, u64), Part> = BTreeMap::new();
        for v in &group {
            for x in &v.parts {
                match combined.get_mut(&(x.checkpoint, x.index)) {
                    None => {
                        combined.insert((x.checkpoint, x.index), x.part);
                    }
                    Some(c) => {
                        c[2] += x.part[2];
                        c[3] += x.part[3];
                        c[4] = c[4].max(x.part[4]);
                        for (sum, size) in c[5..].iter_mut().zip(&x.part[5..]) {
                            *sum += size;
                        }
                    }
                }
            }
        }
        let members: Vec<String> = group.iter().map(|v| v.name.clone()).collect();
        pairings.push(Pairing {
            flink: fv.name.clone(),
            sim: members.clone(),
        });
        vertices.push(VertexData {
            name: fv.name.clone(),
            members,
            parts: combined
                .into_iter()
                .map(|((checkpoint, index), part)| IndexedPart {
                    checkpoint,
                    index,
                    part,
                })
                .collect(),
        });
    }
    Ok((Side { vertices, ..sim }, pairings))
}
