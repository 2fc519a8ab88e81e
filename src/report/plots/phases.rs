//! Stacked bars per checkpoint: where its time went, phase by phase, for the slowest
//! subtask (solid, left) and as each phase's p50 over subtasks (light, right).

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::analysis::{PHASES, checkpoint_views};
use crate::report::record::RunRecord;
use crate::report::units::ms;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 440;
const LEGEND_WIDTH: u32 = 200;
/// At most this many checkpoints, the latest, get their bars: more would be
/// narrower than a pixel pair and alias into a pattern. The tables and CSV have all.
pub const MAX_BARS: usize = 150;

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let views = checkpoint_views(&record.summary);
    let mut views: Vec<_> = views.into_iter().filter(|v| !v.parts.is_empty()).collect();
    let all = views.len();
    views.drain(..all.saturating_sub(MAX_BARS));
    let title = if all > MAX_BARS {
        format!("Checkpoint time by phase, latest {MAX_BARS} of {all}")
    } else {
        "Checkpoint time by phase".to_string()
    };
    let title = title.as_str();
    let mut legend = Legend::new("phase (top to bottom)");
    let mut drawn = [false; 7];
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        if views.is_empty() {
            return empty(
                &root,
                title,
                "no checkpoint was acknowledged by any subtask in this run",
            );
        }
        let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let bars: Vec<([u64; 7], [u64; 7])> = views.iter().map(|v| (v.slowest_phases(), v.p50_phases())).collect();
        let top = bars
            .iter()
            .map(|(s, p)| ms(s.iter().sum::<u64>()).max(ms(p.iter().sum::<u64>())))
            .fold(0.0, f64::max)
            .max(0.001)
            * 1.12;
        let n = views.len();
        let mut chart = chart(&left, title, -0.6..n as f64 - 0.4, 0.0..top, 64)?;
        let ids: Vec<u64> = views.iter().map(|v| v.checkpoint.id).collect();
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < ids.len() {
                ids[i as usize].to_string()
            } else {
                String::new()
            }
        };
        mesh(
            &mut chart,
            "checkpoint id",
            "duration (ms)",
            &x_fmt,
            &|y| axis_number(*y),
            n.min(25),
            8,
        )?;
        for (i, (slowest, p50)) in bars.iter().enumerate() {
            let x = i as f64;
            for (values, x0, x1, alpha) in [(slowest, x - 0.4, x - 0.02, 1.0), (p50, x + 0.02, x + 0.4, 0.45)] {
                let mut base = 0.0;
                for (phase, v) in values.iter().enumerate() {
                    let h = ms(*v);
                    if h <= 0.0 {
                        continue;
                    }
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, base), (x1, base + h)],
                        PHASE_COLORS[phase].mix(alpha).filled(),
                    )))?;
                    drawn[phase] = true;
                    base += h;
                }
            }
            let c = views[i].checkpoint;
            if c.status != "COMPLETED" || c.is_savepoint {
                let label = match (c.status, c.is_savepoint) {
                    ("COMPLETED", true) => "savepoint",
                    ("FAILED", _) => "failed",
                    _ => "in progress",
                };
                let total = ms(slowest.iter().sum::<u64>()).max(ms(p50.iter().sum::<u64>()));
                let color = if c.status == "FAILED" { FAULT_COLOR } else { TEXT_COLOR };
                chart.draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (x, total + top * 0.01),
                    text(12).color(&color).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))?;
            }
        }
        // The phases drawn, top to bottom as they stack.
        for phase in (0..PHASES.len()).rev().filter(|p| drawn[*p]) {
            legend.add(PHASES[phase], Swatch::Box(PHASE_COLORS[phase], 1.0));
        }
        legend.gap();
        legend.note("left bar: the slowest subtask");
        legend.note("right bar, paler: the median (p50) of each phase");
        root.present()?;
        Ok(())
    })?;
    let svg = legend.write_into(svg, (WIDTH - LEGEND_WIDTH) as i32, 0);
    Ok(Plot {
        file: "phases.svg".into(),
        title: title.into(),
        caption: "Each checkpoint's end-to-end time cut into phases. The left bar is the slowest subtask (its phases \
                  add up to its end-to-end duration) plus the coordinator's finalize; the right bar stacks each \
                  phase's median over subtasks."
            .into(),
        svg,
    })
}
