//! The learned records of a history grouped by `(key, version)`: which nodes came to hold each
//! version, and when.
//!
//! A write stream at 10^4 nodes leaves millions of learned records. Grouping them in an ordered
//! map of lists of references cost a tree lookup per record, and reading a list back chased
//! references across the whole history; here one pass with a hashed lookup (and a one-entry
//! cache for runs of the same version) copies each record's node and time into its group's list.

use crate::history::LearnedRecord;
use hearsay_protocols::{Key, NodeId, SimTime, Version};
use rustc_hash::FxHashMap;

/// A node came to hold a version at a time: one learned record, without what the group says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    /// When.
    pub at: SimTime,
    /// Which node.
    pub node: NodeId,
}

/// Learned records grouped by `(key, version)`. Groups are numbered in order of first
/// appearance in the history; nothing that reaches a report depends on that numbering.
#[derive(Clone, Debug, Default)]
pub struct LearnedGroups {
    /// The group of each `(key, version)` learned.
    ids: FxHashMap<(Key, Version), u32>,
    /// The `(key, version)` of each group.
    versions: Vec<(Key, Version)>,
    /// The holdings of each group, in history order.
    holdings: Vec<Vec<Holding>>,
    /// The group of each learned record, aligned with the history's `learned`: the checkers
    /// that walk the history record by record look the version up once here, not per check.
    group_of: Vec<u32>,
}

impl LearnedGroups {
    /// Groups `learned`, keeping its order within each group.
    pub fn new(learned: &[LearnedRecord]) -> Self {
        let mut groups = LearnedGroups {
            group_of: Vec::with_capacity(learned.len()),
            ..LearnedGroups::default()
        };
        let mut last: Option<((Key, Version), u32)> = None;
        for l in learned {
            let kv = (l.key, l.version);
            let id = match last {
                Some((prev, id)) if prev == kv => id,
                _ => {
                    let next = groups.versions.len() as u32;
                    let id = *groups.ids.entry(kv).or_insert(next);
                    if id == next {
                        groups.versions.push(kv);
                        groups.holdings.push(Vec::new());
                    }
                    last = Some((kv, id));
                    id
                }
            };
            groups.group_of.push(id);
            groups.holdings[id as usize].push(Holding {
                at: l.at,
                node: l.node,
            });
        }
        groups
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// True if nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Who learned `(key, version)` and when, in history order (empty if nobody did).
    pub fn of(&self, key: Key, version: Version) -> &[Holding] {
        self.ids
            .get(&(key, version))
            .map_or(&[], |&g| self.holdings(g as usize))
    }

    /// The `(key, version)` of group `g`.
    pub fn version(&self, g: usize) -> (Key, Version) {
        self.versions[g]
    }

    /// The holdings of group `g`, in history order.
    pub fn holdings(&self, g: usize) -> &[Holding] {
        &self.holdings[g]
    }

    /// The group of every learned record, aligned with the history's `learned`.
    pub fn group_of_each(&self) -> &[u32] {
        &self.group_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn version(stamp: u64, writer: u32) -> Version {
        Version {
            stamp,
            writer: NodeId(writer),
        }
    }

    /// Against the obvious map of lists, on an interleaved history with repeats: the same
    /// groups, the same members in the same order, and
    /// each record's group right.
    #[test]
    fn groups_match_a_map_of_lists() {
        let mut learned = Vec::new();
        let mut state = 7u64;
        for i in 0..5_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = state >> 33;
            learned.push(LearnedRecord {
                at: SimTime(i * 10),
                node: NodeId((r % 37) as u32),
                key: (r >> 8) % 5,
                version: version((r >> 16) % 4, ((r >> 20) % 3) as u32),
                value: i,
            });
        }
        let groups = LearnedGroups::new(&learned);
        let mut expected: BTreeMap<(Key, Version), Vec<Holding>> = BTreeMap::new();
        for l in &learned {
            expected
                .entry((l.key, l.version))
                .or_default()
                .push(Holding {
                    at: l.at,
                    node: l.node,
                });
        }
        assert_eq!(groups.len(), expected.len());
        for (kv, list) in &expected {
            assert_eq!(groups.of(kv.0, kv.1), list.as_slice());
        }
        for (l, &g) in learned.iter().zip(groups.group_of_each()) {
            assert_eq!(groups.version(g as usize), (l.key, l.version));
        }
        let mut numbered: Vec<(Key, Version)> =
            (0..groups.len()).map(|g| groups.version(g)).collect();
        numbered.sort_unstable();
        assert_eq!(numbered, expected.keys().copied().collect::<Vec<_>>());
        assert!(groups.of(99, version(1, 1)).is_empty());
        assert!(LearnedGroups::new(&[]).is_empty());
    }
}
