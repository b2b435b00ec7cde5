//! The emulated network as a node's sends see it: the messages in flight, the event queue they
//! wait in, the faults on their way, and what the run counts of them.
//!
//! A node's send is carried out the moment the node makes it (inside its call), so a message is
//! written once, into its in-flight slot, and never copied through a buffer. Everything a send
//! touches lives here, apart from the nodes and the in-flight pools, so that the emulator can
//! lend it to a node's [`EmulatorContext`](super::context::EmulatorContext) while the node
//! itself is borrowed (and the message it is reading, in the other pool).

use super::event::{Event, PackedEvent};
use super::fault_state::FaultState;
use super::in_flight::Pool;
use super::link_rules::Fate;
use super::trace::{SendOutcome, TraceEvent};
use super::{EventQueue, NetworkModel, StreamRng};
use hearsay_protocols::{
    Key, Message, NodeId, Observation, SimDuration, SimTime, TimerId, Version,
};
use hearsay_reports::{SendSeries, TrafficCounts};

/// The network between the nodes, and the effects a node's call leaves for the emulator.
pub(crate) struct Transport {
    /// The true time of the event being handled (a node's own clock may be skewed).
    pub now: SimTime,
    /// Cluster size: a message to an id at or beyond it is lost.
    nodes: u32,
    /// The per-message size limit, if any: larger messages are counted `oversize`.
    mtu: Option<u32>,
    pub queue: EventQueue<PackedEvent>,
    model: NetworkModel,
    /// The network's own random stream (loss, latency, fault draws).
    rng: StreamRng,
    pub fx: FaultState<PackedEvent>,
    pub traffic: TrafficCounts,
    pub sends_over_time: SendSeries,
    /// The interval of `sends_over_time` that `now` falls in, and where it ends (ns).
    send_bucket: usize,
    send_bucket_end: u64,
    send_bucket_len: u64,
    /// Named counts; few distinct names exist, so a linear scan of a small vector beats a map
    /// on the hot path.
    counters: Vec<(&'static str, u64)>,
    /// Deliveries of entries the receiver already held.
    pub redundant: u64,
    /// Every event, when the run keeps its trace.
    pub trace: Option<Vec<TraceEvent>>,
    /// Updates the node being called learned, recorded when its call returns.
    pub learned: Vec<(Key, Version)>,
    /// Whether learned updates are recorded at all (off for the bare event loop).
    pub history_on: bool,
    /// Whether a send needs nothing but a latency draw (see [`Transport::is_plain`]).
    plain: bool,
}

impl Transport {
    /// A network of `nodes` with `model`'s latency and loss, drawing from `rng`; sends are
    /// counted per interval of `send_bucket_len` ns over a run of `duration`.
    pub fn new(
        nodes: u32,
        model: NetworkModel,
        mtu: Option<u32>,
        rng: StreamRng,
        fx: FaultState<PackedEvent>,
        duration: SimDuration,
        record_trace: bool,
    ) -> Self {
        let send_bucket_len = duration
            .as_nanos()
            .div_ceil(crate::history::SEND_BUCKETS)
            .max(1_000_000);
        let buckets = duration.as_nanos() / send_bucket_len + 1;
        Transport {
            now: SimTime::ZERO,
            nodes,
            mtu,
            queue: EventQueue::for_cluster(nodes),
            model,
            rng,
            fx,
            traffic: TrafficCounts::default(),
            sends_over_time: SendSeries {
                interval: SimDuration::from_nanos(send_bucket_len).as_secs_f64(),
                counts: vec![0; buckets as usize],
            },
            send_bucket: 0,
            send_bucket_end: send_bucket_len,
            send_bucket_len,
            counters: Vec::new(),
            redundant: 0,
            trace: record_trace.then(Vec::new),
            learned: Vec::new(),
            history_on: true,
            plain: false,
        }
        .refreshed()
    }

    fn refreshed(mut self) -> Self {
        self.refresh();
        self
    }

    /// Carries out one send: counts it, then puts it on the wire (into `pool`) or, if it is
    /// lost or cut off, drops it.
    #[inline(always)]
    pub fn send<M: Message>(&mut self, pool: &mut Pool<M>, from: NodeId, to: NodeId, msg: M) {
        self.send_with(pool, from, to, || msg);
    }

    /// [`Transport::send`] of the message `build` makes, built straight into its slot when
    /// nothing but latency stands between the nodes (the common case, kept short: it draws
    /// from the network stream exactly what the general path would, no loss draw when the
    /// loss rate is zero).
    #[inline(always)]
    pub fn send_with<M: Message>(
        &mut self,
        pool: &mut Pool<M>,
        from: NodeId,
        to: NodeId,
        build: impl FnOnce() -> M,
    ) {
        if !(self.plain && to.0 < self.nodes) {
            let msg = build();
            let bytes = msg.wire_size();
            self.count_send(bytes);
            return self.send_through_faults(pool, from, to, msg, bytes);
        }
        let delay = self.model.latency(&mut self.rng);
        let (slot, bytes) = pool.put_sized(from, build);
        self.count_send(bytes);
        self.in_transit(slot, to, delay);
    }

    /// [`Transport::send_with`] to each of `peers` in turn, of one message `build` makes:
    /// what the sends draw, count and schedule is exactly what one send per peer would. When
    /// nothing but latency stands between the nodes, the message lies in flight once, in one
    /// slot that every delivery of it reads (a push to three peers builds and stores one
    /// message, not three); otherwise each peer's send goes its own way with a copy.
    #[inline(always)]
    pub fn send_each<M: Message>(
        &mut self,
        pool: &mut Pool<M>,
        from: NodeId,
        peers: &[NodeId],
        build: impl FnOnce() -> M,
    ) {
        match peers {
            [] => {}
            [one] => self.send_with(pool, from, *one, build),
            _ => self.send_shared(pool, from, peers, build),
        }
    }

    /// [`Transport::send_each`] to two peers or more. Out of line: inlined, it moved the
    /// compiler's choices elsewhere in the event loop, and runs with a fanout of one (most of
    /// them) took 1.4% more instructions.
    #[inline(never)]
    fn send_shared<M: Message>(
        &mut self,
        pool: &mut Pool<M>,
        from: NodeId,
        peers: &[NodeId],
        build: impl FnOnce() -> M,
    ) {
        if !(self.plain && peers.iter().all(|to| to.0 < self.nodes)) {
            // Each send on its own, with a copy (the last one takes the original).
            let msg = build();
            let (&last, others) = peers.split_last().expect("two peers or more");
            for &to in others {
                self.send(pool, from, to, msg.clone());
            }
            return self.send(pool, from, last, msg);
        }
        let (&first, rest) = peers.split_first().expect("two peers or more");
        let delay = self.model.latency(&mut self.rng);
        let readers = u32::try_from(peers.len()).expect("under 2^32 peers");
        let (slot, bytes) = pool.put_shared(from, readers, build);
        self.count_send(bytes);
        self.in_transit(slot, first, delay);
        for &to in rest {
            let delay = self.model.latency(&mut self.rng);
            self.count_send(bytes);
            self.in_transit(slot, to, delay);
        }
    }

    /// Counts one message sent, of `bytes`.
    #[inline(always)]
    fn count_send(&mut self, bytes: usize) {
        if self.now.as_nanos() >= self.send_bucket_end {
            self.next_send_bucket();
        }
        self.sends_over_time.counts[self.send_bucket] += 1;
        self.traffic.sent += 1;
        self.traffic.sent_bytes += bytes as u64;
    }

    /// Whether sends need nothing but a latency draw: no partition, no network fault, no
    /// random loss, no size limit to check, no trace to keep. Refreshed whenever one of those
    /// changes (see [`Transport::refresh`]).
    fn is_plain(&self) -> bool {
        self.fx.cut.is_none()
            && self.fx.links.is_empty()
            && self.model.loss() == 0.0
            && self.mtu.is_none()
            && self.trace.is_none()
    }

    /// Takes note that the faults in force (or what is traced) changed.
    pub fn refresh(&mut self) {
        self.plain = self.is_plain();
    }

    /// A send through whatever stands between the nodes: partitions, loss, network faults; or
    /// one that must be checked against the MTU or traced. (Already counted.)
    #[inline(never)]
    fn send_through_faults<M: Message>(
        &mut self,
        pool: &mut Pool<M>,
        from: NodeId,
        to: NodeId,
        msg: M,
        bytes: usize,
    ) {
        let kind = self.trace.is_some().then(|| msg.kind());
        if self.mtu.is_some_and(|mtu| bytes > mtu as usize) {
            self.count("oversize", 1); // a protocol ignored the MTU: reported, not enforced
        }
        let outcome = if to.0 >= self.nodes {
            self.traffic.lost += 1;
            SendOutcome::Lost
        } else if self.fx.blocks(from, to) {
            self.traffic.partitioned += 1;
            SendOutcome::Partitioned
        } else {
            match self.fx.links.fate(from, to, &self.model, &mut self.rng) {
                Fate::Lost => {
                    self.traffic.lost += 1;
                    SendOutcome::Lost
                }
                Fate::Arrives {
                    delay,
                    duplicate,
                    reordered,
                } => {
                    let slot = pool.put(from, msg);
                    if let Some(again) = duplicate {
                        self.duplicate(pool, slot, to, again);
                    }
                    if reordered {
                        self.count("reordered", 1);
                    }
                    self.in_transit(slot, to, delay);
                    SendOutcome::InFlight
                }
            }
        };
        if let Some(kind) = kind {
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

    /// Arms `node`'s timer `timer` to fire after `after`, unless the process that armed it
    /// (`incarnation`) has stopped by then.
    #[inline]
    pub fn set_timer(
        &mut self,
        node: NodeId,
        after: SimDuration,
        timer: TimerId,
        incarnation: u32,
    ) {
        self.queue.push(
            self.now + after,
            Event::Timer {
                node: node.0,
                timer,
                incarnation,
            }
            .pack(),
        );
    }

    /// Puts a copy of the message in `slot` (of `pool`), addressed to `to`, on the wire, to
    /// arrive after `after`.
    #[cold]
    fn duplicate<M: Message>(
        &mut self,
        pool: &mut Pool<M>,
        slot: u32,
        to: NodeId,
        after: SimDuration,
    ) {
        let original = pool.get(slot);
        let (from, msg) = (original.from, original.msg.clone());
        let twin = pool.put(from, msg);
        self.in_transit(twin, to, after);
        self.count("duplicated", 1);
    }

    /// Puts the message in `slot` on the wire, to arrive after `delay`.
    #[inline(always)]
    fn in_transit(&mut self, slot: u32, to: NodeId, delay: SimDuration) {
        self.queue
            .push(self.now + delay, Event::Deliver { slot, to: to.0 }.pack());
    }

    /// Takes in what a node reports: a redundant delivery or a count at once, a learned
    /// update for recording when the call returns.
    #[inline]
    pub fn observe(&mut self, observation: Observation) {
        match observation {
            Observation::Learned { key, version } if self.history_on => {
                self.learned.push((key, version));
            }
            Observation::Redundant { .. } => self.redundant += 1,
            Observation::Count { what, n } => self.count(what, n),
            _ => {}
        }
    }

    /// Adds to a named counter.
    #[inline]
    pub fn count(&mut self, what: &'static str, n: u64) {
        match self.counters.iter_mut().find(|(name, _)| *name == what) {
            Some((_, total)) => *total += n,
            None => self.counters.push((what, n)),
        }
    }

    /// The named counts, by name.
    pub fn counters(&self) -> std::collections::BTreeMap<String, u64> {
        self.counters
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    /// Keeps the event `event` makes of the current time in the trace, if the run keeps one
    /// (only then is it made).
    #[inline]
    pub fn record(&mut self, event: impl FnOnce(SimTime) -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            trace.push(event(self.now));
        }
    }

    /// Moves the send counter to the interval `now` falls in (time only moves forward).
    #[cold]
    fn next_send_bucket(&mut self) {
        let last = self.sends_over_time.counts.len() - 1;
        self.send_bucket = ((self.now.as_nanos() / self.send_bucket_len) as usize).min(last);
        self.send_bucket_end = (self.send_bucket as u64 + 1).saturating_mul(self.send_bucket_len);
        if self.send_bucket == last {
            self.send_bucket_end = u64::MAX;
        }
    }
}
