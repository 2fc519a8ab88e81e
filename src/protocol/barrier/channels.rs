//! Per-channel bookkeeping shared by the barrier handlers: which channels ended, which are
//! blocked, which delivered the current checkpoint's barrier, which are persisting.
//!
//! Kept in vectors indexed by channel so that every "for all channels" step (unblock all,
//! stop persisting all) emits its actions in channel order, the same on every run.

use std::collections::VecDeque;

use super::action::{Action, ChannelIndex};
use crate::protocol::types::CheckpointId;

/// What the handler knows about one input channel.
#[derive(Clone, Copy, Debug, Default)]
struct Channel {
    /// EndOfPartition arrived: no more barriers or data will come.
    finished: bool,
    /// Delivered the current checkpoint's barrier during alignment; data waits.
    blocked: bool,
    /// Counted for the current checkpoint (its barrier arrived, or the channel ended).
    aligned: bool,
    /// Buffers received now are channel state of this checkpoint.
    persisting: Option<CheckpointId>,
}

/// The input channels of one subtask.
#[derive(Clone, Debug)]
pub(crate) struct InputChannels {
    channels: Vec<Channel>,
    num_open: usize,
    num_aligned: usize,
}

impl InputChannels {
    pub(crate) fn new(num_channels: usize) -> Self {
        InputChannels {
            channels: vec![Channel::default(); num_channels],
            num_open: num_channels,
            num_aligned: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.channels.len()
    }

    pub(crate) fn num_open(&self) -> usize {
        self.num_open
    }

    pub(crate) fn num_aligned(&self) -> usize {
        self.num_aligned
    }

    pub(crate) fn is_finished(&self, channel: ChannelIndex) -> bool {
        self.channels[channel].finished
    }

    pub(crate) fn is_blocked(&self, channel: ChannelIndex) -> bool {
        self.channels[channel].blocked
    }

    pub(crate) fn is_aligned(&self, channel: ChannelIndex) -> bool {
        self.channels[channel].aligned
    }

    pub(crate) fn persisting(&self, channel: ChannelIndex) -> Option<CheckpointId> {
        self.channels[channel].persisting
    }

    /// Marks the channel ended. Panics on a second EndOfPartition: the driver broke FIFO.
    pub(crate) fn finish(&mut self, channel: ChannelIndex) {
        let c = &mut self.channels[channel];
        assert!(!c.finished, "channel {channel} ended twice");
        c.finished = true;
        self.num_open -= 1;
    }

    /// Panics when data arrives on an ended channel: nothing follows EndOfPartition.
    pub(crate) fn assert_open(&self, channel: ChannelIndex) {
        assert!(
            !self.channels[channel].finished,
            "input on channel {channel} after its EndOfPartition"
        );
    }

    /// Counts the channel for the current checkpoint; false if it already was.
    pub(crate) fn mark_aligned(&mut self, channel: ChannelIndex) -> bool {
        let c = &mut self.channels[channel];
        if c.aligned {
            return false;
        }
        c.aligned = true;
        self.num_aligned += 1;
        true
    }

    /// Forgets the current checkpoint's count, for the next one.
    pub(crate) fn reset_aligned(&mut self) {
        for c in &mut self.channels {
            c.aligned = false;
        }
        self.num_aligned = 0;
    }

    pub(crate) fn block(&mut self, channel: ChannelIndex, checkpoint_id: CheckpointId, out: &mut VecDeque<Action>) {
        let c = &mut self.channels[channel];
        if !c.blocked {
            c.blocked = true;
            out.push_back(Action::BlockChannel { channel, checkpoint_id });
        }
    }

    pub(crate) fn unblock_all(&mut self, out: &mut VecDeque<Action>) {
        for (channel, c) in self.channels.iter_mut().enumerate() {
            if c.blocked {
                c.blocked = false;
                out.push_back(Action::UnblockChannel { channel });
            }
        }
    }

    pub(crate) fn start_persisting(
        &mut self,
        channel: ChannelIndex,
        checkpoint_id: CheckpointId,
        out: &mut VecDeque<Action>,
    ) {
        self.channels[channel].persisting = Some(checkpoint_id);
        out.push_back(Action::StartPersisting { channel, checkpoint_id });
    }

    pub(crate) fn stop_persisting(&mut self, channel: ChannelIndex, out: &mut VecDeque<Action>) {
        if let Some(checkpoint_id) = self.channels[channel].persisting.take() {
            out.push_back(Action::StopPersisting { channel, checkpoint_id });
        }
    }

    pub(crate) fn stop_persisting_all(&mut self, out: &mut VecDeque<Action>) {
        for channel in 0..self.channels.len() {
            self.stop_persisting(channel, out);
        }
    }
}
