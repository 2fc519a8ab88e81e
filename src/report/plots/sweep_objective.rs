//! The trade-off a sweep's recommendation makes: the objective against a
//! constrained metric, one point per grid point, the points that meet every
//! constraint filled, the recommended one ringed, the constraint's limit dashed with
//! the side that misses it shaded. Points that differ only in the first parameter
//! are joined in its order: the curve the swept setting traces.

use super::style::*;
use super::sweep::{short_key, slug};
use super::{Plot, draw_with_legend};
use crate::report::sweep_goal::{Bound, Constraint, metric};
use crate::report::sweep_objective::Recommendation;
use crate::report::sweep_result::{Metric, SweepResult};
use crate::report::units::byte_scale;
use plotters::prelude::*;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 460;
const LEGEND_WIDTH: u32 = 250;

const FEASIBLE: RGBColor = SERIES_COLORS[2];
const INFEASIBLE: RGBColor = RGBColor(0x9a, 0x9a, 0x9a);
const CHOSEN: RGBColor = SERIES_COLORS[0];
const LINE: RGBColor = RGBColor(0xc8, 0xc8, 0xc8);
/// The point labels' font size, as plotters takes it.
const POINT_LABEL: u32 = 14;

/// Where each point's label goes, in pixels: beside the point, on the side away
/// from the right edge, moved up a line at a time past the labels placed before it
/// (points of equal values sit on one another). (anchor, label, horizontal side).
fn place_labels(labels: &[((i32, i32), String)], right_edge: i32) -> Vec<((i32, i32), String, HPos)> {
    // plotters writes a font of size n as n / 1.24 px, as the legend does.
    let font_px = POINT_LABEL as f64 / 1.24;
    let line = (font_px * 1.3).ceil() as i32;
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    let mut out = Vec::new();
    for ((px, py), label) in labels {
        let width = text_width(label, font_px).ceil() as i32;
        let left_of = *px + 8 + width > right_edge;
        let (x0, x1, x, side) = if left_of {
            (px - 8 - width, px - 8, px - 8, HPos::Right)
        } else {
            (px + 8, px + 8 + width, px + 8, HPos::Left)
        };
        let mut bottom = py - 6;
        while placed
            .iter()
            .any(|&(a0, a1, b0, b1)| x0 < a1 && a0 < x1 && bottom - line < b1 && b0 < bottom)
        {
            bottom -= line;
        }
        placed.push((x0, x1, bottom - line, bottom));
        out.push(((x, bottom), label.clone(), side));
    }
    out
}

/// The metrics to plot the objective against: each constrained one, or without
/// constraints the checkpoint overhead (the records replayed when the objective is
/// the overhead).
fn partners(rec: &Recommendation) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for c in &rec.goal.constraints {
        if !keys.contains(&c.metric) {
            keys.push(c.metric);
        }
    }
    if keys.is_empty() {
        keys.push(if rec.goal.objective.metric == "checkpoint_overhead_pct" {
            "records_replayed_per_failure"
        } else {
            "checkpoint_overhead_pct"
        });
    }
    keys
}

/// A metric's axis scale and unit: bytes in a binary unit, the rest as they are.
fn scale(m: &Metric, max: f64) -> (f64, &'static str) {
    if m.unit == "bytes" {
        byte_scale(max.max(1.0))
    } else {
        (1.0, m.unit)
    }
}

/// A constraint as a plot writes it: ≤ or ≥ with spaces around, so that a legend
/// can wrap it there.
fn spaced(c: &Constraint) -> String {
    let sign = match c.bound {
        Bound::AtMost => " ≤ ",
        Bound::AtLeast => " ≥ ",
    };
    c.text.replacen(c.bound.symbol(), sign, 1)
}

/// Every trade-off plot of a recommendation.
pub fn plots(result: &SweepResult, rec: &Recommendation) -> Result<Vec<Plot>, String> {
    partners(rec).into_iter().map(|x| plot(result, rec, x)).collect()
}

fn plot(result: &SweepResult, rec: &Recommendation, x_key: &'static str) -> Result<Plot, String> {
    let ym = metric(rec.goal.objective.metric).expect("a parsed objective names a sweep metric");
    let xm = metric(x_key).expect("a parsed constraint names a sweep metric");
    let constraints: Vec<&Constraint> = rec.goal.constraints.iter().filter(|c| c.metric == x_key).collect();
    let title = format!("{} vs {}", ym.short, xm.short);
    // (row, x, y) for every grid point with both values.
    let points: Vec<(usize, f64, f64)> = result
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.value(x_key)?, r.value(ym.key)?)))
        .collect();
    let data_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    // A limit far beyond every point would squeeze them against the axis: it is
    // named in the legend instead of drawn.
    let (limits, beyond): (Vec<&Constraint>, Vec<&Constraint>) = constraints
        .iter()
        .partition(|c| data_max == 0.0 || c.limit <= 2.0 * data_max);
    let x_max = limits.iter().map(|c| c.limit).fold(data_max, f64::max);
    let y_max = points.iter().map(|p| p.2).fold(0.0, f64::max);
    let (xd, xu) = scale(xm, x_max);
    let (yd, yu) = scale(ym, y_max);
    let x_end = (x_max / xd).max(1e-9) * 1.12;
    let y_end = (y_max / yd).max(1e-9) * 1.15;
    let label_of = |i: usize| -> String {
        result.rows[i]
            .settings
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let svg = draw_with_legend(
        (WIDTH, HEIGHT),
        Legend::new(match rec.goal.objective.direction {
            crate::report::sweep_goal::Direction::Min => "lower is better",
            crate::report::sweep_goal::Direction::Max => "higher is better",
        }),
        (WIDTH - LEGEND_WIDTH) as i32,
        |root, legend| {
            if points.is_empty() {
                return empty(
                    root,
                    &title,
                    &format!("no grid point has both a {} and a {}", ym.label, xm.short),
                );
            }
            let (left, _) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = chart(&left, &title, 0.0..x_end, 0.0..y_end, 80)?;
            mesh(
                &mut chart,
                &format!("{} ({xu})", xm.short),
                &format!("{} ({yu})", ym.short),
                &|x| axis_number(*x),
                &|y| axis_number(*y),
                8,
                6,
            )?;
            for c in &limits {
                let at = c.limit / xd;
                let (from, to) = match c.bound {
                    Bound::AtMost => (at, x_end),
                    Bound::AtLeast => (0.0, at),
                };
                if to > from {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(from, 0.0), (to, y_end)],
                        FAULT_COLOR.mix(0.07).filled(),
                    )))?;
                }
                chart.draw_series(DashedLineSeries::new(
                    vec![(at, 0.0), (at, y_end)],
                    6,
                    4,
                    FAULT_COLOR.stroke_width(2),
                ))?;
                // Written on the side of the line with more room.
                let (dx, side) = if at > x_end / 2.0 {
                    (-6, HPos::Right)
                } else {
                    (6, HPos::Left)
                };
                chart.draw_series(std::iter::once(
                    EmptyElement::at((at, y_end))
                        + Text::new(
                            format!("limit {}", spaced(c)),
                            (dx, 4),
                            text(13).color(&FAULT_COLOR).pos(Pos::new(side, VPos::Top)),
                        ),
                ))?;
                legend.add(&format!("limit: {}", spaced(c)), Swatch::Line(FAULT_COLOR));
            }
            if !limits.is_empty() {
                legend.add("misses the limit", Swatch::Box(FAULT_COLOR, 0.07));
            }
            for c in &beyond {
                legend.note(&format!("limit {} lies off the axis, right of every point", spaced(c)));
            }
            // The curve: points that differ only in the first parameter, in its order.
            let rest = |i: usize| result.rows[i].settings.get(1..).map(|s| s.to_vec());
            let mut groups: Vec<Option<Vec<(String, String)>>> = Vec::new();
            for p in &points {
                if !groups.contains(&rest(p.0)) {
                    groups.push(rest(p.0));
                }
            }
            for g in &groups {
                let line: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| rest(p.0) == *g)
                    .map(|p| (p.1 / xd, p.2 / yd))
                    .collect();
                if line.len() > 1 {
                    chart.draw_series(LineSeries::new(line, LINE.stroke_width(2)))?;
                    legend.add(
                        &format!("{} in the order swept", short_key(&result.parameters[0].0)),
                        Swatch::Line(LINE),
                    );
                }
            }
            for &(i, x, y) in &points {
                let style = if rec.points[i].feasible {
                    FEASIBLE.filled()
                } else {
                    INFEASIBLE.stroke_width(2)
                };
                chart.draw_series(std::iter::once(Circle::new((x / xd, y / yd), 5, style)))?;
            }
            // Labels in pixels, placed so that points at the same spot do not write
            // over each other.
            let (right_edge, _) = chart.backend_coord(&(x_end, 0.0));
            let labels: Vec<((i32, i32), String)> = points
                .iter()
                .map(|&(i, x, y)| (chart.backend_coord(&(x / xd, y / yd)), label_of(i)))
                .collect();
            for ((px, py), label, anchor) in place_labels(&labels, right_edge) {
                root.draw(&Text::new(
                    label,
                    (px, py),
                    text(POINT_LABEL).pos(Pos::new(anchor, VPos::Bottom)),
                ))?;
            }
            if points.iter().any(|p| rec.points[p.0].feasible) {
                legend.add("meets every constraint", Swatch::Dot(FEASIBLE, true));
            }
            if points.iter().any(|p| !rec.points[p.0].feasible) {
                legend.add("misses a constraint or exactly-once", Swatch::Dot(INFEASIBLE, false));
            }
            if let Some(&(_, x, y)) = points.iter().find(|p| Some(p.0) == rec.recommended) {
                chart.draw_series(std::iter::once(Circle::new(
                    (x / xd, y / yd),
                    10,
                    CHOSEN.stroke_width(3),
                )))?;
                legend.add("recommended", Swatch::Dot(CHOSEN, false));
            }
            Ok(())
        },
    )?;
    Ok(Plot {
        file: format!("sweep-objective-{}-vs-{}.svg", slug(ym.key), slug(x_key)),
        title,
        caption: format!(
            "The objective, {}, against {} at each swept setting ({} over {} seed(s)), each point labelled with its \
             setting: filled points meet every constraint and held exactly-once, hollow ones do not; the ring is the \
             recommended setting{}.",
            ym.label,
            xm.label,
            result.kind.statistic(),
            result.seeds.len(),
            if limits.is_empty() {
                String::new()
            } else {
                "; the dashed line is the constraint's limit, the shaded side misses it".to_string()
            }
        ),
        svg,
    })
}
