//! `ckptsim report RUN.json [--out DIR]`, and the report that `ckptsim run --report`
//! writes: rendered in memory once the run is checked, then written into its folder,
//! which is replaced whole ([`ReportFolder`]).

use super::UsageError;
use super::report_folder::ReportFolder;
use crate::report::{RUN_REPORT_FILES, RunRecord, render_run};
use crate::run::Outcome;
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

fn is_run_report_file(name: &str) -> bool {
    RUN_REPORT_FILES.contains(&name)
}

/// The report folder of `ckptsim run --report[=DIR]`, prepared before the simulation,
/// so that a folder that cannot be used fails before a long run rather than after it.
pub struct RunReport {
    folder: ReportFolder,
}

impl RunReport {
    pub fn prepare(scenario_name: &str, dir: &Option<PathBuf>) -> Result<Self, UsageError> {
        let dir = dir.clone().unwrap_or_else(|| default_dir(scenario_name, ""));
        let folder = ReportFolder::prepare(&dir, is_run_report_file)?;
        Ok(Self { folder })
    }

    pub fn index(&self) -> PathBuf {
        self.folder.shown().join("index.html")
    }

    /// Draws the checked run's report and replaces the folder's contents with it.
    pub fn write(&self, outcome: &Outcome) -> Result<(), UsageError> {
        self.write_record(&RunRecord::new(outcome))
    }

    fn write_record(&self, record: &RunRecord) -> Result<(), UsageError> {
        let files = render_run(record).map_err(UsageError)?;
        self.folder.replace(&files)
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
    let report = RunReport {
        folder: ReportFolder::prepare(&dir, is_run_report_file)?,
    };
    report.write_record(&record)?;
    println!("wrote report {}", report.index().display());
    Ok(ExitCode::SUCCESS)
}
