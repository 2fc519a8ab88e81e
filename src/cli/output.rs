//! Files a run writes (`run --out`, `explore --out`): each goes to a temporary name
//! in the same folder and is renamed into place, so a crash never leaves half a
//! file, and a write that fails removes its temporary file. Report folders are
//! replaced whole instead ([`super::report_folder`]).

use super::UsageError;
use std::path::{Path, PathBuf};

/// Writes `path`, creating its folder when missing.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    create_folder(folder_of(path))?;
    replace_file(path, contents)
}

/// Creates `dir` and its parents when missing.
pub fn create_folder(dir: &Path) -> Result<(), UsageError> {
    if dir.exists() && !dir.is_dir() {
        return Err(UsageError(format!(
            "cannot use {} as an output folder: it is a file, not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("cannot create output folder {}: {e}", dir.display())))
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `path`, whose folder exists. A write that fails (a full disk) leaves
/// neither a temporary file nor a changed `path`.
fn replace_file(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    let temporary = temporary_path(path);
    if let Err(e) = std::fs::write(&temporary, contents) {
        let _ = std::fs::remove_file(&temporary);
        return Err(UsageError(format!("cannot write {}: {e}", path.display())));
    }
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        UsageError(format!("cannot write {}: {e}", path.display()))
    })
}

/// The name `path` is written under before it is renamed into place: hidden, beside
/// it, and this process's own.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    folder_of(path).join(format!(".{name}.tmp-{}", std::process::id()))
}
