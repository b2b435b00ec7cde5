//! The emulator's implementation of the sans-IO [`Context`]: a node's sends go straight onto
//! the emulated network during the call; its timers and learned updates wait in the
//! [`Transport`] until the call returns (timers need the node's incarnation, learned records
//! the value the node's store ends up holding).

use super::StreamRng;
use super::transport::Transport;
use hearsay_protocols::{Context, NodeId, Observation, SimDuration, SimTime, TimerId};

pub(crate) struct EmulatorContext<'a, M> {
    /// The node's local clock (skewed under a clock fault).
    pub now: SimTime,
    pub me: NodeId,
    pub rng: &'a mut StreamRng,
    pub net: &'a mut Transport<M>,
}

impl<M: hearsay_protocols::Message> Context<M> for EmulatorContext<'_, M> {
    type Rng = StreamRng;

    #[inline]
    fn now(&self) -> SimTime {
        self.now
    }
    #[inline]
    fn me(&self) -> NodeId {
        self.me
    }
    #[inline]
    fn rng(&mut self) -> &mut StreamRng {
        self.rng
    }
    #[inline]
    fn send(&mut self, to: NodeId, msg: M) {
        self.net.send(self.me, to, msg);
    }
    #[inline]
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.net.timers.push((after, timer));
    }
    #[inline]
    fn observe(&mut self, observation: Observation) {
        self.net.observe(observation);
    }
}
