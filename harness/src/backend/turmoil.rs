//! The turmoil backend: every node is a turmoil host running the async driver over turmoil's
//! simulated UDP, in simulated time, deterministic given the run's seed.
//!
//! How the scenario maps onto turmoil's own controls:
//!
//! | scenario                        | turmoil                                                        |
//! |---------------------------------|----------------------------------------------------------------|
//! | `network.loss`                  | `fail_rate` (with `repair_rate` 1: each send fails with that probability) |
//! | `latency: { constant: d }`      | `min_message_latency` = `max_message_latency` = d              |
//! | `latency: { uniform: [a, b] }`  | min a, max b; turmoil draws from an exponential curve, set so its mean is (a+b)/2 |
//! | `partition` (halves / groups)   | `partition(a, b)` for every pair of hosts in different groups  |
//! | `heal`                          | `repair(a, b)` for every pair partitioned                      |
//! | `crash` (state lost or kept)    | `crash(host)`; a lost state is replaced by a fresh node        |
//! | `restart`                       | `bounce(host)`: the host's software restarts and calls `on_start` |
//!
//! Node state lives outside the host's software (a shared slot), so a crash that keeps state
//! keeps it and a crash that loses it gets a fresh node, as in the emulator. Any fault kind
//! not in this table is reported as unsupported before the run starts.
//!
//! Differences from the emulator worth knowing: turmoil moves time in ticks (1 ms here), so
//! timers, deliveries and client operations land on whole ticks; its latency curve is
//! exponential, not uniform (same mean); a partition also drops what was already in flight
//! between the two sides, and a failed send (loss) drops what was in flight on that link.

use super::{BackendError, WithNode, check_protocols, with_node};
use crate::driver::{
    Clock, Command, FinalNode, HistoryAssembler, NodeSlot, Recorder, SharedSlot, Transport, drive,
};
use crate::emulator::{RngStreams, RunOutput};
use crate::history::{LearnedRecord, NodeEventKind, ReadRecord, WriteRecord};
use crate::runner::judge;
use crate::scenario::{Latency, Scenario, StrategySpec};
use hearsay_faults::{FaultAction, GroupId};
use hearsay_protocols::{Node, NodeId, SimTime};
use hearsay_reports::{RunResult, ScenarioResult};
use rayon::prelude::*;
use std::cell::RefCell;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

const BACKEND: &str = "turmoil";
const PORT: u16 = 7946;

/// turmoil's latency curve is `min + (max - min) · min(Exp(λ), 1)`. With λ ≈ 1.5936 the mean of
/// `min(Exp(λ), 1)` is 1/2, so the mean latency equals that of the scenario's uniform range.
const UNIFORM_MEAN_CURVE: f64 = 1.593_624;

/// How to run under turmoil.
#[derive(Clone, Copy, Debug)]
pub struct TurmoilOptions {
    /// Simulated time per turmoil step.
    pub tick: Duration,
    /// Run one seed at a time on one core.
    pub sequential: bool,
}

impl Default for TurmoilOptions {
    fn default() -> Self {
        TurmoilOptions {
            tick: Duration::from_millis(1),
            sequential: false,
        }
    }
}

/// The largest cluster run under turmoil. turmoil keeps one link per pair of hosts and, on
/// every tick, scans all links for every host, so a tick costs O(hosts³): beyond a few hundred
/// hosts a run takes hours (see `hearsay bench-backends`). The emulator has no such limit.
pub const MAX_HOSTS: u32 = 400;

/// Checks, before any run, that turmoil can carry out everything `scenario` asks for.
pub fn check_supported(scenario: &Scenario) -> Result<(), BackendError> {
    check_protocols(scenario, BACKEND)?;
    if let Some(what) = super::unsupported_shape(scenario) {
        return Err(BackendError::unsupported(BACKEND, what));
    }
    if scenario.nodes > MAX_HOSTS {
        return Err(BackendError::unsupported(
            BACKEND,
            format!(
                "{} nodes: turmoil runs at most {MAX_HOSTS} hosts (its cost per tick grows with \
                 the cube of the host count); use the emulator for larger clusters",
                scenario.nodes
            ),
        ));
    }
    Ok(())
}

/// Runs every strategy of `scenario` under every seed on turmoil and judges each run, in the
/// runner's order (strategy by strategy, seed by seed).
pub fn run_scenario(
    scenario: &Scenario,
    options: TurmoilOptions,
) -> Result<ScenarioResult, BackendError> {
    check_supported(scenario)?;
    let jobs: Vec<(&StrategySpec, u64)> = scenario
        .strategies
        .iter()
        .flat_map(|s| scenario.seeds.iter().map(move |seed| (s, *seed)))
        .collect();
    let one = |(s, seed): &(&StrategySpec, u64)| run_one(scenario, s, *seed, options).map(|r| r.0);
    let runs: Vec<RunResult> = if options.sequential {
        jobs.iter().map(one).collect::<Result<_, _>>()?
    } else {
        jobs.par_iter().map(one).collect::<Result<_, _>>()?
    };
    Ok(super::scenario_result(scenario, runs))
}

/// Runs one strategy under one seed on turmoil: the judged result and the raw output.
pub fn run_one(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    options: TurmoilOptions,
) -> Result<(RunResult, RunOutput), BackendError> {
    check_supported(scenario)?;
    let output = with_node(
        scenario,
        &strategy.protocol,
        BACKEND,
        Job {
            scenario,
            seed,
            options,
        },
    )??;
    Ok((judge(scenario, strategy, seed, &output), output))
}

struct Job<'a> {
    scenario: &'a Scenario,
    seed: u64,
    options: TurmoilOptions,
}

impl WithNode for Job<'_> {
    type Output = Result<RunOutput, BackendError>;
    fn with<N, F>(self, factory: F) -> Self::Output
    where
        N: Node + 'static,
        N::Message: serde::Serialize + serde::de::DeserializeOwned + 'static,
        F: Fn(NodeId) -> N + Clone + 'static,
    {
        simulate(self.scenario, self.seed, self.options, factory)
    }
}

/// What the recorder needs to know about the world to classify a send.
struct View {
    groups: Option<Vec<GroupId>>,
    alive: Vec<bool>,
}

#[derive(Clone)]
struct SharedRecorder {
    history: Rc<RefCell<HistoryAssembler>>,
    view: Rc<RefCell<View>>,
}

impl Recorder for SharedRecorder {
    fn learned(&mut self, record: LearnedRecord) {
        self.history.borrow_mut().learned(record);
    }
    fn state(&mut self, at: SimTime, node: NodeId, fingerprint: u64) {
        self.history.borrow_mut().state(at, node, fingerprint);
    }
    fn write(&mut self, op: u32, record: WriteRecord) {
        self.history.borrow_mut().write(op as usize, record);
    }
    fn read(&mut self, op: u32, record: ReadRecord) {
        self.history.borrow_mut().read(op as usize, record);
    }
    fn redundant(&mut self, n: u64) {
        self.history.borrow_mut().redundant += n;
    }
    fn count(&mut self, what: &'static str, n: u64) {
        self.history.borrow_mut().count(what, n);
    }
    fn sent(&mut self, from: NodeId, to: NodeId, bytes: usize, encoded: usize) {
        let view = self.view.borrow();
        let mut h = self.history.borrow_mut();
        h.events += 1;
        h.traffic.sent += 1;
        h.traffic.sent_bytes += bytes as u64;
        *h.counters.entry("postcard-bytes".into()).or_default() += encoded as u64;
        // turmoil drops these itself; the classification is only for the traffic counts.
        if view
            .groups
            .as_ref()
            .is_some_and(|g| g.get(from.index()) != g.get(to.index()))
        {
            h.traffic.partitioned += 1;
        } else if !view.alive.get(to.index()).copied().unwrap_or(false) {
            h.traffic.to_crashed += 1;
        }
    }
    fn delivered(&mut self, _from: NodeId, _to: NodeId) {
        let mut h = self.history.borrow_mut();
        h.events += 1;
        h.traffic.delivered += 1;
    }
}

struct TurmoilClock;

impl Clock for TurmoilClock {
    fn now(&self) -> SimTime {
        SimTime(turmoil::sim_elapsed().unwrap_or_default().as_nanos() as u64)
    }
}

struct TurmoilTransport {
    socket: turmoil::net::UdpSocket,
    peers: Rc<Vec<SocketAddr>>,
}

impl Transport for TurmoilTransport {
    async fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv_from(buf).await.map(|(n, _)| n)
    }
    fn send(&mut self, to: NodeId, datagram: &[u8]) {
        if let Some(addr) = self.peers.get(to.index()) {
            let _ = self.socket.try_send_to(datagram, *addr);
        }
    }
}

fn simulate<N, F>(
    scenario: &Scenario,
    seed: u64,
    options: TurmoilOptions,
    factory: F,
) -> Result<RunOutput, BackendError>
where
    N: Node + 'static,
    N::Message: serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(NodeId) -> N + Clone + 'static,
{
    let n = scenario.nodes;
    let streams = RngStreams::new(seed);
    let ops = scenario
        .workload
        .generate(n, &mut streams.stream("workload", 0));
    let faults = scenario.faults.faults().to_vec();
    let end = SimTime::from_duration(scenario.duration);

    let mut builder = turmoil::Builder::new();
    builder
        .rng_seed(seed)
        .epoch(UNIX_EPOCH)
        .tick_duration(options.tick)
        .simulation_duration(Duration::from_nanos(end.as_nanos()) + Duration::from_secs(3600))
        .udp_capacity(1 << 16)
        .fail_rate(scenario.network.loss)
        .repair_rate(1.0);
    let uniform = match scenario.network.latency {
        Latency::Constant(d) => {
            let d = Duration::from_nanos(d.as_nanos());
            builder.min_message_latency(d).max_message_latency(d);
            false
        }
        Latency::Uniform { min, max } => {
            builder
                .min_message_latency(Duration::from_nanos(min.as_nanos()))
                .max_message_latency(Duration::from_nanos(max.as_nanos()));
            true
        }
        // check_supported refuses other distributions before any run.
        other => unreachable!("latency {other} is refused before the run"),
    };
    let mut sim = builder.build();
    if uniform {
        sim.set_message_latency_curve(UNIFORM_MEAN_CURVE);
    }

    let ips: Vec<IpAddr> = (0..n).map(|i| sim.lookup(format!("n{i}"))).collect();
    let peers: Rc<Vec<SocketAddr>> =
        Rc::new(ips.iter().map(|ip| SocketAddr::new(*ip, PORT)).collect());
    let history = Rc::new(RefCell::new(HistoryAssembler::new(n, ops.len())));
    let view = Rc::new(RefCell::new(View {
        groups: None,
        alive: vec![true; n as usize],
    }));
    let recorder = SharedRecorder {
        history: history.clone(),
        view: view.clone(),
    };
    let slots: Vec<SharedSlot<N>> = (0..n)
        .map(|i| {
            Rc::new(RefCell::new(NodeSlot {
                node: factory(NodeId(i)),
                rng: streams.stream("node", u64::from(i)),
            }))
        })
        .collect();
    type Sender = Rc<RefCell<Option<UnboundedSender<Command>>>>;
    let senders: Vec<Sender> = (0..n).map(|_| Rc::new(RefCell::new(None))).collect();
    for i in 0..n {
        let slot = slots[i as usize].clone();
        let sender = senders[i as usize].clone();
        let peers = peers.clone();
        let recorder = recorder.clone();
        sim.host(ips[i as usize], move || {
            // Called at start and at every bounce: a fresh command channel per incarnation.
            let (tx, rx) = unbounded_channel();
            *sender.borrow_mut() = Some(tx);
            let slot = slot.clone();
            let peers = peers.clone();
            let recorder = recorder.clone();
            async move {
                let socket = turmoil::net::UdpSocket::bind(SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    PORT,
                ))
                .await?;
                let transport = TurmoilTransport { socket, peers };
                drive(NodeId(i), slot, transport, TurmoilClock, recorder, rx).await?;
                Ok(())
            }
        });
    }

    let mut next_fault = 0;
    let mut next_op = 0;
    let mut partitioned_pairs: Vec<(usize, usize)> = Vec::new();
    let failed = |e: Box<dyn std::error::Error>| BackendError::Failed(format!("turmoil: {e}"));
    loop {
        let now = SimTime(sim.elapsed().as_nanos() as u64);
        while let Some(f) = faults.get(next_fault).filter(|f| f.at <= now) {
            next_fault += 1;
            match &f.action {
                FaultAction::Partition(spec) => {
                    for (a, b) in partitioned_pairs.drain(..) {
                        sim.repair(ips[a], ips[b]);
                    }
                    let groups = super::partition_groups(spec, n).expect("checked before the run");
                    for a in 0..n as usize {
                        for b in a + 1..n as usize {
                            if groups[a] != groups[b] {
                                sim.partition(ips[a], ips[b]);
                                partitioned_pairs.push((a, b));
                            }
                        }
                    }
                    view.borrow_mut().groups = Some(groups);
                }
                FaultAction::Heal => {
                    for (a, b) in partitioned_pairs.drain(..) {
                        sim.repair(ips[a], ips[b]);
                    }
                    view.borrow_mut().groups = None;
                }
                FaultAction::Crash { nodes, lose_state } => {
                    for id in nodes {
                        let i = id.index();
                        if !view.borrow().alive[i] {
                            continue;
                        }
                        sim.crash(ips[i]);
                        view.borrow_mut().alive[i] = false;
                        *senders[i].borrow_mut() = None;
                        if *lose_state {
                            let fresh = factory(*id);
                            let fp = fresh.fingerprint();
                            slots[i].borrow_mut().node = fresh;
                            history.borrow_mut().state(now, *id, fp);
                        }
                        history.borrow_mut().node_event(
                            now,
                            *id,
                            NodeEventKind::Crash {
                                lose_state: *lose_state,
                            },
                        );
                    }
                }
                FaultAction::Restart { nodes } => {
                    for id in nodes {
                        let i = id.index();
                        if view.borrow().alive[i] {
                            continue;
                        }
                        view.borrow_mut().alive[i] = true;
                        history
                            .borrow_mut()
                            .node_event(now, *id, NodeEventKind::Restart);
                        sim.bounce(ips[i]);
                    }
                }
                #[allow(unreachable_patterns)]
                other => {
                    return Err(BackendError::unsupported(BACKEND, format!("{other:?}")));
                }
            }
        }
        while let Some(op) = ops.get(next_op).filter(|o| o.at <= now) {
            let index = next_op;
            next_op += 1;
            history.borrow_mut().issue(index, *op, now);
            let cmd = match op.op {
                hearsay_workloads::Op::Write { key, value } => Command::Write {
                    op: index as u32,
                    key,
                    value,
                },
                hearsay_workloads::Op::Read { key } => Command::Read {
                    op: index as u32,
                    key,
                },
            };
            if let Some(tx) = senders[op.node.index()].borrow().as_ref() {
                let _ = tx.send(cmd);
            }
        }
        if now >= end {
            break;
        }
        sim.step().map_err(failed)?;
    }

    let alive = view.borrow().alive.clone();
    let finals: Vec<FinalNode> = slots
        .iter()
        .zip(&alive)
        .map(|(slot, alive)| {
            let slot = slot.borrow();
            FinalNode {
                alive: *alive,
                fingerprint: slot.node.fingerprint(),
                entries: if *alive {
                    slot.node.store().entries().to_vec()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    drop(sim);
    let assembler = history.borrow().clone();
    let events = assembler.events;
    let history = assembler.finish(end, scenario.sample_every, &finals);
    Ok(RunOutput {
        fingerprint: super::history_fingerprint(&history),
        events,
        history,
        trace: None,
    })
}
