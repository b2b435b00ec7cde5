//! Push-then-pull (Karp, Schindelhauer, Shenker and Vöcking 2000): push an update while it is
//! young, then switch to pull.
//!
//! Push is cheap while few know an update (almost every push reaches a new node) and wasteful
//! once most do; pull is the reverse: once most nodes know, the fraction still ignorant squares
//! every round (`s → s²`). So each update carries its *age* in rounds, and:
//!
//! * while `age < switch_round`, every node that holds it pushes it to `fanout` peers per round;
//! * while `switch_round ≤ age < switch_round + pull_rounds`, it is handed out only on request:
//!   every node asks `fanout` peers per round for the updates in their pull phase, telling them
//!   which live updates it already holds (so nothing it has is sent again);
//! * after that it is dead: nobody sends it any more.
//!
//! The switch defaults to ⌈log₂ n⌉ rounds — about when push has reached a constant fraction of
//! the nodes — and the pull phase to ⌈log₂ log₂ n⌉ + 3 rounds, enough for the squaring tail to
//! reach everyone whp (both need the cluster size, which the node takes from its peer sampler).
//! `pull_rounds: 0` gives age-limited pure push, `switch_round: 0` pure pull; sweeping
//! `switch_round` shows where the cost per node per update is lowest.
//!
//! Ages travel with the update: a push carries the age the update will have after this round,
//! an answer to a pull the answering node's current age, and a node keeps the largest age it
//! has seen. Every node asks every round (susceptible nodes cannot know there is something to
//! pull), which costs one small request per node per round; the `updates-sent` counter gives the
//! transmissions of updates alone, the cost Karp et al. count.

use crate::cycle::Cycle;
use crate::flow_control::{FlowControl, capacity};
use crate::{
    ConflictRule, Context, ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, MergeOutcome,
    Message, Node, NodeId, Observation, PeerSampler, SimDuration, TimerId, Value, Version,
    Versioned, VersionedStore,
};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

const TICK: TimerId = TimerId(0);

/// Bytes of an age on the wire.
const AGE_WIRE_BYTES: usize = 2;
/// Bytes of a `(key, version)` pair on the wire: key 8, stamp 8, writer 4.
const HAVE_WIRE_BYTES: usize = 20;

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
    /// How many rounds the pull phase lasts; `None` means ⌈log₂ log₂ n⌉ + 3.
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
    /// ⌈log₂ log₂ n⌉ + 3.
    pub fn pull_rounds_for(&self, n: u32) -> u32 {
        self.pull_rounds
            .unwrap_or_else(|| ceil_log2(ceil_log2(n).max(1)) + 3)
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
    /// Updates in their push phase, with their ages.
    Push {
        /// The updates, in key order.
        updates: Entries,
        /// The age of each update, index for index.
        ages: SmallVec<[u16; 1]>,
    },
    /// "Send me your updates in their pull phase", listing the live updates the asker holds.
    Pull {
        /// `(key, version)` of the asker's live updates.
        have: SmallVec<[(Key, Version); 1]>,
    },
    /// The answer to a pull.
    Reply {
        /// The updates, in key order.
        updates: Entries,
        /// The age of each update, index for index.
        ages: SmallVec<[u16; 1]>,
    },
}

impl Message for PushThenPullMessage {
    fn wire_size(&self) -> usize {
        match self {
            PushThenPullMessage::Push { updates, .. }
            | PushThenPullMessage::Reply { updates, .. } => {
                HEADER_WIRE_BYTES + 2 + updates.len() * (ENTRY_WIRE_BYTES + AGE_WIRE_BYTES)
            }
            PushThenPullMessage::Pull { have } => {
                HEADER_WIRE_BYTES + 2 + have.len() * HAVE_WIRE_BYTES
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PushThenPullMessage::Push { .. } => "ptp-push",
            PushThenPullMessage::Pull { .. } => "ptp-pull",
            PushThenPullMessage::Reply { .. } => "ptp-reply",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Live {
    key: Key,
    age: u32,
}

/// One push-then-pull node.
#[derive(Clone, Debug)]
pub struct PushThenPullNode<S> {
    config: PushThenPullConfig,
    sampler: S,
    store: VersionedStore,
    live: Vec<Live>,
    switch: u32,
    lifetime: u32,
    cycle: Cycle,
    ticking: bool,
    peers: Vec<NodeId>,
    flow: FlowControl,
}

impl<S: PeerSampler> PushThenPullNode<S> {
    /// A fresh node with an empty store.
    pub fn new(config: PushThenPullConfig, sampler: S) -> Self {
        PushThenPullNode {
            config,
            sampler,
            store: VersionedStore::new(),
            live: Vec::new(),
            switch: 0,
            lifetime: 0,
            cycle: Cycle::default(),
            ticking: false,
            peers: Vec::new(),
            flow: FlowControl::new(),
        }
    }

    /// The switch round and the round an update dies, for this node's cluster.
    pub fn phases(&self) -> (u32, u32) {
        (self.switch, self.lifetime)
    }

    fn pulls(&self) -> bool {
        self.lifetime > self.switch
    }

    fn arm<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C) {
        if self.ticking || (self.live.is_empty() && !self.pulls()) {
            return;
        }
        ctx.set_timer(self.cycle.until_next(ctx.now(), self.config.period), TICK);
        self.ticking = true;
    }

    /// Makes `key` live at `age` (keeping the larger age if it already is).
    fn keep_live(&mut self, key: Key, age: u32) {
        if age >= self.lifetime {
            return;
        }
        match self.live.iter_mut().find(|l| l.key == key) {
            Some(l) => l.age = l.age.max(age),
            None => self.live.push(Live { key, age }),
        }
    }

    /// Live updates whose age satisfies `phase`, not held by the asker (`have`), trimmed to the
    /// MTU, with the ages to send (`age_shift` added).
    fn select<C: Context<PushThenPullMessage>>(
        &mut self,
        ctx: &mut C,
        phase: impl Fn(u32) -> bool,
        have: &[(Key, Version)],
        age_shift: u32,
    ) -> (Entries, SmallVec<[u16; 1]>) {
        let mut updates: Entries = self
            .live
            .iter()
            .filter(|l| phase(l.age))
            .filter_map(|l| self.store.get(l.key).map(|v| (l.key, *v)))
            .filter(|(k, v)| !have.iter().any(|(hk, hv)| hk == k && *hv == v.version))
            .collect();
        updates.sort_unstable_by_key(|(k, _)| *k);
        let room = capacity(
            self.config.mtu,
            HEADER_WIRE_BYTES + 2,
            ENTRY_WIRE_BYTES + AGE_WIRE_BYTES,
        );
        let deferred = self.flow.pack(&mut updates, room, false);
        if deferred > 0 {
            ctx.observe(Observation::Count {
                what: "mtu-deferred",
                n: deferred as u64,
            });
        }
        let ages = updates
            .iter()
            .map(|(k, _)| {
                let age = self.live.iter().find(|l| l.key == *k).map_or(0, |l| l.age);
                (age + age_shift).min(u32::from(u16::MAX)) as u16
            })
            .collect();
        (updates, ages)
    }

    fn merge_aged<C: Context<PushThenPullMessage>>(
        &mut self,
        ctx: &mut C,
        updates: &Entries,
        ages: &[u16],
    ) {
        for (i, &(key, incoming)) in updates.iter().enumerate() {
            let age = u32::from(ages.get(i).copied().unwrap_or(0));
            match self.store.merge(key, incoming, self.config.conflict) {
                MergeOutcome::Applied => {
                    ctx.observe(Observation::Learned {
                        key,
                        version: incoming.version,
                    });
                    self.live.retain(|l| l.key != key);
                    self.keep_live(key, age);
                }
                MergeOutcome::AlreadyKnown => {
                    ctx.observe(Observation::Redundant { key });
                    if self.live.iter().any(|l| l.key == key) {
                        self.keep_live(key, age);
                    }
                }
                MergeOutcome::Superseded => {}
            }
        }
    }

    fn round<C: Context<PushThenPullMessage>>(&mut self, ctx: &mut C) {
        let me = ctx.me();
        let switch = self.switch;
        let (updates, ages) = self.select(ctx, |age| age < switch, &[], 1);
        let mut peers = std::mem::take(&mut self.peers);
        if !updates.is_empty() {
            self.sampler
                .sample_distinct(me, self.config.fanout as usize, ctx.rng(), &mut peers);
            for &peer in &peers {
                ctx.observe(Observation::Count {
                    what: "updates-sent",
                    n: updates.len() as u64,
                });
                ctx.send(
                    peer,
                    PushThenPullMessage::Push {
                        updates: updates.clone(),
                        ages: ages.clone(),
                    },
                );
            }
        }
        if self.pulls() {
            let have: SmallVec<[(Key, Version); 1]> = self
                .live
                .iter()
                .filter_map(|l| self.store.get(l.key).map(|v| (l.key, v.version)))
                .collect();
            self.sampler
                .sample_distinct(me, self.config.fanout as usize, ctx.rng(), &mut peers);
            for &peer in &peers {
                ctx.send(peer, PushThenPullMessage::Pull { have: have.clone() });
            }
        }
        self.peers = peers;
        let lifetime = self.lifetime;
        for l in &mut self.live {
            l.age += 1;
        }
        self.live.retain(|l| l.age < lifetime);
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
        msg: PushThenPullMessage,
    ) {
        match msg {
            PushThenPullMessage::Push { updates, ages }
            | PushThenPullMessage::Reply { updates, ages } => {
                self.merge_aged(ctx, &updates, &ages);
            }
            PushThenPullMessage::Pull { have } => {
                let (switch, lifetime) = (self.switch, self.lifetime);
                let (updates, ages) =
                    self.select(ctx, |age| age >= switch && age < lifetime, &have, 0);
                if !updates.is_empty() {
                    ctx.observe(Observation::Count {
                        what: "updates-sent",
                        n: updates.len() as u64,
                    });
                    ctx.send(from, PushThenPullMessage::Reply { updates, ages });
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
            self.live.retain(|l| l.key != key);
            self.keep_live(key, 0);
            self.arm(ctx);
        }
        version
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
        assert_eq!((c.switch_for(1000), c.pull_rounds_for(1000)), (10, 7));
        assert_eq!((c.switch_for(1024), c.pull_rounds_for(1024)), (10, 7));
        assert_eq!((c.switch_for(100_000), c.pull_rounds_for(100_000)), (17, 8));
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
