//! Reports: plots, an HTML page, a diagnosis and Flink-compatible exports, drawn from
//! a finished run's statistics. Nothing here simulates; a report renders the same
//! from a fresh run as from its saved `run.json`.
//!
//! Rendering produces a list of files in memory; the caller writes them (atomically),
//! so this module does no I/O of its own but for reading `run.json`.

pub mod analysis;
pub mod compat;
pub mod csv;
pub mod flink_rest;
pub mod html;
pub mod plots;
pub mod prometheus;
pub mod record;
pub mod summary_md;
pub mod sweep;
pub mod units;

pub use record::RunRecord;

use rayon::prelude::*;
use std::path::PathBuf;

/// A file of a report: its path relative to the report folder, and its contents.
pub type ReportFile = (PathBuf, Vec<u8>);

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(value).expect("report JSON serialises");
    text.push(b'\n');
    text
}

/// Subtask parts above which the plots are drawn on all cores: below it, drawing takes
/// a millisecond and starting a thread pool would cost more than it saves.
const PARALLEL_FROM_PARTS: usize = 2_000;

/// Renders every file of a run's report.
pub fn render_run(record: &RunRecord) -> Result<Vec<ReportFile>, String> {
    let mut files = Vec::new();
    render_run_to(record, |file| {
        files.push(file);
        Ok(())
    })?;
    Ok(files)
}

/// Renders a run's report, handing each file to `emit` (which writes it) as soon as
/// it is ready: the plots are drawn on a helper thread while this one renders and
/// emits the exports. Large runs draw the plots on all cores. This runs after the
/// simulation, whose determinism threads cannot disturb.
pub fn render_run_to(record: &RunRecord, mut emit: impl FnMut(ReportFile) -> Result<(), String>) -> Result<(), String> {
    let parts = record.summary.checkpoints.as_ref().map_or(0, |r| r.subtasks.len());
    let draw_all = || -> Result<Vec<plots::Plot>, String> {
        if parts >= PARALLEL_FROM_PARTS {
            plots::RUN_PLOTS
                .par_iter()
                .map(|file| plots::draw_run_plot(file, record))
                .collect()
        } else {
            plots::RUN_PLOTS
                .iter()
                .map(|file| plots::draw_run_plot(file, record))
                .collect()
        }
    };
    std::thread::scope(|scope| {
        let plots = scope.spawn(draw_all);
        for file in exports(record) {
            emit(file)?;
        }
        let plots = plots
            .join()
            .unwrap_or_else(|_| Err("drawing the plots panicked".to_string()))?;
        let diagnosis = analysis::diagnose(record);
        emit(("summary.md".into(), summary_md::render(record, &diagnosis).into_bytes()))?;
        emit((
            "index.html".into(),
            html::render(record, &diagnosis, &plots).into_bytes(),
        ))?;
        for p in plots {
            emit((p.file.into(), p.svg.into_bytes()))?;
        }
        Ok(())
    })
}

/// The machine-readable files: Flink REST JSON, Prometheus, CSV and `run.json`.
fn exports(record: &RunRecord) -> Vec<ReportFile> {
    let export = flink_rest::export(record);
    let files: Vec<ReportFile> = vec![
        ("checkpoints.json".into(), json(&export.overview)),
        ("checkpoints-details.json".into(), json(&export.details_by_id())),
        (
            "checkpoints-config.json".into(),
            json(&flink_rest::config(&record.facts())),
        ),
        ("metrics.prom".into(), prometheus::render(record, &export).into_bytes()),
        ("checkpoints.csv".into(), csv::checkpoints(record).into_bytes()),
        ("subtasks.csv".into(), csv::subtasks(record).into_bytes()),
        ("run.json".into(), {
            let mut text = record.to_json().into_bytes();
            text.push(b'\n');
            text
        }),
    ];
    files
}
