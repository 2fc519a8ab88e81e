//! Command-line interface. Exit codes: 0 when every check held, 1 when the simulation
//! found a violation, 2 for bad input (a scenario, a flag, an output folder).

mod compare;
mod diff;
mod elide;
mod explore;
mod import;
mod outcome;
mod output;
mod progress;
mod report;
mod report_folder;
mod run;
mod sweep;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The built-in scenario `ckptsim run` uses when given none.
pub const QUICKSTART: &str = include_str!("../../scenarios/quickstart.yaml");

#[derive(Parser)]
#[command(
    name = "ckptsim",
    version,
    about = "Deterministic simulation testbed for stream-processing checkpoint protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and report what happened.
    Run(run::RunArgs),
    /// Run many seeds, each with a random fault schedule; shrink and save violations.
    Explore(explore::ExploreArgs),
    /// Run a scenario over a grid of settings and seeds, in parallel, and compare them.
    Sweep(sweep::SweepArgs),
    /// Run a scenario under each checkpoint protocol, same seeds, and compare their costs.
    Compare(compare::CompareArgs),
    /// Draw a run's report again from its run.json, without simulating.
    Report(report::ReportArgs),
    /// Write a scenario from a folder of saved Flink REST responses.
    Import(import::ImportArgs),
    /// Compare a simulated run's checkpoints with a Flink job's, phase by phase.
    Diff(diff::DiffArgs),
    /// Check a scenario file without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
}

/// A user's mistake: printed as is, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

pub fn main() -> ExitCode {
    quit_quietly_on_a_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Explore(args) => explore::explore(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Compare(args) => compare::compare(args),
        Command::Report(args) => report::report(args),
        Command::Import(args) => import::import(args),
        Command::Diff(args) => diff::diff(args),
        Command::Validate { scenario } => validate(&scenario),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Makes a write to a closed stdout (`ckptsim run | head -1`) end the process
/// silently, as it ends `cat` or `grep`, instead of panicking in `println!`: Rust
/// ignores SIGPIPE by default, which turns the signal into an error every print
/// would have to handle.
fn quit_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn validate(path: &std::path::Path) -> Result<ExitCode, UsageError> {
    let scenario = crate::scenario::load_file(path).map_err(|e| UsageError(e.to_string()))?;
    let subtasks: u32 = scenario.operators.iter().map(|o| o.parallelism).sum();
    println!(
        "{}: ok — scenario `{}`, {} operators, {} subtasks on {} TaskManagers, seed {}",
        path.display(),
        scenario.name,
        scenario.operators.len(),
        subtasks,
        scenario.cluster.taskmanagers,
        scenario.seed
    );
    Ok(ExitCode::SUCCESS)
}
