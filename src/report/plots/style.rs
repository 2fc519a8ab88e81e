//! Colours, fonts, legends and the fault/recovery markings shared by every plot.

pub use super::svg::Svg;
use crate::report::units::escape;
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

/// What a legend entry looks like: the mark of the series it names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A filled box: bars, areas, shaded windows (colour, opacity).
    Box(RGBColor, f64),
    /// A line: a series drawn as a line, or a vertical marker.
    Line(RGBColor),
    /// A cross: points drawn as crosses.
    Cross(RGBColor),
    /// A circle: points drawn as dots (filled) or rings (not).
    Dot(RGBColor, bool),
    /// Words only, no mark: how to read the plot.
    Note,
}

/// What [`shade_faults`] drew on an axis, for the legend.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultsDrawn {
    pub windows: bool,
    pub failed: bool,
    pub running: bool,
}

impl std::ops::BitOrAssign for FaultsDrawn {
    fn bitor_assign(&mut self, other: Self) {
        self.windows |= other.windows;
        self.failed |= other.failed;
        self.running |= other.running;
    }
}

/// A plot's legend, filled while the plot draws its series, so that it names exactly
/// what is drawn, each with the mark it is drawn with. It is written beside the plot
/// (never over data) as one `<g class="legend">` element.
pub struct Legend {
    heading: String,
    entries: Vec<(String, Swatch)>,
}

impl Legend {
    pub fn new(heading: &str) -> Self {
        Self {
            heading: heading.to_string(),
            entries: Vec::new(),
        }
    }

    /// An entry, once: drawing the same series twice names it once.
    pub fn add(&mut self, label: &str, swatch: Swatch) {
        if !self.entries.iter().any(|(l, s)| l == label && *s == swatch) {
            self.entries.push((label.to_string(), swatch));
        }
    }

    /// Words without a mark.
    pub fn note(&mut self, text: &str) {
        self.entries.push((text.to_string(), Swatch::Note));
    }

    /// An empty line between groups of entries (none at the start or twice).
    pub fn gap(&mut self) {
        if self.entries.last().is_some_and(|(l, _)| !l.is_empty()) {
            self.entries.push((String::new(), Swatch::Note));
        }
    }

    /// The entries for what [`shade_faults`] drew.
    pub fn faults(&mut self, drawn: FaultsDrawn) {
        if drawn.windows || drawn.failed || drawn.running {
            self.gap();
        }
        if drawn.windows {
            self.add("fault window", Swatch::Box(FAULT_COLOR, FAULT_ALPHA));
        }
        if drawn.failed {
            self.add("tasks failed", Swatch::Line(FAULT_COLOR));
        }
        if drawn.running {
            self.add("running again", Swatch::Line(RECOVERED_COLOR));
        }
    }

    /// `svg` (a whole drawing) with the legend written at (`x`, `y`).
    pub fn write_into(&self, mut svg: String, x: i32, y: i32) -> String {
        use std::fmt::Write;
        if self.entries.is_empty() {
            return svg;
        }
        if svg.ends_with("</svg>\n") {
            svg.truncate(svg.len() - "</svg>\n".len());
        }
        let font = format!(
            "font-family=\"{SVG_FONT}\" font-size=\"{}\" fill=\"{}\"",
            LABEL_SIZE as f64 / 1.24,
            hex(TEXT_COLOR)
        );
        let _ = writeln!(svg, "<g class=\"legend\">");
        let mut at = y + 28;
        if !self.heading.is_empty() {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{at}\" dy=\"0.5ex\" text-anchor=\"start\" {font}>{}</text>",
                x + 8,
                escape(&self.heading)
            );
            at += 24;
        }
        // Labels wider than the space beside the plot continue on the next line.
        let room = svg_width(&svg).saturating_sub(x + 34 + 4).max(1) as usize;
        for (label, swatch) in &self.entries {
            let (left, text_x) = (x + 8, x + 34);
            match swatch {
                Swatch::Box(color, alpha) => {
                    let opacity = if *alpha < 1.0 {
                        format!(" opacity=\"{alpha}\"")
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"14\"{opacity} fill=\"{}\" stroke=\"none\"/>",
                        left + 2,
                        at - 7,
                        hex(*color)
                    );
                }
                Swatch::Line(color) => {
                    let _ = writeln!(
                        svg,
                        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"3\" points=\"{left},{at} {},{at} \"/>",
                        hex(*color),
                        left + 20
                    );
                }
                Swatch::Cross(color) => {
                    for (y0, y1) in [(at - 5, at + 5), (at + 5, at - 5)] {
                        let _ = writeln!(
                            svg,
                            "<line stroke=\"{}\" stroke-width=\"2\" x1=\"{}\" y1=\"{y0}\" x2=\"{}\" y2=\"{y1}\"/>",
                            hex(*color),
                            left + 5,
                            left + 15
                        );
                    }
                }
                Swatch::Dot(color, filled) => {
                    let paint = if *filled {
                        format!("fill=\"{}\" stroke=\"none\"", hex(*color))
                    } else {
                        format!("fill=\"none\" stroke=\"{}\" stroke-width=\"2\"", hex(*color))
                    };
                    let _ = writeln!(svg, "<circle cx=\"{}\" cy=\"{at}\" r=\"6\" {paint}/>", left + 10);
                }
                Swatch::Note => {}
            }
            let (text_x, room) = if *swatch == Swatch::Note {
                (left, room + 26)
            } else {
                (text_x, room)
            };
            for (i, line) in wrap(label, room).iter().enumerate() {
                if i > 0 {
                    at += 18;
                }
                let _ = writeln!(
                    svg,
                    "<text x=\"{text_x}\" y=\"{at}\" dy=\"0.5ex\" text-anchor=\"start\" {font}>{}</text>",
                    escape(line)
                );
            }
            at += 22;
        }
        svg.push_str("</g>\n</svg>\n");
        svg
    }
}

/// About how wide a line of text is in the browser's sans-serif font, in pixels:
/// an average character is a little over half the font size wide.
pub fn text_width(text: &str, font_px: f64) -> f64 {
    text.chars().count() as f64 * font_px * 0.55
}

/// The width attribute of a drawing.
fn svg_width(svg: &str) -> i32 {
    svg.strip_prefix("<svg width=\"")
        .and_then(|rest| rest.split('"').next())
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

/// `text` cut into lines of at most `room` pixels of legend text, between words.
fn wrap(text: &str, room: usize) -> Vec<String> {
    let font_px = LABEL_SIZE as f64 / 1.24;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_inclusive(' ') {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line}{}", word.trim_end()), font_px) <= room as f64 => {
                line.push_str(word)
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
        .iter()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A colour as SVG writes it.
fn hex(color: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2)
}

/// How strongly a fault's window is shaded.
pub const FAULT_ALPHA: f64 = 0.18;

/// The axes of a chart over the run's time in seconds: grid and labels, and the run's
/// fault windows and recoveries shaded, as every time axis of a report has them.
pub fn time_axes(
    chart: &mut Chart,
    x_desc: &str,
    y_desc: &str,
    faults: &[FaultRecord],
    recoveries: &[RecoveryRecord],
) -> Result<FaultsDrawn, Box<dyn Error>> {
    mesh(chart, x_desc, y_desc, &|x| axis_number(*x), &|y| axis_number(*y), 12, 6)?;
    shade_faults(chart, faults, recoveries, secs)
}

/// Shades each fault's window and marks each recovery on a chart whose x axis is
/// time; `x_of` maps virtual time to the axis. A fault without an end is shaded to
/// the axis' end; what falls outside the axis is not drawn. Returns what was drawn.
pub fn shade_faults(
    chart: &mut Chart,
    faults: &[FaultRecord],
    recoveries: &[RecoveryRecord],
    x_of: impl Fn(Nanos) -> f64,
) -> Result<FaultsDrawn, Box<dyn Error>> {
    let mut drawn = FaultsDrawn::default();
    let xr = chart.x_range();
    let yr = chart.y_range();
    let clamp = |x: f64| x.clamp(xr.start, xr.end);
    // Each window's label at its left edge; windows starting close together share
    // one label, which would otherwise print over each other.
    let mut labels: Vec<(f64, String)> = Vec::new();
    for f in faults {
        let (from, to) = (x_of(f.at_ns), f.until_ns.map_or(xr.end, &x_of));
        if from >= xr.end || to < xr.start {
            continue;
        }
        let start = clamp(from);
        let end = clamp(to);
        // A fault at an instant still gets a visible sliver.
        let end = if end - start < (xr.end - xr.start) * 0.003 {
            clamp(start + (xr.end - xr.start) * 0.003)
        } else {
            end
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start, yr.start), (end, yr.end)],
            FAULT_COLOR.mix(FAULT_ALPHA).filled(),
        )))?;
        drawn.windows = true;
        let near = (xr.end - xr.start) * 0.12;
        match labels.iter_mut().find(|(x, _)| (x - start).abs() < near) {
            Some((_, label)) if !label.split(", ").any(|k| k == f.kind) => {
                label.push_str(", ");
                label.push_str(&f.kind);
            }
            Some(_) => {}
            None => labels.push((start, f.kind.clone())),
        }
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
            if color == FAULT_COLOR {
                drawn.failed = true;
            } else {
                drawn.running = true;
            }
        }
    }
    // Labels last, over the recovery markers that may cross them.
    for (start, label) in labels {
        chart.draw_series(std::iter::once(Text::new(
            label,
            // Just right of the window's edge, clear of a recovery marker drawn on it.
            (start + (xr.end - xr.start) * 0.004, yr.end),
            text(12).color(&FAULT_COLOR).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    Ok(drawn)
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
