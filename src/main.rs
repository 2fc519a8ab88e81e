//! The `ckptsim` command line: run and validate scenarios.

use ckptsim::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
