//! `ckptsim import DIR`: a scenario from a folder of saved Flink REST responses.

use super::UsageError;
use super::output::write_atomically;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ImportArgs {
    /// The folder of REST responses (job.json or jobs/<id>.json, checkpoints.json,
    /// checkpoints config, checkpoint details, vertex metrics).
    dir: PathBuf,
    /// Writes the scenario to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Fits checkpoint storage speed, CPU per record and in-flight buffers from the
    /// history instead of assuming them, and prints each fitted value with its data.
    #[arg(long)]
    calibrate: bool,
}

pub fn import(args: ImportArgs) -> Result<ExitCode, UsageError> {
    let yaml = if args.calibrate {
        let (yaml, calibration) =
            crate::import::import_dir_calibrated(&args.dir).map_err(|e| UsageError(e.to_string()))?;
        // stderr: stdout may be the scenario itself.
        eprint!("{}", calibration.render(&args.dir.display().to_string()));
        yaml
    } else {
        crate::import::import_dir(&args.dir).map_err(|e| UsageError(e.to_string()))?
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, yaml.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
}
