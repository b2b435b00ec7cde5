//! The faults in force during a run, as the event loop consults them.
//!
//! Each kind of fault keeps its own state, and each is absent (`None`, or an empty list) until
//! a fault of that kind first applies, so the event loop pays a branch per event for the kinds
//! a run does not use: no allocation, no lookup.

use super::capacity::CapacityState;
use super::clock::Clocks;
use super::link_rules::LinkRules;
use super::pause::Pause;
use hearsay_faults::{Connectivity, TimedFault, initially_absent};
use hearsay_protocols::{NodeId, SimTime};

/// The faults in force; `E` is the emulator's event type (paused nodes hold events).
pub(crate) struct FaultState<E> {
    /// The partition in force.
    pub cut: Option<Connectivity>,
    /// The network faults in force.
    pub links: LinkRules,
    /// Paused nodes and what waits for them.
    pub pause: Option<Pause<E>>,
    /// Bounded inbound capacity.
    pub capacity: Option<CapacityState>,
    /// Skewed clocks.
    pub clocks: Option<Clocks>,
    /// Nodes that have not joined yet or have left (churn).
    pub absent: Option<Vec<bool>>,
}

impl<E: Copy> FaultState<E> {
    /// Nothing in force yet; the nodes whose first lifecycle event in `faults` is a join are
    /// absent from the start.
    pub fn new(nodes: u32, faults: &[TimedFault]) -> Self {
        let joiners = initially_absent(faults, nodes);
        let absent = (!joiners.is_empty()
            || faults
                .iter()
                .any(|f| matches!(f.action, hearsay_faults::FaultAction::Leave { .. })))
        .then(|| {
            let mut a = vec![false; nodes as usize];
            for n in &joiners {
                a[n.index()] = true;
            }
            a
        });
        FaultState {
            cut: None,
            links: LinkRules::default(),
            pause: None,
            capacity: None,
            clocks: None,
            absent,
        }
    }

    /// Whether a partition cuts the link from `from` to `to`.
    #[inline]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.cut.as_ref().is_some_and(|c| c.blocks(from, to))
    }

    /// Holds `event` if `node` is paused; returns whether it did.
    #[inline]
    pub fn hold(&mut self, node: u32, event: E) -> bool {
        match &mut self.pause {
            Some(p) if p.is_paused(node) => {
                p.hold(node, event);
                true
            }
            _ => false,
        }
    }

    /// What `node`'s clock reads at true time `now`.
    #[inline]
    pub fn local_time(&self, node: usize, now: SimTime) -> SimTime {
        match &self.clocks {
            Some(c) => c.local(node, now),
            None => now,
        }
    }

    /// Whether `node` is out of the cluster (not joined yet, or left).
    #[inline]
    pub fn is_absent(&self, node: usize) -> bool {
        self.absent.as_ref().is_some_and(|a| a[node])
    }
}
