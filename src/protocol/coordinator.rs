//! The checkpoint coordinator.
