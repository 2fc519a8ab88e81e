//! Colours, fonts, legends and the fault/recovery markings shared by every plot.

pub use super::svg::Svg;
use crate::sim::Nanos;
use crate::stats::faults::{FaultRecord, RecoveryRecord};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
pub use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::error::Error;

/// A generic family: the browser picks its own sans-serif font, no font file is read.
pub const SVG_FONT: &str = "sans-serif";

pub const TITLE_SIZE: u32 = 22;
pub const LABEL_SIZE: u32 = 16;
pub const DESC_SIZE: u32 = 17;

/// One colour per phase, in [`super::super::analysis::PHASES`] order: waiting in grey
/// and warm colours, work in cool ones.
pub const PHASE_COLORS: [RGBColor; 7] = [
    RGBColor(0xba, 0xb0, 0xac), // start delay
    RGBColor(0xf2, 0x8e, 0x2b), // alignment
    RGBColor(0xed, 0xc9, 0x48), // snapshot wait
    RGBColor(0xe1, 0x57, 0x59), // sync
    RGBColor(0x4e, 0x79, 0xa7), // async
    RGBColor(0x76, 0xb7, 0xb2), // ack transit
    RGBColor(0x59, 0xa1, 0x4f), // finalize
];

pub const SERIES_COLORS: [RGBColor; 8] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xed, 0xc9, 0x48),
];

pub const FAULT_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);
pub const RECOVERED_COLOR: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
pub const GRID_COLOR: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const TEXT_COLOR: RGBColor = RGBColor(0x33, 0x33, 0x33);

pub type Chart<'a, 'b> = ChartContext<'a, Svg<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
pub type Area<'b> = DrawingArea<Svg<'b>, Shift>;

pub fn text(size: u32) -> TextStyle<'static> {
    (SVG_FONT, size).into_font().color(&TEXT_COLOR)
}

/// A chart with the report's look: title, axis descriptions with units, light grid.
pub fn chart<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    y_label_width: u32,
) -> Result<Chart<'a, 'b>, Box<dyn Error>> {
    Ok(ChartBuilder::on(area)
        .caption(title, (SVG_FONT, TITLE_SIZE).into_font().color(&TEXT_COLOR))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)?)
}

/// What a legend entry looks like.
#[derive(Clone, Copy)]
pub enum Swatch {
    Box(RGBColor, f64),
    Line(RGBColor),
}

/// A legend in its own area (beside the plot, so it never hides data).
pub fn legend(area: &Area, heading: &str, entries: &[(String, Swatch)]) -> Result<(), Box<dyn Error>> {
    let mut y = 28;
    if !heading.is_empty() {
        area.draw(&Text::new(
            heading.to_string(),
            (8, y),
            text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += 24;
    }
    for (label, swatch) in entries {
        match swatch {
            Swatch::Box(color, alpha) => {
                area.draw(&Rectangle::new([(10, y - 7), (26, y + 7)], color.mix(*alpha).filled()))?;
            }
            Swatch::Line(color) => {
                area.draw(&PathElement::new(vec![(8, y), (28, y)], color.stroke_width(3)))?;
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (34, y),
            text(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += 22;
    }
    Ok(())
}

/// Legend entries for fault shading and recovery markers, when the run had any.
pub fn fault_legend(faults: &[FaultRecord], recoveries: &[RecoveryRecord]) -> Vec<(String, Swatch)> {
    let mut out = Vec::new();
    if !faults.is_empty() {
        out.push(("fault window".to_string(), Swatch::Box(FAULT_COLOR, 0.18)));
    }
    if !recoveries.is_empty() {
        out.push(("tasks failed".to_string(), Swatch::Line(FAULT_COLOR)));
        out.push(("running again".to_string(), Swatch::Line(RECOVERED_COLOR)));
    }
    out
}

/// Shades each fault's window and marks each recovery on a time axis; `x_of` maps
/// The axes of a chart over the run's time in seconds: grid and labels, and the run's
/// fault windows and recoveries shaded, as every time axis of a report has them.
pub fn time_axes(
    chart: &mut Chart,
    x_desc: &str,
    y_desc: &str,
    faults: &[FaultRecord],
    recoveries: &[RecoveryRecord],
) -> Result<(), Box<dyn Error>> {
    mesh(chart, x_desc, y_desc, &|x| axis_number(*x), &|y| axis_number(*y), 12, 6)?;
    shade_faults(chart, faults, recoveries, secs)
}
/// virtual time to the axis. A fault without an end is shaded to the axis' end.
pub fn shade_faults(
    chart: &mut Chart,
    faults: &[FaultRecord],
    recoveries: &[RecoveryRecord],
    x_of: impl Fn(Nanos) -> f64,
) -> Result<(), Box<dyn Error>> {
    let xr = chart.x_range();
    let yr = chart.y_range();
    let clamp = |x: f64| x.clamp(xr.start, xr.end);
    for f in faults {
        let start = clamp(x_of(f.at_ns));
        let end = f.until_ns.map_or(xr.end, |u| clamp(x_of(u)));
        // A fault at an instant still gets a visible sliver.
        let end = if end - start < (xr.end - xr.start) * 0.003 {
            clamp(start + (xr.end - xr.start) * 0.003)
        } else {
            end
        };
        if start >= xr.end || end <= xr.start {
            continue;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start, yr.start), (end, yr.end)],
            FAULT_COLOR.mix(0.18).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            f.kind.clone(),
            // Just right of the window's edge, clear of a recovery marker drawn on it.
            (start + (xr.end - xr.start) * 0.004, yr.end),
            text(12).color(&FAULT_COLOR).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    for r in recoveries {
        let marks = [(Some(r.failed_at_ns), FAULT_COLOR), (r.running_at_ns, RECOVERED_COLOR)];
        for (at, color) in marks {
            let Some(at) = at else { continue };
            let x = x_of(at);
            if x < xr.start || x > xr.end {
                continue;
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, yr.start), (x, yr.end)],
                color.stroke_width(2),
            )))?;
        }
    }
    Ok(())
}

/// The mesh every chart uses: light grid, axis descriptions with units.
pub fn mesh(
    chart: &mut Chart,
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
    x_labels: usize,
    y_labels: usize,
) -> Result<(), Box<dyn Error>> {
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID_COLOR)
        .axis_style(RGBColor(0x88, 0x88, 0x88))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .x_labels(x_labels)
        .y_labels(y_labels)
        .label_style(text(LABEL_SIZE))
        .axis_desc_style(text(DESC_SIZE))
        .draw()?;
    Ok(())
}

/// A short number for an axis label: no trailing zeros, thousands as k.
pub fn axis_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A message in place of a plot when the run has nothing to show in it.
pub fn empty(area: &Area, title: &str, message: &str) -> Result<(), Box<dyn Error>> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 24),
        text(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    area.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        text(LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// The end of a run's time axes: the last thing worth seeing (a sample, a checkpoint's
/// end, a fault or recovery), not the virtual clock's end, which a pending timer can
/// leave far behind the job.
pub fn time_extent(s: &crate::stats::run::RunSummary) -> Nanos {
    let mut end = s.input_duration_ns.max(s.sources_done_ns);
    end = end.max(s.samples.last().map_or(0, |p| p.time));
    if let Some(r) = &s.checkpoints {
        for c in &r.checkpoints {
            let done = c.trigger_timestamp + c.end_to_end_duration.unwrap_or(0) + c.finalize_duration.unwrap_or(0);
            end = end.max(done);
        }
    }
    for f in &s.faults {
        end = end.max(f.until_ns.unwrap_or(f.at_ns));
    }
    for r in &s.recoveries {
        end = end.max(r.running_at_ns.unwrap_or(r.failed_at_ns));
    }
    end.min(s.virtual_time_ns.max(1))
}

/// Seconds on a time axis.
pub fn secs(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}
