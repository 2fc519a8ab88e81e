//! A progress bar for long runs: shown only on a terminal, and only once a run has
//! taken more than a second of wall time, so short runs print nothing extra. Once the
//! input has ended, the bar counts toward the drain timeout instead: a job that does
//! not drain shows how far it is from being stopped.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct RunProgress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    enabled: bool,
    /// Where the run stops if the job has not drained, once the input has ended.
    drain_limit_ms: Option<u64>,
}

impl RunProgress {
    /// A bar over `total_ms` of virtual time, then over the drain up to `limit_ms`.
    pub fn new(total_ms: u64, limit_ms: u64) -> Self {
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
            drain_limit_ms: Some(limit_ms),
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
        let input_ms = self.bar.length().unwrap_or(u64::MAX);
        if virtual_ms > input_ms
            && let Some(limit_ms) = self.drain_limit_ms.take()
        {
            self.bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} draining   [{bar:24}] {pos}/{len} ms virtual, up to drain-timeout",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            self.bar.set_length(limit_ms);
        }
        self.bar
            .set_position(virtual_ms.min(self.bar.length().unwrap_or(u64::MAX)));
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
