//! Files a run writes: each goes to a temporary name in the same folder and is
//! renamed into place, so a crash never leaves half a file.

use super::UsageError;
use std::path::{Path, PathBuf};

/// Writes `path`, creating its folder when missing.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    create_folder(folder_of(path))?;
    replace_file(path, contents)
}

/// Creates `dir` and its parents when missing.
pub fn create_folder(dir: &Path) -> Result<(), UsageError> {
    std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("cannot create output folder {}: {e}", dir.display())))
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `path`, whose folder exists.
pub fn replace_file(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    let temporary = temporary_path(path);
    std::fs::write(&temporary, contents)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", temporary.display())))?;
    rename_into_place(&temporary, path)
}

/// The name `path` is written under before it is renamed into place: hidden, beside
/// it, and this process's own.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    folder_of(path).join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Renames a written temporary file to `path`, or removes it when that fails.
pub fn rename_into_place(temporary: &Path, path: &Path) -> Result<(), UsageError> {
    std::fs::rename(temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(temporary);
        UsageError(format!("cannot write {}: {e}", path.display()))
    })
}
