//! Values with units, written as Flink writes them: durations (`250ms`, `10s`, `1min`),
//! memory sizes (`32kb`, where k means 1024 as in Flink's `MemorySize`) and
//! bandwidths (`125mb/s`).

use crate::sim::Nanos;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A duration in virtual nanoseconds. A plain number means milliseconds, as in Flink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub Nanos);

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Bytes(pub u64);

/// A bandwidth in bytes per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct BytesPerSecond(pub u64);

/// Parses `250ms`, `10 s`, `1min`, `100us`, `5ns`, `2h`; a bare number is milliseconds.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let (number, unit) = split_number(text)?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "us" | "µs" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "min" | "m" | "minute" | "minutes" => 60_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        _ => {
            return Err(format!(
                "invalid duration `{text}`: unknown unit `{unit}` (use ns, us, ms, s, min, h or d)"
            ));
        }
    };
    match scale_number(number, scale) {
        Some(ns) if ns <= MAX_DURATION => Ok(ns),
        _ => Err(format!(
            "duration `{text}` is too long: at most 30 days of virtual time"
        )),
    }
}

/// The longest duration a scenario may name: 30 days, far below where sums of
/// nanosecond timestamps could overflow.
pub const MAX_DURATION: Nanos = 30 * 86_400_000_000_000;

/// Parses `32kb`, `1 mb`, `4g`, `100b`; a bare number is bytes. k = 1024, as in Flink.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text)?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kib" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mib" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gib" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tib" | "tebibytes" => 1 << 40,
        _ => {
            return Err(format!(
                "invalid size `{text}`: unknown unit `{unit}` (use b, kb, mb, gb or tb)"
            ));
        }
    };
    scale_number(number, scale).ok_or_else(|| format!("size `{text}` is too large"))
}

/// Parses a size per second: `125mb/s`, `1gb/s`, or a size alone meaning per second.
pub fn parse_bandwidth(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let size = trimmed
        .strip_suffix("/s")
        .or_else(|| trimmed.strip_suffix("ps"))
        .unwrap_or(trimmed);
    parse_bytes(size).map_err(|e| e.replace("size", "bandwidth"))
}

fn split_number(text: &str) -> Result<(&str, &str), String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if trimmed.starts_with('-') {
        return Err(format!("must not be negative, got `{text}`"));
    }
    // Reject `.`, `_` and `1.2.3` here: scale_number would read them as 0 or as an
    // overflow, and report them as such.
    if !number.contains(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "invalid value `{text}`: expected a number with a unit, like 250ms or 32kb"
        ));
    }
    if number.matches('.').count() > 1 {
        return Err(format!("invalid value `{text}`: `{number}` is not a number"));
    }
    Ok((number, unit.trim()))
}

/// A YAML float as text for the unit parsers. Rust prints floats without an exponent,
/// so a huge one would become hundreds of digits in the error message.
pub(super) fn float_text(v: f64) -> Result<String, String> {
    if v < 0.0 || !v.is_finite() {
        return Err(format!("must be a non-negative number, got {v}"));
    }
    if v >= u64::MAX as f64 {
        return Err(format!("{v:e} is too large"));
    }
    Ok(v.to_string())
}

/// number × scale, exactly for integers and rounded to the nearest unit for decimals.
fn scale_number(number: &str, scale: u64) -> Option<u64> {
    let number = number.replace('_', "");
    match number.split_once('.') {
        None => number.parse::<u64>().ok()?.checked_mul(scale),
        Some((whole, fraction)) => {
            let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
            let digits = fraction.len().min(18) as u32;
            let fraction: u64 = if digits == 0 {
                0
            } else {
                fraction[..digits as usize].parse().ok()?
            };
            let denominator = 10u128.pow(digits);
            let part = (fraction as u128 * scale as u128 + denominator / 2) / denominator;
            whole.checked_mul(scale)?.checked_add(u64::try_from(part).ok()?)
        }
    }
}

macro_rules! unit_type {
    ($ty:ident, $parse:ident, $what:literal, $plain:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        $parse(&format!("{v}{}", $plain)).map($ty).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        if v < 0 {
                            return Err(E::custom(format!("must not be negative, got {v}")));
                        }
                        self.visit_u64(v as u64)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        let number = float_text(v).map_err(E::custom)?;
                        $parse(&format!("{number}{}", $plain)).map($ty).map_err(E::custom)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        $parse(v).map($ty).map_err(E::custom)
                    }
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}

unit_type!(Duration, parse_duration, "a duration like 250ms, 10s or 1min", "ms");
unit_type!(Bytes, parse_bytes, "a size like 100b, 32kb or 1gb", "b");
unit_type!(BytesPerSecond, parse_bandwidth, "a bandwidth like 125mb/s", "b");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_flink_units() {
        assert_eq!(parse_duration("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration("10 s"), Ok(10_000_000_000));
        assert_eq!(parse_duration("1min"), Ok(60_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("100"), Ok(100_000_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert!(
            parse_duration("5 parsecs")
                .unwrap_err()
                .contains("unknown unit `parsecs`")
        );
        assert!(parse_duration("fast").unwrap_err().contains("expected a number"));
    }

    #[test]
    fn sizes_use_binary_multiples() {
        assert_eq!(parse_bytes("32kb"), Ok(32 * 1024));
        assert_eq!(parse_bytes("1 mb"), Ok(1 << 20));
        assert_eq!(parse_bytes("100b"), Ok(100));
        assert_eq!(parse_bytes("0.5kb"), Ok(512));
        assert_eq!(parse_bandwidth("125mb/s"), Ok(125 << 20));
        assert!(parse_bytes("99999999999tb").unwrap_err().contains("too large"));
    }
}
