//! `ckptsim report RUN.json [--out DIR]`, and the report that `ckptsim run --report`
//! writes: render in memory, then write every file atomically.

use super::UsageError;
use super::output::{create_folder, replace_file};
use crate::check::{Verdict, check_exactly_once};
use crate::model::World;
use crate::report::{Drawers, ReportFile, RunRecord, render_run_to};
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
pub fn write_file(dir: &Path, (path, contents): &ReportFile) -> Result<(), UsageError> {
    let target = dir.join(path);
    // ext4 (auto_da_alloc) flushes a file renamed over an existing one to disk before
    // the rename returns: tens of milliseconds per file on a busy disk. Removing the
    // old report file first keeps the rename cheap; a reader still never sees half a
    // file, only, for an instant, none.
    match std::fs::remove_file(&target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(UsageError(format!("cannot replace {}: {e}", target.display()))),
    }
    replace_file(&target, contents)
}

/// Writes `files` under `dir`, creating it when missing.
pub fn write_files(dir: &Path, files: &[ReportFile]) -> Result<(), UsageError> {
    create_folder(dir)?;
    files.iter().try_for_each(|f| write_file(dir, f))
}

/// Renders a run's report into `dir`, writing each file as soon as it is ready.
fn render_and_write(record: &RunRecord, dir: &Path) -> Result<(), UsageError> {
    create_folder(dir)?;
    let dir = dir.to_path_buf();
    render_run_to(
        record,
        Arc::new(move |file| write_file(&dir, &file).map_err(|UsageError(e)| e)),
    )
    .map_err(UsageError)
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
/// folder is created then, so that one that cannot be written fails before a long
/// run rather than after it, and its drawing threads are started.
pub struct RunReport {
    dir: PathBuf,
    drawers: Drawers,
}

impl RunReport {
    pub fn prepare(scenario_name: &str, dir: &Option<PathBuf>) -> Result<Self, UsageError> {
        let dir = dir.clone().unwrap_or_else(|| default_dir(scenario_name, ""));
        create_folder(&dir)?;
        Ok(Self {
            dir,
            drawers: Drawers::start(),
        })
    }

    pub fn index(&self) -> PathBuf {
        self.dir.join("index.html")
    }

    /// Checks a simulated run against the oracle while its report is drawn and
    /// written; returns the verdict, the check's own wall time (while the report is
    /// drawn beside it) and whether the report was written.
    pub fn check_while_writing(
        self,
        world: &World,
        summary: &RunSummary,
    ) -> (Verdict, Duration, Result<(), UsageError>) {
        let scenario = serde_json::to_value(&world.scenario).expect("a scenario serialises");
        let record = RunRecord::from_parts(summary.clone(), scenario, serde_json::Value::Null);
        let dir = self.dir;
        let ((verdict, elapsed), written) = self.drawers.render_while(
            record,
            || {
                let started = Instant::now();
                let verdict = check_exactly_once(world);
                let elapsed = started.elapsed();
                let json = serde_json::to_value(&verdict).expect("a verdict serialises");
                ((verdict, elapsed), json)
            },
            Arc::new(move |file| write_file(&dir, &file).map_err(|UsageError(e)| e)),
        );
        (verdict, elapsed, written.map_err(UsageError))
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
