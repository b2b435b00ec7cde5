//! Network faults in force, and the fate of a message under them.
//!
//! The network faults in force are few (a handful at most), so they sit in a small `Vec`,
//! each with its node sets as bitmaps; the send path consults them only when the list is not
//! empty, so a run without network faults pays one length check per message.

use super::NetworkModel;
use super::latency::sample;
use hearsay_faults::{LinkEffect, LinkFault, NodeSet};
use hearsay_protocols::{NodeId, SimDuration, coin};
use rand_core::Rng;

/// What happens to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Lost (base loss or a loss fault).
    Lost,
    /// Delivered after `delay`, and again after `duplicate` if it was duplicated.
    Arrives {
        /// The delay of the message.
        delay: SimDuration,
        /// The delay of its duplicate, if it has one.
        duplicate: Option<SimDuration>,
        /// Whether a reordering fault held it back.
        reordered: bool,
    },
}

/// A node set as a bitmap (or everyone).
#[derive(Clone, Debug)]
enum Members {
    All,
    Bits(Vec<u64>),
}

impl Members {
    fn new(set: &NodeSet, nodes: u32) -> Self {
        match set {
            NodeSet::All => Members::All,
            NodeSet::Only(ids) => {
                let mut bits = vec![0u64; (nodes as usize).div_ceil(64)];
                for id in ids.iter().filter(|id| id.0 < nodes) {
                    bits[id.index() / 64] |= 1 << (id.index() % 64);
                }
                Members::Bits(bits)
            }
        }
    }

    #[inline]
    fn contains(&self, node: NodeId) -> bool {
        match self {
            Members::All => true,
            Members::Bits(b) => b[node.index() / 64] >> (node.index() % 64) & 1 == 1,
        }
    }
}

#[derive(Clone, Debug)]
struct Rule {
    fault: LinkFault,
    from: Members,
    to: Members,
}

impl Rule {
    #[inline]
    fn matches(&self, from: NodeId, to: NodeId) -> bool {
        (self.from.contains(from) && self.to.contains(to))
            || (self.fault.links.both_ways && self.from.contains(to) && self.to.contains(from))
    }
}

/// The network faults in force.
#[derive(Clone, Debug, Default)]
pub struct LinkRules {
    rules: Vec<Rule>,
}

impl LinkRules {
    /// Starts a network fault over a cluster of `nodes`.
    pub fn add(&mut self, fault: LinkFault, nodes: u32) {
        let from = Members::new(&fault.links.from, nodes);
        let to = Members::new(&fault.links.to, nodes);
        self.rules.push(Rule { fault, from, to });
    }

    /// Ends the network fault equal to `fault`.
    pub fn remove(&mut self, fault: &LinkFault) {
        if let Some(i) = self.rules.iter().position(|r| &r.fault == fault) {
            self.rules.remove(i);
        }
    }

    /// Whether no network fault is in force.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Ends every network fault.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fate of a message from `from` to `to`: the base network's, changed by every fault
    /// in force on that link. Draws come from `rng` (the network stream) in a fixed order:
    /// base loss, fault losses, latency, extra delays, reordering, duplication.
    #[inline]
    pub fn fate<R: Rng>(&self, from: NodeId, to: NodeId, base: &NetworkModel, rng: &mut R) -> Fate {
        if self.rules.is_empty() {
            return match base.transit(rng) {
                super::Transit::Lost => Fate::Lost,
                super::Transit::Arrives(delay) => Fate::Arrives {
                    delay,
                    duplicate: None,
                    reordered: false,
                },
            };
        }
        self.fate_under_faults(from, to, base, rng)
    }

    #[cold]
    fn fate_under_faults<R: Rng>(
        &self,
        from: NodeId,
        to: NodeId,
        base: &NetworkModel,
        rng: &mut R,
    ) -> Fate {
        if base.lost(rng) {
            return Fate::Lost;
        }
        let on_link = || {
            self.rules
                .iter()
                .filter(|r| r.matches(from, to))
                .map(|r| &r.fault.effect)
        };
        for effect in on_link() {
            if let LinkEffect::Loss(p) = effect
                && coin(rng, *p)
            {
                return Fate::Lost;
            }
        }
        let latency = on_link().fold(None, |l, e| match e {
            LinkEffect::Latency(d) => Some(d),
            _ => l,
        });
        let travel = |rng: &mut R| {
            let mut d = match latency {
                Some(l) => sample(l, rng),
                None => base.latency(rng),
            };
            for effect in on_link() {
                if let LinkEffect::Delay(extra) = effect {
                    d = d + sample(extra, rng);
                }
            }
            d
        };
        let mut delay = travel(rng);
        let mut reordered = false;
        for effect in on_link() {
            if let LinkEffect::Reorder { rate, delay: by } = effect
                && coin(rng, *rate)
            {
                delay = delay + *by;
                reordered = true;
            }
        }
        let mut duplicate = None;
        for effect in on_link() {
            if let LinkEffect::Duplicate(p) = effect
                && duplicate.is_none()
                && coin(rng, *p)
            {
                duplicate = Some(travel(rng));
            }
        }
        Fate::Arrives {
            delay,
            duplicate,
            reordered,
        }
    }
}
