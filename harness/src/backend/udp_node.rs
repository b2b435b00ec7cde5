//! One node on a real UDP socket: what `hearsay node` runs, one process per node.
//!
//! The process binds its loopback address from the peers file, runs the async driver on real
//! tokio time, and puts a fault layer in its socket path: every datagram it sends is dropped
//! when the coordinator says sender and receiver are in different partition groups, lost with
//! the scenario's loss probability, and otherwise held for a latency drawn from the scenario's
//! distribution before it goes out (the loopback's own few microseconds come on top). Its RNG
//! streams are the emulator's: `("node", i)` for the node, `("network", i)` for its fault layer.
//!
//! Control comes on stdin, one JSON [`ControlLine`] a line; observations go to stdout, one JSON
//! [`Report`] a line, with times relative to the run's shared start instant (a Unix time in
//! nanoseconds that the coordinator picks once every node is ready). When stdin closes — the
//! coordinator is gone, however it went — the node stops: no process outlives its cluster.

use super::{BackendError, WithNode, with_node};
use crate::driver::{
    Clock, Command, HistoryAssembler, NodeSlot, Recorder, SharedSlot, Transport, drive,
};
use crate::emulator::{RngStreams, StreamRng};
use crate::history::{LearnedRecord, ReadRecord, WriteRecord};
use crate::scenario::{Latency, NetworkSpec, Scenario};
use hearsay_faults::GroupId;
use hearsay_protocols::{Key, Node, NodeId, SimDuration, SimTime, Versioned, coin, uniform_below};
use hearsay_reports::TrafficCounts;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

const BACKEND: &str = "udp";

/// What the coordinator tells a node, one JSON object a line on its stdin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum ControlLine {
    /// Run time 0 is this Unix time (ns); start then (or at once, if it has passed). `groups`:
    /// the partition in force, if any.
    Start {
        /// The run's start instant, nanoseconds since the Unix epoch.
        unix_ns: u64,
        /// The partition group of every node, if a partition is in force.
        groups: Option<Vec<GroupId>>,
    },
    /// A client write (op: index in the run's workload).
    Write {
        /// Op index.
        op: u32,
        /// Key.
        key: Key,
        /// Value.
        value: u64,
    },
    /// A client read.
    Read {
        /// Op index.
        op: u32,
        /// Key.
        key: Key,
    },
    /// A partition: the group of every node.
    Partition {
        /// Group per node id.
        groups: Vec<GroupId>,
    },
    /// No partition any more.
    Heal,
    /// Crash, keeping state: timers die, datagrams are dropped, the node is kept in memory.
    Down,
    /// Restart after `down`.
    Up,
    /// The run is over: report the final state and exit.
    Stop,
}

/// What a node reports, one JSON object a line on its stdout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "kebab-case")]
pub enum Report {
    /// The socket is bound; waiting for `start`.
    Ready {
        /// The node.
        node: NodeId,
        /// Its process id.
        pid: u32,
    },
    /// The node came to hold a new version.
    Learned(LearnedRecord),
    /// Its state fingerprint changed.
    State {
        /// When.
        at: SimTime,
        /// The fingerprint.
        fingerprint: u64,
    },
    /// A client write completed.
    Write {
        /// Op index.
        op: u32,
        /// The record.
        record: WriteRecord,
    },
    /// A client read completed.
    Read {
        /// Op index.
        op: u32,
        /// The record.
        record: ReadRecord,
    },
    /// Cumulative counts of this process so far (sent every 200 ms and at the end).
    Stats {
        /// Traffic.
        traffic: TrafficCounts,
        /// Redundant deliveries.
        redundant: u64,
        /// Named counts.
        counters: BTreeMap<String, u64>,
    },
    /// The node's state at the end.
    Final {
        /// Fingerprint.
        fingerprint: u64,
        /// Entries in key order.
        entries: Vec<(Key, Versioned)>,
    },
}

/// How to run one node process.
#[derive(Clone, Debug)]
pub struct NodeProcessArgs {
    /// The scenario file (for the strategy's protocol and the network).
    pub scenario: PathBuf,
    /// Which strategy of the scenario.
    pub strategy: String,
    /// This node's id.
    pub id: u32,
    /// A file with one loopback `IP:PORT` per line, line i for node i.
    pub peers: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// How many times this node was restarted before (a process restarted after losing its
    /// state draws from a fresh RNG stream).
    pub incarnation: u32,
}

/// Reads a peers file: one loopback socket address a line. Anything not on loopback is refused:
/// real-cluster runs never leave this machine.
pub fn read_peers(path: &Path) -> Result<Vec<SocketAddr>, BackendError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BackendError::Failed(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let addr: SocketAddr = line.parse().map_err(|e| {
            BackendError::Failed(format!("{}:{}: `{line}`: {e}", path.display(), i + 1))
        })?;
        if !addr.ip().is_loopback() {
            return Err(BackendError::Failed(format!(
                "{}:{}: {addr} is not a loopback address; hearsay clusters run on loopback only",
                path.display(),
                i + 1
            )));
        }
        out.push(addr);
    }
    Ok(out)
}

/// Runs one node process to the end of its run. Blocks.
pub fn run_node_process(args: &NodeProcessArgs) -> Result<(), BackendError> {
    let scenario =
        crate::load_scenario(&args.scenario).map_err(|e| BackendError::Failed(e.to_string()))?;
    let strategy = scenario
        .strategies
        .iter()
        .find(|s| s.name == args.strategy)
        .ok_or_else(|| {
            BackendError::Failed(format!(
                "{}: no strategy named `{}`",
                args.scenario.display(),
                args.strategy
            ))
        })?
        .clone();
    let peers = read_peers(&args.peers)?;
    if peers.len() != scenario.nodes as usize || args.id >= scenario.nodes {
        return Err(BackendError::Failed(format!(
            "{} lists {} addresses for {} nodes (node {})",
            args.peers.display(),
            peers.len(),
            scenario.nodes,
            args.id
        )));
    }
    with_node(
        &scenario,
        &strategy.protocol,
        BACKEND,
        NodeJob {
            scenario: &scenario,
            args,
            peers,
        },
    )?
}

struct NodeJob<'a> {
    scenario: &'a Scenario,
    args: &'a NodeProcessArgs,
    peers: Vec<SocketAddr>,
}

impl WithNode for NodeJob<'_> {
    type Output = Result<(), BackendError>;
    fn with<N, F>(self, factory: F) -> Self::Output
    where
        N: Node + 'static,
        N::Message: Serialize + serde::de::DeserializeOwned + 'static,
        F: Fn(NodeId) -> N + Clone + 'static,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BackendError::Failed(format!("tokio runtime: {e}")))?;
        let local = tokio::task::LocalSet::new();
        let result = local.block_on(
            &runtime,
            node_main(self.args, self.scenario.network, self.peers, factory),
        );
        // Do not wait for the thread blocked reading stdin.
        drop(local);
        runtime.shutdown_background();
        result.map_err(|e| BackendError::Failed(format!("node {}: {e}", self.args.id)))
    }
}

/// Writes one report line to stdout.
fn emit(report: &Report) {
    let mut out = io::stdout().lock();
    // A closed stdout means the coordinator is gone; stdin's end will stop the node.
    let _ = serde_json::to_writer(&mut out, report);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

#[derive(Default)]
struct Stats {
    traffic: TrafficCounts,
    redundant: u64,
    counters: BTreeMap<String, u64>,
}

impl Stats {
    fn report(&self) -> Report {
        Report::Stats {
            traffic: self.traffic,
            redundant: self.redundant,
            counters: self.counters.clone(),
        }
    }
}

struct StdoutRecorder {
    stats: Rc<RefCell<Stats>>,
}

impl Recorder for StdoutRecorder {
    fn learned(&mut self, record: LearnedRecord) {
        emit(&Report::Learned(record));
    }
    fn state(&mut self, at: SimTime, _node: NodeId, fingerprint: u64) {
        emit(&Report::State { at, fingerprint });
    }
    fn write(&mut self, op: u32, record: WriteRecord) {
        emit(&Report::Write { op, record });
    }
    fn read(&mut self, op: u32, record: ReadRecord) {
        emit(&Report::Read { op, record });
    }
    fn redundant(&mut self, n: u64) {
        self.stats.borrow_mut().redundant += n;
    }
    fn count(&mut self, what: &'static str, n: u64) {
        *self
            .stats
            .borrow_mut()
            .counters
            .entry(what.to_string())
            .or_default() += n;
    }
    fn sent(&mut self, _from: NodeId, _to: NodeId, bytes: usize, encoded: usize) {
        let mut s = self.stats.borrow_mut();
        s.traffic.sent += 1;
        s.traffic.sent_bytes += bytes as u64;
        *s.counters.entry("postcard-bytes".into()).or_default() += encoded as u64;
    }
    fn delivered(&mut self, _from: NodeId, _to: NodeId) {
        self.stats.borrow_mut().traffic.delivered += 1;
    }
    fn to_crashed(&mut self) {
        self.stats.borrow_mut().traffic.to_crashed += 1;
    }
}

struct RealClock {
    origin: tokio::time::Instant,
}

impl Clock for RealClock {
    fn now(&self) -> SimTime {
        SimTime(self.origin.elapsed().as_nanos() as u64)
    }
}

/// The fault layer's state: the partition in force (pushed by the coordinator), the
/// scenario's loss and latency, and the RNG that draws them.
struct FaultLayer {
    groups: Option<Vec<GroupId>>,
    network: NetworkSpec,
    rng: StreamRng,
}

struct UdpTransport {
    me: NodeId,
    socket: Rc<tokio::net::UdpSocket>,
    peers: Rc<Vec<SocketAddr>>,
    faults: Rc<RefCell<FaultLayer>>,
    stats: Rc<RefCell<Stats>>,
}

impl Transport for UdpTransport {
    async fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.socket.recv_from(buf).await {
                Ok((n, _)) => return Ok(n),
                // ICMP errors from a peer that is down are not ours to handle.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn send(&mut self, to: NodeId, datagram: &[u8]) {
        let Some(&addr) = self.peers.get(to.index()) else {
            return;
        };
        let delay = {
            let mut f = self.faults.borrow_mut();
            if f.groups
                .as_ref()
                .is_some_and(|g| g.get(self.me.index()) != g.get(to.index()))
            {
                self.stats.borrow_mut().traffic.partitioned += 1;
                return;
            }
            let loss = f.network.loss;
            if loss > 0.0 && coin(&mut f.rng, loss) {
                self.stats.borrow_mut().traffic.lost += 1;
                return;
            }
            match f.network.latency {
                Latency::Constant(d) => d,
                Latency::Uniform { min, max } => SimDuration(
                    min.as_nanos() + uniform_below(&mut f.rng, max.as_nanos() - min.as_nanos() + 1),
                ),
                // The cluster refuses other distributions before it starts any process.
                other => unreachable!("latency {other} is refused before the run"),
            }
        };
        let socket = self.socket.clone();
        let datagram = datagram.to_vec();
        tokio::task::spawn_local(async move {
            tokio::time::sleep(Duration::from_nanos(delay.as_nanos())).await;
            let _ = socket.send_to(&datagram, addr).await;
        });
    }
}

fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

async fn node_main<N, F>(
    args: &NodeProcessArgs,
    network: NetworkSpec,
    peers: Vec<SocketAddr>,
    factory: F,
) -> io::Result<()>
where
    N: Node + 'static,
    N::Message: Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(NodeId) -> N,
{
    let me = NodeId(args.id);
    let socket = Rc::new(tokio::net::UdpSocket::bind(peers[me.index()]).await?);
    let streams = RngStreams::new(args.seed);
    let faults = Rc::new(RefCell::new(FaultLayer {
        groups: None,
        network,
        rng: streams.stream("network", u64::from(args.id)),
    }));
    let stats = Rc::new(RefCell::new(Stats::default()));
    let (commands, commands_rx) = unbounded_channel();
    let (start_tx, start_rx) = tokio::sync::oneshot::channel();
    emit(&Report::Ready {
        node: me,
        pid: std::process::id(),
    });
    tokio::task::spawn_local(read_control(commands, faults.clone(), start_tx));
    let Ok(start_ns) = start_rx.await else {
        return Ok(()); // stdin closed before the start: nothing to do
    };
    let now_ns = unix_now_ns();
    let origin = if start_ns > now_ns {
        tokio::time::sleep(Duration::from_nanos(start_ns - now_ns)).await;
        tokio::time::Instant::now()
    } else {
        tokio::time::Instant::now() - Duration::from_nanos(now_ns - start_ns)
    };
    let rng = if args.incarnation == 0 {
        streams.stream("node", u64::from(args.id))
    } else {
        streams.stream(
            &format!("node-incarnation-{}", args.incarnation),
            u64::from(args.id),
        )
    };
    let slot: SharedSlot<N> = Rc::new(RefCell::new(NodeSlot {
        node: factory(me),
        rng,
    }));
    let reporter = {
        let stats = stats.clone();
        tokio::task::spawn_local(async move {
            let mut every = tokio::time::interval(Duration::from_millis(200));
            loop {
                every.tick().await;
                emit(&stats.borrow().report());
            }
        })
    };
    let transport = UdpTransport {
        me,
        socket,
        peers: Rc::new(peers),
        faults,
        stats: stats.clone(),
    };
    let recorder = StdoutRecorder {
        stats: stats.clone(),
    };
    let result = drive(
        me,
        slot.clone(),
        transport,
        RealClock { origin },
        recorder,
        commands_rx,
    )
    .await;
    reporter.abort();
    emit(&stats.borrow().report());
    let slot = slot.borrow();
    emit(&Report::Final {
        fingerprint: slot.node.fingerprint(),
        entries: slot.node.store().entries().to_vec(),
    });
    result
}

/// Reads control lines from stdin until it closes; then stops the node.
async fn read_control(
    commands: UnboundedSender<Command>,
    faults: Rc<RefCell<FaultLayer>>,
    start: tokio::sync::oneshot::Sender<u64>,
) {
    let mut start = Some(start);
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let cmd = match serde_json::from_str::<ControlLine>(&line) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("hearsay node: bad control line `{line}`: {e}");
                continue;
            }
        };
        let forward = match cmd {
            ControlLine::Start { unix_ns, groups } => {
                faults.borrow_mut().groups = groups;
                if let Some(s) = start.take() {
                    let _ = s.send(unix_ns);
                }
                None
            }
            ControlLine::Partition { groups } => {
                faults.borrow_mut().groups = Some(groups);
                None
            }
            ControlLine::Heal => {
                faults.borrow_mut().groups = None;
                None
            }
            ControlLine::Write { op, key, value } => Some(Command::Write { op, key, value }),
            ControlLine::Read { op, key } => Some(Command::Read { op, key }),
            ControlLine::Down => Some(Command::Down),
            ControlLine::Up => Some(Command::Up),
            ControlLine::Stop => Some(Command::Stop),
        };
        if let Some(c) = forward
            && commands.send(c).is_err()
        {
            return;
        }
    }
    // The coordinator is gone (or closed our stdin): stop.
    let _ = commands.send(Command::Stop);
}

/// A node's final report: its fingerprint and entries.
pub(crate) type FinalReport = (u64, Vec<(Key, Versioned)>);

/// Folds one node's reports into a run's history record (used by the coordinator).
pub(crate) fn fold_report(
    history: &mut HistoryAssembler,
    node: NodeId,
    report: Report,
    finals: &mut [Option<FinalReport>],
) {
    match report {
        Report::Ready { .. } | Report::Stats { .. } => {}
        Report::Learned(r) => history.learned(r),
        Report::State { at, fingerprint } => history.state(at, node, fingerprint),
        Report::Write { op, record } => history.write(op as usize, record),
        Report::Read { op, record } => history.read(op as usize, record),
        Report::Final {
            fingerprint,
            entries,
        } => finals[node.index()] = Some((fingerprint, entries)),
    }
}
