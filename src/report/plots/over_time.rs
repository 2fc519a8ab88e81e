//! Checkpoints over the run: end-to-end duration on top; state size, checkpointed
//! (uploaded) size and persisted in-flight data below; faults and recoveries marked.

use super::style::*;
use super::{Plot, draw_with_legend};
use crate::report::analysis::checkpoint_views;
use crate::report::record::RunRecord;
use crate::report::units::{byte_scale, ms};
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;
const LEGEND_WIDTH: u32 = 200;

const DURATION_COLOR: RGBColor = SERIES_COLORS[0];
/// State size as pale bars behind the lines: a full checkpoint uploads its whole
/// state, and a line of the same values would hide under the checkpointed size's.
const STATE_COLOR: RGBColor = SERIES_COLORS[5];
const STATE_ALPHA: f64 = 0.45;
const CHECKPOINTED_COLOR: RGBColor = SERIES_COLORS[1];
const PERSISTED_COLOR: RGBColor = SERIES_COLORS[4];

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let views = checkpoint_views(s);
    let title = "Checkpoints over time";
    let svg = draw_with_legend(
        (WIDTH, HEIGHT),
        Legend::new(""),
        (WIDTH - LEGEND_WIDTH) as i32,
        |root, legend| {
            if views.is_empty() {
                return empty(root, title, "checkpointing is off in this run");
            }
            let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let (top_area, bottom_area) = left.split_vertically(HEIGHT / 2);
            let x_end = secs(time_extent(s)).max(0.001) * 1.02;

            // End-to-end duration: completed as a line, failed as crosses at the time they failed.
            let completed: Vec<(f64, f64)> = views
                .iter()
                .filter(|v| v.checkpoint.status == "COMPLETED")
                .filter_map(|v| {
                    Some((
                        secs(v.checkpoint.trigger_timestamp),
                        ms(v.checkpoint.end_to_end_duration?),
                    ))
                })
                .collect();
            let failed: Vec<(f64, f64)> = views
                .iter()
                .filter(|v| v.checkpoint.status == "FAILED")
                .map(|v| {
                    (
                        secs(v.checkpoint.trigger_timestamp),
                        ms(v.checkpoint.end_to_end_duration.unwrap_or(0)),
                    )
                })
                .collect();
            let y_top = completed
                .iter()
                .chain(&failed)
                .map(|p| p.1)
                .fold(0.0, f64::max)
                .max(0.001)
                * 1.15;
            let mut top = chart(&top_area, "End-to-end duration", 0.0..x_end, 0.0..y_top, 64)?;
            let mut faults = time_axes(&mut top, "trigger time (s)", "duration (ms)", &s.faults, &s.recoveries)?;
            if !completed.is_empty() {
                top.draw_series(LineSeries::new(
                    completed.iter().copied(),
                    DURATION_COLOR.stroke_width(2),
                ))?;
                top.draw_series(completed.iter().map(|p| Circle::new(*p, 3, DURATION_COLOR.filled())))?;
                legend.add("end-to-end (completed)", Swatch::Line(DURATION_COLOR));
            }
            if !failed.is_empty() {
                top.draw_series(failed.iter().map(|p| Cross::new(*p, 5, FAULT_COLOR.stroke_width(2))))?;
                legend.add("failed checkpoint", Swatch::Cross(FAULT_COLOR));
            }

            // Sizes, in one binary unit chosen for the largest.
            let sizes: Vec<(f64, [f64; 3])> = views
                .iter()
                .filter(|v| v.checkpoint.status == "COMPLETED")
                .map(|v| {
                    let c = v.checkpoint;
                    (
                        secs(c.trigger_timestamp),
                        [c.state_size as f64, c.checkpointed_size as f64, c.persisted_data as f64],
                    )
                })
                .collect();
            let max = sizes
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .fold(0.0, f64::max)
                .max(1.0);
            let (div, unit) = byte_scale(max);
            let mut bottom = chart(
                &bottom_area,
                "State and checkpoint sizes",
                0.0..x_end,
                0.0..max / div * 1.15,
                64,
            )?;
            faults |= time_axes(
                &mut bottom,
                "trigger time (s)",
                &format!("size ({unit})"),
                &s.faults,
                &s.recoveries,
            )?;
            if !sizes.is_empty() {
                legend.gap();
                // Bars a little narrower than the closest two checkpoints are apart.
                let gap = sizes.windows(2).map(|w| w[1].0 - w[0].0).fold(x_end / 20.0, f64::min);
                let half = gap * 0.3;
                bottom.draw_series(sizes.iter().map(|(t, v)| {
                    Rectangle::new(
                        [(t - half, 0.0), (t + half, v[0] / div)],
                        STATE_COLOR.mix(STATE_ALPHA).filled(),
                    )
                }))?;
                legend.add("state size (full)", Swatch::Box(STATE_COLOR, STATE_ALPHA));
                for (i, label, color) in [
                    (1, "checkpointed size", CHECKPOINTED_COLOR),
                    (2, "persisted in-flight", PERSISTED_COLOR),
                ] {
                    if i == 2 && sizes.iter().all(|(_, v)| v[2] == 0.0) {
                        continue;
                    }
                    let points: Vec<(f64, f64)> = sizes.iter().map(|(t, v)| (*t, v[i] / div)).collect();
                    bottom.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?;
                    bottom.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
                    legend.add(label, Swatch::Line(color));
                }
            }
            legend.faults(faults);
            Ok(())
        },
    )?;
    Ok(Plot {
        file: "checkpoints-over-time.svg".into(),
        title: title.into(),
        caption: "Each checkpoint at the time it was triggered: its end-to-end duration (failed ones as red crosses), \
                  then its full state size (bars), the size it uploaded (smaller for incremental checkpoints) and the \
                  in-flight data it persisted (unaligned checkpoints), which Flink counts in both sizes. Shaded: \
                  fault windows."
            .into(),
        svg,
    })
}
