//! The parts of `ckptsim run`'s summary about faults, recoveries and the oracle's
//! verdict, with a command that replays a violation.

use super::elide::for_each_elided;
use crate::check::Verdict;
use crate::report::units::bytes;
use crate::sim::time::format_duration;
use crate::stats::run::RunSummary;

/// Faults that struck and how the job recovered from each failure.
pub fn print_faults(s: &RunSummary) {
    if s.faults.is_empty() && s.recoveries.is_empty() {
        return;
    }
    println!();
    println!("faults: {}", s.faults.len());
    for f in &s.faults {
        let until = f
            .until_ns
            .map_or(String::new(), |u| format!(" until {}", format_duration(u)));
        println!(
            "  {:>9} {} on {}{}{}",
            format_duration(f.at_ns),
            f.kind,
            f.target,
            until,
            if f.fails_tasks { " — tasks fail" } else { "" }
        );
    }
    let recovery = |r: &crate::stats::faults::RecoveryRecord| {
        let from = r
            .restored_checkpoint
            .map_or("the beginning of the input".to_string(), |c| format!("checkpoint {c}"));
        match r.recovery_time_ns() {
            Some(t) if r.resubmitted => println!(
                "restore {}: {} at {}, running {} later, {} source records read again",
                r.attempt,
                r.cause,
                format_duration(r.failed_at_ns),
                format_duration(t),
                r.reprocessed_records
            ),
            Some(t) => println!(
                "recovery {}: failed at {} ({}), running again {} later from {}, {} source records read again",
                r.attempt,
                format_duration(r.failed_at_ns),
                r.cause,
                format_duration(t),
                from,
                r.reprocessed_records
            ),
            None => println!(
                "recovery {}: failed at {} ({}), never running again",
                r.attempt,
                format_duration(r.failed_at_ns),
                r.cause
            ),
        }
        if let Some(n) = r.restarted_subtasks {
            println!("  region failover: {n} subtask(s) restarted, the others kept running");
        }
        if let Some(from) = r.restored_from {
            println!(
                "  local recovery: {} read from local disks ({} subtask(s)), {} from checkpoint storage ({} keyed subtask(s) without a local copy)",
                bytes(from.local_bytes as f64),
                from.local_subtasks,
                bytes(from.remote_bytes as f64),
                from.remote_subtasks
            );
        }
    };
    for_each_elided(&s.recoveries, recovery, |n| println!("  … {n} more recoveries …"));
    if s.job_failed {
        println!("the job FAILED: the restart strategy gave up (restart-strategy.type)");
    }
}

/// How the user's cancel or stop went.
pub fn print_stop(s: &RunSummary) {
    let Some(stop) = &s.stop else {
        return;
    };
    println!();
    match (stop.ended_at_ns, stop.savepoint, &stop.failure) {
        (Some(at), Some(savepoint), _) => println!(
            "the job was stopped with savepoint {savepoint} at {} (requested at {}): FINISHED",
            format_duration(at),
            format_duration(stop.requested_at_ns)
        ),
        (Some(at), None, _) => println!("the job was CANCELED at {}", format_duration(at)),
        (None, _, Some(why)) => println!(
            "stop-with-savepoint requested at {} failed ({why}); the job kept running",
            format_duration(stop.requested_at_ns)
        ),
        (None, _, None) => println!(
            "the job ended before its {} at {}",
            stop.kind,
            format_duration(stop.requested_at_ns)
        ),
    }
    if let Some(resume) = &stop.resume {
        match (resume.submitted_at_ns, resume.snapshot, &resume.failure) {
            (Some(at), Some(id), _) => println!(
                "the job was submitted again at {} from {} {id} in {} mode (execution.state-recovery.claim-mode)",
                format_duration(at),
                if resume.is_savepoint {
                    "savepoint"
                } else {
                    "retained checkpoint"
                },
                resume.claim_mode
            ),
            (_, _, Some(why)) => println!("the job could not be submitted again from its {}: {why}", resume.from),
            _ => println!("the job was not submitted again: its stop did not end it"),
        }
    }
}

/// The oracle's verdict, in words.
pub fn print_verdict(verdict: &Verdict, summary: &RunSummary, check_s: f64) {
    let name = verdict.guarantee.to_ascii_lowercase().replace('_', "-");
    let cuts = if verdict.cuts.checkpoints > 0 {
        format!(
            "; {} completed checkpoint(s) checked as consistent cuts of `{}`",
            verdict.cuts.checkpoints,
            verdict.cuts.operators.join("`, `")
        )
    } else {
        String::new()
    };
    if verdict.held {
        let sinks: Vec<String> = verdict
            .sinks
            .iter()
            .map(|k| format!("`{}` {} keys, {} records", k.operator, k.keys, k.records))
            .collect();
        let mut notes = String::new();
        if verdict.duplicated_keys > 0 {
            notes += &format!(
                "; {} key(s) with duplicates, as at-least-once allows",
                verdict.duplicated_keys
            );
        }
        let ended_by = summary.stop.as_ref().filter(|s| s.ended_at_ns.is_some());
        if verdict.job_failed {
            notes += &format!(
                "; the job failed, {} key(s) short of the reference and no duplicates",
                verdict.missing_keys_after_job_failure
            );
        } else if let Some(resume) = ended_by
            .and_then(|s| s.resume.as_ref())
            .filter(|r| r.snapshot.is_some())
        {
            notes += &format!(
                "; the job was started again from {} {} in {} mode, both jobs' output checked against the whole input",
                if resume.is_savepoint { "savepoint" } else { "checkpoint" },
                resume.snapshot.unwrap_or_default(),
                resume.claim_mode
            );
        } else if let Some(stop) = ended_by {
            notes += &match stop.savepoint {
                Some(id) => format!("; the job was stopped with savepoint {id}, checked against the input it covers"),
                None => format!(
                    "; the job was cancelled, {} key(s) short of the reference (output the sinks had not committed) and no duplicates",
                    verdict.missing_keys_after_job_failure
                ),
            };
        }
        println!(
            "{name}: held — sink output matches the reference ({}{cuts}{notes}; checked in {check_s:.3}s wall)",
            sinks.join("; ")
        );
        return;
    }
    println!("{name}: VIOLATED");
    if verdict.not_drained.is_some() {
        println!("  {}", verdict.headline());
    }
    if verdict.anomaly_count > 0 {
        println!(
            "  {} difference(s) between the sinks' committed output and the reference; first ones:",
            verdict.anomaly_count
        );
        for a in &verdict.anomalies {
            println!(
                "  {:?} at `{}` key {} window {}: expected {:?}, got {:?}",
                a.kind, a.operator, a.key, a.window, a.expected, a.actual
            );
        }
        let restored = summary
            .recoveries
            .iter()
            .rev()
            .find_map(|r| r.restored_checkpoint)
            .map_or("none".to_string(), |c| format!("checkpoint {c}"));
        println!(
            "  (output compared when the job ended at {}, after {} recovery(ies); last restored: {restored})",
            format_duration(summary.virtual_time_ns),
            summary.recoveries.len()
        );
    }
    for v in verdict.line_violations.iter().take(20) {
        println!("  {}", crate::check::line_violation_text(v));
    }
    if verdict.cuts.violation_count > 0 {
        println!(
            "  {} key(s) where a completed checkpoint is not a consistent cut; first ones:",
            verdict.cuts.violation_count
        );
        for v in &verdict.cuts.violations {
            println!(
                "  checkpoint {} (completed at {}) `{}` key {}: expected count {} sum {}, state holds count {} sum {}",
                v.checkpoint_id,
                format_duration(v.completed_at_ns),
                v.operator,
                v.key,
                v.expected.count,
                v.expected.sum,
                v.actual.count,
                v.actual.sum
            );
        }
    }
}

/// The command that runs this scenario again with the same result.
pub fn replay_command(scenario: Option<&std::path::Path>, seed: u64, duration: Option<u64>) -> String {
    let mut cmd = "ckptsim run".to_string();
    if let Some(path) = scenario {
        cmd += &format!(" {}", path.display());
    }
    cmd += &format!(" --seed {seed}");
    if let Some(d) = duration {
        cmd += &format!(" --duration {d}ns");
    }
    cmd
}
