//! What a user asks a sweep for: an objective (`min:METRIC` or `max:METRIC`),
//! constraints (`METRIC<=LIMIT`, `METRIC>=LIMIT`, the limit in the metric's unit or
//! with a unit of its own: `200ms`, `5%`, `64mb`) and a failure rate (`1/h`). Parsed
//! from the command line here; [`super::sweep_objective`] picks the setting.

use super::sweep_result::{METRICS, Metric};
use crate::scenario::units::{parse_bytes, parse_duration};
use serde::Serialize;

/// Whether the objective is minimised or maximised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Objective {
    pub direction: Direction,
    pub metric: &'static str,
}

/// Which side of the limit a metric must stay on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Bound {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">=")]
    AtLeast,
}

impl Bound {
    pub fn symbol(self) -> &'static str {
        match self {
            Bound::AtMost => "<=",
            Bound::AtLeast => ">=",
        }
    }

    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Bound::AtMost => value <= limit,
            Bound::AtLeast => value >= limit,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Constraint {
    pub metric: &'static str,
    pub bound: Bound,
    /// In the metric's unit.
    pub limit: f64,
    /// As the user wrote it.
    pub text: String,
}

/// Everything a sweep is asked to optimise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Goal {
    pub objective: Objective,
    pub constraints: Vec<Constraint>,
    /// λ, failures per second.
    pub failure_rate_per_s: Option<f64>,
    /// λ as the user wrote it.
    pub failure_rate: Option<String>,
}

/// A sweep metric by key.
pub fn metric(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.key == key)
}

fn valid_metrics() -> String {
    METRICS.iter().map(|m| m.key).collect::<Vec<_>>().join(", ")
}

fn known(flag: &str, text: &str, key: &str) -> Result<&'static Metric, String> {
    metric(key).ok_or_else(|| {
        format!(
            "{flag} `{text}`: unknown metric `{key}`; valid metrics: {}",
            valid_metrics()
        )
    })
}

/// `min:METRIC` or `max:METRIC`.
pub fn parse_objective(text: &str) -> Result<Objective, String> {
    let flag = "--objective";
    let (direction, key) = match text.trim().split_once(':') {
        Some((d, key)) if d.trim().eq_ignore_ascii_case("min") => (Direction::Min, key.trim()),
        Some((d, key)) if d.trim().eq_ignore_ascii_case("max") => (Direction::Max, key.trim()),
        _ => {
            return Err(format!(
                "{flag} `{text}`: expected min:METRIC or max:METRIC; valid metrics: {}",
                valid_metrics()
            ));
        }
    };
    Ok(Objective {
        direction,
        metric: known(flag, text, key)?.key,
    })
}

/// `METRIC<=LIMIT` or `METRIC>=LIMIT`.
pub fn parse_constraint(text: &str) -> Result<Constraint, String> {
    let flag = "--constraint";
    let found = [
        ("<=", Bound::AtMost),
        (">=", Bound::AtLeast),
        ("≤", Bound::AtMost),
        ("≥", Bound::AtLeast),
    ]
    .into_iter()
    .find_map(|(op, bound)| text.split_once(op).map(|(k, l)| (k, l, bound)));
    let Some((key, limit, bound)) = found else {
        return Err(format!(
            "{flag} `{text}`: expected METRIC<=LIMIT or METRIC>=LIMIT (quote it for the shell), \
             like 'checkpoint_overhead_pct<=5%'; valid metrics: {}",
            valid_metrics()
        ));
    };
    let m = known(flag, text, key.trim())?;
    let limit_text = limit.trim();
    let limit = parse_limit(m, limit_text).map_err(|e| format!("{flag} `{text}`: {e}"))?;
    Ok(Constraint {
        metric: m.key,
        bound,
        text: format!("{}{}{limit_text}", m.key, bound.symbol()),
        limit,
    })
}

/// A plain non-negative number, with the metric's unit words allowed after it.
fn number(text: &str, suffixes: &[&str], unit: &str, example: &str) -> Result<f64, String> {
    let mut bare = text.trim();
    for s in suffixes {
        if let Some(b) = bare.strip_suffix(s) {
            bare = b.trim_end();
            break;
        }
    }
    match bare.replace('_', "").parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "limit `{text}` is not a non-negative number of {unit}, like {example}"
        )),
    }
}

/// A limit in `metric`'s unit: a duration for ms metrics (a bare number is ms),
/// a size for bytes, a number (optionally with its unit) otherwise.
fn parse_limit(metric: &Metric, text: &str) -> Result<f64, String> {
    let wrong = |e: String| format!("{} is in {}: {e}", metric.key, metric.unit);
    match metric.unit {
        "ms" => parse_duration(text).map(|ns| ns as f64 / 1e6).map_err(wrong),
        "bytes" => parse_bytes(text).map(|b| b as f64).map_err(wrong),
        "%" => number(text, &["%"], "percent", "5%").map_err(wrong),
        "records/s" => number(text, &["records/s", "/s"], "records/s", "40000").map_err(wrong),
        unit => number(text, &[unit], unit, "1000").map_err(wrong),
    }
}

/// `N/h`, `N/min`, `N/s` (also `N/d`, `N/2h`): failures per second.
pub fn parse_failure_rate(text: &str) -> Result<f64, String> {
    let flag = "--failure-rate";
    let bad = |why: &str| format!("{flag} `{text}`: {why}; expected failures per time, like 1/h, 0.5/min or 2/s");
    let (count, per) = text.trim().split_once('/').ok_or_else(|| bad("no `/`"))?;
    let count: f64 = count
        .trim()
        .parse()
        .ok()
        .filter(|c: &f64| c.is_finite() && *c > 0.0)
        .ok_or_else(|| bad("the count must be a positive number"))?;
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
        per.to_string()
    } else {
        format!("1{per}")
    };
    if per.ends_with(|c: char| c.is_ascii_digit()) {
        return Err(bad("the time needs a unit (s, min, h)"));
    }
    let ns = parse_duration(&per).map_err(|e| bad(&e))?;
    if ns == 0 {
        return Err(bad("the time must be longer than 0"));
    }
    Ok(count / (ns as f64 / 1e9))
}

impl Goal {
    pub fn parse(objective: &str, constraints: &[String], failure_rate: Option<&str>) -> Result<Self, String> {
        Ok(Goal {
            objective: parse_objective(objective)?,
            constraints: constraints
                .iter()
                .map(|c| parse_constraint(c))
                .collect::<Result<_, _>>()?,
            failure_rate_per_s: failure_rate.map(parse_failure_rate).transpose()?,
            failure_rate: failure_rate.map(|f| f.trim().to_string()),
        })
    }
}
