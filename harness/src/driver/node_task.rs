//! The per-node task: a select loop over client commands, datagrams and the earliest timer.

use super::codec::Codec;
use crate::emulator::StreamRng;
use crate::history::{LearnedRecord, ReadRecord, WriteRecord};
use hearsay_protocols::{
    Context, Key, Message, Node, NodeId, Observation, SimDuration, SimTime, TimerId, Value,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// A node and its RNG stream. Both outlive one incarnation of the node's task: a crash that
/// keeps state keeps the node, and the RNG stream goes on where it was (as in the emulator).
pub struct NodeSlot<N> {
    /// The sans-IO node.
    pub node: N,
    /// Its RNG stream.
    pub rng: StreamRng,
}

/// A node slot shared between the node's task and whoever runs the cluster.
pub type SharedSlot<N> = Rc<RefCell<NodeSlot<N>>>;

/// Where the driver's notion of run time comes from.
pub trait Clock {
    /// Time since the run started.
    fn now(&self) -> SimTime;
}

/// Datagrams in and out. Sends are fire-and-forget, as UDP is.
pub trait Transport {
    /// Waits for the next datagram; returns its length.
    fn recv(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>>;
    /// Sends one datagram to node `to`; a datagram that cannot be sent is lost.
    fn send(&mut self, to: NodeId, datagram: &[u8]);
}

/// What a node's driver reports, for the run's history.
pub trait Recorder {
    /// The node came to hold a new version.
    fn learned(&mut self, record: LearnedRecord);
    /// The node's state fingerprint changed (or was reported at start).
    fn state(&mut self, at: SimTime, node: NodeId, fingerprint: u64);
    /// A client write completed (op index in the run's workload).
    fn write(&mut self, op: u32, record: WriteRecord);
    /// A client read completed.
    fn read(&mut self, op: u32, record: ReadRecord);
    /// Redundant deliveries.
    fn redundant(&mut self, n: u64);
    /// A named protocol count.
    fn count(&mut self, what: &'static str, n: u64);
    /// A message left `from` for `to` (`bytes`: its modelled wire size).
    fn sent(&mut self, from: NodeId, to: NodeId, bytes: usize, encoded: usize);
    /// A message reached a live node.
    fn delivered(&mut self, from: NodeId, to: NodeId);
    /// A datagram reached a node that was down (its state kept, its process stopped).
    fn to_crashed(&mut self) {}
}

/// What the cluster asks of a node's task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Command {
    /// A client write (op: its index in the run's workload).
    Write {
        /// Op index.
        op: u32,
        /// The key.
        key: Key,
        /// The value.
        value: Value,
    },
    /// A client read.
    Read {
        /// Op index.
        op: u32,
        /// The key.
        key: Key,
    },
    /// Stop as a crash that keeps state would: timers lost, datagrams dropped, node kept.
    Down,
    /// Start again after [`Command::Down`] (calls `on_start`).
    Up,
    /// End the task.
    Stop,
}

/// Effects a node asked for during one call.
struct Effects<M> {
    sends: Vec<(NodeId, M)>,
    timers: Vec<(SimDuration, TimerId)>,
    observations: Vec<Observation>,
}

/// The driver's [`Context`]: the time of the call, the node's identity and RNG, and a buffer of
/// the effects the node asks for, carried out when the call returns.
pub struct DriverContext<'a, M> {
    now: SimTime,
    me: NodeId,
    rng: &'a mut StreamRng,
    out: &'a mut Effects<M>,
}

impl<M> Context<M> for DriverContext<'_, M> {
    type Rng = StreamRng;
    fn now(&self) -> SimTime {
        self.now
    }
    fn me(&self) -> NodeId {
        self.me
    }
    fn rng(&mut self) -> &mut StreamRng {
        self.rng
    }
    fn send(&mut self, to: NodeId, msg: M) {
        self.out.sends.push((to, msg));
    }
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.out.timers.push((after, timer));
    }
    fn observe(&mut self, observation: Observation) {
        self.out.observations.push(observation);
    }
}

struct Task<N: Node, T, C, R> {
    me: NodeId,
    slot: SharedSlot<N>,
    transport: T,
    clock: C,
    recorder: R,
    timers: BinaryHeap<Reverse<(SimTime, u64, TimerId)>>,
    timer_seq: u64,
    out: Effects<N::Message>,
    buf: Vec<u8>,
    fingerprint: Option<u64>,
    up: bool,
}

impl<N, T, C, R> Task<N, T, C, R>
where
    N: Node,
    N::Message: Serialize + DeserializeOwned,
    T: Transport,
    C: Clock,
    R: Recorder,
{
    /// Calls into the node and carries out what it asked for.
    fn call<Out>(
        &mut self,
        f: impl FnOnce(&mut N, &mut DriverContext<'_, N::Message>) -> Out,
    ) -> Out {
        let now = self.clock.now();
        let mut slot = self.slot.borrow_mut();
        let NodeSlot { node, rng } = &mut *slot;
        let result = {
            let mut ctx = DriverContext {
                now,
                me: self.me,
                rng,
                out: &mut self.out,
            };
            f(node, &mut ctx)
        };
        for (after, timer) in self.out.timers.drain(..) {
            self.timer_seq += 1;
            self.timers
                .push(Reverse((now + after, self.timer_seq, timer)));
        }
        for obs in self.out.observations.drain(..) {
            match obs {
                Observation::Learned { key, version } => {
                    let value = node.store().get(key).map_or(0, |v| v.value);
                    self.recorder.learned(LearnedRecord {
                        at: now,
                        node: self.me,
                        key,
                        version,
                        value,
                    });
                }
                Observation::Redundant { .. } => self.recorder.redundant(1),
                Observation::Count { what, n } => self.recorder.count(what, n),
                _ => {}
            }
        }
        let fp = node.fingerprint();
        drop(slot);
        if self.fingerprint != Some(fp) {
            self.fingerprint = Some(fp);
            self.recorder.state(now, self.me, fp);
        }
        let mut sends = std::mem::take(&mut self.out.sends);
        for (to, msg) in sends.drain(..) {
            let bytes = msg.wire_size();
            match Codec::encode(self.me, &msg, &mut self.buf) {
                Ok(encoded) => {
                    self.recorder.sent(self.me, to, bytes, encoded);
                    self.transport.send(to, &self.buf);
                }
                Err(_) => self.recorder.count("codec-oversize", 1),
            }
        }
        self.out.sends = sends;
        result
    }

    fn start(&mut self) {
        self.up = true;
        self.timers.clear();
        self.call(|node, ctx| node.on_start(ctx));
    }

    fn command(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Write { op, key, value } => {
                if !self.up {
                    return true;
                }
                let version = self.call(|node, ctx| node.on_client_write(ctx, key, value));
                let at = self.clock.now();
                self.recorder.write(
                    op,
                    WriteRecord {
                        at,
                        node: self.me,
                        key,
                        value,
                        version: Some(version),
                    },
                );
            }
            Command::Read { op, key } => {
                if !self.up {
                    return true;
                }
                let value = self.slot.borrow().node.on_client_read(key);
                let at = self.clock.now();
                self.recorder.read(
                    op,
                    ReadRecord {
                        at,
                        node: self.me,
                        key,
                        value,
                        ok: true,
                    },
                );
            }
            Command::Down => {
                self.up = false;
                self.timers.clear();
            }
            Command::Up => {
                if !self.up {
                    self.start();
                }
            }
            Command::Stop => return false,
        }
        true
    }

    fn datagram(&mut self, datagram: &[u8]) {
        match Codec::decode::<N::Message>(datagram) {
            Ok((from, msg)) => {
                if !self.up {
                    self.recorder.to_crashed();
                    return;
                }
                self.recorder.delivered(from, self.me);
                self.call(|node, ctx| node.on_message(ctx, from, &msg));
            }
            Err(_) => self.recorder.count("malformed-datagram", 1),
        }
    }

    fn fire_due_timers(&mut self) {
        let now = self.clock.now();
        while let Some(Reverse((at, _, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.call(|node, ctx| node.on_timer(ctx, timer));
        }
    }
}

/// Runs node `me` until [`Command::Stop`] or until the command channel closes (a task under
/// turmoil is instead dropped when its host crashes). Calls `on_start` first.
pub async fn drive<N, T, C, R>(
    me: NodeId,
    slot: SharedSlot<N>,
    transport: T,
    clock: C,
    recorder: R,
    mut commands: UnboundedReceiver<Command>,
) -> io::Result<()>
where
    N: Node,
    N::Message: Serialize + DeserializeOwned,
    T: Transport,
    C: Clock,
    R: Recorder,
{
    let mut task = Task {
        me,
        slot,
        transport,
        clock,
        recorder,
        timers: BinaryHeap::new(),
        timer_seq: 0,
        out: Effects {
            sends: Vec::new(),
            timers: Vec::new(),
            observations: Vec::new(),
        },
        buf: Vec::with_capacity(2048),
        fingerprint: None,
        up: false,
    };
    task.start();
    let mut rbuf = vec![0u8; super::codec::MAX_DATAGRAM];
    loop {
        let wait = task.timers.peek().map(|Reverse((at, _, _))| {
            Duration::from_nanos(at.saturating_since(task.clock.now()).as_nanos())
        });
        // `biased`: the branches are polled in a fixed order, so no runtime RNG decides which
        // ready event goes first and a turmoil run stays a function of its seed.
        tokio::select! {
            biased;
            cmd = commands.recv() => match cmd {
                Some(cmd) => {
                    if !task.command(cmd) {
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
            () = sleep_or_never(wait) => task.fire_due_timers(),
            got = task.transport.recv(&mut rbuf) => {
                let len = got?;
                task.datagram(&rbuf[..len]);
            }
        }
    }
}

async fn sleep_or_never(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
