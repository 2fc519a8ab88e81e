//! `ckptsim compare SCENARIO --protocols coordinated,uncoordinated,... [--set ...]`:
//! a sweep whose first parameter is `ckptsim.checkpointing.protocol`, so every
//! protocol runs the same scenario and seeds, reported with the protocols' costs
//! (median over seeds).

use super::UsageError;
use super::sweep::{Grid, GridOptions, parameters};
use crate::report::sweep::Kind;
use crate::scenario::checkpointing::ProtocolKind;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// The key every comparison sets first.
pub const PROTOCOL_KEY: &str = "ckptsim.checkpointing.protocol";

const PROTOCOLS: [ProtocolKind; 3] = [
    ProtocolKind::Coordinated,
    ProtocolKind::Uncoordinated,
    ProtocolKind::CommunicationInduced,
];

#[derive(Args)]
pub struct CompareArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// The protocols to compare, comma-separated: coordinated, uncoordinated,
    /// communication-induced.
    #[arg(
        long,
        value_name = "P1,P2,...",
        default_value = "coordinated,uncoordinated,communication-induced"
    )]
    protocols: String,
    /// A second axis, as in `ckptsim sweep`: a Flink key or a dotted path and its
    /// values (`job.operators.bids.keys.hot-fraction=0,0.4,0.8`). Repeatable.
    #[arg(long = "set", value_name = "KEY=V1,V2,...")]
    set: Vec<String>,
    #[command(flatten)]
    grid: GridOptions,
}

/// The protocols named in `--protocols`, in the order given, each once.
fn protocols(list: &str) -> Result<Vec<String>, UsageError> {
    let valid: Vec<&str> = PROTOCOLS.iter().map(|p| p.name()).collect();
    let mut names: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim) {
        if !valid.contains(&name) {
            return Err(UsageError(format!(
                "--protocols: `{name}` is not a protocol; valid: {}",
                valid.join(", ")
            )));
        }
        if names.iter().any(|n| n == name) {
            return Err(UsageError(format!("--protocols: `{name}` is listed twice")));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// Words a scenario's refusal of one grid point: which protocol, with which settings.
fn refused(point: &[(String, String)], error: String) -> String {
    // The overrides' own wording names every `--set`; this one names them once.
    let given: Vec<String> = point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let prefix = format!("--set {}: ", given.join(" --set "));
    let error = error.strip_prefix(&prefix).map_or(error.clone(), str::to_string);
    let protocol = point.iter().find(|(k, _)| k == PROTOCOL_KEY).map(|(_, v)| v.as_str());
    let settings: Vec<String> = point
        .iter()
        .filter(|(k, _)| k != PROTOCOL_KEY)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    match (protocol, settings.is_empty()) {
        (Some(p), true) => format!("protocol `{p}` is refused by this scenario: {error}"),
        (Some(p), false) => format!(
            "protocol `{p}` with {} is refused by this scenario: {error}",
            settings.join(", ")
        ),
        (None, _) => error,
    }
}

pub fn compare(args: CompareArgs) -> Result<ExitCode, UsageError> {
    let mut axes = vec![(PROTOCOL_KEY.to_string(), protocols(&args.protocols)?)];
    let others = parameters(&args.set)?;
    if others
        .iter()
        .any(|(k, _)| k == PROTOCOL_KEY || k == "config.ckptsim.checkpointing.protocol")
    {
        return Err(UsageError(format!(
            "--set {PROTOCOL_KEY}: the protocols are chosen with --protocols"
        )));
    }
    axes.extend(others);
    Grid::load(Kind::Compare, &args.scenario, axes, args.grid, refused)?.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_are_checked_and_kept_in_order() {
        assert_eq!(
            protocols("uncoordinated, coordinated").unwrap(),
            vec!["uncoordinated", "coordinated"]
        );
        let e = protocols("coordinated,chandy-lamport").unwrap_err().0;
        assert!(e.contains("`chandy-lamport`"), "{e}");
        assert!(e.contains("coordinated, uncoordinated, communication-induced"), "{e}");
        assert!(protocols("coordinated,coordinated").is_err());
    }

    #[test]
    fn a_refusal_names_the_protocol_and_the_setting() {
        let point = [
            (PROTOCOL_KEY.to_string(), "uncoordinated".to_string()),
            ("duration".to_string(), "1s".to_string()),
        ];
        let e = refused(
            &point,
            format!("--set {PROTOCOL_KEY}=uncoordinated --set duration=1s: no"),
        );
        assert_eq!(
            e,
            "protocol `uncoordinated` with duration=1s is refused by this scenario: no"
        );
    }
}
