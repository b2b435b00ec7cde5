//! Direct mail (Demers et al. 1987, §1.1): the node that accepts a write mails the update to
//! every other member at once, and each receiver acknowledges it. Timely and cheap in messages
//! per update (n − 1 mails and n − 1 acknowledgements), but all of it at the origin (O(n) per
//! update), and only as reliable as the origin's mail queue.
//!
//! A mail not acknowledged within `ack_timeout` (lost, partitioned away, or sent to a crashed
//! node) goes to a bounded retry queue and is sent again; the queue holds at most `retry_queue`
//! failed sends at a time, and what does not fit is dropped for good and counted
//! (`direct-mail-dropped`). A send that has failed `max_retries` retries is abandoned
//! (`direct-mail-abandoned`). Every resend counts `direct-mail-retries`. So after a partition
//! of half the cluster, direct mail either retries its way across the heal or — with a small
//! queue — leaves a residue that only anti-entropy would remove.
//!
//! A mail carries one update, so it always fits the scenario's MTU.

use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, HEADER_WIRE_BYTES, Key, MergeOutcome, Message, Node,
    NodeId, Observation, PeerSampler, SimDuration, SimTime, TimerId, Value, Version, Versioned,
    VersionedStore,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

const CHECK: TimerId = TimerId(1);

/// The parameters of direct mail.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectMailConfig {
    /// How long the origin waits for an acknowledgement before it counts a send as failed.
    pub ack_timeout: SimDuration,
    /// How many failed sends the retry queue holds at once; more are dropped.
    pub retry_queue: u32,
    /// How often a failed send is retried before it is abandoned.
    pub max_retries: u32,
    /// How concurrent versions of a key are resolved.
    pub conflict: ConflictRule,
    /// The largest message in bytes; the runner sets it from the scenario's `network.mtu`. (A
    /// mail is one update, so it always fits.)
    #[serde(default)]
    pub mtu: Option<u32>,
}

impl Default for DirectMailConfig {
    fn default() -> Self {
        DirectMailConfig {
            ack_timeout: SimDuration::from_secs(1),
            retry_queue: 256,
            max_retries: 3,
            conflict: ConflictRule::LastWriteWins,
            mtu: None,
        }
    }
}

/// The messages of direct mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DirectMailMessage {
    /// One update, from the node that accepted the write.
    Mail {
        /// The key.
        key: Key,
        /// The value and its version.
        entry: Versioned,
    },
    /// "I have it": the receiver of a mail to its origin.
    Ack {
        /// The key.
        key: Key,
        /// The version received.
        version: Version,
    },
}

impl Message for DirectMailMessage {
    #[inline]
    fn wire_size(&self) -> usize {
        match self {
            DirectMailMessage::Mail { .. } => HEADER_WIRE_BYTES + ENTRY_WIRE_BYTES,
            // Key 8, stamp 8, writer 4.
            DirectMailMessage::Ack { .. } => HEADER_WIRE_BYTES + 20,
        }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            DirectMailMessage::Mail { .. } => "mail",
            DirectMailMessage::Ack { .. } => "mail-ack",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    deadline: SimTime,
    /// Sends made so far (the first one included).
    sends: u32,
}

/// One direct-mail node.
#[derive(Clone, Debug)]
pub struct DirectMailNode<S> {
    config: DirectMailConfig,
    sampler: S,
    store: VersionedStore,
    /// Sends awaiting an acknowledgement, by (receiver, key, version).
    outstanding: BTreeMap<(NodeId, Key, Version), Pending>,
    /// Failed sends waiting to be retried.
    retry: VecDeque<((NodeId, Key, Version), u32)>,
    checking: bool,
}

impl<S: PeerSampler> DirectMailNode<S> {
    /// A fresh node with an empty store.
    pub fn new(config: DirectMailConfig, sampler: S) -> Self {
        DirectMailNode {
            config,
            sampler,
            store: VersionedStore::new(),
            outstanding: BTreeMap::new(),
            retry: VecDeque::new(),
            checking: false,
        }
    }

    /// Sends awaiting an acknowledgement.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    fn arm<C: Context<DirectMailMessage>>(&mut self, ctx: &mut C) {
        if !self.checking && !self.outstanding.is_empty() {
            ctx.set_timer(self.config.ack_timeout, CHECK);
            self.checking = true;
        }
    }

    /// Mails the update to each of `peers` (`sends` counting this one) and awaits their
    /// acknowledgements: one message for all of them (`send_each`), which for a broadcast to
    /// 10^6 nodes is one message in flight rather than a million.
    fn mail<C: Context<DirectMailMessage>>(
        &mut self,
        ctx: &mut C,
        peers: &[NodeId],
        key: Key,
        entry: Versioned,
        sends: u32,
    ) {
        if peers.is_empty() {
            return;
        }
        ctx.observe(Observation::Count {
            what: "updates-sent",
            n: peers.len() as u64,
        });
        ctx.send_each(peers, || DirectMailMessage::Mail { key, entry });
        let deadline = ctx.now() + self.config.ack_timeout;
        for &to in peers {
            let pending = Pending { deadline, sends };
            self.outstanding.insert((to, key, entry.version), pending);
        }
    }

    /// Moves the sends whose acknowledgement is overdue to the retry queue (or drops them when
    /// it is full, or abandons them after `max_retries`), then retries what the queue holds.
    fn check<C: Context<DirectMailMessage>>(&mut self, ctx: &mut C) {
        let now = ctx.now();
        let overdue: Vec<_> = self
            .outstanding
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, p)| (*id, p.sends))
            .collect();
        let (mut dropped, mut abandoned) = (0, 0);
        for (id, sends) in overdue {
            self.outstanding.remove(&id);
            let (_, key, version) = id;
            if self.store.get(key).map(|v| v.version) != Some(version) {
                continue; // superseded by a later write, which has mail of its own
            }
            if sends > self.config.max_retries {
                abandoned += 1;
            } else if self.retry.len() >= self.config.retry_queue as usize {
                dropped += 1;
            } else {
                self.retry.push_back((id, sends));
            }
        }
        for (what, n) in [
            ("direct-mail-dropped", dropped),
            ("direct-mail-abandoned", abandoned),
        ] {
            if n > 0 {
                ctx.observe(Observation::Count { what, n });
            }
        }
        let retries = self.retry.len() as u64;
        while let Some(((to, key, version), sends)) = self.retry.pop_front() {
            if let Some(entry) = self.store.get(key).copied()
                && entry.version == version
            {
                self.mail(ctx, &[to], key, entry, sends + 1);
            }
        }
        if retries > 0 {
            ctx.observe(Observation::Count {
                what: "direct-mail-retries",
                n: retries,
            });
        }
    }
}

impl<S: PeerSampler> Node for DirectMailNode<S> {
    type Message = DirectMailMessage;

    fn on_start<C: Context<DirectMailMessage>>(&mut self, ctx: &mut C) {
        // A restart lost the timer; mail still unacknowledged is checked again.
        self.checking = false;
        self.arm(ctx);
    }

    fn on_timer<C: Context<DirectMailMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        if timer != CHECK {
            return;
        }
        self.checking = false;
        self.check(ctx);
        self.arm(ctx);
    }

    fn on_message<C: Context<DirectMailMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &DirectMailMessage,
    ) {
        match *msg {
            DirectMailMessage::Mail { key, entry } => {
                match self.store.merge(key, entry, self.config.conflict) {
                    MergeOutcome::Applied => ctx.observe(Observation::Learned {
                        key,
                        version: entry.version,
                    }),
                    MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key }),
                    MergeOutcome::Superseded => {}
                }
                ctx.send(
                    from,
                    DirectMailMessage::Ack {
                        key,
                        version: entry.version,
                    },
                );
            }
            DirectMailMessage::Ack { key, version } => {
                self.outstanding.remove(&(from, key, version));
            }
        }
    }

    fn on_client_write<C: Context<DirectMailMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let (version, applied) =
            crate::local_write(&mut self.store, ctx, key, value, self.config.conflict);
        let entry = Versioned { value, version };
        if applied {
            let me = ctx.me();
            let mut peers = crate::PeerList::new();
            self.sampler.all_peers(me, ctx.rng(), &mut peers);
            self.mail(ctx, &peers, key, entry, 1);
            self.arm(ctx);
        }
        version
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // Already everywhere: nothing to mail, nothing outstanding.
        self.store.preload(initial, self.config.conflict);
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

    fn sim(n: u32, config: DirectMailConfig) -> Sim<DirectMailNode<UniformPeers>> {
        Sim::new(n, 1, |_| DirectMailNode::new(config, UniformPeers::new(n)))
    }

    #[test]
    fn the_origin_mails_everyone_once_and_everyone_acknowledges() {
        let mut s = sim(50, DirectMailConfig::default());
        s.write(NodeId(3), 1, 7);
        s.run_for(SimDuration::from_secs(5));
        assert_eq!(s.holders(1), 50);
        assert_eq!(s.kinds["mail"], 49);
        assert_eq!(s.kinds["mail-ack"], 49);
        assert_eq!(s.nodes[3].outstanding(), 0);
        assert_eq!(s.count("direct-mail-retries"), 0);
    }

    #[test]
    fn failed_sends_are_retried_across_a_heal() {
        let mut s = sim(10, DirectMailConfig::default());
        s.side = Some(vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
        s.write(NodeId(0), 1, 7);
        s.run_for(SimDuration::from_millis(1500));
        assert_eq!(s.holders(1), 5);
        s.side = None;
        s.run_for(SimDuration::from_secs(3));
        assert_eq!(s.holders(1), 10);
        // Retried at 1 s (still cut off) and again at 2 s (healed): five sends, twice each.
        assert_eq!(s.count("direct-mail-retries"), 10);
        assert_eq!(s.count("direct-mail-dropped"), 0);
    }

    #[test]
    fn an_overflowing_retry_queue_drops_and_counts() {
        let config = DirectMailConfig {
            retry_queue: 2,
            ..Default::default()
        };
        let mut s = sim(10, config);
        s.side = Some(vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
        s.write(NodeId(0), 1, 7);
        s.run_for(SimDuration::from_millis(1500));
        s.side = None;
        s.run_for(SimDuration::from_secs(5));
        assert_eq!(s.count("direct-mail-dropped"), 3);
        assert_eq!(
            s.holders(1),
            7,
            "two retried sends got through, three were dropped"
        );
    }

    #[test]
    fn a_restarted_origin_keeps_retrying() {
        let mut s = sim(4, DirectMailConfig::default());
        s.side = Some(vec![0, 0, 1, 1]);
        s.write(NodeId(0), 1, 7);
        s.run_for(SimDuration::from_millis(500));
        s.crash(NodeId(0));
        s.side = None;
        s.run_for(SimDuration::from_secs(2));
        assert_eq!(s.holders(1), 2, "a crashed origin sent nothing");
        s.restart(NodeId(0));
        s.run_for(SimDuration::from_secs(2));
        assert_eq!(s.holders(1), 4);
        assert_eq!(s.nodes[0].outstanding(), 0);
    }

    #[test]
    fn a_send_that_keeps_failing_is_abandoned() {
        let config = DirectMailConfig {
            max_retries: 2,
            ..Default::default()
        };
        let mut s = sim(3, config);
        s.crash(NodeId(2));
        s.write(NodeId(0), 1, 7);
        s.run_for(SimDuration::from_secs(10));
        assert_eq!(s.count("direct-mail-retries"), 2);
        assert_eq!(s.count("direct-mail-abandoned"), 1);
        assert_eq!(s.nodes[0].outstanding(), 0);
    }
}
