//! Maps Flink's REST responses onto the scenario's vocabulary. Every value keeps
//! where it came from (a file and field) or says that it is an assumption.

use super::ImportError;
use super::keys::{self, KeyedState, StateFill};
use super::rest::{CheckpointStats, PlanNode, Responses};
use std::collections::BTreeMap;

/// Completed checkpoints at the start of a run that are dropped: state still fills
/// and the JVM is cold.
pub const WARM_UP_CHECKPOINTS: usize = 3;
/// A scenario's durations are capped at 30 days.
const MAX_DURATION_MS: i64 = 30 * 24 * 3600 * 1000;

/// A value as written in YAML, with its provenance comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub text: String,
    pub comment: String,
}

fn from(text: impl Into<String>, comment: impl Into<String>) -> Sourced {
    Sourced {
        text: text.into(),
        comment: comment.into(),
    }
}

fn assumed(text: impl Into<String>, why: &str) -> Sourced {
    let text = text.into();
    let comment = if why.is_empty() {
        format!("assumption: default {text}")
    } else {
        format!("assumption: default {text} ({why})")
    };
    Sourced { text, comment }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub name: String,
    pub comment: String,
    pub kind: String,
    pub fields: Vec<(String, Sourced)>,
    /// Comment lines written above the operator: what Flink measured that the
    /// scenario has no field for.
    pub notes: Vec<String>,
    /// The job vertex it stands for.
    pub vertex_id: String,
    /// The sink split off the end of a vertex that chains its sink: Flink measured
    /// the vertex as one, so its figures belong to the operator it was split from.
    pub chained_end: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub partitioning: Sourced,
}

/// The whole scenario, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub name: String,
    pub description: String,
    pub duration: Sourced,
    pub config: Vec<(String, Sourced)>,
    pub checkpointing: Vec<(String, Sourced)>,
    /// Keys under `cluster:`, dotted for nested mappings (`network.latency`).
    pub cluster: Vec<(String, Sourced)>,
    pub operators: Vec<Operator>,
    pub edges: Vec<Edge>,
    /// Header lines: what the responses say that no scenario key expresses.
    pub notes: Vec<String>,
    /// What keys and bytes per key are sized from; kept so that a calibrated source
    /// rate can size them again.
    pub keyed_state: Vec<KeyedState>,
    pub state_fill: Option<StateFill>,
}

/// A file's path inside the imported folder, for comments.
pub fn short<'a>(dir: &str, file: &'a str) -> &'a str {
    file.strip_prefix(dir)
        .map(|rest| rest.trim_start_matches('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(file)
}

fn ms(value: i64) -> String {
    format!("{value}ms")
}

/// The chained operator names of a plan node (`keyed-count<br/>+- discard: Writer`).
pub fn chained_names(node: &PlanNode) -> Vec<String> {
    node.description
        .split("<br/>")
        .map(|s| s.trim().trim_start_matches("+-").trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn median(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

pub fn completed(c: &CheckpointStats) -> bool {
    c.status == "COMPLETED" && !c.is_savepoint
}

pub fn derive(r: &Responses) -> Result<Derived, ImportError> {
    let cfg_file = short(&r.dir, &r.config.file).to_string();
    let job_file = short(&r.dir, &r.job.file).to_string();
    let ckpt_file = short(&r.dir, &r.checkpoints.file).to_string();
    let c = &r.config;
    let mut notes = Vec::new();
    let mut config: Vec<(String, Sourced)> = Vec::new();

    // Checkpointing configuration.
    let mode = match c.mode.to_ascii_lowercase().as_str() {
        "exactly_once" => "EXACTLY_ONCE",
        "at_least_once" => "AT_LEAST_ONCE",
        other => {
            return Err(ImportError {
                file: r.config.file.clone(),
                field: Some("mode".into()),
                message: format!("expected exactly_once or at_least_once, got `{other}`"),
            });
        }
    };
    if c.interval_ms > 0 && c.interval_ms <= MAX_DURATION_MS {
        config.push((
            "execution.checkpointing.interval".into(),
            from(ms(c.interval_ms), format!("{cfg_file}: interval")),
        ));
    } else {
        notes.push(format!(
            "{cfg_file}: interval is {}: periodic checkpoints are off",
            c.interval_ms
        ));
    }
    config.push((
        "execution.checkpointing.mode".into(),
        from(mode, format!("{cfg_file}: mode")),
    ));
    if c.timeout_ms > 0 && c.timeout_ms <= MAX_DURATION_MS {
        config.push((
            "execution.checkpointing.timeout".into(),
            from(ms(c.timeout_ms), format!("{cfg_file}: timeout")),
        ));
    }
    if (0..=MAX_DURATION_MS).contains(&c.min_pause_ms) {
        config.push((
            "execution.checkpointing.min-pause".into(),
            from(ms(c.min_pause_ms), format!("{cfg_file}: min_pause")),
        ));
    }
    if c.max_concurrent >= 1 && c.max_concurrent <= u32::MAX as i64 {
        config.push((
            "execution.checkpointing.max-concurrent-checkpoints".into(),
            from(c.max_concurrent.to_string(), format!("{cfg_file}: max_concurrent")),
        ));
    }
    if (0..=u32::MAX as i64).contains(&c.tolerable_failed) {
        config.push((
            "execution.checkpointing.tolerable-failed-checkpoints".into(),
            from(
                c.tolerable_failed.to_string(),
                format!("{cfg_file}: tolerable_failed_checkpoints"),
            ),
        ));
    }
    let retention = match (c.externalization_enabled, c.delete_on_cancellation) {
        (false, _) => "NO_EXTERNALIZED_CHECKPOINTS",
        (true, true) => "DELETE_ON_CANCELLATION",
        (true, false) => "RETAIN_ON_CANCELLATION",
    };
    config.push((
        "execution.checkpointing.externalized-checkpoint-retention".into(),
        from(
            retention,
            format!("{cfg_file}: externalization.enabled, externalization.delete_on_cancellation"),
        ),
    ));
    config.push((
        "execution.checkpointing.unaligned.enabled".into(),
        from(c.unaligned.to_string(), format!("{cfg_file}: unaligned_checkpoints")),
    ));
    if c.unaligned
        && let Some(t) = c
            .aligned_checkpoint_timeout_ms
            .filter(|t| (0..=MAX_DURATION_MS).contains(t))
    {
        config.push((
            "execution.checkpointing.aligned-checkpoint-timeout".into(),
            from(ms(t), format!("{cfg_file}: aligned_checkpoint_timeout")),
        ));
    }

    // Checkpoint history: completed checkpoints after the warm-up ones.
    let mut history: Vec<&CheckpointStats> = r.checkpoints.history.iter().filter(|c| completed(c)).collect();
    history.sort_by_key(|c| c.id);
    let warm_up = warm_up_ids(r);
    let steady: Vec<&CheckpointStats> = history.iter().copied().filter(|c| !warm_up.contains(&c.id)).collect();
    let steady_ids = id_list(steady.iter().map(|c| c.id));

    // State backend and incremental checkpoints.
    let backend = c.state_backend.as_deref().unwrap_or("");
    let lower = backend.to_ascii_lowercase();
    let rocksdb = lower.contains("rocksdb");
    let forst = lower.contains("forst");
    if lower.contains("hashmap") || rocksdb || forst {
        let key = if forst {
            "forst"
        } else if rocksdb {
            "rocksdb"
        } else {
            "hashmap"
        };
        config.push((
            "state.backend.type".into(),
            from(key, format!("{cfg_file}: state_backend = {backend}")),
        ));
    } else if !backend.is_empty() {
        notes.push(format!(
            "{cfg_file}: state_backend {backend} has no counterpart; the simulation's default (hashmap) applies"
        ));
    }
    if rocksdb {
        let mut full: Vec<u64> = steady.iter().map(|c| c.state_size).collect();
        let mut uploaded: Vec<u64> = steady.iter().filter_map(|c| c.checkpointed_size).collect();
        let incremental = match (median(&mut full), median(&mut uploaded)) {
            (Some(f), Some(u)) => u * 10 < f * 9,
            _ => false,
        };
        config.push((
            "execution.checkpointing.incremental".into(),
            from(
                incremental.to_string(),
                format!("{ckpt_file}: history[].checkpointed_size against state_size (incremental when it uploads under 90%)"),
            ),
        ));
    }
    if let Some(storage) = &c.checkpoint_storage {
        notes.push(format!("{cfg_file}: checkpoint_storage {storage}: its speed is not in the responses (see cluster.checkpoint-storage)"));
    }
    if c.changelog_enabled == Some(true) {
        notes.push(format!(
            "{cfg_file}: state_changelog_enabled is true: the changelog backend is not simulated"
        ));
    }

    // Topology.
    let nodes = topological(&r.job.plan).ok_or_else(|| ImportError {
        file: r.job.file.clone(),
        field: Some("plan.nodes".into()),
        message: "the plan has a cycle or an input that names no node".into(),
    })?;
    let vertex = |id: &str| r.job.vertices.iter().find(|v| v.id == id);
    let mut consumers: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &nodes {
        for i in &n.inputs {
            *consumers.entry(i.id.as_str()).or_default() += 1;
        }
    }
    let max_parallelism = nodes.iter().map(|n| n.parallelism).max().unwrap_or(1);
    let mut operators: Vec<Operator> = Vec::new();
    let mut edges = Vec::new();
    // Plan node id → (name of the operator its inputs go to, of the one its output leaves).
    let mut ends: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    let mut keyed_upstream: BTreeMap<String, bool> = BTreeMap::new();
    let mut used_names: Vec<String> = Vec::new();
    let mut unique = |base: String| {
        let mut name = if base.is_empty() { "operator".to_string() } else { base };
        let stem = name.clone();
        let mut k = 2;
        while used_names.contains(&name) {
            name = format!("{stem}-{k}");
            k += 1;
        }
        used_names.push(name.clone());
        name
    };
    let mut keyed_ops: Vec<(usize, String, u64)> = Vec::new();
    let mut sources: Vec<usize> = Vec::new();
    for n in &nodes {
        let field = format!("plan.nodes[id={}]", n.id);
        let names = chained_names(n);
        let vname = vertex(&n.id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| names.join(" -> "));
        let after_keyed = n
            .inputs
            .iter()
            .any(|i| keyed_upstream.get(&i.id).copied().unwrap_or(false));
        let hashed = n.inputs.iter().any(|i| i.ship_strategy.eq_ignore_ascii_case("HASH"));
        let terminal = !consumers.contains_key(n.id.as_str());
        let is_window = vname.to_ascii_lowercase().contains("window");
        let kind = if n.inputs.is_empty() {
            "source"
        } else if hashed && !after_keyed {
            if is_window { "window" } else { "aggregate" }
        } else if terminal {
            "sink"
        } else {
            "map"
        };
        let par = from(n.parallelism.to_string(), format!("{job_file}: {field}.parallelism"));
        let comment = format!("{job_file}: vertex `{vname}` ({})", n.id);
        let mut notes_here = Vec::new();
        if names.len() > 1 {
            notes_here.push(format!("chained in Flink: {}", names.join(" -> ")));
        }
        if kind == "map" && hashed {
            notes_here.push("a second keyed operator after a keyed one is simulated as a map (the simulation checks only maps and sinks there)".into());
        }
        let mut fields = vec![("parallelism".to_string(), par.clone())];
        fields.push((
            "cpu-per-record".into(),
            assumed("1us", "CPU cost per record is not in the responses"),
        ));
        if let Some(m) = r.metrics.get(&n.id) {
            let mf = short(&r.dir, &m.file);
            for (metric, label) in [
                ("busyTimeMsPerSecond", "busy"),
                ("backPressuredTimeMsPerSecond", "backpressured"),
            ] {
                if let Some((Some(avg), _)) = m.values.get(metric) {
                    notes_here.push(format!(
                        "{label} {:.0}% of the time ({mf}: {metric}.avg = {avg})",
                        avg / 10.0
                    ));
                }
            }
            if let (Some((Some(busy), _)), Some((Some(rate), _))) = (
                m.values.get("busyTimeMsPerSecond"),
                m.values.get("numRecordsInPerSecond"),
            ) && *rate > 0.0
            {
                notes_here.push(format!(
                        "busy time over records in suggests about {:.1}us per record ({mf}: busyTimeMsPerSecond.avg / numRecordsInPerSecond.avg)",
                        busy * 1000.0 / rate
                    ));
            }
        }
        if let Some(v) = vertex(&n.id)
            && let (Some(rec), Some(bytes)) = (v.write_records, v.write_bytes)
            && rec > 0
            && bytes > 0
        {
            fields.push((
                "record-size".into(),
                from(
                    format!("{}b", (bytes / rec).max(1)),
                    format!("{job_file}: vertices[id={}].metrics.write-bytes / write-records", n.id),
                ),
            ));
        }
        // A terminal vertex that is not a sink of its own (keyed, or a lone source)
        // ends in a sink for the simulation to check.
        let split = terminal && kind != "sink";
        let first_name = if split {
            names.first().cloned().unwrap_or(vname.clone())
        } else {
            vname.clone()
        };
        let name = unique(first_name);
        let op_index = operators.len();
        if kind == "source" {
            sources.push(op_index);
            fields.push(("rate".into(), source_rate(r, n, &job_file)));
        }
        if kind == "window" {
            fields.push(("size".into(), assumed("1s", "the window size is not in the responses")));
        }
        if kind == "aggregate" || kind == "window" {
            keyed_ops.push((op_index, n.id.clone(), n.parallelism));
        }
        operators.push(Operator {
            name: name.clone(),
            comment: comment.clone(),
            kind: kind.into(),
            fields,
            notes: notes_here,
            vertex_id: n.id.clone(),
            chained_end: false,
        });
        let mut out_name = name.clone();
        if split {
            let sink_name = unique(if names.len() > 1 {
                names.last().cloned().unwrap()
            } else {
                format!("{name}-sink")
            });
            operators.push(Operator {
                name: sink_name.clone(),
                comment: format!("{comment}: its end, as a sink"),
                kind: "sink".into(),
                fields: vec![
                    ("parallelism".into(), par),
                    (
                        "cpu-per-record".into(),
                        assumed("1us", "CPU cost per record is not in the responses"),
                    ),
                ],
                notes: Vec::new(),
                vertex_id: n.id.clone(),
                chained_end: true,
            });
            edges.push(Edge {
                from: name.clone(),
                to: sink_name.clone(),
                partitioning: from("forward", "chained in one vertex"),
            });
            out_name = sink_name;
        }
        for (k, i) in n.inputs.iter().enumerate() {
            let upstream = &ends[&i.id];
            let keyed = kind == "aggregate" || kind == "window";
            let p = partitioning(
                &i.ship_strategy,
                keyed,
                &format!("{job_file}: {field}.inputs[{k}].ship_strategy = {}", i.ship_strategy),
            );
            edges.push(Edge {
                from: upstream.1.clone(),
                to: name.clone(),
                partitioning: p,
            });
        }
        keyed_upstream.insert(n.id.clone(), after_keyed || kind == "aggregate" || kind == "window");
        ends.insert(n.id.clone(), (name, out_name, kind.into()));
    }

    // State size per subtask, then keys and bytes per key from how the state filled.
    let mut keyed_state = Vec::new();
    for (op_index, vertex_id, par) in &keyed_ops {
        let (per_subtask, source) = match state_per_subtask(r, vertex_id, &warm_up) {
            Some(found) => found,
            None => {
                let mut totals: Vec<u64> = steady.iter().map(|c| c.state_size).collect();
                let Some(total) = median(&mut totals) else { continue };
                let keyed_subtasks: u64 = keyed_ops.iter().map(|k| k.2).sum();
                (
                    total / keyed_subtasks.max(1),
                    format!(
                        "{ckpt_file}: median history[].state_size over checkpoints {steady_ids}, shared among the keyed subtasks"
                    ),
                )
            }
        };
        operators[*op_index]
            .notes
            .push(format!("state per subtask: {per_subtask} B ({source})"));
        keyed_state.push(KeyedState {
            operator: *op_index,
            bytes: per_subtask * par,
            source: format!("{per_subtask} B per subtask x {par} subtasks"),
        });
    }
    // A source's state is its splits: one partition per subtask in the scenario.
    for &op_index in &sources {
        if let Some((per_subtask, source)) = state_per_subtask(r, &operators[op_index].vertex_id, &warm_up)
            && per_subtask > 0
        {
            operators[op_index].fields.push((
                "state-per-partition".into(),
                from(
                    format!("{per_subtask}b"),
                    format!("{source}; one partition per subtask"),
                ),
            ));
        }
    }
    let state_fill = keys::state_fill(r, &ckpt_file);
    keys::place(&mut operators, &keyed_state, state_fill.as_ref());

    // Cluster.
    let mut cluster = Vec::new();
    let (slots, taskmanagers) = match &r.taskmanagers {
        Some(tm) => {
            let tf = short(&r.dir, &tm.file).to_string();
            let slots = tm
                .slots
                .filter(|s| *s > 0)
                .map(|s| from(s.to_string(), format!("{tf}: taskmanagers[0].slotsNumber")));
            let count = from(tm.count.max(1).to_string(), format!("{tf}: length of taskmanagers"));
            if let Some(cores) = tm.cpu_cores.filter(|c| *c > 0) {
                cluster.push((
                    "cpu-cores".to_string(),
                    from(cores.to_string(), format!("{tf}: taskmanagers[0].hardware.cpuCores")),
                ));
            }
            (slots, count)
        }
        None => (None, assumed("1", "no taskmanagers.json")),
    };
    let slots = slots.unwrap_or_else(|| {
        assumed(
            max_parallelism.to_string(),
            "the largest parallelism, so that the job fits",
        )
    });
    let tm_count: u64 = taskmanagers.text.parse().unwrap_or(1);
    let slot_count: u64 = slots.text.parse().unwrap_or(1);
    let taskmanagers = if tm_count * slot_count < max_parallelism {
        from(
            max_parallelism.div_ceil(slot_count).to_string(),
            format!("{}; raised so that the largest parallelism fits", taskmanagers.comment),
        )
    } else {
        taskmanagers
    };
    config.insert(0, ("taskmanager.numberOfTaskSlots".into(), slots));
    cluster.insert(0, ("taskmanagers".to_string(), taskmanagers));
    if !cluster.iter().any(|(k, _)| k == "cpu-cores") {
        cluster.push(("cpu-cores".into(), assumed(slot_count.to_string(), "one core per slot")));
    }
    for (key, value, why) in [
        (
            "deployment-time",
            "200ms",
            "the responses do not separate deployment from start-up",
        ),
        ("network.latency", "100us", "network latency is not in the responses"),
        (
            "network.bandwidth",
            "1250mb/s",
            "network bandwidth is not in the responses",
        ),
        (
            "disk.write-bandwidth",
            "500mb/s",
            "disk bandwidth is not in the responses",
        ),
        (
            "checkpoint-storage.latency",
            "20ms",
            "storage latency is not in the responses",
        ),
        (
            "checkpoint-storage.bandwidth",
            "200mb/s",
            "storage bandwidth is not in the responses",
        ),
    ] {
        cluster.push((key.into(), assumed(value, why)));
    }
    let checkpointing = vec![
        ("sync-cpu-per-entry".to_string(), assumed("20ns", "")),
        ("sync-cpu-base".to_string(), assumed("50us", "")),
    ];

    let duration = match r.job.duration_ms.filter(|d| *d > 0) {
        Some(d) => from(
            ms((d as i64).min(MAX_DURATION_MS)),
            format!("{job_file}: duration (how long the job ran)"),
        ),
        None => assumed("60s", "no job duration in the responses"),
    };
    if !warm_up.is_empty() {
        notes.push(format!(
            "{ckpt_file}: checkpoints {} dropped as warm-up; steady checkpoints: {steady_ids}",
            id_list(warm_up.iter().copied())
        ));
    }
    Ok(Derived {
        name: format!("{}-imported", r.job.name),
        description: format!("imported from Flink REST responses of job `{}`", r.job.name),
        duration,
        config,
        checkpointing,
        cluster,
        operators,
        edges,
        notes,
        keyed_state,
        state_fill,
    })
}

/// A vertex's state per subtask without the in-flight data it persisted: the median
/// over the completed checkpoints after the warm-up whose details list the vertex,
/// and where that came from.
fn state_per_subtask(r: &Responses, vertex_id: &str, warm_up: &[u64]) -> Option<(u64, String)> {
    let mut with_tasks: Vec<&CheckpointStats> = r.details.values().chain(r.checkpoints.history.iter()).collect();
    with_tasks.sort_by_key(|c| c.id);
    with_tasks.dedup_by_key(|c| c.id);
    let (mut samples, mut ids) = (Vec::new(), Vec::new());
    for cp in with_tasks.iter().filter(|c| completed(c) && !warm_up.contains(&c.id)) {
        if let Some(t) = cp.tasks.get(vertex_id).filter(|t| t.num_subtasks > 0) {
            samples.push(t.state_size.saturating_sub(t.persisted_data) / t.num_subtasks);
            ids.push(cp.id);
        }
    }
    let m = median(&mut samples)?;
    Some((
        m,
        format!(
            "median over checkpoints {} of details (tasks[{vertex_id}].state_size - persisted_data) / num_subtasks",
            id_list(ids.into_iter())
        ),
    ))
}

/// The ids of the history's completed checkpoints, ascending, each once.
pub fn completed_ids(r: &Responses) -> Vec<u64> {
    let mut ids: Vec<u64> = r
        .checkpoints
        .history
        .iter()
        .filter(|c| completed(c))
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The first [`WARM_UP_CHECKPOINTS`] completed checkpoints of the history, when it
/// holds more than that: state still fills and the JVM is cold.
pub fn warm_up_ids(r: &Responses) -> Vec<u64> {
    let mut ids = completed_ids(r);
    if ids.len() > WARM_UP_CHECKPOINTS {
        ids.truncate(WARM_UP_CHECKPOINTS);
        ids
    } else {
        Vec::new()
    }
}

pub fn id_list(ids: impl Iterator<Item = u64>) -> String {
    let ids: Vec<String> = ids.map(|i| i.to_string()).collect();
    if ids.is_empty() {
        "(none)".into()
    } else {
        ids.join(", ")
    }
}

fn source_rate(r: &Responses, n: &PlanNode, job_file: &str) -> Sourced {
    if let Some(m) = r.metrics.get(&n.id)
        && let Some((_, Some(sum))) = m.values.get("numRecordsOutPerSecond")
        && *sum >= 1.0
    {
        return from(
            format!("{}", (sum.round() as u64).min(1_000_000_000)),
            format!("{}: numRecordsOutPerSecond.sum", short(&r.dir, &m.file)),
        );
    }
    if let Some(v) = r.job.vertices.iter().find(|v| v.id == n.id)
        && let (Some(rec), Some(d)) = (v.write_records, v.duration_ms)
    {
        let rate = rec * 1000 / d.max(1);
        if rate >= 1 {
            return from(
                rate.to_string(),
                format!("{job_file}: vertices[id={}].metrics.write-records / duration", n.id),
            );
        }
    }
    assumed("1000", "no record rate of this source in the responses")
}

/// Flink's ship strategy as the scenario's partitioning. Keyed operators take only
/// hash edges; strategies the simulation lacks become the closest one it has.
fn partitioning(strategy: &str, keyed: bool, source: &str) -> Sourced {
    let upper = strategy.to_ascii_uppercase();
    let (value, exact) = match upper.as_str() {
        _ if keyed => ("hash", upper == "HASH"),
        "FORWARD" => ("forward", true),
        "HASH" => ("hash", true),
        "REBALANCE" => ("rebalance", true),
        "BROADCAST" => ("broadcast", true),
        _ => ("rebalance", false),
    };
    if exact {
        from(value, source)
    } else {
        from(value, format!("{source}: closest the simulation has"))
    }
}

/// The plan's nodes, each after its inputs, in the plan's order otherwise.
fn topological(plan: &[PlanNode]) -> Option<Vec<&PlanNode>> {
    let mut done: Vec<&PlanNode> = Vec::new();
    while done.len() < plan.len() {
        let next = plan.iter().find(|n| {
            !done.iter().any(|d| d.id == n.id) && n.inputs.iter().all(|i| done.iter().any(|d| d.id == i.id))
        })?;
        done.push(next);
    }
    Some(done)
}
