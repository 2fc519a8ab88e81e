//! The `ckptsim` command line: run and validate scenarios.

use ckptsim::cli;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: ckptsim::memory::BlockAllocator = ckptsim::memory::BlockAllocator;

fn main() -> ExitCode {
    cli::main()
}
