//! Buffer debloating (FLIP-183), as Flink's `BufferDebloater`, `BufferSizeEMA` and
//! `ThroughputCalculator` compute it: every `buffer-debloat.period` an input gate
//! measures the throughput it consumed and sizes its buffers so that the buffers it
//! has in use hold `buffer-debloat.target` worth of data; the size is smoothed by an
//! exponential moving average over `buffer-debloat.samples` and announced to the
//! producers only when it moved by more than `buffer-debloat.threshold-percentages`.
//!
//! Pure arithmetic, without the simulator: the world feeds it bytes, time and
//! buffer counts and applies the sizes it announces.

use crate::sim::Nanos;

const NANOS_PER_MILLI: Nanos = 1_000_000;

/// Flink's `BufferSizeEMA`: the buffer size moves towards the desired one by a share
/// `alpha = 2 / (samples + 1)` of the gap, at most doubling per step.
#[derive(Clone, Debug, PartialEq)]
pub struct BufferSizeEma {
    max: u32,
    min: u32,
    alpha: f64,
    last: f64,
}

impl BufferSizeEma {
    pub fn new(starting: u32, max: u32, min: u32, samples: u32) -> Self {
        Self {
            max,
            min,
            alpha: 2.0 / (f64::from(samples) + 1.0),
            last: f64::from(starting),
        }
    }

    /// The next buffer size for `total_bytes` to be spread over `buffers` buffers
    /// (at least 1).
    pub fn calculate(&mut self, total_bytes: u64, buffers: u32) -> u32 {
        let buffers = buffers.max(1);
        // Limited to twice the current size, so that it grows as fast as it shrinks.
        let desirable = (total_bytes as f64 / f64::from(buffers)).min(2.0 * self.last);
        self.last += self.alpha * (desirable - self.last);
        self.last = self.last.min(f64::from(self.max)).max(f64::from(self.min));
        self.last.round() as u32
    }
}

/// Flink's `BufferDebloater` of one input gate.
#[derive(Clone, Debug, PartialEq)]
pub struct BufferDebloater {
    target_ms: u64,
    max: u32,
    min: u32,
    threshold_factor: f64,
    last_size: u32,
    ema: BufferSizeEma,
}

impl BufferDebloater {
    pub fn new(target_ms: u64, max: u32, min: u32, threshold_percentages: u32, samples: u32) -> Self {
        Self {
            target_ms,
            max,
            min,
            threshold_factor: f64::from(threshold_percentages) / 100.0,
            last_size: max,
            ema: BufferSizeEma::new(max, max, min, samples),
        }
    }

    /// The size to announce for a throughput in bytes per second and the buffers the
    /// gate has in use, or `None` when it moved less than the threshold.
    pub fn recalculate(&mut self, throughput: u64, buffers_in_use: u32) -> Option<u32> {
        let buffers = buffers_in_use.max(1);
        let desired_total = throughput.saturating_mul(self.target_ms) / 1000;
        let new_size = self.ema.calculate(desired_total, buffers);
        if self.skip_update(new_size) {
            return None;
        }
        self.last_size = new_size;
        Some(new_size)
    }

    fn skip_update(&self, new_size: u32) -> bool {
        if new_size == self.last_size {
            return true;
        }
        if new_size <= self.min || new_size >= self.max {
            return false;
        }
        let delta = (f64::from(self.last_size) * self.threshold_factor) as u32;
        new_size.abs_diff(self.last_size) < delta
    }

    pub fn last_size(&self) -> u32 {
        self.last_size
    }
}

/// Flink's `ThroughputCalculator`: bytes over the time the measurement ran, in whole
/// milliseconds; a period with no measured time keeps the last throughput.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThroughputCalculator {
    last: u64,
}

impl ThroughputCalculator {
    /// Bytes per second over `measured_ns` of measurement.
    pub fn calculate(&mut self, bytes: u64, measured_ns: Nanos) -> u64 {
        let millis = measured_ns / NANOS_PER_MILLI;
        if millis == 0 {
            return self.last;
        }
        self.last = (bytes as f64 / millis as f64 * 1000.0) as u64;
        self.last
    }
}
