//! Network partitions: which nodes can still talk to which.

use hearsay_protocols::NodeId;
use serde::{Deserialize, Serialize};

/// The side of a partition a node is on; nodes talk only within their group.
pub type GroupId = u16;

/// How to cut the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionSpec {
    /// Nodes `0..n/2` on one side, the rest on the other.
    Halves,
    /// Explicit groups of node ids; every node not listed forms one more group together.
    Groups(Vec<Vec<NodeId>>),
}

impl PartitionSpec {
    /// The group of every node in a cluster of `nodes`, indexed by node id.
    pub fn assign(&self, nodes: u32) -> Vec<GroupId> {
        match self {
            PartitionSpec::Halves => (0..nodes).map(|i| GroupId::from(i >= nodes / 2)).collect(),
            PartitionSpec::Groups(groups) => {
                let rest = GroupId::try_from(groups.len()).unwrap_or(GroupId::MAX);
                let mut g = vec![rest; nodes as usize];
                for (gi, members) in groups.iter().enumerate() {
                    let gi = GroupId::try_from(gi).unwrap_or(GroupId::MAX);
                    for m in members {
                        if let Some(slot) = g.get_mut(m.index()) {
                            *slot = gi;
                        }
                    }
                }
                g
            }
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            PartitionSpec::Halves => "halves".to_string(),
            PartitionSpec::Groups(g) => format!("{} groups", g.len() + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_split_at_the_middle() {
        assert_eq!(PartitionSpec::Halves.assign(5), vec![0, 0, 1, 1, 1]);
    }

    #[test]
    fn unlisted_nodes_form_their_own_group() {
        let spec = PartitionSpec::Groups(vec![vec![NodeId(0), NodeId(3)]]);
        assert_eq!(spec.assign(4), vec![0, 1, 1, 0]);
    }
}
