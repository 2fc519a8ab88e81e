//! Barrier handling at a subtask input.
