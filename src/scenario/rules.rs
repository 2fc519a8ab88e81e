//! The rules a [`Scenario`] must satisfy before the model runs it. One set serves
//! both a scenario built or changed in code and one loaded from YAML: the loader
//! calls [`Scenario::validate`] and places each error at the field's line and
//! column. Paths name fields as the scenario file does.

use super::checkpointing::{Mode, ProtocolKind};
use super::error::ScenarioError;
use super::spec::*;
use super::validate::{
    MAX_CHANNELS, MAX_PARALLELISM, MAX_PARTITIONS, MAX_RATE, MAX_STORAGE_REQUESTS, MAX_TASKMANAGERS,
};
use crate::fault::{Fault, FaultKind};
use crate::sim::time::{MICROSECOND, MILLISECOND};

type Rule = Result<(), ScenarioError>;

fn fail(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        file: String::new(),
        line: 0,
        column: 0,
        path: path.into(),
        message: message.into(),
    }
}

fn debloat_rules(d: &DebloatSpec, segment_size: u64) -> Rule {
    let key = |k: &str| format!("config.taskmanager.network.memory.buffer-debloat.{k}");
    positive(&key("target"), d.target_ns)?;
    positive(&key("period"), d.period_ns)?;
    positive(&key("samples"), u64::from(d.samples))?;
    at_most(
        &key("threshold-percentages"),
        "percentage",
        u64::from(d.threshold_percentages),
        100,
    )?;
    let min = "config.taskmanager.memory.min-segment-size";
    positive(min, d.min_buffer_bytes)?;
    if d.min_buffer_bytes > segment_size {
        return Err(fail(
            min,
            format!("must not exceed taskmanager.memory.segment-size ({segment_size} B), the largest buffer"),
        ));
    }
    Ok(())
}

fn positive(path: &str, value: u64) -> Rule {
    if value == 0 {
        return Err(fail(path, "must be greater than 0"));
    }
    Ok(())
}

fn at_most(path: &str, what: &str, value: u64, limit: u64) -> Rule {
    if value > limit {
        return Err(fail(
            path,
            format!("{what} {value} is too large: at most {limit} fit in memory"),
        ));
    }
    Ok(())
}

impl Scenario {
    /// Checks everything the model relies on; the error names the field.
    pub fn validate(&self) -> Rule {
        positive("duration", self.duration_ns)?;
        if let Some(drain_timeout) = self.drain_timeout {
            positive("drain-timeout", drain_timeout)?;
        }
        self.cluster_rules()?;
        self.network_rules()?;
        if self.operators.is_empty() {
            return Err(fail("job.operators", "a job needs at least one operator"));
        }
        for (i, op) in self.operators.iter().enumerate() {
            self.operator_rules(op, &format!("job.operators[{i}]"))?;
        }
        self.edge_rules()?;
        self.graph_rules()?;
        // After the graph: an operator on a cycle never inherits its input's size.
        for (i, op) in self.operators.iter().enumerate() {
            positive(&format!("job.operators[{i}].record-size"), op.record_size_bytes)?;
        }
        let widest = self.operators.iter().map(|o| o.parallelism).max().unwrap_or(1);
        if self.max_parallelism < widest || u64::from(self.max_parallelism) > MAX_PARALLELISM {
            return Err(fail(
                "config.pipeline.max-parallelism",
                format!("must be between the largest parallelism ({widest}) and {MAX_PARALLELISM}"),
            ));
        }
        positive("config.pipeline.auto-watermark-interval", self.watermark_interval_ns)?;
        self.checkpointing_rules()?;
        for (i, fault) in self.faults.iter().enumerate() {
            self.fault_rules(fault, &format!("faults[{i}]"))?;
        }
        self.stop_rules()?;
        self.resume_rules()?;
        // Last: the estimate assumes everything above holds (an acyclic graph, say).
        match super::budget::Estimate::of(self).refusal() {
            Some(why) => Err(fail("duration", why)),
            None => Ok(()),
        }
    }

    fn cluster_rules(&self) -> Rule {
        let c = &self.cluster;
        let slots = "config.taskmanager.numberOfTaskSlots";
        positive(slots, u64::from(c.slots_per_taskmanager))?;
        at_most(slots, "slot count", u64::from(c.slots_per_taskmanager), MAX_PARALLELISM)?;
        positive("cluster.taskmanagers", u64::from(c.taskmanagers))?;
        at_most(
            "cluster.taskmanagers",
            "TaskManager count",
            u64::from(c.taskmanagers),
            MAX_TASKMANAGERS,
        )?;
        positive("cluster.cpu-cores", u64::from(c.cpu_cores_per_taskmanager))?;
        positive("cluster.disk.write-bandwidth", c.disk.write_bandwidth_bytes_per_s)?;
        positive("cluster.disk.read-bandwidth", c.disk.read_bandwidth())?;
        positive(
            "cluster.checkpoint-storage.bandwidth",
            c.checkpoint_storage.bandwidth_bytes_per_s,
        )?;
        let requests = "cluster.checkpoint-storage.max-concurrent-requests";
        positive(requests, u64::from(c.checkpoint_storage.max_concurrent_requests))?;
        at_most(
            requests,
            "request count",
            u64::from(c.checkpoint_storage.max_concurrent_requests),
            MAX_STORAGE_REQUESTS,
        )
    }

    fn network_rules(&self) -> Rule {
        let n = &self.network;
        let segment = "config.taskmanager.memory.segment-size";
        if n.buffer_size_bytes < 64 {
            return Err(fail(segment, "must be at least 64b"));
        }
        at_most(segment, "buffer size", n.buffer_size_bytes, 64 << 20)?;
        if u64::from(n.buffers_per_channel) + u64::from(n.floating_buffers_per_gate) == 0 {
            return Err(fail(
                "config.taskmanager.network.memory.buffers-per-channel",
                "a channel needs at least one buffer: exclusive (buffers-per-channel) or floating",
            ));
        }
        positive(
            "config.taskmanager.network.memory.max-buffers-per-channel",
            u64::from(n.max_buffers_per_channel),
        )?;
        positive("cluster.network.bandwidth", n.bandwidth_bytes_per_s)?;
        match &n.debloat {
            Some(d) => debloat_rules(d, n.buffer_size_bytes),
            None => Ok(()),
        }
    }

    fn operator_rules(&self, op: &OperatorSpec, at: &str) -> Rule {
        if op.name.trim().is_empty() {
            return Err(fail(format!("{at}.name"), "must not be empty"));
        }
        let parallelism = u64::from(op.parallelism);
        positive(&format!("{at}.parallelism"), parallelism)?;
        at_most(
            &format!("{at}.parallelism"),
            "parallelism",
            parallelism,
            MAX_PARALLELISM,
        )?;
        if op.cpu_per_record_ns.len() as u64 != parallelism {
            return Err(fail(
                format!("{at}.cpu-per-record"),
                format!(
                    "gives {} subtasks' CPU times for {parallelism} subtasks",
                    op.cpu_per_record_ns.len()
                ),
            ));
        }
        if op.placement.len() as u64 != parallelism {
            return Err(fail(
                format!("{at}.taskmanagers"),
                format!("lists {} TaskManagers for {parallelism} subtasks", op.placement.len()),
            ));
        }
        let tms = self.cluster.taskmanagers;
        if let Some((k, tm)) = op.placement.iter().enumerate().find(|(_, tm)| **tm >= tms) {
            return Err(fail(
                format!("{at}.taskmanagers[{k}]"),
                format!("TaskManager {tm} does not exist: the cluster has {tms}"),
            ));
        }
        if let Some(size) = op.state_bytes_per_key {
            let field = format!("{at}.state-per-key");
            if !op.logic.is_keyed() {
                return Err(fail(field, "applies only to keyed operators (aggregate, window)"));
            }
            positive(&field, size)?;
            at_most(&field, "state per key", size, super::validate::MAX_STATE_PER_KEY)?;
        }
        match &op.logic {
            OperatorLogicSpec::Source(source) => source_rules(source, at),
            OperatorLogicSpec::Filter { modulus, remainder } => {
                if *modulus <= 0 {
                    return Err(fail(format!("{at}.modulus"), "must be greater than 0"));
                }
                if !(0..*modulus).contains(remainder) {
                    return Err(fail(
                        format!("{at}.remainder"),
                        format!("must be between 0 and {}", modulus - 1),
                    ));
                }
                Ok(())
            }
            OperatorLogicSpec::Window { size_ns, .. } => positive(&format!("{at}.size"), *size_ns),
            OperatorLogicSpec::Map { .. } | OperatorLogicSpec::Aggregate | OperatorLogicSpec::Sink => Ok(()),
        }
    }

    fn edge_rules(&self) -> Rule {
        let n = self.operators.len();
        let mut channels: u64 = 0;
        let mut seen = std::collections::BTreeSet::new();
        for (i, edge) in self.edges.iter().enumerate() {
            let at = format!("job.edges[{i}]");
            for (field, end) in [("from", edge.from), ("to", edge.to)] {
                if end >= n {
                    return Err(fail(
                        format!("{at}.{field}"),
                        format!("operator {end} does not exist: the job has {n}"),
                    ));
                }
            }
            let (from, to) = (&self.operators[edge.from], &self.operators[edge.to]);
            if edge.from == edge.to {
                return Err(fail(format!("{at}.to"), format!("cycle: `{}` feeds itself", to.name)));
            }
            if !seen.insert((edge.from, edge.to)) {
                return Err(fail(
                    at,
                    format!("edge `{}` → `{}` is defined twice", from.name, to.name),
                ));
            }
            let (pf, pt) = (from.parallelism, to.parallelism);
            if to.logic.is_keyed() && edge.partitioning != Partitioning::Hash {
                return Err(fail(
                    format!("{at}.partitioning"),
                    format!(
                        "`{}` is keyed: its input must be partitioned by `hash` (keyBy)",
                        to.name
                    ),
                ));
            }
            if edge.partitioning == Partitioning::Forward && pf != pt {
                return Err(fail(
                    format!("{at}.partitioning"),
                    format!(
                        "forward needs equal parallelism, but `{}` has {pf} and `{}` has {pt}",
                        from.name, to.name
                    ),
                ));
            }
            channels += if edge.partitioning == Partitioning::Forward {
                u64::from(pf)
            } else {
                u64::from(pf) * u64::from(pt)
            };
            if channels > MAX_CHANNELS {
                return Err(fail(
                    at,
                    format!("the job would need {channels} channels: at most {MAX_CHANNELS} fit in memory"),
                ));
            }
        }
        Ok(())
    }

    /// The shape of the graph: sources have no inputs, every other operator has one,
    /// sinks feed nothing, no cycles, and results stay independent of timing.
    fn graph_rules(&self) -> Rule {
        let op_path = |i: usize| format!("job.operators[{i}]");
        let n = self.operators.len();
        let mut inputs = vec![0usize; n];
        let mut outputs = vec![0usize; n];
        for e in &self.edges {
            inputs[e.to] += 1;
            outputs[e.from] += 1;
        }
        for (i, op) in self.operators.iter().enumerate() {
            match op.logic {
                OperatorLogicSpec::Source(_) if inputs[i] > 0 => {
                    return Err(fail(op_path(i), format!("source `{}` cannot have inputs", op.name)));
                }
                OperatorLogicSpec::Sink if outputs[i] > 0 => {
                    return Err(fail(
                        op_path(i),
                        format!("sink `{}` cannot feed other operators", op.name),
                    ));
                }
                OperatorLogicSpec::Source(_) => {}
                _ if inputs[i] == 0 => {
                    return Err(fail(
                        op_path(i),
                        format!("`{}` has no input: add an edge `to: {}`", op.name, op.name),
                    ));
                }
                _ => {}
            }
            if outputs[i] == 0 && !matches!(op.logic, OperatorLogicSpec::Sink) {
                return Err(fail(
                    op_path(i),
                    format!("the output of `{}` goes nowhere: add an edge to a sink", op.name),
                ));
            }
        }
        let order = self.topological_order();
        if order.len() < n {
            let mut ordered = vec![false; n];
            for &op in &order {
                ordered[op] = true;
            }
            let stuck = (0..n).find(|&i| !ordered[i]).unwrap_or(0);
            let edge = self.edges.iter().position(|e| e.to == stuck).unwrap_or(0);
            return Err(fail(
                format!("job.edges[{edge}]"),
                format!(
                    "cycle through `{}`: a job graph must be acyclic",
                    self.operators[stuck].name
                ),
            ));
        }
        // Downstream of an aggregate, each key's intermediate results depend on how
        // partitions interleave; only value-preserving steps keep the output exact.
        let mut outputs_of: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.edges {
            outputs_of[e.from].push(e.to);
        }
        let mut after_aggregate = vec![false; n];
        let mut fed = vec![false; n];
        for &op in &order {
            if fed[op] {
                match self.operators[op].logic {
                    OperatorLogicSpec::Map { .. } | OperatorLogicSpec::Sink => after_aggregate[op] = true,
                    _ => {
                        return Err(fail(
                            op_path(op),
                            format!(
                                "`{}` ({}) cannot follow an aggregate or window: only map and sink may, \
                                 because updates of a key arrive in an order that depends on timing",
                                self.operators[op].name,
                                self.operators[op].logic.kind_name()
                            ),
                        ));
                    }
                }
            }
            if after_aggregate[op] || self.operators[op].logic.is_keyed() {
                for &to in &outputs_of[op] {
                    fed[to] = true;
                }
            }
        }
        Ok(())
    }

    fn checkpointing_rules(&self) -> Rule {
        let ck = &self.checkpointing;
        let key = |k: &str| format!("config.{k}");
        if ck.interval_ns.is_some_and(|i| i < MILLISECOND) {
            return Err(fail(
                key("execution.checkpointing.interval"),
                "must be at least 1ms (Flink's minimum is 10ms)",
            ));
        }
        if ck.max_concurrent == 0 {
            return Err(fail(
                key("execution.checkpointing.max-concurrent-checkpoints"),
                "must be at least 1",
            ));
        }
        if ck.unaligned && ck.max_concurrent > 1 && ck.mode == Mode::ExactlyOnce {
            return Err(fail(
                key("execution.checkpointing.max-concurrent-checkpoints"),
                "unaligned checkpoints need max-concurrent-checkpoints 1, as in Flink",
            ));
        }
        if ck.num_retained == 0 {
            return Err(fail(key("state.checkpoints.num-retained"), "must be at least 1"));
        }
        positive(&key("execution.checkpointing.timeout"), ck.timeout_ns)?;
        if let Some(problem) = ck.backlog_interval_problem() {
            return Err(fail(key("execution.checkpointing.interval-during-backlog"), problem));
        }
        if ck.protocol != ProtocolKind::Coordinated {
            let name = ck.protocol.name();
            let protocol_key = key("ckptsim.checkpointing.protocol");
            let Some(interval) = ck.interval_ns else {
                return Err(fail(
                    protocol_key,
                    format!(
                        "`{name}` needs `execution.checkpointing.interval`: the subtasks' timers fire about that often"
                    ),
                ));
            };
            if ck.unaligned {
                return Err(fail(
                    protocol_key,
                    format!(
                        "`{name}` checkpoints without barriers, so `execution.checkpointing.unaligned.enabled` has nothing to align: leave it out or use `coordinated`"
                    ),
                ));
            }
            if ck.mode == Mode::AtLeastOnce {
                return Err(fail(
                    protocol_key,
                    format!(
                        "`{name}` has no barrier alignment to relax: `execution.checkpointing.mode: AT_LEAST_ONCE` applies to `coordinated` only"
                    ),
                ));
            }
            if !ck.triggers.is_empty() {
                return Err(fail(
                    "checkpointing.triggers",
                    format!(
                        "`{name}` has no coordinator that triggers checkpoints or savepoints: manual triggers need `coordinated`"
                    ),
                ));
            }
            if ck.timer_jitter_ns >= interval {
                return Err(fail(
                    key("ckptsim.checkpointing.timer-jitter"),
                    "must be shorter than `execution.checkpointing.interval`",
                ));
            }
        }
        for (i, t) in ck.triggers.iter().enumerate() {
            if t.at_ns == 0 || t.at_ns > self.duration_ns {
                return Err(fail(
                    format!("checkpointing.triggers[{i}].at"),
                    "must lie within the scenario's duration",
                ));
            }
        }
        Ok(())
    }

    fn fault_rules(&self, fault: &Fault, at: &str) -> Rule {
        let tms = self.cluster.taskmanagers;
        let taskmanager = |tm: u32| -> Rule {
            if tm >= tms {
                return Err(fail(
                    format!("{at}.taskmanager"),
                    format!(
                        "TaskManager {tm} does not exist: the cluster has {tms} (0 to {})",
                        tms.saturating_sub(1)
                    ),
                ));
            }
            Ok(())
        };
        let between = |a: u32, b: u32| -> Rule {
            if a == b || a >= tms || b >= tms {
                return Err(fail(
                    format!("{at}.between"),
                    format!("must be two different TaskManagers below {tms}, like [0, 1]"),
                ));
            }
            Ok(())
        };
        let duration = |d: u64| positive(&format!("{at}.duration"), d);
        let factor = |x: u32| -> Rule {
            if x < 1 {
                return Err(fail(format!("{at}.factor"), "must be at least 1"));
            }
            Ok(())
        };
        match fault.kind {
            FaultKind::TaskmanagerCrash {
                taskmanager: tm,
                restart_after_ns,
            } => {
                taskmanager(tm)?;
                positive(&format!("{at}.restart-after"), restart_after_ns)
            }
            FaultKind::ConnectionLoss { a, b } => between(a, b),
            FaultKind::NetworkPartition { a, b, duration_ns } => {
                between(a, b)?;
                duration(duration_ns)
            }
            FaultKind::SlowLink {
                taskmanager: tm,
                factor: x,
                duration_ns,
            }
            | FaultKind::SlowDisk {
                taskmanager: tm,
                factor: x,
                duration_ns,
            } => {
                taskmanager(tm)?;
                factor(x)?;
                duration(duration_ns)
            }
            FaultKind::LatencySpike { extra_ns, duration_ns } => {
                positive(&format!("{at}.latency"), extra_ns)?;
                duration(duration_ns)
            }
            FaultKind::DiskFull {
                taskmanager: tm,
                duration_ns,
            } => {
                taskmanager(tm)?;
                duration(duration_ns)
            }
            FaultKind::StorageOutage { duration_ns, .. } => duration(duration_ns),
            FaultKind::SlowStorage { factor: x, duration_ns } => {
                factor(x)?;
                duration(duration_ns)
            }
            FaultKind::JobmanagerCrash { failover_after_ns } => {
                positive(&format!("{at}.failover-after"), failover_after_ns)
            }
            FaultKind::SubtaskStall {
                operator,
                subtask,
                duration_ns,
            } => {
                let Some(op) = self.operators.get(operator) else {
                    return Err(fail(
                        format!("{at}.operator"),
                        format!(
                            "operator {operator} does not exist: the job has {}",
                            self.operators.len()
                        ),
                    ));
                };
                if subtask >= op.parallelism {
                    return Err(fail(
                        format!("{at}.subtask"),
                        format!(
                            "`{}` has {} subtasks (0 to {})",
                            op.name,
                            op.parallelism,
                            op.parallelism.saturating_sub(1)
                        ),
                    ));
                }
                duration(duration_ns)
            }
        }
    }

    fn stop_rules(&self) -> Rule {
        let Some(stop) = self.stop else {
            return Ok(());
        };
        if stop.at_ns == 0 || stop.at_ns > self.duration_ns {
            return Err(fail("stop.at", "must lie within the scenario's duration"));
        }
        if stop.kind == StopKind::StopWithSavepoint {
            let ck = &self.checkpointing;
            if !ck.enabled() {
                return Err(fail(
                    "stop.kind",
                    "stop-with-savepoint needs checkpointing: set `execution.checkpointing.interval` or a trigger",
                ));
            }
            if ck.protocol != ProtocolKind::Coordinated {
                return Err(fail(
                    "stop.kind",
                    format!(
                        "`{}` has no coordinator that takes savepoints: stop-with-savepoint needs `coordinated`",
                        ck.protocol.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// A `resume:` starts from a snapshot the stop is certain to leave: the savepoint of
    /// a stop-with-savepoint, or the checkpoint a cancel retains (Flink deletes a
    /// cancelled job's checkpoints unless `RETAIN_ON_CANCELLATION`, and a finished job's
    /// always).
    fn resume_rules(&self) -> Rule {
        use crate::protocol::coordinator::ExternalizedCheckpointRetention as Retention;
        let Some(resume) = self.resume else {
            return Ok(());
        };
        let Some(stop) = self.stop else {
            return Err(fail("resume", "a job starts again only after a `stop:` ended it"));
        };
        let ck = &self.checkpointing;
        if !ck.enabled() || ck.protocol != ProtocolKind::Coordinated {
            return Err(fail(
                "resume",
                "starting from a snapshot needs checkpointing with the `coordinated` protocol",
            ));
        }
        match (resume.from, stop.kind) {
            (ResumeFrom::Savepoint, StopKind::StopWithSavepoint) => {}
            (ResumeFrom::Savepoint, StopKind::Cancel) => {
                return Err(fail(
                    "resume.from",
                    "a cancel takes no savepoint: use `stop.kind: stop-with-savepoint`, or `from: latest-checkpoint`",
                ));
            }
            (ResumeFrom::LatestCheckpoint, StopKind::StopWithSavepoint) => {
                return Err(fail(
                    "resume.from",
                    "a job stopped with a savepoint is FINISHED and keeps no checkpoint: use `from: savepoint`",
                ));
            }
            (ResumeFrom::LatestCheckpoint, StopKind::Cancel) => {
                if ck.retention != Retention::RetainOnCancellation {
                    return Err(fail(
                        "resume.from",
                        format!(
                            "a cancel deletes the checkpoints under {}: set \
                             `execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION`",
                            ck.retention.flink_name()
                        ),
                    ));
                }
            }
        }
        if resume.after_ns > self.duration_ns {
            return Err(fail(
                "resume.after",
                "must let the job start again within the scenario's duration",
            ));
        }
        Ok(())
    }
}

fn source_rules(s: &SourceSpec, at: &str) -> Rule {
    let partitions = format!("{at}.partitions");
    positive(&partitions, u64::from(s.partitions))?;
    let split = format!("{at}.state-per-partition");
    positive(&split, s.state_bytes_per_partition)?;
    at_most(
        &split,
        "state per partition",
        s.state_bytes_per_partition,
        super::validate::MAX_STATE_PER_KEY,
    )?;
    at_most(&partitions, "partition count", u64::from(s.partitions), MAX_PARTITIONS)?;
    if s.rate_profile.is_empty() && (s.rate_per_s == 0 || s.rate_per_s as f64 > MAX_RATE) {
        return Err(fail(
            format!("{at}.rate"),
            format!("must be a whole number of records per second, from 1 to {MAX_RATE}"),
        ));
    }
    for (i, step) in s.rate_profile.iter().enumerate() {
        let path = format!("{at}.rate-profile[{i}]");
        if step.rate_per_s as f64 > MAX_RATE {
            return Err(fail(format!("{path}.rate"), format!("must be at most {MAX_RATE}")));
        }
        let in_order = match i.checked_sub(1) {
            None => step.at_ns == 0,
            Some(before) => step.at_ns > s.rate_profile[before].at_ns,
        };
        if !in_order {
            return Err(fail(
                format!("{path}.at"),
                "steps start at 0s and each is later than the one before",
            ));
        }
    }
    if !s.rate_profile.is_empty() && s.rate_profile.iter().all(|step| step.rate_per_s == 0) && s.backlog == 0 {
        return Err(fail(
            format!("{at}.rate-profile"),
            "appends no record: give some step a rate above 0, or a `backlog`",
        ));
    }
    at_most(
        &format!("{at}.backlog"),
        "backlog",
        s.backlog,
        super::validate::MAX_BACKLOG,
    )?;
    let keys = format!("{at}.keys.count");
    positive(&keys, s.keys.count())?;
    at_most(&keys, "key count", s.keys.count(), super::validate::MAX_KEYS)?;
    match s.keys {
        KeySpec::Uniform { .. } | KeySpec::Sequence { .. } => {}
        KeySpec::Zipf { exponent, .. } => {
            if !(exponent.is_finite() && exponent > 0.0 && exponent <= 10.0) {
                return Err(fail(format!("{at}.keys.exponent"), "must be above 0 and at most 10"));
            }
        }
        KeySpec::HotKey {
            count,
            hot_keys,
            hot_fraction,
        } => {
            if hot_keys == 0 || hot_keys > count {
                return Err(fail(
                    format!("{at}.keys.hot-keys"),
                    format!("must be between 1 and the key count ({count})"),
                ));
            }
            if !(0.0..=1.0).contains(&hot_fraction) {
                return Err(fail(format!("{at}.keys.hot-fraction"), "must be between 0 and 1"));
            }
        }
    }
    if s.value_min > s.value_max {
        return Err(fail(
            format!("{at}.values.max"),
            format!("must be at least min ({})", s.value_min),
        ));
    }
    let bound = 1i64 << 40;
    if s.value_min < -bound || s.value_max > bound {
        return Err(fail(
            format!("{at}.values"),
            format!("values must lie within ±{bound} so that sums cannot overflow"),
        ));
    }
    if s.poll_interval_ns < MICROSECOND {
        return Err(fail(format!("{at}.poll-interval"), "must be at least 1us"));
    }
    Ok(())
}
