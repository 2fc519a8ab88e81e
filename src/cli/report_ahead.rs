//! Writing a run's report into its folder, prepared while the run simulates.
//!
//! On ext4, removing a file, creating one and renaming one each cost about as much as
//! writing it, and renaming a file over an existing one makes ext4 write it to disk
//! first (tens of milliseconds on a busy disk). So a report's first drawing thread
//! prepares the new report's files, empty and open, while the run simulates; once
//! the run ends, each file is written into its open file as soon as it is drawn.
//!
//! When the report folder holds nothing but a report, the new report is written into
//! a hidden folder beside it, `.<folder>.previous`, and the two folders are swapped in
//! one step once the last file is written (`renameat2(RENAME_EXCHANGE)`): the new
//! report appears whole, one swap replaces fourteen renames, and the previous report
//! stays in the hidden folder until the next run reuses it. Until the swap, the
//! report folder shows the previous report, untouched; a report that fails leaves it
//! as it was. Only one process at a time writes a report that way: it holds a lock
//! on the hidden folder.
//!
//! Otherwise (the folder holds other files, as `--report .` does; another process
//! holds the lock; the system cannot swap folders), each file goes to a temporary
//! name in the report folder and is renamed into place, the previous report's file
//! having been removed while the run simulated. A reader never sees half a file.

use super::UsageError;
use super::output::{create_folder, rename_into_place, temporary_path};
use super::report::{remove_previous, write_file};
use crate::report::RUN_REPORT_FILES;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// A run's report folder and the files prepared for it.
pub struct ReportAhead {
    dir: PathBuf,
    plan: Mutex<Plan>,
}

enum Plan {
    /// Not prepared yet.
    Unsettled,
    /// Nothing prepared: files are written the ordinary way.
    Ordinary,
    /// The new report's files, open in the hidden folder that is swapped with the
    /// report folder once all of them are written.
    Swap {
        hidden: PathBuf,
        /// Held until the swap.
        lock: File,
        files: Vec<(&'static str, File)>,
        /// Files not yet written in full.
        unwritten: usize,
    },
    /// The new report's files, open under temporary names in the report folder.
    PerFile { files: Vec<(PathBuf, PathBuf, File)> },
}

/// What to do with one file, looked up in the plan.
enum Step {
    Ordinary,
    Swap {
        file: File,
        path: PathBuf,
    },
    PerFile {
        target: PathBuf,
        temporary: PathBuf,
        file: File,
    },
}

impl ReportAhead {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            plan: Mutex::new(Plan::Unsettled),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Prepares the new report's files, unless a file has been written already. A
    /// file that cannot be prepared is written the ordinary way later.
    pub fn prepare(&self) {
        // Held throughout, so that no file is written while others are prepared.
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        if !matches!(*plan, Plan::Unsettled) {
            return;
        }
        *plan = self.swap_plan().unwrap_or_else(|| self.per_file_plan());
    }

    /// The new report's files in the hidden folder, emptied of the report before the
    /// previous one; `None` when the folders cannot be swapped.
    fn swap_plan(&self) -> Option<Plan> {
        if !swap::SUPPORTED {
            return None;
        }
        let name = self.dir.file_name()?.to_string_lossy().into_owned();
        // A link would be swapped itself, and stop pointing where the user set it.
        if !std::fs::symlink_metadata(&self.dir).ok()?.is_dir() {
            return None;
        }
        report_entries(&self.dir)?;
        let hidden = self.dir.with_file_name(format!(".{name}.previous"));
        match std::fs::create_dir(&hidden) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(_) => return None,
        }
        if !std::fs::symlink_metadata(&hidden).ok()?.is_dir() {
            return None;
        }
        let lock = swap::lock(&hidden)?;
        for old in report_entries(&hidden)? {
            std::fs::remove_file(old).ok()?;
        }
        let mut files = Vec::with_capacity(RUN_REPORT_FILES.len());
        for name in RUN_REPORT_FILES {
            files.push((name, File::create(hidden.join(name)).ok()?));
        }
        let unwritten = files.len();
        Some(Plan::Swap {
            hidden,
            lock,
            files,
            unwritten,
        })
    }

    /// Each file of the report under a temporary name in the report folder, the
    /// previous report's file removed.
    fn per_file_plan(&self) -> Plan {
        let mut files = Vec::new();
        for name in RUN_REPORT_FILES {
            let target = self.dir.join(name);
            if remove_previous(&target).is_err() {
                continue;
            }
            let temporary = temporary_path(&target);
            if let Ok(file) = File::create(&temporary) {
                files.push((target, temporary, file));
            }
        }
        Plan::PerFile { files }
    }

    /// Writes a report file into the file prepared for it, or the ordinary way.
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<(), UsageError> {
        match self.step(name) {
            Step::Ordinary => write_file(&self.dir, Path::new(name), contents),
            Step::PerFile {
                target,
                temporary,
                file,
            } => {
                fill(file, &temporary, contents)?;
                rename_into_place(&temporary, &target)
            }
            Step::Swap { file, path } => {
                fill(file, &path, contents)?;
                // The folders are swapped once no file is still being written, by
                // whichever thread finished the last one.
                match self.written_one() {
                    // The lock is released once the folders are swapped.
                    Some((hidden, _lock)) => self.swap_in(&hidden),
                    None => Ok(()),
                }
            }
        }
    }

    fn step(&self, name: &str) -> Step {
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *plan {
            Plan::Unsettled => {
                *plan = Plan::Ordinary;
                Step::Ordinary
            }
            Plan::Ordinary => Step::Ordinary,
            Plan::Swap { hidden, files, .. } => match files.iter().position(|(n, _)| *n == name) {
                Some(at) => Step::Swap {
                    file: files.swap_remove(at).1,
                    path: hidden.join(name),
                },
                None => Step::Ordinary,
            },
            Plan::PerFile { files } => {
                let target = self.dir.join(name);
                match files.iter().position(|(t, _, _)| *t == target) {
                    Some(at) => {
                        let (target, temporary, file) = files.swap_remove(at);
                        Step::PerFile {
                            target,
                            temporary,
                            file,
                        }
                    }
                    None => Step::Ordinary,
                }
            }
        }
    }

    /// Counts a file of the hidden folder as written. After the last one, the plan is
    /// done: the hidden folder and its lock are returned for the swap.
    fn written_one(&self) -> Option<(PathBuf, File)> {
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        let Plan::Swap { unwritten, .. } = &mut *plan else {
            return None;
        };
        *unwritten -= 1;
        if *unwritten > 0 {
            return None;
        }
        match std::mem::replace(&mut *plan, Plan::Ordinary) {
            Plan::Swap { hidden, lock, .. } => Some((hidden, lock)),
            _ => None,
        }
    }

    /// Swaps the hidden folder, now holding the new report, with the report folder.
    fn swap_in(&self, hidden: &Path) -> Result<(), UsageError> {
        if swap::exchange(hidden, &self.dir) {
            return Ok(());
        }
        // No swap: the report folder receives the files one by one.
        create_folder(&self.dir)?;
        for name in RUN_REPORT_FILES {
            let target = self.dir.join(name);
            remove_previous(&target)?;
            rename_into_place(&hidden.join(name), &target)?;
        }
        Ok(())
    }

    /// Removes the prepared files that no report file was written into (after a
    /// failure). In the hidden folder, the report folder keeps the previous report.
    pub fn discard(&self) {
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *plan, Plan::Ordinary) {
            Plan::Swap { hidden, .. } => {
                for name in RUN_REPORT_FILES {
                    let _ = std::fs::remove_file(hidden.join(name));
                }
                let _ = std::fs::remove_dir(hidden);
            }
            Plan::PerFile { files } => {
                for (_, temporary, _) in files {
                    let _ = std::fs::remove_file(temporary);
                }
            }
            Plan::Unsettled | Plan::Ordinary => {}
        }
    }
}

/// Writes `contents` into a prepared file and closes it.
fn fill(mut file: File, path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    file.write_all(contents)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}

/// The files of a folder that holds nothing but a report's files (and temporaries a
/// report left behind); `None` when it holds anything else or cannot be read.
fn report_entries(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        let name = name.to_str()?;
        let ours = RUN_REPORT_FILES.contains(&name) || (name.starts_with('.') && name.contains(".tmp-"));
        if !ours || !entry.file_type().ok()?.is_file() {
            return None;
        }
        entries.push(entry.path());
    }
    Some(entries)
}

#[cfg(target_os = "linux")]
mod swap {
    use std::ffi::CString;
    use std::fs::File;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;

    pub const SUPPORTED: bool = true;

    /// Locks `dir` for this process, or `None` when another process holds it.
    pub fn lock(dir: &Path) -> Option<File> {
        let folder = File::open(dir).ok()?;
        // SAFETY: flock reads only the descriptor, which `folder` keeps open.
        let locked = unsafe { libc::flock(folder.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        locked.then_some(folder)
    }

    /// Swaps the folders `a` and `b`, or renames `a` to `b` where there is no `b`;
    /// whether it did.
    pub fn exchange(a: &Path, b: &Path) -> bool {
        let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).ok();
        let (Some(from), Some(to)) = (c(a), c(b)) else {
            return false;
        };
        // SAFETY: both paths are NUL-terminated strings that outlive the call.
        let swapped = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        } == 0;
        swapped || (!b.exists() && std::fs::rename(a, b).is_ok())
    }
}

#[cfg(not(target_os = "linux"))]
mod swap {
    use std::fs::File;
    use std::path::Path;

    /// Folders cannot be swapped in one step here.
    pub const SUPPORTED: bool = false;

    pub fn lock(_: &Path) -> Option<File> {
        None
    }

    pub fn exchange(_: &Path, _: &Path) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one test, under the system's temporary folder.
    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ckptsim-{test}-{}", std::process::id()));
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

    fn report_names() -> Vec<String> {
        let mut names: Vec<String> = RUN_REPORT_FILES.iter().map(|n| n.to_string()).collect();
        names.sort();
        names
    }

    /// A report whose every file says `text`.
    fn report_saying(dir: &Path, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        for name in RUN_REPORT_FILES {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    /// Writes every file of a report, each saying `text`, as a run's drawing does.
    fn write_report(ahead: &ReportAhead, text: &str) {
        for name in RUN_REPORT_FILES {
            ahead.write(name, text.as_bytes()).unwrap();
        }
        ahead.discard();
    }

    /// A folder `quickstart` holding an old report, in a fresh folder of its own:
    /// (the parent folder, the report folder).
    fn old_report_folder(test: &str) -> (PathBuf, PathBuf) {
        let parent = scratch(test);
        let dir = parent.join("quickstart");
        report_saying(&dir, "old");
        (parent, dir)
    }

    fn says(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_new_report_replaces_the_old_one_whole_and_the_old_one_stays_hidden() {
        let (parent, dir) = old_report_folder("swap");
        let ahead = ReportAhead::new(&dir);
        ahead.prepare();
        for (i, name) in RUN_REPORT_FILES.iter().enumerate() {
            // Until the last file is written, the folder shows the old report whole.
            assert_eq!(names_in(&dir), report_names());
            assert!(RUN_REPORT_FILES.iter().all(|n| says(&dir, n) == "old"));
            ahead.write(name, format!("new {i}").as_bytes()).unwrap();
        }
        ahead.discard();
        for (i, name) in RUN_REPORT_FILES.iter().enumerate() {
            assert_eq!(says(&dir, name), format!("new {i}"));
        }
        let hidden = parent.join(".quickstart.previous");
        assert_eq!(
            names_in(&parent),
            vec![".quickstart.previous".to_string(), "quickstart".to_string()]
        );
        assert!(RUN_REPORT_FILES.iter().all(|n| says(&hidden, n) == "old"));
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_report_that_fails_halfway_leaves_the_old_report_as_it_was() {
        let (parent, dir) = old_report_folder("swap-failed");
        let ahead = ReportAhead::new(&dir);
        ahead.prepare();
        ahead.write(RUN_REPORT_FILES[0], b"new").unwrap();
        ahead.discard();
        assert_eq!(names_in(&parent), vec!["quickstart".to_string()]);
        assert!(RUN_REPORT_FILES.iter().all(|n| says(&dir, n) == "old"));
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_folder_holding_other_files_keeps_them_and_gets_the_new_report() {
        let dir = scratch("per-file");
        report_saying(&dir, "old");
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let ahead = ReportAhead::new(&dir);
        ahead.prepare();
        write_report(&ahead, "new");
        let mut expected = report_names();
        expected.push("notes.txt".into());
        expected.sort();
        assert_eq!(names_in(&dir), expected);
        assert_eq!(says(&dir, "notes.txt"), "mine");
        assert!(RUN_REPORT_FILES.iter().all(|n| says(&dir, n) == "new"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn while_another_process_holds_the_hidden_folder_files_are_replaced_one_by_one() {
        let (parent, dir) = old_report_folder("locked");
        let hidden = parent.join(".quickstart.previous");
        std::fs::create_dir(&hidden).unwrap();
        // flock locks are per open file: a second open stands for another process.
        let _other = swap::lock(&hidden).unwrap();
        let ahead = ReportAhead::new(&dir);
        ahead.prepare();
        write_report(&ahead, "new");
        assert_eq!(names_in(&dir), report_names());
        assert!(RUN_REPORT_FILES.iter().all(|n| says(&dir, n) == "new"));
        assert!(names_in(&hidden).is_empty());
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_file_written_before_the_folder_is_prepared_is_written_the_ordinary_way() {
        let dir = scratch("unprepared");
        let ahead = ReportAhead::new(&dir);
        ahead.write("index.html", b"first").unwrap();
        // Preparing afterwards could remove what was written: it does nothing.
        ahead.prepare();
        assert_eq!(says(&dir, "index.html"), "first");
        assert_eq!(names_in(&dir), vec!["index.html".to_string()]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
