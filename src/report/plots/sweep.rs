//! A sweep plot: one metric against one parameter. The parameter's values are
//! categories in the order given; each combination of the other parameters is a
//! line; whiskers span the seeds.

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::sweep_result::{Metric, SweepResult};
use crate::report::units::byte_scale;
use plotters::prelude::*;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 400;
const LEGEND_WIDTH: u32 = 260;

/// A point of one line: x, the mean, and the spread over seeds.
type Point = (f64, f64, Option<(f64, f64)>);

/// The last two parts of a dotted key, enough to tell parameters apart in a legend.
pub(super) fn short_key(key: &str) -> &str {
    match key.rmatch_indices('.').nth(1) {
        Some((i, _)) => &key[i + 1..],
        None => key,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A file-name-safe version of a key.
pub(super) fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn plot(result: &SweepResult, metric: &Metric, param: usize) -> Result<Plot, String> {
    let (key, values) = &result.parameters[param];
    let title = format!("{} vs {}", metric.short, short_key(key));
    // Lines: the other parameters' settings.
    let others = |settings: &[(String, String)]| -> String {
        settings
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != param)
            .map(|(_, (k, v))| format!("{}={v}", short_key(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines: Vec<String> = Vec::new();
    for row in &result.rows {
        let o = others(&row.settings);
        if !lines.contains(&o) {
            lines.push(o);
        }
    }
    let max = result
        .rows
        .iter()
        .filter_map(|r| r.spread(metric.key).map(|s| s.1).or(r.value(metric.key)))
        .fold(0.0, f64::max);
    let (div, unit) = if metric.unit == "bytes" {
        byte_scale(max.max(1.0))
    } else {
        (1.0, metric.unit)
    };
    let better = if metric.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    let mut legend = Legend::new(better);
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        if result.rows.iter().all(|r| r.value(metric.key).is_none()) {
            return empty(
                &root,
                &title,
                &format!("no run of the {} has a {}", result.kind.name(), metric.label),
            );
        }
        let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let n = values.len();
        let mut chart = chart(
            &left,
            &title,
            -0.5..n as f64 - 0.5,
            0.0..(max / div).max(1e-9) * 1.15,
            70,
        )?;
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                values[i as usize].clone()
            } else {
                String::new()
            }
        };
        mesh(
            &mut chart,
            key,
            &format!("{} ({unit})", metric.short),
            &x_fmt,
            &|y| axis_number(*y),
            n,
            6,
        )?;
        for (li, line) in lines.iter().enumerate() {
            let color = SERIES_COLORS[li % SERIES_COLORS.len()];
            // Lines side by side around each value, so that equal ones do not hide
            // each other.
            let dodge = (li as f64 - (lines.len() as f64 - 1.0) / 2.0) * (0.3 / lines.len() as f64);
            let points: Vec<Point> = result
                .rows
                .iter()
                .filter(|r| others(&r.settings) == *line)
                .filter_map(|r| {
                    let x = values.iter().position(|v| *v == r.settings[param].1)? as f64 + dodge;
                    Some((x, r.value(metric.key)? / div, r.spread(metric.key)))
                })
                .collect();
            chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))?;
            chart.draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, color.filled())))?;
            for (x, _, spread) in &points {
                if let Some((lo, hi)) = spread.filter(|(lo, hi)| hi > lo) {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(*x, lo / div), (*x, hi / div)],
                        color.stroke_width(1),
                    )))?;
                }
            }
            let label = if line.is_empty() {
                result.kind.over_seeds()
            } else {
                line.as_str()
            };
            legend.add(label, Swatch::Line(color));
        }
        root.present()?;
        Ok(())
    })?;
    let svg = legend.write_into(svg, (WIDTH - LEGEND_WIDTH) as i32, 0);
    Ok(Plot {
        file: format!("{}-{}-vs-{}.svg", result.kind.name(), slug(metric.key), slug(key)),
        title,
        caption: format!(
            "{} against {key}: {} over {} seed(s){}, each line a setting of the other parameters, drawn side by side \
             around each value; {}.",
            capitalized(metric.label),
            result.kind.statistic(),
            result.seeds.len(),
            if result.seeds.len() > 1 {
                ", whiskers from the lowest to the highest seed"
            } else {
                ""
            },
            if metric.higher_is_better {
                "higher is better"
            } else {
                "lower is better"
            }
        ),
        svg,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(
            super::slug("execution.checkpointing.interval"),
            "execution-checkpointing-interval"
        );
        assert_eq!(super::slug("e2e_p50_ms"), "e2e-p50-ms");
        assert_eq!(
            super::short_key("execution.checkpointing.unaligned.enabled"),
            "unaligned.enabled"
        );
        assert_eq!(super::short_key("duration"), "duration");
    }
}
