//! Anti-entropy (the SI model of Demers et al. 1987) with full-state reconciliation.
//!
//! Every `period` each node picks one peer from its [`PeerSampler`] and reconciles its whole
//! replica with it:
//!
//! * push: the node sends its full state; the peer merges it.
//! * pull: the node asks; the peer answers with its full state.
//! * push-pull: the node sends its full state; the peer merges it and answers with exactly the
//!   entries the node lacks or holds in a losing version (it has the node's full state in hand,
//!   so that difference is exact and costs nothing extra to compute).
//!
//! Anti-entropy never gives up on an update, so once the network lets two nodes talk every live
//! node converges: it removes the residue rumor mongering leaves, at the price of traffic that
//! grows with the size of the state.

use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, SimDuration, TimerId, Value, Version,
    Versioned, VersionedStore, uniform_below,
};
use serde::{Deserialize, Serialize};

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
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            period: SimDuration::from_secs(1),
            mode: ExchangeMode::PushPull,
            fanout: 1,
            conflict: ConflictRule::LastWriteWins,
        }
    }
}

/// The messages of full-state anti-entropy.
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
    /// A pull: "send me your full state".
    PullRequest,
}

impl Message for AntiEntropyMessage {
    fn wire_size(&self) -> usize {
        match self {
            AntiEntropyMessage::State { entries, .. } => {
                HEADER_WIRE_BYTES + 5 + entries.len() * ENTRY_WIRE_BYTES
            }
            AntiEntropyMessage::PullRequest => HEADER_WIRE_BYTES,
        }
    }

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
        }
    }
}

/// One anti-entropy node.
#[derive(Clone, Debug)]
pub struct AntiEntropyNode<S> {
    config: AntiEntropyConfig,
    sampler: S,
    store: VersionedStore,
    peers: Vec<NodeId>,
}

impl<S: PeerSampler> AntiEntropyNode<S> {
    /// A fresh node with an empty store.
    pub fn new(config: AntiEntropyConfig, sampler: S) -> Self {
        AntiEntropyNode {
            config,
            sampler,
            store: VersionedStore::new(),
            peers: Vec::new(),
        }
    }

    fn merge_all<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        entries: &[(Key, Versioned)],
    ) {
        for &(key, incoming) in entries {
            match self.store.merge(key, incoming, self.config.conflict) {
                MergeOutcome::Applied => ctx.observe(Observation::Learned {
                    key,
                    version: incoming.version,
                }),
                MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key }),
                MergeOutcome::Superseded => {}
            }
        }
    }

    /// The entries of our (merged) replica that `theirs` lacks or holds in another version.
    fn difference(&self, theirs: &[(Key, Versioned)]) -> Entries {
        let mut out = Entries::new();
        let mut j = 0;
        for (key, ours) in self.store.iter() {
            while j < theirs.len() && theirs[j].0 < key {
                j += 1;
            }
            let same =
                j < theirs.len() && theirs[j].0 == key && theirs[j].1.version == ours.version;
            if !same {
                out.push((key, *ours));
            }
        }
        out
    }

    fn full_state(&self) -> Entries {
        Entries::from_slice(self.store.entries())
    }
}

impl<S: PeerSampler> Node for AntiEntropyNode<S> {
    type Message = AntiEntropyMessage;

    fn on_start<C: Context<AntiEntropyMessage>>(&mut self, ctx: &mut C) {
        // A random first delay spreads the exchanges of all nodes evenly over a period.
        let period = self.config.period.as_nanos().max(1);
        let first = SimDuration(1 + uniform_below(ctx.rng(), period));
        ctx.set_timer(first, TICK);
    }

    fn on_timer<C: Context<AntiEntropyMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        if timer != TICK {
            return;
        }
        ctx.set_timer(self.config.period, TICK);
        let me = ctx.me();
        let mut peers = std::mem::take(&mut self.peers);
        self.sampler.sample_distinct(
            me,
            self.config.fanout.max(1) as usize,
            ctx.rng(),
            &mut peers,
        );
        for &peer in &peers {
            let msg = match self.config.mode {
                ExchangeMode::Push => AntiEntropyMessage::State {
                    entries: self.full_state(),
                    reply_wanted: false,
                },
                ExchangeMode::PushPull => AntiEntropyMessage::State {
                    entries: self.full_state(),
                    reply_wanted: true,
                },
                ExchangeMode::Pull => AntiEntropyMessage::PullRequest,
            };
            ctx.send(peer, msg);
        }
        self.peers = peers;
    }

    fn on_message<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: AntiEntropyMessage,
    ) {
        match msg {
            AntiEntropyMessage::State {
                entries,
                reply_wanted,
            } => {
                self.merge_all(ctx, &entries);
                if reply_wanted {
                    let missing = self.difference(&entries);
                    if !missing.is_empty() {
                        ctx.send(
                            from,
                            AntiEntropyMessage::State {
                                entries: missing,
                                reply_wanted: false,
                            },
                        );
                    }
                }
            }
            AntiEntropyMessage::PullRequest => {
                if !self.store.is_empty() {
                    ctx.send(
                        from,
                        AntiEntropyMessage::State {
                            entries: self.full_state(),
                            reply_wanted: false,
                        },
                    );
                }
            }
        }
    }

    fn on_client_write<C: Context<AntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let version = Version {
            stamp: ctx.now().as_micros(),
            writer: ctx.me(),
        };
        if self
            .store
            .merge(key, Versioned { value, version }, self.config.conflict)
            .is_applied()
        {
            ctx.observe(Observation::Learned { key, version });
        }
        version
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}
