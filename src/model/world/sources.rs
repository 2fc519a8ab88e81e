//! Sources: reading batches from their partitions' logs, polling when idle, and
//! periodic watermarks.

use super::{Event, World};
use crate::model::channel::Item;

impl World {
    pub(super) fn source_step(&mut self, st: usize) {
        let now = self.now;
        let reader = self.subtasks[st].source.as_mut().expect("source");
        if reader.poll_scheduled {
            return;
        }
        let mut batch = std::mem::take(&mut reader.batch_buffer);
        let mut read = 0;
        let n = reader.partitions.len();
        for k in 0..n {
            let p = (reader.next_partition + k) % n;
            read += reader.partitions[p].read(now, reader.max_batch - read, &mut batch);
            if read >= reader.max_batch {
                break;
            }
        }
        reader.next_partition = (reader.next_partition + 1) % n.max(1);
        let exhausted = reader.partitions.iter().all(|p| p.is_exhausted());
        self.update_backlog(st);
        if read > 0 {
            self.start_batch(st, batch, None);
            return;
        }
        self.subtasks[st].source.as_mut().expect("source").batch_buffer = batch;
        // Idle: the records read so far are all out, so a watermark may follow them.
        self.emit_source_watermark(st);
        let reader = self.subtasks[st].source.as_mut().expect("source");
        if exhausted {
            self.end_of_input(st);
            self.update_backlog(st);
            return;
        }
        let next_record = reader
            .partitions
            .iter()
            .filter(|p| !p.is_exhausted())
            .map(|p| p.append_time(p.next_offset))
            .min()
            .unwrap_or(now);
        reader.poll_scheduled = true;
        let at = next_record.max(now + reader.poll_interval);
        self.queue.push(at, Event::Poll(st));
    }

    /// Emits a source's periodic watermark if one is due: the next unread record of
    /// every partition is later, so no record after it can be late. Called only when
    /// every record read so far has been emitted.
    pub(super) fn emit_source_watermark(&mut self, st: usize) {
        let now = self.now;
        let interval = self.scenario.watermark_interval_ns;
        let Some(reader) = self.subtasks[st].source.as_mut() else {
            return;
        };
        if !self.emit_watermarks || now < reader.next_watermark_at {
            return;
        }
        reader.next_watermark_at = now + interval;
        let watermark = reader
            .partitions
            .iter()
            .filter(|p| !p.is_exhausted())
            .map(|p| p.append_time(p.next_offset).saturating_sub(1))
            .min();
        if let Some(w) = watermark
            && w > reader.last_watermark
        {
            reader.last_watermark = w;
            self.broadcast(st, || Item::Watermark(w));
        }
    }
}
