//! The event queue: events ordered by (virtual time, insertion sequence).
//!
//! Ties at the same instant are broken by insertion order, so two runs that schedule
//! the same events in the same order pop them in the same order, whatever the payload.

use super::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// Time in the high 64 bits, insertion sequence in the low 64: one integer compare.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap; the earliest key must come out first.
        other.key.cmp(&self.key)
    }
}

/// A priority queue of events keyed by virtual time, FIFO among equal times.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Keeps only the events `keep` accepts (a failover drops the failed tasks' work);
    /// the order of those kept is unchanged.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.heap.retain(|entry| keep(&entry.event));
    }

    /// Schedules `event` at `time`. Events at the same time pop in the order pushed.
    pub fn push(&mut self, time: Nanos, event: E) {
        let key = ((time as u128) << 64) | self.next_seq as u128;
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        self.heap.pop().map(|entry| ((entry.key >> 64) as Nanos, entry.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|entry| (entry.key >> 64) as Nanos)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut queue = EventQueue::new();
        queue.push(20, "c");
        queue.push(10, "a");
        queue.push(20, "d");
        queue.push(10, "b");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, vec![(10, "a"), (10, "b"), (20, "c"), (20, "d")]);
    }

    #[test]
    fn peek_reports_the_earliest_time() {
        let mut queue = EventQueue::new();
        assert_eq!(queue.peek_time(), None);
        queue.push(5, ());
        queue.push(3, ());
        assert_eq!(queue.peek_time(), Some(3));
        assert_eq!(queue.len(), 2);
    }
}
