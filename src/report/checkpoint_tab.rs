//! The page's checkpoint tables, as Flink's web UI shows a job's Checkpoints tab:
//! the history (status, type, acknowledged subtasks, trigger and latest
//! acknowledgement, sizes), then per checkpoint each operator and, below it, each
//! subtask. The figures are those of the Flink REST export written beside the page
//! (`checkpoints-details.json`), so the page and the JSON never disagree.

use super::analysis::{CheckpointView, checkpoint_views, subtask_name, subtask_names, worst_checkpoint};
use super::elide::{Shown, elided};
use super::flink_rest::{CheckpointStatistics, FlinkExport, TaskDetails};
use super::record::RunRecord;
use super::units::{bytes, duration, escape};
use std::fmt::Write;

/// How many of the latest checkpoints get their operators and subtasks on the page,
/// as many as Flink's web UI keeps (`web.checkpoints.history`); the slowest one is
/// shown too. Every checkpoint's are in `checkpoints-details.json`.
pub const DETAILED: usize = 10;

/// Rows of the history and phase tables kept at each end of a longer run: a page
/// with thousands of checkpoints stays quick to open, and every row is in
/// `checkpoints.csv` and `checkpoints.json`.
pub const HISTORY_EDGE: usize = 50;

/// The row standing for the checkpoints a table leaves out.
fn left_out(h: &mut String, n: usize, columns: usize) {
    let _ = write!(
        h,
        "<tr class=\"elided\"><td colspan=\"{columns}\">… {n} more checkpoints: every one is in \
         <a href=\"checkpoints.csv\">checkpoints.csv</a> and <a href=\"checkpoints.json\">checkpoints.json</a> …</td></tr>"
    );
}

/// A Flink timestamp (epoch milliseconds, the run starting at 0) as time into the run.
fn at(ms: i64) -> String {
    if ms < 0 {
        "–".into()
    } else {
        format!("{:.3} s", ms as f64 / 1e3)
    }
}

/// A Flink duration in milliseconds.
fn millis(ms: i64) -> String {
    if ms < 0 {
        "–".into()
    } else {
        duration(ms as u64 * 1_000_000)
    }
}

/// A checkpoint's type as Flink's web UI words it, with the REST API's
/// `checkpoint_type` as the cell's tooltip.
fn kind(checkpoint_type: &str) -> String {
    let words = match checkpoint_type {
        "CHECKPOINT" => "aligned checkpoint",
        "UNALIGNED_CHECKPOINT" => "unaligned checkpoint",
        "SAVEPOINT" | "SYNC_SAVEPOINT" => "savepoint",
        "FULL_CHECKPOINT" => "full checkpoint",
        other => other,
    };
    format!("<span title=\"{}\">{words}</span>", escape(checkpoint_type))
}

fn size(b: u64) -> String {
    bytes(b as f64)
}

fn status(c: &CheckpointStatistics) -> String {
    match &c.failure_message {
        Some(reason) => format!("<span class=\"bad\">{}</span> {}", c.status, escape(reason)),
        None => c.status.clone(),
    }
}

/// The history table, then the phases of each checkpoint's slowest subtask, then the
/// operators and subtasks of the latest checkpoints.
pub fn render(h: &mut String, record: &RunRecord, export: &FlinkExport) {
    let views = checkpoint_views(&record.summary);
    if views.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Checkpoints</h2><p class=\"sub\">As Flink's Checkpoints tab shows them; times are since the run \
         started, sizes as Flink counts them (the full and checkpointed sizes include the persisted in-flight \
         data).</p><div class=\"scroll\"><table class=\"wide\"><tr><th>id</th><th>status</th><th>type</th>\
         <th>acknowledged</th><th>triggered</th><th>latest ack</th><th>end to end</th>\
         <th>checkpointed</th><th>full size</th><th>processed</th><th>persisted</th></tr>",
    );
    let row = |c: &CheckpointStatistics, h: &mut String| {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            c.id,
            status(c),
            kind(&c.checkpoint_type),
            c.num_acknowledged_subtasks,
            c.num_subtasks,
            at(c.trigger_timestamp),
            at(c.latest_ack_timestamp),
            millis(c.end_to_end_duration),
            size(c.checkpointed_size),
            size(c.state_size),
            size(c.processed_data),
            size(c.persisted_data),
        );
    };
    for line in elided(&export.details, HISTORY_EDGE) {
        match line {
            Shown::Row(c) => row(c, h),
            Shown::Gap(n) => left_out(h, n, 11),
        }
    }
    h.push_str("</table></div>\n");
    phases_table(h, record, &views);
    details(h, export, &views);
}

/// Where each checkpoint's time went, for its slowest subtask.
fn phases_table(h: &mut String, record: &RunRecord, views: &[CheckpointView]) {
    let names = subtask_names(&record.summary);
    h.push_str(
        "<h3>Where the time went</h3><div class=\"scroll\"><table class=\"wide\"><tr><th>id</th><th>end to end</th>\
         <th>slowest subtask</th><th>start delay</th><th>alignment</th><th>snapshot wait</th><th>sync</th>\
         <th>async</th><th>ack transit</th><th>finalize</th></tr>",
    );
    for line in elided(views, HISTORY_EDGE) {
        let v = match line {
            Shown::Row(v) => v,
            Shown::Gap(n) => {
                left_out(h, n, 10);
                continue;
            }
        };
        let p = v.slowest_phases();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            v.checkpoint.id,
            v.checkpoint.end_to_end_duration.map_or("–".into(), duration),
            v.slowest().map_or("–".into(), |b| escape(&subtask_name(&names, b))),
        );
        for phase in p {
            let _ = write!(h, "<td>{}</td>", duration(phase));
        }
        h.push_str("</tr>");
    }
    h.push_str(
        "</table></div><p class=\"sub\">The phases of the subtask that acknowledged last: they add up to its end \
         to end duration; then the coordinator's finalize.</p>\n",
    );
}

/// Per checkpoint, its operators, and per operator its subtasks.
fn details(h: &mut String, export: &FlinkExport, views: &[CheckpointView]) {
    let worst = worst_checkpoint(views).map(|v| v.checkpoint.id);
    let latest: Vec<u64> = views.iter().rev().take(DETAILED).map(|v| v.checkpoint.id).collect();
    let shown: Vec<&CheckpointStatistics> = export
        .details
        .iter()
        .rev()
        .filter(|c| latest.contains(&c.id) || Some(c.id) == worst)
        .collect();
    let _ = writeln!(
        h,
        "<h3>Checkpoint details</h3><p class=\"sub\">Per operator, then per subtask{}; every checkpoint's are \
         in <a href=\"checkpoints-details.json\">checkpoints-details.json</a>.</p>",
        if shown.len() < export.details.len() {
            format!(", for the latest {DETAILED} checkpoints and the slowest")
        } else {
            String::new()
        }
    );
    for c in shown {
        let _ = write!(
            h,
            "<details class=\"checkpoint\"{}><summary>Checkpoint {} · {} · {} · {}/{} acknowledged · triggered at {} · {} end to end</summary>\
             <table class=\"wide\"><tr><th>operator</th><th>acknowledged</th><th>latest acknowledgement</th><th>end to end</th>\
             <th>checkpointed size</th><th>full size</th><th>processed</th><th>persisted</th></tr>",
            // The slowest checkpoint's details are open.
            if Some(c.id) == worst { " open" } else { "" },
            c.id,
            status(c),
            kind(&c.checkpoint_type),
            c.num_acknowledged_subtasks,
            c.num_subtasks,
            at(c.trigger_timestamp),
            millis(c.end_to_end_duration)
        );
        let tasks: Vec<(&str, &TaskDetails)> = export
            .vertices
            .iter()
            .filter_map(|(vertex, name)| {
                let task = export
                    .task_details
                    .iter()
                    .find(|(id, v, _)| *id == c.id && v == vertex)?;
                Some((name.as_str(), &task.2))
            })
            .collect();
        for (name, t) in &tasks {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(name),
                t.num_acknowledged_subtasks,
                t.num_subtasks,
                at(t.latest_ack_timestamp),
                millis(t.end_to_end_duration),
                size(t.checkpointed_size),
                size(t.state_size),
                size(t.processed_data),
                size(t.persisted_data),
            );
        }
        h.push_str("</table>");
        for (name, t) in &tasks {
            subtasks(h, name, t, Some(c.id) == worst);
        }
        h.push_str("</details>\n");
    }
}

fn subtasks(h: &mut String, operator: &str, t: &TaskDetails, open: bool) {
    let _ = write!(
        h,
        "<details class=\"operator\"{}><summary>{}: {}/{} subtasks acknowledged</summary><table class=\"wide\"><tr><th>subtask</th>\
         <th>acknowledged at</th><th>end to end</th><th>checkpointed size</th><th>full size</th><th>sync</th>\
         <th>async</th><th>processed</th><th>persisted</th><th>alignment</th><th>start delay</th>\
         <th>unaligned</th></tr>",
        if open { " open" } else { "" },
        escape(operator),
        t.num_acknowledged_subtasks,
        t.num_subtasks
    );
    for s in &t.subtasks {
        match (&s.checkpoint, &s.alignment) {
            (Some(phases), Some(alignment)) => {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                     <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    s.index,
                    s.ack_timestamp.map_or("–".into(), at),
                    s.end_to_end_duration.map_or("–".into(), millis),
                    s.checkpointed_size.map_or("–".into(), size),
                    s.state_size.map_or("–".into(), size),
                    millis(phases.sync),
                    millis(phases.async_),
                    size(alignment.processed),
                    size(alignment.persisted),
                    millis(alignment.duration),
                    s.start_delay.map_or("–".into(), millis),
                    if s.unaligned_checkpoint == Some(true) {
                        "yes"
                    } else {
                        "no"
                    },
                );
            }
            _ => {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td colspan=\"11\">not acknowledged ({})</td></tr>",
                    s.index,
                    escape(&s.status)
                );
            }
        }
    }
    h.push_str("</table></details>");
}
