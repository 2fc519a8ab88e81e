//! The report as a person sees it: `index.html` opened in headless Chromium loads
//! without console errors, shows every plot with content, lays out no text outside
//! its plot and no legend colour that nothing is drawn in, and leaves a screenshot.
//!
//! Skipped (with a message) when Chromium is missing; CKPTSIM_REQUIRE_BROWSER=1 (as
//! .ci/run sets it) turns the skip into a failure. CKPTSIM_CHROMIUM names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

const PLOTS: [&str; 6] = [
    "phases",
    "timeline",
    "checkpoints-over-time",
    "throughput-backpressure",
    "record-latency",
    "alignment-heatmap",
];

/// Measures, in the browser's own layout, every text of every plot on the page and
/// every legend swatch: a text whose box leaves its drawing (a clipped axis label,
/// title or legend entry), and a swatch whose colour no drawn mark of its plot has,
/// are listed in `<pre id="layout">`. Added to a copy of the page only: the report
/// itself has no script.
const MEASURE: &str = r#"<pre id="layout"></pre><script>
const out = [];
for (const svg of document.querySelectorAll("figure.plot svg")) {
  const plot = svg.closest("figure").id;
  const box = svg.getBoundingClientRect();
  const scale = (+svg.getAttribute("width")) / box.width;
  for (const t of svg.querySelectorAll("text")) {
    if (!t.textContent.trim()) continue;
    const b = t.getBoundingClientRect();
    const [x0, x1, y0, y1] = [b.left - box.left, b.right - box.left, b.top - box.top, b.bottom - box.top].map(v => v * scale);
    if (x0 < -0.5 || y0 < -0.5 || x1 > +svg.getAttribute("width") + 0.5 || y1 > +svg.getAttribute("height") + 0.5)
      out.push(`${plot}: "${t.textContent}" is clipped at ${[x0, x1, y0, y1].map(v => v.toFixed(0))}`);
  }
  const colour = e => (e.getAttribute("fill") !== "none" && e.getAttribute("fill")) || e.getAttribute("stroke");
  const drawn = new Set([...svg.querySelectorAll("rect, polygon, polyline, line, circle, path")]
    .filter(e => !e.closest("g.legend")).map(colour));
  for (const e of svg.querySelectorAll("g.legend rect, g.legend polyline, g.legend line"))
    if (!drawn.has(colour(e))) out.push(`${plot}: legend colour ${colour(e)} is drawn nowhere`);
}
document.getElementById("layout").textContent = out.length ? out.join("\n") : "all clear";
</script>"#;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CKPTSIM_CHROMIUM").unwrap_or_default(),
        "/usr/bin/chromium".into(),
        "/usr/bin/chromium-browser".into(),
    ];
    let found = candidates.iter().map(PathBuf::from).find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CKPTSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("CKPTSIM_REQUIRE_BROWSER=1 but no Chromium at /usr/bin/chromium (apt-get install chromium)");
        }
        eprintln!("skipped: no Chromium at /usr/bin/chromium; install Debian's `chromium` to run the browser test");
    }
    found
}

fn headless(browser: &Path) -> Command {
    let mut c = Command::new(browser);
    // Root in a container has no sandbox to offer; the page is our own file.
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
    ]);
    c
}

/// Console messages at error level, and failed loads, from Chromium's stderr log.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            (l.contains("CONSOLE") && (l.contains(":ERROR:") || l.contains("Uncaught") || l.contains("error")))
                || l.contains("Failed to load resource")
                || l.contains("net::ERR_")
        })
        .collect()
}

#[test]
fn console_errors_are_recognised() {
    let log = "[1:2:INFO:CONSOLE(3)] \"Uncaught ReferenceError: x is not defined\", source: file:///r/index.html (3)\n\
               [1:2:INFO:CONSOLE(9)] \"hello\", source: file:///r/index.html (9)\n\
               [1:2:ERROR:x.cc(1)] Failed to load resource: net::ERR_FILE_NOT_FOUND";
    assert_eq!(console_errors(log).len(), 2);
}

#[test]
fn the_report_opens_in_a_browser_with_every_plot() {
    let Some(browser) = chromium() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    let run = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args([
            "run",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/backpressure.yaml"),
            "--duration",
            "4s",
        ])
        .arg(format!("--report={}", dir.display()))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let page = format!("file://{}", dir.join("index.html").canonicalize().unwrap().display());

    let dom = headless(&browser)
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let html = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    let errors = console_errors(&log);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    for plot in PLOTS {
        let start = html
            .find(&format!("<figure id=\"{plot}\""))
            .unwrap_or_else(|| panic!("no figure {plot} in the page"));
        let end = start + html[start..].find("</figure>").expect("a closed figure");
        let figure = &html[start..end];
        assert!(figure.contains("<svg"), "{plot}: no svg");
        let shapes =
            figure.matches("<rect").count() + figure.matches("<polyline").count() + figure.matches("<path").count();
        let texts = figure.matches("<text").count();
        assert!(shapes >= 10, "{plot}: only {shapes} shapes");
        assert!(texts >= 5, "{plot}: only {texts} texts (title, axes, legend)");
    }

    // Laid out by the browser: no text leaves its plot, every legend colour is drawn.
    let measured = dir.join("measured.html");
    let page_html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    std::fs::write(&measured, page_html.replace("</body>", &format!("{MEASURE}</body>"))).unwrap();
    let layout = headless(&browser)
        .args(["--window-size=1100,3600", "--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("file://{}", measured.canonicalize().unwrap().display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&layout.stdout);
    let report = dom
        .split_once("<pre id=\"layout\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| text.to_string())
        .expect("the layout report");
    assert_eq!(report, "all clear", "laid out in Chromium:\n{report}");

    let shot = dir.join("screenshot.png");
    let screenshot = headless(&browser)
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1100,3600", "--virtual-time-budget=2000"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        screenshot.status.success(),
        "{}",
        String::from_utf8_lossy(&screenshot.stderr)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    eprintln!("screenshot: {}", shot.display());
}
