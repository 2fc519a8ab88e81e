//! A timeline of the worst checkpoint: one row per subtask, from the trigger to its
//! acknowledgement at the coordinator, coloured by phase.

use super::style::*;
use super::{Plot, draw_with_legend};
use crate::report::analysis::{PHASES, subtask_name, subtask_names, worst_checkpoint};
use crate::report::record::RunRecord;
use crate::report::units::{duration, ms};
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const LEGEND_WIDTH: u32 = 170;
/// The coordinator's finalize spans every row, behind them.
const FINALIZE_ALPHA: f64 = 0.25;

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let views = crate::report::analysis::checkpoint_views(s);
    let worst = worst_checkpoint(&views);
    let names = subtask_names(s);
    let rows = worst.map_or(0, |w| w.parts.len());
    let height = (110 + 22 * rows as u32).clamp(320, 1600);
    let title = match worst {
        Some(w) => format!(
            "Timeline of checkpoint {} ({}, {})",
            w.checkpoint.id,
            w.checkpoint.status.to_lowercase(),
            w.checkpoint.end_to_end_duration.map_or("no duration".into(), duration)
        ),
        None => "Timeline of the slowest checkpoint".to_string(),
    };
    let svg = draw_with_legend(
        (WIDTH, height),
        Legend::new("phase"),
        (WIDTH - LEGEND_WIDTH) as i32,
        |root, legend| {
            let Some(w) = worst else {
                return empty(
                    root,
                    &title,
                    "no checkpoint was acknowledged by any subtask in this run",
                );
            };
            let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            // Rows in job order: operator, then subtask index.
            let mut parts = w.parts.clone();
            parts.sort_by_key(|b| (b.operator, b.index));
            let trigger = w.checkpoint.trigger_timestamp;
            let end = parts
                .iter()
                .map(|b| ms(b.ack_timestamp - trigger))
                .fold(0.0, f64::max)
                .max(ms(w.checkpoint.end_to_end_duration.unwrap_or(0)))
                .max(0.001);
            let n = parts.len();
            let labels: Vec<String> = parts.iter().map(|b| subtask_name(&names, b)).collect();
            let name_width = labels.iter().map(|l| l.len()).max().unwrap_or(4) as u32 * 8 + 16;
            let mut chart = chart(
                &left,
                &title,
                0.0..end * 1.03,
                -0.6..n as f64 - 0.4,
                name_width.clamp(60, 220),
            )?;
            // Row 0 at the top: y = n - 1 - row.
            let y_fmt = |y: &f64| {
                let r = y.round();
                if (y - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < n {
                    labels[n - 1 - r as usize].clone()
                } else {
                    String::new()
                }
            };
            mesh(
                &mut chart,
                "time since the checkpoint was triggered (ms)",
                "",
                &|x| axis_number(*x),
                &y_fmt,
                10,
                n.min(40),
            )?;
            let faults = shade_faults(&mut chart, &s.faults, &s.recoveries, |t| {
                (t as f64 - trigger as f64) / 1e6
            })?;
            let mut drawn = [false; 7];
            for (row, b) in parts.iter().enumerate() {
                let y = (n - 1 - row) as f64;
                let mut at = 0.0;
                for (phase, (_, v)) in b.phases().iter().enumerate() {
                    let len = ms(*v);
                    if len > 0.0 {
                        chart.draw_series(std::iter::once(Rectangle::new(
                            [(at, y - 0.36), (at + len, y + 0.36)],
                            PHASE_COLORS[phase].filled(),
                        )))?;
                        drawn[phase] = true;
                    }
                    at += len;
                }
            }
            // The coordinator's finalize after the last acknowledgement, on every row.
            if let Some(f) = w.checkpoint.finalize_duration.filter(|f| *f > 0) {
                let from = ms(w.checkpoint.end_to_end_duration.unwrap_or(0));
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(from, -0.5), (from + ms(f), n as f64 - 0.5)],
                    PHASE_COLORS[6].mix(FINALIZE_ALPHA).filled(),
                )))?;
                drawn[6] = true;
            }
            for (phase, name) in PHASES.iter().enumerate().filter(|(p, _)| drawn[*p]) {
                let alpha = if phase == 6 { FINALIZE_ALPHA } else { 1.0 };
                legend.add(name, Swatch::Box(PHASE_COLORS[phase], alpha));
            }
            legend.faults(faults);
            Ok(())
        },
    )?;
    Ok(Plot {
        file: "timeline.svg".into(),
        title,
        caption: "The slowest completed checkpoint, one row per subtask: grey is the barrier's travel to the \
                  subtask (start delay), then alignment, the snapshot's sync and async phases and the \
                  acknowledgement's trip back. The row that ends last set the checkpoint's duration."
            .into(),
        svg,
    })
}
