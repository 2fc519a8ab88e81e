//! Record latency over the run: per sampling period, the p50, p99 and maximum time
//! from a record's append to its source partition to its arrival at a sink, from
//! the latencies each sample took of the records that arrived since the one before.

use super::style::*;
use super::{Plot, draw_with_legend};
use crate::model::world::Sample;
use crate::report::record::RunRecord;
use crate::sim::Nanos;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 340;
const LEGEND_WIDTH: u32 = 200;

/// The three lines, in drawing order, with their widths and the quantile each shows
/// (index into [`quantiles`]): the maximum is often the p99 itself, so it is drawn
/// first and wider, a red edge around the p99 where they meet.
const SERIES: [(&str, RGBColor, u32, usize); 3] = [
    ("max", SERIES_COLORS[3], 5, 2),
    ("p99", SERIES_COLORS[1], 2, 1),
    ("p50", SERIES_COLORS[0], 2, 0),
];

fn quantiles(p: &Sample) -> [u64; 3] {
    [p.latency.p50_ns, p.latency.p99_ns, p.latency.max_ns]
}

/// A time unit for an axis whose largest value is `max_ns`: (nanoseconds per unit, unit).
pub fn duration_scale(max_ns: f64) -> (f64, &'static str) {
    if max_ns >= 2e9 { (1e9, "s") } else { (1e6, "ms") }
}

/// The samples at which records reached a sink, in runs drawn as one line each.
/// Records reach the sinks in bursts, so a period without arrivals between two
/// with them is skipped over; the line breaks where nothing arrived for longer than
/// `longest_gap` (the throughput plot's window: a stop, not a pause between bursts).
fn arrival_runs(samples: &[Sample], longest_gap: Nanos) -> Vec<Vec<&Sample>> {
    let mut runs: Vec<Vec<&Sample>> = Vec::new();
    for p in samples.iter().filter(|p| p.latency.records > 0) {
        match runs.last_mut() {
            Some(run) if run.last().is_some_and(|q| p.time - q.time <= longest_gap) => run.push(p),
            _ => runs.push(vec![p]),
        }
    }
    runs
}

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let title = "Record latency";
    let svg = draw_with_legend(
        (WIDTH, HEIGHT),
        Legend::new("per sampling period"),
        (WIDTH - LEGEND_WIDTH) as i32,
        |root, legend| {
            let runs = arrival_runs(&s.samples, super::throughput::rates(s).0);
            if runs.is_empty() {
                return empty(root, title, "no record reached a sink between two samples");
            }
            let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let x_end = secs(time_extent(s)).max(0.001) * 1.02;
            let max = runs
                .iter()
                .flat_map(|run| run.iter())
                .map(|p| p.latency.max_ns)
                .max()
                .unwrap_or(0) as f64;
            let (div, unit) = duration_scale(max);
            let y_top = (max / div).max(0.001) * 1.15;
            let mut chart = chart(&left, "End-to-end record latency", 0.0..x_end, 0.0..y_top, 64)?;
            let faults = time_axes(
                &mut chart,
                "time (s)",
                &format!("latency ({unit})"),
                &s.faults,
                &s.recoveries,
            )?;
            for (label, color, width, i) in SERIES {
                for run in &runs {
                    let points: Vec<(f64, f64)> = run
                        .iter()
                        .map(|p| (secs(p.time), quantiles(p)[i] as f64 / div))
                        .collect();
                    // A lone period between gaps is a line of one point: mark it.
                    if let [point] = points[..] {
                        chart.draw_series(std::iter::once(Circle::new(point, 3, color.filled())))?;
                    }
                    chart.draw_series(LineSeries::new(points, color.stroke_width(width)))?;
                }
                legend.add(label, Swatch::Line(color));
            }
            legend.faults(faults);
            Ok(())
        },
    )?;
    Ok(Plot {
        file: "record-latency.svg".into(),
        title: title.into(),
        caption: format!(
            "Time from a record's append to its source partition to its arrival at a sink (event time to sink), over \
             the records that arrived in each sampling period: median, 99th percentile and maximum. Over the whole \
             run: p50 {}, p99 {}, max {} of {} records. A gap: no record arrived for longer than the throughput \
             plot's window.",
            crate::report::units::duration(s.latency.p50_ns),
            crate::report::units::duration(s.latency.p99_ns),
            crate::report::units::duration(s.latency.max_ns),
            s.latency.records
        ),
        svg,
    })
}
