//! `ckptsim report RUN.json [--out DIR]`, and the report that `ckptsim run --report`
//! writes: render in memory, then write every file atomically.

use super::UsageError;
use super::output::{create_folder, replace_file};
use super::report_ahead::ReportAhead;
use crate::check::{Verdict, check_exactly_once};
use crate::model::World;
use crate::report::{Drawers, Pending, ReportFile, RunRecord, render_run_to};
use crate::stats::run::RunSummary;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct ReportArgs {
    /// A run.json written by `ckptsim run --report`.
    run: PathBuf,
    /// Where to write the report; the run.json's folder when omitted.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes one report file under `dir` (which exists), to a temporary name renamed
/// into place.
pub fn write_file(dir: &Path, name: &Path, contents: &[u8]) -> Result<(), UsageError> {
    let target = dir.join(name);
    remove_previous(&target)?;
    replace_file(&target, contents)
}

/// Removes a previous report's file before its successor is renamed into place.
/// ext4 (auto_da_alloc) flushes a file renamed over an existing one to disk before
/// the rename returns: tens of milliseconds per file on a busy disk. A reader never
/// sees half a file, only, for a while, none.
pub(super) fn remove_previous(target: &Path) -> Result<(), UsageError> {
    match std::fs::remove_file(target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(UsageError(format!("cannot replace {}: {e}", target.display()))),
    }
}

/// Writes `files` under `dir`, creating it when missing.
pub fn write_files(dir: &Path, files: &[ReportFile]) -> Result<(), UsageError> {
    create_folder(dir)?;
    files
        .iter()
        .try_for_each(|(name, contents)| write_file(dir, name, contents))
}

/// Renders a run's report into `dir`, writing each file as soon as it is ready, the
/// way `ckptsim run --report` does (see [`ReportAhead`]).
fn render_and_write(record: &RunRecord, dir: &Path) -> Result<(), UsageError> {
    create_folder(dir)?;
    let ahead = Arc::new(ReportAhead::new(dir));
    ahead.prepare();
    let writer = Arc::clone(&ahead);
    let written = render_run_to(
        record,
        Arc::new(move |name: &str, contents: &[u8]| writer.write(name, contents).map_err(|UsageError(e)| e)),
    );
    ahead.discard();
    written.map_err(UsageError)
}

/// The default report folder of a scenario: `reports/<name>/`.
pub fn default_dir(name: &str, suffix: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("reports").join(format!("{safe}{suffix}"))
}

/// The report of `ckptsim run --report [DIR]`, prepared before the simulation: its
/// folder is created then, so that one that cannot be created fails before a long
/// run rather than after it, and its drawing threads are started. The first of them
/// prepares the new report's files while the run simulates (see [`ReportAhead`]).
pub struct RunReport {
    drawers: Drawers,
    ahead: Arc<ReportAhead>,
}

impl RunReport {
    pub fn prepare(scenario_name: &str, dir: &Option<PathBuf>) -> Result<Self, UsageError> {
        let dir = dir.clone().unwrap_or_else(|| default_dir(scenario_name, ""));
        create_folder(&dir)?;
        let ahead = Arc::new(ReportAhead::new(&dir));
        let drawers = Drawers::start_after({
            let ahead = Arc::clone(&ahead);
            move || ahead.prepare()
        });
        Ok(Self { drawers, ahead })
    }

    pub fn index(&self) -> PathBuf {
        self.ahead.dir().join("index.html")
    }

    /// Checks a simulated run against the oracle while its report is drawn and
    /// written; returns the verdict, the check's own wall time (while the report is
    /// drawn beside it) and the report, whose last files may still be being written.
    pub fn check_while_writing(self, world: &World, summary: &RunSummary) -> (Verdict, Duration, ReportWriting) {
        let scenario = serde_json::to_value(&world.scenario).expect("a scenario serialises");
        let record = RunRecord::from_parts(summary.clone(), scenario, serde_json::Value::Null);
        let ahead = Arc::clone(&self.ahead);
        let ((verdict, elapsed), written) = self.drawers.render_while(
            record,
            || {
                let started = Instant::now();
                let verdict = check_exactly_once(world);
                let elapsed = started.elapsed();
                let json = serde_json::to_value(&verdict).expect("a verdict serialises");
                ((verdict, elapsed), json)
            },
            Arc::new(move |name: &str, contents: &[u8]| ahead.write(name, contents).map_err(|UsageError(e)| e)),
        );
        let writing = ReportWriting {
            pending: Some(written),
            ahead: self.ahead,
        };
        (verdict, elapsed, writing)
    }
}

/// A run's report whose last files may still be being written. Dropped without
/// [`ReportWriting::wait`] (the run failed otherwise), it still waits, so that no
/// temporary file outlives the process.
pub struct ReportWriting {
    pending: Option<Pending>,
    ahead: Arc<ReportAhead>,
}

impl ReportWriting {
    /// Waits until every file is written; the first error, if any.
    pub fn wait(mut self) -> Result<(), UsageError> {
        self.finish().map_err(UsageError)
    }

    fn finish(&mut self) -> Result<(), String> {
        let written = self.pending.take().map_or(Ok(()), Pending::wait);
        // After a failure, files opened ahead may be left unwritten.
        self.ahead.discard();
        written
    }
}

impl Drop for ReportWriting {
    fn drop(&mut self) {
        if self.pending.is_some() {
            let _ = self.finish();
        }
    }
}

pub fn report(args: ReportArgs) -> Result<ExitCode, UsageError> {
    let record = RunRecord::read(&args.run).map_err(UsageError)?;
    let dir = args.out.unwrap_or_else(|| {
        args.run
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    });
    render_and_write(&record, &dir)?;
    println!("wrote report {}", dir.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}
