//! The simulated world: sources, operators, channels, TaskManagers, disks and
//! checkpoint storage. It turns protocol actions into timed events and timed events
//! into protocol inputs.

pub mod append_schedule;
pub mod changelog;
pub mod channel;
pub mod debloat;
pub mod detmath;
pub mod file_merging;
pub mod forst;
pub mod keygroups;
pub mod local_state;
pub mod operator;
pub mod record;
pub mod source;
pub mod state_files;
pub mod storage;
pub mod taskmanager;
pub mod world;

pub use record::Record;
pub use world::World;
