//! Numbers in words a reader scans: milliseconds, bytes with a binary prefix.

use crate::sim::Nanos;

pub fn ms(ns: Nanos) -> f64 {
    ns as f64 / 1e6
}

/// A duration with a unit that keeps two or three significant digits.
pub fn duration(ns: Nanos) -> String {
    let ms = ms(ns);
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1e3)
    } else if ms >= 1_000.0 {
        format!("{:.2} s", ms / 1e3)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

pub fn bytes(b: f64) -> String {
    const KIB: f64 = 1024.0;
    match b {
        b if b >= KIB * KIB * KIB => format!("{:.1} GiB", b / (KIB * KIB * KIB)),
        b if b >= KIB * KIB => format!("{:.1} MiB", b / (KIB * KIB)),
        b if b >= KIB => format!("{:.1} KiB", b / KIB),
        b => format!("{b:.0} B"),
    }
}

/// A byte scale for an axis whose largest value is `max`: (divisor, unit).
pub fn byte_scale(max: f64) -> (f64, &'static str) {
    const KIB: f64 = 1024.0;
    if max >= KIB * KIB * KIB {
        (KIB * KIB * KIB, "GiB")
    } else if max >= KIB * KIB {
        (KIB * KIB, "MiB")
    } else if max >= KIB {
        (KIB, "KiB")
    } else {
        (1.0, "B")
    }
}

pub fn rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2} M records/s", per_s / 1e6)
    } else if per_s >= 1e4 {
        format!("{:.1} k records/s", per_s / 1e3)
    } else {
        format!("{per_s:.0} records/s")
    }
}

/// Nearest-rank percentile of `values` (sorted in place); `None` when empty.
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(duration(41_000_000), "41 ms");
        assert_eq!(duration(1_500_000_000), "1.50 s");
        assert_eq!(duration(200_000), "0.2 ms");
        assert_eq!(bytes(5.0 * 1024.0), "5.0 KiB");
        assert_eq!(bytes(800.0), "800 B");
        assert_eq!(percentile(&mut [3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
