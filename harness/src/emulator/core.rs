//! The event loop: pop the earliest `(time, sequence)` event, hand it to a node, schedule what
//! the node asked for.

use super::context::{EmulatorContext, Outbox};
use super::trace::{Fingerprint, SendOutcome, TraceEvent};
use super::{EventQueue, NetworkModel, RngStreams, StreamRng, Transit};
use crate::history::{History, LearnedRecord, ReadRecord, WriteRecord};
use crate::scenario::NetworkSpec;
use hearsay_faults::{FaultAction, GroupId, TimedFault};
use hearsay_protocols::{Message, Node, NodeId, Observation, SimDuration, SimTime, TimerId};
use hearsay_workloads::{ClientOp, Op};

/// The knobs of one run.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Cluster size.
    pub nodes: u32,
    /// Events after this much simulated time are not processed.
    pub duration: SimDuration,
    /// Latency and loss.
    pub network: NetworkSpec,
    /// How often convergence is sampled.
    pub sample_every: SimDuration,
    /// The run's root seed.
    pub seed: u64,
    /// Keep every event in [`RunOutput::trace`] (for tests and replays; costly at scale).
    pub record_trace: bool,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// The recorded history.
    pub history: History,
    /// The trace fingerprint over every processed event.
    pub fingerprint: u64,
    /// Events processed.
    pub events: u64,
    /// Every event, if [`EmulatorConfig::record_trace`] was set.
    pub trace: Option<Vec<TraceEvent>>,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Deliver {
        slot: u32,
    },
    Timer {
        node: u32,
        timer: TimerId,
        incarnation: u32,
    },
    Fault {
        index: u32,
    },
    Client {
        index: u32,
    },
    Sample,
}

/// One run of one strategy under one seed.
pub struct Emulator<N: Node, F> {
    config: EmulatorConfig,
    factory: F,
    nodes: Vec<N>,
    alive: Vec<bool>,
    incarnation: Vec<u32>,
    rngs: Vec<StreamRng>,
    network: NetworkModel,
    network_rng: StreamRng,
    groups: Option<Vec<GroupId>>,
    queue: EventQueue<Event>,
    in_flight: Vec<Option<(NodeId, NodeId, N::Message)>>,
    free_slots: Vec<u32>,
    outbox: Outbox<N::Message>,
    faults: Vec<TimedFault>,
    ops: Vec<ClientOp>,
    history: History,
    fingerprint: Fingerprint,
    events: u64,
    trace: Option<Vec<TraceEvent>>,
    counters: Vec<(&'static str, u64)>,
    now: SimTime,
}

impl<N: Node, F: FnMut(NodeId) -> N> Emulator<N, F> {
    /// Builds a cluster of `config.nodes` nodes made by `factory`, with `faults` and client
    /// `ops` scheduled. Nodes get their RNG streams from the seed by label (`node`, i).
    pub fn new(
        config: EmulatorConfig,
        mut factory: F,
        faults: &[TimedFault],
        ops: Vec<ClientOp>,
    ) -> Self {
        let streams = RngStreams::new(config.seed);
        let n = config.nodes as usize;
        let nodes = (0..config.nodes).map(|i| factory(NodeId(i))).collect();
        let rngs = (0..n as u64).map(|i| streams.stream("node", i)).collect();
        let trace = config.record_trace.then(Vec::new);
        Emulator {
            network: NetworkModel::new(config.network),
            network_rng: streams.stream("network", 0),
            factory,
            nodes,
            alive: vec![true; n],
            incarnation: vec![0; n],
            rngs,
            groups: None,
            queue: EventQueue::with_default_shape(),
            in_flight: Vec::new(),
            free_slots: Vec::new(),
            outbox: Outbox::default(),
            faults: faults.to_vec(),
            ops,
            history: History {
                nodes: config.nodes,
                ..History::default()
            },
            fingerprint: Fingerprint::default(),
            events: 0,
            trace,
            counters: Vec::new(),
            now: SimTime::ZERO,
            config,
        }
    }

    /// Plays the run to its end and returns what it recorded.
    pub fn run(mut self) -> RunOutput {
        let end = SimTime::from_duration(self.config.duration);
        for (i, f) in self.faults.iter().enumerate() {
            self.queue.push(f.at, Event::Fault { index: i as u32 });
        }
        for (i, op) in self.ops.iter().enumerate() {
            self.queue.push(op.at, Event::Client { index: i as u32 });
        }
        self.queue.push(SimTime::ZERO, Event::Sample);
        for i in 0..self.config.nodes {
            self.call(NodeId(i), |node, ctx| node.on_start(ctx));
        }
        while let Some(t) = self.queue.peek_time() {
            if t > end {
                break;
            }
            let (t, event) = self.queue.pop().expect("peeked");
            self.now = t;
            self.handle(event);
        }
        self.now = end;
        self.sample_convergence();
        self.history.end = end;
        self.history.alive_at_end = self.alive.clone();
        self.history.fingerprints_at_end = self.nodes.iter().map(Node::fingerprint).collect();
        self.history.holders_at_end = self.holders_at_end();
        self.history.counters = self
            .counters
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        RunOutput {
            history: self.history,
            fingerprint: self.fingerprint.value(),
            events: self.events,
            trace: self.trace,
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { slot } => {
                let (from, to, msg) = self.in_flight[slot as usize]
                    .take()
                    .expect("in-flight slot");
                self.free_slots.push(slot);
                self.stamp(&[
                    1,
                    u64::from(from.0),
                    u64::from(to.0),
                    msg.wire_size() as u64,
                ]);
                if !self.alive[to.index()] {
                    self.history.traffic.to_crashed += 1;
                    self.record(|at| TraceEvent::DropCrashed { at, from, to });
                    return;
                }
                self.history.traffic.delivered += 1;
                let kind = msg.kind();
                self.record(|at| TraceEvent::Deliver { at, from, to, kind });
                self.call(to, |node, ctx| node.on_message(ctx, from, msg));
            }
            Event::Timer {
                node,
                timer,
                incarnation,
            } => {
                let i = node as usize;
                if !self.alive[i] || self.incarnation[i] != incarnation {
                    return; // timers die with the process that armed them
                }
                self.stamp(&[2, u64::from(node), timer.0]);
                self.record(|at| TraceEvent::Timer {
                    at,
                    node: NodeId(node),
                });
                self.call(NodeId(node), |n, ctx| n.on_timer(ctx, timer));
            }
            Event::Fault { index } => {
                self.stamp(&[3, u64::from(index)]);
                let fault = self.faults[index as usize].clone();
                self.record(|at| TraceEvent::Fault {
                    at,
                    what: format!("{:?}", fault.action),
                });
                self.apply_fault(fault.action);
            }
            Event::Client { index } => {
                self.stamp(&[4, u64::from(index)]);
                self.client_op(self.ops[index as usize]);
            }
            Event::Sample => {
                self.sample_convergence();
                self.queue
                    .push(self.now + self.config.sample_every, Event::Sample);
            }
        }
    }

    fn apply_fault(&mut self, action: FaultAction) {
        match action {
            FaultAction::Partition(spec) => self.groups = Some(spec.assign(self.config.nodes)),
            FaultAction::Heal => self.groups = None,
            FaultAction::Crash { nodes, lose_state } => {
                for id in nodes {
                    let i = id.index();
                    self.alive[i] = false;
                    self.incarnation[i] += 1;
                    if lose_state {
                        self.nodes[i] = (self.factory)(id);
                    }
                }
            }
            FaultAction::Restart { nodes } => {
                for id in nodes {
                    let i = id.index();
                    if self.alive[i] {
                        continue;
                    }
                    self.alive[i] = true;
                    self.incarnation[i] += 1;
                    self.call(id, |node, ctx| node.on_start(ctx));
                }
            }
        }
    }

    fn client_op(&mut self, op: ClientOp) {
        let ok = self.alive[op.node.index()];
        self.record(|at| TraceEvent::Client {
            at,
            node: op.node,
            ok,
        });
        match op.op {
            Op::Write { key, value } => {
                let mut version = None;
                if ok {
                    self.call(op.node, |node, ctx| {
                        version = Some(node.on_client_write(ctx, key, value))
                    });
                }
                self.history.writes.push(WriteRecord {
                    at: self.now,
                    node: op.node,
                    key,
                    value,
                    version,
                });
            }
            Op::Read { key } => {
                let value = if ok {
                    self.nodes[op.node.index()].on_client_read(key)
                } else {
                    None
                };
                self.history.reads.push(ReadRecord {
                    at: self.now,
                    node: op.node,
                    key,
                    value,
                    ok,
                });
            }
        }
    }

    /// Calls into one node and carries out the effects it asked for.
    #[inline]
    fn call(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut EmulatorContext<'_, N::Message>)) {
        let i = id.index();
        {
            let mut ctx = EmulatorContext {
                now: self.now,
                me: id,
                rng: &mut self.rngs[i],
                out: &mut self.outbox,
            };
            f(&mut self.nodes[i], &mut ctx);
        }
        let mut sends = std::mem::take(&mut self.outbox.sends);
        for (to, msg) in sends.drain(..) {
            self.send(id, to, msg);
        }
        self.outbox.sends = sends;
        let incarnation = self.incarnation[i];
        for (after, timer) in self.outbox.timers.drain(..) {
            self.queue.push(
                self.now + after,
                Event::Timer {
                    node: id.0,
                    timer,
                    incarnation,
                },
            );
        }
        let mut observations = std::mem::take(&mut self.outbox.observations);
        for obs in observations.drain(..) {
            match obs {
                Observation::Learned { key, version } => self.history.learned.push(LearnedRecord {
                    at: self.now,
                    node: id,
                    key,
                    version,
                }),
                Observation::Redundant { .. } => self.history.redundant += 1,
                Observation::Count { what, n } => self.count(what, n),
                _ => {}
            }
        }
        self.outbox.observations = observations;
    }

    #[inline]
    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Message) {
        let bytes = msg.wire_size();
        if self
            .config
            .network
            .mtu
            .is_some_and(|mtu| bytes > mtu as usize)
        {
            self.count("oversize", 1); // a protocol ignored the MTU: reported, not enforced
        }
        let traffic = &mut self.history.traffic;
        traffic.sent += 1;
        traffic.sent_bytes += bytes as u64;
        let outcome = if to.0 >= self.config.nodes {
            traffic.lost += 1;
            SendOutcome::Lost
        } else if self
            .groups
            .as_ref()
            .is_some_and(|g| g[from.index()] != g[to.index()])
        {
            traffic.partitioned += 1;
            SendOutcome::Partitioned
        } else {
            match self.network.transit(&mut self.network_rng) {
                Transit::Lost => {
                    traffic.lost += 1;
                    SendOutcome::Lost
                }
                Transit::Arrives(delay) => {
                    let kind = msg.kind();
                    let slot = match self.free_slots.pop() {
                        Some(s) => {
                            self.in_flight[s as usize] = Some((from, to, msg));
                            s
                        }
                        None => {
                            self.in_flight.push(Some((from, to, msg)));
                            (self.in_flight.len() - 1) as u32
                        }
                    };
                    self.queue.push(self.now + delay, Event::Deliver { slot });
                    self.record(|at| TraceEvent::Send {
                        at,
                        from,
                        to,
                        kind,
                        bytes,
                        outcome: SendOutcome::InFlight,
                    });
                    return;
                }
            }
        };
        if self.trace.is_some() {
            let kind = msg.kind();
            self.record(|at| TraceEvent::Send {
                at,
                from,
                to,
                kind,
                bytes,
                outcome,
            });
        }
    }

    /// For each write, the live nodes whose final state holds its version or a later one (under
    /// last-write-wins a later version supersedes the update, so the node is not missing it).
    fn holders_at_end(&self) -> Vec<u32> {
        self.history
            .writes
            .iter()
            .map(|w| {
                let Some(version) = w.version else { return 0 };
                (0..self.nodes.len())
                    .filter(|&i| self.alive[i])
                    .filter(|&i| {
                        self.nodes[i]
                            .store()
                            .get(w.key)
                            .is_some_and(|held| held.version >= version)
                    })
                    .count() as u32
            })
            .collect()
    }

    fn sample_convergence(&mut self) {
        let mut live = self
            .nodes
            .iter()
            .zip(&self.alive)
            .filter(|(_, a)| **a)
            .map(|(n, _)| n.fingerprint());
        let converged = match live.next() {
            None => true,
            Some(first) => live.all(|fp| fp == first),
        };
        if !converged {
            self.history.converged_since = None;
        } else if self.history.converged_since.is_none() {
            self.history.converged_since = Some(self.now);
        }
    }

    /// Adds to a named counter. Few distinct names exist, so a linear scan of a small vector
    /// beats a map on the hot path.
    #[inline]
    fn count(&mut self, what: &'static str, n: u64) {
        match self.counters.iter_mut().find(|(name, _)| *name == what) {
            Some((_, total)) => *total += n,
            None => self.counters.push((what, n)),
        }
    }

    #[inline]
    fn stamp(&mut self, words: &[u64]) {
        self.events += 1;
        self.fingerprint.add(self.now.as_nanos());
        for &w in words {
            self.fingerprint.add(w);
        }
    }

    #[inline]
    fn record(&mut self, event: impl FnOnce(SimTime) -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            trace.push(event(self.now));
        }
    }
}
