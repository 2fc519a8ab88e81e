//! Which trigger request runs now, which waits, which is dropped: Flink's
//! `CheckpointRequestDecider`.
//!
//! Requests wait in a queue ordered savepoints first, then forced, then user-submitted
//! before periodic, then oldest first. The head runs when fewer than max-concurrent
//! checkpoints are pending; a forced head runs regardless. A periodic head that comes
//! before min-pause has passed since the last completion is dropped
//! (`MINIMUM_TIME_BETWEEN_CHECKPOINTS`) and the periodic trigger is moved to the end of
//! the pause. A full queue drops its lowest-priority request
//! (`TOO_MANY_CHECKPOINT_REQUESTS`), but never a user-submitted one for a periodic one.

use std::collections::BTreeMap;

use super::RequestId;
use crate::protocol::types::{Nanos, SnapshotKind};

/// A request to take a checkpoint or savepoint, waiting for its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TriggerRequest {
    pub id: RequestId,
    pub kind: SnapshotKind,
    /// Issued by the periodic scheduler rather than a user.
    pub periodic: bool,
    /// Ignores max-concurrent and min-pause (Flink's `CheckpointProperties.forced`).
    pub forced: bool,
    pub requested_at: Nanos,
}

/// Queue position: lower sorts first. The request id breaks ties in arrival order.
type QueueKey = (bool, bool, bool, Nanos, RequestId);

fn queue_key(request: &TriggerRequest) -> QueueKey {
    (
        request.kind != SnapshotKind::Savepoint,
        !request.forced,
        request.periodic,
        request.requested_at,
        request.id,
    )
}

/// What the decider wants done with the queue head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Choice {
    /// Trigger this request now.
    Execute(TriggerRequest),
    /// Nothing can run now (empty queue, or the limit is reached).
    Wait,
    /// The head came too early after the last completion: drop it and move the
    /// periodic trigger to `retry_at`.
    DropForMinPause { request: TriggerRequest, retry_at: Nanos },
}

#[derive(Clone, Debug)]
pub(super) struct RequestDecider {
    max_concurrent: usize,
    min_pause: Nanos,
    max_queued: usize,
    queue: BTreeMap<QueueKey, TriggerRequest>,
}

impl RequestDecider {
    pub(super) fn new(max_concurrent: usize, min_pause: Nanos, max_queued: usize) -> Self {
        Self {
            max_concurrent,
            min_pause,
            max_queued,
            queue: BTreeMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Queues a request; returns the request dropped to keep the queue bounded, if any.
    pub(super) fn enqueue(&mut self, request: TriggerRequest) -> Option<TriggerRequest> {
        let full = self.queue.len() >= self.max_queued;
        let only_user_requests = self.queue.last_key_value().is_some_and(|(_, last)| !last.periodic);
        if full && only_user_requests {
            return Some(request);
        }
        self.queue.insert(queue_key(&request), request);
        if self.queue.len() > self.max_queued {
            return self.queue.pop_last().map(|(_, dropped)| dropped);
        }
        None
    }

    /// Decides about the queue head given how many checkpoints are pending and when
    /// the last one completed.
    pub(super) fn choose(&mut self, now: Nanos, num_pending: usize, last_completion: Option<Nanos>) -> Choice {
        let Some((_, head)) = self.queue.first_key_value() else {
            return Choice::Wait;
        };
        let head = *head;
        if num_pending >= self.max_concurrent && !head.forced {
            return Choice::Wait;
        }
        // Here fewer than max-concurrent are pending (or the head is forced).
        if !head.forced
            && head.periodic
            && let Some(last) = last_completion
        {
            let retry_at = last.saturating_add(self.min_pause);
            if retry_at > now {
                self.queue.pop_first();
                return Choice::DropForMinPause {
                    request: head,
                    retry_at,
                };
            }
        }
        self.queue.pop_first();
        Choice::Execute(head)
    }

    /// Forgets queued periodic requests; user requests stay.
    pub(super) fn drop_periodic(&mut self) {
        self.queue.retain(|_, request| !request.periodic);
    }

    /// Empties the queue, for suspension and shutdown.
    pub(super) fn drain(&mut self) -> Vec<TriggerRequest> {
        std::mem::take(&mut self.queue).into_values().collect()
    }
}
