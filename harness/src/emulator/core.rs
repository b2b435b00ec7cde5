//! The event loop: pop the earliest `(time, sequence)` event, hand it to a node, schedule what
//! the node asked for.

use super::agreement::Agreement;
use super::capacity::Admission;
use super::context::{EmulatorContext, Outbox};
use super::fault_state::FaultState;
use super::link_rules::Fate;
use super::prefetch::{prefetch, prefetch_all};
use super::trace::{Fingerprint, SendOutcome, TraceEvent};
use super::{EventQueue, NetworkModel, RngStreams, StreamRng};
use crate::history::{
    AppliedFault, Checkpoint, FINAL_STATES_KEPT, FinalState, History, LearnedRecord, ReadRecord,
    WriteRecord,
};
use crate::scenario::NetworkSpec;
use hearsay_faults::TimedFault;
use hearsay_protocols::{
    Key, Message, Node, NodeId, Observation, SimDuration, SimTime, TimerId, Version,
};
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
    /// End the run at the first moment when every client operation and fault has happened
    /// and every live node holds the same state, instead of at `duration`; `history.end` says
    /// when it ended.
    pub stop_when_converged: bool,
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

mod apply;
mod preload;

/// How many events ahead the loop prefetches state (see [`Emulator::prefetch_ahead`]).
const PREFETCH_DISTANCE: usize = 16;

/// Node state (bytes) above which prefetching pays: about what one core's L2 cache holds.
/// Below it the nodes stay in that cache and the extra instructions only cost. Measured here
/// (512 KiB of L2 per core): prefetching ran 0.95x the time at 10^4 nodes (1.2 MB of nodes),
/// 0.72x at 3·10^4, and 0.88x at 10^6.
const PREFETCH_ABOVE_BYTES: usize = 512 << 10;

#[derive(Clone, Copy, Debug)]
enum Event {
    Deliver {
        slot: u32,
        /// The addressee, carried here so the loop can prefetch its state events ahead.
        to: u32,
    },
    /// A message that waited in a capacity-bounded inbound queue is handed over.
    Served {
        slot: u32,
        incarnation: u32,
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
    fx: FaultState<Event>,
    queue: EventQueue<Event>,
    outbox: Outbox<N::Message>,
    faults: Vec<TimedFault>,
    ops: Vec<ClientOp>,
    history: History,
    fingerprint: Fingerprint,
    events: u64,
    trace: Option<Vec<TraceEvent>>,
    counters: Vec<(&'static str, u64)>,
    now: SimTime,
    /// The interval of `history.sends_over_time` that `now` falls in, and where it ends (ns).
    send_bucket: usize,
    send_bucket_end: u64,
    send_bucket_len: u64,
    /// Record the history (learned records, checkpoints, final states). Off only to measure the
    /// bare event loop: the checkers then have nothing to judge.
    history_on: bool,
    /// Live nodes per state, kept only when the run is to stop once they agree.
    agreement: Option<Agreement>,
    /// Client operations and faults carried out so far (held ones count when they happen).
    ops_done: usize,
    faults_done: usize,
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
        let fx = FaultState::new(config.nodes, faults);
        let alive = (0..n).map(|i| !fx.is_absent(i)).collect();
        let send_bucket_len = config
            .duration
            .as_nanos()
            .div_ceil(crate::history::SEND_BUCKETS)
            .max(1_000_000);
        let buckets = config.duration.as_nanos() / send_bucket_len + 1;
        Emulator {
            network: NetworkModel::new(config.network),
            network_rng: streams.stream("network", 0),
            factory,
            nodes,
            alive,
            incarnation: vec![0; n],
            rngs,
            fx,
            queue: EventQueue::with_default_shape(),
            outbox: Outbox::default(),
            faults: faults.to_vec(),
            ops,
            history: History {
                nodes: config.nodes,
                sends_over_time: hearsay_reports::SendSeries {
                    interval: SimDuration::from_nanos(send_bucket_len).as_secs_f64(),
                    counts: vec![0; buckets as usize],
                },
                ..History::default()
            },
            fingerprint: Fingerprint::default(),
            events: 0,
            trace,
            counters: Vec::new(),
            now: SimTime::ZERO,
            send_bucket: 0,
            send_bucket_end: send_bucket_len,
            send_bucket_len,
            history_on: true,
            agreement: config.stop_when_converged.then(Agreement::default),
            ops_done: 0,
            faults_done: 0,
            config,
        }
    }

    /// Turns history recording off (`false`) to measure the bare event loop: same events, same
    /// trace fingerprint, but no learned records, checkpoints or final states.
    pub fn with_history(mut self, on: bool) -> Self {
        self.history_on = on;
        self
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
        if self.history_on {
            self.queue.push(SimTime::ZERO, Event::Sample);
        }
        for i in 0..self.config.nodes {
            if self.alive[i as usize] {
                self.call(NodeId(i), |node, ctx| node.on_start(ctx));
            }
        }
        self.recount_agreement();
        let prefetching = self.nodes.len() * std::mem::size_of::<N>() > PREFETCH_ABOVE_BYTES;
        let mut stopped_converged = false;
        while let Some((t, event)) = self.queue.pop_until(end) {
            self.now = t;
            if prefetching {
                self.prefetch_ahead();
            }
            self.handle(event);
            if self.agreement.as_ref().is_some_and(Agreement::agreed)
                && self.ops_done == self.ops.len()
                && self.faults_done == self.faults.len()
            {
                stopped_converged = true;
                break;
            }
        }
        let end = if stopped_converged { self.now } else { end };
        self.now = end;
        self.history.end = end;
        self.history.alive_at_end = self.alive.clone();
        if self.history_on {
            self.sample_convergence();
            self.history.fingerprints_at_end = self.nodes.iter().map(Node::fingerprint).collect();
            self.history.holders_at_end = self.holders_at_end();
        }
        self.history.counters = self
            .counters
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        if self.history_on {
            self.record_final_states();
        }
        RunOutput {
            history: self.history,
            fingerprint: self.fingerprint.value(),
            events: self.events,
            trace: self.trace,
        }
    }

    /// Counts the live nodes per state afresh, if the run tracks agreement.
    fn recount_agreement(&mut self) {
        if let Some(agreement) = &mut self.agreement {
            agreement.rebuild(
                self.nodes
                    .iter()
                    .zip(&self.alive)
                    .filter(|(_, a)| **a)
                    .map(|(n, _)| n.fingerprint()),
            );
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { slot, .. } => {
                let (from, to, msg) = self.outbox.slots.get(slot);
                let (from, to, size) = (*from, *to, msg.wire_size());
                self.stamp(&[1, u64::from(from.0), u64::from(to.0), size as u64]);
                if !self.alive[to.index()] {
                    return self.drop_undeliverable(slot);
                }
                if self.fx.pause.is_some() && self.hold(to.0, event) {
                    return;
                }
                if self.fx.capacity.is_some() && self.queued_for_service(slot, from, to) {
                    return;
                }
                self.deliver(slot);
            }
            Event::Served { slot, incarnation } => self.served(slot, incarnation),
            Event::Timer {
                node,
                timer,
                incarnation,
            } => {
                let i = node as usize;
                if !self.alive[i] || self.incarnation[i] != incarnation {
                    return; // timers die with the process that armed them
                }
                if self.fx.pause.is_some() && self.hold(node, event) {
                    return;
                }
                self.stamp(&[2, u64::from(node), u64::from(timer.0)]);
                self.record(|at| TraceEvent::Timer {
                    at,
                    node: NodeId(node),
                });
                self.call(NodeId(node), |n, ctx| n.on_timer(ctx, timer));
            }
            Event::Fault { index } => self.fault(index),
            Event::Client { index } => {
                let op = self.ops[index as usize];
                if self.fx.pause.is_some() && self.hold(op.node.0, event) {
                    return;
                }
                self.stamp(&[4, u64::from(index)]);
                self.ops_done += 1;
                self.client_op(op);
            }
            Event::Sample => {
                self.sample_convergence();
                self.queue
                    .push(self.now + self.config.sample_every, Event::Sample);
            }
        }
    }

    /// Asks for the state that the event `PREFETCH_DISTANCE` places ahead will need, so that
    /// its cache misses overlap the work of the events in between: at 10^5–10^6 nodes a
    /// delivery is otherwise dominated by the miss on its addressee, one miss at a time.
    /// Nothing observable changes.
    #[inline(always)]
    fn prefetch_ahead(&self) {
        let Some(event) = self.queue.ahead(PREFETCH_DISTANCE) else {
            return;
        };
        match *event {
            Event::Deliver { slot, to } => {
                if let Some(node) = self.nodes.get(to as usize) {
                    prefetch_all(node);
                }
                if let Some(entry) = self.outbox.slots.peek(slot) {
                    prefetch(entry);
                }
                if let Some(alive) = self.alive.get(to as usize) {
                    prefetch(alive);
                }
            }
            Event::Timer { node, .. } => {
                let i = node as usize;
                if let Some(n) = self.nodes.get(i) {
                    prefetch_all(n);
                }
                if let Some(rng) = self.rngs.get(i) {
                    prefetch(rng);
                }
                if let Some(incarnation) = self.incarnation.get(i) {
                    prefetch(incarnation);
                }
                if let Some(alive) = self.alive.get(i) {
                    prefetch(alive);
                }
            }
            _ => {}
        }
    }

    /// Holds `event` if `node` is paused; returns whether it did.
    #[inline(never)]
    fn hold(&mut self, node: u32, event: Event) -> bool {
        let held = self.fx.hold(node, event);
        if held {
            self.count("paused-queued", 1);
        }
        held
    }

    /// Passes a message arriving at a capacity-bounded node through its inbound queue: returns
    /// false if it is to be delivered now, true if it was queued or dropped.
    #[inline(never)]
    fn queued_for_service(&mut self, slot: u32, from: NodeId, to: NodeId) -> bool {
        let Some(capacity) = &mut self.fx.capacity else {
            return false;
        };
        match capacity.admit(to.index(), self.now) {
            Admission::Now => false,
            Admission::At(t) => {
                let incarnation = self.incarnation[to.index()];
                self.queue.push(t, Event::Served { slot, incarnation });
                true
            }
            Admission::Dropped => {
                self.outbox.slots.take(slot);
                self.count("capacity-dropped", 1);
                let why = "capacity";
                self.record(|at| TraceEvent::Dropped { at, from, to, why });
                true
            }
        }
    }

    /// A message has waited its turn in a bounded inbound queue.
    #[inline(never)]
    fn served(&mut self, slot: u32, incarnation: u32) {
        let to = self.outbox.slots.get(slot).1;
        self.stamp(&[5, u64::from(slot)]);
        if !self.alive[to.index()] || self.incarnation[to.index()] != incarnation {
            return self.drop_undeliverable(slot); // the queue died with the process
        }
        if self.fx.pause.is_some() && self.hold(to.0, Event::Served { slot, incarnation }) {
            return;
        }
        self.deliver(slot);
    }

    #[inline(never)]
    fn fault(&mut self, index: u32) {
        self.stamp(&[3, u64::from(index)]);
        let fault = self.faults[index as usize].clone();
        let what = fault.action.describe();
        self.history.faults_applied.push(AppliedFault {
            at: self.now,
            what: what.clone(),
        });
        self.record(|at| TraceEvent::Fault { at, what });
        self.apply_fault(fault.action);
        self.faults_done += 1;
        self.recount_agreement();
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
    #[inline(always)]
    fn call(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut EmulatorContext<'_, N::Message>)) {
        let i = id.index();
        let before = self.agreement.as_ref().map(|_| self.nodes[i].fingerprint());
        {
            let mut ctx = EmulatorContext {
                now: self.fx.local_time(i, self.now),
                me: id,
                rng: &mut self.rngs[i],
                out: &mut self.outbox,
            };
            f(&mut self.nodes[i], &mut ctx);
        }
        if let (Some(agreement), Some(before)) = (&mut self.agreement, before) {
            agreement.moved(before, self.nodes[i].fingerprint());
        }
        let mut sends = std::mem::take(&mut self.outbox.sends);
        for (to, slot) in sends.drain(..) {
            self.send(id, to, slot);
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
                Observation::Learned { .. } if !self.history_on => {}
                Observation::Learned { key, version } => {
                    // The value comes from the store itself, so a protocol that corrupts values
                    // cannot hide it from the phantom checker.
                    let value = self.nodes[i].store().get(key).map_or(0, |v| v.value);
                    self.history.learned.push(LearnedRecord {
                        at: self.now,
                        node: id,
                        key,
                        version,
                        value,
                    })
                }
                Observation::Redundant { .. } => self.history.redundant += 1,
                Observation::Count { what, n } => self.count(what, n),
                _ => {}
            }
        }
        self.outbox.observations = observations;
    }

    /// Carries out one send whose message already sits in `slot`: counts it, then puts it on
    /// the wire or, if it is lost or cut off, frees the slot.
    #[inline]
    fn send(&mut self, from: NodeId, to: NodeId, slot: u32) {
        let (bytes, kind) = {
            let msg = &self.outbox.slots.get(slot).2;
            (msg.wire_size(), msg.kind())
        };
        if self.now.as_nanos() >= self.send_bucket_end {
            self.next_send_bucket();
        }
        self.history.sends_over_time.counts[self.send_bucket] += 1;
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
        } else if self.fx.blocks(from, to) {
            traffic.partitioned += 1;
            SendOutcome::Partitioned
        } else {
            match self
                .fx
                .links
                .fate(from, to, &self.network, &mut self.network_rng)
            {
                Fate::Lost => {
                    traffic.lost += 1;
                    SendOutcome::Lost
                }
                Fate::Arrives {
                    delay,
                    duplicate,
                    reordered,
                } => {
                    if let Some(again) = duplicate {
                        let copy = self.outbox.slots.get(slot).2.clone();
                        let twin = self.outbox.slots.put(from, to, copy);
                        self.in_transit(twin, to, again);
                        self.count("duplicated", 1);
                    }
                    if reordered {
                        self.count("reordered", 1);
                    }
                    self.in_transit(slot, to, delay);
                    SendOutcome::InFlight
                }
            }
        };
        if !matches!(outcome, SendOutcome::InFlight) {
            self.outbox.slots.take(slot); // lost or cut off: the slot is free again
        }
        self.record(|at| TraceEvent::Send {
            at,
            from,
            to,
            kind,
            bytes,
            outcome,
        });
    }

    /// Puts the message in `slot` on the wire, to arrive after `delay`.
    #[inline(always)]
    fn in_transit(&mut self, slot: u32, to: NodeId, delay: SimDuration) {
        self.queue
            .push(self.now + delay, Event::Deliver { slot, to: to.0 });
    }

    /// Hands the message in `slot` to its (live, running) addressee.
    #[inline(always)]
    fn deliver(&mut self, slot: u32) {
        let (from, to, msg) = self.outbox.slots.take(slot);
        self.history.traffic.delivered += 1;
        let kind = msg.kind();
        self.record(|at| TraceEvent::Deliver { at, from, to, kind });
        self.call(to, |node, ctx| node.on_message(ctx, from, msg));
    }

    /// Drops the message in `slot`: its addressee is down (crashed, or out of the cluster).
    #[cold]
    fn drop_undeliverable(&mut self, slot: u32) {
        let (from, to, _) = self.outbox.slots.take(slot);
        if self.fx.is_absent(to.index()) {
            self.count("to-absent", 1);
            let why = "absent";
            self.record(|at| TraceEvent::Dropped { at, from, to, why });
        } else {
            self.history.traffic.to_crashed += 1;
            self.record(|at| TraceEvent::DropCrashed { at, from, to });
        }
    }

    /// For each write, the live nodes whose final state holds its version or a later one (under
    /// last-write-wins a later version supersedes the update, so the node is not missing it).
    ///
    /// Node by node rather than write by write: each node's store is read once per written key
    /// (in node order, where asking every node about every write cost a cache miss per
    /// write and node), and the writes a node holds are a prefix of its key's writes by version.
    fn holders_at_end(&self) -> Vec<u32> {
        let writes = &self.history.writes;
        let mut by_key: Vec<(Key, Vec<(Version, usize)>)> = Vec::new();
        let mut keys: Vec<(Key, Version, usize)> = writes
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.version.map(|v| (w.key, v, i)))
            .collect();
        keys.sort_unstable();
        for (key, version, i) in keys {
            match by_key.last_mut() {
                Some((k, list)) if *k == key => list.push((version, i)),
                _ => by_key.push((key, vec![(version, i)])),
            }
        }
        // reach[k][p]: live nodes holding exactly the first p writes of key k (by version).
        let mut reach: Vec<Vec<u32>> = by_key.iter().map(|(_, l)| vec![0; l.len() + 1]).collect();
        for (node, _) in self.nodes.iter().zip(&self.alive).filter(|(_, a)| **a) {
            let store = node.store();
            for ((key, list), reach) in by_key.iter().zip(&mut reach) {
                if let Some(held) = store.get(*key) {
                    reach[list.partition_point(|(v, _)| *v <= held.version)] += 1;
                }
            }
        }
        let mut holders = vec![0u32; writes.len()];
        for ((_, list), reach) in by_key.iter().zip(&reach) {
            // The j-th write is held by the nodes that hold more than j writes.
            let mut holding = 0;
            for j in (0..list.len()).rev() {
                holding += reach[j + 1];
                holders[list[j].1] = holding;
            }
        }
        holders
    }

    /// Moves the send counter to the interval `now` falls in (time only moves forward).
    #[cold]
    fn next_send_bucket(&mut self) {
        let last = self.history.sends_over_time.counts.len() - 1;
        self.send_bucket = ((self.now.as_nanos() / self.send_bucket_len) as usize).min(last);
        self.send_bucket_end = (self.send_bucket as u64 + 1).saturating_mul(self.send_bucket_len);
        if self.send_bucket == last {
            self.send_bucket_end = u64::MAX;
        }
    }

    fn sample_convergence(&mut self) {
        let mut live = self
            .nodes
            .iter()
            .zip(&self.alive)
            .filter(|(_, a)| **a)
            .map(|(n, _)| n.fingerprint());
        let (count, converged) = match live.next() {
            None => (0, true),
            Some(first) => {
                let mut count = 1u32;
                let mut same = true;
                for fp in live {
                    count += 1;
                    same &= fp == first;
                }
                (count, same)
            }
        };
        let distinct_states = if converged {
            u32::from(count > 0)
        } else {
            self.distinct_live_states()
        };
        self.history.checkpoints.push(Checkpoint {
            at: self.now,
            live: count,
            distinct_states,
        });
        if !converged {
            self.history.converged_since = None;
        } else if self.history.converged_since.is_none() {
            self.history.converged_since = Some(self.now);
        }
    }

    /// Live nodes per distinct state fingerprint, most common first (ties by fingerprint).
    fn live_states(&self) -> Vec<(u64, u32)> {
        let mut fps: Vec<u64> = self
            .nodes
            .iter()
            .zip(&self.alive)
            .filter(|(_, a)| **a)
            .map(|(n, _)| n.fingerprint())
            .collect();
        fps.sort_unstable();
        let mut groups: Vec<(u64, u32)> = Vec::new();
        for fp in fps {
            match groups.last_mut() {
                Some((last, n)) if *last == fp => *n += 1,
                _ => groups.push((fp, 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        groups
    }

    fn distinct_live_states(&self) -> u32 {
        self.live_states().len() as u32
    }

    /// Keeps one copy of each distinct final state (the most common ones, up to a bound) so
    /// checkers can name exactly what each node holds.
    fn record_final_states(&mut self) {
        let groups = self.live_states();
        self.history.final_states_truncated = groups.len() > FINAL_STATES_KEPT;
        for (fp, count) in groups.into_iter().take(FINAL_STATES_KEPT) {
            let holder =
                (0..self.nodes.len()).find(|&i| self.alive[i] && self.nodes[i].fingerprint() == fp);
            let entries = holder
                .map(|i| self.nodes[i].store().entries().to_vec())
                .unwrap_or_default();
            self.history.final_states.push(FinalState {
                fingerprint: fp,
                nodes: count,
                entries,
            });
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
