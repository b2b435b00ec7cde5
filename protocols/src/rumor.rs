//! Rumor mongering (the SIR model of Demers et al. 1987), push mode.
//!
//! A node that learns an update finds it *hot* and becomes infective for it: every gossip cycle it
//! pushes its hot updates to `fanout` peers drawn from its [`PeerSampler`]. It loses interest in
//! an update — becomes *removed* for it — by one of four rules:
//!
//! * feedback + counter: after `k` contacts with peers that already knew it;
//! * feedback + coin: with probability `1/k` after each such contact;
//! * blind + counter: after `k` sends, whatever the peer knew;
//! * blind + coin: with probability `1/k` after each send.
//!
//! Feedback travels as a small reply listing the pushed keys the receiver already held. Rumor
//! mongering alone leaves a *residue* of nodes that never hear the update; that is the
//! behaviour under study, not a bug (anti-entropy removes it).
//!
//! Cycles are aligned to a per-node phase drawn at start, so a node's gossip rounds are evenly
//! spaced whether it learned the rumor early or late in a cycle.

use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, SimDuration, TimerId, Value, Version,
    Versioned, VersionedStore, coin, uniform_below,
};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

const TICK: TimerId = TimerId(0);

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
    fn uses_feedback(self) -> bool {
        matches!(self, Removal::FeedbackCounter | Removal::FeedbackCoin)
    }
}

/// The parameters of rumor mongering.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RumorConfig {
    /// The gossip cycle: how often an infective node pushes.
    pub period: SimDuration,
    /// Peers contacted per cycle.
    pub fanout: u32,
    /// The removal parameter `k` (a counter limit, or the inverse coin probability).
    pub k: u32,
    /// The removal rule.
    pub removal: Removal,
    /// How concurrent versions of a key are resolved.
    pub conflict: ConflictRule,
}

impl Default for RumorConfig {
    fn default() -> Self {
        RumorConfig {
            period: SimDuration::from_millis(200),
            fanout: 1,
            k: 2,
            removal: Removal::FeedbackCounter,
            conflict: ConflictRule::LastWriteWins,
        }
    }
}

/// The messages of push rumor mongering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RumorMessage {
    /// The sender's hot updates.
    Push {
        /// The updates, in key order.
        updates: Entries,
    },
    /// The keys of a push that the receiver already held (at that version or a preferred one).
    Feedback {
        /// Keys already known.
        known: SmallVec<[Key; 2]>,
    },
}

impl Message for RumorMessage {
    fn wire_size(&self) -> usize {
        match self {
            RumorMessage::Push { updates } => {
                HEADER_WIRE_BYTES + 2 + updates.len() * ENTRY_WIRE_BYTES
            }
            RumorMessage::Feedback { known } => HEADER_WIRE_BYTES + 2 + known.len() * 8,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            RumorMessage::Push { .. } => "rumor-push",
            RumorMessage::Feedback { .. } => "rumor-feedback",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HotRumor {
    key: Key,
    counter: u32,
}

/// One rumor-mongering node.
#[derive(Clone, Debug)]
pub struct RumorNode<S> {
    config: RumorConfig,
    sampler: S,
    store: VersionedStore,
    hot: Vec<HotRumor>,
    ticking: bool,
    phase: SimDuration,
    peers: Vec<NodeId>,
}

impl<S: PeerSampler> RumorNode<S> {
    /// A fresh node with an empty store.
    pub fn new(config: RumorConfig, sampler: S) -> Self {
        RumorNode {
            config,
            sampler,
            store: VersionedStore::new(),
            hot: Vec::new(),
            ticking: false,
            phase: SimDuration::ZERO,
            peers: Vec::new(),
        }
    }

    /// The number of updates this node is still spreading.
    pub fn hot_count(&self) -> usize {
        self.hot.len()
    }

    fn make_hot(&mut self, key: Key) {
        match self.hot.iter_mut().find(|h| h.key == key) {
            Some(h) => h.counter = 0,
            None => self.hot.push(HotRumor { key, counter: 0 }),
        }
    }

    fn arm_tick<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        if self.ticking || self.hot.is_empty() {
            return;
        }
        let period = self.config.period.as_nanos().max(1);
        let offset =
            (ctx.now().as_nanos() % period + period - self.phase.as_nanos() % period) % period;
        ctx.set_timer(SimDuration(period - offset), TICK);
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

    fn gossip<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        let me = ctx.me();
        let mut peers = std::mem::take(&mut self.peers);
        self.sampler
            .sample_distinct(me, self.config.fanout as usize, ctx.rng(), &mut peers);
        if !peers.is_empty() {
            let mut updates: Entries = self
                .hot
                .iter()
                .filter_map(|h| self.store.get(h.key).map(|v| (h.key, *v)))
                .collect();
            updates.sort_unstable_by_key(|(k, _)| *k);
            for &peer in &peers {
                ctx.send(
                    peer,
                    RumorMessage::Push {
                        updates: updates.clone(),
                    },
                );
                if !self.config.removal.uses_feedback() {
                    let mut i = self.hot.len();
                    while i > 0 {
                        i -= 1;
                        self.lose_interest(i, ctx.rng());
                    }
                }
            }
        }
        self.peers = peers;
    }
}

impl<S: PeerSampler> Node for RumorNode<S> {
    type Message = RumorMessage;

    fn on_start<C: Context<RumorMessage>>(&mut self, ctx: &mut C) {
        // Restarted nodes lost their timers; draw a fresh phase and resume if still infective.
        self.ticking = false;
        self.phase = SimDuration(uniform_below(
            ctx.rng(),
            self.config.period.as_nanos().max(1),
        ));
        self.arm_tick(ctx);
    }

    fn on_timer<C: Context<RumorMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        if timer != TICK {
            return;
        }
        self.ticking = false;
        if self.hot.is_empty() {
            return;
        }
        self.gossip(ctx);
        self.arm_tick(ctx);
    }

    fn on_message<C: Context<RumorMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: RumorMessage,
    ) {
        match msg {
            RumorMessage::Push { updates } => {
                let mut known = SmallVec::new();
                for (key, incoming) in updates {
                    match self.store.merge(key, incoming, self.config.conflict) {
                        MergeOutcome::Applied => {
                            ctx.observe(Observation::Learned {
                                key,
                                version: incoming.version,
                            });
                            self.make_hot(key);
                        }
                        MergeOutcome::AlreadyKnown => {
                            ctx.observe(Observation::Redundant { key });
                            known.push(key);
                        }
                        MergeOutcome::Superseded => known.push(key),
                    }
                }
                if self.config.removal.uses_feedback() && !known.is_empty() {
                    ctx.send(from, RumorMessage::Feedback { known });
                }
                self.arm_tick(ctx);
            }
            RumorMessage::Feedback { known } => {
                for key in known {
                    if let Some(i) = self.hot.iter().position(|h| h.key == key) {
                        self.lose_interest(i, ctx.rng());
                    }
                }
            }
        }
    }

    fn on_client_write<C: Context<RumorMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let version = Version {
            stamp: ctx.now().as_micros(),
            writer: ctx.me(),
        };
        let entry = Versioned { value, version };
        if self
            .store
            .merge(key, entry, self.config.conflict)
            .is_applied()
        {
            ctx.observe(Observation::Learned { key, version });
            self.make_hot(key);
            self.arm_tick(ctx);
        }
        version
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}
