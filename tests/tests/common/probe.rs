//! A probe protocol for measuring what the network does to single messages.
//!
//! Every `period` each probe node sends one numbered ping to each of its targets. A node that
//! receives a ping reports it as `Learned { key: seq, version: (stamp: send time in ns, writer:
//! sender) }`, so the history holds, for every arrival, which message it was, who sent it, when
//! it was sent (by the sender's clock) and when it arrived (true time): latency, loss,
//! duplication and reordering can be read off exactly.

use hearsay_faults::TimedFault;
use hearsay_harness::emulator::{Emulator, EmulatorConfig, RunOutput};
use hearsay_harness::scenario::NetworkSpec;
use hearsay_protocols::{
    Context, Key, Message, Node, NodeId, Observation, SimDuration, SimTime, TimerId, Value,
    Version, VersionedStore,
};
use hearsay_workloads::ClientOp;

#[derive(Clone, Debug)]
pub struct Ping {
    pub seq: u64,
    pub sent_at: SimTime,
}

impl Message for Ping {
    fn wire_size(&self) -> usize {
        28
    }
    fn kind(&self) -> &'static str {
        "ping"
    }
}

pub struct Probe {
    targets: Vec<NodeId>,
    /// Whether a round's pings go out as one message for all targets (`send_each`) rather
    /// than one send per target.
    shared: bool,
    period: SimDuration,
    sent: u64,
    store: VersionedStore,
}

/// The sequence number of the `k`-th ping `from` sends (to any target).
pub fn seq(from: NodeId, k: u64) -> u64 {
    (u64::from(from.0) << 32) | k
}

impl Node for Probe {
    type Message = Ping;

    fn on_start<C: Context<Ping>>(&mut self, ctx: &mut C) {
        if !self.targets.is_empty() {
            ctx.set_timer(self.period, TimerId(0));
        }
    }

    fn on_timer<C: Context<Ping>>(&mut self, ctx: &mut C, _: TimerId) {
        let msg = Ping {
            seq: seq(ctx.me(), self.sent),
            sent_at: ctx.now(),
        };
        if self.shared {
            ctx.send_each(&self.targets, || msg);
        } else {
            for &t in &self.targets {
                ctx.send(t, msg.clone());
            }
        }
        self.sent += 1;
        ctx.set_timer(self.period, TimerId(0));
    }

    fn on_message<C: Context<Ping>>(&mut self, ctx: &mut C, from: NodeId, msg: &Ping) {
        ctx.observe(Observation::Learned {
            key: msg.seq,
            version: Version {
                stamp: msg.sent_at.as_nanos(),
                writer: from,
            },
        });
    }

    fn on_client_write<C: Context<Ping>>(&mut self, ctx: &mut C, _: Key, _: Value) -> Version {
        Version {
            stamp: ctx.now().as_nanos(),
            writer: ctx.me(),
        }
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}

/// One arrival of a ping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub seq: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: SimTime,
    pub arrived: SimTime,
}

impl Arrival {
    pub fn latency(&self) -> SimDuration {
        self.arrived - self.sent
    }
}

pub fn arrivals(out: &RunOutput) -> Vec<Arrival> {
    out.history
        .learned
        .iter()
        .map(|l| Arrival {
            seq: l.key,
            from: l.version.writer,
            to: l.node,
            sent: SimTime(l.version.stamp),
            arrived: l.at,
        })
        .collect()
}

/// Runs `nodes` probes for `duration`; node `i` pings `targets(i)` every `period`.
pub fn run(
    nodes: u32,
    duration: SimDuration,
    network: NetworkSpec,
    period: SimDuration,
    targets: impl Fn(NodeId) -> Vec<NodeId>,
    faults: &[TimedFault],
    ops: Vec<ClientOp>,
) -> RunOutput {
    ProbeRun {
        nodes,
        duration,
        network,
        period,
        targets,
        faults,
        ops,
        shared: false,
        record_trace: true,
    }
    .run()
}

/// A probe run spelled out, for what [`run`] fixes: whether each round's pings go out as one
/// message for all targets, and whether the run keeps a trace (a traced send takes the
/// emulator's general path).
pub struct ProbeRun<'a, T> {
    pub nodes: u32,
    pub duration: SimDuration,
    pub network: NetworkSpec,
    pub period: SimDuration,
    pub targets: T,
    pub faults: &'a [TimedFault],
    pub ops: Vec<ClientOp>,
    pub shared: bool,
    pub record_trace: bool,
}

impl<T: Fn(NodeId) -> Vec<NodeId>> ProbeRun<'_, T> {
    pub fn run(self) -> RunOutput {
        let config = EmulatorConfig {
            nodes: self.nodes,
            duration: self.duration,
            network: self.network,
            sample_every: self.duration,
            seed: 7,
            record_trace: self.record_trace,
            stop_when_converged: false,
        };
        let (targets, shared, period) = (&self.targets, self.shared, self.period);
        Emulator::new(
            config,
            |id| Probe {
                targets: targets(id),
                shared,
                period,
                sent: 0,
                store: VersionedStore::new(),
            },
            self.faults,
            self.ops,
        )
        .run()
    }
}
