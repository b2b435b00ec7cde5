//! A tiny deterministic driver for the unit tests of this crate: nodes, a constant-latency
//! network with an optional cut between groups, timers, and a record of what nodes reported.
//! (The real emulator lives in the harness; this one exists so each protocol can be tested next
//! to its code without depending on it.)

use crate::{
    Context, Key, Message, Node, NodeId, Observation, SimDuration, SimTime, TimerId, Value,
};
use rand_core::SeedableRng;
use rand_pcg::Pcg64Mcg;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

enum Event<M> {
    Deliver(NodeId, NodeId, M),
    Timer(NodeId, TimerId, u32),
}

/// A cluster of `N` under test.
pub struct Sim<N: Node> {
    pub nodes: Vec<N>,
    rngs: Vec<Pcg64Mcg>,
    queue: BinaryHeap<Reverse<(SimTime, u64)>>,
    events: BTreeMap<u64, Event<N::Message>>,
    seq: u64,
    pub now: SimTime,
    pub latency: SimDuration,
    /// Which side of a cut each node is on; messages between sides are dropped.
    pub side: Option<Vec<u8>>,
    pub alive: Vec<bool>,
    incarnation: Vec<u32>,
    pub sent: u64,
    pub sent_bytes: u64,
    pub largest_message: usize,
    pub kinds: BTreeMap<&'static str, u64>,
    pub counters: BTreeMap<&'static str, u64>,
    pub learned: Vec<(SimTime, NodeId, Key)>,
}

struct Ctx<'a, M> {
    now: SimTime,
    me: NodeId,
    rng: &'a mut Pcg64Mcg,
    sends: Vec<(NodeId, M)>,
    timers: Vec<(SimDuration, TimerId)>,
    observations: Vec<Observation>,
}

impl<M> Context<M> for Ctx<'_, M> {
    type Rng = Pcg64Mcg;
    fn now(&self) -> SimTime {
        self.now
    }
    fn me(&self) -> NodeId {
        self.me
    }
    fn rng(&mut self) -> &mut Pcg64Mcg {
        self.rng
    }
    fn send(&mut self, to: NodeId, msg: M) {
        self.sends.push((to, msg));
    }
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.timers.push((after, timer));
    }
    fn observe(&mut self, observation: Observation) {
        self.observations.push(observation);
    }
}

impl<N: Node> Sim<N> {
    /// `n` nodes made by `make`, started at time zero.
    pub fn new(n: u32, seed: u64, mut make: impl FnMut(NodeId) -> N) -> Self {
        let mut sim = Sim {
            nodes: (0..n).map(|i| make(NodeId(i))).collect(),
            rngs: (0..u64::from(n))
                .map(|i| Pcg64Mcg::seed_from_u64(seed.wrapping_mul(1_000_003) ^ i))
                .collect(),
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            seq: 0,
            now: SimTime::ZERO,
            latency: SimDuration::from_millis(1),
            side: None,
            alive: vec![true; n as usize],
            incarnation: vec![0; n as usize],
            sent: 0,
            sent_bytes: 0,
            largest_message: 0,
            kinds: BTreeMap::new(),
            counters: BTreeMap::new(),
            learned: Vec::new(),
        };
        for i in 0..n {
            sim.call(NodeId(i), |node, ctx| node.on_start(ctx));
        }
        sim
    }

    fn push(&mut self, at: SimTime, e: Event<N::Message>) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq)));
        self.events.insert(self.seq, e);
    }

    fn call(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut Ctx<'_, N::Message>)) {
        let i = id.index();
        let mut ctx = Ctx {
            now: self.now,
            me: id,
            rng: &mut self.rngs[i],
            sends: Vec::new(),
            timers: Vec::new(),
            observations: Vec::new(),
        };
        f(&mut self.nodes[i], &mut ctx);
        let Ctx {
            sends,
            timers,
            observations,
            ..
        } = ctx;
        for (to, msg) in sends {
            let size = msg.wire_size();
            self.sent += 1;
            self.sent_bytes += size as u64;
            self.largest_message = self.largest_message.max(size);
            *self.kinds.entry(msg.kind()).or_default() += 1;
            let cut = self
                .side
                .as_ref()
                .is_some_and(|s| s[id.index()] != s[to.index()]);
            if !cut {
                self.push(self.now + self.latency, Event::Deliver(id, to, msg));
            }
        }
        let inc = self.incarnation[i];
        for (after, t) in timers {
            self.push(self.now + after, Event::Timer(id, t, inc));
        }
        for o in observations {
            match o {
                Observation::Learned { key, .. } => self.learned.push((self.now, id, key)),
                Observation::Count { what, n } => *self.counters.entry(what).or_default() += n,
                _ => {}
            }
        }
    }

    /// A client write at `node`.
    pub fn write(&mut self, node: NodeId, key: Key, value: Value) {
        self.call(node, |n, ctx| {
            n.on_client_write(ctx, key, value);
        });
    }

    /// Crashes `node` (it keeps its state; its timers die).
    pub fn crash(&mut self, node: NodeId) {
        self.alive[node.index()] = false;
        self.incarnation[node.index()] += 1;
    }

    /// Restarts a crashed node.
    pub fn restart(&mut self, node: NodeId) {
        self.alive[node.index()] = true;
        self.incarnation[node.index()] += 1;
        self.call(node, |n, ctx| n.on_start(ctx));
    }

    /// Runs until `until` (inclusive).
    pub fn run_until(&mut self, until: SimTime) {
        while let Some(Reverse((t, seq))) = self.queue.peek().copied() {
            if t > until {
                break;
            }
            self.queue.pop();
            self.now = t;
            match self.events.remove(&seq).expect("event") {
                Event::Deliver(from, to, msg) => {
                    if self.alive[to.index()] {
                        self.call(to, |n, ctx| n.on_message(ctx, from, &msg));
                    }
                }
                Event::Timer(node, t, inc) => {
                    if self.alive[node.index()] && self.incarnation[node.index()] == inc {
                        self.call(node, |n, ctx| n.on_timer(ctx, t));
                    }
                }
            }
        }
        self.now = until;
    }

    /// Runs for `d` more.
    pub fn run_for(&mut self, d: SimDuration) {
        self.run_until(self.now + d);
    }

    /// How many nodes hold `key`.
    pub fn holders(&self, key: Key) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.store().get(key).is_some())
            .count()
    }

    /// Whether every node holds the same state.
    pub fn converged(&self) -> bool {
        self.nodes
            .windows(2)
            .all(|w| w[0].fingerprint() == w[1].fingerprint())
    }

    /// A named count reported by the nodes.
    pub fn count(&self, what: &str) -> u64 {
        self.counters.get(what).copied().unwrap_or(0)
    }
}
