//! The versioned key/value store every node keeps, with an incremental state fingerprint.

use crate::{ConflictRule, Key, MergeOutcome, Versioned};
use smallvec::SmallVec;

/// A node's replica of the key/value store: keys in sorted order, each with its winning version.
///
/// A sorted vector rather than a map: it iterates deterministically, and binary search keeps
/// lookups logarithmic for large stores. The first entry lives inline in the node, so the
/// single-update experiments that dominate large runs touch no heap memory per delivery (a
/// pointer chase to a random heap block per delivery is what bounds the emulator's speed at a
/// million nodes).
///
/// The store maintains a fingerprint of its contents incrementally — a wrapping sum of a strong
/// 64-bit hash of every `(key, value, version)` — so that comparing two replicas, or checking
/// that a whole cluster has converged, costs one integer comparison per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionedStore {
    entries: SmallVec<[(Key, Versioned); 1]>,
    fingerprint: u64,
}

impl VersionedStore {
    /// An empty store.
    pub fn new() -> Self {
        VersionedStore {
            entries: SmallVec::new(),
            fingerprint: 0,
        }
    }

    /// A store holding exactly `entries`, which must be in strictly increasing key order
    /// (`None` otherwise): a bulk load that sizes the vector once and hashes each entry once.
    /// Merging the same entries one by one costs a binary search per entry and leaves the
    /// vector with up to twice the capacity it needs (it grows by doubling), which at 10^4 keys
    /// on 10^4 nodes is gigabytes.
    pub fn from_sorted(entries: Vec<(Key, Versioned)>) -> Option<Self> {
        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            return None;
        }
        let fingerprint = entries
            .iter()
            .fold(0u64, |sum, (k, v)| sum.wrapping_add(entry_hash(*k, v)));
        Some(VersionedStore {
            entries: SmallVec::from_vec(entries),
            fingerprint,
        })
    }

    /// Takes `initial` as this replica's starting contents: a copy when the store is empty
    /// (its vector sized exactly, its fingerprint reused), otherwise a merge of every entry
    /// under `rule`. Nothing is observed: this is the state a node had before the run, not an
    /// update (see `Node::preload`).
    pub fn preload(&mut self, initial: &VersionedStore, rule: ConflictRule) {
        if self.is_empty() {
            self.entries = SmallVec::from_slice(initial.entries());
            self.fingerprint = initial.fingerprint;
        } else {
            for &(key, v) in initial.entries() {
                self.merge(key, v, rule);
            }
        }
    }

    /// The number of keys held.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no key is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fingerprint of the contents: equal stores have equal fingerprints, and unequal ones
    /// differ except with probability about 2^-64.
    #[inline]
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The entry for `key`, if any.
    #[inline]
    pub fn get(&self, key: Key) -> Option<&Versioned> {
        let entries = self.entries.as_slice();
        position(entries, key).ok().map(|i| &entries[i].1)
    }

    /// All entries in key order.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Key, &Versioned)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// All entries as a slice, in key order.
    #[inline]
    pub fn entries(&self) -> &[(Key, Versioned)] {
        &self.entries
    }

    /// Merges one incoming entry under `rule`.
    #[inline]
    pub fn merge(&mut self, key: Key, incoming: Versioned, rule: ConflictRule) -> MergeOutcome {
        self.merge_with(key, incoming, |a, b| rule.prefers(a, b))
    }

    /// Merges one incoming entry, replacing the held one when `prefers(incoming, held)`.
    /// (For protocols whose rule is not a [`ConflictRule`] — including broken ones.)
    #[inline(always)]
    pub fn merge_with(
        &mut self,
        key: Key,
        incoming: Versioned,
        prefers: impl Fn(crate::Version, crate::Version) -> bool,
    ) -> MergeOutcome {
        let entries = self.entries.as_mut_slice();
        match position(entries, key) {
            Ok(i) => {
                let held = &mut entries[i].1;
                let current = *held;
                if current.version == incoming.version {
                    MergeOutcome::AlreadyKnown
                } else if prefers(incoming.version, current.version) {
                    *held = incoming;
                    self.fingerprint = self
                        .fingerprint
                        .wrapping_sub(entry_hash(key, &current))
                        .wrapping_add(entry_hash(key, &incoming));
                    MergeOutcome::Applied
                } else {
                    MergeOutcome::Superseded
                }
            }
            Err(i) => {
                self.fingerprint = self.fingerprint.wrapping_add(entry_hash(key, &incoming));
                self.entries.insert(i, (key, incoming));
                MergeOutcome::Applied
            }
        }
    }

    /// Whether this store would change by merging `incoming` for `key` under `rule`.
    #[inline]
    pub fn would_apply(&self, key: Key, incoming: &Versioned, rule: ConflictRule) -> bool {
        match self.get(key) {
            None => true,
            Some(current) => {
                current.version != incoming.version
                    && rule.prefers(incoming.version, current.version)
            }
        }
    }

    /// Empties the store (a node that lost its disk).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.fingerprint = 0;
    }
}

/// Where `key` is in `entries` (sorted by key), or where it would go. A store with one entry
/// (a single update, most of a large run's stores) is answered without a search loop.
///
/// Key spaces are mostly dense from 0 (workloads and preloads number their keys `0..n`), so a
/// store that holds every key up to `key` holds it at index `key`: one look there answers most
/// lookups once a replica is full, where the binary search took log2(n) dependent steps (7 at
/// 100 keys, 14 at 10^4).
#[inline(always)]
fn position(entries: &[(Key, Versioned)], key: Key) -> Result<usize, usize> {
    match entries {
        [] => Err(0),
        [(k, _)] => {
            if *k == key {
                Ok(0)
            } else {
                Err(usize::from(*k < key))
            }
        }
        _ => match usize::try_from(key).ok().and_then(|i| entries.get(i)) {
            Some((k, _)) if *k == key => Ok(key as usize),
            _ => entries.binary_search_by_key(&key, |(k, _)| *k),
        },
    }
}

/// A strong 64-bit hash of one entry (the finaliser of SplitMix64 over the fields), so that the
/// sum over entries does not cancel for structured keys and versions.
#[inline]
pub fn entry_hash(key: Key, v: &Versioned) -> u64 {
    let mut h = mix(key ^ 0x9E37_79B9_7F4A_7C15);
    h = mix(h ^ v.value);
    h = mix(h ^ v.version.stamp);
    mix(h ^ u64::from(v.version.writer.0))
}

/// A strong 64-bit hash of a key alone, independent of [`entry_hash`]: where a key falls in a
/// hash-partitioned key space (Merkle buckets), evenly even for small, dense keys.
#[inline]
pub(crate) fn key_hash(key: Key) -> u64 {
    mix(mix(key ^ 0xD1B5_4A32_D192_ED03))
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NodeId, Version};

    fn v(value: u64, stamp: u64, writer: u32) -> Versioned {
        Versioned {
            value,
            version: Version {
                stamp,
                writer: NodeId(writer),
            },
        }
    }

    #[test]
    fn last_write_wins_keeps_the_highest_version_and_breaks_ties_by_writer() {
        let mut s = VersionedStore::new();
        assert_eq!(
            s.merge(1, v(10, 5, 0), ConflictRule::LastWriteWins),
            MergeOutcome::Applied
        );
        assert_eq!(
            s.merge(1, v(11, 4, 9), ConflictRule::LastWriteWins),
            MergeOutcome::Superseded
        );
        assert_eq!(
            s.merge(1, v(12, 5, 1), ConflictRule::LastWriteWins),
            MergeOutcome::Applied
        );
        assert_eq!(
            s.merge(1, v(12, 5, 1), ConflictRule::LastWriteWins),
            MergeOutcome::AlreadyKnown
        );
        assert_eq!(s.get(1).unwrap().value, 12);
    }

    /// The look at index `key` must agree with a binary search for every key held and not
    /// held, in dense stores (where it answers) and sparse ones (where it must not).
    #[test]
    fn position_agrees_with_a_binary_search_for_dense_and_sparse_keys() {
        let layouts: [&[Key]; 5] = [
            &[0, 1, 2, 3, 4, 5, 6, 7],
            &[0, 2, 5, 7, 9],
            &[1, 2, 3, 4],
            &[3, 4, 5, 6, 100],
            &[0, 1, 2, 4, u64::MAX],
        ];
        for keys in layouts {
            let entries: Vec<(Key, Versioned)> = keys.iter().map(|&k| (k, v(k, 1, 0))).collect();
            for probe in (0..12).chain([99, 100, 101, u64::MAX - 1, u64::MAX]) {
                assert_eq!(
                    position(&entries, probe),
                    entries.binary_search_by_key(&probe, |(k, _)| *k),
                    "key {probe} in {keys:?}"
                );
            }
        }
    }

    #[test]
    fn first_write_wins_keeps_the_lowest_version() {
        let mut s = VersionedStore::new();
        s.merge(1, v(10, 5, 0), ConflictRule::FirstWriteWins);
        assert_eq!(
            s.merge(1, v(11, 6, 0), ConflictRule::FirstWriteWins),
            MergeOutcome::Superseded
        );
        assert_eq!(
            s.merge(1, v(12, 3, 0), ConflictRule::FirstWriteWins),
            MergeOutcome::Applied
        );
        assert_eq!(s.get(1).unwrap().value, 12);
    }

    #[test]
    fn fingerprint_depends_on_contents_not_on_merge_order() {
        let updates = [
            (3, v(1, 1, 0)),
            (1, v(2, 2, 1)),
            (3, v(3, 4, 2)),
            (2, v(4, 1, 3)),
        ];
        let mut a = VersionedStore::new();
        for (k, u) in updates {
            a.merge(k, u, ConflictRule::LastWriteWins);
        }
        let mut b = VersionedStore::new();
        for (k, u) in updates.iter().rev() {
            b.merge(*k, *u, ConflictRule::LastWriteWins);
        }
        assert_eq!(a, b);
        assert_eq!(a.fingerprint(), b.fingerprint());
        let keys: Vec<_> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![1, 2, 3]);
        b.merge(2, v(5, 9, 3), ConflictRule::LastWriteWins);
        assert_ne!(a.fingerprint(), b.fingerprint());
        b.clear();
        assert_eq!(b.fingerprint(), VersionedStore::new().fingerprint());
    }

    #[test]
    fn a_bulk_load_equals_merging_one_by_one_and_wastes_no_capacity() {
        let entries: Vec<(Key, Versioned)> = (0..1000).map(|k| (k * 3, v(k, 7, 1))).collect();
        let mut merged = VersionedStore::new();
        for &(k, e) in &entries {
            merged.merge(k, e, ConflictRule::LastWriteWins);
        }
        let bulk = VersionedStore::from_sorted(entries.clone()).unwrap();
        assert_eq!(bulk, merged);
        assert_eq!(bulk.fingerprint(), merged.fingerprint());
        assert_eq!(bulk.entries.capacity(), 1000);
        assert!(
            merged.entries.capacity() > 1000,
            "merging grows by doubling"
        );
        let mut preloaded = VersionedStore::new();
        preloaded.preload(&bulk, ConflictRule::LastWriteWins);
        assert_eq!(preloaded, bulk);
        assert_eq!(preloaded.entries.capacity(), 1000);
    }

    #[test]
    fn a_bulk_load_refuses_unsorted_or_repeated_keys() {
        assert!(VersionedStore::from_sorted(vec![(2, v(1, 1, 0)), (1, v(1, 1, 0))]).is_none());
        assert!(VersionedStore::from_sorted(vec![(1, v(1, 1, 0)), (1, v(2, 2, 0))]).is_none());
        assert_eq!(
            VersionedStore::from_sorted(Vec::new()).unwrap(),
            VersionedStore::new()
        );
    }

    #[test]
    fn preloading_a_store_that_holds_something_merges_under_the_rule() {
        let initial =
            VersionedStore::from_sorted(vec![(1, v(10, 1, 0)), (2, v(20, 1, 0))]).unwrap();
        let mut s = VersionedStore::new();
        s.merge(1, v(99, 5, 3), ConflictRule::LastWriteWins);
        s.preload(&initial, ConflictRule::LastWriteWins);
        assert_eq!(
            s.get(1).unwrap().value,
            99,
            "the newer version it held stays"
        );
        assert_eq!(s.get(2).unwrap().value, 20);
        let mut expected = VersionedStore::new();
        expected.merge(1, v(99, 5, 3), ConflictRule::LastWriteWins);
        expected.merge(2, v(20, 1, 0), ConflictRule::LastWriteWins);
        assert_eq!(s.fingerprint(), expected.fingerprint());
    }
}
