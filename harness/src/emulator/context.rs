//! The emulator's implementation of the sans-IO [`Context`]: it buffers what a node asks for
//! during one call, and the emulator carries it out when the call returns.

use super::StreamRng;
use hearsay_protocols::{Context, NodeId, Observation, SimDuration, SimTime, TimerId};

/// Effects requested during one node call. Reused across calls so the hot path does not
/// allocate.
pub(crate) struct Outbox<M> {
    pub sends: Vec<(NodeId, M)>,
    pub timers: Vec<(SimDuration, TimerId)>,
    pub observations: Vec<Observation>,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            timers: Vec::new(),
            observations: Vec::new(),
        }
    }
}

pub(crate) struct EmulatorContext<'a, M> {
    pub now: SimTime,
    pub me: NodeId,
    pub rng: &'a mut StreamRng,
    pub out: &'a mut Outbox<M>,
}

impl<M> Context<M> for EmulatorContext<'_, M> {
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
        self.out.sends.push((to, msg));
    }
    #[inline]
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.out.timers.push((after, timer));
    }
    #[inline]
    fn observe(&mut self, observation: Observation) {
        self.out.observations.push(observation);
    }
}
