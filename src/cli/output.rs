//! Files a run writes: each goes to a temporary name in the same folder and is
//! renamed into place, so a crash never leaves half a file.

use super::UsageError;
use std::path::Path;

pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| UsageError(format!("cannot create output folder {}: {e}", dir.display())))?;
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
