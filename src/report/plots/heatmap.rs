//! Alignment heatmap: one cell per subtask and checkpoint, darker for a longer
//! blocking alignment, grey where the subtask did not acknowledge.

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::analysis::{CheckpointView, checkpoint_views, subtask_names};
use crate::report::record::RunRecord;
use crate::report::units::{ms, percentile};
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

/// The alignment (ms) the darkest shade stands for: the longest alignment drawn, but
/// at least 1 ms and a tenth of the median checkpoint's end-to-end duration, so that
/// an alignment too short to matter stays pale instead of filling the scale.
fn scale_top_ms(longest_ms: f64, views: &[CheckpointView]) -> f64 {
    let mut e2e: Vec<f64> = views
        .iter()
        .filter_map(|v| v.checkpoint.end_to_end_duration)
        .map(ms)
        .collect();
    let median = percentile(&mut e2e, 0.5).unwrap_or(0.0);
    longest_ms.max(1.0).max(median / 10.0)
}

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let views: Vec<_> = checkpoint_views(s)
        .into_iter()
        .filter(|v| !v.parts.is_empty())
        .collect();
    let mut legend = Legend::new("");
    let names = subtask_names(s);
    let rows = names.len();
    let height = (120 + 16 * rows as u32).clamp(320, 1400);
    let title = "Alignment by subtask and checkpoint";
    let mut legend_at = 0;
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
        let max = scale_top_ms(cells.iter().flatten().flatten().copied().fold(0.0, f64::max), &views);
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
                    Some(v) => shade(v / max),
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
        if cells.iter().flatten().any(Option::is_none) {
            legend.add("no ack", Swatch::Box(MISSING, 1.0));
        }
        legend_at = top + bar_h + 4;
        root.present()?;
        Ok(())
    })?;
    let svg = legend.write_into(svg, (WIDTH - LEGEND_WIDTH) as i32, legend_at);
    Ok(Plot {
        file: "alignment-heatmap.svg".into(),
        title: title.into(),
        caption: "Blocking alignment of each subtask in each checkpoint: from its first barrier to the snapshot \
                  decision (the last barrier, or the switch to unaligned). The darkest shade is the longest \
                  alignment, or a tenth of the median checkpoint's duration when that is longer, so that \
                  alignments too short to matter stay pale. A dark row is a subtask whose inputs deliver barriers \
                  unevenly; a dark column, a checkpoint under backpressure."
            .into(),
        svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alignment that is a sliver of the checkpoint's time is drawn pale, and a
    /// run without any alignment still has a scale (not 0 to 0).
    #[test]
    fn an_alignment_too_short_to_matter_stays_pale() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");
        let outcome = crate::run::run(crate::scenario::load_file(path.as_ref()).unwrap()).unwrap();
        let views = checkpoint_views(&outcome.summary);
        let longest = views
            .iter()
            .flat_map(|v| v.parts.iter().map(|b| ms(b.alignment_ns)))
            .fold(0.0, f64::max);
        // Well under a millisecond against checkpoints of about 40 ms.
        assert!(longest > 0.0 && longest < 1.0, "{longest}");
        assert!(longest / scale_top_ms(longest, &views) <= 0.25);
        assert_eq!(scale_top_ms(0.0, &[]), 1.0);
    }
}
