//! What the numbers of a run say: which phase dominates its checkpoints, which subtask
//! is the straggler, where backpressure starts, and what to try. Every sentence of a
//! report's diagnosis is derived here from the data, so the plots, `summary.md` and the
//! HTML page tell the same story.

use super::record::{RunRecord, ScenarioFacts};
use super::units::{bytes, duration, ms, percentile};
use crate::model::world::SubtaskBreakdown;
use crate::sim::Nanos;
use crate::stats::checkpoint::CheckpointSummary;
use crate::stats::run::RunSummary;

/// The phases of a checkpoint as the report draws them, in order: a subtask's six
/// phases, which add up to its end-to-end duration, then the coordinator's finalize.
pub const PHASES: [&str; 7] = [
    "start delay",
    "alignment",
    "snapshot wait",
    "sync",
    "async",
    "ack transit",
    "finalize",
];

/// `subtask#index` names by global subtask id.
pub fn subtask_names(summary: &RunSummary) -> Vec<String> {
    summary
        .subtasks
        .iter()
        .map(|t| format!("{}#{}", t.operator, t.subtask))
        .collect()
}

pub fn subtask_name(names: &[String], b: &SubtaskBreakdown) -> String {
    names
        .get(b.subtask)
        .cloned()
        .unwrap_or_else(|| format!("op{}#{}", b.operator, b.index))
}

/// One checkpoint and the subtask parts the coordinator counted for it.
pub struct CheckpointView<'a> {
    pub checkpoint: &'a CheckpointSummary,
    pub parts: Vec<&'a SubtaskBreakdown>,
}

impl<'a> CheckpointView<'a> {
    /// The part that took longest, trigger to acknowledgement.
    pub fn slowest(&self) -> Option<&'a SubtaskBreakdown> {
        // Ties go to the first acknowledged, so the choice is stable.
        self.parts
            .iter()
            .copied()
            .reduce(|a, b| if b.end_to_end_ns > a.end_to_end_ns { b } else { a })
    }

    /// The slowest part's phases plus finalize, in [`PHASES`] order.
    pub fn slowest_phases(&self) -> [Nanos; 7] {
        let mut out = [0; 7];
        if let Some(b) = self.slowest() {
            for (i, (_, v)) in b.phases().iter().enumerate() {
                out[i] = *v;
            }
        }
        out[6] = self.checkpoint.finalize_duration.unwrap_or(0);
        out
    }

    /// Flink's `checkpoint_type`: a checkpoint is `UNALIGNED_CHECKPOINT` as soon as
    /// one acknowledged subtask took it unaligned (`PendingCheckpointStats` ORs the
    /// subtasks' `unaligned_checkpoint` flags), so with an aligned-checkpoint timeout
    /// only the checkpoints that timed out somewhere are.
    pub fn flink_type(&self) -> &'static str {
        if self.checkpoint.is_savepoint {
            "SAVEPOINT"
        } else if self.parts.iter().any(|b| b.unaligned) {
            "UNALIGNED_CHECKPOINT"
        } else {
            "CHECKPOINT"
        }
    }

    /// Each phase's p50 over the parts, plus finalize.
    pub fn p50_phases(&self) -> [Nanos; 7] {
        let c = self.checkpoint;
        [
            c.start_delay.p50,
            c.alignment.p50,
            c.snapshot_wait.p50,
            c.sync.p50,
            c.async_.p50,
            c.ack_transit.p50,
            c.finalize_duration.unwrap_or(0),
        ]
    }
}

/// Every checkpoint with its parts. A failed checkpoint keeps only the parts
/// acknowledged before it failed, as Flink's statistics show it.
pub fn checkpoint_views(summary: &RunSummary) -> Vec<CheckpointView<'_>> {
    let Some(report) = &summary.checkpoints else {
        return Vec::new();
    };
    report
        .checkpoints
        .iter()
        .map(|c| {
            let ended = match c.status {
                "FAILED" => c.trigger_timestamp + c.end_to_end_duration.unwrap_or(0),
                _ => Nanos::MAX,
            };
            let parts = report
                .subtasks
                .iter()
                .filter(|b| b.checkpoint_id == c.id && b.ack_timestamp <= ended)
                .collect();
            CheckpointView { checkpoint: c, parts }
        })
        .collect()
}

/// The checkpoint to draw as a timeline: the slowest completed one, else the one with
/// the most acknowledged parts.
pub fn worst_checkpoint<'a>(views: &'a [CheckpointView<'a>]) -> Option<&'a CheckpointView<'a>> {
    let completed = views
        .iter()
        .filter(|v| v.checkpoint.status == "COMPLETED" && !v.parts.is_empty())
        .max_by_key(|v| {
            (
                v.checkpoint.end_to_end_duration.unwrap_or(0),
                std::cmp::Reverse(v.checkpoint.id),
            )
        });
    completed.or_else(|| {
        views
            .iter()
            .filter(|v| !v.parts.is_empty())
            .max_by_key(|v| v.parts.len())
    })
}

/// The figures a sweep compares between runs.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunMetrics {
    pub completed: u64,
    pub failed: u64,
    pub e2e_p50_ms: Option<f64>,
    pub e2e_p99_ms: Option<f64>,
    /// p50 over completed checkpoints of the longest blocking alignment of any subtask.
    pub alignment_ms: Option<f64>,
    /// Mean in-flight data persisted per completed checkpoint.
    pub persisted_bytes: Option<f64>,
    /// Records per second the sources read.
    pub throughput_per_s: f64,
    /// Mean time from a task failure to running again.
    pub recovery_ms: Option<f64>,
    pub exactly_once: bool,
    /// Source-to-sink latency p99 of records; `None` when no record reached a sink.
    #[serde(default)]
    pub latency_p99_ms: Option<f64>,
    /// C, see [`super::checkpoint_cost::CheckpointCost::per_checkpoint_ms`].
    #[serde(default)]
    pub checkpoint_cost_ms: Option<f64>,
    /// See [`super::checkpoint_cost::CheckpointCost::overhead_pct`].
    #[serde(default)]
    pub checkpoint_overhead_pct: Option<f64>,
    /// See [`super::failure_cost`].
    #[serde(default)]
    pub records_replayed_per_failure: Option<f64>,
}

impl RunMetrics {
    pub fn of(record: &RunRecord) -> Self {
        let s = &record.summary;
        let views = checkpoint_views(s);
        let completed: Vec<&CheckpointView> = views.iter().filter(|v| v.checkpoint.status == "COMPLETED").collect();
        let mut e2e: Vec<f64> = completed
            .iter()
            .filter_map(|v| v.checkpoint.end_to_end_duration.map(ms))
            .collect();
        let mut alignment: Vec<f64> = completed.iter().map(|v| ms(v.checkpoint.alignment.max)).collect();
        let persisted: Vec<f64> = completed.iter().map(|v| v.checkpoint.persisted_data as f64).collect();
        let recoveries: Vec<f64> = s
            .recoveries
            .iter()
            .filter(|r| !r.resubmitted)
            .filter_map(|r| r.recovery_time_ns().map(ms))
            .collect();
        let report = s.checkpoints.as_ref();
        let cost = super::checkpoint_cost::of(s);
        RunMetrics {
            completed: report.map_or(0, |r| r.completed),
            failed: report.map_or(0, |r| r.failed),
            e2e_p50_ms: percentile(&mut e2e, 0.5),
            e2e_p99_ms: percentile(&mut e2e, 0.99),
            alignment_ms: percentile(&mut alignment, 0.5),
            persisted_bytes: mean(&persisted),
            throughput_per_s: s.input_rate_per_s,
            recovery_ms: mean(&recoveries),
            exactly_once: record.held(),
            latency_p99_ms: (s.latency.records > 0).then(|| ms(s.latency.p99_ns)),
            checkpoint_cost_ms: cost.per_checkpoint_ms,
            checkpoint_overhead_pct: cost.overhead_pct,
            records_replayed_per_failure: Some(super::failure_cost::of(s).records_replayed),
        }
    }
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The subtask that held most checkpoints back (see [`holder`]).
#[derive(Clone, Debug)]
pub struct Straggler {
    pub name: String,
    /// In how many completed checkpoints it was the holder.
    pub times_holding: usize,
    pub checkpoints: usize,
    /// Its median end-to-end duration against the median of all parts.
    pub median_ns: Nanos,
    pub all_median_ns: Nanos,
    /// The phase that is longest in its parts.
    pub main_phase: &'static str,
    /// The subtask that most often acknowledged last, when it is not the straggler
    /// (a subtask downstream whose barrier waited behind it).
    pub last_to_acknowledge: Option<String>,
}

/// Where backpressure showed.
#[derive(Clone, Debug)]
pub struct Backpressure {
    /// The first sample with a backpressured subtask.
    pub first_ns: Nanos,
    /// Share of samples with any backpressured subtask.
    pub sampled_share: f64,
    /// Operators with a subtask backpressured more than 1% of the time, most first.
    pub operators: Vec<(String, f64)>,
    /// The busiest subtask that is not itself backpressured, where the pressure comes
    /// from: (name, its busy share, the median subtask's busy share).
    pub bottleneck: Option<(String, f64, f64)>,
}

/// A run's diagnosis.
pub struct Diagnosis {
    pub facts: ScenarioFacts,
    pub completed: usize,
    pub failed: usize,
    pub failure_reasons: Vec<(String, usize)>,
    /// Failed triggers that never became a checkpoint (Flink counts them in
    /// `counts.failed` and leaves them out of its history): a trigger that met tasks
    /// still deploying, say.
    pub failed_before_start: u64,
    pub e2e_p50_ns: Option<Nanos>,
    pub e2e_p99_ns: Option<Nanos>,
    pub e2e_max_ns: Option<Nanos>,
    /// Over completed checkpoints, the slowest part's phases summed.
    pub phase_totals: [Nanos; 7],
    pub dominant: Option<(&'static str, f64)>,
    pub straggler: Option<Straggler>,
    pub backpressure: Option<Backpressure>,
    pub last_state_size: Option<u64>,
    pub mean_checkpointed_size: Option<f64>,
    pub mean_persisted: Option<f64>,
    pub metrics: RunMetrics,
    /// What to try, each with the reason the data gives.
    pub advice: Vec<String>,
}

fn median_ns(values: &mut [Nanos]) -> Nanos {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

fn share(part: Nanos, total: Nanos) -> f64 {
    if total == 0 { 0.0 } else { part as f64 / total as f64 }
}

pub fn diagnose(record: &RunRecord) -> Diagnosis {
    let s = &record.summary;
    let facts = record.facts();
    let names = subtask_names(s);
    let views = checkpoint_views(s);
    let completed: Vec<&CheckpointView> = views
        .iter()
        .filter(|v| v.checkpoint.status == "COMPLETED" && !v.parts.is_empty())
        .collect();
    let failed: Vec<&CheckpointView> = views.iter().filter(|v| v.checkpoint.status == "FAILED").collect();
    let mut failure_reasons: Vec<(String, usize)> = Vec::new();
    for f in &failed {
        let reason = f.checkpoint.failure_message.unwrap_or("unknown").to_string();
        match failure_reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => failure_reasons.push((reason, 1)),
        }
    }

    let mut e2e: Vec<Nanos> = completed
        .iter()
        .filter_map(|v| v.checkpoint.end_to_end_duration)
        .collect();
    e2e.sort_unstable();
    let pick = |q: f64| -> Option<Nanos> {
        (!e2e.is_empty()).then(|| e2e[((q * e2e.len() as f64).ceil() as usize).clamp(1, e2e.len()) - 1])
    };
    let mut phase_totals = [0; 7];
    for v in &completed {
        for (total, p) in phase_totals.iter_mut().zip(v.slowest_phases()) {
            *total += p;
        }
    }
    let grand: Nanos = phase_totals.iter().sum();
    let dominant = (grand > 0).then(|| {
        let (i, v) = phase_totals
            .iter()
            .enumerate()
            .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)))
            .expect("seven phases");
        (PHASES[i], share(*v, grand))
    });

    let straggler = find_straggler(&completed, &names, &facts);
    let backpressure = find_backpressure(s, straggler.as_ref());
    let metrics = RunMetrics::of(record);
    let mut d = Diagnosis {
        completed: completed.len(),
        failed: failed.len(),
        failure_reasons,
        failed_before_start: s
            .checkpoints
            .as_ref()
            .map_or(0, |c| c.failed.saturating_sub(failed.len() as u64)),
        e2e_p50_ns: pick(0.5),
        e2e_p99_ns: pick(0.99),
        e2e_max_ns: e2e.last().copied(),
        phase_totals,
        dominant,
        straggler,
        backpressure,
        last_state_size: completed.last().map(|v| v.checkpoint.state_size),
        mean_checkpointed_size: mean(
            &completed
                .iter()
                .map(|v| v.checkpoint.checkpointed_size as f64)
                .collect::<Vec<_>>(),
        ),
        mean_persisted: metrics.persisted_bytes,
        metrics,
        advice: Vec::new(),
        facts,
    };
    d.advice = advise(&d, s);
    d
}

/// The index in [`PHASES`] of a part's longest phase (the first, on a tie).
fn main_phase(b: &SubtaskBreakdown) -> usize {
    b.phases()
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, v))| (*v, std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i)
}

/// The subtask that held a checkpoint back: the one that acknowledged last, unless
/// most of its time went by before its barrier even reached it (start delay). Then
/// the barrier waited upstream, and the subtask held responsible is the one nearest
/// the sources whose barrier was already about as late (nine tenths of the delay):
/// the barrier queued at that subtask's input, and everything downstream of it
/// inherited the delay.
pub fn holder<'a>(v: &CheckpointView<'a>, facts: &ScenarioFacts) -> Option<&'a SubtaskBreakdown> {
    let last = v.slowest()?;
    if main_phase(last) != 0 {
        return Some(last);
    }
    v.parts
        .iter()
        .copied()
        .filter(|b| b.start_delay_ns as u128 * 10 >= last.start_delay_ns as u128 * 9)
        .min_by_key(|b| (facts.depth(b.operator), std::cmp::Reverse(b.start_delay_ns), b.subtask))
}

/// The subtask that appears most often in `picks`, with how often (ties: the lower
/// subtask id).
fn most_often(picks: impl Iterator<Item = usize>) -> Option<(usize, usize)> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for subtask in picks {
        match counts.iter_mut().find(|(s, _)| *s == subtask) {
            Some((_, n)) => *n += 1,
            None => counts.push((subtask, 1)),
        }
    }
    counts.into_iter().max_by_key(|(s, n)| (*n, std::cmp::Reverse(*s)))
}

fn find_straggler(completed: &[&CheckpointView], names: &[String], facts: &ScenarioFacts) -> Option<Straggler> {
    let (subtask, times) = most_often(completed.iter().filter_map(|v| holder(v, facts)).map(|b| b.subtask))?;
    // A straggler holds most checkpoints back; otherwise the last place rotates.
    if times * 2 < completed.len() {
        return None;
    }
    let mine: Vec<&SubtaskBreakdown> = completed
        .iter()
        .flat_map(|v| v.parts.iter().copied())
        .filter(|b| b.subtask == subtask)
        .collect();
    let mut own: Vec<Nanos> = mine.iter().map(|b| b.end_to_end_ns).collect();
    let mut all: Vec<Nanos> = completed
        .iter()
        .flat_map(|v| v.parts.iter().map(|b| b.end_to_end_ns))
        .collect();
    let mut phase_sums = [0u64; 6];
    for b in &mine {
        for (sum, (_, v)) in phase_sums.iter_mut().zip(b.phases()) {
            *sum += v;
        }
    }
    let main = phase_sums
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let (median_ns, all_median_ns) = (median_ns(&mut own), median_ns(&mut all));
    // Less than a fifth slower than the median subtask is no straggler.
    if median_ns * 5 < all_median_ns * 6 {
        return None;
    }
    // The subtask that acknowledged last most often, when that is another one.
    let last = most_often(completed.iter().filter_map(|v| v.slowest()).map(|b| b.subtask))
        .filter(|(last, _)| *last != subtask)
        .and_then(|(last, _)| {
            completed
                .iter()
                .flat_map(|v| v.parts.iter())
                .find(|b| b.subtask == last)
        })
        .map(|b| subtask_name(names, b));
    Some(Straggler {
        name: mine.first().map(|b| subtask_name(names, b)).unwrap_or_default(),
        times_holding: times,
        checkpoints: completed.len(),
        median_ns,
        all_median_ns,
        main_phase: PHASES[main],
        last_to_acknowledge: last,
    })
}

/// Where backpressure shows and where it comes from. The bottleneck is the straggler
/// whenever the straggler qualifies as one (busy, not backpressured itself): the
/// diagnosis then names one subtask for both, the one whose slowness held the
/// checkpoints back and pressed on its inputs.
fn find_backpressure(s: &RunSummary, straggler: Option<&Straggler>) -> Option<Backpressure> {
    let first = s.samples.iter().find(|p| p.backpressured_subtasks > 0)?;
    let with = s.samples.iter().filter(|p| p.backpressured_subtasks > 0).count();
    // Shares of the time the job ran, not of the virtual clock, which pending timers
    // can carry far past the job's end.
    let span = crate::report::plots::style::time_extent(s).max(1) as f64;
    let busy_of = |t: &crate::stats::run::SubtaskSummary| (t.metrics.busy_ns as f64 / span).min(1.0);
    let pressured_of = |t: &crate::stats::run::SubtaskSummary| (t.metrics.backpressured_ns as f64 / span).min(1.0);
    let mut operators: Vec<(String, f64)> = Vec::new();
    for t in &s.subtasks {
        let share = pressured_of(t);
        match operators.iter_mut().find(|(name, _)| *name == t.operator) {
            Some((_, max)) => *max = max.max(share),
            None => operators.push((t.operator.clone(), share)),
        }
    }
    operators.retain(|(_, share)| *share > 0.01);
    operators.sort_by(|a, b| b.1.total_cmp(&a.1));
    // The bottleneck stands out: busy most of the time, or far busier than the
    // median subtask, while not waiting on its own output.
    let mut busy: Vec<f64> = s.subtasks.iter().map(busy_of).collect();
    let median_busy = percentile(&mut busy, 0.5).unwrap_or(0.0);
    let name_of = |t: &crate::stats::run::SubtaskSummary| format!("{}#{}", t.operator, t.subtask);
    let candidates: Vec<&crate::stats::run::SubtaskSummary> = s
        .subtasks
        .iter()
        .filter(|t| pressured_of(t) < 0.05)
        .filter(|t| busy_of(t) > 0.5 || (busy_of(t) >= 0.01 && busy_of(t) >= 4.0 * median_busy))
        .collect();
    let bottleneck = candidates
        .iter()
        .find(|t| straggler.is_some_and(|st| st.name == name_of(t)))
        .or_else(|| candidates.iter().max_by(|a, b| busy_of(a).total_cmp(&busy_of(b))))
        .map(|t| (name_of(t), busy_of(t), median_busy));
    Some(Backpressure {
        first_ns: first.time,
        sampled_share: with as f64 / s.samples.len().max(1) as f64,
        operators,
        bottleneck,
    })
}

fn advise(d: &Diagnosis, s: &RunSummary) -> Vec<String> {
    let f = &d.facts;
    let mut advice = Vec::new();
    let grand: Nanos = d.phase_totals.iter().sum();
    let waiting = share(d.phase_totals[0] + d.phase_totals[1], grand);
    let async_share = share(d.phase_totals[4], grand);
    let sync_share = share(d.phase_totals[3], grand);
    let finalize_share = share(d.phase_totals[6], grand);
    let n = d.completed.max(1) as u64;
    let mean_wait = (d.phase_totals[0] + d.phase_totals[1]) / n;

    if let Some(bp) = &d.backpressure {
        if let Some((name, busy, median)) = &bp.bottleneck {
            advice.push(format!(
                "Relieve the bottleneck `{name}`: it is busy {:.1}% of the time against {:.1}% for the median \
                 subtask, and is not backpressured itself, so it is where the backpressure comes from. Raise the \
                 operator's parallelism or spread its hot keys; every other fix below treats the symptom.",
                busy * 100.0,
                median * 100.0
            ));
        }
        if waiting > 0.4 && !f.unaligned && !f.at_least_once {
            advice.push(format!(
                "Enable unaligned checkpoints (`execution.checkpointing.unaligned.enabled: true`, optionally with \
                 `execution.checkpointing.aligned-checkpoint-timeout`): the slowest subtask waits {} on average for \
                 barriers queued behind in-flight buffers ({:.0}% of its checkpoint time). Unaligned barriers overtake \
                 those buffers, at the cost of persisting them with the checkpoint.",
                duration(mean_wait),
                waiting * 100.0
            ));
        } else if waiting > 0.4 && f.unaligned {
            let mode = if f.aligned_checkpoint_timeout_ns > 0 {
                format!(
                    "Checkpoints switch to unaligned after {}",
                    duration(f.aligned_checkpoint_timeout_ns)
                )
            } else {
                "Checkpoints are unaligned".to_string()
            };
            let stuck = if d.phase_totals[0] >= d.phase_totals[1] {
                "mostly in start delay: the barrier is stuck in upstream output queues before any input sees it"
            } else {
                "mostly in alignment, before the switch to unaligned"
            };
            advice.push(format!(
                "{mode}, yet barriers still wait {} on average ({:.0}% of the slowest subtask's time), {stuck}. \
                 Fewer in-flight buffers (`taskmanager.network.memory.buffers-per-channel`, \
                 `taskmanager.network.memory.max-buffers-per-channel`) shorten that queue.",
                duration(mean_wait),
                waiting * 100.0
            ));
        }
    } else if waiting > 0.5 && grand > 0 {
        advice.push(format!(
            "Barrier travel and alignment take {:.0}% of the slowest subtask's time with no backpressure: look at \
             network latency and `execution.buffer-timeout`, which hold barriers behind unflushed buffers.",
            waiting * 100.0
        ));
    }

    if let Some(p) = d.mean_persisted.filter(|p| *p > 0.0) {
        // The checkpointed size counts the in-flight data too, as Flink's does.
        let own = (d.mean_checkpointed_size.unwrap_or(0.0) - p).max(0.0);
        if p > own * 0.5 {
            let timeout = if f.aligned_checkpoint_timeout_ns == 0 {
                ", or an aligned-checkpoint timeout (`execution.checkpointing.aligned-checkpoint-timeout`) so that \
                 only late barriers switch,"
            } else {
                ""
            };
            advice.push(format!(
                "Unaligned checkpoints persist {} of in-flight data per checkpoint against {} of state uploaded \
                 besides it: fewer network buffers (`taskmanager.network.memory.buffers-per-channel`){timeout} would \
                 shrink it.",
                bytes(p),
                bytes(own)
            ));
        }
    }

    // A checkpoint that takes a small share of the interval with nothing failing
    // and nothing backpressured needs no tuning, whichever phase is longest.
    let failed_for_real = d
        .failure_reasons
        .iter()
        .any(|(r, _)| r != "CHECKPOINT_COORDINATOR_SHUTDOWN");
    let healthy = d.backpressure.is_none()
        && !failed_for_real
        && s.recoveries.is_empty()
        && match (f.interval_ns, d.e2e_p99_ns) {
            (Some(interval), Some(p99)) => p99 * 5 < interval,
            _ => false,
        };
    if healthy {
        let (phase, phase_share) = d.dominant.unwrap_or(("none", 0.0));
        let p99 = d.e2e_p99_ns.unwrap_or(0);
        let interval = f.interval_ns.unwrap_or(1);
        return vec![format!(
            "Nothing to change: the p99 checkpoint takes {} ({:.1}% of the {} interval), no subtask is \
             backpressured and no checkpoint failed for a reason of its own. The longest phase is {phase} \
             ({:.0}%){}.",
            duration(p99),
            share(p99, interval) * 100.0,
            duration(interval),
            phase_share * 100.0,
            if phase == "async" || phase == "finalize" {
                format!(
                    ", bounded by checkpoint storage latency ({})",
                    duration(f.storage_latency_ns)
                )
            } else {
                String::new()
            }
        )];
    }
    if async_share > 0.4 {
        let state = d.last_state_size.unwrap_or(0) as f64;
        let uploaded = d.mean_checkpointed_size.unwrap_or(0.0);
        // Upload time against request latency: is the async phase about size at all?
        let transfer_ns = if f.storage_bandwidth_bytes_per_s > 0 {
            uploaded / f.storage_bandwidth_bytes_per_s as f64 * 1e9
        } else {
            0.0
        };
        let size_bound = transfer_ns > f.storage_latency_ns as f64;
        if !size_bound {
            advice.push(format!(
                "The async phase is {:.0}% of checkpoint time but uploads only {} per checkpoint: it is bounded by \
                 checkpoint storage latency ({} per request), not by state size, so smaller or incremental state \
                 would not shorten it.",
                async_share * 100.0,
                bytes(uploaded),
                duration(f.storage_latency_ns)
            ));
        } else if !f.incremental && state > 0.0 && uploaded > 0.5 * state {
            advice.push(format!(
                "Use incremental checkpoints (`state.backend.type: rocksdb`, \
                 `execution.checkpointing.incremental: true`): the async phase is {:.0}% of checkpoint time and each \
                 checkpoint uploads {} — the whole state — where an incremental one uploads only what changed.",
                async_share * 100.0,
                bytes(uploaded)
            ));
        } else if f.storage_bandwidth_bytes_per_s > 0 {
            advice.push(format!(
                "The async phase (upload to checkpoint storage) is {:.0}% of checkpoint time: {} per checkpoint at \
                 {}/s shared by all subtasks. Faster storage or less state per checkpoint would cut it.",
                async_share * 100.0,
                bytes(uploaded),
                bytes(f.storage_bandwidth_bytes_per_s as f64)
            ));
        }
    }
    if sync_share > 0.4 {
        advice.push(format!(
            "The synchronous phase is {:.0}% of checkpoint time: it stops processing while state is copied; less \
             state per subtask (more parallelism) or the rocksdb backend, whose sync phase only flushes, shortens it.",
            sync_share * 100.0
        ));
    }
    if finalize_share > 0.4 {
        advice.push(format!(
            "Finalization at the coordinator is {:.0}% of checkpoint time: the metadata write waits on checkpoint \
             storage latency ({}).",
            finalize_share * 100.0,
            duration(f.storage_latency_ns)
        ));
    }

    if let (Some(interval), Some(p99)) = (f.interval_ns, d.e2e_p99_ns)
        && p99 * 2 > interval
    {
        let min_pause = if f.min_pause_ns == 0 {
            ", or set `execution.checkpointing.min-pause`".to_string()
        } else if f.min_pause_ns < p99 {
            format!(
                ", or raise `execution.checkpointing.min-pause` (now {}) towards it",
                duration(f.min_pause_ns)
            )
        } else {
            String::new()
        };
        advice.push(format!(
            "Raise the checkpoint interval (now {}) to at least {}, about 3× the p99 duration {}{min_pause}: at this \
             interval the job spends {:.0}% of its time checkpointing and a slow checkpoint delays the next.",
            duration(interval),
            duration(p99 * 3),
            duration(p99),
            share(p99, interval).min(1.0) * 100.0
        ));
    }
    if let Some((reason, count)) = d.failure_reasons.iter().find(|(r, _)| r == "CHECKPOINT_EXPIRED") {
        advice.push(format!(
            "{count} checkpoint(s) expired (`{reason}`) after `execution.checkpointing.timeout` = {}: either raise \
             the timeout above the real duration or make checkpoints faster as above.",
            duration(f.timeout_ns)
        ));
    }
    // The new job started from a snapshot after the user's stop is no failure to advise on.
    let failures: Vec<_> = s.recoveries.iter().filter(|r| !r.resubmitted).collect();
    if !failures.is_empty() {
        let reprocessed: u64 = failures.iter().map(|r| r.reprocessed_records).sum();
        let mean_recovery = d.metrics.recovery_ms.unwrap_or(0.0);
        let msg = match f.interval_ns {
            Some(i) => format!(
                "{} recovery(ies) replayed {reprocessed} records and took {mean_recovery:.0} ms on average: the \
                 replay grows with the time since the last completed checkpoint, up to the interval ({}); a shorter \
                 interval trades checkpoint overhead for less replay.",
                failures.len(),
                duration(i)
            ),
            None => format!(
                "{} recovery(ies) restarted from the beginning of the input ({reprocessed} records replayed): \
                 enable checkpointing (`execution.checkpointing.interval`) to restart from a checkpoint.",
                s.recoveries.len()
            ),
        };
        advice.push(msg);
    }
    if advice.is_empty() {
        match (f.interval_ns, d.e2e_p99_ns) {
            (Some(interval), Some(p99)) => advice.push(format!(
                "Nothing to change: the p99 checkpoint takes {} ({:.1}% of the {} interval) and no subtask is \
                 backpressured.",
                duration(p99),
                share(p99, interval) * 100.0,
                duration(interval)
            )),
            (None, _) if d.completed == 0 && d.failed == 0 => advice.push(
                "Checkpointing is off: set `execution.checkpointing.interval` to see checkpoint behaviour.".to_string(),
            ),
            _ => advice.push("Nothing stands out in this run.".to_string()),
        }
    }
    advice
}

/// Buffer debloating in one line: how often sizes were announced and the sizes the
/// gates held at the end; `None` when no gate had one.
pub fn debloat_line(d: &crate::stats::run::DebloatSummary) -> Option<String> {
    let mut sizes = d.buffer_sizes.clone();
    sizes.sort_unstable();
    let (min, max) = (sizes.first()?, sizes.last()?);
    Some(format!(
        "{} buffer sizes announced; at the end {}–{} per buffer (median {}) over {} input gates",
        d.announcements,
        super::units::bytes(f64::from(*min)),
        super::units::bytes(f64::from(*max)),
        super::units::bytes(f64::from(sizes[sizes.len() / 2])),
        sizes.len()
    ))
}

/// Checkpoint file merging in one line: the physical files the logical ones were
/// segments of, at most, and the space amplification; `None` with it off.
pub fn file_merging_line(storage: &crate::stats::checkpoint::StorageUsage) -> Option<String> {
    let m = storage.file_merging.as_ref()?;
    Some(format!(
        "at most {} physical file(s) of {} for {} logical file(s) of {}; space amplification {:.2} on average, at most {:.2}",
        m.peak_physical_files,
        super::units::bytes(m.peak_physical_bytes as f64),
        storage.peak_files,
        super::units::bytes(storage.peak_bytes as f64),
        m.mean_space_amplification,
        m.peak_space_amplification,
    ))
}

/// The changelog state backend in one line: its materializations and what a restore
/// would read at the end.
pub fn changelog_line(c: &crate::model::world::ChangelogSummary) -> String {
    let failed = match c.failed_materializations {
        0 => String::new(),
        n => format!(" ({n} failed)"),
    };
    format!(
        "{} materialization(s){failed}; at the end {} materialized + {} of changelog since",
        c.materializations,
        super::units::bytes(c.materialized_bytes as f64),
        super::units::bytes(c.changelog_bytes as f64),
    )
}

/// Task-local recovery over the run in one line: what the restores read from the
/// TaskManagers' local disks and from checkpoint storage; `None` when it was off or
/// nothing was restored.
pub fn local_recovery_line(recoveries: &[crate::stats::faults::RecoveryRecord]) -> Option<String> {
    let restores: Vec<_> = recoveries.iter().filter_map(|r| r.restored_from).collect();
    if restores.is_empty() {
        return None;
    }
    let local: u64 = restores.iter().map(|r| r.local_bytes).sum();
    let remote: u64 = restores.iter().map(|r| r.remote_bytes).sum();
    Some(format!(
        "{} restore(s): {} read from local disks, {} from checkpoint storage",
        restores.len(),
        super::units::bytes(local as f64),
        super::units::bytes(remote as f64)
    ))
}
