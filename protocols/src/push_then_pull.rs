//! Push-then-pull (Karp, Schindelhauer, Shenker and Vöcking 2000): push an update while it is
//! young, then switch to pull.
//!
//! Push is cheap while few know an update (almost every push reaches a new node) and wasteful
//! once most do; pull is the reverse: once most nodes know, the fraction still ignorant squares
//! every round (`s → s²`). So, by the update's *age* in rounds:
//!
//! * while `age < switch_round`, every node that holds it pushes it to `fanout` peers per round;
//! * while `switch_round ≤ age < switch_round + pull_rounds`, it is handed out only on request:
//!   every node asks `fanout` peers per round for the updates in their pull phase, and a peer
//!   holding such updates sends them;
//! * after that it is dead: nobody sends it any more.
//!
//! The switch defaults to ⌈log₂ n⌉ rounds — about when push has reached a constant fraction of
//! the nodes — and the pull phase to ⌈log₂ log₂ n⌉ + 2 rounds: in synchronous rounds at
//! n = 10³ and 10⁴ the squaring tail reached everyone on every seed with ⌈log₂ log₂ n⌉ + 1
//! rounds after the default switch (and missed some with one round less), so the default keeps
//! one round of margin. Both need the cluster size, which the node takes from its peer sampler.
//! `pull_rounds: 0` gives age-limited pure push, `switch_round: 0` pure pull; sweeping
//! `switch_round` shows where the cost per node per update is lowest.
//!
//! As in Karp et al.'s model, a node does not know what its partner holds: pushes go to informed
//! and uninformed peers alike, and a pull request says nothing about the asker, so an informed
//! asker is sent the update again. That is what makes both phases cost transmissions — push
//! about one per informed node per round, pull about one per asker that happens to call an
//! informed node — and gives the switch an optimum: too early and the update dies before
//! everyone has it, too late and push wastes its rounds on nodes that already know.
//!
//! An update's age is the time since its version was stamped, in periods, by the node's own
//! clock, judged at the start of the node's current round: `⌈(tick − stamp) / period⌉ − 1`, so
//! the writer acts on it with age 0 at its first tick after the write, and a request answered
//! mid-round sees the phase of that round. In synchronous rounds that is exactly Karp et al.'s round counter;
//! asynchronously it keeps the phases in real time, where an age counter carried in messages
//! would run ahead by half a period per hop. (Clock skew between nodes shifts the phases, as it
//! would in a deployment.) Every node asks every round, since a susceptible node cannot know
//! there is something to pull: one header-only request per node per round whatever the switch.
//! The `updates-sent` counter gives the transmissions of updates alone, the cost Karp et al.
//! count.

use crate::cycle::Cycle;
use crate::flow_control::{capacity, newest_first};
use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, SimDuration, SimTime, TimerId, Value, Version,
    VersionedStore,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const TICK: TimerId = TimerId(0);

/// The parameters of push-then-pull.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushThenPullConfig {
    /// The length of a round.
    pub period: SimDuration,
    /// Peers pushed to, and peers asked, per round.
    pub fanout: u32,
    /// The age (in rounds) at which an update stops being pushed and starts being pulled;
    /// `None` means ⌈log₂ n⌉.
    pub switch_round: Option<u32>,
    /// How many rounds the pull phase lasts; `None` means ⌈log₂ log₂ n⌉ + 2.
    pub pull_rounds: Option<u32>,
    /// How concurrent versions of a key are resolved.
    pub conflict: ConflictRule,
    /// All nodes act at the multiples of the period (synchronous rounds).
    #[serde(default)]
    pub synchronous: bool,
    /// The largest message in bytes; the runner sets it from the scenario's `network.mtu`.
    #[serde(default)]
    pub mtu: Option<u32>,
}

impl Default for PushThenPullConfig {
    fn default() -> Self {
        PushThenPullConfig {
            period: SimDuration::from_millis(200),
            fanout: 1,
            switch_round: None,
            pull_rounds: None,
            conflict: ConflictRule::LastWriteWins,
            synchronous: false,
            mtu: None,
        }
    }
}

impl PushThenPullConfig {
    /// The switch round for a cluster of `n` nodes: as configured, or ⌈log₂ n⌉.
    pub fn switch_for(&self, n: u32) -> u32 {
        self.switch_round.unwrap_or_else(|| ceil_log2(n))
    }

    /// The pull phase's length for a cluster of `n` nodes: as configured, or
    /// ⌈log₂ log₂ n⌉ + 2.
    pub fn pull_rounds_for(&self, n: u32) -> u32 {
        self.pull_rounds
            .unwrap_or_else(|| ceil_log2(ceil_log2(n).max(1)) + 2)
    }
}

/// ⌈log₂ n⌉ (0 for n ≤ 1).
fn ceil_log2(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// The messages of push-then-pull.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushThenPullMessage {
    /// Updates in their push phase.
    Push {
        /// The updates, in key order.
        updates: Entries,
    },
    /// "Send me your updates in their pull phase."
    Pull,
    /// The answer to a pull: updates in their pull phase.
    Reply {
        /// The updates, in key order.
        updates: Entries,
    },
}

impl Message for PushThenPullMessage {
    #[inline]
    fn owns_heap(&self) -> bool {
        match self {
            PushThenPullMessage::Push { updates } | PushThenPullMessage::Reply { updates } => {
                updates.spilled()
            }
            PushThenPullMessage::Pull => false,
        }
    }

    #[inline]
    fn wire_size(&self) -> usize {
        match self {
            PushThenPullMessage::Push { updates } | PushThenPullMessage::Reply { updates } => {
                HEADER_WIRE_BYTES + 2 + updates.len() * ENTRY_WIRE_BYTES
            }
            PushThenPullMessage::Pull => HEADER_WIRE_BYTES,
        }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            PushThenPullMessage::Push { .. } => "ptp-push",
            PushThenPullMessage::Pull => "ptp-pull",
            PushThenPullMessage::Reply { .. } => "ptp-reply",
        }
    }
}

/// One push-then-pull node.
#[derive(Clone, Debug)]
pub struct PushThenPullNode<S> {
    /// Shared by every node of a cluster built by a factory ([`PushThenPullNode::factory`]):
    /// a copy of its own was 40 of a node's 144 bytes, and its member in the emulator took 192
    /// bytes (one to a line) where it now takes 144 (packed), three lines either way.
    config: Arc<PushThenPullConfig>,
    sampler: S,
    store: VersionedStore,
    /// Keys whose update is not yet dead.
    live: Vec<Key>,
    switch: u32,
    lifetime: u32,
    cycle: Cycle,
    ticking: bool,
    /// When this node's current round began (its last tick): ages are judged then, so a
    /// request answered mid-round sees the same phase as the round's pushes.
    round_start: SimTime,
}

impl<S: PeerSampler> PushThenPullNode<S> {
    /// A fresh node with an empty store and a copy of `config` of its own (the nodes a
    /// [`PushThenPullNode::factory`] makes share one).
    pub fn new(config: PushThenPullConfig, sampler: S) -> Self {
        Self::sharing(Arc::new(config), sampler)
    }

    /// Makes the nodes of a cluster: fresh nodes sharing one copy of `config`, each with a
    /// copy of `sampler`.
    pub fn factory(
        config: PushThenPullConfig,
        sampler: S,
    ) -> impl Fn(NodeId) -> Self + Clone + use<S>
    where
        S: Clone,
    {
        let config = Arc::new(config);
        move |_| PushThenPullNode::sharing(Arc::clone(&config), sampler.clone())
    }

    fn sharing(config: Arc<PushThenPullConfig>, sampler: S) -> Self {
        PushThenPullNode {
            config,
            sampler,
            store: VersionedStore::new(),
            live: Vec::new(),
            switch: 0,
            lifetime: 0,
            cycle: Cycle::default(),
            ticking: false,
            round_start: SimTime::ZERO,
        }
    }

    /// The switch round and the round an update dies, for this node's cluster.
    pub fn phases(&self) -> (u32, u32) {
        (self.switch, self.lifetime)
    }

    fn pulls(&self) -> bool {
        self.lifetime > self.switch
    }

    /// The age in rounds of an update stamped `stamp`, at `now`: ⌈elapsed / period⌉ − 1.
    fn age(&self, stamp_micros: u64, now: SimTime) -> u32 {
        let elapsed = now
            .as_nanos()
            .saturating_sub(stamp_micros.saturating_mul(1_000));
        let period = self.config.period.as_nanos().max(1);
        elapsed
            .div_ceil(period)
            .saturating_sub(1)
            .min(u64::from(u32::MAX)) as u32
    }

    fn age_of(&self, key: Key, now: SimTime) -> u32 {
        self.store
            .get(key)
            .map_or(u32::MAX, |v| self.age(v.version.stamp, now))
    }

    fn arm<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C) {
        if self.ticking || (self.live.is_empty() && !self.pulls()) {
            return;
        }
        ctx.set_timer(self.cycle.until_next(ctx.now(), self.config.period), TICK);
        self.ticking = true;
    }

    /// Forgets updates that have died.
    fn prune(&mut self, now: SimTime) {
        let mut live = std::mem::take(&mut self.live);
        live.retain(|&k| self.age_of(k, now) < self.lifetime);
        self.live = live;
    }

    /// Live updates whose age (at the start of this node's round) satisfies `phase`, in key
    /// order, trimmed to the MTU.
    fn select<C: Context<PushThenPullMessage>>(
        &mut self,
        ctx: &mut C,
        phase: impl Fn(u32) -> bool,
    ) -> Entries {
        let now = self.round_start;
        let mut updates: Entries = self
            .live
            .iter()
            .filter_map(|&k| self.store.get(k).map(|v| (k, *v)))
            .filter(|(_, v)| phase(self.age(v.version.stamp, now)))
            .collect();
        updates.sort_unstable_by_key(|(k, _)| *k);
        let room = capacity(self.config.mtu, HEADER_WIRE_BYTES + 2, ENTRY_WIRE_BYTES);
        let deferred = newest_first(&mut updates, room);
        if deferred > 0 {
            ctx.observe(Observation::Count {
                what: "mtu-deferred",
                n: deferred as u64,
            });
        }
        updates
    }

    fn merge<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C, updates: &Entries) {
        for &(key, incoming) in updates {
            match self.store.merge(key, incoming, self.config.conflict) {
                MergeOutcome::Applied => {
                    ctx.observe(Observation::Learned {
                        key,
                        version: incoming.version,
                    });
                    if !self.live.contains(&key) {
                        self.live.push(key);
                    }
                }
                MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key }),
                MergeOutcome::Superseded => {}
            }
        }
        self.prune(ctx.now());
    }

    fn send_updates<C: Context<PushThenPullMessage>>(
        ctx: &mut C,
        to: NodeId,
        msg: PushThenPullMessage,
    ) {
        if let PushThenPullMessage::Push { updates } | PushThenPullMessage::Reply { updates } = &msg
        {
            Self::count_updates_sent(ctx, updates.len());
        }
        ctx.send(to, msg);
    }

    /// Counts `n` updates sent.
    fn count_updates_sent<C: Context<PushThenPullMessage>>(ctx: &mut C, n: usize) {
        ctx.observe(Observation::Count {
            what: "updates-sent",
            n: n as u64,
        });
    }

    fn round<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C) {
        self.round_start = ctx.now();
        self.prune(ctx.now());
        let me = ctx.me();
        let switch = self.switch;
        let updates = self.select(ctx, |age| age < switch);
        let fanout = self.config.fanout as usize;
        let mut room = crate::RoundPeers::new();
        if !updates.is_empty() {
            let peers = room.draw(&self.sampler, me, fanout, ctx.rng());
            // The same push to every peer: sent once for all (`send_each`), counted as one
            // per peer.
            if !peers.is_empty() {
                Self::count_updates_sent(ctx, updates.len() * peers.len());
            }
            ctx.send_each(peers, || PushThenPullMessage::Push {
                updates: updates.clone(),
            });
        }
        if self.pulls() {
            for &peer in room.draw(&self.sampler, me, fanout, ctx.rng()) {
                ctx.send(peer, PushThenPullMessage::Pull);
            }
        }
    }
}

impl<S: PeerSampler> Node for PushThenPullNode<S> {
    type Message = PushThenPullMessage;

    fn on_start<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C) {
        let n = self.sampler.population(ctx.me()) + 1;
        self.switch = self.config.switch_for(n);
        self.lifetime = self.switch + self.config.pull_rounds_for(n);
        self.ticking = false;
        self.cycle = Cycle::draw(ctx.rng(), self.config.period, self.config.synchronous);
        self.arm(ctx);
    }

    fn on_timer<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        if timer != TICK {
            return;
        }
        self.ticking = false;
        self.round(ctx);
        self.arm(ctx);
    }

    fn on_message<C: Context<PushThenPullMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &PushThenPullMessage,
    ) {
        match msg {
            PushThenPullMessage::Push { updates } | PushThenPullMessage::Reply { updates } => {
                self.merge(ctx, updates);
            }
            PushThenPullMessage::Pull => {
                self.prune(ctx.now());
                let (switch, lifetime) = (self.switch, self.lifetime);
                let updates = self.select(ctx, |age| age >= switch && age < lifetime);
                if !updates.is_empty() {
                    Self::send_updates(ctx, from, PushThenPullMessage::Reply { updates });
                }
            }
        }
        self.arm(ctx);
    }

    fn on_client_write<C: Context<PushThenPullMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let (version, applied) =
            crate::local_write(&mut self.store, ctx, key, value, self.config.conflict);
        if applied {
            if !self.live.contains(&key) {
                self.live.push(key);
            }
            self.arm(ctx);
        }
        version
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // Preloaded entries are not young updates: none is pushed or pulled as live.
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

    /// The nodes a factory makes share one configuration, and a node is the smaller for it.
    #[test]
    fn a_factorys_nodes_share_one_configuration() {
        let config = PushThenPullConfig {
            fanout: 2,
            ..PushThenPullConfig::default()
        };
        let make = PushThenPullNode::factory(config, UniformPeers::new(3));
        let (a, b) = (make(NodeId(0)), make(NodeId(1)));
        assert!(Arc::ptr_eq(&a.config, &b.config));
        assert_eq!(a.config.fanout, 2);
        assert!(std::mem::size_of::<PushThenPullNode<UniformPeers>>() <= 112);
    }

    fn sim(n: u32, seed: u64, config: PushThenPullConfig) -> Sim<PushThenPullNode<UniformPeers>> {
        let config = PushThenPullConfig {
            synchronous: true,
            ..config
        };
        Sim::new(n, seed, |_| {
            PushThenPullNode::new(config, UniformPeers::new(n))
        })
    }

    #[test]
    fn defaults_follow_the_cluster_size() {
        let c = PushThenPullConfig::default();
        assert_eq!((c.switch_for(1000), c.pull_rounds_for(1000)), (10, 6));
        assert_eq!((c.switch_for(1024), c.pull_rounds_for(1024)), (10, 6));
        assert_eq!((c.switch_for(100_000), c.pull_rounds_for(100_000)), (17, 7));
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
    }

    #[test]
    fn everyone_learns_and_the_update_dies_on_schedule() {
        for seed in 0..5 {
            let mut s = sim(500, seed, PushThenPullConfig::default());
            s.write(NodeId(0), 1, 1);
            let (_, lifetime) = s.nodes[0].phases();
            s.run_for(SimDuration::from_millis(200 * u64::from(lifetime + 2)));
            assert_eq!(s.holders(1), 500, "seed {seed}");
            let sent = s.count("updates-sent");
            s.run_for(SimDuration::from_secs(5));
            assert_eq!(
                s.count("updates-sent"),
                sent,
                "a dead update was still sent"
            );
        }
    }

    #[test]
    fn pure_push_and_pure_pull_are_the_two_ends_of_the_switch() {
        let push = PushThenPullConfig {
            switch_round: Some(25),
            pull_rounds: Some(0),
            ..Default::default()
        };
        let mut s = sim(300, 1, push);
        s.write(NodeId(0), 1, 1);
        s.run_for(SimDuration::from_secs(8));
        assert_eq!(s.holders(1), 300);
        assert!(!s.kinds.contains_key("ptp-pull"), "{:?}", s.kinds);
        let pull = PushThenPullConfig {
            switch_round: Some(0),
            pull_rounds: Some(25),
            ..Default::default()
        };
        let mut s = sim(300, 1, pull);
        s.write(NodeId(0), 1, 1);
        s.run_for(SimDuration::from_secs(8));
        assert_eq!(s.holders(1), 300);
        assert!(!s.kinds.contains_key("ptp-push"), "{:?}", s.kinds);
    }
}
