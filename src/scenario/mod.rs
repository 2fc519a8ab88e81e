//! Scenario files: the schema, its validation into plain integers, and errors that
//! name the file, line, column and field.

pub mod budget;
pub mod checkpointing;
pub mod error;
pub mod faults;
pub mod overrides;
pub mod position;
pub mod rules;
pub mod schema;
pub mod spec;
pub mod units;
pub mod validate;

pub use error::ScenarioError;
pub use spec::*;
pub use validate::{load_file, parse_str};
