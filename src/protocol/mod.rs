//! The checkpoint protocol, as sans-IO state machines a real engine could drive.
//!
//! Nothing here reads a clock, spawns, sleeps, or knows `sim/` or `model/`: inputs are
//! method calls with the current time passed in, outputs are actions the caller drains.

pub mod barrier;
pub mod communication_induced;
pub mod coordinator;
pub mod interface;
pub mod recovery_line;
pub mod types;
pub mod uncoordinated;

pub use types::*;
