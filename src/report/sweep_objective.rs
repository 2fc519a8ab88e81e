//! One recommendation from a sweep: the grid point that best meets the user's
//! objective among those that meet every constraint (and held exactly-once), or,
//! when none does, the constraint closest to being met; and the Young/Daly
//! first-order optimum interval sqrt(2·C/λ) beside it (Young, "A first order
//! approximation to the optimum checkpoint interval", CACM 1974; Daly, FGCS 2006).

use super::sweep_goal::{Bound, Constraint, Direction, Goal, metric};
use super::sweep_result::{SweepResult, SweepRow, format_value};
use super::units::duration;
use crate::scenario::units::parse_duration;
use serde::Serialize;

/// The Flink key of the checkpoint interval, which Young/Daly's interval is compared with.
pub const INTERVAL_KEY: &str = "execution.checkpointing.interval";

/// What the metrics a recommendation rests on measure, for the report.
pub const DEFINITIONS: [(&str, &str); 4] = [
    (
        "checkpoint_cost_ms",
        "C: for each completed checkpoint (savepoints left out), the mean over its subtasks of blocking alignment + \
         synchronous phase, the time a checkpoint holds a subtask's processing; the median over checkpoints. The \
         asynchronous upload runs beside processing and is not counted.",
    ),
    (
        "checkpoint_overhead_pct",
        "blocking alignment + synchronous phase summed over every acknowledged subtask part, as a share of all \
         subtasks' time (subtasks × the run's virtual time): about C × checkpoints per second.",
    ),
    (
        "records_replayed_per_failure",
        "for a failure at a random instant of the run, the age of the source offsets in the latest completed \
         checkpoint (the whole run so far before the first), averaged over the run, times the rate the sources read.",
    ),
    (
        "Young/Daly",
        "sqrt(2·C/λ), the interval that minimises C/T + λ·T/2 (checkpoint overhead plus expected lost work) to first \
         order; C measured at the recommended setting, or the grid's median C when none is recommended.",
    ),
];

/// How one grid point fares against the goal.
#[derive(Clone, Debug, Serialize)]
pub struct PointVerdict {
    pub feasible: bool,
    /// What keeps it out: the constraints it misses, `exactly-once`, or the
    /// objective without a value.
    pub misses: Vec<String>,
}

/// Young/Daly's interval for the measured cost and the given failure rate.
#[derive(Clone, Debug, Serialize)]
pub struct YoungDaly {
    /// C, in ms.
    pub checkpoint_cost_ms: f64,
    /// λ, failures per second.
    pub failure_rate_per_s: f64,
    pub interval_s: f64,
    /// Where C was measured, in words.
    pub cost_from: String,
    /// The swept checkpoint interval nearest to it (by ratio), when the interval is swept.
    pub nearest_swept_interval: Option<String>,
}

/// The constraint no setting meets that comes closest.
#[derive(Clone, Debug, Serialize)]
pub struct Closest {
    pub constraint: String,
    pub settings: Vec<(String, String)>,
    pub value: f64,
    /// How far off the limit, as a share of it.
    pub shortfall: f64,
}

/// What `--objective` found.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendation {
    pub goal: Goal,
    /// One per grid point, in the order of the result's rows.
    pub points: Vec<PointVerdict>,
    /// The recommended grid point (an index into the rows), `None` when infeasible.
    pub recommended: Option<usize>,
    pub closest: Option<Closest>,
    pub young_daly: Option<YoungDaly>,
    /// The finding in words, for the terminal, `summary.md` and the page.
    pub sentences: Vec<String>,
}

impl Recommendation {
    pub fn recommended_row<'a>(&self, result: &'a SweepResult) -> Option<&'a SweepRow> {
        self.recommended.map(|i| &result.rows[i])
    }
}

/// sqrt(2·C/λ), in seconds, for C in seconds and λ in failures per second.
pub fn young_daly_interval_s(cost_s: f64, failures_per_s: f64) -> f64 {
    (2.0 * cost_s / failures_per_s).sqrt()
}

/// How far `value` is from meeting `c`, as a share of the limit (0 when met; the
/// absolute distance for a limit of 0).
fn shortfall(c: &Constraint, value: Option<f64>) -> f64 {
    let Some(v) = value else {
        return f64::INFINITY;
    };
    let off = match c.bound {
        Bound::AtMost => v - c.limit,
        Bound::AtLeast => c.limit - v,
    };
    off.max(0.0) / if c.limit.abs() > 0.0 { c.limit.abs() } else { 1.0 }
}

fn value_text(key: &str, v: Option<f64>) -> String {
    match (metric(key), v) {
        (Some(m), Some(v)) => format_value(m, v),
        _ => "no value".to_string(),
    }
}

fn verdict(goal: &Goal, row: &SweepRow) -> PointVerdict {
    let mut misses = Vec::new();
    if !row.exactly_once {
        misses.push("exactly-once".to_string());
    }
    if row.value(goal.objective.metric).is_none() {
        misses.push(format!("{} (no value)", goal.objective.metric));
    }
    for c in &goal.constraints {
        if shortfall(c, row.value(c.metric)) > 0.0 {
            misses.push(c.text.clone());
        }
    }
    PointVerdict {
        feasible: misses.is_empty(),
        misses,
    }
}

/// The better of two objective values (the first on a tie, so the grid's first point wins).
fn better(direction: Direction, candidate: f64, best: f64) -> bool {
    match direction {
        Direction::Min => candidate < best,
        Direction::Max => candidate > best,
    }
}

/// The row best at the objective among `rows` that pass `keep`.
fn best_row(goal: &Goal, rows: &[SweepRow], keep: impl Fn(usize) -> bool) -> Option<(usize, f64)> {
    rows.iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .filter_map(|(i, r)| Some((i, r.value(goal.objective.metric)?)))
        .fold(None, |best, (i, v)| match best {
            Some((_, b)) if !better(goal.objective.direction, v, b) => best,
            _ => Some((i, v)),
        })
}

/// The constraint closest to being met, when no setting meets them all: among the
/// constraints that no setting (holding exactly-once) meets even alone, the one
/// missed by the smallest share of its limit; when each is met by some setting but
/// never all together, the worst miss of the setting whose worst miss is smallest.
fn closest(goal: &Goal, rows: &[SweepRow]) -> Option<Closest> {
    let held: Vec<&SweepRow> = rows.iter().filter(|r| r.exactly_once).collect();
    let miss = |c: &Constraint, r: &SweepRow| shortfall(c, r.value(c.metric));
    let found = |c: &Constraint, r: &SweepRow, s: f64| {
        Some(Closest {
            constraint: c.text.clone(),
            settings: r.settings.clone(),
            value: r.value(c.metric)?,
            shortfall: s,
        })
    };
    // Per constraint, the setting that comes closest to it alone.
    let alone: Vec<(&Constraint, &SweepRow, f64)> = goal
        .constraints
        .iter()
        .filter_map(|c| {
            let (r, s) =
                held.iter()
                    .map(|r| (*r, miss(c, r)))
                    .fold(None, |b: Option<(&SweepRow, f64)>, (r, s)| match b {
                        Some((_, bs)) if bs <= s => b,
                        _ => Some((r, s)),
                    })?;
            Some((c, r, s))
        })
        .collect();
    let unmet = alone.iter().filter(|(_, _, s)| *s > 0.0 && s.is_finite()).fold(
        None,
        |b: Option<&(&Constraint, &SweepRow, f64)>, x| match b {
            Some(b) if b.2 <= x.2 => Some(b),
            _ => Some(x),
        },
    );
    if let Some((c, r, s)) = unmet {
        return found(c, r, *s);
    }
    if alone.iter().any(|(_, _, s)| *s > 0.0) {
        return None; // a metric without a value anywhere: nothing is close
    }
    // Each met alone: the setting whose worst miss is smallest, and that miss.
    let (r, (c, s)) = held
        .iter()
        .filter_map(|r| {
            let worst = goal.constraints.iter().map(|c| (c, miss(c, r))).fold(
                None,
                |b: Option<(&Constraint, f64)>, x| match b {
                    Some(b) if b.1 >= x.1 => Some(b),
                    _ => Some(x),
                },
            )?;
            Some((*r, worst))
        })
        .fold(None, |b: Option<(&SweepRow, (&Constraint, f64))>, x| match b {
            Some(b) if b.1.1 <= x.1.1 => Some(b),
            _ => Some(x),
        })?;
    // A setting meets them all and is still out: its objective has no value.
    if s == 0.0 {
        return None;
    }
    found(c, r, s)
}

fn objective_words(goal: &Goal) -> String {
    let m = metric(goal.objective.metric).expect("a parsed objective names a sweep metric");
    let word = match goal.objective.direction {
        Direction::Min => "lowest",
        Direction::Max => "highest",
    };
    format!("{word} {}", m.label)
}

/// The swept checkpoint intervals, in ns, by value.
fn swept_intervals(result: &SweepResult) -> Option<(usize, Vec<(String, u64)>)> {
    let p = result.parameters.iter().position(|(k, _)| k == INTERVAL_KEY)?;
    let values = result.parameters[p]
        .1
        .iter()
        .filter_map(|v| Some((v.clone(), parse_duration(v).ok()?)))
        .collect();
    Some((p, values))
}

/// Young/Daly's interval and a sentence comparing it with the recommended one;
/// `None` without a failure rate, no interval when no checkpoint completed.
fn young_daly(result: &SweepResult, goal: &Goal, recommended: Option<usize>) -> Option<(Option<YoungDaly>, String)> {
    let lambda = goal.failure_rate_per_s?;
    let rate = goal.failure_rate.clone().unwrap_or_default();
    let key = "checkpoint_cost_ms";
    let (cost_ms, cost_from) = match recommended {
        Some(i) => (
            result.rows[i].value(key),
            "the checkpoint cost at the recommended setting".to_string(),
        ),
        None => {
            let costs: Vec<f64> = result.rows.iter().filter_map(|r| r.value(key)).collect();
            (
                crate::stats::median(&costs),
                "the median checkpoint cost over the grid".to_string(),
            )
        }
    };
    let Some(cost_ms) = cost_ms else {
        return Some((
            None,
            format!(
                "Young/Daly: no checkpoint completed, so there is no checkpoint cost C to compute sqrt(2·C/λ) from (λ = {rate})."
            ),
        ));
    };
    let interval_s = young_daly_interval_s(cost_ms / 1e3, lambda);
    let yd_ns = (interval_s * 1e9).round() as u64;
    let mut sentence = format!(
        "Young/Daly first-order optimum interval sqrt(2·C/λ) = {} for C = {} ({cost_from}) and λ = {rate}.",
        duration(yd_ns),
        duration((cost_ms * 1e6).round() as u64),
    );
    let mut nearest_swept_interval = None;
    if let Some((p, intervals)) = swept_intervals(result).filter(|(_, v)| !v.is_empty()) {
        let distance = |ns: u64| ((ns.max(1) as f64) / (yd_ns.max(1) as f64)).ln().abs();
        let nearest = intervals
            .iter()
            .fold(None, |b: Option<&(String, u64)>, x| match b {
                Some(b) if distance(b.1) <= distance(x.1) => Some(b),
                _ => Some(x),
            })
            .expect("not empty");
        nearest_swept_interval = Some(nearest.0.clone());
        match recommended.map(|i| &result.rows[i].settings[p].1) {
            Some(chosen) if *chosen == nearest.0 => sentence.push_str(&format!(
                " The recommended interval, {chosen}, is the swept interval nearest to it: they agree."
            )),
            Some(chosen) => {
                let chosen_ns = parse_duration(chosen).unwrap_or(0).max(1) as f64;
                let ratio = yd_ns as f64 / chosen_ns;
                let how = if ratio >= 1.0 {
                    format!("{ratio:.1}× shorter")
                } else {
                    format!("{:.1}× longer", 1.0 / ratio)
                };
                sentence.push_str(&format!(
                    " The recommended interval, {chosen}, is {how}; the swept interval nearest to Young/Daly's is {}: they disagree.",
                    nearest.0
                ));
            }
            None => sentence.push_str(&format!(" The swept interval nearest to it is {}.", nearest.0)),
        }
    } else {
        sentence.push_str(&format!(" ({INTERVAL_KEY} is not among the swept parameters.)"));
    }
    Some((
        Some(YoungDaly {
            checkpoint_cost_ms: cost_ms,
            failure_rate_per_s: lambda,
            interval_s,
            cost_from,
            nearest_swept_interval,
        }),
        sentence,
    ))
}

/// Picks the setting for `goal` among the result's grid points.
pub fn recommend(result: &SweepResult, goal: &Goal) -> Recommendation {
    let points: Vec<PointVerdict> = result.rows.iter().map(|r| verdict(goal, r)).collect();
    let feasible = points.iter().filter(|p| p.feasible).count();
    let recommended = best_row(goal, &result.rows, |i| points[i].feasible);
    let m = metric(goal.objective.metric).expect("a parsed objective names a sweep metric");
    let constraints: Vec<&str> = goal.constraints.iter().map(|c| c.text.as_str()).collect();
    let mut sentences = vec![format!(
        "Objective: the {}{}; {feasible} of {} setting(s) meet {}.",
        objective_words(goal),
        if constraints.is_empty() {
            String::new()
        } else {
            format!(", subject to {}", constraints.join(" and "))
        },
        result.rows.len(),
        if constraints.is_empty() {
            "it and held exactly-once".to_string()
        } else {
            "the constraints and held exactly-once".to_string()
        },
    )];
    let mut closest_found = None;
    match recommended {
        Some((i, v)) => {
            let row = &result.rows[i];
            let met: Vec<String> = goal
                .constraints
                .iter()
                .map(|c| format!("{} ({})", c.text, value_text(c.metric, row.value(c.metric))))
                .collect();
            sentences.push(format!(
                "Recommended: {} — {} {}{}.",
                row.label(),
                m.label,
                format_value(m, v),
                if met.is_empty() {
                    String::new()
                } else {
                    format!("; meets {}", met.join(", "))
                }
            ));
            // The metric's best without the constraints, when they moved the choice.
            if let Some((b, bv)) = best_row(goal, &result.rows, |_| true).filter(|(b, _)| *b != i) {
                sentences.push(format!(
                    "The {} without the constraints, {} with {}, misses {}.",
                    objective_words(goal),
                    format_value(m, bv),
                    result.rows[b].label(),
                    points[b]
                        .misses
                        .iter()
                        .map(|c| {
                            match goal.constraints.iter().find(|k| k.text == *c) {
                                Some(k) => format!("{c} ({})", value_text(k.metric, result.rows[b].value(k.metric))),
                                None => c.clone(),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        None => {
            let closest = closest(goal, &result.rows);
            sentences.push(match &closest {
                Some(c) => {
                    let k = goal.constraints.iter().find(|k| k.text == c.constraint).expect("found among them");
                    let side = match k.bound {
                        Bound::AtMost => "over",
                        Bound::AtLeast => "under",
                    };
                    let label = &metric(k.metric).expect("a parsed constraint names a sweep metric").label;
                    format!(
                        "No setting meets every constraint. Closest to being met: {}: the {label} comes to {} at best, \
                         with {} ({:.0} % {side} the limit).",
                        c.constraint,
                        value_text(k.metric, Some(c.value)),
                        result
                            .rows
                            .iter()
                            .find(|r| r.settings == c.settings)
                            .map_or(String::new(), |r| r.label()),
                        c.shortfall * 100.0,
                    )
                }
                None if result.rows.iter().all(|r| !r.exactly_once) => {
                    "No setting is recommended: exactly-once was violated at every setting.".to_string()
                }
                None if result.rows.iter().all(|r| r.value(goal.objective.metric).is_none()) => format!(
                    "No setting is recommended: no run measured the {} (`{}`).",
                    m.label, goal.objective.metric
                ),
                None => format!(
                    "No setting is recommended: no setting that held exactly-once has a value for every metric of the goal ({}).",
                    std::iter::once(goal.objective.metric)
                        .chain(goal.constraints.iter().map(|c| c.metric))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            closest_found = closest;
        }
    }
    let yd = young_daly(result, goal, recommended.map(|(i, _)| i));
    if let Some((_, s)) = &yd {
        sentences.push(s.clone());
    }
    Recommendation {
        goal: goal.clone(),
        points,
        recommended: recommended.map(|(i, _)| i),
        closest: closest_found,
        young_daly: yd.and_then(|(y, _)| y),
        sentences,
    }
}
