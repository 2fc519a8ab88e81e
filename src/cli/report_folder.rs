//! A report folder, replaced whole: a reader, or a process killed at any moment,
//! finds either the whole previous report or the whole new one in it, never a mix
//! and never a temporary file.
//!
//! The new report is written into a fresh staging folder beside the report folder
//! (`reports/.quickstart.new-<pid>`), then the two folders are swapped in one step
//! (`renameat2(RENAME_EXCHANGE)`), and the staging folder, now holding the previous
//! report, is removed. A process killed before the swap leaves the previous report
//! in place; killed after it, the new one; either way a staging folder may stay
//! behind beside the report folder, and the next report removes it. Where folders
//! cannot be swapped (not Linux, or a file system without the flag), the report
//! folder is moved aside and the staging folder renamed into its place: two renames,
//! between which the folder is missing, the previous report whole beside it
//! (`reports/.quickstart.old-<pid>`); the next report puts that folder back before
//! anything else, so a kill there loses nothing either.
//!
//! Since the whole folder is replaced, it may hold nothing but a report's files (a
//! folder with files of its own is refused before the run), and it cannot be the
//! current folder or one above it (a shell there would be left in the removed one).

use super::UsageError;
use super::output::create_folder;
use crate::report::ReportFile;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The environment variable that makes the process kill itself at a named step of
/// replacing a report folder (`staging:<file>`: halfway through writing that file;
/// `staged`: every file written; `moved-aside`: between the two renames that replace
/// the folder where it cannot be swapped in one step; `swapped`: the new report in
/// place, the previous one not yet removed). Only tests set it, to see what a crash at
/// that step leaves; a release build ignores it.
pub const KILL_AT: &str = "CKPTSIM_TEST_KILL_AT";

/// The environment variable that makes the folder be replaced by two renames even
/// where it could be swapped in one step, so that tests reach that path on Linux too.
/// A release build ignores it.
pub const RENAME_ONLY: &str = "CKPTSIM_TEST_RENAME_ONLY";

/// The value of a test's environment variable; never set in a release build.
fn test_setting(name: &str) -> Option<std::ffi::OsString> {
    if cfg!(debug_assertions) {
        std::env::var_os(name)
    } else {
        None
    }
}

/// A report folder, checked and created, that [`ReportFolder::replace`] fills.
pub struct ReportFolder {
    /// As the user named it, for messages.
    shown: PathBuf,
    /// The folder itself: absolute, links resolved, so that a link to the report
    /// folder keeps pointing where the user set it.
    dir: PathBuf,
    /// Whether a file name is one the report writes.
    ours: fn(&str) -> bool,
}

impl ReportFolder {
    /// Checks that `dir` can be replaced whole and creates it when missing, so that a
    /// folder that cannot be written is an error before a long run, not after it.
    /// Staging folders that killed processes left beside it are removed.
    pub fn prepare(dir: &Path, ours: fn(&str) -> bool) -> Result<Self, UsageError> {
        restore_moved_aside(dir);
        create_folder(dir)?;
        let resolved = dir
            .canonicalize()
            .map_err(|e| UsageError(format!("cannot use report folder {}: {e}", dir.display())))?;
        let here = std::env::current_dir().and_then(|d| d.canonicalize());
        if resolved.parent().is_none() || here.is_ok_and(|here| here.starts_with(&resolved)) {
            return Err(UsageError(format!(
                "cannot use {} as a report folder: the report replaces its folder whole, which cannot be done to the \
                 current folder or one above it; give a folder of its own (e.g. {})",
                dir.display(),
                Path::new(dir).join("report").display()
            )));
        }
        let folder = Self {
            shown: dir.to_path_buf(),
            dir: resolved,
            ours,
        };
        folder.check_holds_only_a_report()?;
        folder.remove_left_behind();
        Ok(folder)
    }

    /// The report folder as the user named it.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Replaces the folder's contents with `files`, whole (see the module's comment).
    /// On an error, the previous report stays as it was and nothing of the new one is
    /// left anywhere.
    pub fn replace(&self, files: &[ReportFile]) -> Result<(), UsageError> {
        let staging = self.beside("new", std::process::id());
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging).map_err(|e| self.cannot_write(&staging, e))?;
        let staged = self.stage(&staging, files).and_then(|()| {
            kill_if_asked("staged");
            // A file the user put in the folder since the run started would be lost.
            self.check_holds_only_a_report()?;
            self.swap_in(&staging)
        });
        if staged.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
            return staged;
        }
        kill_if_asked("swapped");
        // The staging folder now holds the previous report.
        let _ = std::fs::remove_dir_all(&staging);
        Ok(())
    }

    /// Writes every file into the staging folder.
    fn stage(&self, staging: &Path, files: &[ReportFile]) -> Result<(), UsageError> {
        for (name, contents) in files {
            let path = staging.join(name);
            let written = File::create(&path).and_then(|mut file| {
                if test_setting(KILL_AT).is_some() {
                    let half = contents.len() / 2;
                    file.write_all(&contents[..half])?;
                    kill_if_asked(&format!("staging:{}", name.display()));
                    file.write_all(&contents[half..])
                } else {
                    file.write_all(contents)
                }
            });
            written.map_err(|e| self.cannot_write(&self.dir.join(name), e))?;
        }
        Ok(())
    }

    /// Puts the staging folder in the report folder's place.
    fn swap_in(&self, staging: &Path) -> Result<(), UsageError> {
        if test_setting(RENAME_ONLY).is_none() && swap::exchange(staging, &self.dir) {
            return Ok(());
        }
        if !self.dir.exists() {
            return std::fs::rename(staging, &self.dir).map_err(|e| self.cannot_write(&self.dir, e));
        }
        let aside = self.beside("old", std::process::id());
        let _ = std::fs::remove_dir_all(&aside);
        std::fs::rename(&self.dir, &aside).map_err(|e| self.cannot_write(&self.dir, e))?;
        // Killed here, the folder is missing and the previous report whole in `aside`:
        // the next report puts it back first (restore_moved_aside).
        kill_if_asked("moved-aside");
        if let Err(e) = std::fs::rename(staging, &self.dir) {
            // Back where it was: the previous report stays.
            let _ = std::fs::rename(&aside, &self.dir);
            return Err(self.cannot_write(&self.dir, e));
        }
        let _ = std::fs::remove_dir_all(&aside);
        Ok(())
    }

    /// A hidden folder beside the report folder: `.<name>.<what>-<pid>`.
    fn beside(&self, what: &str, pid: u32) -> PathBuf {
        self.dir.with_file_name(format!(".{}.{what}-{pid}", self.name()))
    }

    fn name(&self) -> String {
        self.dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// An error unless every entry of the folder is a file the report writes.
    fn check_holds_only_a_report(&self) -> Result<(), UsageError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", self.shown.display())))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if !is_file || !((self.ours)(&name) || left_by_an_older_release(&name)) {
                return Err(UsageError(format!(
                    "{} holds {name}, which is not a file of the report: the report replaces its folder whole; give \
                     an empty folder or one that holds only a report",
                    self.shown.display()
                )));
            }
        }
        Ok(())
    }

    /// Removes the staging folders (and folders moved aside) of processes that no
    /// longer run, and the hidden folder of the previous release's scheme.
    fn remove_left_behind(&self) {
        let Some(parent) = self.dir.parent() else { return };
        let Ok(entries) = std::fs::read_dir(parent) else { return };
        let name = self.name();
        for entry in entries.flatten() {
            let entry_name = entry.file_name().to_string_lossy().into_owned();
            let pid = ["new", "old"].iter().find_map(|what| {
                entry_name
                    .strip_prefix(&format!(".{name}.{what}-"))
                    .and_then(|pid| pid.parse::<u32>().ok())
            });
            let stale = match pid {
                Some(pid) => !process_runs(pid),
                None => entry_name == format!(".{name}.previous"),
            };
            if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    fn cannot_write(&self, path: &Path, e: std::io::Error) -> UsageError {
        UsageError(format!("cannot write {}: {e}", path.display()))
    }
}

/// Puts back a report folder that a process killed between the two renames of
/// [`ReportFolder::swap_in`] left moved aside (`.<name>.old-<pid>`), so that the
/// previous report is not lost with the folders left behind.
fn restore_moved_aside(dir: &Path) {
    if std::fs::symlink_metadata(dir).is_ok() {
        return;
    }
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let prefix = format!(".{name}.old-");
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let left_by_a_dead_process = entry_name
            .strip_prefix(&prefix)
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| !process_runs(pid));
        if left_by_a_dead_process
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && std::fs::rename(entry.path(), dir).is_ok()
        {
            return;
        }
    }
}

/// A temporary file the previous release wrote into the report folder itself.
fn left_by_an_older_release(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Kills the process, as a crash would, when [`KILL_AT`] names `step`.
fn kill_if_asked(step: &str) {
    if test_setting(KILL_AT).is_some_and(|at| at == step) {
        #[cfg(unix)]
        // SAFETY: kill takes two integers and touches no memory of ours.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

/// Whether a process with this id runs (on systems that cannot tell: yes, so that
/// nothing another process may be writing is removed).
fn process_runs(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(target_os = "linux")]
mod swap {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    /// Swaps the folders `a` and `b` in one step; whether it did.
    pub fn exchange(a: &Path, b: &Path) -> bool {
        let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).ok();
        let (Some(from), Some(to)) = (c(a), c(b)) else {
            return false;
        };
        // SAFETY: both paths are NUL-terminated strings that outlive the call.
        unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            ) == 0
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod swap {
    use std::path::Path;

    /// Folders cannot be swapped in one step here.
    pub fn exchange(_: &Path, _: &Path) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one test, under the system's temporary folder.
    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ckptsim-folder-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn ours(name: &str) -> bool {
        name.ends_with(".txt")
    }

    fn report(text: &str) -> Vec<ReportFile> {
        ["a.txt", "b.txt"]
            .iter()
            .map(|n| (PathBuf::from(n), text.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn the_new_report_replaces_the_old_one_and_nothing_is_left_beside_it() {
        let parent = scratch("replace");
        let dir = parent.join("r");
        let folder = ReportFolder::prepare(&dir, ours).unwrap();
        folder.replace(&report("old")).unwrap();
        std::fs::write(dir.join("c.txt"), "older").unwrap();
        folder.replace(&report("new")).unwrap();
        // The previous report's files go with it, whatever their names.
        assert_eq!(names_in(&dir), ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "new");
        assert_eq!(names_in(&parent), ["r"]);
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_folder_holding_other_files_is_refused_and_kept() {
        let dir = scratch("foreign");
        std::fs::write(dir.join("notes.md"), "mine").unwrap();
        let Err(UsageError(e)) = ReportFolder::prepare(&dir, ours) else {
            panic!("a folder with files of its own was accepted");
        };
        assert!(e.contains("notes.md") && e.contains("not a file of the report"), "{e}");
        assert_eq!(names_in(&dir), ["notes.md"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_current_folder_and_those_above_it_are_refused() {
        for dir in [".", ".."] {
            let Err(UsageError(e)) = ReportFolder::prepare(Path::new(dir), ours) else {
                panic!("{dir} was accepted");
            };
            assert!(e.contains("current folder"), "{e}");
        }
    }

    #[test]
    fn staging_folders_of_processes_that_no_longer_run_are_removed() {
        let parent = scratch("stale");
        let dir = parent.join("r");
        std::fs::create_dir_all(&dir).unwrap();
        // No process has the largest id Linux hands out; this one runs.
        let dead = parent.join(format!(".r.new-{}", 4_194_304));
        let mine = parent.join(format!(".r.new-{}", std::process::id()));
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::create_dir_all(&mine).unwrap();
        ReportFolder::prepare(&dir, ours).unwrap();
        assert!(!dead.exists());
        assert!(mine.exists());
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_report_folder_stays_a_link() {
        let parent = scratch("link");
        let target = parent.join("target");
        let link = parent.join("link");
        std::fs::create_dir_all(&target).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let folder = ReportFolder::prepare(&link, ours).unwrap();
        folder.replace(&report("new")).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(target.join("a.txt")).unwrap(), "new");
        std::fs::remove_dir_all(parent).unwrap();
    }
}
