//! The report as a person sees it: `index.html` opened in headless Chromium loads
//! without console errors, shows every plot with content, and leaves a screenshot.
//!
//! Skipped (with a message) when Chromium is missing; CKPTSIM_REQUIRE_BROWSER=1 (as
//! .ci/run sets it) turns the skip into a failure. CKPTSIM_CHROMIUM names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

const PLOTS: [&str; 5] = [
    "phases",
    "timeline",
    "checkpoints-over-time",
    "throughput-backpressure",
    "alignment-heatmap",
];

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
