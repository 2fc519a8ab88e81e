//! Overrides of scenario values from the command line (`--set KEY=VALUE`), applied to
//! the YAML tree before validation, so an overridden scenario is checked exactly as
//! a file would be.
//!
//! A KEY is either a Flink configuration key, written as under `config:` (a key whose
//! first dotted part is not a top-level section, like `execution.checkpointing.interval`
//! or `state.backend.type`), or a dotted path to any other field: `duration`,
//! `cluster.taskmanagers`, `job.operators.aggregate.parallelism` (a list element by its
//! `name`) or `job.operators[1].parallelism` (by position). `config.KEY` names a Flink
//! key explicitly.

use super::{Scenario, ScenarioError};
use serde_yaml::{Mapping, Value};
use std::fmt;
use std::path::Path;

/// The top-level sections of a scenario file; any other first part is a Flink key.
const SECTIONS: [&str; 13] = [
    "name",
    "description",
    "seed",
    "duration",
    "drain-timeout",
    "stop",
    "resume",
    "config",
    "cluster",
    "job",
    "checkpointing",
    "faults",
    "random-faults",
];

/// A bad override: which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--set {}: {}", self.key, self.message)
    }
}

impl std::error::Error for OverrideError {}

fn error(key: &str, message: impl Into<String>) -> OverrideError {
    OverrideError {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Splits `KEY=V1,V2,...` into the key and its values.
pub fn parse_set(arg: &str) -> Result<(String, Vec<String>), OverrideError> {
    let Some((key, values)) = arg.split_once('=') else {
        return Err(error(arg, "expected KEY=VALUE or KEY=V1,V2,..."));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(error(arg, "the key before `=` is empty"));
    }
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(error(key, format!("empty value in `{}`", arg)));
    }
    Ok((key.to_string(), values))
}

/// Where a key points in the YAML tree: the path segments.
fn segments(key: &str, doc: &Mapping) -> Vec<String> {
    if let Some(flink) = key.strip_prefix("config.") {
        return vec!["config".into(), flink.into()];
    }
    let first = key.split(['.', '[']).next().unwrap_or(key);
    let known = SECTIONS.contains(&first) || doc.contains_key(first);
    if !known && key.contains('.') {
        return vec!["config".into(), key.into()];
    }
    // `a.b[2].c` → a, b, 2, c
    key.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A command-line value as YAML: `4` is a number, `true` a boolean, `1s` a string.
fn value_of(key: &str, text: &str) -> Result<Value, OverrideError> {
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Null) | Err(_) => Ok(Value::String(text.to_string())),
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => Ok(v),
        Ok(_) => Err(error(key, format!("`{text}` is not a single value"))),
    }
}

fn set(node: &mut Value, path: &[String], value: Value, key: &str, at: &str) -> Result<(), OverrideError> {
    let Some((head, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    let here = if at.is_empty() {
        head.clone()
    } else {
        format!("{at}.{head}")
    };
    match node {
        Value::Mapping(map) => {
            let child = map
                .entry(Value::String(head.clone()))
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            set(child, rest, value, key, &here)
        }
        Value::Sequence(items) => {
            let index = match head.parse::<usize>() {
                Ok(i) if i < items.len() => i,
                Ok(i) => {
                    return Err(error(
                        key,
                        format!("`{at}` has {} element(s), no element {i}", items.len()),
                    ));
                }
                Err(_) => items
                    .iter()
                    .position(|item| item.get("name").and_then(Value::as_str) == Some(head))
                    .ok_or_else(|| {
                        let names: Vec<&str> = items
                            .iter()
                            .filter_map(|i| i.get("name").and_then(Value::as_str))
                            .collect();
                        error(
                            key,
                            format!("`{at}` has no element named `{head}` (names: {})", names.join(", ")),
                        )
                    })?,
            };
            set(&mut items[index], rest, value, key, &here)
        }
        Value::Null => {
            *node = Value::Mapping(Mapping::new());
            set(node, path, value, key, at)
        }
        _ => Err(error(key, format!("`{at}` is a value, not a section with `{head}`"))),
    }
}

/// Applies `(key, value)` overrides to scenario YAML text, returning the new text.
pub fn apply(text: &str, overrides: &[(String, String)]) -> Result<String, OverrideError> {
    let mut doc: Value = serde_yaml::from_str(text).map_err(|e| error("", format!("the scenario is not YAML: {e}")))?;
    for (key, raw) in overrides {
        let Value::Mapping(map) = &doc else {
            return Err(error(key, "the scenario is not a YAML mapping"));
        };
        let path = segments(key, map);
        let value = value_of(key, raw)?;
        set(&mut doc, &path, value, key, "")?;
    }
    Ok(serde_yaml::to_string(&doc).expect("a YAML value serialises"))
}

/// Loads `path` with `overrides` applied and validates the result. A validation
/// error names the overrides, since the file itself was fine.
pub fn load_with_overrides(path: &Path, overrides: &[(String, String)]) -> Result<Scenario, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read the scenario: {e}", path.display()))?;
    let changed = apply(&text, overrides).map_err(|e| e.to_string())?;
    super::parse_str(&changed, &path.display().to_string()).map_err(|e| describe(&e, overrides))
}

fn describe(e: &ScenarioError, overrides: &[(String, String)]) -> String {
    let settings: Vec<String> = overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let place = if e.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", e.path)
    };
    format!("--set {}: {place}{}", settings.join(" --set "), e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name: t\nduration: 2s\nconfig:\n  execution.checkpointing.interval: 500ms\ncluster:\n  \
                        taskmanagers: 2\njob:\n  operators:\n    - name: source\n      parallelism: 2\n    - name: \
                        sink\n      parallelism: 2\n";

    fn doc(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn flink_keys_go_under_config_verbatim() {
        let out = doc(&apply(BASE, &[("execution.checkpointing.interval".into(), "1s".into())]).unwrap());
        assert_eq!(out["config"]["execution.checkpointing.interval"], Value::from("1s"));
        let out = doc(&apply(BASE, &[("state.backend.type".into(), "rocksdb".into())]).unwrap());
        assert_eq!(out["config"]["state.backend.type"], Value::from("rocksdb"));
        let out = doc(&apply(
            BASE,
            &[("execution.checkpointing.unaligned.enabled".into(), "true".into())],
        )
        .unwrap());
        assert_eq!(
            out["config"]["execution.checkpointing.unaligned.enabled"],
            Value::from(true)
        );
    }

    #[test]
    fn dotted_paths_reach_fields_and_list_elements() {
        let out = doc(&apply(BASE, &[("cluster.taskmanagers".into(), "4".into())]).unwrap());
        assert_eq!(out["cluster"]["taskmanagers"], Value::from(4));
        let out = doc(&apply(BASE, &[("job.operators.sink.parallelism".into(), "3".into())]).unwrap());
        assert_eq!(out["job"]["operators"][1]["parallelism"], Value::from(3));
        let out = doc(&apply(BASE, &[("job.operators[0].parallelism".into(), "5".into())]).unwrap());
        assert_eq!(out["job"]["operators"][0]["parallelism"], Value::from(5));
        let out = doc(&apply(BASE, &[("duration".into(), "1s".into())]).unwrap());
        assert_eq!(out["duration"], Value::from("1s"));
    }

    #[test]
    fn bad_paths_name_the_key() {
        let e = apply(BASE, &[("job.operators.nope.parallelism".into(), "3".into())]).unwrap_err();
        assert_eq!(e.key, "job.operators.nope.parallelism");
        assert!(e.message.contains("no element named `nope`"), "{e}");
        assert!(e.message.contains("source, sink"), "{e}");
        let e = apply(BASE, &[("duration.x".into(), "3".into())]).unwrap_err();
        assert!(
            e.to_string().starts_with("--set duration.x: `duration` is a value"),
            "{e}"
        );
        assert!(parse_set("novalue").is_err());
        assert_eq!(
            parse_set("a.b=1s, 2s").unwrap(),
            ("a.b".to_string(), vec!["1s".to_string(), "2s".to_string()])
        );
        assert!(parse_set("a=1,,2").is_err());
    }
}
