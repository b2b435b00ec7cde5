//! The Merkle tree a node keeps over a large replica, carried along change by change instead of
//! rebuilt, with an index from leaf bucket to the keys in it.
//!
//! Merkle reconciliation is meant to cost what differs, not what is held, yet a tree rebuilt
//! from the whole replica after every merge, and a bucket answered by hashing every key, cost a
//! pass over the replica per change and per exchange. Because a node's hash is the wrapping sum
//! of the entry hashes beneath it, a change of one entry moves the `depth + 1` nodes on its path
//! by the same difference, the same difference it moves the store's fingerprint by; a new key
//! also takes a place in the bucket index. So a change costs O(depth), plus a pass over the index
//! when a key is new (the store itself moves its entries on an insert too).
//!
//! The store is shared: a merge by the rumor layer, a preload or a client write the engine did
//! not make can change it behind the tree's back. The tree therefore records the store state it
//! describes (fingerprint and number of keys) and is used only while the store is still in that
//! state; a change it is told about is applied only if it started from that state and ends in
//! the store's present one, otherwise the tree is rebuilt at its next use. A stale tree is never
//! read (as with every fingerprint comparison here, up to a 2^-64 collision).
//!
//! Replicas of at most [`TREE_MIN_KEYS`] keys keep no tree: their few hashes are summed when
//! asked for, so a million one-key nodes do not carry a million trees.

use crate::store::{entry_hash, key_hash};
use crate::{Key, VersionedStore};

/// Children per inner node.
pub(super) const BRANCHING: usize = 16;
const BITS_PER_LEVEL: u32 = 4;

/// The largest replica that keeps no tree. Summing its hashes on demand touches a few dozen
/// entries per message, which is cheaper than keeping (and allocating) thousands of tree nodes.
pub(super) const TREE_MIN_KEYS: usize = 64;

/// Index of the first node of `level` in the flattened tree.
pub(super) fn offset(level: u8) -> usize {
    ((1usize << (BITS_PER_LEVEL * u32::from(level))) - 1) / (BRANCHING - 1)
}

/// Nodes at `level`.
pub(super) fn width(level: u8) -> u32 {
    1 << (BITS_PER_LEVEL * u32::from(level))
}

/// The node at `level` whose subtree holds `key`: the top `4 × level` bits of its hash, so the
/// leaf bucket at `depth` is `prefix(key, depth)` and a node's parent is its index over 16.
#[inline]
pub(super) fn prefix(key: Key, level: u8) -> u32 {
    if level == 0 {
        return 0;
    }
    (key_hash(key) >> (64 - BITS_PER_LEVEL * u32::from(level))) as u32
}

/// One changed key the tree must follow.
#[derive(Clone, Copy, Debug)]
pub(super) struct Change {
    /// The key.
    pub key: Key,
    /// New entry hash minus old (the old one 0 for a new key), wrapping.
    pub delta: u64,
    /// Whether the store did not hold the key before.
    pub inserted: bool,
}

/// A node's Merkle tree of one store state, and its keys by leaf bucket.
#[derive(Clone, Debug)]
pub(crate) struct MerkleTree {
    depth: u8,
    /// The store state `(fingerprint, keys)` the tree describes; `None` once a change could not
    /// be followed.
    synced: Option<(u64, usize)>,
    /// Node hashes, level by level from the root.
    nodes: Vec<u64>,
    /// Positions in the store's entries, grouped by leaf bucket in bucket order and ascending
    /// within one; positions rather than keys to halve what a large replica carries.
    by_bucket: Vec<u32>,
    /// Where each leaf bucket's run starts in `by_bucket`, and its end: bucket `b` is
    /// `starts[b]..starts[b + 1]`. Half the size of the tree's leaf level; a binary search over
    /// `by_bucket` instead would save it but costs a cache miss into the store per probe.
    starts: Vec<u32>,
}

impl MerkleTree {
    /// The tree of `store` with `depth` levels below the root.
    pub(super) fn build(store: &VersionedStore, depth: u8) -> Self {
        let mut tree = MerkleTree {
            depth,
            synced: None,
            nodes: Vec::new(),
            by_bucket: Vec::new(),
            starts: Vec::new(),
        };
        tree.rebuild(store, depth);
        tree
    }

    /// Rebuilds from scratch, reusing the allocations: one pass over the replica.
    pub(super) fn rebuild(&mut self, store: &VersionedStore, depth: u8) {
        self.depth = depth;
        let leaves = offset(depth);
        self.nodes.clear();
        self.nodes.resize(offset(depth + 1), 0);
        // A counting sort by bucket keeps positions ascending within a bucket at O(n + buckets).
        let mut buckets = Vec::with_capacity(store.len());
        let starts = &mut self.starts;
        starts.clear();
        starts.resize(width(depth) as usize + 1, 0);
        for (key, v) in store.iter() {
            let b = prefix(key, depth) as usize;
            buckets.push(b as u32);
            starts[b + 1] += 1;
            self.nodes[leaves + b] = self.nodes[leaves + b].wrapping_add(entry_hash(key, v));
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        self.by_bucket.clear();
        self.by_bucket.resize(store.len(), 0);
        // Fills each run from its start, advancing a copy of the starts.
        let mut next = starts[..starts.len() - 1].to_vec();
        for (pos, &b) in buckets.iter().enumerate() {
            let slot = &mut next[b as usize];
            self.by_bucket[*slot as usize] = pos as u32;
            *slot += 1;
        }
        for level in (0..depth).rev() {
            for i in 0..width(level) as usize {
                let first = offset(level + 1) + i * BRANCHING;
                let sum = self.nodes[first..first + BRANCHING]
                    .iter()
                    .fold(0u64, |a, h| a.wrapping_add(*h));
                self.nodes[offset(level) + i] = sum;
            }
        }
        self.synced = Some((store.fingerprint(), store.len()));
    }

    /// Marks the tree stale, to be rebuilt at its next use.
    pub(super) fn invalidate(&mut self) {
        self.synced = None;
    }

    /// Whether the tree has `depth` levels and describes the store as it is now.
    pub(super) fn describes(&self, store: &VersionedStore, depth: u8) -> bool {
        self.depth == depth && self.in_step(store)
    }

    /// Whether the tree describes the store as it is now.
    pub(super) fn in_step(&self, store: &VersionedStore) -> bool {
        self.synced == Some((store.fingerprint(), store.len()))
    }

    /// The hashes of the nodes at `level`.
    pub(super) fn level(&self, level: u8) -> &[u64] {
        &self.nodes[offset(level)..offset(level + 1)]
    }

    /// The whole tree, flattened level by level.
    #[cfg(test)]
    pub(super) fn nodes(&self) -> &[u64] {
        &self.nodes
    }

    /// The positions in the store of the keys in leaf bucket `b`, ascending (none for a `b`
    /// beyond the leaves).
    pub(super) fn bucket(&self, b: u32) -> &[u32] {
        match self.starts.get(b as usize..b as usize + 2) {
            Some(&[lo, hi]) => &self.by_bucket[lo as usize..hi as usize],
            _ => &[],
        }
    }

    /// Carries the tree from store state `before` (fingerprint, keys) to the store's present
    /// one, given every key that changed in between. If the tree did not describe `before`, or
    /// the changes do not add up to the present state (something else changed too), the tree
    /// is left to be rebuilt at its next use.
    pub(super) fn follow(
        &mut self,
        store: &VersionedStore,
        before: (u64, usize),
        changes: &[Change],
    ) {
        if self.synced != Some(before) {
            return;
        }
        let after = changes.iter().fold(before, |(fp, len), c| {
            (fp.wrapping_add(c.delta), len + usize::from(c.inserted))
        });
        self.synced = None;
        if after != (store.fingerprint(), store.len()) || after.1 > u32::MAX as usize {
            return;
        }
        let mut new: smallvec::SmallVec<[u32; 4]> = smallvec::SmallVec::new();
        for c in changes.iter().filter(|c| c.inserted) {
            match store.entries().binary_search_by_key(&c.key, |(k, _)| *k) {
                Ok(p) => new.push(p as u32),
                Err(_) => return,
            }
        }
        if !new.is_empty() {
            new.sort_unstable();
            self.shift_for(&new);
            for &p in &new {
                let b = prefix(store.entries()[p as usize].0, self.depth) as usize;
                let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
                let at = lo + self.by_bucket[lo..hi].partition_point(|&q| q < p);
                self.by_bucket.insert(at, p);
                for s in &mut self.starts[b + 1..] {
                    *s += 1;
                }
            }
        }
        for c in changes {
            let leaf = prefix(c.key, self.depth);
            for level in 0..=self.depth {
                let i = offset(level)
                    + (leaf >> (BITS_PER_LEVEL * u32::from(self.depth - level))) as usize;
                self.nodes[i] = self.nodes[i].wrapping_add(c.delta);
            }
        }
        self.synced = Some(after);
    }

    /// Moves the indexed positions past the keys newly inserted at `new` (positions in the
    /// store as it is now, ascending): a key that held position `o` is now preceded by every
    /// new key `i` that has at most `o` old keys before it, that is `new[i] - i <= o`.
    fn shift_for(&mut self, new: &[u32]) {
        if let [p] = new {
            for q in &mut self.by_bucket {
                *q += u32::from(*q >= *p);
            }
            return;
        }
        let old_before: smallvec::SmallVec<[u32; 4]> =
            new.iter().enumerate().map(|(i, &p)| p - i as u32).collect();
        for q in &mut self.by_bucket {
            *q += old_before.partition_point(|&o| o <= *q) as u32;
        }
    }
}
