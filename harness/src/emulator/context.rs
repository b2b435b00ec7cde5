//! The emulator's implementation of the sans-IO [`Context`]: a node's sends and timers go
//! straight onto the emulated network and into the event queue during the call; the updates it
//! learns wait in the [`Transport`] until the call returns (a learned record holds the value
//! the node's store ends up with).

use super::StreamRng;
use super::in_flight::Pool;
use super::transport::Transport;
use hearsay_protocols::{Context, NodeId, Observation, SimDuration, SimTime, TimerId};

pub(crate) struct EmulatorContext<'a, M> {
    /// The node's local clock (skewed under a clock fault).
    pub now: SimTime,
    pub me: NodeId,
    /// The node's incarnation: the timers it arms die with this process. (Read only when a
    /// timer is armed: most calls arm none, and at 10^6 nodes the read is a cache miss.)
    pub incarnation: &'a u32,
    pub rng: &'a mut StreamRng,
    pub net: &'a mut Transport,
    /// The in-flight pool this call's sends go into.
    pub pool: &'a mut Pool<M>,
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
    #[inline(always)]
    fn send(&mut self, to: NodeId, msg: M) {
        self.net.send(self.pool, self.me, to, msg);
    }
    #[inline(always)]
    fn send_with(&mut self, to: NodeId, build: impl FnOnce() -> M) {
        self.net.send_with(self.pool, self.me, to, build);
    }
    #[inline(always)]
    fn send_each(&mut self, peers: &[NodeId], build: impl FnOnce() -> M) {
        self.net.send_each(self.pool, self.me, peers, build);
    }
    #[inline]
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.net.set_timer(self.me, after, timer, *self.incarnation);
    }
    #[inline]
    fn observe(&mut self, observation: Observation) {
        self.net.observe(observation);
    }
}
