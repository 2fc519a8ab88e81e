//! Throughput and backpressure over the run, from the periodic samples: records per
//! second read by the sources and reaching the sinks, and how many subtasks had a
//! full output backlog.

use super::style::*;
use super::{Plot, draw_svg};
use crate::report::record::RunRecord;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;
const LEGEND_WIDTH: u32 = 200;

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let title = "Throughput and backpressure";
    let svg = draw_svg(|buf| {
        let root = Svg::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        if s.samples.len() < 2 {
            return empty(&root, title, "the run took too few samples to show rates");
        }
        let (left, right) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let (top_area, bottom_area) = left.split_vertically(HEIGHT / 2);
        let x_end = secs(time_extent(s)).max(0.001) * 1.02;
        // Rates over a sliding window: buffers flush in bursts, so rates between single
        // samples would show the flushing rather than the flow.
        let period = s.samples[1].time.saturating_sub(s.samples[0].time).max(1);
        let window = (time_extent(s) / 80).max(period * 2);
        let mut rates: Vec<(f64, f64, f64)> = Vec::with_capacity(s.samples.len());
        let mut from = 0;
        for (i, p) in s.samples.iter().enumerate() {
            while s.samples[from].time + window < p.time {
                from += 1;
            }
            let q = &s.samples[from];
            if i == from || p.time <= q.time {
                continue;
            }
            let dt = secs(p.time - q.time);
            rates.push((
                secs(p.time),
                p.source_records.saturating_sub(q.source_records) as f64 / dt,
                p.sink_records.saturating_sub(q.sink_records) as f64 / dt,
            ));
        }
        let y_top = rates.iter().map(|r| r.1.max(r.2)).fold(0.0, f64::max).max(1.0) * 1.15;
        let top_title = format!("Throughput (over {} windows)", crate::report::units::duration(window));
        let mut top = chart(&top_area, &top_title, 0.0..x_end, 0.0..y_top, 64)?;
        time_axes(&mut top, "time (s)", "records/s", &s.faults, &s.recoveries)?;
        top.draw_series(LineSeries::new(
            rates.iter().map(|r| (r.0, r.1)),
            SERIES_COLORS[0].stroke_width(2),
        ))?;
        top.draw_series(LineSeries::new(
            rates.iter().map(|r| (r.0, r.2)),
            SERIES_COLORS[2].stroke_width(2),
        ))?;
        if s.offered_rate_per_s > 0.0 {
            let offered_until = secs(s.input_duration_ns);
            top.draw_series(LineSeries::new(
                [(0.0, s.offered_rate_per_s), (offered_until, s.offered_rate_per_s)],
                RGBColor(0x55, 0x55, 0x55).stroke_width(1),
            ))?;
        }

        let total = s.subtasks.len().max(1) as f64;
        let mut bottom = chart(&bottom_area, "Backpressured subtasks", 0.0..x_end, 0.0..total * 1.1, 64)?;
        time_axes(
            &mut bottom,
            "time (s)",
            "subtasks with a full output",
            &s.faults,
            &s.recoveries,
        )?;
        // Steps: the count holds until the next sample. A run of equal counts is one
        // step, so a run without backpressure draws a flat line of two points.
        let mut steps: Vec<(f64, f64)> = Vec::with_capacity(s.samples.len() * 2);
        for w in s.samples.windows(2) {
            let v = w[0].backpressured_subtasks as f64;
            match steps.last_mut() {
                Some(last) if last.1 == v => last.0 = secs(w[1].time),
                _ => {
                    steps.push((secs(w[0].time), v));
                    steps.push((secs(w[1].time), v));
                }
            }
        }
        bottom.draw_series(AreaSeries::new(steps, 0.0, SERIES_COLORS[3].mix(0.35)).border_style(SERIES_COLORS[3]))?;

        let mut entries = vec![
            ("read by sources".to_string(), Swatch::Line(SERIES_COLORS[0])),
            ("reached sinks".to_string(), Swatch::Line(SERIES_COLORS[2])),
            ("offered load".to_string(), Swatch::Line(RGBColor(0x55, 0x55, 0x55))),
            (String::new(), Swatch::Box(WHITE, 0.0)),
            ("backpressured".to_string(), Swatch::Box(SERIES_COLORS[3], 0.35)),
        ];
        entries.extend(fault_legend(&s.faults, &s.recoveries));
        legend(&right, "", &entries)?;
        root.present()?;
        Ok(())
    })?;
    Ok(Plot {
        file: "throughput-backpressure.svg".into(),
        title: title.into(),
        caption: format!(
            "Records per second between samples, and the number of the job's {} subtasks whose output backlog was \
             full (Flink's backpressure). Sources falling below the offered load are being held back.",
            s.subtasks.len()
        ),
        svg,
    })
}
