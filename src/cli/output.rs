//! Files a run writes: each goes to a temporary name in the same folder and is
//! renamed into place, so a crash never leaves half a file.

use super::UsageError;
use std::path::Path;

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
    let dir = folder_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temporary, contents)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", temporary.display())))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        UsageError(format!("cannot write {}: {e}", path.display()))
    })
}
