//! The emulator's implementation of the sans-IO [`Context`]: it buffers what a node asks for
//! during one call, and the emulator carries it out when the call returns.

use super::StreamRng;
use hearsay_protocols::{Context, NodeId, Observation, SimDuration, SimTime, TimerId};

/// Effects requested during one node call. Reused across calls so the hot path does not
/// allocate. A sent message goes straight into its in-flight slot (it is written once, not
/// copied through a buffer); `sends` keeps the addressee and the slot, in send order.
pub(crate) struct Outbox<M> {
    pub sends: Vec<(NodeId, u32)>,
    pub slots: InFlight<M>,
    pub timers: Vec<(SimDuration, TimerId)>,
    pub observations: Vec<Observation>,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            slots: InFlight::default(),
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
        let slot = self.out.slots.put(self.me, to, msg);
        self.out.sends.push((to, slot));
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

/// Messages on the wire, each in a numbered slot until it is delivered or dropped; freed
/// slots are reused, most recent first, so the slots in use stay few and warm.
pub(crate) struct InFlight<M> {
    slots: Vec<Option<(NodeId, NodeId, M)>>,
    free: Vec<u32>,
}

impl<M> Default for InFlight<M> {
    fn default() -> Self {
        InFlight {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<M> InFlight<M> {
    /// Puts a message in a free slot and returns the slot.
    #[inline(always)]
    pub fn put(&mut self, from: NodeId, to: NodeId, msg: M) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some((from, to, msg));
                s
            }
            None => {
                self.slots.push(Some((from, to, msg)));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The message in `slot`.
    #[inline(always)]
    pub fn get(&self, slot: u32) -> &(NodeId, NodeId, M) {
        match &self.slots[slot as usize] {
            Some(m) => m,
            None => unreachable!("an empty in-flight slot"),
        }
    }

    /// Takes the message out of `slot` and frees it.
    #[inline(always)]
    pub fn take(&mut self, slot: u32) -> (NodeId, NodeId, M) {
        let m = self.slots[slot as usize].take().expect("in-flight slot");
        self.free.push(slot);
        m
    }

    /// The slot's entry, for reading ahead (None if out of range).
    #[inline(always)]
    pub fn peek(&self, slot: u32) -> Option<&Option<(NodeId, NodeId, M)>> {
        self.slots.get(slot as usize)
    }
}
