//! `ckptsim report RUN.json [--out DIR]`, and the report that `ckptsim run --report`
//! writes: render in memory, then write every file atomically.

use super::UsageError;
use super::output::write_atomically;
use crate::report::{ReportFile, RunRecord, render_run_to};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ReportArgs {
    /// A run.json written by `ckptsim run --report`.
    run: PathBuf,
    /// Where to write the report; the run.json's folder when omitted.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes one report file under `dir`, to a temporary name renamed into place.
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
    write_atomically(&target, contents)
}

/// Writes `files` under `dir`.
pub fn write_files(dir: &Path, files: &[ReportFile]) -> Result<(), UsageError> {
    files.iter().try_for_each(|f| write_file(dir, f))
}

/// Renders a run's report into `dir`, writing each file as soon as it is ready.
fn render_and_write(record: &RunRecord, dir: &Path) -> Result<(), UsageError> {
    render_run_to(record, |file| write_file(dir, &file).map_err(|UsageError(e)| e)).map_err(UsageError)
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

/// `ckptsim run --report [DIR]`: renders and writes the run's report; `quiet` (for
/// `--json`) sends the one line it prints to stderr so stdout stays JSON.
pub fn write_for_run(
    outcome: &crate::run::Outcome,
    dir: Option<&Option<PathBuf>>,
    quiet: bool,
) -> Result<(), UsageError> {
    let Some(dir) = dir else {
        return Ok(());
    };
    let record = RunRecord::new(outcome);
    let dir = dir
        .clone()
        .unwrap_or_else(|| default_dir(&outcome.world.scenario.name, ""));
    render_and_write(&record, &dir)?;
    let line = format!("wrote report {}", dir.join("index.html").display());
    if quiet {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
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
