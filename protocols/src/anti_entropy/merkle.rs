//! Merkle-tree reconciliation over the key space: only the buckets under differing subtrees
//! travel.
//!
//! Keys are hashed into `16^depth` leaf buckets. A leaf's hash is the wrapping sum of the
//! entry hashes in its bucket, an inner node's the sum of its 16 children, so the root is the
//! store's fingerprint and one changed entry moves only its path. A node with a large replica
//! keeps its tree up to date change by change, with an index of the keys in each bucket (the
//! private module `merkle_tree`); a small replica sums its hashes when asked. Sums of
//! strong 64-bit entry hashes differ for different contents except with probability about 2^-64.
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

use super::merkle_tree::{BRANCHING, Change, MerkleTree, TREE_MIN_KEYS, prefix, width};
use super::{
    AntiEntropyEngine, AntiEntropyMessage, BUCKETS_FIXED, DEFAULT_MERKLE_DEPTH, LEVEL_FIXED,
    MAX_MERKLE_DEPTH, MERKLE_NODE_WIRE_BYTES, Rare, Reconciliation,
};
use crate::flow_control::capacity;
use crate::store::entry_hash;
use crate::{
    Context, Entries, HEADER_WIRE_BYTES, Key, NodeId, Observation, PeerSampler, Versioned,
    VersionedStore, uniform_below,
};
use smallvec::SmallVec;

/// The leaf bucket of `key` in a tree of `depth` levels.
pub fn bucket_of(key: Key, depth: u8) -> u32 {
    prefix(key, depth)
}

/// The tree of `store` with `depth` levels, brought up to date (rebuilt if the store changed in
/// a way it did not follow), or `None` for a replica small enough to hash on demand (whose old
/// tree, if any, is dropped). A free function over the engine's rare state, so that the tree
/// borrows only that field; it makes that state only for a replica that needs a tree.
fn current_tree<'a>(
    rare: &'a mut Option<Box<Rare>>,
    store: &VersionedStore,
    depth: u8,
) -> Option<&'a MerkleTree> {
    if store.len() <= TREE_MIN_KEYS || store.len() > u32::MAX as usize {
        if let Some(rare) = rare {
            rare.merkle = None;
        }
        return None;
    }
    let slot = &mut rare.get_or_insert_default().merkle;
    match slot {
        Some(tree) if tree.describes(store, depth) => {}
        Some(tree) => tree.rebuild(store, depth),
        None => *slot = Some(Box::new(MerkleTree::build(store, depth))),
    }
    slot.as_deref()
}

/// The hashes of one level: the tree's, or for a small replica the non-zero ones summed from
/// its entries, in index order.
enum LevelHashes<'a> {
    Tree(&'a [u64]),
    Summed(SmallVec<[(u32, u64); 4]>),
}

impl<'a> LevelHashes<'a> {
    fn of(tree: Option<&'a MerkleTree>, store: &VersionedStore, level: u8) -> Self {
        if let Some(tree) = tree {
            return LevelHashes::Tree(tree.level(level));
        }
        let mut sums: SmallVec<[(u32, u64); 4]> = store
            .iter()
            .map(|(k, v)| (prefix(k, level), entry_hash(k, v)))
            .collect();
        sums.sort_unstable_by_key(|&(i, _)| i);
        sums.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 = kept.1.wrapping_add(next.1);
            }
            same
        });
        LevelHashes::Summed(sums)
    }

    /// The hash of node `i` (which the caller has checked is within the level).
    fn get(&self, i: u32) -> u64 {
        match self {
            LevelHashes::Tree(nodes) => nodes[i as usize],
            LevelHashes::Summed(sums) => sums
                .binary_search_by_key(&i, |&(j, _)| j)
                .map_or(0, |at| sums[at].1),
        }
    }
}

/// What some keys held before a change the engine does not make itself (the rumor layer's
/// merges, a client write through it), so that its tree can follow the change.
#[derive(Debug)]
pub(crate) struct Watch {
    before: (u64, usize),
    held: SmallVec<[(Key, Option<Versioned>); 4]>,
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

    /// Lets the tree follow a change of `key` the engine just made, from store state `before`.
    #[inline]
    pub(super) fn merkle_follow(&mut self, store: &VersionedStore, key: Key, before: (u64, usize)) {
        if let Some(tree) = self.tree_mut() {
            let change = Change {
                key,
                delta: store.fingerprint().wrapping_sub(before.0),
                inserted: store.len() > before.1,
            };
            tree.follow(store, before, &[change]);
        }
    }

    /// Notes what `keys` hold before a change someone else makes to `store`; `None` (and no
    /// cost) unless there is an up-to-date tree to carry over it.
    pub(crate) fn watch(
        &self,
        store: &VersionedStore,
        keys: impl IntoIterator<Item = Key>,
    ) -> Option<Watch> {
        let tree = self.tree()?;
        if !tree.in_step(store) {
            return None;
        }
        let mut held: SmallVec<[(Key, Option<Versioned>); 4]> = keys
            .into_iter()
            .map(|k| (k, store.get(k).copied()))
            .collect();
        held.sort_unstable_by_key(|&(k, _)| k);
        held.dedup_by_key(|&mut (k, _)| k);
        Some(Watch {
            before: (store.fingerprint(), store.len()),
            held,
        })
    }

    /// Carries the tree over the change `watch` was taken before. A watched key that vanished
    /// (nothing removes keys short of a wipe) or a change to a key not watched leaves the tree
    /// to be rebuilt.
    pub(crate) fn watched(&mut self, store: &VersionedStore, watch: Option<Watch>) {
        let (Some(watch), Some(tree)) = (watch, self.tree_mut()) else {
            return;
        };
        let mut changes: SmallVec<[Change; 4]> = SmallVec::new();
        for (key, old) in watch.held {
            let now = store.get(key).copied();
            if now == old {
                continue;
            }
            let Some(now) = now else {
                tree.invalidate();
                return;
            };
            changes.push(Change {
                key,
                delta: entry_hash(key, &now).wrapping_sub(old.map_or(0, |o| entry_hash(key, &o))),
                inserted: old.is_none(),
            });
        }
        tree.follow(store, watch.before, &changes);
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
        // The root is the store's fingerprint: replicas in sync end the exchange without a
        // tree, so a converged node never builds one.
        let differing: Vec<u32> = if level == 0 {
            theirs
                .iter()
                .filter(|(i, h)| *i == 0 && *h != store.fingerprint())
                .map(|(i, _)| *i)
                .collect()
        } else {
            let ours = LevelHashes::of(current_tree(&mut self.rare, store, depth), store, level);
            theirs
                .iter()
                .filter(|(i, h)| *i < width(level) && ours.get(*i) != *h)
                .map(|(i, _)| *i)
                .collect()
        };
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
        let tree = current_tree(&mut self.rare, store, depth);
        let below = LevelHashes::of(tree, store, level + 1);
        let branching = BRANCHING as u32;
        let mut children: Vec<(u32, u64)> = differing
            .iter()
            .flat_map(|&i| i * branching..(i + 1) * branching)
            .map(|c| (c, below.get(c)))
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
        let wanted = |(k, v): &(Key, Versioned)| {
            exclude
                .binary_search_by_key(k, |(ek, _)| *ek)
                .map_or(true, |j| exclude[j].1.version != v.version)
        };
        let mut entries: Entries = match current_tree(&mut self.rare, store, depth) {
            Some(tree) => {
                let mut asked = buckets.to_vec();
                asked.sort_unstable();
                asked.dedup();
                // Buckets partition the keys, so their positions are distinct; sorted, they
                // give the entries in key order, as a scan would.
                let mut positions: Vec<u32> = asked
                    .iter()
                    .flat_map(|&b| tree.bucket(b))
                    .copied()
                    .collect();
                positions.sort_unstable();
                positions
                    .into_iter()
                    .map(|p| store.entries()[p as usize])
                    .filter(wanted)
                    .collect()
            }
            None => store
                .entries()
                .iter()
                .filter(|(k, _)| buckets.contains(&bucket_of(*k, depth)))
                .copied()
                .filter(wanted)
                .collect(),
        };
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
        entries: &[(Key, Versioned)],
        reply_wanted: bool,
    ) {
        self.merge_all(store, ctx, entries);
        if !reply_wanted {
            return;
        }
        let mine = self.bucket_entries(store, ctx, buckets, entries);
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
    use super::super::merkle_tree;
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
        let ta = MerkleTree::build(&a, 2).nodes().to_vec();
        let tb = MerkleTree::build(&b, 2).nodes().to_vec();
        assert_eq!(ta.len(), 1 + 16 + 256);
        assert_eq!(ta[0], a.fingerprint());
        assert_eq!(tb[0], b.fingerprint());
        let differing: Vec<usize> = (0..ta.len()).filter(|&i| ta[i] != tb[i]).collect();
        let offset = merkle_tree::offset;
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
        let mut rare = Some(Box::new(Rare {
            merkle: Some(Box::new(MerkleTree::build(&s, 3))),
            ..Rare::default()
        }));
        let before = MerkleTree::build(&s, 3).nodes().to_vec();
        let initial =
            VersionedStore::from_sorted((0..10_000).map(|k| (k, v(k))).collect()).expect("sorted");
        s.preload(&initial, ConflictRule::LastWriteWins);
        let after = current_tree(&mut rare, &s, 3)
            .expect("large")
            .nodes()
            .to_vec();
        assert_ne!(before, after);
        assert_eq!(after, MerkleTree::build(&s, 3).nodes().to_vec());
        assert_eq!(after[0], s.fingerprint());
        let leaves = after[merkle_tree::offset(3)..]
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

/// The incrementally kept tree against a from-scratch build, and indexed bucket answers against
/// a scan of the replica, after every step of random merges, writes, rumor-layer changes,
/// changes the engine never hears of, preloads and wipes.
#[cfg(test)]
mod follow_tests {
    use super::super::merkle_tree::offset;
    use super::super::{AntiEntropyConfig, ExchangeMode};
    use super::*;
    use crate::{ConflictRule, SimTime, TimerId, UniformPeers, Version};
    use rand_core::{Rng, SeedableRng};
    use rand_pcg::Pcg64Mcg;

    struct Probe {
        rng: Pcg64Mcg,
        sent: Vec<AntiEntropyMessage>,
    }

    impl Context<AntiEntropyMessage> for Probe {
        type Rng = Pcg64Mcg;
        fn now(&self) -> SimTime {
            SimTime(1_000)
        }
        fn me(&self) -> NodeId {
            NodeId(0)
        }
        fn rng(&mut self) -> &mut Pcg64Mcg {
            &mut self.rng
        }
        fn send(&mut self, _: NodeId, msg: AntiEntropyMessage) {
            self.sent.push(msg);
        }
        fn set_timer(&mut self, _: crate::SimDuration, _: TimerId) {}
        fn observe(&mut self, _: Observation) {}
    }

    /// The tree as the code before incremental maintenance built it: one pass over the replica.
    fn scratch_tree(store: &VersionedStore, depth: u8) -> Vec<u64> {
        let mut nodes = vec![0u64; offset(depth + 1)];
        for (key, v) in store.iter() {
            let i = offset(depth) + bucket_of(key, depth) as usize;
            nodes[i] = nodes[i].wrapping_add(entry_hash(key, v));
        }
        for level in (0..depth).rev() {
            for i in 0..width(level) as usize {
                let first = offset(level + 1) + i * BRANCHING;
                nodes[offset(level) + i] = nodes[first..first + BRANCHING]
                    .iter()
                    .fold(0u64, |a, h| a.wrapping_add(*h));
            }
        }
        nodes
    }

    /// Bucket entries as the code before the index found them: a scan of the replica.
    fn scanned(
        store: &VersionedStore,
        depth: u8,
        buckets: &[u32],
        exclude: &[(Key, Versioned)],
    ) -> Vec<(Key, Versioned)> {
        store
            .iter()
            .filter(|(k, _)| buckets.contains(&bucket_of(*k, depth)))
            .filter(|(k, v)| {
                exclude
                    .binary_search_by_key(k, |(ek, _)| *ek)
                    .map_or(true, |j| exclude[j].1.version != v.version)
            })
            .map(|(k, v)| (k, *v))
            .collect()
    }

    fn entry(rng: &mut Pcg64Mcg, keys: u64) -> (Key, Versioned) {
        let key = rng.next_u64() % keys;
        let versioned = Versioned {
            value: rng.next_u64(),
            version: Version {
                stamp: rng.next_u64() % 40,
                writer: NodeId((rng.next_u64() % 3) as u32),
            },
        };
        (key, versioned)
    }

    fn entries(rng: &mut Pcg64Mcg, keys: u64, most: u64) -> Vec<(Key, Versioned)> {
        let n = 1 + rng.next_u64() % most;
        let mut es: Vec<_> = (0..n).map(|_| entry(rng, keys)).collect();
        es.sort_by_key(|&(k, _)| k);
        es.dedup_by_key(|&mut (k, _)| k);
        es
    }

    fn check(
        engine: &mut AntiEntropyEngine<UniformPeers>,
        store: &VersionedStore,
        probe: &mut Probe,
        depth: u8,
        step: usize,
    ) {
        let expected = scratch_tree(store, depth);
        let tree = current_tree(&mut engine.rare, store, depth);
        assert_eq!(tree.is_some(), store.len() > TREE_MIN_KEYS, "step {step}");
        if let Some(tree) = tree {
            assert_eq!(tree.nodes(), &expected[..], "step {step}: tree went stale");
        }
        for level in 0..=depth {
            let hashes = LevelHashes::of(tree, store, level);
            for i in 0..width(level) {
                assert_eq!(
                    hashes.get(i),
                    expected[offset(level) + i as usize],
                    "step {step} level {level} node {i}"
                );
            }
        }
        let leaves = u64::from(width(depth));
        let asked: Vec<u32> = (0..1 + probe.rng.next_u64() % 6)
            .map(|_| (probe.rng.next_u64() % (leaves + 2)) as u32)
            .collect();
        let exclude: Vec<(Key, Versioned)> = store
            .iter()
            .filter(|_| probe.rng.next_u64().is_multiple_of(3))
            .map(|(k, v)| (k, *v))
            .collect();
        let got = engine.bucket_entries(store, probe, &asked, &exclude);
        assert_eq!(
            got.into_vec(),
            scanned(store, depth, &asked, &exclude),
            "step {step}: buckets {asked:?}"
        );
    }

    fn run(seed: u64, depth: u8, keys: u64, steps: usize) {
        let config = AntiEntropyConfig {
            mode: ExchangeMode::PushPull,
            reconciliation: Reconciliation::Merkle { depth },
            ..AntiEntropyConfig::default()
        };
        let rule = config.conflict;
        let mut engine = AntiEntropyEngine::new(config, UniformPeers::new(2));
        let mut store = VersionedStore::new();
        let mut probe = Probe {
            rng: Pcg64Mcg::seed_from_u64(seed),
            sent: Vec::new(),
        };
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0x5eed);
        for step in 0..steps {
            // Whether the engine is told of every change this step: then a tree that
            // described the store before must describe it after, without a rebuild.
            let in_step_before = engine.tree().is_some_and(|t| t.describes(&store, depth));
            let mut told = true;
            match rng.next_u64() % 100 {
                0..30 => {
                    let es = entries(&mut rng, keys, 6);
                    engine.merge_all(&mut store, &mut probe, &es);
                }
                30..45 => {
                    let (key, _) = entry(&mut rng, keys);
                    engine.on_client_write(&mut store, &mut probe, key, rng.next_u64());
                }
                45..65 => {
                    // The rumor layer: merges the engine learns of through a watch, and
                    // sometimes one it is not told of in the same step.
                    let es = entries(&mut rng, keys, 8);
                    let watch = engine.watch(&store, es.iter().map(|(k, _)| *k));
                    for &(k, v) in &es {
                        store.merge(k, v, rule);
                    }
                    if rng.next_u64().is_multiple_of(4) {
                        let (k, v) = entry(&mut rng, keys);
                        told = !store.merge(k, v, rule).is_applied();
                    }
                    engine.watched(&store, watch);
                }
                65..80 => {
                    // A merkle bucket message: merges, then answers from the index.
                    let es = entries(&mut rng, keys, 5);
                    let buckets: Vec<u32> = es.iter().map(|(k, _)| bucket_of(*k, depth)).collect();
                    let mut asked = buckets.clone();
                    asked.sort_unstable();
                    asked.dedup();
                    probe.sent.clear();
                    engine.on_merkle_buckets(&mut store, &mut probe, NodeId(1), &asked, &es, true);
                    let expected = scanned(&store, depth, &asked, &es);
                    let answer = match probe.sent.pop() {
                        Some(AntiEntropyMessage::MerkleBuckets { entries, .. }) => entries,
                        None => Vec::new(),
                        Some(other) => panic!("step {step}: {other:?}"),
                    };
                    assert_eq!(answer, expected, "step {step}");
                }
                80..92 => {
                    let (k, v) = entry(&mut rng, keys);
                    told = !store.merge(k, v, rule).is_applied();
                }
                92..98 => {
                    let es = entries(&mut rng, keys, 40);
                    let initial = VersionedStore::from_sorted(es).expect("sorted");
                    let (fp, len) = (store.fingerprint(), store.len());
                    store.preload(&initial, rule);
                    told = (fp, len) == (store.fingerprint(), store.len());
                }
                _ => {
                    told = store.is_empty();
                    store.clear();
                }
            }
            if told && in_step_before && store.len() > TREE_MIN_KEYS {
                let tree = engine.tree().expect("kept");
                assert!(tree.describes(&store, depth), "step {step}: not followed");
            }
            // Not after every step: a check brings the tree up to date, and told changes must
            // also be refused by a tree that went stale in an earlier step.
            if !rng.next_u64().is_multiple_of(3) {
                check(&mut engine, &store, &mut probe, depth, step);
            }
        }
        check(&mut engine, &store, &mut probe, depth, steps);
    }

    #[test]
    fn the_followed_tree_and_indexed_buckets_match_a_rebuild_and_a_scan_at_every_step() {
        for seed in 0..6 {
            for depth in 1..=3 {
                run(seed, depth, 300, 400);
            }
        }
        run(99, 4, 2_000, 150);
    }

    #[test]
    fn several_new_keys_in_one_rumor_land_in_their_buckets() {
        let mut engine = AntiEntropyEngine::new(
            AntiEntropyConfig {
                reconciliation: Reconciliation::Merkle { depth: 1 },
                ..AntiEntropyConfig::default()
            },
            UniformPeers::new(2),
        );
        let rule = ConflictRule::LastWriteWins;
        let v = |stamp| Versioned {
            value: stamp,
            version: Version {
                stamp,
                writer: NodeId(0),
            },
        };
        // Even keys, then odd ones slipped between them: every old position moves.
        let mut store =
            VersionedStore::from_sorted((0..100).map(|k| (2 * k, v(k))).collect()).expect("sorted");
        assert!(current_tree(&mut engine.rare, &store, 1).is_some());
        let new: Vec<Key> = vec![1, 3, 51, 199, 401];
        let watch = engine.watch(&store, new.iter().copied().chain([4, 6]));
        for &k in &new {
            store.merge(k, v(7), rule);
        }
        store.merge(4, v(1_000), rule);
        engine.watched(&store, watch);
        let tree = engine.tree().expect("kept");
        assert!(tree.describes(&store, 1));
        assert_eq!(tree.nodes(), &scratch_tree(&store, 1)[..]);
        for b in 0..16 {
            let keys: Vec<Key> = tree
                .bucket(b)
                .iter()
                .map(|&p| store.entries()[p as usize].0)
                .collect();
            let expected: Vec<Key> = store
                .iter()
                .map(|(k, _)| k)
                .filter(|&k| bucket_of(k, 1) == b)
                .collect();
            assert_eq!(keys, expected, "bucket {b}");
        }
    }

    #[test]
    fn a_matching_root_ends_the_exchange_without_building_a_tree() {
        let mut engine = AntiEntropyEngine::new(
            AntiEntropyConfig {
                reconciliation: Reconciliation::Merkle { depth: 3 },
                ..AntiEntropyConfig::default()
            },
            UniformPeers::new(2),
        );
        let store = VersionedStore::from_sorted(
            (0..1_000)
                .map(|k| {
                    let v = Versioned {
                        value: k,
                        version: Version {
                            stamp: 1,
                            writer: NodeId(0),
                        },
                    };
                    (k, v)
                })
                .collect(),
        )
        .expect("sorted");
        let mut probe = Probe {
            rng: Pcg64Mcg::seed_from_u64(2),
            sent: Vec::new(),
        };
        let root = store.fingerprint();
        engine.on_merkle_level(&store, &mut probe, NodeId(1), 0, &[(0, root)], true);
        assert!(engine.tree().is_none() && probe.sent.is_empty());
        engine.on_merkle_level(&store, &mut probe, NodeId(1), 0, &[(0, !root)], true);
        assert!(engine.tree().is_some());
        match probe.sent.pop() {
            Some(AntiEntropyMessage::MerkleLevel {
                level: 1, nodes, ..
            }) => {
                let expected = scratch_tree(&store, 3);
                assert_eq!(nodes.len(), 16);
                for (i, h) in nodes {
                    assert_eq!(h, expected[offset(1) + i as usize]);
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_one_key_replica_keeps_no_tree() {
        let mut engine = AntiEntropyEngine::new(
            AntiEntropyConfig {
                reconciliation: Reconciliation::Merkle { depth: 2 },
                ..AntiEntropyConfig::default()
            },
            UniformPeers::new(2),
        );
        let mut store = VersionedStore::new();
        let mut probe = Probe {
            rng: Pcg64Mcg::seed_from_u64(1),
            sent: Vec::new(),
        };
        engine.on_client_write(&mut store, &mut probe, 9, 9);
        let root = store.fingerprint();
        engine.on_merkle_level(&store, &mut probe, NodeId(1), 0, &[(0, root ^ 1)], true);
        assert!(engine.tree().is_none());
        match probe.sent.pop() {
            Some(AntiEntropyMessage::MerkleLevel {
                level: 1, nodes, ..
            }) => {
                assert_eq!(nodes.len(), 16);
                let expected = scratch_tree(&store, 2);
                for (i, h) in nodes {
                    assert_eq!(h, expected[offset(1) + i as usize]);
                }
            }
            other => panic!("{other:?}"),
        }
    }
}
