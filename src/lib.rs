//! ckptsim: a deterministic discrete-event simulator for the checkpoint protocols of
//! distributed stream processors.

pub mod check;
pub mod cli;
pub mod diff;
pub mod explore;
pub mod fault;
pub mod import;
pub mod memory;
pub mod model;
pub mod protocol;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod stats;
