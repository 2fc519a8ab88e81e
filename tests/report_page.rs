//! The report as a Flink user reads it: the diagnosis blames the subtask it names,
//! advice never suggests a setting the scenario already has, every legend entry is
//! a series drawn with that very mark, no label runs off its plot, and the page
//! shows what Flink's Checkpoints tab shows (type, acknowledged subtasks, trigger and
//! latest acknowledgement, per operator and per subtask) and the record latency.

use ckptsim::report::analysis::diagnose;
use ckptsim::report::{RunRecord, render_run};
use std::collections::BTreeMap;
use std::path::Path;

fn record_of(scenario: &str) -> RunRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{scenario}.yaml"));
    RunRecord::new(&ckptsim::run::run(ckptsim::scenario::load_file(&path).unwrap()).unwrap())
}

fn files(record: &RunRecord) -> BTreeMap<String, String> {
    render_run(record)
        .unwrap()
        .into_iter()
        .map(|(p, c)| (p.to_string_lossy().into_owned(), String::from_utf8(c).unwrap()))
        .collect()
}

/// The scenarios whose reports a Flink user was seen reading.
const SCENARIOS: [&str; 4] = ["quickstart", "backpressure", "backpressure-unaligned", "faults"];

#[test]
fn the_diagnosis_blames_the_subtask_it_names_as_the_straggler() {
    let record = record_of("backpressure");
    let d = diagnose(&record);
    let straggler = d.straggler.as_ref().expect("a straggler").name.clone();
    let bottleneck = d
        .backpressure
        .as_ref()
        .and_then(|b| b.bottleneck.as_ref())
        .expect("a bottleneck");
    // aggregate#1 is the slow subtask: the barrier waits at its input, and the sink
    // after it acknowledges last only because its barrier waits behind it.
    assert_eq!(straggler, "aggregate#1");
    assert_eq!(bottleneck.0, straggler);
    let md = &files(&record)["summary.md"];
    assert!(md.contains("The straggler is **aggregate#1**"), "{md}");
    assert!(md.contains("Relieve the bottleneck `aggregate#1`"), "{md}");
}

/// The counts Flink shows (triggered, completed, failed) add up with what the diagnosis
/// says failed: a trigger that failed before any subtask took part is counted as
/// failed but is not in the history, and the diagnosis says so.
#[test]
fn the_failures_the_diagnosis_names_add_up_to_the_failed_count() {
    let record = record_of("quickstart");
    let counts = record.summary.checkpoints.as_ref().unwrap();
    let d = diagnose(&record);
    assert_eq!(d.failed as u64 + d.failed_before_start, counts.failed);
    assert!(
        d.failed_before_start > 0,
        "the first trigger meets tasks still deploying"
    );
    let md = &files(&record)["summary.md"];
    assert!(
        md.contains(&format!(
            "{} more trigger(s) failed before any subtask took part",
            d.failed_before_start
        )),
        "{md}"
    );
}

#[test]
fn no_advice_suggests_a_setting_the_scenario_already_has() {
    // backpressure.yaml sets an aligned-checkpoint timeout; backpressure-unaligned.yaml does not.
    let suggests_timeout = |advice: &[String]| {
        advice.iter().any(|a| {
            a.contains("execution.checkpointing.aligned-checkpoint-timeout")
                || a.contains("an aligned-checkpoint timeout")
        })
    };
    assert!(!suggests_timeout(&diagnose(&record_of("backpressure")).advice));
    assert!(suggests_timeout(&diagnose(&record_of("backpressure-unaligned")).advice));
    // min-pause.yaml sets min-pause: the advice may say to raise it, not to set it.
    let advice = diagnose(&record_of("min-pause")).advice;
    assert!(
        advice
            .iter()
            .all(|a| !a.contains("or set `execution.checkpointing.min-pause`")),
        "{advice:#?}"
    );
    assert!(
        advice
            .iter()
            .any(|a| a.contains("raise `execution.checkpointing.min-pause` (now 400 ms)")),
        "{advice:#?}"
    );
}

/// One element of a drawing, as the report's SVG writes them: one per line.
struct Element {
    tag: String,
    attributes: BTreeMap<String, String>,
    text: String,
}

fn elements(svg: &str) -> Vec<(bool, Element)> {
    let mut in_legend = false;
    let mut out = Vec::new();
    for line in svg.lines() {
        let line = line.trim();
        if line.starts_with("<g class=\"legend\"") {
            in_legend = true;
            continue;
        }
        if line == "</g>" {
            in_legend = false;
            continue;
        }
        let Some(rest) = line.strip_prefix('<') else { continue };
        let tag: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let mut attributes = BTreeMap::new();
        let mut rest = &rest[tag.len()..];
        while let Some(eq) = rest.find("=\"") {
            let name = rest[..eq].trim().to_string();
            let value_end = rest[eq + 2..].find('"').unwrap();
            attributes.insert(name, rest[eq + 2..eq + 2 + value_end].to_string());
            rest = &rest[eq + 2 + value_end + 1..];
            if rest.trim_start().starts_with('>') || rest.trim_start().starts_with("/>") {
                break;
            }
        }
        let text = line
            .split_once('>')
            .and_then(|(_, t)| t.strip_suffix(&format!("</{tag}>")))
            .unwrap_or_default()
            .to_string();
        out.push((in_legend, Element { tag, attributes, text }));
    }
    out
}

/// A legend swatch, or a drawn mark, as (kind, colour, opacity).
fn mark(e: &Element) -> Option<(&'static str, String, String)> {
    let a = |k: &str| e.attributes.get(k).cloned().unwrap_or_default();
    let opacity = e.attributes.get("opacity").cloned().unwrap_or_else(|| "1".into());
    match e.tag.as_str() {
        "rect" | "polygon" if a("fill") != "none" => Some(("box", a("fill"), opacity)),
        "polyline" => Some(("line", a("stroke"), opacity)),
        "line" => Some(("cross", a("stroke"), opacity)),
        "circle" if a("fill") != "none" => Some(("dot", a("fill"), opacity)),
        "circle" => Some(("ring", a("stroke"), opacity)),
        _ => None,
    }
}

/// Every plot of the four scenarios' reports and of a sweep.
fn all_plots() -> Vec<(String, String)> {
    let mut plots = Vec::new();
    for scenario in SCENARIOS {
        for (name, text) in files(&record_of(scenario)) {
            if name.ends_with(".svg") {
                plots.push((format!("{scenario}/{name}"), text));
            }
        }
    }
    let out = std::env::temp_dir().join(format!("ckptsim-page-sweep-{}", std::process::id()));
    let sweep = std::process::Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args([
            "sweep",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml"),
        ])
        .args(["--set", "execution.checkpointing.interval=200ms,400ms"])
        .args([
            "--set",
            "execution.checkpointing.unaligned.enabled=true,false",
            "--jobs",
            "1",
            "--objective",
            "min:records_replayed_per_failure",
            "--constraint",
            "checkpoint_overhead_pct<=1%",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(sweep.status.success(), "{}", String::from_utf8_lossy(&sweep.stderr));
    for entry in std::fs::read_dir(&out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".svg") {
            plots.push((format!("sweep/{name}"), std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    let _ = std::fs::remove_dir_all(out);
    plots
}

#[test]
fn every_legend_entry_is_a_series_drawn_with_its_mark_and_no_label_runs_off_the_plot() {
    for (plot, svg) in all_plots() {
        let elements = elements(&svg);
        let drawn: Vec<_> = elements
            .iter()
            .filter(|(l, _)| !l)
            .filter_map(|(_, e)| mark(e))
            .collect();
        // The legend's swatches, in order; a cross is two lines.
        let mut swatches: Vec<(&'static str, String, String)> = Vec::new();
        for (_, e) in elements.iter().filter(|(l, _)| *l) {
            if let Some(m) = mark(e)
                && swatches.last() != Some(&m)
            {
                swatches.push(m);
            }
        }
        // Every plot that draws series has a legend (the heatmap has its colour
        // scale, a plot with nothing to show a sentence instead).
        let has_series = elements.iter().any(|(l, e)| {
            let coloured_box = e.tag == "rect" && e.attributes.get("fill").is_some_and(|f| f != "#FFFFFF");
            let thick_line = e.attributes.get("stroke-width").is_some_and(|w| w != "1");
            !l && (coloured_box || thick_line || e.tag == "circle" || e.tag == "polygon")
        });
        if !plot.ends_with("alignment-heatmap.svg") && has_series {
            assert!(!swatches.is_empty(), "{plot}: no legend");
        }
        for swatch in &swatches {
            assert!(
                drawn.contains(swatch),
                "{plot}: the legend shows {swatch:?}, which nothing in the plot is drawn with"
            );
        }
        let mut distinct = swatches.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            swatches.len(),
            "{plot}: two legend entries look the same: {swatches:?}"
        );

        let (width, height) = {
            let root = &elements.iter().find(|(_, e)| e.tag == "svg").unwrap().1;
            let n = |k: &str| root.attributes[k].parse::<f64>().unwrap();
            (n("width"), n("height"))
        };
        for (_, e) in elements.iter().filter(|(_, e)| e.tag == "text" && !e.text.is_empty()) {
            let n = |k: &str| e.attributes[k].parse::<f64>().unwrap();
            let (x, y, size) = (n("x"), n("y"), n("font-size"));
            let long = ckptsim::report::plots::style::text_width(&e.text, size);
            let (from, to) = match e.attributes["text-anchor"].as_str() {
                "start" => (0.0, long),
                "end" => (-long, 0.0),
                _ => (-long / 2.0, long / 2.0),
            };
            let rotated = e
                .attributes
                .get("transform")
                .is_some_and(|t| t.starts_with("rotate(270"));
            let (low, high, limit, at) = if rotated {
                (y - to, y - from, height, "vertically")
            } else {
                (x + from, x + to, width, "horizontally")
            };
            assert!(
                low >= 0.0 && high <= limit,
                "{plot}: \"{}\" runs off the plot {at} ({low:.0}..{high:.0} of 0..{limit})",
                e.text
            );
        }
    }
}

#[test]
fn the_state_size_is_drawn_apart_from_the_checkpointed_size() {
    // Full checkpoints upload their whole state: the two sizes are equal, and the
    // state size must still show.
    let record = record_of("quickstart");
    let svg = &files(&record)["checkpoints-over-time.svg"];
    let elements = elements(svg);
    let legend_box = elements
        .iter()
        .filter(|(l, _)| *l)
        .filter_map(|(_, e)| mark(e))
        .find(|m| m.0 == "box")
        .expect("the state size as a box in the legend");
    let bars = elements
        .iter()
        .filter(|(l, e)| !l && mark(e).as_ref() == Some(&legend_box))
        .count();
    let completed = record.summary.checkpoints.as_ref().unwrap().completed as usize;
    assert_eq!(bars, completed, "one state-size bar per completed checkpoint");
}

#[test]
fn the_page_shows_what_flinks_checkpoints_tab_shows() {
    let record = record_of("backpressure-unaligned");
    let page = &files(&record)["index.html"];
    assert!(page.contains("<td>record latency</td><td>p50 "), "no record latency");
    let report = record.summary.checkpoints.as_ref().unwrap();
    let last = report.checkpoints.last().unwrap();
    let subtasks = record.summary.subtasks.len();
    // History: id, status, type, acknowledged x/y, trigger and latest acknowledgement.
    let row = format!(
        "<tr><td>{}</td><td>COMPLETED</td><td><span title=\"UNALIGNED_CHECKPOINT\">unaligned checkpoint</span></td>\
         <td>{subtasks}/{subtasks}</td><td>{:.3} s</td>",
        last.id,
        (last.trigger_timestamp / 1_000_000) as f64 / 1e3
    );
    assert!(page.contains(&row), "no history row {row}");
    // Per operator, then per subtask.
    // The type in Flink's web UI's words, and when the checkpoint was triggered.
    let details = format!(
        "<summary>Checkpoint {} · COMPLETED · <span title=\"UNALIGNED_CHECKPOINT\">unaligned checkpoint</span> · \
         {subtasks}/{subtasks} acknowledged · triggered at {:.3} s · ",
        last.id,
        (last.trigger_timestamp / 1_000_000) as f64 / 1e3
    );
    let at = page.find(&details).expect("the last checkpoint's details");
    let end = at + page[at..].find("</details>\n").unwrap();
    let section = &page[at..end];
    for op in &record.summary.operators {
        let p = op.parallelism;
        assert!(
            section.contains(&format!("<tr><td>{}</td><td>{p}/{p}</td>", op.name)),
            "operator {}",
            op.name
        );
        assert!(section.contains(&format!(
            "<summary>{}: {p}/{p} subtasks acknowledged</summary>",
            op.name
        )));
    }
    // A subtask that had finished before the trigger is acknowledged at the trigger
    // with an empty, aligned snapshot, as Flink's `reportFinishedTasks` has it.
    assert_eq!(
        section.matches("<td>yes</td></tr>").count(),
        subtasks - last.finished_subtasks.len(),
        "each running subtask unaligned"
    );
    for column in [
        "acknowledged at",
        "sync",
        "async",
        "alignment",
        "start delay",
        "persisted",
        "unaligned",
    ] {
        assert!(
            section.contains(&format!("<th>{column}</th>")),
            "no per-subtask {column}"
        );
    }
    // An aligned checkpoint and a savepoint, in Flink's words.
    let page = &files(&record_of("stop-with-savepoint"))["index.html"];
    assert!(
        page.contains("<span title=\"SAVEPOINT\">savepoint</span>"),
        "no savepoint"
    );
    assert!(
        page.contains("<span title=\"CHECKPOINT\">aligned checkpoint</span>"),
        "no aligned checkpoint"
    );
}

#[test]
fn the_page_plots_record_latency_over_time() {
    let record = record_of("faults");
    let s = &record.summary;
    // Each sample holds the latencies of the records that reached a sink since the
    // one before: together they are every record the run's histogram counted, and no
    // period's maximum exceeds the run's.
    let counted: u64 = s.samples.iter().map(|p| p.latency.records).sum();
    assert_eq!(counted, s.latency.records);
    assert_eq!(s.samples.iter().map(|p| p.latency.max_ns).max(), Some(s.latency.max_ns));
    assert!(
        s.samples
            .iter()
            .all(|p| p.latency.p50_ns <= p.latency.p99_ns && p.latency.p99_ns <= p.latency.max_ns)
    );
    let files = files(&record);
    let page = &files["index.html"];
    let at = page
        .find("<figure id=\"record-latency\"")
        .expect("a record latency figure");
    let figure = &page[at..at + page[at..].find("</figure>").unwrap()];
    for series in ["p50", "p99", "max"] {
        assert!(
            figure.contains(&format!(">{series}</text>")),
            "no {series} in the legend"
        );
    }
    assert!(figure.contains("latency (ms)"), "the axis names its unit");
    // One line per series at least (more where periods without arrivals break them).
    let svg = &files["record-latency.svg"];
    assert!(svg.matches("<polyline").count() >= 3);
}

#[test]
fn a_page_with_thousands_of_checkpoints_shows_both_ends_and_says_what_it_left_out() {
    // The quickstart job checkpointing every 10 ms for a minute: over a thousand checkpoints.
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml"))
        .unwrap()
        .replace("duration: 2s", "duration: 60s")
        .replace("interval: 500ms", "interval: 10ms");
    let path = std::env::temp_dir().join(format!("ckptsim-many-checkpoints-{}.yaml", std::process::id()));
    std::fs::write(&path, yaml).unwrap();
    let record = RunRecord::new(&ckptsim::run::run(ckptsim::scenario::load_file(&path).unwrap()).unwrap());
    let _ = std::fs::remove_file(&path);
    let checkpoints = &record.summary.checkpoints.as_ref().unwrap().checkpoints;
    assert!(checkpoints.len() > 1000, "{} checkpoints", checkpoints.len());
    let files = files(&record);
    let page = &files["index.html"];
    // The phase bars of the latest checkpoints only, and the title says so.
    let completed = record.summary.checkpoints.as_ref().unwrap().completed;
    let phases = &files["phases.svg"];
    assert!(
        phases.contains(&format!("latest 150 of {completed}")),
        "the phase plot's title"
    );
    assert!(phases.len() < 300_000, "a phase plot of {} bytes", phases.len());
    let edge = ckptsim::report::checkpoint_tab::HISTORY_EDGE;
    let left_out = format!("… {} more checkpoints: every one is in", checkpoints.len() - 2 * edge);
    // Once in the history, once in the phases table.
    assert_eq!(
        page.matches(&left_out).count(),
        2,
        "no note of the checkpoints left out"
    );
    let history_row = |id: u64| format!("<tr><td>{id}</td><td>COMPLETED</td>");
    assert!(page.contains(&history_row(checkpoints[0].id)), "the first checkpoint");
    assert!(
        page.contains(&history_row(checkpoints[checkpoints.len() - 2].id)),
        "the latest"
    );
    assert!(
        !page.contains(&history_row(checkpoints[checkpoints.len() / 2].id)),
        "the middle is left out"
    );
    assert!(page.len() < 4_000_000, "a page of {} bytes", page.len());
}

#[test]
fn the_bottleneck_blamed_is_the_straggler_named_when_the_straggler_can_be_one() {
    // backpressure-aligned.yaml's straggler, aggregate#1, is busy nearly all the time;
    // another subtask made busier still must not take the blame from it.
    let mut record = record_of("backpressure-aligned");
    let d = diagnose(&record);
    assert_eq!(d.straggler.as_ref().unwrap().name, "aggregate#1");
    let straggler = record
        .summary
        .subtasks
        .iter()
        .find(|t| t.operator == "aggregate" && t.subtask == 1)
        .unwrap()
        .metrics
        .busy_ns;
    let other = record
        .summary
        .subtasks
        .iter_mut()
        .find(|t| t.operator == "aggregate" && t.subtask == 3)
        .unwrap();
    other.metrics.busy_ns = straggler + straggler / 100;
    other.metrics.backpressured_ns = 0;
    let d = diagnose(&record);
    let straggler = d.straggler.as_ref().expect("a straggler").name.clone();
    let blamed = &d
        .backpressure
        .as_ref()
        .unwrap()
        .bottleneck
        .as_ref()
        .expect("a bottleneck")
        .0;
    assert_eq!(blamed, &straggler);
    let md = &files(&record)["summary.md"];
    assert!(md.contains(&format!("it comes from `{straggler}`")), "{md}");
    assert!(md.contains(&format!("Relieve the bottleneck `{straggler}`")), "{md}");
}
