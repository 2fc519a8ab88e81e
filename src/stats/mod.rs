//! Statistics of a run, in the vocabulary Flink users already read.

pub mod checkpoint;
pub mod faults;
pub mod histogram;
pub mod protocol;
pub mod run;
