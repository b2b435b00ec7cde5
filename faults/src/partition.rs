//! Network partitions: which nodes can still talk to which.
//!
//! A [`PartitionSpec`] says how the cluster is cut — halves, majority and minority, isolated
//! nodes, a bridge, a ring of overlapping majorities, groups by ids or by percentages, or a
//! one-way cut — and [`PartitionSpec::connectivity`] turns it into a dense per-node table
//! ([`Connectivity`]) the emulator consults on every send: two small integer loads and a
//! compare, whatever the shape.

use hearsay_protocols::NodeId;
use serde::{Deserialize, Serialize};

/// The side of a partition a node is on; nodes talk only within their group.
pub type GroupId = u16;

/// How to cut the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionSpec {
    /// Nodes `0..n/2` on one side, the rest on the other.
    Halves,
    /// A majority `0..n/2+1` and the minority of the rest (for even `n`, unlike `Halves`, one
    /// side can still form a quorum).
    MajorityMinority,
    /// Each listed node alone, cut off from everyone; the rest stay together.
    Isolate(Vec<NodeId>),
    /// Two halves that only this node, which talks to both, connects.
    Bridge(NodeId),
    /// Jepsen's "majorities ring": nodes on a ring by id, each talking only to the nodes within
    /// a ring distance `r` (the smallest that makes every node see a majority, itself
    /// included). Every node sees a majority, but no two neighbours see the same one.
    Ring,
    /// Contiguous groups of ids by share of the cluster: `[30, 70]` puts the first 30% of
    /// ids in one group and the next 70% in another; ids past the listed shares form one more
    /// group. Each share is a percentage, 0–100, and they add up to at most 100.
    Percentages(Vec<f64>),
    /// Explicit groups of node ids; every node not listed forms one more group together.
    Groups(Vec<Vec<NodeId>>),
    /// An asymmetric cut: messages from `from` to `to` are dropped, while `to` still reaches
    /// `from` (so `from` hears `to`, and `to` does not hear `from`). `to: None` means every
    /// node not in `from`.
    OneWay {
        /// The side whose messages are dropped.
        from: Vec<NodeId>,
        /// The side that no longer hears `from`; `None` for everyone else.
        to: Option<Vec<NodeId>>,
    },
}

/// The group value of a node that talks to everyone (a bridge, or a node healed on its own).
pub const TALKS_TO_ALL: GroupId = GroupId::MAX;

const ONE_WAY_NONE: GroupId = 0;
const ONE_WAY_FROM: GroupId = 1;
const ONE_WAY_TO: GroupId = 2;

/// Who can talk to whom under a partition: a dense table, one entry per node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connectivity {
    rule: Rule,
    group: Vec<GroupId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Same group, or one of the two talks to all.
    SameGroup,
    /// Within ring distance `radius` of `n` ids.
    Ring { n: u32, radius: u32 },
    /// Blocked only from a `ONE_WAY_FROM` node to a `ONE_WAY_TO` node.
    OneWay,
}

impl Connectivity {
    /// Whether a message from `from` to `to` is cut.
    #[inline]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        let (a, b) = (self.group[from.index()], self.group[to.index()]);
        if a == TALKS_TO_ALL || b == TALKS_TO_ALL {
            return false;
        }
        match self.rule {
            Rule::SameGroup => a != b,
            Rule::Ring { n, radius } => {
                let d = from.0.abs_diff(to.0);
                d.min(n - d) > radius
            }
            Rule::OneWay => a == ONE_WAY_FROM && b == ONE_WAY_TO,
        }
    }

    /// Reconnects `node` to everyone while the rest of the partition stays in force.
    pub fn reconnect(&mut self, node: NodeId) {
        if let Some(g) = self.group.get_mut(node.index()) {
            *g = TALKS_TO_ALL;
        }
    }

    /// The group of each node (for `Ring` and one-way cuts, only [`TALKS_TO_ALL`] is
    /// meaningful).
    pub fn groups(&self) -> &[GroupId] {
        &self.group
    }
}

impl PartitionSpec {
    /// The connectivity of this cut over a cluster of `nodes`. Ids outside the cluster are
    /// ignored (schedules reject them before a run).
    pub fn connectivity(&self, nodes: u32) -> Connectivity {
        let n = nodes as usize;
        let same = |group: Vec<GroupId>| Connectivity {
            rule: Rule::SameGroup,
            group,
        };
        let set = |g: &mut [GroupId], ids: &[NodeId], v: GroupId| {
            for id in ids {
                if let Some(slot) = g.get_mut(id.index()) {
                    *slot = v;
                }
            }
        };
        match self {
            PartitionSpec::Halves => {
                same((0..nodes).map(|i| GroupId::from(i >= nodes / 2)).collect())
            }
            PartitionSpec::MajorityMinority => {
                same((0..nodes).map(|i| GroupId::from(i > nodes / 2)).collect())
            }
            PartitionSpec::Isolate(ids) => {
                let mut g = vec![0; n];
                for (k, id) in ids.iter().enumerate() {
                    let v = GroupId::try_from(k + 1).unwrap_or(TALKS_TO_ALL - 1);
                    set(&mut g, std::slice::from_ref(id), v);
                }
                same(g)
            }
            PartitionSpec::Bridge(bridge) => {
                let mut g: Vec<GroupId> =
                    (0..nodes).map(|i| GroupId::from(i >= nodes / 2)).collect();
                set(&mut g, std::slice::from_ref(bridge), TALKS_TO_ALL);
                same(g)
            }
            PartitionSpec::Ring => Connectivity {
                rule: Rule::Ring {
                    n: nodes,
                    radius: ring_radius(nodes),
                },
                group: vec![0; n],
            },
            PartitionSpec::Percentages(shares) => {
                let bounds = percentage_bounds(shares, nodes);
                let rest = GroupId::try_from(shares.len()).unwrap_or(TALKS_TO_ALL - 1);
                let mut g = vec![rest; n];
                let mut start = 0usize;
                for (k, end) in bounds.iter().enumerate() {
                    let v = GroupId::try_from(k).unwrap_or(TALKS_TO_ALL - 1);
                    g[start..*end as usize].fill(v);
                    start = *end as usize;
                }
                same(g)
            }
            PartitionSpec::Groups(groups) => {
                let rest = GroupId::try_from(groups.len()).unwrap_or(TALKS_TO_ALL - 1);
                let mut g = vec![rest; n];
                for (k, members) in groups.iter().enumerate() {
                    let v = GroupId::try_from(k).unwrap_or(TALKS_TO_ALL - 1);
                    set(&mut g, members, v);
                }
                same(g)
            }
            PartitionSpec::OneWay { from, to } => {
                let mut g = vec![
                    if to.is_some() {
                        ONE_WAY_NONE
                    } else {
                        ONE_WAY_TO
                    };
                    n
                ];
                if let Some(to) = to {
                    set(&mut g, to, ONE_WAY_TO);
                }
                set(&mut g, from, ONE_WAY_FROM);
                Connectivity {
                    rule: Rule::OneWay,
                    group: g,
                }
            }
        }
    }

    /// Every node id the spec names (for validation against the cluster size).
    pub fn named_nodes(&self) -> Vec<NodeId> {
        match self {
            PartitionSpec::Isolate(ids) => ids.clone(),
            PartitionSpec::Bridge(b) => vec![*b],
            PartitionSpec::Groups(g) => g.iter().flatten().copied().collect(),
            PartitionSpec::OneWay { from, to } => {
                from.iter().chain(to.iter().flatten()).copied().collect()
            }
            PartitionSpec::Halves
            | PartitionSpec::MajorityMinority
            | PartitionSpec::Ring
            | PartitionSpec::Percentages(_) => Vec::new(),
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        let ids = |l: &[NodeId]| {
            l.iter()
                .map(|n| n.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            PartitionSpec::Halves => "halves".to_string(),
            PartitionSpec::MajorityMinority => "majority-minority".to_string(),
            PartitionSpec::Isolate(l) if l.len() <= 4 => format!("isolate {}", ids(l)),
            PartitionSpec::Isolate(l) => format!("isolate {} nodes", l.len()),
            PartitionSpec::Bridge(b) => format!("bridge {}", b.0),
            PartitionSpec::Ring => "ring".to_string(),
            PartitionSpec::Percentages(p) => format!(
                "{}%",
                p.iter().map(f64::to_string).collect::<Vec<_>>().join("/")
            ),
            PartitionSpec::Groups(g) => format!("{} groups", g.len() + 1),
            PartitionSpec::OneWay { from, to } => format!(
                "one-way {} -/-> {}",
                if from.len() <= 4 {
                    ids(from)
                } else {
                    format!("{} nodes", from.len())
                },
                match to {
                    None => "the rest".to_string(),
                    Some(t) if t.len() <= 4 => ids(t),
                    Some(t) => format!("{} nodes", t.len()),
                }
            ),
        }
    }
}

/// The ring distance within which nodes still talk under [`PartitionSpec::Ring`]: the smallest
/// `r` with `2r + 1 > n/2`, so every node sees a strict majority of `n`.
pub fn ring_radius(nodes: u32) -> u32 {
    (nodes / 2).div_ceil(2)
}

/// The end id (exclusive) of each percentage group over `nodes` ids, rounding cumulative
/// shares to the nearest id so the groups tile the ids without gaps.
fn percentage_bounds(shares: &[f64], nodes: u32) -> Vec<u32> {
    let mut total = 0.0;
    shares
        .iter()
        .map(|p| {
            total += p;
            ((total / 100.0 * f64::from(nodes)).round() as u32).min(nodes)
        })
        .collect()
}

/// `count` node ids out of `0..nodes`, spread evenly over the ids (`⌊(i + ½)·n/count⌋`), so a
/// share of the cluster never falls on one end of it. Used for "crash 30% of the nodes".
pub fn evenly_spread(nodes: u32, count: u32) -> Vec<NodeId> {
    let count = count.min(nodes);
    (0..count)
        .map(|i| {
            let x = (2 * u64::from(i) + 1) * u64::from(nodes) / (2 * u64::from(count));
            NodeId(x as u32)
        })
        .collect()
}

/// How many of `nodes` a percentage is, rounded to the nearest node.
pub fn share_of(nodes: u32, percent: f64) -> u32 {
    ((percent / 100.0) * f64::from(nodes))
        .round()
        .clamp(0.0, f64::from(nodes)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_pairs(spec: &PartitionSpec, n: u32) -> Vec<(u32, u32)> {
        let c = spec.connectivity(n);
        let mut out = Vec::new();
        for a in 0..n {
            for b in 0..n {
                if a != b && c.blocks(NodeId(a), NodeId(b)) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    #[test]
    fn halves_split_at_the_middle() {
        assert_eq!(
            PartitionSpec::Halves.connectivity(5).groups(),
            &[0, 0, 1, 1, 1]
        );
        assert_eq!(
            PartitionSpec::MajorityMinority.connectivity(4).groups(),
            &[0, 0, 0, 1]
        );
    }

    #[test]
    fn unlisted_nodes_form_their_own_group() {
        let spec = PartitionSpec::Groups(vec![vec![NodeId(0), NodeId(3)]]);
        assert_eq!(spec.connectivity(4).groups(), &[0, 1, 1, 0]);
    }

    #[test]
    fn isolated_nodes_are_alone() {
        let spec = PartitionSpec::Isolate(vec![NodeId(1), NodeId(2)]);
        let c = spec.connectivity(4);
        assert!(c.blocks(NodeId(1), NodeId(2)));
        assert!(c.blocks(NodeId(0), NodeId(1)));
        assert!(!c.blocks(NodeId(0), NodeId(3)));
    }

    #[test]
    fn a_bridge_talks_to_both_sides_and_they_not_to_each_other() {
        let c = PartitionSpec::Bridge(NodeId(2)).connectivity(6);
        assert!(!c.blocks(NodeId(0), NodeId(2)) && !c.blocks(NodeId(2), NodeId(5)));
        assert!(c.blocks(NodeId(0), NodeId(5)) && c.blocks(NodeId(4), NodeId(1)));
    }

    #[test]
    fn every_node_of_a_ring_sees_a_majority_and_no_two_the_same() {
        for n in [3u32, 5, 7, 10, 11] {
            let c = PartitionSpec::Ring.connectivity(n);
            let views: Vec<Vec<u32>> = (0..n)
                .map(|a| {
                    (0..n)
                        .filter(|&b| !c.blocks(NodeId(a), NodeId(b)))
                        .collect()
                })
                .collect();
            for v in &views {
                assert!(v.len() as u32 > n / 2, "n={n}: {views:?}");
            }
            if n >= 5 {
                assert_ne!(views[0], views[1], "n={n}");
            }
        }
    }

    #[test]
    fn percentages_tile_the_ids() {
        let c = PartitionSpec::Percentages(vec![30.0, 50.0]).connectivity(10);
        assert_eq!(c.groups(), &[0, 0, 0, 1, 1, 1, 1, 1, 2, 2]);
    }

    #[test]
    fn one_way_cuts_exactly_one_direction() {
        let spec = PartitionSpec::OneWay {
            from: vec![NodeId(0)],
            to: Some(vec![NodeId(1)]),
        };
        assert_eq!(cut_pairs(&spec, 3), vec![(0, 1)]);
        let spec = PartitionSpec::OneWay {
            from: vec![NodeId(0)],
            to: None,
        };
        assert_eq!(cut_pairs(&spec, 3), vec![(0, 1), (0, 2)]);
    }

    #[test]
    fn a_reconnected_node_talks_to_everyone() {
        let mut c = PartitionSpec::Halves.connectivity(4);
        c.reconnect(NodeId(0));
        assert!(!c.blocks(NodeId(0), NodeId(3)) && !c.blocks(NodeId(3), NodeId(0)));
        assert!(c.blocks(NodeId(1), NodeId(3)));
    }

    #[test]
    fn shares_are_spread_over_the_ids() {
        assert_eq!(evenly_spread(10, 3), vec![NodeId(1), NodeId(5), NodeId(8)]);
        assert_eq!(evenly_spread(4, 4).len(), 4);
        assert_eq!(share_of(1000, 30.0), 300);
        assert_eq!(share_of(3, 50.0), 2);
    }
}
