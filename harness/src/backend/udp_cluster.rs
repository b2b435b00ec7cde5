//! `hearsay cluster`: a scenario's nodes as separate processes on loopback UDP.
//!
//! The coordinator picks a free loopback port per node, starts one `hearsay node` process per
//! node, waits until every socket is bound, and then fixes the run's start instant. From then
//! on it plays the scenario in real time: client operations go to the nodes' control channel
//! (stdin), partitions are pushed to every node's fault layer, a crash that loses state kills
//! the process (SIGKILL) and a restart starts a new one, a crash that keeps state stops the
//! node inside its process (timers and datagrams dropped, memory kept) until its restart.
//! At the end every node reports its final state and exits; the coordinator folds what all
//! processes reported into the emulator's history shape and judges it like any other run.
//!
//! Every process it starts it also stops: on a normal end, on an error, on a panic (a drop
//! guard kills and reaps every child), and on SIGINT/SIGTERM (the caller's flag, polled while
//! waiting). Children also stop by themselves when their stdin closes, so even a coordinator
//! killed with SIGKILL leaves no node running for long.

use super::udp_node::{ControlLine, FinalReport, Report, fold_report};
use super::{BackendError, check_protocols};
use crate::driver::{FinalNode, HistoryAssembler};
use crate::emulator::{RngStreams, RunOutput};
use crate::history::NodeEventKind;
use crate::runner::judge;
use crate::scenario::{Scenario, StrategySpec};
use hearsay_faults::{FaultAction, GroupId};
use hearsay_protocols::{NodeId, SimTime};
use hearsay_reports::{RunResult, ScenarioResult, TrafficCounts};
use hearsay_workloads::Op;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BACKEND: &str = "cluster";

/// How to run a real cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The `hearsay` executable the node processes run (`hearsay node …`).
    pub program: PathBuf,
    /// The scenario file the nodes load (the same scenario the coordinator plays).
    pub scenario_path: PathBuf,
    /// Append `node incarnation pid` for every process started here (for tests and audits).
    pub pid_file: Option<PathBuf>,
    /// Set by a signal handler: stop every process and return [`BackendError::Failed`].
    pub interrupted: Arc<AtomicBool>,
    /// How long to wait for the node processes to bind their sockets.
    pub ready_timeout: Duration,
}

impl ClusterOptions {
    /// Options for running `scenario_path` with the `hearsay` binary at `program`.
    pub fn new(program: impl Into<PathBuf>, scenario_path: impl Into<PathBuf>) -> Self {
        ClusterOptions {
            program: program.into(),
            scenario_path: scenario_path.into(),
            pid_file: None,
            interrupted: Arc::new(AtomicBool::new(false)),
            ready_timeout: Duration::from_secs(30),
        }
    }
}

/// The most processes one cluster run starts.
pub const MAX_PROCESSES: u32 = 512;

/// Checks, before any process starts, that the cluster can carry out `scenario`.
pub fn check_supported(scenario: &Scenario) -> Result<(), BackendError> {
    check_protocols(scenario, BACKEND)?;
    if let Some(what) = super::unsupported_shape(scenario) {
        return Err(BackendError::unsupported(BACKEND, what));
    }
    if scenario.nodes > MAX_PROCESSES {
        return Err(BackendError::unsupported(
            BACKEND,
            format!(
                "{} nodes: a real cluster runs at most {MAX_PROCESSES} processes",
                scenario.nodes
            ),
        ));
    }
    Ok(())
}

/// Runs every strategy of `scenario` under every seed as a real cluster, one run at a time.
pub fn run_scenario(
    scenario: &Scenario,
    options: &ClusterOptions,
) -> Result<ScenarioResult, BackendError> {
    check_supported(scenario)?;
    let mut runs = Vec::new();
    for strategy in &scenario.strategies {
        for &seed in &scenario.seeds {
            runs.push(run_one(scenario, strategy, seed, options)?.0);
        }
    }
    Ok(super::scenario_result(scenario, runs))
}

/// Runs one strategy under one seed as a real cluster: the judged result and the raw output.
pub fn run_one(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    options: &ClusterOptions,
) -> Result<(RunResult, RunOutput), BackendError> {
    check_supported(scenario)?;
    let output = Coordinator::new(scenario, strategy, seed, options)?.run()?;
    Ok((judge(scenario, strategy, seed, &output), output))
}

type Incoming = (u32, u32, Report);

/// Every child process of one run. Dropping it kills and reaps whatever still runs.
struct Children {
    procs: Vec<Option<Child>>,
    stdins: Vec<Option<ChildStdin>>,
    readers: Vec<JoinHandle<()>>,
    dir: PathBuf,
}

impl Children {
    fn kill(&mut self, i: usize) {
        self.stdins[i] = None;
        if let Some(mut c) = self.procs[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn kill_all(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.kill_all();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Coordinator<'a> {
    scenario: &'a Scenario,
    strategy: &'a StrategySpec,
    seed: u64,
    options: &'a ClusterOptions,
    n: u32,
    peers_file: PathBuf,
    children: Children,
    tx: Sender<Incoming>,
    rx: Receiver<Incoming>,
    pending: Vec<Incoming>,
    incarnation: Vec<u32>,
    /// Up as far as clients can tell: running and not stopped by a state-keeping crash.
    up: Vec<bool>,
    groups: Option<Vec<GroupId>>,
    start_unix_ns: u64,
    origin: Instant,
}

fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn failed(what: impl std::fmt::Display) -> BackendError {
    BackendError::Failed(format!("cluster: {what}"))
}

impl<'a> Coordinator<'a> {
    fn new(
        scenario: &'a Scenario,
        strategy: &'a StrategySpec,
        seed: u64,
        options: &'a ClusterOptions,
    ) -> Result<Self, BackendError> {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let n = scenario.nodes;
        let dir = std::env::temp_dir().join(format!(
            "hearsay-cluster-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
        // Free loopback ports: bind them all at once (so they differ), then let them go.
        let sockets: Vec<std::net::UdpSocket> = (0..n)
            .map(|_| std::net::UdpSocket::bind("127.0.0.1:0"))
            .collect::<Result<_, _>>()
            .map_err(|e| failed(format!("picking ports: {e}")))?;
        let mut peers = String::new();
        for s in &sockets {
            let addr = s.local_addr().map_err(failed)?;
            peers.push_str(&format!("{addr}\n"));
        }
        drop(sockets);
        let peers_file = dir.join("peers.txt");
        std::fs::write(&peers_file, peers).map_err(failed)?;
        let (tx, rx) = channel();
        Ok(Coordinator {
            scenario,
            strategy,
            seed,
            options,
            n,
            peers_file,
            children: Children {
                procs: (0..n).map(|_| None).collect(),
                stdins: (0..n).map(|_| None).collect(),
                readers: Vec::new(),
                dir,
            },
            tx,
            rx,
            pending: Vec::new(),
            incarnation: vec![0; n as usize],
            up: vec![false; n as usize],
            groups: None,
            start_unix_ns: 0,
            origin: Instant::now(),
        })
    }

    fn spawn(&mut self, i: u32) -> Result<(), BackendError> {
        let k = self.incarnation[i as usize];
        let mut cmd = Command::new(&self.options.program);
        cmd.arg("node")
            .arg("--scenario")
            .arg(&self.options.scenario_path)
            .arg("--strategy")
            .arg(&self.strategy.name)
            .arg("--id")
            .arg(i.to_string())
            .arg("--peers")
            .arg(&self.peers_file)
            .arg("--seed")
            .arg(self.seed.to_string())
            .arg("--incarnation")
            .arg(k.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| failed(format!("{}: {e}", self.options.program.display())))?;
        if let Some(path) = &self.options.pid_file {
            let line = format!("{i} {k} {}\n", child.id());
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if let Err(e) = appended {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!("{}: {e}", path.display())));
            }
        }
        let stdout = child.stdout.take().expect("piped stdout");
        let tx = self.tx.clone();
        self.children.readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Report>(&line) {
                    Ok(r) => {
                        if tx.send((i, k, r)).is_err() {
                            break;
                        }
                    }
                    Err(e) => eprintln!("hearsay cluster: node {i}: bad report `{line}`: {e}"),
                }
            }
        }));
        self.children.stdins[i as usize] = child.stdin.take();
        self.children.procs[i as usize] = Some(child);
        Ok(())
    }

    fn send(&mut self, i: u32, line: &ControlLine) {
        if let Some(stdin) = &mut self.children.stdins[i as usize] {
            let mut text = serde_json::to_string(line).expect("control lines serialize");
            text.push('\n');
            if stdin.write_all(text.as_bytes()).is_err() {
                self.children.stdins[i as usize] = None;
            }
        }
    }

    fn check_interrupted(&self) -> Result<(), BackendError> {
        if self.options.interrupted.load(Ordering::Relaxed) {
            Err(failed("interrupted; every node process was stopped"))
        } else {
            Ok(())
        }
    }

    /// Waits until each of `nodes` (current incarnation) reported `ready`.
    fn wait_ready(&mut self, nodes: &[u32]) -> Result<(), BackendError> {
        let mut waiting: Vec<u32> = nodes.to_vec();
        let deadline = Instant::now() + self.options.ready_timeout;
        while !waiting.is_empty() {
            self.check_interrupted()?;
            if Instant::now() > deadline {
                return Err(failed(format!(
                    "{} node(s) did not bind their socket within {:?} (first: node {})",
                    waiting.len(),
                    self.options.ready_timeout,
                    waiting[0]
                )));
            }
            match self.rx.recv_timeout(Duration::from_millis(20)) {
                Ok((i, k, Report::Ready { .. })) if k == self.incarnation[i as usize] => {
                    waiting.retain(|&w| w != i);
                }
                Ok(other) => self.pending.push(other),
                Err(RecvTimeoutError::Timeout) => {
                    // A child that died before binding will never be ready.
                    for &w in &waiting {
                        if let Some(c) = &mut self.children.procs[w as usize]
                            && let Ok(Some(status)) = c.try_wait()
                        {
                            return Err(failed(format!("node {w} exited early ({status})")));
                        }
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err(failed("report channel closed")),
            }
        }
        Ok(())
    }

    /// Run time now, as the nodes count it.
    fn now(&self) -> SimTime {
        SimTime(
            Instant::now()
                .saturating_duration_since(self.origin)
                .as_nanos() as u64,
        )
    }

    /// Sleeps until run time `at`, watching for an interruption.
    fn sleep_until(&mut self, at: SimTime) -> Result<(), BackendError> {
        let target = self.origin + Duration::from_nanos(at.as_nanos());
        loop {
            self.check_interrupted()?;
            let now = Instant::now();
            if now >= target {
                return Ok(());
            }
            // Drain reports as they come, so child pipes never fill up.
            match self
                .rx
                .recv_timeout((target - now).min(Duration::from_millis(20)))
            {
                Ok(r) => self.pending.push(r),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(failed("report channel closed")),
            }
        }
    }

    fn run(mut self) -> Result<RunOutput, BackendError> {
        let n = self.n;
        let scenario = self.scenario;
        let ops = scenario
            .workload
            .generate(n, &mut RngStreams::new(self.seed).stream("workload", 0));
        let mut history = HistoryAssembler::new(n, ops.len());
        for i in 0..n {
            self.spawn(i)?;
        }
        let all: Vec<u32> = (0..n).collect();
        self.wait_ready(&all)?;
        // Time 0 of the run: shortly after now, so every node gets the start line in time.
        let lead = Duration::from_millis(100 + u64::from(n) * 2);
        self.start_unix_ns = unix_now_ns() + lead.as_nanos() as u64;
        self.origin = Instant::now() + lead;
        for i in 0..n {
            let start = ControlLine::Start {
                unix_ns: self.start_unix_ns,
                groups: None,
            };
            self.send(i, &start);
            self.up[i as usize] = true;
        }

        // The timeline: faults first at equal times (as in the emulator), then client ops.
        enum Step {
            Fault(usize),
            Op(usize),
        }
        let faults = scenario.faults.faults();
        let mut steps: Vec<(SimTime, u8, usize, Step)> = faults
            .iter()
            .enumerate()
            .map(|(i, f)| (f.at, 0, i, Step::Fault(i)))
            .chain(
                ops.iter()
                    .enumerate()
                    .map(|(i, o)| (o.at, 1, i, Step::Op(i))),
            )
            .collect();
        steps.sort_by_key(|(at, kind, i, _)| (*at, *kind, *i));
        let end = SimTime::from_duration(scenario.duration);
        for (at, _, _, step) in steps {
            if at > end {
                break;
            }
            self.sleep_until(at)?;
            let now = self.now();
            match step {
                Step::Fault(i) => self.apply_fault(&faults[i].action, now, &mut history)?,
                Step::Op(i) => {
                    let op = ops[i];
                    history.issue(i, op, now);
                    let node = op.node.0;
                    if self.up[node as usize] {
                        let line = match op.op {
                            Op::Write { key, value } => ControlLine::Write {
                                op: i as u32,
                                key,
                                value,
                            },
                            Op::Read { key } => ControlLine::Read { op: i as u32, key },
                        };
                        self.send(node, &line);
                    }
                }
            }
        }
        self.sleep_until(end)?;
        for i in 0..n {
            self.send(i, &ControlLine::Stop);
        }
        // Every node reports its final state and exits; whatever has not exited in time is
        // killed.
        let deadline = Instant::now() + Duration::from_secs(10);
        for i in 0..n as usize {
            while let Some(c) = &mut self.children.procs[i] {
                if matches!(c.try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                    break;
                }
                if let Ok(r) = self.rx.recv_timeout(Duration::from_millis(5)) {
                    self.pending.push(r);
                }
            }
        }
        let running: Vec<bool> = self.children.procs.iter().map(Option::is_some).collect();
        self.children.kill_all();
        for r in self.children.readers.drain(..) {
            let _ = r.join();
        }
        drop(self.tx);
        self.pending.extend(self.rx.try_iter());

        // Fold every report into the history.
        let mut finals: Vec<Option<FinalReport>> = vec![None; n as usize];
        // The last cumulative counts of each process (node, incarnation).
        type Counts = (TrafficCounts, u64, BTreeMap<String, u64>);
        let mut stats: BTreeMap<(u32, u32), Counts> = BTreeMap::new();
        for (i, k, report) in std::mem::take(&mut self.pending) {
            match report {
                Report::Stats {
                    traffic,
                    redundant,
                    counters,
                } => {
                    stats.insert((i, k), (traffic, redundant, counters));
                }
                Report::Learned(r) if r.at > end => {}
                Report::State { at, .. } if at > end => {}
                Report::Final { .. } if k != self.incarnation[i as usize] => {}
                other => fold_report(&mut history, NodeId(i), other, &mut finals),
            }
        }
        for (traffic, redundant, counters) in stats.into_values() {
            let t = &mut history.traffic;
            t.sent += traffic.sent;
            t.sent_bytes += traffic.sent_bytes;
            t.delivered += traffic.delivered;
            t.lost += traffic.lost;
            t.partitioned += traffic.partitioned;
            t.to_crashed += traffic.to_crashed;
            history.redundant += redundant;
            for (name, v) in counters {
                history.count(&name, v);
            }
        }
        history.events = history.traffic.sent + history.traffic.delivered;
        let finals: Vec<FinalNode> = (0..n as usize)
            .map(|i| {
                let alive = self.up[i] && running[i];
                let (fingerprint, entries) = finals[i].take().unwrap_or_default();
                FinalNode {
                    alive,
                    fingerprint,
                    entries: if alive { entries } else { Vec::new() },
                }
            })
            .collect();
        let events = history.events;
        let history = history.finish(end, scenario.sample_every, &finals);
        Ok(RunOutput {
            fingerprint: super::history_fingerprint(&history),
            events,
            history,
            trace: None,
        })
    }

    fn apply_fault(
        &mut self,
        action: &FaultAction,
        now: SimTime,
        history: &mut HistoryAssembler,
    ) -> Result<(), BackendError> {
        let n = self.n;
        match action {
            FaultAction::Partition(spec) => {
                let groups = super::partition_groups(spec, n).expect("checked before the run");
                for i in 0..n {
                    self.send(
                        i,
                        &ControlLine::Partition {
                            groups: groups.clone(),
                        },
                    );
                }
                self.groups = Some(groups);
            }
            FaultAction::Heal => {
                for i in 0..n {
                    self.send(i, &ControlLine::Heal);
                }
                self.groups = None;
            }
            FaultAction::Crash { nodes, lose_state } => {
                for id in nodes {
                    let i = id.index();
                    if !self.up[i] {
                        continue;
                    }
                    self.up[i] = false;
                    if *lose_state {
                        self.children.kill(i);
                    } else {
                        self.send(id.0, &ControlLine::Down);
                    }
                    history.node_event(
                        now,
                        *id,
                        NodeEventKind::Crash {
                            lose_state: *lose_state,
                        },
                    );
                }
            }
            FaultAction::Restart { nodes } => {
                let mut respawned = Vec::new();
                for id in nodes {
                    let i = id.index();
                    if self.up[i] {
                        continue;
                    }
                    if self.children.procs[i].is_some() {
                        self.send(id.0, &ControlLine::Up);
                    } else {
                        self.incarnation[i] += 1;
                        self.spawn(id.0)?;
                        respawned.push(id.0);
                    }
                    self.up[i] = true;
                }
                self.wait_ready(&respawned)?;
                let at = self.now();
                for &i in &respawned {
                    let start = ControlLine::Start {
                        unix_ns: self.start_unix_ns,
                        groups: self.groups.clone(),
                    };
                    self.send(i, &start);
                }
                for id in nodes {
                    history.node_event(at, *id, NodeEventKind::Restart);
                }
            }
            #[allow(unreachable_patterns)]
            other => {
                return Err(BackendError::unsupported(BACKEND, format!("{other:?}")));
            }
        }
        Ok(())
    }
}

/// Reads `node incarnation pid` lines written by [`ClusterOptions::pid_file`].
pub fn read_pid_file(path: &Path) -> std::io::Result<Vec<u32>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect())
}
