//! `ckptsim import`: turns a folder of saved Flink REST responses into a scenario
//! file. [`rest`] finds and reads the responses, [`derive`] maps them onto the
//! scenario's vocabulary and remembers where each value came from, and [`yaml`]
//! writes the scenario with that provenance as comments.

pub mod calibrate;
pub mod derive;
mod json;
pub mod keys;
pub mod rest;
pub mod yaml;

use std::path::Path;

/// A file that is missing, unreadable or not what Flink writes: names the file and,
/// where one is at fault, the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}: {}", self.file, field, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads the REST responses saved in `dir` and returns the scenario YAML.
pub fn import_dir(dir: &Path) -> Result<String, ImportError> {
    let responses = rest::Responses::load(dir)?;
    let derived = derive::derive(&responses)?;
    Ok(yaml::write(&derived))
}

/// Reads the REST responses saved in `dir` and returns the scenario YAML with the
/// values the history measured fitted in place of the assumed defaults, and what
/// was fitted from what.
pub fn import_dir_calibrated(dir: &Path) -> Result<(String, calibrate::Calibration), ImportError> {
    let responses = rest::Responses::load(dir)?;
    let mut derived = derive::derive(&responses)?;
    let calibration = calibrate::calibrate(&responses, &mut derived);
    Ok((yaml::write(&derived), calibration))
}
