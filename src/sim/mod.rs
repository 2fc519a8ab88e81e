//! The simulation kernel. It knows nothing of checkpoints: virtual time, an event
//! queue, seeded random streams and a trace digest.

pub mod digest;
pub mod queue;
pub mod rng;
pub mod time;

pub use digest::TraceDigest;
pub use queue::EventQueue;
pub use time::Nanos;
