//! What can go wrong: one fault action, and a fault at a point in time.
//!
//! Every action either starts something (a partition, a crash, a network fault, a skew…) or
//! ends something ([`FaultAction::is_end`]: a heal, a restart, a resume, the end of a network
//! fault). A fault written with a duration is the starting action followed by its
//! [`FaultAction::undo`] — which is how `for: 5s` in a scenario file, the builder's `fault_for`
//! and the nemesis all schedule the end of a fault.

use crate::{Capacity, ClockSkew, LinkFault, NodeSet, PartitionSpec};
use hearsay_protocols::{NodeId, SimTime};
use serde::{Deserialize, Serialize};

/// One thing that happens to the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultAction {
    /// Cut the network. Only one partition is in force at a time: heal it before cutting
    /// again.
    Partition(PartitionSpec),
    /// Remove the partition in force.
    Heal,
    /// Reconnect these nodes to everyone; the rest of the partition stays in force.
    HealNodes {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// End every network fault (loss, latency, delay, duplication, reordering) in force.
    HealNetwork,
    /// Remove the partition and end every network fault in force.
    HealAll,
    /// Stop these nodes: they receive nothing and fire no timers until restarted.
    Crash {
        /// The nodes.
        nodes: Vec<NodeId>,
        /// Whether their state is lost (disk wiped) or kept (process restart).
        lose_state: bool,
    },
    /// Start these crashed nodes again.
    Restart {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Freeze these nodes (a stop-the-world pause): what arrives for them — messages, timers,
    /// client requests — waits, and is handed to them in its original order on resume.
    Pause {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Unfreeze these paused nodes.
    Resume {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// These nodes join the cluster as fresh processes with empty state, and must catch up.
    /// A node whose first lifecycle event is a join is absent from the start of the run.
    Join {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// These nodes leave the cluster for good.
    Leave {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Start a network fault on some links.
    Network(LinkFault),
    /// End a network fault that is in force (the one equal to this).
    NetworkEnd(LinkFault),
    /// Set these nodes' clocks off the true time.
    Skew {
        /// The nodes.
        nodes: Vec<NodeId>,
        /// By how much.
        skew: ClockSkew,
    },
    /// Put these nodes' clocks right again.
    SkewEnd {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
    /// Bound these nodes' inbound processing.
    Capacity {
        /// The nodes.
        nodes: NodeSet,
        /// The service model.
        capacity: Capacity,
    },
    /// Lift the capacity bound of these nodes.
    CapacityEnd {
        /// The nodes.
        nodes: NodeSet,
    },
}

impl FaultAction {
    /// The action that ends this one, for faults that last (`None` for actions that end
    /// something themselves, and for joins and leaves).
    pub fn undo(&self) -> Option<FaultAction> {
        Some(match self {
            FaultAction::Partition(_) => FaultAction::Heal,
            FaultAction::Crash { nodes, .. } => FaultAction::Restart {
                nodes: nodes.clone(),
            },
            FaultAction::Pause { nodes } => FaultAction::Resume {
                nodes: nodes.clone(),
            },
            FaultAction::Network(f) => FaultAction::NetworkEnd(f.clone()),
            FaultAction::Skew { nodes, .. } => FaultAction::SkewEnd {
                nodes: nodes.clone(),
            },
            FaultAction::Capacity { nodes, .. } => FaultAction::CapacityEnd {
                nodes: nodes.clone(),
            },
            FaultAction::Heal
            | FaultAction::HealNodes { .. }
            | FaultAction::HealNetwork
            | FaultAction::HealAll
            | FaultAction::Restart { .. }
            | FaultAction::Resume { .. }
            | FaultAction::Join { .. }
            | FaultAction::Leave { .. }
            | FaultAction::NetworkEnd(_)
            | FaultAction::SkewEnd { .. }
            | FaultAction::CapacityEnd { .. } => return None,
        })
    }

    /// Whether this action ends a fault (a heal, restart, resume or end). At the same instant,
    /// ends take effect before starts, so "heal at 5s, partition again at 5s" is valid.
    /// Reconnecting single nodes ([`FaultAction::HealNodes`]) ends nothing: the partition stays.
    pub fn is_end(&self) -> bool {
        matches!(
            self,
            FaultAction::Heal
                | FaultAction::HealNetwork
                | FaultAction::HealAll
                | FaultAction::Restart { .. }
                | FaultAction::Resume { .. }
                | FaultAction::NetworkEnd(_)
                | FaultAction::SkewEnd { .. }
                | FaultAction::CapacityEnd { .. }
        )
    }

    /// The nodes whose process this action starts, stops, freezes or removes.
    pub fn lifecycle_nodes(&self) -> &[NodeId] {
        match self {
            FaultAction::Crash { nodes, .. }
            | FaultAction::Restart { nodes }
            | FaultAction::Pause { nodes }
            | FaultAction::Resume { nodes }
            | FaultAction::Join { nodes }
            | FaultAction::Leave { nodes } => nodes,
            _ => &[],
        }
    }

    /// A short description for traces, windows and reports, e.g. `partition halves`,
    /// `crash n3 (state lost)`, `loss 0.3 on all links`.
    pub fn describe(&self) -> String {
        let nodes = |verb: &str, l: &[NodeId]| match l {
            [one] => format!("{verb} {one}"),
            many if many.len() <= 3 => format!(
                "{verb} {}",
                many.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            many => format!("{verb} {} nodes", many.len()),
        };
        match self {
            FaultAction::Partition(spec) => format!("partition {}", spec.describe()),
            FaultAction::Heal => "heal partition".to_string(),
            FaultAction::HealNodes { nodes: l } => nodes("heal", l),
            FaultAction::HealNetwork => "heal network".to_string(),
            FaultAction::HealAll => "heal all".to_string(),
            FaultAction::Crash {
                nodes: l,
                lose_state,
            } => format!(
                "{} ({})",
                nodes("crash", l),
                if *lose_state {
                    "state lost"
                } else {
                    "state kept"
                }
            ),
            FaultAction::Restart { nodes: l } => nodes("restart", l),
            FaultAction::Pause { nodes: l } => nodes("pause", l),
            FaultAction::Resume { nodes: l } => nodes("resume", l),
            FaultAction::Join { nodes: l } => nodes("join", l),
            FaultAction::Leave { nodes: l } => nodes("leave", l),
            FaultAction::Network(f) => f.describe(),
            FaultAction::NetworkEnd(f) => format!("end {}", f.describe()),
            FaultAction::Skew { nodes: l, skew } => format!("{} {skew}", nodes("skew", l)),
            FaultAction::SkewEnd { nodes: l } => nodes("unskew", l),
            FaultAction::Capacity { nodes, capacity } => {
                format!("capacity {capacity} on {}", nodes.describe())
            }
            FaultAction::CapacityEnd { nodes } => format!("end capacity on {}", nodes.describe()),
        }
    }
}

/// A fault at a point in simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedFault {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub action: FaultAction,
}
