//! Checkpoint file merging (FLIP-306, `execution.checkpointing.file-merging.*`) as
//! Flink's `FileMergingSnapshotManager` does it: logical state files become segments
//! of physical files (shared state per subtask, private state per TaskManager), a
//! physical file takes segments until it reaches `max-file-size` and, within
//! checkpoint boundaries, until its checkpoint ends; it is deleted once closed and no
//! segment of it is referenced; space amplification is physical over logical bytes,
//! bounded by Flink's space control.
//!
//! Sources (apache/flink, flink-runtime, package
//! `org.apache.flink.runtime.checkpoint.filemerging`): `FileMergingSnapshotManagerBase`
//! (`getManagedDir`, `controlSpace`, `couldReusePreviousStateHandle`), `PhysicalFile`
//! (`deleteIfNecessary`), `WithinCheckpointFileMergingSnapshotManager`,
//! `AcrossCheckpointFileMergingSnapshotManager`, and their tests
//! `WithinCheckpointFileMergingSnapshotManagerTest` (`testCreateAndReuseFiles`,
//! `testCheckpointNotification`, `testSpaceControl`); the keys and defaults from
//! `CheckpointingOptions` (flink-core).

mod common;

use ckptsim::model::file_merging::{FileMerging, FileMergingConfig, Scope};
use ckptsim::model::state_files::{FileId, SharedStateRegistry};

const MB: u64 = 1024 * 1024;

fn config(across: bool, max_file_size: u64) -> FileMergingConfig {
    FileMergingConfig {
        across_checkpoint_boundary: across,
        max_file_size,
        pool_blocking: false,
        max_space_amplification: Some(2.0),
    }
}

/// Checkpoint storage as the world keeps it: the registry counts which checkpoints
/// refer to each logical file, the merging manager places the logical files.
struct Storage {
    registry: SharedStateRegistry,
    merging: FileMerging,
    /// By checkpoint: the logical files it refers to.
    refers: Vec<(u64, Vec<FileId>)>,
}

impl Storage {
    fn new(config: FileMergingConfig) -> Self {
        Storage {
            registry: SharedStateRegistry::default(),
            merging: FileMerging::new(config),
            refers: Vec::new(),
        }
    }

    fn refers_mut(&mut self, checkpoint: u64) -> &mut Vec<FileId> {
        if !self.refers.iter().any(|(c, _)| *c == checkpoint) {
            self.refers.push((checkpoint, Vec::new()));
        }
        &mut self.refers.iter_mut().find(|(c, _)| *c == checkpoint).unwrap().1
    }

    /// A subtask on TaskManager `tm` writes a logical file for `checkpoint`.
    fn write(&mut self, checkpoint: u64, tm: usize, scope: Scope, bytes: u64) -> FileId {
        let file = self.registry.add(bytes);
        self.merging.write(file, bytes, tm, scope, checkpoint);
        self.refers_mut(checkpoint).push(file);
        file
    }

    /// `checkpoint` refers again to a file an earlier one wrote (an incremental snapshot).
    fn reuse(&mut self, checkpoint: u64, file: FileId) {
        self.registry.acquire(&[file]);
        self.refers_mut(checkpoint).push(file);
    }

    fn complete(&mut self, checkpoint: u64) {
        self.merging.checkpoint_ended(checkpoint);
    }

    /// The checkpoint is subsumed or aborted: what no other checkpoint refers to goes.
    fn release(&mut self, checkpoint: u64) {
        let at = self.refers.iter().position(|(c, _)| *c == checkpoint).unwrap();
        let (_, files) = self.refers.remove(at);
        for (file, _) in self.registry.release_files(&files) {
            self.merging.logical_deleted(file);
        }
        self.merging.checkpoint_ended(checkpoint);
        self.merging.control_space();
    }

    fn physical_files(&self) -> u64 {
        self.merging.stat().physical_files
    }

    fn logical_files(&self) -> u64 {
        self.merging.stat().logical_files
    }
}

/// `CheckpointingOptions`: the keys as Flink 2.x spells them, with Flink's defaults
/// (enabled false, across-checkpoint-boundary false, max-file-size 32 MB, pool-blocking
/// false, max-space-amplification 2.0); the other keys count only when enabled.
#[test]
fn the_keys_are_flinks_with_flinks_defaults() {
    let base = std::fs::read_to_string("scenarios/incremental.yaml").unwrap();
    let with = |extra: &str| {
        let text = base.replace(
            "  execution.checkpointing.incremental: true\n",
            &format!("  execution.checkpointing.incremental: true\n{extra}"),
        );
        common::parse(&text).checkpointing.file_merging
    };
    assert_eq!(with(""), None);
    assert_eq!(
        with("  execution.checkpointing.file-merging.across-checkpoint-boundary: true\n"),
        None,
        "only relevant if execution.checkpointing.file-merging.enabled is"
    );
    assert_eq!(
        with("  execution.checkpointing.file-merging.enabled: true\n"),
        Some(FileMergingConfig {
            across_checkpoint_boundary: false,
            max_file_size: 32 * MB,
            pool_blocking: false,
            max_space_amplification: Some(2.0),
        })
    );
    let set = with(
        "  execution.checkpointing.file-merging.enabled: true\n\
         \x20 execution.checkpointing.file-merging.across-checkpoint-boundary: true\n\
         \x20 execution.checkpointing.file-merging.max-file-size: 1mb\n\
         \x20 execution.checkpointing.file-merging.pool-blocking: true\n\
         \x20 execution.checkpointing.file-merging.max-space-amplification: 0.5\n",
    )
    .unwrap();
    assert!(set.across_checkpoint_boundary && set.pool_blocking);
    assert_eq!(set.max_file_size, MB);
    // "Any value below 1f means disabling the space control."
    assert_eq!(set.max_space_amplification, None);
}

/// `FileMergingSnapshotManagerBuilder.setMaxFileSize` requires a positive size: a
/// scenario with 0 is refused, naming the key.
#[test]
fn a_max_file_size_of_zero_is_refused() {
    let base = std::fs::read_to_string("scenarios/file-merging.yaml").unwrap();
    let text = base.replace("max-file-size: 16kb", "max-file-size: 0b");
    assert_ne!(text, base);
    let e = ckptsim::scenario::parse_str(&text, "t.yaml").unwrap_err();
    assert_eq!(e.path, "config.execution.checkpointing.file-merging.max-file-size");
    assert!(e.message.contains("more than 0"), "{e}");
}

/// `testCreateAndReuseFiles`: a subtask's shared state goes to its own physical file;
/// private state of every subtask on a TaskManager goes to one file; another
/// TaskManager has files of its own.
#[test]
fn shared_state_is_merged_per_subtask_and_private_state_per_taskmanager() {
    let mut s = Storage::new(config(false, 32 * MB));
    s.write(1, 0, Scope::Shared { subtask: 0 }, MB);
    s.write(1, 0, Scope::Shared { subtask: 0 }, MB);
    assert_eq!(s.physical_files(), 1);
    s.write(1, 0, Scope::Shared { subtask: 1 }, MB);
    assert_eq!(s.physical_files(), 2);
    s.write(1, 0, Scope::Exclusive, MB);
    s.write(1, 0, Scope::Exclusive, MB);
    assert_eq!(
        s.physical_files(),
        3,
        "the private state of subtasks 0 and 1 shares one file"
    );
    s.write(1, 1, Scope::Exclusive, MB);
    assert_eq!(s.physical_files(), 4, "TaskManager 1 has its own manager");
    assert_eq!(s.logical_files(), 6);
}

/// N subtasks on one TaskManager, K private files of `b` bytes each per checkpoint:
/// a physical file takes segments while it is smaller than max-file-size (a file of
/// that size or more is not put back into the pool, `testCreateAndReuseFiles`), so
/// it holds ceil(max / b) segments and N·K files need ceil(N·K / ceil(max / b)).
#[test]
fn physical_files_fill_up_to_max_file_size() {
    let (n, k, b, max) = (4u64, 3u64, 10 * 1024, 32 * 1024);
    let mut s = Storage::new(config(false, max));
    for _subtask in 0..n {
        for _ in 0..k {
            s.write(1, 0, Scope::Exclusive, b);
        }
    }
    let per_file = max.div_ceil(b);
    assert_eq!(per_file, 4);
    assert_eq!(s.physical_files(), (n * k).div_ceil(per_file));
    assert_eq!(s.physical_files(), 3);
    assert_eq!(s.merging.stat().physical_bytes, n * k * b);
}

/// Within checkpoint boundaries (`MERGE_WITHIN_CHECKPOINT`, the default) the next
/// checkpoint writes a new physical file (`testCreateAndReuseFiles`: "allocate for
/// another checkpoint"); across them (`MERGE_ACROSS_CHECKPOINT`,
/// `AcrossCheckpointFileMergingSnapshotManager` polls one pool for all checkpoints)
/// it appends to the same file.
#[test]
fn across_the_boundary_a_physical_file_serves_later_checkpoints() {
    let mut files = Vec::new();
    for across in [false, true] {
        let mut s = Storage::new(config(across, 32 * MB));
        for checkpoint in 1..=3 {
            s.write(checkpoint, 0, Scope::Shared { subtask: 0 }, MB);
            s.complete(checkpoint);
        }
        files.push(s.physical_files());
    }
    assert_eq!(files, vec![3, 1]);
}

/// `testCheckpointNotification`: two subtasks write a shared file each for
/// checkpoints 1 and 2, and checkpoint 2 reuses subtask 2's file of checkpoint 1: 4
/// physical files. Subsuming checkpoint 1 deletes subtask 1's first file and keeps
/// subtask 2's, still referenced (3). Checkpoint 3 writes 2 more (5); aborting it
/// deletes them (3).
#[test]
fn a_physical_file_lives_while_any_segment_is_referenced() {
    let mut s = Storage::new(config(false, 32 * MB));
    let _cp1_1 = s.write(1, 0, Scope::Shared { subtask: 1 }, 1024);
    let cp1_2 = s.write(1, 0, Scope::Shared { subtask: 2 }, 1024);
    s.complete(1);
    assert_eq!((s.physical_files(), s.logical_files()), (2, 2));
    s.write(2, 0, Scope::Shared { subtask: 1 }, 1024);
    s.write(2, 0, Scope::Shared { subtask: 2 }, 1024);
    s.reuse(2, cp1_2);
    s.complete(2);
    assert_eq!((s.physical_files(), s.logical_files()), (4, 4));
    s.release(1);
    assert_eq!((s.physical_files(), s.logical_files()), (3, 3));
    s.write(3, 0, Scope::Shared { subtask: 1 }, 1024);
    s.write(3, 0, Scope::Shared { subtask: 2 }, 1024);
    assert_eq!((s.physical_files(), s.logical_files()), (5, 5));
    s.release(3);
    assert_eq!((s.physical_files(), s.logical_files()), (3, 3));
    s.release(2);
    assert_eq!((s.physical_files(), s.logical_files()), (0, 0));
}

/// `testSpaceControl` (32 MB files, amplification 2): checkpoint 1 writes six 4 MB
/// files into one physical file; checkpoint 2 writes three and reuses the first.
/// Subsuming checkpoint 1 leaves 16 MB referenced in 36 MB (amplification 2.25 > 2),
/// so the 24 MB file, 20 MB of it wasted, is no longer reused: checkpoint 3 cannot
/// refer to its segment again but can to checkpoint 2's. After checkpoint 3 (two new
/// files, one reused) there are 3 physical and 6 logical files; subsuming
/// checkpoint 2 deletes the first physical file: 2 and 3.
#[test]
fn space_control_stops_reusing_the_most_wasteful_file() {
    let eighth = 4 * MB;
    let mut s = Storage::new(config(false, 32 * MB));
    let shared = Scope::Shared { subtask: 0 };
    let h1 = s.write(1, 0, shared, eighth);
    for _ in 0..5 {
        s.write(1, 0, shared, eighth);
    }
    s.complete(1);
    assert_eq!((s.physical_files(), s.logical_files()), (1, 6));
    assert!(s.merging.could_reuse(h1));
    let h7 = s.write(2, 0, shared, eighth);
    s.write(2, 0, shared, eighth);
    s.write(2, 0, shared, eighth);
    s.reuse(2, h1);
    s.complete(2);
    assert_eq!((s.physical_files(), s.logical_files()), (2, 9));
    s.release(1);
    assert_eq!((s.physical_files(), s.logical_files()), (2, 4));
    let stat = s.merging.stat();
    assert_eq!((stat.logical_bytes, stat.physical_bytes), (16 * MB, 36 * MB));
    assert_eq!(stat.space_amplification(), 2.25);
    assert!(!s.merging.could_reuse(h1), "the wasteful file is not reused");
    assert!(s.merging.could_reuse(h7));
    s.write(3, 0, shared, eighth);
    s.write(3, 0, shared, eighth);
    s.reuse(3, h7);
    s.complete(3);
    assert_eq!((s.physical_files(), s.logical_files()), (3, 6));
    s.release(2);
    assert_eq!((s.physical_files(), s.logical_files()), (2, 3));
}

/// With max-space-amplification below 1 Flink does no space control: the same steps
/// leave the wasteful file reusable.
#[test]
fn without_space_control_every_file_stays_reusable() {
    let mut s = Storage::new(FileMergingConfig {
        max_space_amplification: None,
        ..config(false, 32 * MB)
    });
    let shared = Scope::Shared { subtask: 0 };
    let h1 = s.write(1, 0, shared, 4 * MB);
    for _ in 0..5 {
        s.write(1, 0, shared, 4 * MB);
    }
    s.complete(1);
    s.write(2, 0, shared, 4 * MB);
    s.reuse(2, h1);
    s.complete(2);
    s.release(1);
    assert!(s.merging.stat().space_amplification() > 2.0);
    assert!(s.merging.could_reuse(h1));
}

fn scenario(path: &str) -> ckptsim::scenario::Scenario {
    common::load(path.as_ref())
}

/// Merging places the files a run writes; it writes the same ones: with space
/// control off, the run is the same event for event (same trace digest) and stores
/// the same logical files as with merging off. With a max-file-size of one byte
/// every segment closes its file, so there is one physical file per logical file, as
/// with merging off.
#[test]
fn merging_places_the_same_files_and_one_byte_files_are_one_per_logical_file() {
    let mut off = scenario("scenarios/file-merging.yaml");
    off.checkpointing.file_merging = None;
    let off = common::run_held(off).summary;
    let off_storage = off.checkpoints.as_ref().unwrap().storage.clone();
    assert!(off_storage.file_merging.is_none());

    let mut on = scenario("scenarios/file-merging.yaml");
    let cfg = on.checkpointing.file_merging.as_mut().unwrap();
    cfg.max_space_amplification = None;
    let on = common::run_held(on).summary;
    assert_eq!(on.trace_digest, off.trace_digest);
    let on_storage = on.checkpoints.as_ref().unwrap().storage.clone();
    assert_eq!(on_storage.peak_files, off_storage.peak_files);
    assert_eq!(on_storage.peak_bytes, off_storage.peak_bytes);

    let mut tiny = scenario("scenarios/file-merging.yaml");
    tiny.checkpointing.file_merging.as_mut().unwrap().max_file_size = 1;
    let tiny = common::run_held(tiny).summary;
    let storage = tiny.checkpoints.as_ref().unwrap().storage.clone();
    let merging = storage.file_merging.unwrap();
    assert_eq!(merging.peak_physical_files, off_storage.peak_files);
    assert_eq!(merging.peak_physical_bytes, off_storage.peak_bytes);
    assert_eq!(merging.peak_space_amplification, 1.0);
    for sample in &tiny.samples {
        let physical = sample.physical_storage.unwrap();
        assert_eq!(
            (physical.files, physical.bytes),
            (sample.storage_files, sample.storage_bytes)
        );
    }
}

/// The shipped scenario: with merging on storage holds far fewer files than the
/// logical files it would hold without (at most a half at the peak), exactly-once
/// holds, and space control keeps the amplification near its bound on average.
#[test]
fn the_shipped_scenario_stores_far_fewer_files() {
    let on = common::run_held(scenario("scenarios/file-merging.yaml")).summary;
    let storage = on.checkpoints.as_ref().unwrap().storage.clone();
    let merging = storage.file_merging.clone().unwrap();
    assert!(
        merging.peak_physical_files * 2 <= storage.peak_files,
        "{} physical files against {} logical",
        merging.peak_physical_files,
        storage.peak_files
    );
    assert!(merging.mean_space_amplification <= 2.0, "{merging:?}");
    // Every completed checkpoint wrote at least a file per keyed subtask and its
    // `_metadata`, into fewer newly opened physical files.
    let report = on.checkpoints.as_ref().unwrap();
    let completed: Vec<_> = report.checkpoints.iter().filter(|c| c.status == "COMPLETED").collect();
    assert!(completed.len() > 40);
    for c in &completed {
        let w = c.files_written.expect("counted with merging on");
        assert!(w.logical_files > 32, "checkpoint {}: {w:?}", c.id);
        assert!(w.physical_files < w.logical_files, "checkpoint {}: {w:?}", c.id);
    }
    assert!(merging.mean_space_amplification > 1.0, "{merging:?}");
    assert_eq!(merging.by_taskmanager.len(), 4);

    let mut off = scenario("scenarios/file-merging.yaml");
    off.checkpointing.file_merging = None;
    let off = common::run_held(off).summary;
    assert!(
        off.checkpoints
            .as_ref()
            .unwrap()
            .checkpoints
            .iter()
            .all(|c| c.files_written.is_none())
    );
    let off_files = off.checkpoints.as_ref().unwrap().storage.peak_files;
    assert!(
        merging.peak_physical_files * 2 <= off_files,
        "{off_files} files with merging off"
    );
}

/// A job cancelled with `RETAIN_ON_CANCELLATION` leaves its latest checkpoint's files:
/// the run's storage figures, the per-TaskManager ones (Flink's `fileMerging.*`
/// gauges of each manager) and `metrics.prom` agree.
#[test]
fn retained_files_are_reported_per_taskmanager_as_flinks_gauges() {
    let base = std::fs::read_to_string("scenarios/file-merging.yaml").unwrap();
    let text = base.replace(
        "  execution.checkpointing.incremental: true\n",
        "  execution.checkpointing.incremental: true\n  \
         execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION\n",
    ) + "\nstop:\n  at: 5s\n  kind: cancel\n";
    let outcome = ckptsim::run::run(common::parse(&text)).unwrap();
    let record = ckptsim::report::RunRecord::new(&outcome);
    let storage = record.summary.checkpoints.as_ref().unwrap().storage.clone();
    let merging = storage.file_merging.clone().unwrap();
    assert!(storage.files_at_end > 0);
    assert!(merging.physical_files_at_end > 0 && merging.physical_files_at_end < storage.files_at_end);
    let tms = &merging.by_taskmanager;
    assert_eq!(tms.len(), 4);
    // The `_metadata` file is no TaskManager's.
    let sum = |f: fn(&ckptsim::stats::checkpoint::TaskManagerFiles) -> u64| tms.iter().map(f).sum::<u64>();
    assert_eq!(sum(|t| t.physical_file_count), merging.physical_files_at_end - 1);
    assert_eq!(sum(|t| t.logical_file_count), storage.files_at_end - 1);
    let files = ckptsim::report::render_run(&record).unwrap();
    let (_, prom) = files
        .iter()
        .find(|(p, _)| p.to_string_lossy() == "metrics.prom")
        .expect("metrics.prom");
    let prom = String::from_utf8(prom.clone()).unwrap();
    let values = |name: &str| -> Vec<u64> {
        prom.lines()
            .filter(|l| l.starts_with(&format!("flink_taskmanager_job_fileMerging_{name}{{")))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
            .collect()
    };
    let count: Vec<u64> = tms.iter().map(|t| t.physical_file_count).collect();
    assert_eq!(values("physicalFileCount"), count);
    let size: Vec<u64> = tms.iter().map(|t| t.logical_file_size).collect();
    assert_eq!(values("logicalFileSize"), size);
    assert!(prom.contains("tm_id=\"taskmanager-3\""));
}

/// A savepoint is self-contained and written without the file-merging manager
/// (Flink's savepoint location is not a merging one): after `flink stop` the
/// savepoint's files, all that storage keeps, are one physical file each.
#[test]
fn a_savepoints_files_are_not_merged() {
    let base = std::fs::read_to_string("scenarios/stop-with-savepoint.yaml").unwrap();
    let text = base.replace(
        "  execution.checkpointing.interval: 500ms\n",
        "  execution.checkpointing.interval: 500ms\n  \
         execution.checkpointing.file-merging.enabled: true\n  \
         execution.checkpointing.file-merging.across-checkpoint-boundary: true\n",
    );
    assert_ne!(text, base);
    let outcome = common::run_held(common::parse(&text));
    let storage = outcome.summary.checkpoints.unwrap().storage;
    let merging = storage.file_merging.clone().unwrap();
    assert!(storage.files_at_end > 2, "{storage:?}");
    assert_eq!(merging.physical_files_at_end, storage.files_at_end);
    assert!(
        merging.peak_physical_files < storage.peak_files,
        "the checkpoints' files were merged"
    );
}

// The report's summary (summary.md, and the page's summary table) has a file-merging
// row: the physical files beside the logical ones, and the space amplification; a run
// without merging has none.
#[test]
fn the_report_shows_file_merging() {
    let summary = |scenario: &str, name: &str| {
        let dir = std::env::temp_dir().join(format!("ckptsim-fm-report-{name}-{}", std::process::id()));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ckptsim"))
            .args(["run", scenario, &format!("--report={}", dir.display())])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        md
    };
    let md = summary("scenarios/file-merging.yaml", "on");
    let row = md
        .lines()
        .find(|l| l.starts_with("| file merging |"))
        .expect("a file merging row");
    assert!(
        row.contains("at most 70 physical file(s)") && row.contains("for 194 logical file(s)"),
        "{row}"
    );
    assert!(
        row.contains("space amplification 1.42 on average, at most 2.64"),
        "{row}"
    );
    assert!(!summary("scenarios/quickstart.yaml", "off").contains("| file merging |"));
}
