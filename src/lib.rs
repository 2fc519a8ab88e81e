//! ckptsim: a deterministic discrete-event simulator for the checkpoint protocols of
//! distributed stream processors.

pub mod protocol;
pub mod sim;
