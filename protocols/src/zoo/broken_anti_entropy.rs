//! Zoo: push-pull anti-entropy with one deliberate bug from [`Bug`] (all but
//! [`Bug::NoRetryAfterLoss`], which is [`super::FireAndForgetNode`]).
//!
//! Without its bug this node is ordinary full-state push-pull anti-entropy: every period it
//! sends its state to a random peer, which merges it and replies with its own full state. The
//! bug is confined to the hook named after it, so each failure has exactly one cause.

use super::{Bug, ZooConfig};
use crate::{
    Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome, Message, Node,
    NodeId, Observation, PeerSampler, SimDuration, TimerId, Value, Version, Versioned,
    VersionedStore, entry_hash, uniform_below,
};
use serde::{Deserialize, Serialize};

const TICK: TimerId = TimerId(0);
const FLUSH: TimerId = TimerId(1);
/// Buckets of the digest reconciliation (key mod BUCKETS).
pub const BUCKETS: usize = 16;
/// Consecutive unanswered exchanges after which a node "resyncs" (see [`Bug::ForgetsPartitionWrites`]).
const RESYNC_AFTER: u32 = 3;

/// The messages of the broken anti-entropy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZooMessage {
    /// The sender's full state; the receiver answers with a [`ZooMessage::Reply`].
    State {
        /// Entries in key order.
        entries: Entries,
    },
    /// The replier's full state.
    Reply {
        /// Entries in key order.
        entries: Entries,
    },
    /// Per-bucket digests of the sender's state.
    Digest {
        /// One hash per bucket.
        buckets: [u64; BUCKETS],
    },
    /// "Send me your whole state; I will adopt it" (a node that believes it is stale).
    ResyncRequest,
    /// Entries of the buckets that differ; `want` asks for the peer's entries of those buckets.
    Buckets {
        /// Entries in key order.
        entries: Entries,
        /// Bitmap of buckets the receiver should send back.
        want: u32,
    },
}

impl Message for ZooMessage {
    #[inline]
    fn wire_size(&self) -> usize {
        HEADER_WIRE_BYTES
            + match self {
                ZooMessage::State { entries } | ZooMessage::Reply { entries } => {
                    2 + entries.len() * ENTRY_WIRE_BYTES
                }
                ZooMessage::Digest { .. } => BUCKETS * 8,
                ZooMessage::ResyncRequest => 0,
                ZooMessage::Buckets { entries, .. } => 6 + entries.len() * ENTRY_WIRE_BYTES,
            }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            ZooMessage::State { .. } => "zoo-state",
            ZooMessage::Reply { .. } => "zoo-reply",
            ZooMessage::Digest { .. } => "zoo-digest",
            ZooMessage::ResyncRequest => "zoo-resync",
            ZooMessage::Buckets { .. } => "zoo-buckets",
        }
    }
}

/// A broken anti-entropy node.
#[derive(Clone, Debug)]
pub struct BrokenAntiEntropyNode<S> {
    config: ZooConfig,
    sampler: S,
    store: VersionedStore,
    /// What survives a crash for [`Bug::LosesAckedWritesOnRestart`]: the state at the last flush.
    flushed: VersionedStore,
    started: bool,
    awaiting_reply: bool,
    unanswered: u32,
    me: NodeId,
}

impl<S: PeerSampler> BrokenAntiEntropyNode<S> {
    /// A fresh node carrying `config.bug`.
    pub fn new(config: ZooConfig, sampler: S) -> Self {
        BrokenAntiEntropyNode {
            config,
            sampler,
            store: VersionedStore::new(),
            flushed: VersionedStore::new(),
            started: false,
            awaiting_reply: false,
            unanswered: 0,
            me: NodeId(0),
        }
    }

    fn merge<C: Context<ZooMessage>>(&mut self, ctx: &mut C, key: Key, incoming: Versioned) {
        let rule = self.config.conflict;
        let odd = self.me.0 % 2 == 1;
        let outcome = match self.config.bug {
            // BUG: "newer" is tested as "different".
            Bug::AcceptsOlderVersions => self.store.merge_with(key, incoming, |a, b| a != b),
            // BUG: the tie-break on equal stamps flips with the node's id.
            Bug::TieBreakDiffersByNode => self.store.merge_with(key, incoming, |a, b| {
                if a.stamp != b.stamp {
                    a.stamp > b.stamp
                } else if odd {
                    a.writer < b.writer
                } else {
                    a.writer > b.writer
                }
            }),
            _ => self.store.merge(key, incoming, rule),
        };
        match outcome {
            MergeOutcome::Applied => ctx.observe(Observation::Learned {
                key,
                version: incoming.version,
            }),
            MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key }),
            MergeOutcome::Superseded => {}
        }
    }

    fn merge_all<C: Context<ZooMessage>>(&mut self, ctx: &mut C, entries: &[(Key, Versioned)]) {
        for &(key, v) in entries {
            self.merge(ctx, key, v);
        }
    }

    fn believes_stale(&self) -> bool {
        self.unanswered >= RESYNC_AFTER
    }

    fn full_state(&self) -> Entries {
        crate::entries_of(self.store.entries())
    }

    fn digest(&self) -> [u64; BUCKETS] {
        let mut d = [0u64; BUCKETS];
        for (key, v) in self.store.iter() {
            let b = (key % BUCKETS as u64) as usize;
            d[b] = d[b].wrapping_add(entry_hash(key, v));
        }
        d
    }

    fn bucket_entries(&self, mask: u32) -> Entries {
        self.store
            .iter()
            .filter(|(k, _)| mask & (1 << (k % BUCKETS as u64)) != 0)
            .map(|(k, v)| (k, *v))
            .collect()
    }
}

impl<S: PeerSampler> Node for BrokenAntiEntropyNode<S> {
    type Message = ZooMessage;

    fn on_start<C: Context<ZooMessage>>(&mut self, ctx: &mut C) {
        self.me = ctx.me();
        if self.started && self.config.bug == Bug::LosesAckedWritesOnRestart {
            // BUG: the process restarted with its disk intact, but the write-behind buffer —
            // writes already acknowledged to clients — was only in memory.
            self.store = self.flushed.clone();
        }
        self.started = true;
        self.awaiting_reply = false;
        let period = self.config.period.as_nanos().max(1);
        let first = SimDuration(1 + uniform_below(ctx.rng(), period));
        ctx.set_timer(first, TICK);
        if self.config.bug == Bug::LosesAckedWritesOnRestart {
            let first = SimDuration(1 + uniform_below(ctx.rng(), period));
            ctx.set_timer(first, FLUSH);
        }
    }

    fn on_timer<C: Context<ZooMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        if timer == FLUSH {
            self.flushed = self.store.clone();
            ctx.set_timer(self.config.period, FLUSH);
            return;
        }
        ctx.set_timer(self.config.period, TICK);
        if std::mem::replace(&mut self.awaiting_reply, true) {
            self.unanswered += 1;
        }
        let Some(peer) = self.sampler.sample(self.me, ctx.rng()) else {
            return;
        };
        let msg = match self.config.bug {
            Bug::MerkleSkipsLastBucket => ZooMessage::Digest {
                buckets: self.digest(),
            },
            Bug::ForgetsPartitionWrites if self.believes_stale() => ZooMessage::ResyncRequest,
            _ => ZooMessage::State {
                entries: self.full_state(),
            },
        };
        ctx.send(peer, msg);
    }

    fn on_message<C: Context<ZooMessage>>(&mut self, ctx: &mut C, from: NodeId, msg: &ZooMessage) {
        match msg {
            ZooMessage::State { entries } => {
                self.merge_all(ctx, entries);
                // A node that believes it is stale does not serve its state until it resyncs.
                if !(self.config.bug == Bug::ForgetsPartitionWrites && self.believes_stale()) {
                    ctx.send(
                        from,
                        ZooMessage::Reply {
                            entries: self.full_state(),
                        },
                    );
                }
            }
            ZooMessage::ResyncRequest => {
                ctx.send(
                    from,
                    ZooMessage::Reply {
                        entries: self.full_state(),
                    },
                );
            }
            ZooMessage::Reply { entries } => {
                let mut entries = entries.clone();
                self.awaiting_reply = false;
                if self.config.bug == Bug::CorruptsRepliedValues {
                    // BUG: an off-by-one in the reply decoder.
                    for (_, v) in entries.iter_mut() {
                        v.value = v.value.wrapping_add(1);
                    }
                }
                if self.config.bug == Bug::ForgetsPartitionWrites && self.believes_stale() {
                    // BUG: after several unanswered exchanges the node assumes *it* is the stale
                    // one and adopts the peer's state wholesale, dropping whatever was written
                    // locally while it was cut off.
                    self.store.clear();
                }
                self.unanswered = 0;
                self.merge_all(ctx, &entries);
            }
            ZooMessage::Digest { buckets } => {
                let mine = self.digest();
                let mut differ = 0u32;
                // BUG: the loop bound should be BUCKETS.
                for b in 0..BUCKETS - 1 {
                    if mine[b] != buckets[b] {
                        differ |= 1 << b;
                    }
                }
                self.awaiting_reply = false;
                if differ != 0 {
                    ctx.send(
                        from,
                        ZooMessage::Buckets {
                            entries: self.bucket_entries(differ),
                            want: differ,
                        },
                    );
                }
            }
            ZooMessage::Buckets { entries, want } => {
                let want = *want;
                self.awaiting_reply = false;
                self.unanswered = 0;
                self.merge_all(ctx, entries);
                if want != 0 {
                    ctx.send(
                        from,
                        ZooMessage::Buckets {
                            entries: self.bucket_entries(want),
                            want: 0,
                        },
                    );
                }
            }
        }
    }

    fn on_client_write<C: Context<ZooMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        // The write goes through the node's own (possibly broken) merge.
        let version = crate::write_version(ctx);
        self.merge(ctx, key, Versioned { value, version });
        version
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // Loaded from disk, so already flushed: a restart that keeps the disk keeps it.
        self.store.preload(initial, self.config.conflict);
        self.flushed.preload(initial, self.config.conflict);
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}
