//! Files a run writes (`run --out`, `explore --out`): each goes to a temporary name
//! in the same folder and is renamed into place, so a crash never leaves half a
//! file, and a write that fails removes its temporary file. Report folders are
//! replaced whole instead ([`super::report_folder`]).

use super::UsageError;
use std::io::Write;
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
    replace_file_with(path, |file| file.write_all(contents))
}

/// Writes `path` with `write`, which is given the temporary file.
fn replace_file_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), UsageError> {
    let temporary = temporary_path(path);
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        write(&mut file)?;
        file.flush()
    });
    if let Err(e) = written {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_leaves_neither_a_temporary_file_nor_a_changed_file() {
        let dir = std::env::temp_dir().join(format!("ckptsim-output-failed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("summary.json");
        std::fs::write(&path, "previous").unwrap();
        let failed = replace_file_with(&path, |file| {
            file.write_all(b"half of it")?;
            Err(std::io::Error::other("no space left on device"))
        });
        let Err(UsageError(e)) = failed else {
            panic!("a failed write was reported as written");
        };
        assert!(e.contains("summary.json") && e.contains("no space left"), "{e}");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["summary.json"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
