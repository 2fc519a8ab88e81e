//! What a run leaves for the oracle: every sink's committed output and how far every
//! source partition was read.

use super::World;
use crate::model::operator::{CountSum, OperatorLogic, OutputKey, SinkMode};
use std::collections::BTreeMap;

impl World {
    /// The output of every sink operator, by operator index: the union of its
    /// subtasks' tables, folded as the sink folds.
    pub fn sink_outputs(&self) -> Vec<(usize, SinkOutput)> {
        let mut outputs: Vec<(usize, SinkOutput)> = Vec::new();
        for s in &self.subtasks {
            let OperatorLogic::Sink { table, mode, .. } = &s.logic else {
                continue;
            };
            let index = match outputs.iter().position(|(op, _)| *op == s.op) {
                Some(i) => i,
                None => {
                    outputs.push((s.op, SinkOutput::default()));
                    outputs.len() - 1
                }
            };
            let merged = &mut outputs[index].1;
            merged.records += table.records;
            for (key, row) in table.rows() {
                let into = merged.rows.entry(key).or_default();
                match mode {
                    SinkMode::Upsert | SinkMode::UpsertWindows => {
                        if row.count > into.count {
                            *into = row;
                        }
                    }
                    SinkMode::Append | SinkMode::UpsertTotals => {
                        into.count += row.count;
                        into.sum += row.sum;
                    }
                }
            }
        }
        outputs
    }

    /// How far each source partition was read, by (source operator, partition),
    /// over every attempt (a job that failed for good read further before).
    pub fn source_offsets(&self) -> Vec<(usize, u32, u64)> {
        let mut offsets = Vec::new();
        for s in &self.subtasks {
            if let Some(reader) = &s.source {
                offsets.extend(reader.partitions.iter().map(|p| {
                    let before = self.recovery.furthest_read(s.op, p.partition);
                    (s.op, p.partition, p.next_offset.max(before))
                }));
            }
        }
        offsets.sort_unstable();
        offsets
    }
}

/// What one sink operator holds at the end of a run.
#[derive(Clone, Debug, Default)]
pub struct SinkOutput {
    pub rows: BTreeMap<OutputKey, CountSum>,
    pub records: u64,
}
