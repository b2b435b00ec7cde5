//! Anti-entropy (the SI model of Demers et al. 1987): every `period` each node picks `fanout`
//! peers from its [`PeerSampler`] and reconciles its replica with each of them, so that once the
//! network lets two nodes talk every live node converges. It removes the residue rumor mongering
//! leaves, at a price in traffic that depends on how the two replicas find their difference.
//!
//! Who sends to whom ([`ExchangeMode`]): in push the initiator's data flows to the peer, in pull
//! the peer's data flows to the initiator, in push-pull both ways.
//!
//! How they find what differs ([`Reconciliation`]), one file each:
//!
//! * [`full_state`]: the whole replica travels (push-pull answers with the exact difference);
//! * [`checksum`]: a digest of the replica first; the state travels only when the digests differ;
//! * [`recent_updates`]: the updates younger than a window travel, with a digest of the
//!   replica; a digest mismatch after applying them falls back to the full state;
//! * [`merkle`]: a Merkle tree over the key space is compared top-down and only the buckets
//!   under differing subtrees travel.
//!
//! Every node starts `fanout` exchanges per period (in push, only once it holds something), so
//! the bytes per exchange of the four methods compare as the run's bytes per node over
//! `fanout × duration / period`; nothing is counted per message, which would slow the emulator's
//! hot path by a quarter at 10^5 nodes. `ae-in-sync` counts exchanges a digest ended early,
//! `ae-fallbacks` recent-update exchanges that fell back to the full state.
//!
//! With an MTU, what does not fit waits for a later exchange, newest first
//! ([`crate::flow_control`]).

pub mod checksum;
pub mod full_state;
pub mod merkle;
mod merkle_tree;
pub mod recent_updates;

use crate::cycle::Cycle;
use crate::flow_control::{FlowControl, capacity};
use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, RoundPeers, SimDuration, TimerId, Value,
    Version, Versioned, VersionedStore, uniform_below,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const TICK: TimerId = TimerId(0);

/// Who sends state to whom in one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExchangeMode {
    /// The initiator sends its state.
    Push,
    /// The initiator asks for the peer's state.
    Pull,
    /// Both directions in one exchange.
    PushPull,
}

impl ExchangeMode {
    /// Whether data flows from the initiator to the peer.
    pub fn pushes(self) -> bool {
        matches!(self, ExchangeMode::Push | ExchangeMode::PushPull)
    }

    /// Whether data flows from the peer to the initiator.
    pub fn pulls(self) -> bool {
        matches!(self, ExchangeMode::Pull | ExchangeMode::PushPull)
    }
}

/// How two replicas find what differs between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reconciliation {
    /// Send the whole replica.
    #[default]
    FullState,
    /// Exchange a digest of the replica first; send it only when the digests differ.
    Checksum,
    /// Send the updates younger than `window`, with a digest; fall back to the full state when
    /// the digests still differ after applying them.
    RecentUpdates {
        /// How young an update must be (by its version's stamp) to be sent.
        window: SimDuration,
    },
    /// Compare Merkle trees over the key space (branching 16, `depth` levels below the root)
    /// top-down; only the buckets under differing subtrees travel.
    Merkle {
        /// Levels below the root: 16^depth leaf buckets (1 to 4).
        depth: u8,
    },
}

impl Reconciliation {
    /// A short name, as scenario files write it.
    pub fn name(&self) -> &'static str {
        match self {
            Reconciliation::FullState => "full-state",
            Reconciliation::Checksum => "checksum",
            Reconciliation::RecentUpdates { .. } => "recent-updates",
            Reconciliation::Merkle { .. } => "merkle",
        }
    }
}

/// The default window of recent-update reconciliation.
pub const DEFAULT_RECENT_WINDOW: SimDuration = SimDuration::from_secs(5);
/// The default depth of Merkle reconciliation (256 leaf buckets).
pub const DEFAULT_MERKLE_DEPTH: u8 = 2;
/// The deepest Merkle tree allowed (65,536 leaf buckets).
pub const MAX_MERKLE_DEPTH: u8 = 4;

/// The parameters of anti-entropy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AntiEntropyConfig {
    /// How often each node starts an exchange.
    pub period: SimDuration,
    /// Push, pull or push-pull.
    pub mode: ExchangeMode,
    /// Peers contacted each period (1 in the classic formulation).
    pub fanout: u32,
    /// How concurrent versions of a key are resolved.
    pub conflict: ConflictRule,
    /// How the replicas find their difference (full state by default).
    #[serde(default)]
    pub reconciliation: Reconciliation,
    /// All nodes start their exchanges at the multiples of the period (synchronous rounds)
    /// instead of at individually phased times.
    #[serde(default)]
    pub synchronous: bool,
    /// The largest message in bytes; the runner sets it from the scenario's `network.mtu`.
    #[serde(default)]
    pub mtu: Option<u32>,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            period: SimDuration::from_secs(1),
            mode: ExchangeMode::PushPull,
            fanout: 1,
            conflict: ConflictRule::LastWriteWins,
            reconciliation: Reconciliation::FullState,
            synchronous: false,
            mtu: None,
        }
    }
}

/// Bytes of one Merkle tree node on the wire: a 4-byte index and an 8-byte hash.
pub const MERKLE_NODE_WIRE_BYTES: usize = 12;

/// The messages of anti-entropy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AntiEntropyMessage {
    /// Entries of the sender's replica. `reply_wanted` asks the receiver to answer with the
    /// entries the sender is missing (push-pull); otherwise nothing comes back.
    State {
        /// Entries in key order.
        entries: Entries,
        /// Whether the receiver should answer with the difference.
        reply_wanted: bool,
    },
    /// "Send me your full state".
    PullRequest,
    /// The digest of the sender's replica (checksum reconciliation).
    Digest {
        /// The replica's fingerprint.
        checksum: u64,
        /// How many keys it holds.
        keys: u32,
    },
    /// The sender's recent updates and the digest of its replica (recent-update
    /// reconciliation). `reply_wanted` asks for the receiver's recent updates and digest.
    Recent {
        /// Updates younger than the window, in key order.
        entries: Entries,
        /// The sender's fingerprint after merging what it received in this exchange.
        checksum: u64,
        /// Whether the receiver should answer with its own recent updates and digest.
        reply_wanted: bool,
    },
    /// Hashes of Merkle tree nodes at one level, for the receiver to compare with its own.
    MerkleLevel {
        /// The level (0 is the root).
        level: u8,
        /// `(index within the level, hash)`, in index order.
        nodes: Vec<(u32, u64)>,
        /// Whether the exchange's initiator sent it (the roles decide who may send data).
        from_initiator: bool,
    },
    /// The entries of the sender in leaf buckets whose hashes differed.
    MerkleBuckets {
        /// The leaf buckets concerned, in order.
        buckets: Vec<u32>,
        /// The sender's entries in those buckets (none if it may not send data), key order.
        entries: Vec<(Key, Versioned)>,
        /// Whether the receiver should answer with its entries in those buckets that differ.
        reply_wanted: bool,
    },
}

impl Message for AntiEntropyMessage {
    #[inline]
    fn owns_heap(&self) -> bool {
        match self {
            AntiEntropyMessage::State { entries, .. }
            | AntiEntropyMessage::Recent { entries, .. } => entries.spilled(),
            AntiEntropyMessage::PullRequest | AntiEntropyMessage::Digest { .. } => false,
            AntiEntropyMessage::MerkleLevel { .. } | AntiEntropyMessage::MerkleBuckets { .. } => {
                true
            }
        }
    }

    #[inline]
    fn wire_size(&self) -> usize {
        HEADER_WIRE_BYTES
            + match self {
                AntiEntropyMessage::State { entries, .. } => 5 + entries.len() * ENTRY_WIRE_BYTES,
                AntiEntropyMessage::PullRequest => 0,
                AntiEntropyMessage::Digest { .. } => 12,
                AntiEntropyMessage::Recent { entries, .. } => {
                    RECENT_FIXED + entries.len() * ENTRY_WIRE_BYTES
                }
                AntiEntropyMessage::MerkleLevel { nodes, .. } => {
                    LEVEL_FIXED + nodes.len() * MERKLE_NODE_WIRE_BYTES
                }
                AntiEntropyMessage::MerkleBuckets {
                    buckets, entries, ..
                } => BUCKETS_FIXED + buckets.len() * 4 + entries.len() * ENTRY_WIRE_BYTES,
            }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            AntiEntropyMessage::State {
                reply_wanted: true, ..
            } => "ae-state",
            AntiEntropyMessage::State {
                reply_wanted: false,
                ..
            } => "ae-reply",
            AntiEntropyMessage::PullRequest => "ae-pull",
            AntiEntropyMessage::Digest { .. } => "ae-digest",
            AntiEntropyMessage::Recent { .. } => "ae-recent",
            AntiEntropyMessage::MerkleLevel { .. } => "ae-merkle-level",
            AntiEntropyMessage::MerkleBuckets { .. } => "ae-merkle-buckets",
        }
    }
}

/// Fixed bytes after the header: a state's flag and count.
const STATE_FIXED: usize = 5;
/// Fixed bytes after the header: a recent list's checksum, flag and count.
const RECENT_FIXED: usize = 13;
/// Fixed bytes after the header: a Merkle level's level, role and count.
const LEVEL_FIXED: usize = 4;
/// Fixed bytes after the header: a bucket message's flag and two counts.
const BUCKETS_FIXED: usize = 5;

/// The anti-entropy logic over a store it does not own, so that a node can combine it with
/// rumor mongering over one replica ([`crate::rumor_with_anti_entropy`]).
#[derive(Clone, Debug)]
pub(crate) struct AntiEntropyEngine<S> {
    /// Shared by every node of a cluster built by a factory ([`AntiEntropyNode::factory`]):
    /// a copy of its own was a third of a node (40 of 120 bytes), and the node took three
    /// cache lines where it now takes two.
    config: Arc<AntiEntropyConfig>,
    sampler: S,
    /// What only some nodes ever need, out of line: made on first use, so that the nodes of a
    /// plain full-state cluster carry one pointer for both (see [`Rare`]).
    rare: Option<Box<Rare>>,
}

/// The state of an anti-entropy node that only some configurations use.
///
/// Inline, these made a node 88 bytes and its member in the emulator 112 (two cache lines
/// only when padded to 128); out of line, the node is 72 bytes and its member 96, two lines
/// from any half line, with nothing padded: at 10^6 nodes, 32 MB less to allocate and
/// clear, for a pointer test on the rare paths that use them.
#[derive(Clone, Debug, Default)]
struct Rare {
    /// Where the rotating half of an MTU-bound transfer stands (only with an MTU).
    flow: FlowControl,
    /// Built on first use, and only for a replica large enough to need one (Merkle
    /// reconciliation only).
    merkle: Option<Box<merkle_tree::MerkleTree>>,
}

impl<S: PeerSampler> AntiEntropyEngine<S> {
    pub fn new(config: impl Into<Arc<AntiEntropyConfig>>, sampler: S) -> Self {
        AntiEntropyEngine {
            config: config.into(),
            sampler,
            rare: None,
        }
    }

    /// Whether `other` reads the very same configuration.
    #[cfg(test)]
    pub(crate) fn shares_config_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }

    /// The rare state, made if the node has none yet.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_default()
    }

    /// The Merkle tree, if the node keeps one.
    fn tree(&self) -> Option<&merkle_tree::MerkleTree> {
        self.rare.as_ref()?.merkle.as_deref()
    }

    /// The Merkle tree, to change, if the node keeps one.
    fn tree_mut(&mut self) -> Option<&mut merkle_tree::MerkleTree> {
        self.rare.as_mut()?.merkle.as_deref_mut()
    }

    /// The rule concurrent versions are resolved by.
    pub fn conflict(&self) -> ConflictRule {
        self.config.conflict
    }

    pub fn on_start<C: Context<AntiEntropyMessage>>(&mut self, ctx: &mut C) {
        let period = self.config.period;
        let first = if self.config.synchronous {
            Cycle::draw(ctx.rng(), period, true).until_next(ctx.now(), period)
        } else {
            // A random first delay in (0, period] spreads the exchanges of all nodes evenly.
            SimDuration(1 + uniform_below(ctx.rng(), period.as_nanos().max(1)))
        };
        ctx.set_timer(first, TICK);
    }

    #[inline(always)]
    pub fn on_timer<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        timer: TimerId,
    ) {
        if timer != TICK {
            return;
        }
        // Ticks are a period apart from the first, which `on_start` aligned to the cycle.
        ctx.set_timer(self.config.period, TICK);
        // In push, an empty replica has nothing to give: no exchange.
        if self.config.mode == ExchangeMode::Push && store.is_empty() {
            return;
        }
        let me = ctx.me();
        let mut room = RoundPeers::new();
        let fanout = self.config.fanout.max(1) as usize;
        let peers = room.draw(&self.sampler, me, fanout, ctx.rng());
        if self.config.reconciliation == Reconciliation::FullState
            && self.config.mtu.is_none()
            && self.config.mode != ExchangeMode::Pull
        {
            // The common case: the whole replica, nothing to trim, the same to every peer, so
            // built once, straight into the driver's buffer (see `Context::send_each`).
            let reply_wanted = self.config.mode == ExchangeMode::PushPull;
            ctx.send_each(peers, || AntiEntropyMessage::State {
                entries: crate::entries_of(store.entries()),
                reply_wanted,
            });
            return;
        }
        self.open_exchanges(store, ctx, peers);
    }

    /// Opens an exchange with each of `peers` by any method but the common case above.
    #[inline(never)]
    fn open_exchanges<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        peers: &[NodeId],
    ) {
        for &peer in peers {
            let msg = match self.config.reconciliation {
                Reconciliation::FullState => self.full_state_opening(store, ctx),
                Reconciliation::Checksum => self.checksum_opening(store),
                Reconciliation::RecentUpdates { window } => self.recent_opening(store, ctx, window),
                Reconciliation::Merkle { depth } => self.merkle_opening(store, depth),
            };
            self.send(ctx, peer, msg);
        }
    }

    /// Handles one message. A full state (every exchange of full-state reconciliation, and the
    /// fallback of the others) is handled inline; the rest behind one call.
    #[inline(always)]
    pub fn on_message<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        msg: &AntiEntropyMessage,
    ) {
        match *msg {
            AntiEntropyMessage::State {
                ref entries,
                reply_wanted,
            } => self.on_state(store, ctx, from, entries, reply_wanted),
            _ => self.on_other_message(store, ctx, from, msg),
        }
    }

    #[inline(never)]
    fn on_other_message<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        msg: &AntiEntropyMessage,
    ) {
        match *msg {
            AntiEntropyMessage::State {
                ref entries,
                reply_wanted,
            } => self.on_state(store, ctx, from, entries, reply_wanted),
            AntiEntropyMessage::PullRequest => self.on_pull_request(store, ctx, from),
            AntiEntropyMessage::Digest { checksum, .. } => {
                self.on_digest(store, ctx, from, checksum)
            }
            AntiEntropyMessage::Recent {
                ref entries,
                checksum,
                reply_wanted,
            } => self.on_recent(store, ctx, from, entries, checksum, reply_wanted),
            AntiEntropyMessage::MerkleLevel {
                level,
                ref nodes,
                from_initiator,
            } => self.on_merkle_level(store, ctx, from, level, nodes, from_initiator),
            AntiEntropyMessage::MerkleBuckets {
                ref buckets,
                ref entries,
                reply_wanted,
            } => self.on_merkle_buckets(store, ctx, from, buckets, entries, reply_wanted),
        }
    }

    pub fn on_client_write<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let before = (store.fingerprint(), store.len());
        let (version, applied) = crate::local_write(store, ctx, key, value, self.config.conflict);
        if applied {
            self.merkle_follow(store, key, before);
        }
        version
    }

    /// Merges `entries`; returns how many changed the store.
    #[inline(always)]
    fn merge_all<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        entries: &[(Key, Versioned)],
    ) -> usize {
        let mut applied = 0;
        for &(key, incoming) in entries {
            let before = (store.fingerprint(), store.len());
            match store.merge(key, incoming, self.config.conflict) {
                MergeOutcome::Applied => {
                    self.merkle_follow(store, key, before);
                    applied += 1;
                    ctx.observe(Observation::Learned {
                        key,
                        version: incoming.version,
                    })
                }
                MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key }),
                MergeOutcome::Superseded => {}
            }
        }
        applied
    }

    /// Trims `entries` to what fits a message whose fixed part (header included) is `fixed`
    /// bytes, newest first with the rest carried over, and reports what had to wait.
    #[inline]
    fn fit<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        entries: &mut Entries,
        fixed: usize,
    ) {
        if self.config.mtu.is_none() {
            return;
        }
        let room = capacity(self.config.mtu, fixed, ENTRY_WIRE_BYTES);
        if entries.len() <= room {
            return; // nothing to trim: no cursor to move, and none to make
        }
        let deferred = self.rare().flow.pack(entries, room);
        if deferred > 0 {
            ctx.observe(Observation::Count {
                what: "mtu-deferred",
                n: deferred as u64,
            });
        }
    }

    /// Sends `msg`. (Nothing is counted per message: the emulator's traffic counts already
    /// have the bytes.)
    #[inline(always)]
    fn send<C: Context<AntiEntropyMessage>>(
        &self,
        ctx: &mut C,
        to: NodeId,
        msg: AntiEntropyMessage,
    ) {
        ctx.send(to, msg);
    }
}

/// One anti-entropy node.
#[derive(Clone, Debug)]
pub struct AntiEntropyNode<S> {
    engine: AntiEntropyEngine<S>,
    store: VersionedStore,
}

impl<S: PeerSampler> AntiEntropyNode<S> {
    /// A fresh node with an empty store and a copy of `config` of its own (the nodes a
    /// [`AntiEntropyNode::factory`] makes share one).
    pub fn new(config: AntiEntropyConfig, sampler: S) -> Self {
        Self::sharing(Arc::new(config), sampler)
    }

    fn sharing(config: Arc<AntiEntropyConfig>, sampler: S) -> Self {
        AntiEntropyNode {
            engine: AntiEntropyEngine::new(config, sampler),
            store: VersionedStore::new(),
        }
    }

    /// Makes the nodes of a cluster: fresh nodes sharing one copy of `config`, each with a
    /// copy of `sampler`.
    pub fn factory(
        config: AntiEntropyConfig,
        sampler: S,
    ) -> impl Fn(NodeId) -> Self + Clone + use<S>
    where
        S: Clone,
    {
        let config = Arc::new(config);
        move |_| AntiEntropyNode::sharing(Arc::clone(&config), sampler.clone())
    }
}

impl<S: PeerSampler> Node for AntiEntropyNode<S> {
    type Message = AntiEntropyMessage;

    fn on_start<C: Context<AntiEntropyMessage>>(&mut self, ctx: &mut C) {
        self.engine.on_start(ctx);
    }

    #[inline(always)]
    fn on_timer<C: Context<AntiEntropyMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        self.engine.on_timer(&self.store, ctx, timer);
    }

    #[inline(always)]
    fn on_message<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &AntiEntropyMessage,
    ) {
        self.engine.on_message(&mut self.store, ctx, from, msg);
    }

    fn on_client_write<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        self.engine
            .on_client_write(&mut self.store, ctx, key, value)
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // A Merkle tree records the store state it describes, so it sees the change and
        // rebuilds at its next use: a preload changes everything anyway.
        self.store.preload(initial, self.engine.conflict());
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}

#[cfg(test)]
mod tests;
