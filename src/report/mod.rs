//! Reports: plots, an HTML page, a diagnosis and Flink-compatible exports, drawn from
//! a finished run's statistics. Nothing here simulates; a report renders the same
//! from a fresh run as from its saved `run.json`.
//!
//! Rendering returns each file's name and contents; the caller writes them (the CLI
//! replaces the report folder whole), so this module does no I/O of its own but for
//! reading `run.json`.

pub mod analysis;
pub mod checkpoint_cost;
pub mod checkpoint_tab;
pub mod compare_metrics;
pub mod compat;
pub mod csv;
pub mod elide;
pub mod failure_cost;
pub mod flink_rest;
pub mod html;
pub mod plots;
pub mod prometheus;
pub mod record;
pub mod summary_md;
pub mod sweep;
pub mod sweep_goal;
pub mod sweep_objective;
pub mod sweep_result;
pub mod units;

pub use record::RunRecord;

use std::path::PathBuf;

/// A file of a report: its path relative to the report folder, and its contents.
pub type ReportFile = (PathBuf, Vec<u8>);

/// The files of a run's report, by name.
pub const RUN_REPORT_FILES: [&str; 15] = [
    "index.html",
    "summary.md",
    "run.json",
    "checkpoints.json",
    "checkpoints-details.json",
    "checkpoints-config.json",
    "metrics.prom",
    "checkpoints.csv",
    "subtasks.csv",
    plots::RUN_PLOTS[0],
    plots::RUN_PLOTS[1],
    plots::RUN_PLOTS[2],
    plots::RUN_PLOTS[3],
    plots::RUN_PLOTS[4],
    plots::RUN_PLOTS[5],
];

/// A JSON export, compact as Flink's REST API serves it.
fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_vec(value).expect("report JSON serialises");
    text.push(b'\n');
    text
}

/// Renders every file of a run's report, sorted by name.
pub fn render_run(record: &RunRecord) -> Result<Vec<ReportFile>, String> {
    let plots = plots::RUN_PLOTS
        .iter()
        .map(|file| plots::draw_run_plot(file, record))
        .collect::<Result<Vec<_>, String>>()?;
    let diagnosis = analysis::diagnose(record);
    let export = flink_rest::export(record);
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        (
            "index.html",
            html::render(record, &diagnosis, &plots, &export).into_bytes(),
        ),
        ("summary.md", summary_md::render(record, &diagnosis).into_bytes()),
        ("run.json", record.to_json().into_bytes()),
        ("checkpoints.json", json(&export.overview)),
        ("checkpoints-details.json", json(&export.details_by_id())),
        ("checkpoints-config.json", json(&flink_rest::config(&record.facts()))),
        ("metrics.prom", prometheus::render(record, &export).into_bytes()),
        ("checkpoints.csv", csv::checkpoints(record).into_bytes()),
        ("subtasks.csv", csv::subtasks(record).into_bytes()),
    ];
    files.extend(plots.iter().map(|p| (p.file.as_str(), p.svg.clone().into_bytes())));
    debug_assert_eq!(files.len(), RUN_REPORT_FILES.len());
    let mut files: Vec<ReportFile> = files
        .into_iter()
        .map(|(name, contents)| (PathBuf::from(name), contents))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}
