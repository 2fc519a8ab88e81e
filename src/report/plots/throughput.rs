//! Throughput and backpressure over the run, from the periodic samples: records per
//! second read by the sources and reaching the sinks, and how many subtasks had a
//! full output backlog.

use super::style::*;
use super::{Plot, draw_with_legend};
use crate::model::world::Sample;
use crate::report::record::RunRecord;
use crate::sim::Nanos;
use crate::stats::run::RunSummary;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;
const LEGEND_WIDTH: u32 = 200;

const READ_COLOR: RGBColor = SERIES_COLORS[0];
const SINK_COLOR: RGBColor = SERIES_COLORS[2];
const OFFERED_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Not the red of fault windows, which the same panel may shade.
const BACKPRESSURE_COLOR: RGBColor = SERIES_COLORS[1];
const BACKPRESSURE_ALPHA: f64 = 0.35;

/// One point of the throughput lines: time, records per second read by the sources
/// and reaching the sinks over the window before it.
pub type Rate = (Nanos, f64, f64);

/// One of a sample's record counters.
type Counter = fn(&Sample) -> u64;

/// The times of the samples at which `count` had grown since the sample before.
fn counted_at(samples: &[Sample], count: Counter) -> Vec<Nanos> {
    samples
        .windows(2)
        .filter(|w| count(&w[1]) > count(&w[0]))
        .map(|w| w[1].time)
        .collect()
}

/// The window the rates are taken over, and the rates at every sample.
///
/// Records move in buffers, and a backpressured source reads a burst whenever
/// credit comes back, then nothing until the next: a window shorter than the pause
/// between two bursts shows 0 records/s in every other window while records flow.
/// So the window is at least the longest pause between two samples that counted
/// records, while the job runs (outside fault windows and recoveries, where records
/// really stop), and at least an eightieth of the run and two sample periods; at most
/// an eighth of the run, so that a long stall still shows.
///
/// The window is a whole number of sample periods and each rate is the count over
/// exactly that many periods: a window between two multiples would take some rates
/// over one period fewer than others, and over less time than the title says.
pub fn rates(s: &RunSummary) -> (Nanos, Vec<Rate>) {
    if s.samples.len() < 2 {
        return (0, Vec::new());
    }
    let extent = time_extent(s);
    let period = s.samples[1].time.saturating_sub(s.samples[0].time).max(1);
    let stopped = |from: Nanos, to: Nanos| {
        s.faults
            .iter()
            .any(|f| f.at_ns < to && f.until_ns.unwrap_or(Nanos::MAX) > from)
            || s.recoveries
                .iter()
                .any(|r| r.failed_at_ns < to && r.running_at_ns.unwrap_or(Nanos::MAX) > from)
    };
    let longest_pause = |count: Counter| {
        counted_at(&s.samples, count)
            .windows(2)
            .filter(|w| !stopped(w[0], w[1]))
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    };
    let pause = longest_pause(|p| p.source_records).max(longest_pause(|p| p.sink_records));
    let wanted = (extent / 80).max(pause).min(extent / 8);
    let periods = wanted.div_ceil(period).max(2) as usize;
    let out = s
        .samples
        .windows(periods + 1)
        .filter_map(|w| {
            let (q, p) = (&w[0], &w[periods]);
            let dt = secs(p.time.checked_sub(q.time).filter(|dt| *dt > 0)?);
            Some((
                p.time,
                p.source_records.saturating_sub(q.source_records) as f64 / dt,
                p.sink_records.saturating_sub(q.sink_records) as f64 / dt,
            ))
        })
        .collect();
    (period * periods as Nanos, out)
}

pub fn plot(record: &RunRecord) -> Result<Plot, String> {
    let s = &record.summary;
    let title = "Throughput and backpressure";
    let svg = draw_with_legend(
        (WIDTH, HEIGHT),
        Legend::new(""),
        (WIDTH - LEGEND_WIDTH) as i32,
        |root, legend| {
            if s.samples.len() < 2 {
                return empty(root, title, "the run took too few samples to show rates");
            }
            let (left, _legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let (top_area, bottom_area) = left.split_vertically(HEIGHT / 2);
            let x_end = secs(time_extent(s)).max(0.001) * 1.02;
            let (window, rates) = rates(s);
            let y_top = rates.iter().map(|r| r.1.max(r.2)).fold(0.0, f64::max).max(1.0) * 1.15;
            let top_title = format!("Throughput (over {} windows)", crate::report::units::duration(window));
            let mut top = chart(&top_area, &top_title, 0.0..x_end, 0.0..y_top, 64)?;
            let mut faults = time_axes(&mut top, "time (s)", "records/s", &s.faults, &s.recoveries)?;
            for (label, color, rate) in [
                ("read by sources", READ_COLOR, (|r: &Rate| r.1) as fn(&Rate) -> f64),
                ("reached sinks", SINK_COLOR, |r: &Rate| r.2),
            ] {
                top.draw_series(LineSeries::new(
                    rates.iter().map(|r| (secs(r.0), rate(r))),
                    color.stroke_width(2),
                ))?;
                legend.add(label, Swatch::Line(color));
            }
            if s.offered_rate_per_s > 0.0 {
                let offered_until = secs(s.input_duration_ns);
                top.draw_series(LineSeries::new(
                    [(0.0, s.offered_rate_per_s), (offered_until, s.offered_rate_per_s)],
                    OFFERED_COLOR.stroke_width(1),
                ))?;
                legend.add("offered load", Swatch::Line(OFFERED_COLOR));
            }

            let total = s.subtasks.len().max(1) as f64;
            let mut bottom = chart(&bottom_area, "Backpressured subtasks", 0.0..x_end, 0.0..total * 1.1, 64)?;
            faults |= time_axes(
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
            let pressured = s.samples.iter().any(|p| p.backpressured_subtasks > 0);
            bottom.draw_series(
                AreaSeries::new(steps, 0.0, BACKPRESSURE_COLOR.mix(BACKPRESSURE_ALPHA))
                    .border_style(BACKPRESSURE_COLOR),
            )?;
            if pressured {
                legend.gap();
                legend.add("backpressured", Swatch::Box(BACKPRESSURE_COLOR, BACKPRESSURE_ALPHA));
            }
            legend.faults(faults);
            Ok(())
        },
    )?;
    Ok(Plot {
        file: "throughput-backpressure.svg".into(),
        title: title.into(),
        caption: format!(
            "Records per second over a sliding window of whole sampling periods (at least the longest pause between \
             two bursts of records while the job runs, so that bursts do not read as stops), and the number of the job's {} subtasks whose \
             output backlog was full (Flink's backpressure). Sources falling below the offered load are being held \
             back.",
            s.subtasks.len()
        ),
        svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// While records flow — between the first and the last sample that counted
    /// records, outside fault windows and recoveries — no window shows 0 records/s:
    /// here a backpressured source reads a burst every few hundred milliseconds.
    #[test]
    fn throughput_windows_never_drop_to_zero_while_records_flow() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/backpressure.yaml");
        let mut scenario = crate::scenario::load_file(path.as_ref()).unwrap();
        scenario.duration_ns = 4_000_000_000;
        let summary = crate::run::run(scenario).unwrap().summary;
        let (window, rates) = rates(&summary);
        assert!(window > 0 && !rates.is_empty());
        let counted = |count: Counter| {
            let times = counted_at(&summary.samples, count);
            (times[0], *times.last().unwrap())
        };
        for (name, (first, last), rate) in [
            (
                "sources",
                counted(|p| p.source_records),
                (|r: &Rate| r.1) as fn(&Rate) -> f64,
            ),
            ("sinks", counted(|p| p.sink_records), |r: &Rate| r.2),
        ] {
            let flowing: Vec<&Rate> = rates.iter().filter(|r| r.0 >= first && r.0 <= last).collect();
            assert!(flowing.len() > 20);
            let zero: Vec<Nanos> = flowing.iter().filter(|r| rate(r) == 0.0).map(|r| r.0).collect();
            assert!(
                zero.is_empty(),
                "{name}: 0 records/s over {window} ns windows at {zero:?}"
            );
        }
    }

    fn quickstart() -> RunSummary {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml");
        crate::run::run(crate::scenario::load_file(path.as_ref()).unwrap())
            .unwrap()
            .summary
    }

    /// A steady source whose records are counted a buffer at a time, a buffer every
    /// 2.5 sample periods: the count grows every second or third sample. Every window
    /// is a whole number of sample periods, so each holds at least one buffer: no
    /// window reads 0, and none reads more than twice the source's rate.
    #[test]
    fn a_steady_source_read_in_buffers_never_reads_zero() {
        let mut summary = quickstart();
        let period: Nanos = 10_000_000;
        let buffer_every: Nanos = 25_000_000;
        let template = summary.samples[0].clone();
        summary.samples = (0..=200u64)
            .map(|i| {
                let time = i * period;
                let records = time / buffer_every * 1024;
                Sample {
                    time,
                    source_records: records,
                    sink_records: records,
                    ..template.clone()
                }
            })
            .collect();
        let steady = 1024.0 / secs(buffer_every);
        let (window, rates) = rates(&summary);
        assert_eq!(
            window % period,
            0,
            "a window of {window} ns is not a whole number of periods"
        );
        assert!(rates.len() > 150);
        for (at, read, reached) in rates {
            for rate in [read, reached] {
                assert!(
                    rate > 0.0 && rate <= 2.0 * steady,
                    "{rate} records/s at {at} ns, over {window} ns windows, from a steady {steady}"
                );
            }
        }
    }

    /// The window the title names is the one every rate is taken over: a whole
    /// number of sample periods, and each rate the count between two samples that
    /// far apart (the quickstart's source is steady: no window reads 0).
    #[test]
    fn every_rate_is_taken_over_the_window_the_title_names() {
        let summary = quickstart();
        let period = summary.samples[1].time - summary.samples[0].time;
        let (window, rates) = rates(&summary);
        assert_eq!(window % period, 0, "a {window} ns window over {period} ns samples");
        for (at, read, _) in &rates {
            let end = summary.samples.iter().find(|p| p.time == *at).unwrap();
            let start = summary.samples.iter().find(|p| p.time == at - window).unwrap();
            let expected = (end.source_records - start.source_records) as f64 / secs(window);
            assert!((read - expected).abs() < 1e-6, "at {at}: {read} against {expected}");
            if *at > 300_000_000 && *at < 2_000_000_000 {
                assert!(*read > 0.0, "0 records/s at {at} ns");
            }
        }
    }
}
