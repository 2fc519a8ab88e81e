//! `index.html`: one self-contained page (inline CSS and SVG, no script, nothing
//! fetched), readable offline and attachable to a ticket.

use super::analysis::Diagnosis;
use super::flink_rest::FlinkExport;
use super::plots::Plot;
use super::record::RunRecord;
use super::summary_md::findings;
use super::units::{duration, escape, rate};
use std::fmt::Write;

pub const STYLE: &str = "
body{font-family:sans-serif;color:#333;max-width:1060px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin-bottom:4px}h2{font-size:1.25em;margin-top:32px;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
.kv td{text-align:left}
code{background:#f2f2f2;padding:0 3px;border-radius:3px}
figure{margin:18px 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.92em;margin-top:4px}
.bad{color:#c0392b;font-weight:bold}.good{color:#27803a}
.scroll{max-height:420px;overflow:auto}
table.wide{font-size:.84em}table.wide td{white-space:nowrap}details{margin:4px 0}details.operator{margin-left:24px}summary{cursor:pointer}
";

/// Inline markdown of the diagnosis (`code`, **bold**) as HTML.
pub fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len());
    let (mut code, mut bold) = (false, false);
    let mut rest = escaped.as_str();
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") {
            out.push_str(if bold { "</b>" } else { "<b>" });
            bold = !bold;
            rest = &rest[2..];
        } else if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

pub fn figure(out: &mut String, plot: &Plot) {
    let id = plot.file.trim_end_matches(".svg");
    let _ = writeln!(
        out,
        "<figure id=\"{id}\" class=\"plot\"><h3>{}</h3>{}<figcaption>{} <a href=\"{}\">{}</a></figcaption></figure>",
        escape(&plot.title),
        // The SVG's own XML declaration is not allowed inside HTML.
        plot.svg.trim_start_matches(|c| c != '<').trim_start(),
        escape(&plot.caption),
        escape(&plot.file),
        escape(&plot.file)
    );
}

/// The whole page: settings, verdict, diagnosis, plots, checkpoint tables, files.
pub fn render(record: &RunRecord, d: &Diagnosis, plots: &[Plot], export: &FlinkExport) -> String {
    let s = &record.summary;
    let f = &d.facts;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>ckptsim report: {name}</title><style>{STYLE}</style></head><body>\n\
         <h1>ckptsim report: {name}</h1><p class=\"sub\">{desc}</p>\n",
        name = escape(&f.name),
        desc = escape(&f.description),
    );
    let _ = writeln!(
        h,
        "<table class=\"kv\"><tr><td>seed</td><td>{}</td></tr><tr><td>input</td><td>{} at {} offered</td></tr>\
         <tr><td>throughput</td><td>{} read; {} records reached the sinks</td></tr>\
         <tr><td>record latency</td><td>p50 {}, p99 {}, max {} (event time to sink)</td></tr>\
         <tr><td>checkpointing</td><td>{}</td></tr>{}<tr><td>exactly-once</td>{}</tr>\
         <tr><td>trace digest</td><td><code>{}</code></td></tr></table>",
        s.seed,
        duration(s.input_duration_ns),
        rate(s.offered_rate_per_s),
        rate(s.input_rate_per_s),
        s.sink_records,
        duration(s.latency.p50_ns),
        duration(s.latency.p99_ns),
        duration(s.latency.max_ns),
        escape(&match f.interval_ns {
            Some(i) => format!("every {}, {}, {}", duration(i), f.mode(), f.backend),
            None => "off".into(),
        }),
        [
            (
                "buffer debloating",
                s.debloat.as_ref().and_then(super::analysis::debloat_line)
            ),
            (
                "task-local recovery",
                super::analysis::local_recovery_line(&s.recoveries)
            ),
            ("changelog", s.changelog.as_ref().map(super::analysis::changelog_line)),
            (
                "file merging",
                s.checkpoints
                    .as_ref()
                    .and_then(|c| super::analysis::file_merging_line(&c.storage)),
            ),
        ]
        .into_iter()
        .filter_map(|(what, line)| line.map(|l| format!("<tr><td>{what}</td><td>{}</td></tr>", escape(&l))))
        .collect::<String>(),
        if record.held() {
            "<td class=\"good\">held</td>"
        } else {
            "<td class=\"bad\">VIOLATED</td>"
        },
        escape(&s.trace_digest)
    );

    h.push_str("<h2>Diagnosis</h2><ul>");
    for line in findings(d) {
        let _ = write!(h, "<li>{}</li>", inline(&line));
    }
    h.push_str("</ul><h2>What to try</h2><ol>");
    for a in &d.advice {
        let _ = write!(h, "<li>{}</li>", inline(a));
    }
    h.push_str("</ol>\n<h2>Plots</h2>\n");
    for p in plots {
        figure(&mut h, p);
    }
    super::checkpoint_tab::render(&mut h, record, export);
    h.push_str(
        "<h2>Files</h2><ul><li><a href=\"summary.md\">summary.md</a>: key numbers and diagnosis</li>\
         <li><a href=\"checkpoints.json\">checkpoints.json</a>: Flink REST <code>/jobs/:jobid/checkpoints</code>; \
         <a href=\"checkpoints-details.json\">checkpoints-details.json</a>: per checkpoint, the \
         <code>details/:id</code> answer and per vertex the <code>details/:id/subtasks/:vertexid</code> answer; \
         <a href=\"checkpoints-config.json\">checkpoints-config.json</a>: <code>checkpoints/config</code></li>\
         <li><a href=\"metrics.prom\">metrics.prom</a>: Prometheus text format with Flink's metric names</li>\
         <li><a href=\"checkpoints.csv\">checkpoints.csv</a>, <a href=\"subtasks.csv\">subtasks.csv</a></li>\
         <li><a href=\"run.json\">run.json</a>: <code>ckptsim report run.json</code> draws this page again</li></ul>\n",
    );
    let _ = writeln!(h, "<p class=\"sub\">{}</p></body></html>", escape(&record.generator));
    h
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn inline_markdown_becomes_html() {
        assert_eq!(inline("**a** uses `x<y`"), "<b>a</b> uses <code>x&lt;y</code>");
    }
}
