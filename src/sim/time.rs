//! Virtual time: integer nanoseconds since the start of a run.
//!
//! Floating point never decides order in a run, so every duration and instant is a
//! `u64` count of nanoseconds. Helpers here format them for people.

/// An instant or a duration of virtual time, in nanoseconds.
pub type Nanos = u64;

pub const MICROSECOND: Nanos = 1_000;
pub const MILLISECOND: Nanos = 1_000_000;
pub const SECOND: Nanos = 1_000_000_000;
pub const MINUTE: Nanos = 60 * SECOND;

/// Formats a duration with the largest unit that keeps it readable: `1.250s`, `12.0ms`, `800us`.
pub fn format_duration(ns: Nanos) -> String {
    if ns >= SECOND {
        format!("{:.3}s", ns as f64 / SECOND as f64)
    } else if ns >= MILLISECOND {
        format!("{:.1}ms", ns as f64 / MILLISECOND as f64)
    } else if ns >= MICROSECOND {
        format!("{:.1}us", ns as f64 / MICROSECOND as f64)
    } else {
        format!("{ns}ns")
    }
}

/// Seconds as a float, for rates and human output only (never for ordering).
pub fn as_secs_f64(ns: Nanos) -> f64 {
    ns as f64 / SECOND as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_unit() {
        assert_eq!(format_duration(1_250_000_000), "1.250s");
        assert_eq!(format_duration(12 * MILLISECOND), "12.0ms");
        assert_eq!(format_duration(800 * MICROSECOND), "800.0us");
        assert_eq!(format_duration(7), "7ns");
    }
}
