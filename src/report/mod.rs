//! Reports: plots, an HTML page, a diagnosis and Flink-compatible exports, drawn from
//! a finished run's statistics. Nothing here simulates; a report renders the same
//! from a fresh run as from its saved `run.json`.
//!
//! Rendering hands each file to the caller, who writes it (atomically), so this
//! module does no I/O of its own but for reading `run.json`.

pub mod analysis;
pub mod compat;
mod cpu;
pub mod csv;
mod drawers;
pub mod flink_rest;
pub mod html;
pub mod plots;
pub mod prometheus;
pub mod record;
pub mod summary_md;
pub mod sweep;
pub mod units;

pub use drawers::{Drawers, Emit, Pending};
pub use record::{RunJsonHead, RunRecord};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A file of a report: its path relative to the report folder, and its contents.
pub type ReportFile = (PathBuf, Vec<u8>);

/// The files of a run's report, by name.
pub const RUN_REPORT_FILES: [&str; 14] = [
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
];

/// Room for a report file's text from the start: growing a buffer step by step
/// copies it and touches fresh memory at every step, which page faults cost more
/// than the copies. Pages of the room that are never written cost nothing.
pub(crate) const FILE_ROOM: usize = 64 << 10;

/// A JSON export, compact as Flink's REST API serves it.
fn json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = Vec::with_capacity(FILE_ROOM);
    serde_json::to_writer(&mut text, value).expect("report JSON serialises");
    text.push(b'\n');
    text
}

/// Renders every file of a run's report, sorted by name.
pub fn render_run(record: &RunRecord) -> Result<Vec<ReportFile>, String> {
    let files = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&files);
    render_run_to(
        record,
        Arc::new(move |name: &str, contents: &[u8]| {
            let file = (PathBuf::from(name), contents.to_vec());
            sink.lock().expect("no writer panicked").push(file);
            Ok(())
        }),
    )?;
    let mut files = std::mem::take(&mut *files.lock().expect("no writer panicked"));
    // Threads finish their files in any order; the list is in a fixed one.
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Renders a run's report, handing each file to `emit` as soon as it is ready.
pub fn render_run_to(record: &RunRecord, emit: Arc<Emit>) -> Result<(), String> {
    let verdict = record.verdict.clone();
    Drawers::start()
        .render_while(record.clone(), || ((), verdict), emit)
        .1
        .wait()
}

/// `summary.md` and `index.html` but for the verdict and the plots.
struct PageDrafts {
    summary: summary_md::SummaryDraft,
    page: html::PageDraft,
}

impl PageDrafts {
    fn new(record: &RunRecord) -> Self {
        let diagnosis = analysis::diagnose(record);
        Self {
            summary: summary_md::draft(record, &diagnosis),
            page: html::draft(record, &diagnosis),
        }
    }
}

/// `run.json`, `summary.md` and `index.html`: the files that state the verdict and
/// show the plots, finished once both are known.
fn render_verdict_files(
    verdict: &serde_json::Value,
    run_json: RunJsonHead,
    drafts: PageDrafts,
    plots: &[plots::Plot],
    emit: &Emit,
) -> Result<(), String> {
    let held = record::held(verdict);
    emit("run.json", run_json.finish(verdict).as_bytes())?;
    emit("summary.md", drafts.summary.finish(held).as_bytes())?;
    emit("index.html", drafts.page.finish(held, plots).as_bytes())
}
