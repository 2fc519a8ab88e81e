//! From text to a [`Scenario`]: parse, then check everything a run relies on, with
//! each error pointing at the field that caused it.

use super::error::{ScenarioError, nearest};
use super::position::PositionIndex;
use super::schema::*;
use super::spec::*;
use crate::protocol::barrier::AlignmentTimeoutStart;
use crate::sim::Nanos;
use crate::sim::time::{MICROSECOND, MILLISECOND};
use std::collections::BTreeMap;
use std::path::Path;

/// Most subtasks of one operator: Flink's upper bound for max parallelism.
pub const MAX_PARALLELISM: u64 = 32_768;
/// Most channels a job may have; each costs memory for its buffers.
pub const MAX_CHANNELS: u64 = 4_000_000;
/// Most distinct keys of a source; keyed state and its key index grow with them.
pub const MAX_KEYS: u64 = 10_000_000;
/// One key's state in a snapshot: a gigabyte per key is beyond any real job.
pub const MAX_STATE_PER_KEY: u64 = 1 << 30;
/// A source split as the simulation encodes it: partition and offset.
pub const DEFAULT_STATE_PER_PARTITION: u64 = 16;
pub const MAX_PARTITIONS: u64 = 1_000_000;
pub const MAX_TASKMANAGERS: u64 = 100_000;
/// Records per second a source may append: keeps per-record timing in integer nanoseconds.
pub const MAX_RATE: f64 = 1e9;
/// The most records a source's log may hold at time 0 (`backlog`).
pub const MAX_BACKLOG: u64 = 1_000_000_000_000;
/// Most concurrent requests to checkpoint storage: the model keeps one slot per request
/// and scans them for every upload.
pub const MAX_STORAGE_REQUESTS: u64 = 10_000;
/// `cluster.deployment-time` when not given: the real Flink 2.3 runs in
/// shared/flink-live took 121 to 507 ms from the job's RUNNING to their first task starting.
pub const DEFAULT_DEPLOYMENT_TIME_NS: u64 = 200 * MILLISECOND;

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        path: String::new(),
        message: format!("cannot read the scenario: {e}"),
    })?;
    let default_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    parse_named(&text, &file, &default_name)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let default_name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    parse_named(text, file, &default_name)
}

fn parse_named(text: &str, file: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    check_flow_depth(text, file)?;
    let positions = PositionIndex::build(text);
    let raw: ScenarioFile = serde_yaml::from_str(text).map_err(|e| syntax_error(file, &e, &positions))?;
    let checker = Checker { file, positions };
    checker.resolve(raw, default_name)
}

/// The deepest `[`/`{` nesting a scenario may use; no scenario key needs more than a
/// few levels.
const MAX_FLOW_DEPTH: usize = 64;

/// Refuses flow collections nested deeper than [`MAX_FLOW_DEPTH`] in one linear pass,
/// before the YAML parser sees them: its time grows with the square of the depth
/// (a 200,000-deep `[[[…]]]` took minutes). Quoted text and comments do not count.
fn check_flow_depth(text: &str, file: &str) -> Result<(), ScenarioError> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            (line, column, comment) = (line + 1, 0, false);
            // A single-quoted or double-quoted scalar may span lines; keep `quote`.
        } else if comment {
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else {
            match c {
                '\'' | '"' => quote = Some(c),
                '#' if previous.is_whitespace() => comment = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(ScenarioError {
                            file: file.to_string(),
                            line,
                            column,
                            path: String::new(),
                            message: format!("nested deeper than {MAX_FLOW_DEPTH} levels of `[` and `{{`"),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        previous = c;
    }
    Ok(())
}

/// Turns a serde_yaml error into one that names the field, suggests a spelling, and
/// says what was expected in words rather than Rust types.
fn syntax_error(file: &str, error: &serde_yaml::Error, positions: &PositionIndex) -> ScenarioError {
    let (mut line, mut column) = error.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
    let text = error.to_string();
    // serde_yaml writes "path: message at line L column C", and a YAML syntax error as
    // "problem at line L column C, context at line L2 column C2". Drop the place that
    // the error carries anyway; keep the context's, which is where the trouble began
    // (an unclosed quote, say).
    let text = text.replacen(&format!(" at line {line} column {column}"), "", 1);
    let (mut path, mut message) = match text.split_once(": ") {
        Some((p, m)) if !p.contains(' ') && !p.is_empty() => (p.to_string(), m.to_string()),
        _ => (String::new(), text.clone()),
    };
    if path == "." {
        path.clear();
    }
    let join = |path: &str, field: &str| {
        if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once('`') {
            let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            path = join(&path, field);
            message = match nearest(field, candidates.iter().copied()) {
                Some(best) => format!("unknown field `{field}` (did you mean `{best}`?)"),
                None => format!("unknown field `{field}`; valid fields: {}", candidates.join(", ")),
            };
        }
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((word, expected)) = rest.split_once('`') {
            let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            message = match nearest(word, candidates.iter().copied()) {
                Some(best) => format!("unknown value `{word}` (did you mean `{best}`?)"),
                None => format!("unknown value `{word}`; expected one of {}", candidates.join(", ")),
            };
        }
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        // serde places this at the mapping that lacks the field; name the field itself.
        path = join(&path, field);
        message = format!("missing required field `{field}`");
    } else if let Some(field) = message
        .strip_prefix("duplicate field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        path = join(&path, field);
        if let Some(second) = positions.duplicate(&path) {
            (line, column) = (second.line, second.column);
        }
        message = format!("`{field}` is given twice");
    } else if let Some(cut) = message.rfind(", expected ") {
        let expected = &message[cut + ", expected ".len()..];
        let plain = match expected {
            "u64" => Some("a whole number, 0 or more".to_string()),
            "u32" => Some(format!("a whole number from 0 to {}", u32::MAX)),
            "i64" => Some("a whole number".to_string()),
            "f64" => Some("a number".to_string()),
            "a sequence" => Some("a list".to_string()),
            e if e.starts_with("struct ") => Some("a mapping of fields".to_string()),
            // What serde_yaml expects when a list or mapping is given for a named value.
            "a YAML tag starting with '!'" => Some("a single value, not a list or mapping".to_string()),
            _ => None,
        };
        if let Some(plain) = plain {
            message = format!("{}, expected {plain}", &message[..cut]);
        }
    } else if path.is_empty() && !positions.is_well_formed() {
        message = format!("invalid YAML: {message}");
    }
    ScenarioError {
        file: file.to_string(),
        line,
        column,
        path,
        message,
    }
}

pub(super) struct Checker<'a> {
    file: &'a str,
    positions: PositionIndex,
}

pub(super) type Checked<T> = Result<T, ScenarioError>;

impl Checker<'_> {
    pub(super) fn error(&self, path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        let path = path.into();
        let position = self.positions.find(&path);
        ScenarioError {
            file: self.file.to_string(),
            line: position.line,
            column: position.column,
            path,
            message: message.into(),
        }
    }

    fn at_most(&self, path: &str, what: &str, value: u64, limit: u64) -> Checked<()> {
        if value > limit {
            return Err(self.error(
                path,
                format!("{what} {value} is too large: at most {limit} fit in memory"),
            ));
        }
        Ok(())
    }

    fn positive(&self, path: &str, value: u64) -> Checked<()> {
        if value == 0 {
            return Err(self.error(path, "must be greater than 0"));
        }
        Ok(())
    }

    fn resolve(&self, raw: ScenarioFile, default_name: &str) -> Checked<Scenario> {
        if raw.duration.0 == 0 {
            return Err(self.error("duration", "must be greater than 0"));
        }
        let cfg = &raw.config;
        let slots = u64::from(cfg.task_slots.unwrap_or(1));
        self.positive("config.taskmanager.numberOfTaskSlots", slots)?;
        self.at_most(
            "config.taskmanager.numberOfTaskSlots",
            "slot count",
            slots,
            MAX_PARALLELISM,
        )?;
        let taskmanagers = u64::from(raw.cluster.taskmanagers.unwrap_or(1));
        self.positive("cluster.taskmanagers", taskmanagers)?;
        self.at_most(
            "cluster.taskmanagers",
            "TaskManager count",
            taskmanagers,
            MAX_TASKMANAGERS,
        )?;
        let cores = raw.cluster.cpu_cores.unwrap_or(slots as u32);
        self.positive("cluster.cpu-cores", u64::from(cores))?;

        let network = self.network(&raw)?;
        let write_bandwidth = raw.cluster.disk.write_bandwidth.map_or(500 << 20, |b| b.0);
        let cluster = ClusterSpec {
            taskmanagers: taskmanagers as u32,
            slots_per_taskmanager: slots as u32,
            cpu_cores_per_taskmanager: cores,
            deployment_ns: raw.cluster.deployment_time.map_or(DEFAULT_DEPLOYMENT_TIME_NS, |d| d.0),
            disk: DiskSpec {
                write_bandwidth_bytes_per_s: write_bandwidth,
                read_bandwidth_bytes_per_s: raw.cluster.disk.read_bandwidth.map(|b| b.0),
                capacity_bytes: raw.cluster.disk.capacity.map_or(100 << 30, |b| b.0),
            },
            checkpoint_storage: StorageSpec {
                latency_ns: raw.cluster.checkpoint_storage.latency.map_or(20 * MILLISECOND, |d| d.0),
                bandwidth_bytes_per_s: raw.cluster.checkpoint_storage.bandwidth.map_or(200 << 20, |b| b.0),
                max_concurrent_requests: raw.cluster.checkpoint_storage.max_concurrent_requests.unwrap_or(16),
            },
        };
        self.positive("cluster.disk.write-bandwidth", cluster.disk.write_bandwidth_bytes_per_s)?;
        self.positive("cluster.disk.read-bandwidth", cluster.disk.read_bandwidth())?;
        self.positive(
            "cluster.checkpoint-storage.bandwidth",
            cluster.checkpoint_storage.bandwidth_bytes_per_s,
        )?;
        self.positive(
            "cluster.checkpoint-storage.max-concurrent-requests",
            u64::from(cluster.checkpoint_storage.max_concurrent_requests),
        )?;
        self.at_most(
            "cluster.checkpoint-storage.max-concurrent-requests",
            "request count",
            u64::from(cluster.checkpoint_storage.max_concurrent_requests),
            MAX_STORAGE_REQUESTS,
        )?;

        let default_parallelism = u64::from(cfg.default_parallelism.unwrap_or(1));
        let (operators, names) = self.operators(&raw, default_parallelism, &cluster)?;
        let edges = self.edges(&raw, &operators, &names)?;
        let mut scenario = Scenario {
            name: raw.name.clone().unwrap_or_else(|| default_name.to_string()),
            description: raw.description.clone().unwrap_or_default(),
            seed: raw.seed,
            duration_ns: raw.duration.0,
            drain_timeout: raw.drain_timeout.map(|d| d.0),
            network,
            cluster,
            watermark_interval_ns: cfg.auto_watermark_interval.map_or(200 * MILLISECOND, |d| d.0),
            max_parallelism: 0,
            operators,
            edges,
            checkpointing: self.checkpointing(&raw)?,
            faults: Vec::new(),
            random_faults: self.random_faults(&raw)?,
            restart_strategy: self.restart_strategy(&raw)?,
            failover: match raw.config.failover_strategy {
                Some(FailoverStrategyKey::Full) => FailoverStrategy::Full,
                Some(FailoverStrategyKey::Region) | None => FailoverStrategy::Region,
            },
            stop: None,
            resume: None,
            flaw: None,
            custom_protocol: None,
        };
        scenario.faults = self.faults(&raw, &scenario)?;
        scenario.stop = self.stop(&raw)?;
        scenario.resume = self.resume(&raw);
        self.record_sizes(&raw, &mut scenario);
        let widest = scenario.operators.iter().map(|o| o.parallelism).max().unwrap_or(1);
        scenario.max_parallelism = cfg.max_parallelism.unwrap_or_else(|| default_max_parallelism(widest));
        // The rules a scenario built in code obeys too; faults are still in file order,
        // so that `faults[i]` finds its place in the file.
        scenario.validate().map_err(|e| self.error(e.path, e.message))?;
        scenario.faults.sort_by_key(|f| f.at_ns);
        Ok(scenario)
    }

    fn network(&self, raw: &ScenarioFile) -> Checked<NetworkSpec> {
        let cfg = &raw.config;
        let buffer_timeout_ns = match (
            cfg.buffer_timeout_enabled,
            cfg.buffer_timeout,
            cfg.buffer_timeout_interval,
        ) {
            (Some(false), _, _) | (_, Some(BufferTimeout::Disabled), _) => None,
            (_, Some(BufferTimeout::After(ns)), _) => Some(ns),
            (_, None, Some(interval)) => Some(interval.0),
            _ => Some(100 * MILLISECOND),
        };
        let spec = NetworkSpec {
            buffer_size_bytes: cfg.segment_size.map_or(32 << 10, |b| b.0),
            buffer_timeout_ns,
            buffers_per_channel: cfg.buffers_per_channel.unwrap_or(2),
            floating_buffers_per_gate: cfg.floating_buffers_per_gate.unwrap_or(8),
            max_buffers_per_channel: cfg.max_buffers_per_channel.unwrap_or(10),
            latency_ns: raw.cluster.network.latency.map_or(100 * MICROSECOND, |d| d.0),
            bandwidth_bytes_per_s: raw.cluster.network.bandwidth.map_or(1250 << 20, |b| b.0),
            debloat: cfg.debloat_enabled.unwrap_or(false).then(|| {
                let d = DebloatSpec::FLINK_DEFAULTS;
                DebloatSpec {
                    target_ns: cfg.debloat_target.map_or(d.target_ns, |t| t.0),
                    period_ns: cfg.debloat_period.map_or(d.period_ns, |t| t.0),
                    samples: cfg.debloat_samples.unwrap_or(d.samples),
                    threshold_percentages: cfg.debloat_threshold_percentages.unwrap_or(d.threshold_percentages),
                    min_buffer_bytes: cfg.min_segment_size.map_or(d.min_buffer_bytes, |b| b.0),
                }
            }),
        };
        if spec.buffer_size_bytes < 64 {
            return Err(self.error("config.taskmanager.memory.segment-size", "must be at least 64b"));
        }
        self.at_most(
            "config.taskmanager.memory.segment-size",
            "buffer size",
            spec.buffer_size_bytes,
            64 << 20,
        )?;
        if spec.buffers_per_channel + spec.floating_buffers_per_gate == 0 {
            return Err(self.error(
                "config.taskmanager.network.memory.buffers-per-channel",
                "a channel needs at least one buffer: exclusive (buffers-per-channel) or floating",
            ));
        }
        self.positive(
            "config.taskmanager.network.memory.max-buffers-per-channel",
            u64::from(spec.max_buffers_per_channel),
        )?;
        self.positive("cluster.network.bandwidth", spec.bandwidth_bytes_per_s)?;
        Ok(spec)
    }

    fn operators(
        &self,
        raw: &ScenarioFile,
        default_parallelism: u64,
        cluster: &ClusterSpec,
    ) -> Checked<(Vec<OperatorSpec>, BTreeMap<String, usize>)> {
        if raw.job.operators.is_empty() {
            return Err(self.error("job.operators", "a job needs at least one operator"));
        }
        let mut names = BTreeMap::new();
        let mut operators = Vec::new();
        let total_slots = u64::from(cluster.taskmanagers) * u64::from(cluster.slots_per_taskmanager);
        for (i, op) in raw.job.operators.iter().enumerate() {
            let at = format!("job.operators[{i}]");
            if op.name.trim().is_empty() {
                return Err(self.error(format!("{at}.name"), "must not be empty"));
            }
            if names.insert(op.name.clone(), i).is_some() {
                return Err(self.error(format!("{at}.name"), format!("operator `{}` is defined twice", op.name)));
            }
            let parallelism = op.parallelism.unwrap_or(default_parallelism);
            self.positive(&format!("{at}.parallelism"), parallelism)?;
            self.at_most(
                &format!("{at}.parallelism"),
                "parallelism",
                parallelism,
                MAX_PARALLELISM,
            )?;
            self.fields_of_kind(op, &at)?;
            // 0 stands for "not set" until record_sizes() fills it in, so a written 0
            // would silently mean "the input's size".
            if let Some(size) = op.record_size {
                self.positive(&format!("{at}.record-size"), size.0)?;
            }
            if let Some(size) = op.state_per_key {
                self.positive(&format!("{at}.state-per-key"), size.0)?;
                self.at_most(
                    &format!("{at}.state-per-key"),
                    "state per key",
                    size.0,
                    MAX_STATE_PER_KEY,
                )?;
            }
            let logic = self.logic(op, &at, parallelism, raw.duration.0)?;
            let base_cpu = op.cpu_per_record.map_or(MICROSECOND, |d| d.0);
            let mut cpu = vec![base_cpu; parallelism as usize];
            for (k, skew) in op.cpu_skew.iter().enumerate() {
                if u64::from(skew.subtask) >= parallelism {
                    return Err(self.error(
                        format!("{at}.cpu-skew[{k}].subtask"),
                        format!(
                            "subtask {} does not exist: `{}` has parallelism {parallelism}",
                            skew.subtask, op.name
                        ),
                    ));
                }
                cpu[skew.subtask as usize] = skew.cpu_per_record.0;
            }
            let placement = match &op.taskmanagers {
                Some(list) => {
                    if list.len() as u64 != parallelism {
                        return Err(self.error(
                            format!("{at}.taskmanagers"),
                            format!("lists {} TaskManagers for {parallelism} subtasks", list.len()),
                        ));
                    }
                    if let Some((k, tm)) = list.iter().enumerate().find(|(_, tm)| **tm >= cluster.taskmanagers) {
                        return Err(self.error(
                            format!("{at}.taskmanagers[{k}]"),
                            format!(
                                "TaskManager {tm} does not exist: the cluster has {}",
                                cluster.taskmanagers
                            ),
                        ));
                    }
                    list.clone()
                }
                None => {
                    if parallelism > total_slots {
                        return Err(self.error(
                            format!("{at}.parallelism"),
                            format!(
                                "needs {parallelism} slots but the cluster has {total_slots} \
                                 ({} TaskManagers × taskmanager.numberOfTaskSlots {})",
                                cluster.taskmanagers, cluster.slots_per_taskmanager
                            ),
                        ));
                    }
                    // Flink's default slot sharing: subtask i of every operator shares slot i;
                    // slots spread over the TaskManagers in turn, as with
                    // `cluster.evenly-spread-out-slots: true`.
                    (0..parallelism)
                        .map(|s| (s % u64::from(cluster.taskmanagers)) as u32)
                        .collect()
                }
            };
            operators.push(OperatorSpec {
                name: op.name.clone(),
                logic,
                parallelism: parallelism as u32,
                cpu_per_record_ns: cpu,
                placement,
                record_size_bytes: op.record_size.map_or(0, |b| b.0),
                state_bytes_per_key: op.state_per_key.map(|b| b.0),
            });
        }
        Ok((operators, names))
    }

    /// Rejects fields that belong to another kind of operator: they would be ignored.
    fn fields_of_kind(&self, op: &OperatorFile, at: &str) -> Checked<()> {
        let keyed: &[OperatorKind] = &[OperatorKind::Aggregate, OperatorKind::Window];
        let given: [(&str, bool, &[OperatorKind]); 15] = [
            ("partitions", op.partitions.is_some(), &[OperatorKind::Source]),
            ("rate", op.rate.is_some(), &[OperatorKind::Source]),
            ("rate-profile", op.rate_profile.is_some(), &[OperatorKind::Source]),
            ("backlog", op.backlog.is_some(), &[OperatorKind::Source]),
            (
                "backlog-threshold",
                op.backlog_threshold.is_some(),
                &[OperatorKind::Source],
            ),
            ("keys", op.keys.is_some(), &[OperatorKind::Source]),
            ("values", op.values.is_some(), &[OperatorKind::Source]),
            ("poll-interval", op.poll_interval.is_some(), &[OperatorKind::Source]),
            (
                "state-per-partition",
                op.state_per_partition.is_some(),
                &[OperatorKind::Source],
            ),
            ("multiply", op.multiply.is_some(), &[OperatorKind::Map]),
            ("add", op.add.is_some(), &[OperatorKind::Map]),
            ("modulus", op.modulus.is_some(), &[OperatorKind::Filter]),
            ("remainder", op.remainder.is_some(), &[OperatorKind::Filter]),
            ("size", op.size.is_some() || op.time.is_some(), &[OperatorKind::Window]),
            ("state-per-key", op.state_per_key.is_some(), keyed),
        ];
        for (field, present, kinds) in given {
            if present && !kinds.contains(&op.kind) {
                let field = if field == "size" && op.size.is_none() {
                    "time"
                } else {
                    field
                };
                return Err(self.error(
                    format!("{at}.{field}"),
                    format!(
                        "`{field}` applies only to {} operators, not to a {:?}",
                        kinds.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(" and "),
                        op.kind
                    )
                    .to_lowercase(),
                ));
            }
        }
        Ok(())
    }

    fn logic(&self, op: &OperatorFile, at: &str, parallelism: u64, duration: Nanos) -> Checked<OperatorLogicSpec> {
        Ok(match op.kind {
            OperatorKind::Source => OperatorLogicSpec::Source(self.source(op, at, parallelism, duration)?),
            OperatorKind::Map => OperatorLogicSpec::Map {
                multiply: op.multiply.unwrap_or(1),
                add: op.add.unwrap_or(0),
            },
            OperatorKind::Filter => {
                let modulus = op.modulus.unwrap_or(2);
                if modulus <= 0 {
                    return Err(self.error(format!("{at}.modulus"), "must be greater than 0"));
                }
                let remainder = op.remainder.unwrap_or(0);
                if !(0..modulus).contains(&remainder) {
                    return Err(self.error(
                        format!("{at}.remainder"),
                        format!("must be between 0 and {}", modulus - 1),
                    ));
                }
                OperatorLogicSpec::Filter { modulus, remainder }
            }
            OperatorKind::Aggregate => OperatorLogicSpec::Aggregate,
            OperatorKind::Window => {
                let Some(size) = op.size else {
                    return Err(self.error(format!("{at}.size"), "a window needs a `size`, like 1s"));
                };
                if size.0 == 0 {
                    return Err(self.error(format!("{at}.size"), "must be greater than 0"));
                }
                OperatorLogicSpec::Window {
                    size_ns: size.0,
                    time: op.time.unwrap_or_default(),
                }
            }
            OperatorKind::Sink => OperatorLogicSpec::Sink,
        })
    }

    fn source(&self, op: &OperatorFile, at: &str, parallelism: u64, duration: Nanos) -> Checked<SourceSpec> {
        let partitions = op.partitions.unwrap_or(parallelism);
        self.positive(&format!("{at}.partitions"), partitions)?;
        self.at_most(
            &format!("{at}.partitions"),
            "partition count",
            partitions,
            MAX_PARTITIONS,
        )?;
        let (rate, rate_profile) = self.source_rate(op, at, duration)?;
        let backlog = op.backlog.unwrap_or(0);
        self.at_most(&format!("{at}.backlog"), "backlog", backlog, MAX_BACKLOG)?;
        if rate_profile.iter().all(|step| step.rate_per_s == 0) && !rate_profile.is_empty() && backlog == 0 {
            return Err(self.error(
                format!("{at}.rate-profile"),
                "appends no record: give some step a rate above 0, or a `backlog`",
            ));
        }
        let backlog_threshold = op.backlog_threshold.unwrap_or(DEFAULT_BACKLOG_THRESHOLD);
        let keys = match &op.keys {
            None => KeySpec::Uniform { count: 1000 },
            Some(k) => {
                let kp = format!("{at}.keys");
                self.positive(&format!("{kp}.count"), k.count)?;
                self.at_most(&format!("{kp}.count"), "key count", k.count, MAX_KEYS)?;
                let misplaced = |field: &str, present: bool, dist: &str| -> Checked<()> {
                    if present {
                        return Err(self.error(
                            format!("{kp}.{field}"),
                            format!("`{field}` applies only to the {dist} distribution"),
                        ));
                    }
                    Ok(())
                };
                match k.distribution {
                    KeyDistribution::Uniform | KeyDistribution::Sequence => {
                        misplaced("exponent", k.exponent.is_some(), "zipf")?;
                        misplaced("hot-keys", k.hot_keys.is_some(), "hot-key")?;
                        misplaced("hot-fraction", k.hot_fraction.is_some(), "hot-key")?;
                        if k.distribution == KeyDistribution::Sequence {
                            KeySpec::Sequence { count: k.count }
                        } else {
                            KeySpec::Uniform { count: k.count }
                        }
                    }
                    KeyDistribution::Zipf => {
                        misplaced("hot-keys", k.hot_keys.is_some(), "hot-key")?;
                        misplaced("hot-fraction", k.hot_fraction.is_some(), "hot-key")?;
                        let exponent = k.exponent.unwrap_or(1.0);
                        if !(exponent.is_finite() && exponent > 0.0 && exponent <= 10.0) {
                            return Err(self.error(format!("{kp}.exponent"), "must be above 0 and at most 10"));
                        }
                        KeySpec::Zipf {
                            count: k.count,
                            exponent,
                        }
                    }
                    KeyDistribution::HotKey => {
                        misplaced("exponent", k.exponent.is_some(), "zipf")?;
                        let hot_keys = k.hot_keys.unwrap_or(1);
                        if hot_keys == 0 || hot_keys > k.count {
                            return Err(self.error(
                                format!("{kp}.hot-keys"),
                                format!("must be between 1 and the key count ({})", k.count),
                            ));
                        }
                        let hot_fraction = k.hot_fraction.unwrap_or(0.5);
                        if !(0.0..=1.0).contains(&hot_fraction) {
                            return Err(self.error(format!("{kp}.hot-fraction"), "must be between 0 and 1"));
                        }
                        KeySpec::HotKey {
                            count: k.count,
                            hot_keys,
                            hot_fraction,
                        }
                    }
                }
            }
        };
        let (value_min, value_max) = op.values.as_ref().map_or((0, 999), |v| (v.min, v.max));
        if value_min > value_max {
            return Err(self.error(
                format!("{at}.values.max"),
                format!("must be at least min ({value_min})"),
            ));
        }
        let bound = 1i64 << 40;
        if value_min < -bound || value_max > bound {
            return Err(self.error(
                format!("{at}.values"),
                format!("values must lie within ±{bound} so that sums cannot overflow"),
            ));
        }
        let state_bytes_per_partition = op.state_per_partition.map_or(DEFAULT_STATE_PER_PARTITION, |b| b.0);
        self.positive(&format!("{at}.state-per-partition"), state_bytes_per_partition)?;
        self.at_most(
            &format!("{at}.state-per-partition"),
            "state per partition",
            state_bytes_per_partition,
            MAX_STATE_PER_KEY,
        )?;
        let poll_interval_ns = op.poll_interval.map_or(MILLISECOND, |d| d.0);
        if poll_interval_ns < MICROSECOND {
            return Err(self.error(format!("{at}.poll-interval"), "must be at least 1us"));
        }
        Ok(SourceSpec {
            partitions: partitions as u32,
            rate_per_s: rate,
            keys,
            value_min,
            value_max,
            poll_interval_ns,
            state_bytes_per_partition,
            rate_profile,
            backlog,
            backlog_threshold,
        })
    }

    /// A source's `rate`, or its `rate-profile` (then the rate is its first step's).
    fn source_rate(&self, op: &OperatorFile, at: &str, duration: Nanos) -> Checked<(u64, Vec<RateStep>)> {
        let whole_rate = |path: String, rate: f64, least: f64| -> Checked<u64> {
            if !(rate.is_finite() && rate >= least && rate.fract() == 0.0) {
                return Err(self.error(
                    path,
                    format!("must be a whole number of records per second, at least {least}; got {rate}"),
                ));
            }
            if rate > MAX_RATE {
                return Err(self.error(
                    path,
                    format!("rate {rate} is too large: at most {MAX_RATE} records per second"),
                ));
            }
            Ok(rate as u64)
        };
        match (op.rate, &op.rate_profile) {
            (Some(_), Some(_)) => Err(self.error(
                format!("{at}.rate-profile"),
                "give either `rate` or `rate-profile`, not both",
            )),
            (None, None) => Err(self.error(format!("{at}.rate"), "a source needs a `rate` in records per second")),
            (Some(rate), None) => Ok((whole_rate(format!("{at}.rate"), rate, 1.0)?, Vec::new())),
            (None, Some(steps)) => {
                if steps.is_empty() {
                    return Err(self.error(format!("{at}.rate-profile"), "needs at least one step"));
                }
                let mut profile: Vec<RateStep> = Vec::with_capacity(steps.len());
                for (i, step) in steps.iter().enumerate() {
                    let path = format!("{at}.rate-profile[{i}]");
                    let at_ns = step.at.0;
                    match profile.last() {
                        None if at_ns != 0 => {
                            return Err(self.error(format!("{path}.at"), "the first step must be at 0s"));
                        }
                        Some(previous) if at_ns <= previous.at_ns => {
                            return Err(self.error(format!("{path}.at"), "must be later than the step before"));
                        }
                        Some(_) if at_ns >= duration => {
                            return Err(self.error(format!("{path}.at"), "must lie within the scenario's duration"));
                        }
                        _ => {}
                    }
                    let rate_per_s = whole_rate(format!("{path}.rate"), step.rate, 0.0)?;
                    profile.push(RateStep { at_ns, rate_per_s });
                }
                Ok((profile[0].rate_per_s, profile))
            }
        }
    }

    fn edges(
        &self,
        raw: &ScenarioFile,
        operators: &[OperatorSpec],
        names: &BTreeMap<String, usize>,
    ) -> Checked<Vec<EdgeSpec>> {
        let mut edges: Vec<EdgeSpec> = Vec::new();
        let mut defined = std::collections::BTreeSet::new();
        let mut channels: u64 = 0;
        for (i, edge) in raw.job.edges.iter().enumerate() {
            let at = format!("job.edges[{i}]");
            let lookup = |field: &str, name: &str| -> Checked<usize> {
                names.get(name).copied().ok_or_else(|| {
                    let hint = nearest(name, names.keys().map(String::as_str))
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    self.error(
                        format!("{at}.{field}"),
                        format!("operator `{name}` is not defined{hint}"),
                    )
                })
            };
            let from = lookup("from", &edge.from)?;
            let to = lookup("to", &edge.to)?;
            if from == to {
                return Err(self.error(format!("{at}.to"), format!("cycle: `{}` feeds itself", edge.to)));
            }
            if !defined.insert((from, to)) {
                return Err(self.error(
                    at.clone(),
                    format!("edge `{}` → `{}` is defined twice", edge.from, edge.to),
                ));
            }
            let (pf, pt) = (operators[from].parallelism, operators[to].parallelism);
            let keyed = operators[to].logic.is_keyed();
            let partitioning = match edge.partitioning {
                Some(p) => p,
                None if keyed => Partitioning::Hash,
                None if pf == pt => Partitioning::Forward,
                None => Partitioning::Rebalance,
            };
            if keyed && partitioning != Partitioning::Hash {
                return Err(self.error(
                    format!("{at}.partitioning"),
                    format!(
                        "`{}` is keyed: its input must be partitioned by `hash` (keyBy)",
                        edge.to
                    ),
                ));
            }
            if partitioning == Partitioning::Forward && pf != pt {
                return Err(self.error(
                    format!("{at}.partitioning"),
                    format!(
                        "forward needs equal parallelism, but `{}` has {pf} and `{}` has {pt}",
                        edge.from, edge.to
                    ),
                ));
            }
            channels += if partitioning == Partitioning::Forward {
                u64::from(pf)
            } else {
                u64::from(pf) * u64::from(pt)
            };
            if channels > MAX_CHANNELS {
                return Err(self.error(
                    at,
                    format!("the job would need {channels} channels: at most {MAX_CHANNELS} fit in memory"),
                ));
            }
            edges.push(EdgeSpec { from, to, partitioning });
        }
        Ok(edges)
    }

    /// The scenario's `stop:` section: when and how the user ends the job.
    fn stop(&self, raw: &ScenarioFile) -> Checked<Option<super::spec::JobStop>> {
        use super::schema::StopKindFile;
        use super::spec::{JobStop, StopKind};
        Ok(raw.stop.as_ref().map(|stop| JobStop {
            at_ns: stop.at.0,
            kind: match stop.kind {
                StopKindFile::Cancel => StopKind::Cancel,
                StopKindFile::StopWithSavepoint => StopKind::StopWithSavepoint,
            },
        }))
    }

    /// The scenario's `resume:` section and the claim mode it starts in.
    fn resume(&self, raw: &ScenarioFile) -> Option<super::spec::JobResume> {
        use super::schema::{ClaimModeKey, ResumeFromFile};
        use super::spec::{JobResume, ResumeFrom};
        use crate::protocol::coordinator::RecoveryClaimMode;
        raw.resume.as_ref().map(|resume| JobResume {
            after_ns: resume.after.0,
            from: match resume.from {
                ResumeFromFile::Savepoint => ResumeFrom::Savepoint,
                ResumeFromFile::LatestCheckpoint => ResumeFrom::LatestCheckpoint,
            },
            claim_mode: match raw.config.claim_mode {
                Some(ClaimModeKey::Claim) => RecoveryClaimMode::Claim,
                Some(ClaimModeKey::Legacy) => RecoveryClaimMode::Legacy,
                Some(ClaimModeKey::NoClaim) | None => RecoveryClaimMode::NoClaim,
            },
        })
    }

    /// Flink's checkpointing keys and the `checkpointing:` section.
    fn checkpointing(&self, raw: &ScenarioFile) -> Checked<super::checkpointing::CheckpointSpec> {
        use super::checkpointing::{CheckpointSpec, ForStSpec, ManualTrigger, Mode, ProtocolKind, StateBackend};
        use crate::protocol::coordinator::ExternalizedCheckpointRetention as Retention;
        let cfg = &raw.config;
        let defaults = CheckpointSpec::default();
        let key = |k: &str| format!("config.{k}");
        if let Some(interval) = cfg.checkpoint_interval
            && interval.0 < MILLISECOND
        {
            return Err(self.error(
                key("execution.checkpointing.interval"),
                "must be at least 1ms (Flink's minimum is 10ms)",
            ));
        }
        if cfg.max_concurrent_checkpoints == Some(0) {
            return Err(self.error(
                key("execution.checkpointing.max-concurrent-checkpoints"),
                "must be at least 1",
            ));
        }
        if cfg.unaligned == Some(true)
            && cfg.max_concurrent_checkpoints.is_some_and(|m| m > 1)
            && cfg.checkpointing_mode != Some(CheckpointingModeKey::AtLeastOnce)
        {
            return Err(self.error(
                key("execution.checkpointing.max-concurrent-checkpoints"),
                "unaligned checkpoints need max-concurrent-checkpoints 1, as in Flink",
            ));
        }
        if cfg.num_retained == Some(0) {
            return Err(self.error(key("state.checkpoints.num-retained"), "must be at least 1"));
        }
        if cfg.checkpoint_timeout.is_some_and(|t| t.0 == 0) {
            return Err(self.error(key("execution.checkpointing.timeout"), "must be greater than 0"));
        }
        // The `state.backend.forst.*` keys are read by the forst backend only; the
        // others ignore them, as Flink does, so one file can compare backends.
        if cfg.forst_read_io_parallelism == Some(0) {
            return Err(self.error(
                key("state.backend.forst.executor.read-io-parallelism"),
                "must be at least 1",
            ));
        }
        let backend = match (cfg.state_backend, cfg.incremental) {
            (Some(StateBackendKey::Rocksdb), incremental) => StateBackend::RocksDb {
                incremental: incremental.unwrap_or(false),
            },
            // ForSt always snapshots incrementally; Flink ignores the key for it.
            (Some(StateBackendKey::Forst), _) => {
                if cfg.local_recovery == Some(true) {
                    return Err(self.error(
                        key("execution.state-recovery.from-local"),
                        "task-local recovery is not modelled with `state.backend.type: forst` \
                         (its state files are restored in place from checkpoint storage)",
                    ));
                }
                let defaults = ForStSpec::default();
                StateBackend::ForSt(ForStSpec {
                    cache_bytes: cfg.forst_cache_size_limit.map_or(defaults.cache_bytes, |b| b.0),
                    read_io_parallelism: cfg.forst_read_io_parallelism.unwrap_or(defaults.read_io_parallelism),
                    remote_read_latency_ns: cfg
                        .forst_remote_read_latency
                        .map_or(defaults.remote_read_latency_ns, |d| d.0),
                })
            }
            (_, Some(true)) => {
                return Err(self.error(
                    key("execution.checkpointing.incremental"),
                    "incremental checkpoints need `state.backend.type: rocksdb`",
                ));
            }
            _ => StateBackend::HashMap,
        };
        let protocol = match cfg.protocol {
            None | Some(ProtocolKey::Coordinated) => ProtocolKind::Coordinated,
            Some(ProtocolKey::Uncoordinated) => ProtocolKind::Uncoordinated,
            Some(ProtocolKey::CommunicationInduced) => ProtocolKind::CommunicationInduced,
        };
        let protocol_key = key("ckptsim.checkpointing.protocol");
        if protocol != ProtocolKind::Coordinated {
            let name = protocol.name();
            if cfg.checkpoint_interval.is_none() {
                return Err(self.error(
                    protocol_key,
                    format!(
                        "`{name}` needs `execution.checkpointing.interval`: the subtasks' timers fire about that often"
                    ),
                ));
            }
            if cfg.unaligned == Some(true) {
                return Err(self.error(
                    protocol_key,
                    format!("`{name}` checkpoints without barriers, so `execution.checkpointing.unaligned.enabled` has nothing to align: leave it out or use `coordinated`"),
                ));
            }
            if cfg.checkpointing_mode == Some(CheckpointingModeKey::AtLeastOnce) {
                return Err(self.error(
                    protocol_key,
                    format!("`{name}` has no barrier alignment to relax: `execution.checkpointing.mode: AT_LEAST_ONCE` applies to `coordinated` only"),
                ));
            }
            if !raw.checkpointing.triggers.is_empty() {
                return Err(self.error(
                    "checkpointing.triggers".to_string(),
                    format!("`{name}` has no coordinator that triggers checkpoints or savepoints: manual triggers need `coordinated`"),
                ));
            }
        } else if cfg.timer_jitter.is_some() {
            return Err(self.error(
                key("ckptsim.checkpointing.timer-jitter"),
                "applies to the subtasks' own timers of `uncoordinated` and `communication-induced` protocols",
            ));
        }
        let interval = cfg.checkpoint_interval.map_or(0, |d| d.0);
        // CheckMate's timers wait the interval ± 1 s at 5 s: a fifth of it by default.
        let timer_jitter_ns = cfg.timer_jitter.map_or(interval / 5, |d| d.0);
        if timer_jitter_ns >= interval && protocol != ProtocolKind::Coordinated {
            return Err(self.error(
                key("ckptsim.checkpointing.timer-jitter"),
                "must be shorter than `execution.checkpointing.interval`",
            ));
        }
        let ck = &raw.checkpointing;
        let mut triggers: Vec<ManualTrigger> = Vec::new();
        for (i, t) in ck.triggers.iter().enumerate() {
            if t.at.0 == 0 || t.at.0 > raw.duration.0 {
                return Err(self.error(
                    format!("checkpointing.triggers[{i}].at"),
                    "must lie within the scenario's duration",
                ));
            }
            triggers.push(ManualTrigger {
                at_ns: t.at.0,
                savepoint: t.kind == TriggerKind::Savepoint,
            });
        }
        let spec = CheckpointSpec {
            interval_ns: cfg.checkpoint_interval.map(|d| d.0),
            interval_during_backlog_ns: cfg.checkpoint_interval_during_backlog.map(|d| d.0),
            mode: match cfg.checkpointing_mode {
                Some(CheckpointingModeKey::AtLeastOnce) => Mode::AtLeastOnce,
                _ => Mode::ExactlyOnce,
            },
            unaligned: cfg.unaligned.unwrap_or(false),
            aligned_checkpoint_timeout_ns: cfg.aligned_checkpoint_timeout.map_or(0, |d| d.0),
            alignment_timeout_counts_from: match cfg.aligned_checkpoint_timeout_counts_from {
                Some(TimeoutCountsFromKey::FirstBarrier) => AlignmentTimeoutStart::FirstBarrier,
                _ => AlignmentTimeoutStart::CheckpointStart,
            },
            min_pause_ns: cfg.min_pause.map_or(defaults.min_pause_ns, |d| d.0),
            max_concurrent: cfg.max_concurrent_checkpoints.unwrap_or(defaults.max_concurrent),
            timeout_ns: cfg.checkpoint_timeout.map_or(defaults.timeout_ns, |d| d.0),
            tolerable_failed: cfg.tolerable_failed_checkpoints.unwrap_or(defaults.tolerable_failed),
            num_retained: cfg.num_retained.unwrap_or(defaults.num_retained),
            retention: match cfg.externalized_retention {
                Some(RetentionKey::DeleteOnCancellation) => Retention::DeleteOnCancellation,
                Some(RetentionKey::RetainOnCancellation) => Retention::RetainOnCancellation,
                _ => Retention::NoExternalizedCheckpoints,
            },
            backend,
            sync_cpu_per_entry_ns: ck.sync_cpu_per_entry.map_or(defaults.sync_cpu_per_entry_ns, |d| d.0),
            sync_cpu_base_ns: ck.sync_cpu_base.map_or(defaults.sync_cpu_base_ns, |d| d.0),
            triggers,
            protocol,
            timer_jitter_ns,
            local_recovery: cfg.local_recovery.unwrap_or(defaults.local_recovery),
            changelog: self.changelog(raw)?,
            file_merging: self.file_merging(cfg)?,
        };
        if let Some(problem) = spec.backlog_interval_problem() {
            return Err(self.error(key("execution.checkpointing.interval-during-backlog"), problem));
        }
        Ok(spec)
    }

    /// `state.changelog.*`: present when `state.changelog.enabled`.
    fn changelog(&self, raw: &ScenarioFile) -> Checked<Option<super::checkpointing::ChangelogSpec>> {
        use super::checkpointing::{ChangelogSpec, ChangelogStorage};
        let cfg = &raw.config;
        let key = |k: &str| format!("config.{k}");
        let apply = raw.checkpointing.changelog_apply_per_change;
        if cfg.changelog_enabled != Some(true) {
            let set = [
                (
                    "state.changelog.periodic-materialize.enabled",
                    cfg.changelog_materialize_enabled.is_some(),
                ),
                (
                    "state.changelog.periodic-materialize.interval",
                    cfg.changelog_materialize_interval.is_some(),
                ),
                (
                    "state.changelog.max-failures-allowed",
                    cfg.changelog_max_failures.is_some(),
                ),
                ("state.changelog.storage", cfg.changelog_storage.is_some()),
            ];
            if let Some((name, _)) = set.iter().find(|(_, set)| *set) {
                return Err(self.error(key(name), "applies only with `state.changelog.enabled: true`"));
            }
            if apply.is_some() {
                return Err(self.error(
                    "checkpointing.changelog-apply-per-change".to_string(),
                    "applies only with `state.changelog.enabled: true`",
                ));
            }
            return Ok(None);
        }
        if cfg.state_backend == Some(StateBackendKey::Forst) {
            return Err(self.error(
                key("state.changelog.enabled"),
                "ckptsim models the changelog over `hashmap` and `rocksdb`; `forst` keeps its state in checkpoint storage already",
            ));
        }
        if cfg.local_recovery == Some(true) {
            return Err(self.error(
                key("state.changelog.enabled"),
                "ckptsim does not combine the changelog with task-local recovery (`execution.state-recovery.from-local`): its snapshots write nothing to the local disk to restore from",
            ));
        }
        if cfg.changelog_materialize_interval.is_some_and(|d| d.0 == 0) {
            return Err(self.error(
                key("state.changelog.periodic-materialize.interval"),
                "must be greater than 0",
            ));
        }
        let d = ChangelogSpec::DEFAULTS;
        let interval = cfg
            .changelog_materialize_interval
            .map_or(d.materialize_interval_ns, |t| Some(t.0));
        Ok(Some(ChangelogSpec {
            materialize_interval_ns: if cfg.changelog_materialize_enabled == Some(false) {
                None
            } else {
                interval
            },
            max_failures_allowed: cfg.changelog_max_failures.unwrap_or(d.max_failures_allowed),
            storage: match cfg.changelog_storage {
                Some(ChangelogStorageKey::Filesystem) => ChangelogStorage::Filesystem,
                Some(ChangelogStorageKey::Memory) | None => ChangelogStorage::Memory,
            },
            apply_cpu_per_change_ns: apply.map_or(d.apply_cpu_per_change_ns, |t| t.0),
        }))
    }

    /// `execution.checkpointing.file-merging.*`: `None` unless enabled (Flink reads the
    /// other keys only then).
    fn file_merging(&self, cfg: &FlinkConfig) -> Checked<Option<crate::model::file_merging::FileMergingConfig>> {
        use crate::model::file_merging::FileMergingConfig;
        let key = |k: &str| format!("config.execution.checkpointing.file-merging.{k}");
        if cfg.file_merging_enabled != Some(true) {
            return Ok(None);
        }
        if cfg.state_backend == Some(StateBackendKey::Forst) || cfg.changelog_enabled == Some(true) {
            return Err(self.error(
                key("enabled"),
                "ckptsim merges the files of `hashmap` and `rocksdb` snapshots; it does not combine file merging with `forst` or `state.changelog.enabled`",
            ));
        }
        let defaults = FileMergingConfig::default();
        let max_file_size = cfg.file_merging_max_file_size.map_or(defaults.max_file_size, |b| b.0);
        if max_file_size == 0 {
            // FileMergingSnapshotManagerBuilder.setMaxFileSize checks maxFileSize > 0.
            return Err(self.error(key("max-file-size"), "must be more than 0 bytes, as in Flink"));
        }
        let amplification = cfg.file_merging_max_space_amplification.unwrap_or(2.0);
        if !amplification.is_finite() {
            return Err(self.error(key("max-space-amplification"), "must be a finite number"));
        }
        Ok(Some(FileMergingConfig {
            across_checkpoint_boundary: cfg.file_merging_across_boundary.unwrap_or(false),
            max_file_size,
            pool_blocking: cfg.file_merging_pool_blocking.unwrap_or(false),
            // Flink: any value below 1 disables the space control.
            max_space_amplification: (amplification >= 1.0).then_some(amplification),
        }))
    }

    /// Record sizes: as set, or the first input's, and 100 bytes at a source.
    fn record_sizes(&self, _raw: &ScenarioFile, s: &mut Scenario) {
        // Each operator's first input, found once: a per-operator search of the edges
        // would make a long chain quadratic.
        let mut first_input: Vec<Option<usize>> = vec![None; s.operators.len()];
        for e in s.edges.iter().rev() {
            first_input[e.to] = Some(e.from);
        }
        for op in s.topological_order() {
            if s.operators[op].record_size_bytes == 0 {
                let inherited = first_input[op].map(|from| s.operators[from].record_size_bytes);
                s.operators[op].record_size_bytes = inherited.unwrap_or(100).max(1);
            }
        }
    }
}

/// Flink's default max parallelism: 1.5 × parallelism rounded up to a power of two,
/// at least 128 and at most 32768.
pub fn default_max_parallelism(parallelism: u32) -> u32 {
    let target = u64::from(parallelism) + u64::from(parallelism) / 2;
    target.next_power_of_two().clamp(128, MAX_PARALLELISM) as u32
}
