//! The comparison as an SVG: per phase, one bar per vertex (and the whole job) of
//! simulated ÷ Flink on a log scale, with the band of agreement within 2× shaded.
//! Drawn like the report's plots (`<text>` laid out by the viewer, no font file).

use super::{Comparison, PHASES};
use crate::report::plots::draw_svg;
use crate::report::plots::style::*;
use plotters::prelude::*;

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 480;
const LEGEND_WIDTH: u32 = 260;
/// Ratios are drawn clipped to 1/CLIP..CLIP; a clipped bar says its value.
const CLIP: f64 = 16.0;

pub fn svg(c: &Comparison) -> Result<String, String> {
    let title = "Simulated ÷ Flink, median per phase";
    let mut names: Vec<String> = c.pairings.iter().map(|p| p.flink.clone()).collect();
    names.push(super::JOB_ROW.to_string());
    let mut legend = Legend::new("vertex");
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let top = CLIP.log2() + 0.6;
        let mut chart = chart(&left, title, -0.5..PHASES.len() as f64 - 0.5, -top..top, 64)?;
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < PHASES.len() {
                PHASES[i as usize].to_string()
            } else {
                String::new()
            }
        };
        let y_fmt = |y: &f64| {
            let r = 2f64.powf(*y);
            if r >= 1.0 {
                format!("{}×", axis_number(r))
            } else {
                format!("1/{}", axis_number(1.0 / r))
            }
        };
        // The band within 2×, drawn before the grid lines' labels so bars stay on top.
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-0.5, -1.0), (PHASES.len() as f64 - 0.5, 1.0)],
            RECOVERED_COLOR.mix(0.12).filled(),
        )))?;
        mesh(
            &mut chart,
            "phase",
            "simulated ÷ Flink (log scale)",
            &x_fmt,
            &y_fmt,
            PHASES.len(),
            9,
        )?;
        let width = 0.8 / names.len() as f64;
        for (k, name) in names.iter().enumerate() {
            let color = SERIES_COLORS[k % SERIES_COLORS.len()];
            let mut drawn = false;
            for (p, phase) in PHASES.iter().enumerate() {
                let Some(row) = c.rows.iter().find(|r| &r.vertex == name && r.phase == *phase) else {
                    continue;
                };
                let x0 = p as f64 - 0.4 + k as f64 * width;
                let (y, label) = match (row.ratio(), row.sim, row.flink) {
                    (Some(r), _, _) if r > 0.0 => {
                        let clipped = !(1.0 / CLIP..=CLIP).contains(&r);
                        let label = if r >= 1.0 {
                            format!("{r:.0}×")
                        } else {
                            format!("1/{:.0}", 1.0 / r)
                        };
                        (r.log2().clamp(-CLIP.log2(), CLIP.log2()), clipped.then_some(label))
                    }
                    (Some(_), _, _) => (-CLIP.log2(), Some("0".to_string())),
                    (None, Some(_), Some(_)) => (CLIP.log2(), Some("∞".to_string())),
                    _ => continue,
                };
                let (lo, hi) = if y >= 0.0 { (0.0, y.max(0.04)) } else { (y, 0.0) };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, lo), (x0 + width * 0.9, hi)],
                    color.filled(),
                )))?;
                if let Some(label) = label {
                    chart.draw_series(std::iter::once(Text::new(
                        label,
                        (x0 + width * 0.45, if y >= 0.0 { hi + 0.15 } else { lo - 0.15 }),
                        text(11).pos(Pos::new(HPos::Center, if y >= 0.0 { VPos::Bottom } else { VPos::Top })),
                    )))?;
                }
                drawn = true;
            }
            if drawn {
                let label = if name == super::JOB_ROW {
                    "whole job"
                } else {
                    name.as_str()
                };
                legend.add(label, Swatch::Box(color, 1.0));
            }
        }
        legend.gap();
        legend.add("within 2×", Swatch::Box(RECOVERED_COLOR, 0.12));
        legend.note(&format!("bars clipped at {CLIP}× say their value"));
        legend.note(&format!("medians after {} warm-up checkpoints", c.warm_up));
        root.present()?;
        Ok(())
    })?;
    Ok(legend.write_into(svg, (WIDTH - LEGEND_WIDTH) as i32, 0))
}
