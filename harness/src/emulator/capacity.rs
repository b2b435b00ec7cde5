//! Bounded inbound capacity: each node serves its incoming messages one at a time, each taking
//! `service`, with at most `queue` waiting; a message arriving to a full queue is dropped.
//!
//! With a constant service time the queue is fully described by when the node will be free,
//! so the state is one time per node: a message arriving at `t` finds
//! `⌈(busy_until − t) / service⌉` messages ahead of it (the one in service included), is
//! dropped if that exceeds `queue`, and otherwise is handed to the node when its own service
//! ends. No per-message state, no allocation.

use hearsay_faults::{Capacity, NodeSet};
use hearsay_protocols::SimTime;

/// What becomes of a message arriving at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// The node has no capacity bound: hand it over now.
    Now,
    /// Queued: hand it over at this time.
    At(SimTime),
    /// The queue is full: dropped.
    Dropped,
}

/// Per-node service models and when each node is next free.
#[derive(Clone, Debug)]
pub struct CapacityState {
    /// Service time per message in nanoseconds; 0 means unbounded.
    service: Vec<u64>,
    queue: Vec<u32>,
    busy_until: Vec<u64>,
}

impl CapacityState {
    /// No node bounded, in a cluster of `nodes`.
    pub fn new(nodes: u32) -> Self {
        let n = nodes as usize;
        CapacityState {
            service: vec![0; n],
            queue: vec![0; n],
            busy_until: vec![0; n],
        }
    }

    fn each(nodes: &NodeSet, n: usize, mut f: impl FnMut(usize)) {
        match nodes {
            NodeSet::All => (0..n).for_each(f),
            NodeSet::Only(ids) => ids.iter().for_each(|id| f(id.index())),
        }
    }

    /// Bounds `nodes`.
    pub fn set(&mut self, nodes: &NodeSet, c: Capacity) {
        let n = self.service.len();
        Self::each(nodes, n, |i| {
            self.service[i] = c.service.as_nanos();
            self.queue[i] = c.queue;
        });
    }

    /// Lifts the bound of `nodes` (messages already queued are still served).
    pub fn clear(&mut self, nodes: &NodeSet) {
        let n = self.service.len();
        Self::each(nodes, n, |i| self.service[i] = 0);
    }

    /// Empties `node`'s queue (its process died).
    pub fn reset(&mut self, node: usize) {
        self.busy_until[node] = 0;
    }

    /// Admits a message arriving at `node` at `now`.
    #[inline]
    pub fn admit(&mut self, node: usize, now: SimTime) -> Admission {
        let service = self.service[node];
        let now = now.as_nanos();
        let busy = self.busy_until[node].max(now);
        if service == 0 {
            return if busy > now {
                // Messages queued before the bound was lifted are still ahead of this one.
                Admission::At(SimTime(busy))
            } else {
                Admission::Now
            };
        }
        let ahead = (busy - now).div_ceil(service);
        if ahead > u64::from(self.queue[node]) {
            return Admission::Dropped;
        }
        let done = busy + service;
        self.busy_until[node] = done;
        Admission::At(SimTime(done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::SimDuration;

    #[test]
    fn a_full_queue_drops_and_a_served_queue_drains() {
        let mut c = CapacityState::new(2);
        c.set(
            &NodeSet::All,
            Capacity {
                queue: 2,
                service: SimDuration(10),
            },
        );
        let t = SimTime(100);
        // One in service and two waiting fit; the fourth is dropped.
        assert_eq!(c.admit(0, t), Admission::At(SimTime(110)));
        assert_eq!(c.admit(0, t), Admission::At(SimTime(120)));
        assert_eq!(c.admit(0, t), Admission::At(SimTime(130)));
        assert_eq!(c.admit(0, t), Admission::Dropped);
        // Once the first is served there is room again.
        assert_eq!(c.admit(0, SimTime(110)), Admission::At(SimTime(140)));
        // Another node has its own queue.
        assert_eq!(c.admit(1, t), Admission::At(SimTime(110)));
        c.clear(&NodeSet::All);
        assert_eq!(c.admit(1, SimTime(200)), Admission::Now);
    }
}
