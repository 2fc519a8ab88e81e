//! Flink's REST responses, as saved in a folder, read into typed values.
//!
//! Two layouts are found: the endpoint paths themselves (`jobs/<id>.json`,
//! `checkpoints.json`, `checkpoints/config`, `checkpoints/details/<n>`,
//! `checkpoints/details/<n>/subtasks/<vertex>`, `vertices/<vertex>/metrics`), with or
//! without `.json`, and flat names (`job.json`, `checkpoints_config.json` or
//! `checkpoints-config.json`, `checkpoint_<n>_details.json`, `metrics_<vertex>.json`,
//! where `<vertex>` may be cut to its first characters).

use super::ImportError;
use super::json::{Field, parse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `GET /jobs/:jobid`: the job's vertices and its plan.
#[derive(Debug, Clone)]
pub struct JobDetails {
    pub file: String,
    pub name: String,
    /// How long the job had run, in milliseconds.
    pub duration_ms: Option<u64>,
    /// `start-time`: when the job was submitted, in epoch milliseconds.
    pub start_time_ms: Option<u64>,
    pub vertices: Vec<JobVertex>,
    pub plan: Vec<PlanNode>,
}

#[derive(Debug, Clone)]
pub struct JobVertex {
    pub id: String,
    pub name: String,
    pub parallelism: u64,
    /// `metrics.write-records` and `metrics.write-bytes`: what the vertex sent downstream.
    pub write_records: Option<u64>,
    pub write_bytes: Option<u64>,
    /// `duration`: how long the vertex had run, in milliseconds.
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct PlanNode {
    pub id: String,
    pub parallelism: u64,
    pub description: String,
    pub inputs: Vec<PlanInput>,
}

#[derive(Debug, Clone)]
pub struct PlanInput {
    pub id: String,
    pub ship_strategy: String,
}

/// `GET /jobs/:jobid/checkpoints/config`.
#[derive(Debug, Clone)]
pub struct CheckpointConfig {
    pub file: String,
    pub mode: String,
    pub interval_ms: i64,
    pub timeout_ms: i64,
    pub min_pause_ms: i64,
    pub max_concurrent: i64,
    pub externalization_enabled: bool,
    pub delete_on_cancellation: bool,
    pub state_backend: Option<String>,
    pub checkpoint_storage: Option<String>,
    pub unaligned: bool,
    pub tolerable_failed: i64,
    pub aligned_checkpoint_timeout_ms: Option<i64>,
    pub changelog_enabled: Option<bool>,
}

/// One checkpoint's statistics, from the history or from its details response.
#[derive(Debug, Clone)]
pub struct CheckpointStats {
    pub id: u64,
    pub status: String,
    pub is_savepoint: bool,
    pub state_size: u64,
    pub checkpointed_size: Option<u64>,
    /// When the checkpoint was triggered, in milliseconds since the epoch.
    pub trigger_ms: Option<i64>,
    /// Last acknowledgement minus trigger, in milliseconds (the metadata write is
    /// not in it).
    pub end_to_end_ms: Option<i64>,
    /// In-flight data unaligned checkpoints persisted, in bytes.
    pub persisted_data: Option<u64>,
    /// Per vertex id; empty in the history of Flink 2.x.
    pub tasks: BTreeMap<String, TaskStats>,
}

/// `GET /jobs/:jobid/checkpoints/details/:n/subtasks/:vertex`: one vertex's subtasks
/// in one checkpoint; only the subtasks that acknowledged.
#[derive(Debug, Clone)]
pub struct VertexSubtasks {
    pub file: String,
    pub subtasks: Vec<SubtaskStats>,
}

/// One subtask's part of a checkpoint; durations in milliseconds, sizes in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtaskStats {
    pub index: u64,
    pub end_to_end_ms: i64,
    pub start_delay_ms: i64,
    pub alignment_ms: i64,
    pub sync_ms: i64,
    pub async_ms: i64,
    pub state_size: u64,
    pub checkpointed_size: u64,
    pub persisted_data: u64,
}

#[derive(Debug, Clone)]
pub struct TaskStats {
    pub state_size: u64,
    /// In-flight data an unaligned checkpoint persisted; part of `state_size`.
    pub persisted_data: u64,
    pub num_subtasks: u64,
}

/// `GET /jobs/:jobid/checkpoints`.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    pub file: String,
    pub history: Vec<CheckpointStats>,
}

/// `GET /jobs/:jobid/vertices/:vertexid/metrics?get=...&agg=...`: aggregated over
/// the vertex's subtasks.
#[derive(Debug, Clone, Default)]
pub struct VertexMetrics {
    pub file: String,
    /// By metric id: (avg, sum).
    pub values: BTreeMap<String, (Option<f64>, Option<f64>)>,
    /// By metric id: (min, max) over the subtasks.
    pub ranges: BTreeMap<String, (Option<f64>, Option<f64>)>,
}

/// `GET /taskmanagers`.
#[derive(Debug, Clone)]
pub struct TaskManagers {
    pub file: String,
    pub count: u64,
    pub slots: Option<u64>,
    pub cpu_cores: Option<u64>,
}

/// Everything read from one folder.
#[derive(Debug, Clone)]
pub struct Responses {
    /// The folder read; comments name files relative to it.
    pub dir: String,
    pub job: JobDetails,
    pub config: CheckpointConfig,
    pub checkpoints: Checkpoints,
    /// Details responses, by checkpoint id.
    pub details: BTreeMap<u64, CheckpointStats>,
    /// Subtasks responses, by checkpoint id and vertex id.
    pub subtasks: BTreeMap<(u64, String), VertexSubtasks>,
    /// By vertex id.
    pub metrics: BTreeMap<String, VertexMetrics>,
    pub taskmanagers: Option<TaskManagers>,
}

impl Responses {
    pub fn load(dir: &Path) -> Result<Self, ImportError> {
        if !dir.is_dir() {
            return Err(ImportError {
                file: dir.display().to_string(),
                field: None,
                message: "not a folder of Flink REST responses".into(),
            });
        }
        let job_path = find_job(dir)?;
        let job = read(&job_path, job_details)?;
        let config_path = first_existing(
            dir,
            &[
                "checkpoints/config",
                "checkpoints/config.json",
                "checkpoints_config.json",
                "checkpoints-config.json",
            ],
        )
        .ok_or_else(|| missing(dir, "checkpoints/config (or checkpoints_config.json)"))?;
        let config = read(&config_path, checkpoint_config)?;
        let checkpoints_path = first_existing(dir, &["checkpoints.json", "checkpoints/index.json", "checkpoints"])
            .filter(|p| p.is_file())
            .ok_or_else(|| missing(dir, "checkpoints.json"))?;
        let checkpoints = read(&checkpoints_path, checkpoints)?;
        let mut details = BTreeMap::new();
        for (id, path) in details_files(dir) {
            details.insert(id, read(&path, checkpoint_stats)?);
        }
        let mut subtasks = BTreeMap::new();
        for &id in details.keys() {
            for vertex in &job.vertices {
                if let Some(path) = subtasks_file(dir, id, &vertex.id) {
                    subtasks.insert((id, vertex.id.clone()), read(&path, vertex_subtasks)?);
                }
            }
        }
        let mut metrics = BTreeMap::new();
        for vertex in &job.vertices {
            if let Some(path) = metrics_file(dir, &vertex.id) {
                metrics.insert(vertex.id.clone(), read(&path, vertex_metrics)?);
            }
        }
        let taskmanagers = match first_existing(dir, &["taskmanagers.json", "taskmanagers"]).filter(|p| p.is_file()) {
            Some(path) => Some(read(&path, taskmanagers)?),
            None => None,
        };
        Ok(Responses {
            dir: dir.display().to_string(),
            job,
            config,
            checkpoints,
            details,
            subtasks,
            metrics,
            taskmanagers,
        })
    }
}

fn missing(dir: &Path, what: &str) -> ImportError {
    ImportError {
        file: dir.join(what).display().to_string(),
        field: None,
        message: "missing: save Flink's response of this endpoint there".into(),
    }
}

fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// `job.json`, `job-details.json`, or the one `jobs/<id>.json` (or `jobs/<id>`).
fn find_job(dir: &Path) -> Result<PathBuf, ImportError> {
    if let Some(p) = first_existing(dir, &["job.json", "job-details.json", "job_details.json"]) {
        return Ok(p);
    }
    let jobs = dir.join("jobs");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&jobs)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().len() >= 32))
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(missing(dir, "job.json (or jobs/<job id>.json)")),
        _ => Err(ImportError {
            file: jobs.display().to_string(),
            field: None,
            message: format!("holds {} jobs; import a folder with one job", found.len()),
        }),
    }
}

/// Details responses, by checkpoint id, in both layouts.
fn details_files(dir: &Path) -> BTreeMap<u64, PathBuf> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let id = ["_details.json", "-details.json"].iter().find_map(|suffix| {
            let stem = name.strip_suffix(suffix)?;
            stem.strip_prefix("checkpoint_")
                .or_else(|| stem.strip_prefix("checkpoint-"))?
                .parse::<u64>()
                .ok()
        });
        if let Some(id) = id {
            files.insert(id, entry.path());
        }
    }
    for entry in std::fs::read_dir(dir.join("checkpoints/details"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.strip_suffix(".json").unwrap_or(&name);
        let Ok(id) = stem.parse::<u64>() else { continue };
        if path.is_file() {
            files.insert(id, path);
        } else if let Some(inner) = first_existing(&path, &["index.json", "details.json"]) {
            files.insert(id, inner);
        }
    }
    files
}

/// A checkpoint's subtasks response of a vertex: `checkpoints/details/<n>/subtasks/<vertex>`
/// (`.json` optional) or `checkpoint_<n>_subtasks_<vertex or its first ≥4 characters>.json`.
fn subtasks_file(dir: &Path, id: u64, vertex: &str) -> Option<PathBuf> {
    let base = dir.join(format!("checkpoints/details/{id}/subtasks"));
    if let Some(p) = first_existing(&base, &[vertex, format!("{vertex}.json").as_str()]) {
        return Some(p);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let prefix = format!("checkpoint_{id}_subtasks_");
    names
        .into_iter()
        .find(|name| {
            let stem = name.strip_suffix(".json").unwrap_or(name);
            stem.strip_prefix(&prefix)
                .is_some_and(|p| p.len() >= 4 && vertex.starts_with(p))
        })
        .map(|n| dir.join(n))
}

/// The vertex's metrics response, named by its full id or a prefix of it.
fn metrics_file(dir: &Path, vertex: &str) -> Option<PathBuf> {
    for base in [
        dir.join(format!("vertices/{vertex}")),
        dir.join(format!("jobs/vertices/{vertex}")),
    ] {
        if let Some(p) = first_existing(&base, &["metrics", "metrics.json"]) {
            return Some(p);
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .find(|name| {
            let stem = name.strip_suffix(".json").unwrap_or(name);
            let prefix = stem.strip_prefix("metrics_").or_else(|| stem.strip_prefix("metrics-"));
            prefix.is_some_and(|p| p.len() >= 4 && vertex.starts_with(p))
        })
        .map(|n| dir.join(n))
}

fn read<T>(path: &Path, decode: impl FnOnce(Field) -> Result<T, ImportError>) -> Result<T, ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ImportError {
        file: file.clone(),
        field: None,
        message: format!("cannot read: {e}"),
    })?;
    let value = parse(&file, &text)?;
    decode(Field::root(&file, &value))
}

fn opt_u64(f: Field, name: &str) -> Result<Option<u64>, ImportError> {
    f.opt(name).map(|c| c.get().u64()).transpose()
}

fn opt_i64(f: Field, name: &str) -> Result<Option<i64>, ImportError> {
    f.opt(name).map(|c| c.get().i64()).transpose()
}

fn opt_string(f: Field, name: &str) -> Result<Option<String>, ImportError> {
    f.opt(name).map(|c| c.get().str().map(str::to_string)).transpose()
}

fn job_details(f: Field) -> Result<JobDetails, ImportError> {
    let mut vertices = Vec::new();
    for v in f.req("vertices")?.get().items()? {
        let v = v.get();
        let metrics = v.opt("metrics");
        let (write_records, write_bytes) = match &metrics {
            Some(m) => (opt_u64(m.get(), "write-records")?, opt_u64(m.get(), "write-bytes")?),
            None => (None, None),
        };
        vertices.push(JobVertex {
            id: v.req("id")?.get().str()?.to_string(),
            name: v.req("name")?.get().str()?.to_string(),
            parallelism: v.req("parallelism")?.get().u64()?,
            write_records,
            write_bytes,
            duration_ms: opt_u64(v, "duration")?,
        });
    }
    let plan_field = f.req("plan")?;
    let mut plan = Vec::new();
    for n in plan_field.get().req("nodes")?.get().items()? {
        let n = n.get();
        let mut inputs = Vec::new();
        if let Some(list) = n.opt("inputs") {
            for i in list.get().items()? {
                let i = i.get();
                inputs.push(PlanInput {
                    id: i.req("id")?.get().str()?.to_string(),
                    ship_strategy: i.req("ship_strategy")?.get().str()?.to_string(),
                });
            }
        }
        plan.push(PlanNode {
            id: n.req("id")?.get().str()?.to_string(),
            parallelism: n.req("parallelism")?.get().u64()?,
            description: opt_string(n, "description")?.unwrap_or_default(),
            inputs,
        });
    }
    if plan.is_empty() {
        return Err(plan_field.get().error("the plan has no nodes"));
    }
    Ok(JobDetails {
        file: f.file.to_string(),
        name: opt_string(f, "name")?.unwrap_or_else(|| "imported".into()),
        duration_ms: opt_u64(f, "duration")?,
        start_time_ms: opt_i64(f, "start-time")?
            .and_then(|t| u64::try_from(t).ok())
            .filter(|&t| t > 0),
        vertices,
        plan,
    })
}

fn checkpoint_config(f: Field) -> Result<CheckpointConfig, ImportError> {
    let externalization = f.req("externalization")?;
    let ext = externalization.get();
    Ok(CheckpointConfig {
        file: f.file.to_string(),
        mode: f.req("mode")?.get().str()?.to_string(),
        interval_ms: f.req("interval")?.get().i64()?,
        timeout_ms: f.req("timeout")?.get().i64()?,
        min_pause_ms: f.req("min_pause")?.get().i64()?,
        max_concurrent: f.req("max_concurrent")?.get().i64()?,
        externalization_enabled: ext.req("enabled")?.get().bool()?,
        delete_on_cancellation: ext.req("delete_on_cancellation")?.get().bool()?,
        state_backend: opt_string(f, "state_backend")?,
        checkpoint_storage: opt_string(f, "checkpoint_storage")?,
        unaligned: f
            .opt("unaligned_checkpoints")
            .map(|c| c.get().bool())
            .transpose()?
            .unwrap_or(false),
        tolerable_failed: opt_i64(f, "tolerable_failed_checkpoints")?.unwrap_or(0),
        aligned_checkpoint_timeout_ms: opt_i64(f, "aligned_checkpoint_timeout")?,
        changelog_enabled: f.opt("state_changelog_enabled").map(|c| c.get().bool()).transpose()?,
    })
}

fn checkpoint_stats(f: Field) -> Result<CheckpointStats, ImportError> {
    let mut tasks = BTreeMap::new();
    if let Some(t) = f.opt("tasks") {
        for (vertex, stats) in t.get().entries()? {
            let s = stats.get();
            tasks.insert(
                vertex,
                TaskStats {
                    state_size: s.req("state_size")?.get().u64()?,
                    persisted_data: opt_u64(s, "persisted_data")?.unwrap_or(0),
                    num_subtasks: s.req("num_subtasks")?.get().u64()?,
                },
            );
        }
    }
    Ok(CheckpointStats {
        id: f.req("id")?.get().u64()?,
        status: f.req("status")?.get().str()?.to_string(),
        is_savepoint: f
            .opt("is_savepoint")
            .map(|c| c.get().bool())
            .transpose()?
            .unwrap_or(false),
        state_size: f.req("state_size")?.get().u64()?,
        checkpointed_size: opt_u64(f, "checkpointed_size")?,
        trigger_ms: opt_i64(f, "trigger_timestamp")?,
        end_to_end_ms: opt_i64(f, "end_to_end_duration")?,
        persisted_data: opt_u64(f, "persisted_data")?,
        tasks,
    })
}

fn vertex_subtasks(f: Field) -> Result<VertexSubtasks, ImportError> {
    let mut subtasks = Vec::new();
    for s in f.req("subtasks")?.get().items()? {
        let s = s.get();
        // A subtask that has not acknowledged has no figures.
        if s.opt("checkpoint").is_none() {
            continue;
        }
        let checkpoint = s.req("checkpoint")?;
        let alignment = s.req("alignment")?;
        let (c, a) = (checkpoint.get(), alignment.get());
        subtasks.push(SubtaskStats {
            index: s.req("index")?.get().u64()?,
            end_to_end_ms: s.req("end_to_end_duration")?.get().i64()?,
            start_delay_ms: s.req("start_delay")?.get().i64()?,
            alignment_ms: a.req("duration")?.get().i64()?,
            sync_ms: c.req("sync")?.get().i64()?,
            async_ms: c.req("async")?.get().i64()?,
            state_size: s.req("state_size")?.get().u64()?,
            checkpointed_size: opt_u64(s, "checkpointed_size")?.unwrap_or(0),
            persisted_data: opt_u64(a, "persisted")?.unwrap_or(0),
        });
    }
    Ok(VertexSubtasks {
        file: f.file.to_string(),
        subtasks,
    })
}

fn checkpoints(f: Field) -> Result<Checkpoints, ImportError> {
    let mut history = Vec::new();
    for entry in f.req("history")?.get().items()? {
        history.push(checkpoint_stats(entry.get())?);
    }
    Ok(Checkpoints {
        file: f.file.to_string(),
        history,
    })
}

fn vertex_metrics(f: Field) -> Result<VertexMetrics, ImportError> {
    let mut values = BTreeMap::new();
    let mut ranges = BTreeMap::new();
    for m in f.items()? {
        let m = m.get();
        let id = m.req("id")?.get().str()?.to_string();
        let num = |name: &str| m.opt(name).map(|c| c.get().f64()).transpose().map(Option::flatten);
        values.insert(id.clone(), (num("avg")?, num("sum")?));
        ranges.insert(id, (num("min")?, num("max")?));
    }
    Ok(VertexMetrics {
        file: f.file.to_string(),
        values,
        ranges,
    })
}

fn taskmanagers(f: Field) -> Result<TaskManagers, ImportError> {
    let field = f.req("taskmanagers")?;
    let list = field.get().items()?;
    let mut slots = None;
    let mut cores = None;
    for tm in &list {
        let tm = tm.get();
        slots = slots.or(opt_u64(tm, "slotsNumber")?);
        if let Some(hw) = tm.opt("hardware") {
            cores = cores.or(opt_u64(hw.get(), "cpuCores")?);
        }
    }
    Ok(TaskManagers {
        file: f.file.to_string(),
        count: list.len() as u64,
        slots,
        cpu_cores: cores,
    })
}
