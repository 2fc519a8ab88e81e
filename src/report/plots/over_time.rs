//! Checkpoints over the run: end-to-end duration on top; state size, checkpointed
//! (uploaded) size and persisted in-flight data below; faults and recoveries marked.

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::analysis::checkpoint_views;
use crate::report::record::RunRecord;
use crate::report::units::{byte_scale, ms};
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;
const LEGEND_WIDTH: u32 = 200;

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let views = checkpoint_views(s);
    let title = "Checkpoints over time";
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        if views.is_empty() {
            return empty(&root, title, "checkpointing is off in this run");
        }
        let (left, right) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
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
        time_axes(&mut top, "trigger time (s)", "duration (ms)", &s.faults, &s.recoveries)?;
        top.draw_series(LineSeries::new(
            completed.iter().copied(),
            SERIES_COLORS[0].stroke_width(2),
        ))?;
        top.draw_series(completed.iter().map(|p| Circle::new(*p, 3, SERIES_COLORS[0].filled())))?;
        top.draw_series(failed.iter().map(|p| Cross::new(*p, 5, FAULT_COLOR.stroke_width(2))))?;

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
        time_axes(
            &mut bottom,
            "trigger time (s)",
            &format!("size ({unit})"),
            &s.faults,
            &s.recoveries,
        )?;
        for (i, color) in [SERIES_COLORS[0], SERIES_COLORS[1], SERIES_COLORS[3]]
            .into_iter()
            .enumerate()
        {
            let points: Vec<(f64, f64)> = sizes.iter().map(|(t, v)| (*t, v[i] / div)).collect();
            bottom.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?;
            bottom.draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }

        let mut entries = vec![
            ("end-to-end (completed)".to_string(), Swatch::Line(SERIES_COLORS[0])),
            ("failed checkpoint ×".to_string(), Swatch::Line(FAULT_COLOR)),
            (String::new(), Swatch::Box(WHITE, 0.0)),
            ("state size".to_string(), Swatch::Line(SERIES_COLORS[0])),
            ("checkpointed size".to_string(), Swatch::Line(SERIES_COLORS[1])),
            ("persisted in-flight".to_string(), Swatch::Line(SERIES_COLORS[3])),
        ];
        entries.extend(fault_legend(&s.faults, &s.recoveries));
        legend(&right, "", &entries)?;
        root.present()?;
        Ok(())
    })?;
    Ok(Plot {
        file: "checkpoints-over-time.svg".into(),
        title: title.into(),
        caption: "Each checkpoint at the time it was triggered: its end-to-end duration (failed ones as red crosses), \
                  then the full state size, the size it uploaded (smaller for incremental checkpoints) and the \
                  in-flight data it persisted (unaligned checkpoints). Shaded: fault windows."
            .into(),
        svg,
    })
}
