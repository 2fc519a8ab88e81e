//! The report's plots, drawn with plotters into SVG strings. Text is written as SVG
//! `<text>` and laid out by the browser, so no font file is ever read. Every plot
//! with a time axis shades the run's fault windows and marks its recoveries.

mod gantt;
mod heatmap;
mod latency;
mod over_time;
mod phases;
pub mod style;
pub mod svg;
pub mod sweep;
pub mod sweep_objective;
mod throughput;

use super::record::RunRecord;
use std::error::Error;

pub use style::SVG_FONT;

/// One plot of a report: its file name, its heading and the SVG text.
#[derive(Clone, Debug)]
pub struct Plot {
    pub file: String,
    pub title: String,
    /// One or two sentences under the heading: how to read the plot.
    pub caption: String,
    pub svg: String,
}

type DrawResult = Result<(), Box<dyn Error>>;

/// Runs a drawing function against an SVG backend of the given size.
pub fn draw_svg(draw: impl FnOnce(&mut String) -> DrawResult) -> Result<String, String> {
    let mut svg = String::new();
    draw(&mut svg).map_err(|e| format!("drawing a plot failed: {e}"))?;
    Ok(svg)
}

/// Draws a plot of `size` on white, then writes the legend `draw` filled while it
/// drew beside it, from `legend_x` across.
pub fn draw_with_legend(
    size: (u32, u32),
    mut legend: style::Legend,
    legend_x: i32,
    draw: impl FnOnce(&style::Area, &mut style::Legend) -> DrawResult,
) -> Result<String, String> {
    use plotters::prelude::*;
    let svg = draw_svg(|buf| {
        let root = style::Svg::with_string(buf, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root, &mut legend)?;
        root.present()?;
        Ok(())
    })?;
    Ok(legend.write_into(svg, legend_x, 0))
}

/// The plot kinds of a run report, in page order.
pub const RUN_PLOTS: [&str; 6] = [
    "phases.svg",
    "timeline.svg",
    "checkpoints-over-time.svg",
    "throughput-backpressure.svg",
    "record-latency.svg",
    "alignment-heatmap.svg",
];

/// Draws one plot of a run report by its file name.
pub fn draw_run_plot(file: &str, record: &RunRecord) -> Result<Plot, String> {
    match file {
        "phases.svg" => phases::plot(record),
        "timeline.svg" => gantt::plot(record),
        "checkpoints-over-time.svg" => over_time::plot(record),
        "throughput-backpressure.svg" => throughput::plot(record),
        "record-latency.svg" => latency::plot(record),
        "alignment-heatmap.svg" => heatmap::plot(record),
        other => Err(format!("no plot named {other}")),
    }
}
