//! Network faults on links: extra loss, another latency distribution, extra delay (a slow node
//! or a delay spike), duplication and reordering — on every link, on the links of some nodes,
//! or between two groups.
//!
//! A [`LinkFault`] is one effect on one set of links. While it is in force the emulator applies
//! it to every message whose `(from, to)` the [`Links`] match; effects of several faults on the
//! same link combine (losses are independent draws, extra delays add up, the last latency
//! fault that matches replaces the base distribution).

use crate::Latency;
use hearsay_protocols::{NodeId, SimDuration};
use serde::{Deserialize, Serialize};

/// A set of nodes: everyone, or a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeSet {
    /// Every node.
    All,
    /// These nodes.
    Only(Vec<NodeId>),
}

impl NodeSet {
    /// Whether `node` is in the set.
    pub fn contains(&self, node: NodeId) -> bool {
        match self {
            NodeSet::All => true,
            NodeSet::Only(ids) => ids.contains(&node),
        }
    }

    /// The listed ids (none for `All`).
    pub fn ids(&self) -> &[NodeId] {
        match self {
            NodeSet::All => &[],
            NodeSet::Only(ids) => ids,
        }
    }

    /// `all`, `n3` or `3 nodes`, for reports.
    pub fn describe(&self) -> String {
        match self {
            NodeSet::All => "all".to_string(),
            NodeSet::Only(ids) if ids.len() <= 3 => ids
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(","),
            NodeSet::Only(ids) => format!("{} nodes", ids.len()),
        }
    }
}

/// The links a network fault applies to: messages from a node in `from` to a node in `to`,
/// and, if `both_ways`, also from `to` to `from`.
///
/// Every link is `from: All, to: All`; a slow node `n` is `from: [n], to: All, both_ways`;
/// the links between two groups are `from: A, to: B, both_ways`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// Senders.
    pub from: NodeSet,
    /// Receivers.
    pub to: NodeSet,
    /// Whether the reverse direction is matched too.
    pub both_ways: bool,
}

impl Links {
    /// Every link.
    pub const ALL: Links = Links {
        from: NodeSet::All,
        to: NodeSet::All,
        both_ways: false,
    };

    /// Every link to or from these nodes.
    pub fn touching(nodes: Vec<NodeId>) -> Links {
        Links {
            from: NodeSet::Only(nodes),
            to: NodeSet::All,
            both_ways: true,
        }
    }

    /// Whether a message from `from` to `to` travels on these links.
    pub fn matches(&self, from: NodeId, to: NodeId) -> bool {
        (self.from.contains(from) && self.to.contains(to))
            || (self.both_ways && self.from.contains(to) && self.to.contains(from))
    }

    /// Every node id named.
    pub fn named_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.from.ids().iter().chain(self.to.ids()).copied()
    }

    /// `all links`, `links n3<->all`, `links 2 nodes->all`.
    pub fn describe(&self) -> String {
        if self.from == NodeSet::All && self.to == NodeSet::All {
            return "all links".to_string();
        }
        let arrow = if self.both_ways { "<->" } else { "->" };
        format!(
            "links {}{arrow}{}",
            self.from.describe(),
            self.to.describe()
        )
    }
}

/// What a network fault does to each message on its links.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkEffect {
    /// Each message is lost with this probability (on top of the base loss).
    Loss(f64),
    /// Messages take this latency instead of the network's base distribution.
    Latency(Latency),
    /// Messages take this much extra time on top of their latency (a slow node, a delay
    /// spike).
    Delay(Latency),
    /// Each message is delivered twice with this probability; the copy draws its own latency.
    Duplicate(f64),
    /// Each message is held back by `delay` with probability `rate`, so that messages sent
    /// after it overtake it.
    Reorder {
        /// The probability a message is held back.
        rate: f64,
        /// How long it is held back.
        delay: SimDuration,
    },
}

impl LinkEffect {
    /// The effect's kind, as written in scenario files (`loss`, `latency`, `delay`,
    /// `duplicate`, `reorder`).
    pub fn kind(&self) -> &'static str {
        match self {
            LinkEffect::Loss(_) => "loss",
            LinkEffect::Latency(_) => "latency",
            LinkEffect::Delay(_) => "delay",
            LinkEffect::Duplicate(_) => "duplicate",
            LinkEffect::Reorder { .. } => "reorder",
        }
    }

    /// Checks the parameters: probabilities in `[0, 1]`, sound latencies. The error names the
    /// sub-field (`rate`, or the latency) and says what is wrong.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let probability = |p: f64| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(("rate", format!("must be a probability in [0, 1], got {p}")))
            }
        };
        match self {
            LinkEffect::Loss(p) | LinkEffect::Duplicate(p) => probability(*p),
            LinkEffect::Reorder { rate, .. } => probability(*rate),
            LinkEffect::Latency(l) | LinkEffect::Delay(l) => l.check().map_err(|e| ("", e)),
        }
    }

    fn describe(&self) -> String {
        match self {
            LinkEffect::Loss(p) => format!("loss {p}"),
            LinkEffect::Latency(l) => format!("latency {l}"),
            LinkEffect::Delay(l) => format!("delay +{l}"),
            LinkEffect::Duplicate(p) => format!("duplicate {p}"),
            LinkEffect::Reorder { rate, delay } => format!("reorder {rate} by {delay}"),
        }
    }
}

/// One network fault: an effect on a set of links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkFault {
    /// Which links.
    pub links: Links,
    /// What happens on them.
    pub effect: LinkEffect,
}

impl LinkFault {
    /// The effect on every link.
    pub fn everywhere(effect: LinkEffect) -> Self {
        LinkFault {
            links: Links::ALL,
            effect,
        }
    }

    /// `loss 0.3 on all links`.
    pub fn describe(&self) -> String {
        format!("{} on {}", self.effect.describe(), self.links.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_match_their_direction() {
        let one_way = Links {
            from: NodeSet::Only(vec![NodeId(1)]),
            to: NodeSet::Only(vec![NodeId(2)]),
            both_ways: false,
        };
        assert!(one_way.matches(NodeId(1), NodeId(2)));
        assert!(!one_way.matches(NodeId(2), NodeId(1)));
        let slow = Links::touching(vec![NodeId(3)]);
        assert!(slow.matches(NodeId(3), NodeId(0)) && slow.matches(NodeId(0), NodeId(3)));
        assert!(!slow.matches(NodeId(0), NodeId(1)));
        assert!(Links::ALL.matches(NodeId(5), NodeId(6)));
    }

    #[test]
    fn probabilities_are_checked() {
        assert!(LinkEffect::Loss(1.5).check().is_err());
        assert!(LinkEffect::Duplicate(0.5).check().is_ok());
        assert_eq!(
            LinkEffect::Reorder {
                rate: -0.1,
                delay: SimDuration::ZERO
            }
            .check()
            .unwrap_err()
            .0,
            "rate"
        );
    }
}
