//! Merkle-tree reconciliation over the key space: only the buckets under differing subtrees
//! travel.
//!
//! Keys are hashed into `16^depth` leaf buckets. A leaf's hash is the wrapping sum of the
//! entry hashes in its bucket, an inner node's the sum of its 16 children, so the root is the
//! store's fingerprint and the tree is cheap to rebuild; a node rebuilds it only when its replica
//! changed. Sums of strong 64-bit entry hashes differ for different contents except with
//! probability about 2^-64.
//!
//! The initiator sends the root hash. Whoever receives a level compares it with its own tree
//! and answers with the children of the nodes that differ, one level further down, the two
//! sides alternating; a match at the root counts `ae-in-sync` and ends the exchange. At the
//! leaves the side that found differing buckets sends its entries in them if its role lets it
//! send data (the initiator in push and push-pull, the peer in pull and push-pull), asking for
//! the other side's differing entries in the same buckets if that side may send. An exchange
//! costs `depth + 1` hash messages plus one or two bucket messages, whose size depends on how
//! much differs rather than on the size of the replica.
//!
//! With an MTU a level or bucket list longer than fits is cut; the rest waits for a later
//! exchange (counted in `mtu-deferred` with the entries that waited).

use super::{
    AntiEntropyEngine, AntiEntropyMessage, BUCKETS_FIXED, DEFAULT_MERKLE_DEPTH, LEVEL_FIXED,
    MAX_MERKLE_DEPTH, MERKLE_NODE_WIRE_BYTES, Reconciliation,
};
use crate::flow_control::capacity;
use crate::store::{entry_hash, key_hash};
use crate::{
    Context, Entries, HEADER_WIRE_BYTES, Key, NodeId, Observation, PeerSampler, Versioned,
    VersionedStore, uniform_below,
};

const BRANCHING: u32 = 16;
const BITS_PER_LEVEL: u32 = 4;

/// A node's Merkle tree, rebuilt only when its replica changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct TreeCache {
    built_for: Option<(u64, usize, u8)>,
    nodes: Vec<u64>,
}

/// Index of the first node of `level` in the flattened tree.
fn offset(level: u8) -> usize {
    ((1usize << (BITS_PER_LEVEL * u32::from(level))) - 1) / (BRANCHING as usize - 1)
}

/// Nodes at `level`.
fn width(level: u8) -> u32 {
    1 << (BITS_PER_LEVEL * u32::from(level))
}

/// The leaf bucket of `key` in a tree of `depth` levels.
pub fn bucket_of(key: Key, depth: u8) -> u32 {
    if depth == 0 {
        return 0;
    }
    (key_hash(key) >> (64 - BITS_PER_LEVEL * u32::from(depth))) as u32
}

impl TreeCache {
    /// The tree of `store` with `depth` levels below the root, flattened level by level.
    fn get(&mut self, store: &VersionedStore, depth: u8) -> &[u64] {
        let id = (store.fingerprint(), store.len(), depth);
        if self.built_for != Some(id) {
            self.nodes.clear();
            self.nodes.resize(offset(depth + 1), 0);
            let leaves = offset(depth);
            for (key, v) in store.iter() {
                let i = leaves + bucket_of(key, depth) as usize;
                self.nodes[i] = self.nodes[i].wrapping_add(entry_hash(key, v));
            }
            for level in (0..depth).rev() {
                for i in 0..width(level) as usize {
                    let first = offset(level + 1) + i * BRANCHING as usize;
                    let sum = self.nodes[first..first + BRANCHING as usize]
                        .iter()
                        .fold(0u64, |a, h| a.wrapping_add(*h));
                    self.nodes[offset(level) + i] = sum;
                }
            }
            self.built_for = Some(id);
        }
        &self.nodes
    }
}

/// Moves to the front at most `room` of `items` and returns how many: a run of consecutive
/// ones from a random start (wrapping), in their original order, so that over several exchanges
/// every subtree or bucket gets its turn. Counts the rest as `mtu-deferred`.
fn keep_some<C: Context<AntiEntropyMessage>, T>(
    ctx: &mut C,
    items: &mut [T],
    room: usize,
) -> usize {
    let len = items.len();
    if len <= room {
        return len;
    }
    ctx.observe(Observation::Count {
        what: "mtu-deferred",
        n: (len - room) as u64,
    });
    let start = uniform_below(ctx.rng(), len as u64) as usize;
    items.rotate_left(start);
    // Restore index order within the kept run only where it wrapped.
    let kept = &mut items[..room];
    let wrap = (len - start).min(room);
    kept.rotate_left(wrap);
    room
}

impl<S: PeerSampler> AntiEntropyEngine<S> {
    fn merkle_depth(&self) -> u8 {
        match self.config.reconciliation {
            Reconciliation::Merkle { depth } => depth.clamp(1, MAX_MERKLE_DEPTH),
            _ => DEFAULT_MERKLE_DEPTH,
        }
    }

    /// The first message of a Merkle exchange: the root.
    pub(super) fn merkle_opening(&self, store: &VersionedStore, _depth: u8) -> AntiEntropyMessage {
        AntiEntropyMessage::MerkleLevel {
            level: 0,
            nodes: vec![(0, store.fingerprint())],
            from_initiator: true,
        }
    }

    pub(super) fn on_merkle_level<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        from: NodeId,
        level: u8,
        theirs: &[(u32, u64)],
        from_initiator: bool,
    ) {
        let depth = self.merkle_depth();
        if level > depth {
            return;
        }
        let tree = self.merkle.get_or_insert_default().get(store, depth);
        let base = offset(level);
        let differing: Vec<u32> = theirs
            .iter()
            .filter(|(i, h)| *i < width(level) && tree[base + *i as usize] != *h)
            .map(|(i, _)| *i)
            .collect();
        if differing.is_empty() {
            if level == 0 {
                ctx.observe(Observation::Count {
                    what: "ae-in-sync",
                    n: 1,
                });
            }
            return;
        }
        if level == depth {
            self.merkle_data(store, ctx, from, differing, from_initiator);
            return;
        }
        let below = offset(level + 1);
        let mut children: Vec<(u32, u64)> = differing
            .iter()
            .flat_map(|&i| i * BRANCHING..(i + 1) * BRANCHING)
            .map(|c| (c, tree[below + c as usize]))
            .collect();
        let room = capacity(
            self.config.mtu,
            HEADER_WIRE_BYTES + LEVEL_FIXED,
            MERKLE_NODE_WIRE_BYTES,
        );
        let kept = keep_some(ctx, &mut children, room);
        children.truncate(kept);
        self.send(
            ctx,
            from,
            AntiEntropyMessage::MerkleLevel {
                level: level + 1,
                nodes: children,
                from_initiator: !from_initiator,
            },
        );
    }

    /// Differing leaf buckets found: send our entries in them if our role may send data, and
    /// ask for the other side's if its role may.
    fn merkle_data<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        from: NodeId,
        mut buckets: Vec<u32>,
        we_are_peer: bool,
    ) {
        let mode = self.config.mode;
        let (we_send, they_send) = if we_are_peer {
            (mode.pulls(), mode.pushes())
        } else {
            (mode.pushes(), mode.pulls())
        };
        // At most half the MTU for the bucket list, so entries still fit.
        let room = capacity(
            self.config.mtu.map(|m| m / 2),
            HEADER_WIRE_BYTES + BUCKETS_FIXED,
            4,
        );
        let kept = keep_some(ctx, &mut buckets, room);
        buckets.truncate(kept);
        let entries = if we_send {
            self.bucket_entries(store, ctx, &buckets, &[])
        } else {
            Entries::new()
        };
        if entries.is_empty() && !they_send {
            return;
        }
        self.send(
            ctx,
            from,
            AntiEntropyMessage::MerkleBuckets {
                buckets,
                entries: entries.into_vec(),
                reply_wanted: they_send,
            },
        );
    }

    /// Our entries in `buckets`, minus those `exclude` holds at the same version, trimmed to
    /// the MTU.
    fn bucket_entries<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        buckets: &[u32],
        exclude: &[(Key, Versioned)],
    ) -> Entries {
        let depth = self.merkle_depth();
        let mut entries: Entries = store
            .iter()
            .filter(|(k, _)| buckets.contains(&bucket_of(*k, depth)))
            .filter(|(k, v)| {
                exclude
                    .binary_search_by_key(k, |(ek, _)| *ek)
                    .map_or(true, |j| exclude[j].1.version != v.version)
            })
            .map(|(k, v)| (k, *v))
            .collect();
        let fixed = HEADER_WIRE_BYTES + BUCKETS_FIXED + buckets.len() * 4;
        self.fit(ctx, &mut entries, fixed);
        entries
    }

    pub(super) fn on_merkle_buckets<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        buckets: &[u32],
        entries: Vec<(Key, Versioned)>,
        reply_wanted: bool,
    ) {
        self.merge_all(store, ctx, &entries);
        if !reply_wanted {
            return;
        }
        let mine = self.bucket_entries(store, ctx, buckets, &entries);
        if !mine.is_empty() {
            self.send(
                ctx,
                from,
                AntiEntropyMessage::MerkleBuckets {
                    buckets: buckets.to_vec(),
                    entries: mine.into_vec(),
                    reply_wanted: false,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConflictRule;
    use crate::{NodeId, Version};

    fn v(stamp: u64) -> Versioned {
        Versioned {
            value: stamp,
            version: Version {
                stamp,
                writer: NodeId(0),
            },
        }
    }

    #[test]
    fn the_root_is_the_store_fingerprint_and_one_change_touches_one_path() {
        let mut a = VersionedStore::new();
        for k in 0..100 {
            a.merge(k, v(k), ConflictRule::LastWriteWins);
        }
        let mut b = a.clone();
        b.merge(42, v(1000), ConflictRule::LastWriteWins);
        let (mut ta, mut tb) = (TreeCache::default(), TreeCache::default());
        let (ta, tb) = (ta.get(&a, 2).to_vec(), tb.get(&b, 2).to_vec());
        assert_eq!(ta.len(), 1 + 16 + 256);
        assert_eq!(ta[0], a.fingerprint());
        assert_eq!(tb[0], b.fingerprint());
        let differing: Vec<usize> = (0..ta.len()).filter(|&i| ta[i] != tb[i]).collect();
        let leaf = offset(2) + bucket_of(42, 2) as usize;
        assert_eq!(
            differing,
            vec![0, offset(1) + leaf.saturating_sub(offset(2)) / 16, leaf]
        );
    }

    #[test]
    fn a_tree_built_before_a_preload_is_rebuilt_after_it() {
        let mut s = VersionedStore::new();
        s.merge(5, v(1), ConflictRule::LastWriteWins);
        let mut cache = TreeCache::default();
        let before = cache.get(&s, 3).to_vec();
        let initial =
            VersionedStore::from_sorted((0..10_000).map(|k| (k, v(k))).collect()).expect("sorted");
        s.preload(&initial, ConflictRule::LastWriteWins);
        let after = cache.get(&s, 3).to_vec();
        assert_ne!(before, after);
        assert_eq!(after, TreeCache::default().get(&s, 3).to_vec());
        assert_eq!(after[0], s.fingerprint());
        let leaves = after[offset(3)..]
            .iter()
            .fold(0u64, |sum, h| sum.wrapping_add(*h));
        assert_eq!(leaves, s.fingerprint(), "the leaves partition the replica");
    }

    #[test]
    fn keys_spread_over_the_buckets() {
        let mut counts = vec![0u32; 256];
        for k in 0..25_600 {
            counts[bucket_of(k, 2) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (60..140).contains(&c)), "{counts:?}");
    }
}
