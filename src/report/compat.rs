//! Reading a run's statistics back from `run.json`.
//!
//! The statistics hold `&'static str` names (Flink's status and failure names) that
//! other code compares with literals; these helpers read them back as interned
//! strings (a run's names are few, so interning leaks next to nothing).

use crate::sim::Nanos;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Returns the one `'static` copy of `text`, leaking it the first time it is seen.
pub fn intern(text: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(name) = names.get(text) {
        return name;
    }
    let name: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(name);
    name
}

pub fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    Ok(intern(&String::deserialize(d)?))
}

pub fn static_str_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| intern(&s)))
}

pub fn timed_reasons<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Nanos, &'static str)>, D::Error> {
    let raw = Vec::<(Nanos, String)>::deserialize(d)?;
    Ok(raw.into_iter().map(|(t, r)| (t, intern(&r))).collect())
}

pub fn failover_requests<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Nanos, u64, &'static str)>, D::Error> {
    let raw = Vec::<(Nanos, u64, String)>::deserialize(d)?;
    Ok(raw.into_iter().map(|(t, id, r)| (t, id, intern(&r))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_returns_one_copy_per_name() {
        let a = intern(&String::from("CHECKPOINT_EXPIRED"));
        let b = intern("CHECKPOINT_EXPIRED");
        assert_eq!(a, "CHECKPOINT_EXPIRED");
        assert!(std::ptr::eq(a, b));
    }
}
