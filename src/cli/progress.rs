//! A progress bar for long runs: shown only on a terminal, and only once a run has
//! taken more than a second of wall time, so short runs print nothing extra.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct RunProgress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    enabled: bool,
}

impl RunProgress {
    /// A bar over `total_ms` of virtual time.
    pub fn new(total_ms: u64) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} simulating [{bar:24}] {pos}/{len} ms virtual, eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        Self {
            bar,
            started: Instant::now(),
            shown: false,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    pub fn update(&mut self, virtual_ms: u64) {
        if !self.enabled {
            return;
        }
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar
            .set_position(virtual_ms.min(self.bar.length().unwrap_or(u64::MAX)));
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
