//! Alignment heatmap: one cell per subtask and checkpoint, darker for a longer
//! blocking alignment, grey where the subtask did not acknowledge.

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::analysis::{checkpoint_views, subtask_names};
use crate::report::record::RunRecord;
use crate::report::units::ms;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const LEGEND_WIDTH: u32 = 130;
const MISSING: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// White to dark blue.
fn shade(fraction: f64) -> RGBColor {
    let f = fraction.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let views: Vec<_> = checkpoint_views(s)
        .into_iter()
        .filter(|v| !v.parts.is_empty())
        .collect();
    let names = subtask_names(s);
    let rows = names.len();
    let height = (120 + 16 * rows as u32).clamp(320, 1400);
    let title = "Alignment by subtask and checkpoint";
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        if views.is_empty() || rows == 0 {
            return empty(
                &root,
                title,
                "no checkpoint was acknowledged by any subtask in this run",
            );
        }
        let (left, right) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let n = views.len();
        let mut cells = vec![vec![None; n]; rows];
        for (col, v) in views.iter().enumerate() {
            for b in &v.parts {
                if let Some(row) = cells.get_mut(b.subtask) {
                    row[col] = Some(ms(b.alignment_ns));
                }
            }
        }
        let max = cells.iter().flatten().flatten().copied().fold(0.0, f64::max);
        let name_width = names.iter().map(|l| l.len()).max().unwrap_or(4) as u32 * 8 + 16;
        let mut chart = chart(
            &left,
            title,
            -0.5..n as f64 - 0.5,
            -0.5..rows as f64 - 0.5,
            name_width.clamp(60, 220),
        )?;
        let ids: Vec<u64> = views.iter().map(|v| v.checkpoint.id).collect();
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                ids[i as usize].to_string()
            } else {
                String::new()
            }
        };
        let y_fmt = |y: &f64| {
            let r = y.round();
            if (y - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < rows {
                names[rows - 1 - r as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(RGBColor(0x88, 0x88, 0x88))
            .x_desc("checkpoint id")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_labels(n.min(25))
            .y_labels(rows.min(40))
            .label_style(text(LABEL_SIZE))
            .axis_desc_style(text(DESC_SIZE))
            .draw()?;
        chart.draw_series(cells.iter().enumerate().flat_map(|(row, line)| {
            let y = (rows - 1 - row) as f64;
            line.iter().enumerate().map(move |(col, cell)| {
                let color = match cell {
                    Some(v) if max > 0.0 => shade(v / max),
                    Some(_) => shade(0.0),
                    None => MISSING,
                };
                let x = col as f64;
                Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], color.filled())
            })
        }))?;

        // Colour scale.
        let top = 60;
        let bar_h = (height as i32 - 180).max(100);
        right.draw(&Text::new(
            "alignment (ms)".to_string(),
            (8, 30),
            text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        let steps = 40;
        for i in 0..steps {
            let y0 = top + bar_h * i / steps;
            let y1 = top + bar_h * (i + 1) / steps;
            right.draw(&Rectangle::new(
                [(12, y0), (36, y1 + 1)],
                shade(1.0 - i as f64 / steps as f64).filled(),
            ))?;
        }
        right.draw(&Rectangle::new(
            [(12, top), (36, top + bar_h)],
            RGBColor(0x88, 0x88, 0x88),
        ))?;
        for (frac, value) in [(0.0, max), (0.5, max / 2.0), (1.0, 0.0)] {
            let y = top + (bar_h as f64 * frac) as i32;
            right.draw(&Text::new(
                axis_number(value),
                (42, y),
                text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        right.draw(&Rectangle::new(
            [(12, top + bar_h + 20), (36, top + bar_h + 36)],
            MISSING.filled(),
        ))?;
        right.draw(&Text::new(
            "no ack".to_string(),
            (42, top + bar_h + 28),
            text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        root.present()?;
        Ok(())
    })?;
    Ok(Plot {
        file: "alignment-heatmap.svg".into(),
        title: title.into(),
        caption: "Blocking alignment of each subtask in each checkpoint: from its first barrier to the snapshot \
                  decision (the last barrier, or the switch to unaligned). A dark row is a subtask whose inputs \
                  deliver barriers unevenly; a dark column, a checkpoint under backpressure."
            .into(),
        svg,
    })
}
