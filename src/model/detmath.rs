//! Logarithm and exponential from IEEE-754 basic operations only.
//!
//! The platform's `ln`/`exp`/`powf` may round differently on different machines;
//! `+ - * /` never do. Key distributions built from these functions are therefore
//! the same everywhere, and so are the trace digests that depend on them.

const LN_2: f64 = std::f64::consts::LN_2;

/// Natural logarithm of a positive, finite `x`.
pub fn ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_finite());
    // x = m × 2^e with m in [1, 2), read from the bits.
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    // ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) ≤ 1/3: the series converges fast.
    let z = (mantissa - 1.0) / (mantissa + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= z2;
        k += 2.0;
    }
    exponent as f64 * LN_2 + 2.0 * sum
}

/// e^y for y in a range where the result is a normal number.
pub fn exp(y: f64) -> f64 {
    let n = (y / LN_2 + if y >= 0.0 { 0.5 } else { -0.5 }) as i64;
    let r = y - n as f64 * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while k < 30.0 {
        term = term * r / k;
        sum += term;
        k += 1.0;
    }
    let n = n.clamp(-1020, 1020);
    sum * f64::from_bits(((n + 1023) as u64) << 52)
}

/// x^p for positive x.
pub fn pow(x: f64, p: f64) -> f64 {
    exp(p * ln(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_platform_closely() {
        for x in [0.001, 0.5, 1.0, 2.0, 3.7, 100.0, 1e6, 1e9] {
            assert!((ln(x) - x.ln()).abs() < 1e-12 * x.ln().abs().max(1.0), "ln {x}");
        }
        for y in [-20.0, -1.0, 0.0, 0.3, 1.0, 10.0, 50.0] {
            assert!((exp(y) - y.exp()).abs() <= 1e-12 * y.exp(), "exp {y}");
        }
        assert!((pow(10.0, -1.2) - 10f64.powf(-1.2)).abs() < 1e-14);
    }
}
