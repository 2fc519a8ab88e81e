//! Watermarks through the job: the minimum over a subtask's inputs, advanced as
//! they arrive and when an input ends.

use super::World;
use crate::model::channel::Item;
use crate::sim::Nanos;

impl World {
    pub(super) fn input_watermark(&mut self, st: usize, input: usize, watermark: Nanos) {
        let s = &mut self.subtasks[st];
        s.input_watermarks[input] = s.input_watermarks[input].max(watermark);
        self.advance_watermark(st);
    }

    pub(super) fn advance_watermark(&mut self, st: usize) {
        let s = &mut self.subtasks[st];
        let combined = s.input_watermarks.iter().copied().min().unwrap_or(Nanos::MAX);
        if combined <= s.watermark {
            return;
        }
        s.watermark = combined;
        let mut out = std::mem::take(&mut self.scratch);
        s.logic.on_watermark(combined, &mut out);
        self.route(st, &out);
        out.clear();
        self.scratch = out;
        if combined != Nanos::MAX {
            self.broadcast(st, || Item::Watermark(combined));
        }
    }

    pub(super) fn input_ended(&mut self, st: usize, input: usize) {
        let s = &mut self.subtasks[st];
        s.inputs_ended += 1;
        s.input_watermarks[input] = Nanos::MAX;
        if s.inputs_ended == s.inputs.len() {
            self.end_of_input(st);
        } else {
            self.advance_watermark(st);
        }
    }
}
