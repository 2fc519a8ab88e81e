//! Statistics of a run, in the vocabulary Flink users already read.

pub mod checkpoint;
pub mod faults;
pub mod histogram;
pub mod protocol;
pub mod run;

/// The median; the mean of the two middle values of an even count; `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}
