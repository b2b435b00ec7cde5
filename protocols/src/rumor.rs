//! Rumor mongering (the SIR model of Demers et al. 1987) in push, pull and push-pull.
//!
//! A node that learns an update finds it *hot* and becomes infective for it. Every gossip cycle:
//!
//! * push: an infective node sends its hot updates to `fanout` peers drawn from its
//!   [`PeerSampler`];
//! * pull: *every* node asks `fanout` peers for their hot updates (susceptible nodes go looking
//!   for rumors), and a peer with hot updates answers with them;
//! * push-pull: every node sends its hot updates (possibly none) to `fanout` peers and asks for
//!   theirs in the same message; the peer answers with its hot updates the sender lacks.
//!
//! A node loses interest in an update — becomes *removed* for it — by one of four rules, applied
//! by the node that sent the update:
//!
//! * feedback + counter: after `k` contacts with peers that already knew it;
//! * feedback + coin: with probability `1/k` after each such contact;
//! * blind + counter: after `k` sends, whatever the peer knew;
//! * blind + coin: with probability `1/k` after each send.
//!
//! Feedback travels as a small message (or, in push-pull, inside the answer) listing the keys the
//! receiver already held. Rumor mongering alone leaves a *residue* of nodes that never hear the
//! update; that is the behaviour under study, not a bug (anti-entropy removes it).
//!
//! Cycles are aligned to a per-node phase drawn at start, so a node's rounds are evenly spaced
//! whether it learned the rumor early or late in a cycle, and the receiver of an update judges
//! whether it "already knew" by its state at that instant. That is the model of the
//! mean-field analysis (each contact sees the current fraction of susceptible nodes), whose
//! residue for feedback + coin push is the root of `s = e^{-(k+1)(1-s)}`.
//!
//! With `synchronous`, every node gossips at the multiples of the period, and feedback is judged
//! by what the receiver knew when the cycle began: an update it first heard during the current
//! cycle does not count as "already known" when a second copy arrives in the same cycle. That
//! is the synchronous-cycle simulation of Demers et al. (their tables 1–3).
//!
//! With an MTU, a message carries the newest hot updates that fit; the others stay hot, with
//! their counters untouched, for the next cycle ([`crate::flow_control`]).

use crate::anti_entropy::ExchangeMode;
use crate::cycle::Cycle;
use crate::flow_control::{capacity, newest_first};
use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, SimDuration, TimerId, Value, Version,
    Versioned, VersionedStore, coin,
};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::sync::Arc;

const TICK: TimerId = TimerId(0);

/// Bytes of a feedback key on the wire.
const KEY_WIRE_BYTES: usize = 8;

/// When a node stops spreading a rumor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Removal {
    /// Removed after `k` contacts with peers that already knew the update.
    FeedbackCounter,
    /// Removed with probability `1/k` after each contact with a peer that already knew.
    FeedbackCoin,
    /// Removed after `k` sends, regardless of the receiver.
    BlindCounter,
    /// Removed with probability `1/k` after each send.
    BlindCoin,
}

impl Removal {
    /// Whether the rule needs to hear back from the receiver.
    pub fn uses_feedback(self) -> bool {
        matches!(self, Removal::FeedbackCounter | Removal::FeedbackCoin)
    }
}

fn push_mode() -> ExchangeMode {
    ExchangeMode::Push
}

/// The parameters of rumor mongering.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RumorConfig {
    /// The gossip cycle: how often a node gossips.
    pub period: SimDuration,
    /// Peers contacted per cycle.
    pub fanout: u32,
    /// The removal parameter `k` (a counter limit, or the inverse coin probability).
    pub k: u32,
    /// The removal rule.
    pub removal: Removal,
    /// How concurrent versions of a key are resolved.
    pub conflict: ConflictRule,
    /// Push, pull or push-pull (push by default, as in Demers' main tables).
    #[serde(default = "push_mode")]
    pub mode: ExchangeMode,
    /// All nodes gossip at the multiples of the period (synchronous cycles), and feedback is
    /// judged by what the receiver knew at the start of the cycle, instead of individually
    /// phased cycles judged at each arrival.
    #[serde(default)]
    pub synchronous: bool,
    /// The largest message in bytes; the runner sets it from the scenario's `network.mtu`.
    #[serde(default)]
    pub mtu: Option<u32>,
}

impl Default for RumorConfig {
    fn default() -> Self {
        RumorConfig {
            period: SimDuration::from_millis(200),
            fanout: 1,
            k: 2,
            removal: Removal::FeedbackCounter,
            conflict: ConflictRule::LastWriteWins,
            mode: ExchangeMode::Push,
            synchronous: false,
            mtu: None,
        }
    }
}

/// The messages of rumor mongering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RumorMessage {
    /// The sender's hot updates (push).
    Push {
        /// The updates, in key order.
        updates: Entries,
    },
    /// The keys of a push (or of an answer) that the receiver already held, at that version or
    /// a preferred one.
    Feedback {
        /// Keys already known.
        known: SmallVec<[Key; 2]>,
    },
    /// "Send me your hot updates" (pull).
    Pull,
    /// The sender's hot updates, and a request for the receiver's (push-pull).
    PushPull {
        /// The sender's hot updates, in key order (possibly none).
        updates: Entries,
    },
    /// The answer to a pull or push-pull: the answering node's hot updates the asker lacks,
    /// and (push-pull with feedback) the pushed keys it already knew.
    Reply {
        /// Hot updates, in key order.
        updates: Entries,
        /// Feedback on the asker's push.
        known: SmallVec<[Key; 2]>,
    },
}

impl RumorMessage {
    /// The updates it carries, which are all a receiver may merge.
    pub(crate) fn updates(&self) -> &[(Key, Versioned)] {
        match self {
            RumorMessage::Push { updates }
            | RumorMessage::PushPull { updates }
            | RumorMessage::Reply { updates, .. } => updates,
            RumorMessage::Feedback { .. } | RumorMessage::Pull => &[],
        }
    }
}

impl Message for RumorMessage {
    #[inline]
    fn owns_heap(&self) -> bool {
        match self {
            RumorMessage::Push { updates } | RumorMessage::PushPull { updates } => {
                updates.spilled()
            }
            RumorMessage::Feedback { known } => known.spilled(),
            RumorMessage::Pull => false,
            RumorMessage::Reply { updates, known } => updates.spilled() || known.spilled(),
        }
    }

    #[inline]
    fn wire_size(&self) -> usize {
        match self {
            RumorMessage::Push { updates } | RumorMessage::PushPull { updates } => {
                HEADER_WIRE_BYTES + 2 + updates.len() * ENTRY_WIRE_BYTES
            }
            RumorMessage::Feedback { known } => {
                HEADER_WIRE_BYTES + 2 + known.len() * KEY_WIRE_BYTES
            }
            RumorMessage::Pull => HEADER_WIRE_BYTES,
            RumorMessage::Reply { updates, known } => {
                HEADER_WIRE_BYTES
                    + 4
                    + updates.len() * ENTRY_WIRE_BYTES
                    + known.len() * KEY_WIRE_BYTES
            }
        }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            RumorMessage::Push { .. } => "rumor-push",
            RumorMessage::Feedback { .. } => "rumor-feedback",
            RumorMessage::Pull => "rumor-pull",
            RumorMessage::PushPull { .. } => "rumor-push-pull",
            RumorMessage::Reply { .. } => "rumor-reply",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HotRumor {
    key: Key,
    counter: u32,
    /// The cycle (time / period) in which the node learned it.
    since: u64,
}

/// The rumor-mongering logic over a store it does not own, so that a node can combine it with
/// anti-entropy over one replica ([`crate::rumor_with_anti_entropy`]).
#[derive(Clone, Debug)]
pub(crate) struct RumorEngine<S> {
    /// Shared by every node of a cluster built by a factory ([`RumorNode::factory`]): a copy
    /// of its own was 32 of a node's 136 bytes. (A node carries no carry-over state for an
    /// MTU either: what did not fit a rumor message is still hot for the next.) The node is
    /// 96 bytes, and its member in the emulator 128, two cache lines, where it was 160 and
    /// three.
    config: Arc<RumorConfig>,
    sampler: S,
    hot: Vec<HotRumor>,
    ticking: bool,
    cycle: Cycle,
}

impl<S: PeerSampler> RumorEngine<S> {
    pub fn new(config: impl Into<Arc<RumorConfig>>, sampler: S) -> Self {
        RumorEngine {
            config: config.into(),
            sampler,
            hot: Vec::new(),
            ticking: false,
            cycle: Cycle::default(),
        }
    }

    pub fn hot_count(&self) -> usize {
        self.hot.len()
    }

    /// Whether `other` reads the very same configuration.
    #[cfg(test)]
    pub(crate) fn shares_config_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }

    /// The rule concurrent versions are resolved by.
    pub fn conflict(&self) -> crate::ConflictRule {
        self.config.conflict
    }

    /// Starts (or restarts) spreading `key`.
    pub fn make_hot(&mut self, key: Key, round: u64) {
        match self.hot.iter_mut().find(|h| h.key == key) {
            Some(h) => {
                h.counter = 0;
                h.since = round;
            }
            None => self.hot.push(HotRumor {
                key,
                counter: 0,
                since: round,
            }),
        }
    }

    /// The index of the global cycle `now` falls in.
    fn round_of(&self, now: crate::SimTime) -> u64 {
        now.as_nanos() / self.config.period.as_nanos().max(1)
    }

    /// Whether this node gossips every cycle (pull and push-pull: susceptible nodes ask too)
    /// or only while it has something hot (push).
    fn always_ticks(&self) -> bool {
        self.config.mode != ExchangeMode::Push
    }

    fn arm_tick<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        if self.ticking || (self.hot.is_empty() && !self.always_ticks()) {
            return;
        }
        ctx.set_timer(self.cycle.until_next(ctx.now(), self.config.period), TICK);
        self.ticking = true;
    }

    /// Applies the removal rule to hot rumor `i` after one contact; returns true if removed.
    fn lose_interest<R: rand_core::Rng>(&mut self, i: usize, rng: &mut R) -> bool {
        let k = self.config.k.max(1);
        let h = &mut self.hot[i];
        let removed = match self.config.removal {
            Removal::FeedbackCounter | Removal::BlindCounter => {
                h.counter += 1;
                h.counter >= k
            }
            Removal::FeedbackCoin | Removal::BlindCoin => coin(rng, 1.0 / f64::from(k)),
        };
        if removed {
            self.hot.swap_remove(i);
        }
        removed
    }

    /// Feedback: the peer already knew `key`.
    fn known_by_peer<R: rand_core::Rng>(&mut self, key: Key, rng: &mut R) {
        if let Some(i) = self.hot.iter().position(|h| h.key == key) {
            self.lose_interest(i, rng);
        }
    }

    /// After sending `sent` once: blind rules count the send.
    fn sent_once<R: rand_core::Rng>(&mut self, sent: &Entries, rng: &mut R) {
        if self.config.removal.uses_feedback() {
            return;
        }
        let mut i = self.hot.len();
        while i > 0 {
            i -= 1;
            if sent.iter().any(|(k, _)| *k == self.hot[i].key) {
                self.lose_interest(i, rng);
            }
        }
    }

    /// The hot updates, in key order, trimmed to the MTU (newest first; the rest stay hot for
    /// the next cycle). `fixed` is the message's size without entries.
    fn hot_updates<C: Context<RumorMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        fixed: usize,
        exclude: impl Fn(Key, &Versioned) -> bool,
    ) -> Entries {
        let mut updates: Entries = self
            .hot
            .iter()
            .filter_map(|h| store.get(h.key).map(|v| (h.key, *v)))
            .filter(|(k, v)| !exclude(*k, v))
            .collect();
        updates.sort_unstable_by_key(|(k, _)| *k);
        let room = capacity(self.config.mtu, fixed, ENTRY_WIRE_BYTES);
        let deferred = newest_first(&mut updates, room);
        if deferred > 0 {
            ctx.observe(Observation::Count {
                what: "mtu-deferred",
                n: deferred as u64,
            });
        }
        updates
    }

    fn send_updates<C: Context<RumorMessage>>(ctx: &mut C, to: NodeId, msg: RumorMessage) {
        let n = match &msg {
            RumorMessage::Push { updates }
            | RumorMessage::PushPull { updates }
            | RumorMessage::Reply { updates, .. } => updates.len(),
            _ => 0,
        };
        Self::count_updates_sent(ctx, n);
        ctx.send(to, msg);
    }

    /// Counts `n` updates sent (nothing for none).
    fn count_updates_sent<C: Context<RumorMessage>>(ctx: &mut C, n: usize) {
        if n > 0 {
            ctx.observe(Observation::Count {
                what: "updates-sent",
                n: n as u64,
            });
        }
    }

    /// Merges `updates`; returns the keys that were already known (the feedback).
    fn merge_all<C: Context<RumorMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        updates: &Entries,
    ) -> SmallVec<[Key; 2]> {
        let mut known = SmallVec::new();
        for &(key, incoming) in updates {
            match store.merge(key, incoming, self.config.conflict) {
                MergeOutcome::Applied => {
                    ctx.observe(Observation::Learned {
                        key,
                        version: incoming.version,
                    });
                    let round = self.round_of(ctx.now());
                    self.make_hot(key, round);
                }
                MergeOutcome::AlreadyKnown => {
                    ctx.observe(Observation::Redundant { key });
                    // Synchronous cycles judge by the state at the cycle's start.
                    let round = self.round_of(ctx.now());
                    let fresh = self.config.synchronous
                        && self.hot.iter().any(|h| h.key == key && h.since == round);
                    if !fresh {
                        known.push(key);
                    }
                }
                MergeOutcome::Superseded => known.push(key),
            }
        }
        known
    }

    fn gossip<C: Context<RumorMessage>>(&mut self, store: &VersionedStore, ctx: &mut C) {
        let me = ctx.me();
        let mut room = crate::RoundPeers::new();
        let peers = room.draw(&self.sampler, me, self.config.fanout as usize, ctx.rng());
        if !peers.is_empty() {
            match self.config.mode {
                ExchangeMode::Pull => {
                    for &peer in peers {
                        ctx.send(peer, RumorMessage::Pull);
                    }
                }
                mode => {
                    let updates = self.hot_updates(store, ctx, HEADER_WIRE_BYTES + 2, |_, _| false);
                    // The same message to every peer: sent once for all (`send_each`), the
                    // counters moved as by one send per peer.
                    Self::count_updates_sent(ctx, updates.len() * peers.len());
                    ctx.send_each(peers, || {
                        let updates = updates.clone();
                        if mode == ExchangeMode::Push {
                            RumorMessage::Push { updates }
                        } else {
                            RumorMessage::PushPull { updates }
                        }
                    });
                    for _ in peers {
                        self.sent_once(&updates, ctx.rng());
                    }
                }
            }
        }
    }

    pub fn on_start<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        // Restarted nodes lost their timers; draw a fresh phase and resume if still gossiping.
        self.ticking = false;
        self.cycle = Cycle::draw(ctx.rng(), self.config.period, self.config.synchronous);
        self.arm_tick(ctx);
    }

    pub fn on_timer<C: Context<RumorMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        timer: TimerId,
    ) {
        if timer != TICK {
            return;
        }
        self.ticking = false;
        if self.hot.is_empty() && !self.always_ticks() {
            return;
        }
        self.gossip(store, ctx);
        self.arm_tick(ctx);
    }

    pub fn on_message<C: Context<RumorMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        msg: &RumorMessage,
    ) {
        let feedback = self.config.removal.uses_feedback();
        match msg {
            RumorMessage::Push { updates } => {
                let known = self.merge_all(store, ctx, updates);
                if feedback && !known.is_empty() {
                    ctx.send(from, RumorMessage::Feedback { known });
                }
            }
            RumorMessage::Feedback { known } => {
                for &key in known {
                    self.known_by_peer(key, ctx.rng());
                }
            }
            RumorMessage::Pull => {
                if !self.hot.is_empty() {
                    let updates = self.hot_updates(store, ctx, HEADER_WIRE_BYTES + 4, |_, _| false);
                    if !updates.is_empty() {
                        self.sent_once(&updates, ctx.rng());
                        Self::send_updates(
                            ctx,
                            from,
                            RumorMessage::Reply {
                                updates,
                                known: SmallVec::new(),
                            },
                        );
                    }
                }
            }
            RumorMessage::PushPull { updates: pushed } => {
                let mut known = self.merge_all(store, ctx, pushed);
                if !feedback {
                    known.clear();
                }
                // The asker lacks what we hold in a version other than the one it pushed.
                let fixed = HEADER_WIRE_BYTES + 4 + known.len() * KEY_WIRE_BYTES;
                let updates = self.hot_updates(store, ctx, fixed, |k, v| {
                    pushed
                        .iter()
                        .any(|(pk, pv)| *pk == k && pv.version == v.version)
                });
                if !updates.is_empty() || !known.is_empty() {
                    self.sent_once(&updates, ctx.rng());
                    Self::send_updates(ctx, from, RumorMessage::Reply { updates, known });
                }
            }
            RumorMessage::Reply { updates, known } => {
                for &key in known {
                    self.known_by_peer(key, ctx.rng());
                }
                let known = self.merge_all(store, ctx, updates);
                if feedback && !known.is_empty() {
                    ctx.send(from, RumorMessage::Feedback { known });
                }
            }
        }
        self.arm_tick(ctx);
    }

    pub fn on_client_write<C: Context<RumorMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let (version, applied) = crate::local_write(store, ctx, key, value, self.config.conflict);
        if applied {
            let round = self.round_of(ctx.now());
            self.make_hot(key, round);
            self.arm_tick(ctx);
        }
        version
    }
}

/// One rumor-mongering node.
#[derive(Clone, Debug)]
pub struct RumorNode<S> {
    engine: RumorEngine<S>,
    store: VersionedStore,
}

impl<S: PeerSampler> RumorNode<S> {
    /// A fresh node with an empty store and a copy of `config` of its own (the nodes a
    /// [`RumorNode::factory`] makes share one).
    pub fn new(config: RumorConfig, sampler: S) -> Self {
        Self::sharing(Arc::new(config), sampler)
    }

    fn sharing(config: Arc<RumorConfig>, sampler: S) -> Self {
        RumorNode {
            engine: RumorEngine::new(config, sampler),
            store: VersionedStore::new(),
        }
    }

    /// Makes the nodes of a cluster: fresh nodes sharing one copy of `config`, each with a
    /// copy of `sampler`.
    pub fn factory(config: RumorConfig, sampler: S) -> impl Fn(NodeId) -> Self + Clone + use<S>
    where
        S: Clone,
    {
        let config = Arc::new(config);
        move |_| RumorNode::sharing(Arc::clone(&config), sampler.clone())
    }

    /// The number of updates this node is still spreading.
    pub fn hot_count(&self) -> usize {
        self.engine.hot_count()
    }
}

impl<S: PeerSampler> Node for RumorNode<S> {
    type Message = RumorMessage;

    fn on_start<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        self.engine.on_start(ctx);
    }

    fn on_timer<C: Context<RumorMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        self.engine.on_timer(&self.store, ctx, timer);
    }

    fn on_message<C: Context<RumorMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &RumorMessage,
    ) {
        self.engine.on_message(&mut self.store, ctx, from, msg);
    }

    fn on_client_write<C: Context<RumorMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        self.engine
            .on_client_write(&mut self.store, ctx, key, value)
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // Preloaded entries are old news, not rumors: none of them becomes hot.
        self.store.preload(initial, self.engine.conflict());
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UniformPeers;
    use crate::testkit::Sim;

    /// The nodes a factory makes share one configuration, and a node is the smaller for it
    /// (its own copy took 32 bytes, the shared one a pointer).
    #[test]
    fn a_factorys_nodes_share_one_configuration() {
        let config = RumorConfig {
            k: 3,
            ..RumorConfig::default()
        };
        let make = RumorNode::factory(config, UniformPeers::new(3));
        let (a, b) = (make(NodeId(0)), make(NodeId(1)));
        assert!(Arc::ptr_eq(&a.engine.config, &b.engine.config));
        assert_eq!(a.engine.config.k, 3);
        assert!(std::mem::size_of::<RumorNode<UniformPeers>>() <= 96);
    }

    fn sim(n: u32, seed: u64, config: RumorConfig) -> Sim<RumorNode<UniformPeers>> {
        Sim::new(n, seed, |_| RumorNode::new(config, UniformPeers::new(n)))
    }

    #[test]
    fn every_mode_spreads_a_rumor_and_then_falls_silent() {
        for mode in [
            ExchangeMode::Push,
            ExchangeMode::Pull,
            ExchangeMode::PushPull,
        ] {
            let config = RumorConfig {
                mode,
                k: 4,
                ..Default::default()
            };
            let mut s = sim(200, 3, config);
            s.write(NodeId(5), 1, 1);
            s.run_for(SimDuration::from_secs(15));
            assert!(s.holders(1) >= 190, "{mode:?}: {}", s.holders(1));
            assert!(s.nodes.iter().all(|n| n.hot_count() == 0), "{mode:?}");
            let sent = s.count("updates-sent");
            s.run_for(SimDuration::from_secs(2));
            assert_eq!(
                s.count("updates-sent"),
                sent,
                "{mode:?} still sends updates"
            );
        }
    }

    #[test]
    fn in_pull_every_node_asks_every_cycle() {
        let config = RumorConfig {
            mode: ExchangeMode::Pull,
            synchronous: true,
            ..Default::default()
        };
        let mut s = sim(50, 1, config);
        s.run_for(SimDuration::from_millis(1000));
        assert_eq!(s.kinds["rumor-pull"], 5 * 50);
        assert_eq!(s.sent, 5 * 50, "nothing hot, nothing answered");
    }

    #[test]
    fn blind_counter_sends_each_update_exactly_k_times_per_node() {
        let config = RumorConfig {
            k: 3,
            removal: Removal::BlindCounter,
            fanout: 2,
            ..Default::default()
        };
        let mut s = sim(100, 2, config);
        s.write(NodeId(0), 1, 1);
        s.run_for(SimDuration::from_secs(20));
        // Every node that learned it pushed it to 2 peers per cycle until it had sent 3 times:
        // two cycles (2 + 2 sends, removed at the third send, during the second cycle).
        let holders = s.holders(1) as u64;
        assert_eq!(s.count("updates-sent"), holders * 4);
        assert!(!s.kinds.contains_key("rumor-feedback"));
    }

    #[test]
    fn push_pull_answers_with_feedback_and_the_peers_hot_updates() {
        let config = RumorConfig {
            mode: ExchangeMode::PushPull,
            ..Default::default()
        };
        let mut s = sim(2, 1, config);
        s.write(NodeId(0), 1, 1);
        s.write(NodeId(1), 2, 2);
        s.run_for(SimDuration::from_millis(250));
        assert!(s.converged());
        assert_eq!(s.holders(1), 2);
        assert_eq!(s.holders(2), 2);
    }

    #[test]
    fn conflicting_writes_settle_by_the_rule() {
        for (rule, winner) in [
            (ConflictRule::LastWriteWins, 2),
            (ConflictRule::FirstWriteWins, 1),
        ] {
            let config = RumorConfig {
                conflict: rule,
                mode: ExchangeMode::PushPull,
                k: 5,
                ..Default::default()
            };
            let mut s = sim(60, 9, config);
            s.write(NodeId(0), 7, 1);
            s.run_for(SimDuration::from_millis(3));
            s.write(NodeId(30), 7, 2);
            s.run_for(SimDuration::from_secs(10));
            let values: std::collections::BTreeSet<u64> = s
                .nodes
                .iter()
                .filter_map(|n| n.store().get(7))
                .map(|v| v.value)
                .collect();
            assert_eq!(values, [winner].into(), "{rule:?}");
        }
    }

    #[test]
    fn with_an_mtu_the_newest_hot_updates_go_first_and_the_rest_wait() {
        let mtu = 100; // header 12 + 2 + 3 entries of 28
        let config = RumorConfig {
            mtu: Some(mtu),
            k: 3,
            ..Default::default()
        };
        let mut s = sim(30, 4, config);
        for k in 0..10u64 {
            s.write(NodeId(0), k, k);
            s.run_for(SimDuration::from_millis(1));
        }
        s.run_for(SimDuration::from_millis(200));
        // The first push from node 0 carried the three newest.
        let early: Vec<Key> = s
            .learned
            .iter()
            .filter(|(_, n, _)| *n != NodeId(0))
            .map(|(_, _, k)| *k)
            .take(3)
            .collect();
        assert_eq!(early, vec![7, 8, 9]);
        s.run_for(SimDuration::from_secs(20));
        assert!(s.largest_message <= mtu as usize);
        assert!(s.count("mtu-deferred") > 0);
        for k in 0..10 {
            assert!(s.holders(k) > 20, "key {k} starved: {}", s.holders(k));
        }
    }
}
