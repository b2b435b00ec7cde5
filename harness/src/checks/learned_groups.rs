//! The learned records of a history grouped by `(key, version)`: which nodes came to hold each
//! version, and when.
//!
//! A write stream at 10^4 nodes leaves millions of learned records. Grouping them in an ordered
//! map of lists of references cost a tree lookup per record, and reading a list back chased
//! references across the whole history; here the groups are numbered once per distinct update
//! the log numbered (a few hundred, not millions: see `learned_log`), and a counting pass lays
//! every record's node and time out group after group in one array.

use crate::learned_log::LearnedLog;
use hearsay_protocols::{Key, NodeId, SimTime, Version};
use rustc_hash::FxHashMap;

/// A node came to hold a version at a time: one learned record, without what the group says.
///
/// 12 bytes on 4-byte alignment (`packed(4)`) rather than 16: the grouping copies one per
/// learned record (36 MB rather than 48 at 3 million). Fields are read by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
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
    /// Every group's holdings, one group after another, each in history order: one array
    /// filled by a counting pass, where a list per group grew by doubling and copied (at 3
    /// million records, tens of megabytes of copies and as many fresh pages to fault in).
    holdings: Vec<Holding>,
    /// Where each group's holdings start in `holdings` (one more entry than groups).
    starts: Vec<u32>,
    /// The group of each update the log numbered (see `learned_log`): a record's group is its
    /// update's, so the checkers that walk the history record by record look it up here, and
    /// no array of one group per record is kept (12 MB at 3 million records).
    group_of_update: Vec<u32>,
}

impl LearnedGroups {
    /// Groups `learned`, keeping its order within each group.
    pub fn new(learned: &LearnedLog) -> Self {
        let mut groups = LearnedGroups::default();
        // Number the groups, once per distinct update (updates that differ only in their value
        // share a group)...
        groups.group_of_update = learned
            .updates()
            .iter()
            .map(|&(key, version, _)| {
                let next = groups.versions.len() as u32;
                let id = *groups.ids.entry((key, version)).or_insert(next);
                if id == next {
                    groups.versions.push((key, version));
                }
                id
            })
            .collect();
        // ...count each one's records...
        let mut counts = vec![0u32; groups.versions.len()];
        for (_, _, update) in learned.numbered() {
            counts[groups.group_of_update[update as usize] as usize] += 1;
        }
        // ...then lay them out group after group, in history order within each.
        groups.starts = Vec::with_capacity(counts.len() + 1);
        let mut sum = 0u32;
        groups.starts.push(0);
        for c in &counts {
            sum += c;
            groups.starts.push(sum);
        }
        let mut next: Vec<u32> = groups.starts[..counts.len()].to_vec();
        let placeholder = Holding {
            at: SimTime::ZERO,
            node: NodeId(0),
        };
        groups.holdings = vec![placeholder; learned.len()];
        for (at, node, update) in learned.numbered() {
            let slot = &mut next[groups.group_of_update[update as usize] as usize];
            groups.holdings[*slot as usize] = Holding { at, node };
            *slot += 1;
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
        &self.holdings[self.starts[g] as usize..self.starts[g + 1] as usize]
    }

    /// The group of the update the log numbered `update` (see `learned_log`).
    pub fn group_of_update(&self, update: u32) -> u32 {
        self.group_of_update[update as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::LearnedRecord;
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
        let log: LearnedLog = learned.iter().copied().collect();
        let groups = LearnedGroups::new(&log);
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
        for (l, (_, _, update)) in learned.iter().zip(log.numbered()) {
            let g = groups.group_of_update(update);
            assert_eq!(groups.version(g as usize), (l.key, l.version));
        }
        let mut numbered: Vec<(Key, Version)> =
            (0..groups.len()).map(|g| groups.version(g)).collect();
        numbered.sort_unstable();
        assert_eq!(numbered, expected.keys().copied().collect::<Vec<_>>());
        assert!(groups.of(99, version(1, 1)).is_empty());
        assert!(LearnedGroups::new(&LearnedLog::new()).is_empty());
    }
}
