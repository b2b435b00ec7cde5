//! The event loop: pop the earliest `(time, sequence)` event, hand it to a node, schedule what
//! the node asked for.

use super::agreement::Agreement;
use super::capacity::Admission;
use super::context::EmulatorContext;
use super::event::{Event, PackedEvent};
use super::fault_state::FaultState;
use super::in_flight::{Flight, InFlight, Pool};
use super::line_vec::LineVec;

use super::trace::{Fingerprint, TraceEvent};
use super::transport::Transport;
use super::{NetworkModel, RngStreams, StreamRng};
use crate::history::{
    AppliedFault, Checkpoint, FINAL_STATES_KEPT, FinalState, History, LearnedRecord, ReadRecord,
    WriteRecord,
};
use crate::scenario::NetworkSpec;
use hearsay_faults::TimedFault;
use hearsay_protocols::{Key, Node, NodeId, SimDuration, SimTime, Version};
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
mod member;
mod preload;

use member::Member;

/// How many events ahead the loop prefetches state (see [`Emulator::prefetch_ahead`]).
const PREFETCH_DISTANCE: usize = 16;

/// How many cache lines the loop asks for at once at most: it asks for as many events' state
/// at a time as fit (see [`Emulator::prefetch_ahead`]).
const PREFETCH_LINES_AT_ONCE: usize = 20;

/// Node state (bytes) above which prefetching pays: about what one core's L2 cache holds.
/// Below it the nodes stay in that cache and the extra instructions only cost. Measured here
/// (512 KiB of L2 per core): prefetching ran 0.95x the time at 10^4 nodes (1.2 MB of nodes),
/// 0.72x at 3·10^4, and 0.88x at 10^6.
const PREFETCH_ABOVE_BYTES: usize = 512 << 10;

/// One run of one strategy under one seed.
pub struct Emulator<N: Node, F> {
    config: EmulatorConfig,
    factory: F,
    /// The nodes with their bookkeeping, one member each (see [`member`]).
    members: LineVec<Member<N>>,
    /// The network, the event queue and the counts the send path keeps.
    net: Transport,
    /// The messages in flight.
    slots: InFlight<N::Message>,
    faults: Vec<TimedFault>,
    ops: Vec<ClientOp>,
    history: History,
    fingerprint: Fingerprint,
    events: u64,
    /// Live nodes per state, kept only when the run is to stop once they agree.
    agreement: Option<Agreement>,
    /// Client operations and faults carried out so far (held ones count when they happen).
    ops_done: usize,
    faults_done: usize,
}

impl<N: Node, F: FnMut(NodeId) -> N> Emulator<N, F> {
    /// How many events' state [`Emulator::prefetch_ahead`] asks for at a time: as many
    /// deliveries (a member and a message each) as [`PREFETCH_LINES_AT_ONCE`] lines hold.
    const PREFETCH_BATCH: usize = {
        let lines = LineVec::<Member<N>>::LINES + LineVec::<Option<Flight<N::Message>>>::LINES;
        let batch = PREFETCH_LINES_AT_ONCE / if lines > 0 { lines } else { 1 };
        if batch > 0 { batch } else { 1 }
    };

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
        let fx = FaultState::new(config.nodes, faults);
        let members = LineVec::huge(n, |i| Member {
            node: factory(NodeId(i as u32)),
            rng: streams.stream("node", i as u64),
            incarnation: 0,
            alive: !fx.is_absent(i),
        });
        let net = Transport::new(
            config.nodes,
            NetworkModel::new(config.network),
            config.network.mtu,
            streams.stream("network", 0),
            fx,
            config.duration,
            config.record_trace,
        );
        Emulator {
            factory,
            members,
            net,
            slots: InFlight::default(),
            faults: faults.to_vec(),
            ops,
            history: History {
                nodes: config.nodes,
                ..History::default()
            },
            fingerprint: Fingerprint::default(),
            events: 0,
            agreement: config.stop_when_converged.then(Agreement::default),
            ops_done: 0,
            faults_done: 0,
            config,
        }
    }

    /// Turns history recording off (`false`) to measure the bare event loop: same events, same
    /// trace fingerprint, but no learned records, checkpoints or final states.
    pub fn with_history(mut self, on: bool) -> Self {
        self.net.history_on = on;
        self
    }

    /// Plays the run to its end and returns what it recorded.
    pub fn run(mut self) -> RunOutput {
        let end = SimTime::from_duration(self.config.duration);
        for (i, f) in self.faults.iter().enumerate() {
            self.net
                .queue
                .push(f.at, Event::Fault { index: i as u32 }.pack());
        }
        for (i, op) in self.ops.iter().enumerate() {
            self.net
                .queue
                .push(op.at, Event::Client { index: i as u32 }.pack());
        }
        if self.net.history_on {
            self.net.queue.push(SimTime::ZERO, Event::Sample.pack());
        }
        for i in 0..self.config.nodes {
            if self.members[i as usize].alive {
                self.call(NodeId(i), |node, ctx| node.on_start(ctx));
            }
        }
        self.recount_agreement();
        let prefetching = self.members.bytes() > PREFETCH_ABOVE_BYTES;
        let mut stopped_converged = false;
        while let Some((t, &event)) = self.net.queue.pop_ref(end) {
            self.net.now = t;
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
        let end = if stopped_converged { self.net.now } else { end };
        self.net.now = end;
        self.history.end = end;
        self.history.alive_at_end = self.members.iter().map(|m| m.alive).collect();
        if self.net.history_on {
            self.sample_convergence();
            self.history.fingerprints_at_end =
                self.members.iter().map(|m| m.node.fingerprint()).collect();
            self.history.holders_at_end = self.holders_at_end();
        }
        self.history.counters = self.net.counters();
        self.history.traffic = self.net.traffic;
        self.history.redundant = self.net.redundant;
        self.history.sends_over_time = std::mem::take(&mut self.net.sends_over_time);
        if self.net.history_on {
            self.record_final_states();
        }
        RunOutput {
            history: self.history,
            fingerprint: self.fingerprint.value(),
            events: self.events,
            trace: self.net.trace.take(),
        }
    }

    /// The true time of the event being handled.
    #[inline(always)]
    fn now(&self) -> SimTime {
        self.net.now
    }

    /// Counts the live nodes per state afresh, if the run tracks agreement.
    fn recount_agreement(&mut self) {
        if let Some(agreement) = &mut self.agreement {
            agreement.rebuild(
                self.members
                    .iter()
                    .filter(|m| m.alive)
                    .map(|m| m.node.fingerprint()),
            );
        }
    }

    #[inline(always)]
    fn handle(&mut self, packed: PackedEvent) {
        let event = packed.unpack();
        match event {
            Event::Deliver { slot, to } => {
                let to = NodeId(to);
                let flight = self.slots.get(slot);
                let from = flight.from;
                self.stamp(1 | wire_bytes(&flight.msg) << 8, pair(from, to));
                if !self.members[to.index()].alive {
                    return self.drop_undeliverable(slot, to);
                }
                if self.net.fx.pause.is_some() && self.hold(to.0, packed) {
                    return;
                }
                if self.net.fx.capacity.is_some() && self.queued_for_service(slot, from, to) {
                    return;
                }
                self.deliver(slot, from, to);
            }
            Event::Served {
                slot,
                incarnation,
                to,
            } => self.served(slot, incarnation, NodeId(to)),
            Event::Timer {
                node,
                timer,
                incarnation,
            } => {
                let member = &self.members[node as usize];
                if !member.alive || member.incarnation != incarnation {
                    return; // timers die with the process that armed them
                }
                if self.net.fx.pause.is_some() && self.hold(node, packed) {
                    return;
                }
                self.stamp(2 | u64::from(timer.0) << 8, u64::from(node));
                self.net.record(|at| TraceEvent::Timer {
                    at,
                    node: NodeId(node),
                });
                self.call(NodeId(node), |n, ctx| n.on_timer(ctx, timer));
            }
            Event::Fault { index } => self.fault(index),
            Event::Client { index } => {
                let op = self.ops[index as usize];
                if self.net.fx.pause.is_some() && self.hold(op.node.0, packed) {
                    return;
                }
                self.stamp(4, u64::from(index));
                self.ops_done += 1;
                self.client_op(op);
            }
            Event::Sample => {
                self.sample_convergence();
                let next = self.now() + self.config.sample_every;
                self.net.queue.push(next, Event::Sample.pack());
            }
        }
    }

    /// Asks for the state that the events `PREFETCH_DISTANCE` places ahead and beyond will
    /// need, so that their cache misses overlap the work of the events in between: at
    /// 10^5–10^6 nodes a delivery is otherwise dominated by the miss on its addressee, one
    /// miss at a time. Nothing observable changes.
    ///
    /// Every [`Self::PREFETCH_BATCH`] events it asks for the next batch's state in one go,
    /// rather than one event's at each. At 10^6 nodes nearly every prefetch also misses the
    /// TLB, and the profile put 47% of the loop's samples on the prefetch instructions
    /// themselves: the core seems not to retire a prefetch before its page walk is done, so
    /// one event's prefetches at a time, each event waited out a walk of its own, where a
    /// batch's walks overlap (18% of the samples after the change). But a batch of more
    /// lines than [`PREFETCH_LINES_AT_ONCE`] stalls the core more than it saves: steady
    /// state at 10^6 nodes (4 lines an event), batches of 4 or 5 events ran 0.80–0.85x the
    /// wall time of one event's prefetches at a time, 6 events 0.95x, 8 events 1.3x; with 3
    /// lines an event, 8 events ran 0.91x and 16 events 1.4x.
    #[inline(always)]
    fn prefetch_ahead(&self) {
        let queue = &self.net.queue;
        if !queue.position().is_multiple_of(Self::PREFETCH_BATCH) {
            return;
        }
        for event in queue.ahead(PREFETCH_DISTANCE, Self::PREFETCH_BATCH) {
            self.prefetch_for(*event);
        }
    }

    /// Asks for the state `event` will need.
    #[inline(always)]
    fn prefetch_for(&self, event: PackedEvent) {
        match event.unpack() {
            Event::Deliver { slot, to } => {
                self.members.prefetch(to as usize);
                self.slots.prefetch(slot);
            }
            Event::Timer { node, .. } => {
                self.members.prefetch(node as usize);
            }
            _ => {}
        }
    }

    /// Holds `event` if `node` is paused; returns whether it did.
    #[inline(never)]
    fn hold(&mut self, node: u32, event: PackedEvent) -> bool {
        let held = self.net.fx.hold(node, event);
        if held {
            self.net.count("paused-queued", 1);
        }
        held
    }

    /// Passes a message arriving at a capacity-bounded node through its inbound queue: returns
    /// false if it is to be delivered now, true if it was queued or dropped.
    #[inline(never)]
    fn queued_for_service(&mut self, slot: u32, from: NodeId, to: NodeId) -> bool {
        let now = self.now();
        let Some(capacity) = &mut self.net.fx.capacity else {
            return false;
        };
        match capacity.admit(to.index(), now) {
            Admission::Now => false,
            Admission::At(t) => {
                let incarnation = self.members[to.index()].incarnation;
                let served = Event::Served {
                    slot,
                    incarnation,
                    to: to.0,
                };
                self.net.queue.push(t, served.pack());
                true
            }
            Admission::Dropped => {
                self.slots.free(slot);
                self.net.count("capacity-dropped", 1);
                let why = "capacity";
                self.net
                    .record(|at| TraceEvent::Dropped { at, from, to, why });
                true
            }
        }
    }

    /// A message has waited its turn in a bounded inbound queue.
    #[inline(never)]
    fn served(&mut self, slot: u32, incarnation: u32, to: NodeId) {
        let from = self.slots.get(slot).from;
        self.stamp(5, pair(from, to));
        let member = &self.members[to.index()];
        if !member.alive || member.incarnation != incarnation {
            return self.drop_undeliverable(slot, to); // the queue died with the process
        }
        let served = Event::Served {
            slot,
            incarnation,
            to: to.0,
        };
        if self.net.fx.pause.is_some() && self.hold(to.0, served.pack()) {
            return;
        }
        self.deliver(slot, from, to);
    }

    #[inline(never)]
    fn fault(&mut self, index: u32) {
        self.stamp(3, u64::from(index));
        let fault = self.faults[index as usize].clone();
        let what = fault.action.describe();
        self.history.faults_applied.push(AppliedFault {
            at: self.now(),
            what: what.clone(),
        });
        self.net.record(|at| TraceEvent::Fault { at, what });
        self.apply_fault(fault.action);
        self.faults_done += 1;
        self.recount_agreement();
    }

    fn client_op(&mut self, op: ClientOp) {
        let ok = self.members[op.node.index()].alive;
        self.net.record(|at| TraceEvent::Client {
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
                    at: self.now(),
                    node: op.node,
                    key,
                    value,
                    version,
                });
            }
            Op::Read { key } => {
                let value = if ok {
                    self.members[op.node.index()].node.on_client_read(key)
                } else {
                    None
                };
                self.history.reads.push(ReadRecord {
                    at: self.now(),
                    node: op.node,
                    key,
                    value,
                    ok,
                });
            }
        }
    }

    /// Calls into one node. Its sends and timers go onto the network and into the queue
    /// during the call; the updates it learned are recorded when it returns.
    #[inline(always)]
    fn call(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut EmulatorContext<'_, N::Message>)) {
        let i = id.index();
        let before = self.fingerprint_before(i);
        {
            let pool = self.slots.filling();
            let (node, mut ctx) = context(&mut self.net, pool, &mut self.members[i], id);
            f(node, &mut ctx);
        }
        self.after_call(id, before);
    }

    /// The node's state fingerprint before a call, if the run tracks agreement.
    #[inline(always)]
    fn fingerprint_before(&self, i: usize) -> Option<u64> {
        self.agreement
            .as_ref()
            .map(|_| self.members[i].node.fingerprint())
    }

    /// What follows every call: the agreement count, and the learned records.
    #[inline(always)]
    fn after_call(&mut self, id: NodeId, before: Option<u64>) {
        if let (Some(agreement), Some(before)) = (&mut self.agreement, before) {
            agreement.moved(before, self.members[id.index()].node.fingerprint());
        }
        if !self.net.learned.is_empty() {
            self.record_learned(id);
        }
    }

    /// Records the updates node `id` learned during its call. The value comes from the store
    /// itself, so a protocol that corrupts values cannot hide it from the phantom checker.
    #[inline(never)]
    fn record_learned(&mut self, id: NodeId) {
        let store = self.members[id.index()].node.store();
        let at = self.net.now;
        for (key, version) in self.net.learned.drain(..) {
            let value = store.get(key).map_or(0, |v| v.value);
            self.history.learned.push(LearnedRecord {
                at,
                node: id,
                key,
                version,
                value,
            });
        }
    }

    /// Hands the message in `slot`, from `from`, to its (live, running) addressee `to`, which
    /// reads it where it lies (see `in_flight`).
    #[inline(always)]
    fn deliver(&mut self, slot: u32, from: NodeId, to: NodeId) {
        self.net.traffic.delivered += 1;
        if self.net.trace.is_some() {
            let kind = hearsay_protocols::Message::kind(&self.slots.get(slot).msg);
            self.net
                .record(|at| TraceEvent::Deliver { at, from, to, kind });
        }
        let i = to.index();
        let before = self.fingerprint_before(i);
        {
            let (flight, pool) = self.slots.delivering(slot);
            let (node, mut ctx) = context(&mut self.net, pool, &mut self.members[i], to);
            node.on_message(&mut ctx, from, &flight.msg);
        }
        self.after_call(to, before);
        self.slots.free(slot);
    }

    /// Drops the message in `slot`: its addressee is down (crashed, or out of the cluster).
    #[cold]
    fn drop_undeliverable(&mut self, slot: u32, to: NodeId) {
        let from = self.slots.get(slot).from;
        self.slots.free(slot);
        if self.net.fx.is_absent(to.index()) {
            self.net.count("to-absent", 1);
            let why = "absent";
            self.net
                .record(|at| TraceEvent::Dropped { at, from, to, why });
        } else {
            self.net.traffic.to_crashed += 1;
            self.net
                .record(|at| TraceEvent::DropCrashed { at, from, to });
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
        for member in self.members.iter().filter(|m| m.alive) {
            let store = member.node.store();
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

    fn sample_convergence(&mut self) {
        let mut live = self
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.node.fingerprint());
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
            at: self.now(),
            live: count,
            distinct_states,
        });
        if !converged {
            self.history.converged_since = None;
        } else if self.history.converged_since.is_none() {
            self.history.converged_since = Some(self.now());
        }
    }

    /// Live nodes per distinct state fingerprint, most common first (ties by fingerprint).
    fn live_states(&self) -> Vec<(u64, u32)> {
        let mut fps: Vec<u64> = self
            .members
            .iter()
            .filter(|m| m.alive)
            .map(|m| m.node.fingerprint())
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
            let entries = self
                .members
                .iter()
                .find(|m| m.alive && m.node.fingerprint() == fp)
                .map(|m| m.node.store().entries().to_vec())
                .unwrap_or_default();
            self.history.final_states.push(FinalState {
                fingerprint: fp,
                nodes: count,
                entries,
            });
        }
    }

    /// Folds one processed event into the trace fingerprint: the time, what happened (a tag
    /// and a detail), and to whom.
    #[inline(always)]
    fn stamp(&mut self, what: u64, whom: u64) {
        self.events += 1;
        self.fingerprint.add(self.net.now.as_nanos());
        self.fingerprint.add(what);
        self.fingerprint.add(whom);
    }
}

/// Member `me`'s node, and the context of a call into it, its sends going into `pool`.
#[inline(always)]
fn context<'a, N: Node>(
    net: &'a mut Transport,
    pool: &'a mut Pool<N::Message>,
    member: &'a mut Member<N>,
    me: NodeId,
) -> (&'a mut N, EmulatorContext<'a, N::Message>) {
    let ctx = EmulatorContext {
        now: net.fx.local_time(me.index(), net.now),
        me,
        incarnation: &member.incarnation,
        rng: &mut member.rng,
        net,
        pool,
    };
    (&mut member.node, ctx)
}

/// A message's encoded size as the trace fingerprint folds it in (what the send path counted:
/// a message does not change in flight).
#[inline(always)]
fn wire_bytes<M: hearsay_protocols::Message>(msg: &M) -> u64 {
    u64::from(u32::try_from(msg.wire_size()).unwrap_or(u32::MAX))
}

/// A sender and an addressee as one word.
#[inline(always)]
fn pair(from: NodeId, to: NodeId) -> u64 {
    u64::from(from.0) << 32 | u64::from(to.0)
}
