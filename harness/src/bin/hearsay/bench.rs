//! `hearsay bench`: how fast the emulator runs and how much memory it takes.
//!
//! The suite runs each case in a child process of its own, so the peak memory the OS reports
//! (VmHWM) belongs to that case alone; each child prints one JSON line, the parent prints the
//! table. `--quick` runs small cases in seconds and exits 1 if delivered messages per second
//! falls below a floor: a regression alarm for CI, not a timing test of the targets.
//! `--memory` runs every strategy family once at 10^6 nodes, a single rumor spreading, and
//! prints the bytes per node each one costs beside the in-memory size of its node type.

use crate::UsageError;
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use hearsay_harness::RunOptions;
use hearsay_harness::scenario::{
    ConvergenceCheck, Latency, Protocol, ResidueCheck, Scenario, ScopedCheck,
};
use hearsay_protocols::anti_entropy::{
    AntiEntropyConfig, AntiEntropyNode, DEFAULT_MERKLE_DEPTH, DEFAULT_RECENT_WINDOW, ExchangeMode,
    Reconciliation,
};
use hearsay_protocols::direct_mail::{DirectMailConfig, DirectMailNode};
use hearsay_protocols::push_then_pull::{PushThenPullConfig, PushThenPullNode};
use hearsay_protocols::rumor::RumorConfig;
use hearsay_protocols::rumor::RumorNode;
use hearsay_protocols::rumor_with_anti_entropy::{
    RumorWithAntiEntropyConfig, RumorWithAntiEntropyNode,
};
use hearsay_protocols::{SimDuration, SimTime, UniformPeers};
use hearsay_reports::Verdict;
use hearsay_workloads::{Rate, SingleRumor, Workload, WriteStream};
use serde::{Deserialize, Serialize};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Arguments of `hearsay bench`.
#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Run the small, fast suite and fail below `--floor`.
    #[arg(long)]
    quick: bool,
    /// Delivered messages per second (millions) below which `--quick` fails: a quarter of
    /// what its slowest case does on a shared 2-core machine, so that only a real regression
    /// trips it.
    #[arg(long, default_value_t = 1.0)]
    floor: f64,
    /// Run each strategy family once (a single rumor spreading) and print its peak memory per
    /// node beside the size of its node type.
    #[arg(long, conflicts_with_all = ["quick", "case"])]
    memory: bool,
    /// Weigh the harness (history, metrics, checks) against the bare event loop: run cases in
    /// both modes, alternating, and print each one's median wall time and the overhead.
    #[arg(long, conflicts_with_all = ["quick", "case", "memory"])]
    overhead: bool,
    /// Run one case in this process and print its JSON line (what the suite does per case).
    #[arg(long, value_enum)]
    case: Option<Case>,
    /// The strategy family of `--case memory`.
    #[arg(long, value_enum, required_if_eq("case", "memory"))]
    family: Option<Family>,
    /// Cluster size for `--case` (default 10000) and `--memory` (default 1000000).
    #[arg(long)]
    nodes: Option<u32>,
    /// Simulated time for `--case`.
    #[arg(long, default_value = "2s", value_parser = crate::parse_duration)]
    duration: SimDuration,
    /// With `--case`: run the bare event loop (no history, nothing judged) to measure what
    /// recording and checking cost.
    #[arg(long)]
    bare: bool,
    /// Also write the scaling shape (wall time against delivered messages, steady cases) as
    /// an SVG plot to this file.
    #[arg(long, value_name = "FILE")]
    plot: Option<std::path::PathBuf>,
    /// Run every case of the suite this many times and show its median run. Without it a
    /// case runs until it has taken a second in all, five times at most (the large cases
    /// once): on a noisy machine, ask for 3 or 5.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=99),
        conflicts_with_all = ["case", "memory", "overhead"]
    )]
    runs: Option<u32>,
}

/// When the steady case's update of the preloaded key is written.
const STEADY_UPDATE_AT: SimDuration = SimDuration::from_millis(1);

/// A benchmark case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Case {
    /// Steady state: every node pushes its one-key state to 3 peers every 200 ms (1–10 ms
    /// latency) from its first tick, as every node holds the key from the start (a preload);
    /// an update of it written at 1 ms spreads through that traffic. Every delivery merges one
    /// version.
    Steady,
    /// One update spread by push-pull anti-entropy (every 200 ms) until every node holds it:
    /// the run stops at full coverage (`stop_when_converged`; the duration is only a cap).
    SingleRumor,
    /// Push rumor mongering of one update (feedback + counter, k = 2), for memory per node.
    Rumor,
    /// Merkle anti-entropy over large replicas: every node starts with the same 10^4
    /// preloaded keys, a stream of client writes (2/s from 1 s to 4 s) overwrites random ones
    /// among them, and push-pull Merkle exchanges (every 200 ms, depth 3) find and repair the
    /// differences; the run stops once every node holds every write.
    Merkle,
    /// One strategy family (`--family`) spreading a single rumor, for its memory per node:
    /// what `--memory` runs.
    Memory,
    /// A stream of client writes (50/s over 100 keys, from 1 s until 2 s before the end)
    /// spread by push-pull anti-entropy every 200 ms: millions of learned records for the
    /// history and the checkers, what `--overhead` weighs against the bare loop.
    Writes,
    /// The writes case with every check on (convergence, residue, no lost writes, no phantoms,
    /// monotonic versions, conflict resolution): what judging a write stream costs in full.
    WritesChecked,
}

/// A strategy family whose memory `--memory` measures: each protocol with its defaults, every
/// periodic one at 200 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Family {
    /// Direct mail: the origin mails every member and tracks their acknowledgements.
    DirectMail,
    /// Push-pull anti-entropy, full state.
    AeFullState,
    /// Push-pull anti-entropy, checksum first.
    AeChecksum,
    /// Push-pull anti-entropy, recent updates (5 s window).
    AeRecentUpdates,
    /// Push-pull anti-entropy, Merkle trees of the default depth (2: 256 leaf buckets).
    AeMerkle,
    /// Push rumor mongering (feedback + counter, k = 2).
    RumorPush,
    /// Push-pull rumor mongering (feedback + counter, k = 2).
    RumorPushPull,
    /// Push while an update is young, then pull.
    PushThenPull,
    /// Push rumors backed by checksum anti-entropy every 2 s.
    RumorAntiEntropy,
}

impl Family {
    const ALL: [Family; 9] = [
        Family::DirectMail,
        Family::AeFullState,
        Family::AeChecksum,
        Family::AeRecentUpdates,
        Family::AeMerkle,
        Family::RumorPush,
        Family::RumorPushPull,
        Family::PushThenPull,
        Family::RumorAntiEntropy,
    ];

    fn name(self) -> &'static str {
        match self {
            Family::DirectMail => "direct-mail",
            Family::AeFullState => "ae-full-state",
            Family::AeChecksum => "ae-checksum",
            Family::AeRecentUpdates => "ae-recent-updates",
            Family::AeMerkle => "ae-merkle",
            Family::RumorPush => "rumor-push",
            Family::RumorPushPull => "rumor-push-pull",
            Family::PushThenPull => "push-then-pull",
            Family::RumorAntiEntropy => "rumor-anti-entropy",
        }
    }

    fn protocol(self) -> Protocol {
        let period = SimDuration::from_millis(200);
        let ae = |reconciliation| {
            Protocol::AntiEntropy(AntiEntropyConfig {
                period,
                mode: ExchangeMode::PushPull,
                reconciliation,
                ..Default::default()
            })
        };
        let rumor = |mode| {
            Protocol::Rumor(RumorConfig {
                period,
                mode,
                ..Default::default()
            })
        };
        match self {
            Family::DirectMail => Protocol::DirectMail(DirectMailConfig::default()),
            Family::AeFullState => ae(Reconciliation::FullState),
            Family::AeChecksum => ae(Reconciliation::Checksum),
            Family::AeRecentUpdates => ae(Reconciliation::RecentUpdates {
                window: DEFAULT_RECENT_WINDOW,
            }),
            Family::AeMerkle => ae(Reconciliation::Merkle {
                depth: DEFAULT_MERKLE_DEPTH,
            }),
            Family::RumorPush => rumor(ExchangeMode::Push),
            Family::RumorPushPull => rumor(ExchangeMode::PushPull),
            Family::PushThenPull => Protocol::PushThenPull(PushThenPullConfig {
                period,
                ..Default::default()
            }),
            Family::RumorAntiEntropy => {
                Protocol::RumorWithAntiEntropy(RumorWithAntiEntropyConfig::default())
            }
        }
    }

    /// The in-memory size of one node of this family (its inline part: a store holding one
    /// key keeps it inline, so a single rumor adds no heap memory to it).
    fn node_size(self) -> usize {
        use std::mem::size_of;
        match self {
            Family::DirectMail => size_of::<DirectMailNode<UniformPeers>>(),
            Family::AeFullState
            | Family::AeChecksum
            | Family::AeRecentUpdates
            | Family::AeMerkle => size_of::<AntiEntropyNode<UniformPeers>>(),
            Family::RumorPush | Family::RumorPushPull => size_of::<RumorNode<UniformPeers>>(),
            Family::PushThenPull => size_of::<PushThenPullNode<UniformPeers>>(),
            Family::RumorAntiEntropy => size_of::<RumorWithAntiEntropyNode<UniformPeers>>(),
        }
    }
}

/// The cap on simulated time of a `--memory` run: at 10^6 nodes push rumors have reached
/// every node they will reach by about 5 s; the families that reach every node stop there
/// (`stop_when_converged`), push-pull rumors (which never go quiet) run to the cap.
const MEMORY_SECONDS: u64 = 6;

/// Keys every node holds in the Merkle case.
const MERKLE_KEYS: u64 = 10_000;

/// The writes case: its simulated time, rate, key space, and the quiet time at its end in
/// which the last writes spread.
const WRITES_SECONDS: u64 = 10;
const WRITES_RATE: f64 = 50.0;
const WRITES_KEYS: u64 = 100;
const WRITES_QUIET: SimDuration = SimDuration::from_secs(2);
/// Depth of the Merkle case's trees: 16^3 = 4096 leaf buckets, about 2.4 of 10^4 keys each.
/// A differing key then costs three levels of 16 hashes (576 B) and its bucket's two or three
/// entries each way, where depth 2 (256 buckets) would ship 39 entries each way (over 2 kB)
/// and depth 4 would keep 65,536 hashes (560 kB) per node — 5.6 GB over 10^4 nodes, and as
/// much hashing on every rebuild.
const MERKLE_DEPTH: u8 = 3;
/// The Merkle case's cap on simulated time in the full suite: it stops once every node holds
/// every write (`stop_when_converged`), which takes about 2 s after the last write.
const MERKLE_SECONDS: u64 = 10;
/// Client writes per second of the Merkle case, to random keys among the preloaded ones. Each
/// write makes every replica rebuild its tree once it learns it (a full pass over its 10^4
/// keys) and scan its replica for every bucket it is asked for, which is what bounds the
/// case's wall time: 2/s keeps it to about 20 s; 5/s doubles it.
const MERKLE_WRITE_RATE: f64 = 2.0;
/// When the Merkle case's writes start, and for how long they go on.
const MERKLE_WRITES_FROM: SimDuration = SimDuration::from_secs(1);
const MERKLE_WRITES_FOR: SimDuration = SimDuration::from_secs(3);

/// What one case measured.
#[derive(Debug, Serialize, Deserialize)]
struct Measured {
    case: Case,
    /// The strategy family, for `--case memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    family: Option<Family>,
    nodes: u32,
    simulated_s: f64,
    wall_s: f64,
    events: u64,
    delivered: u64,
    peak_rss_bytes: u64,
    /// The residue (none for a bare run, which judges nothing).
    residue: Option<f64>,
    t_last_s: Option<f64>,
    fingerprint: String,
    /// Learned records in the history (0 for a bare run, which records none).
    #[serde(default)]
    learned: u64,
}

pub(crate) fn bench(args: BenchArgs) -> Result<ExitCode> {
    if args.nodes.is_some_and(|n| n < 2) {
        bail!(UsageError("--nodes must be at least 2".into()));
    }
    if args.family.is_some() && args.case != Some(Case::Memory) {
        bail!(UsageError("--family goes with --case memory".into()));
    }
    if let Some(case) = args.case {
        let nodes = args.nodes.unwrap_or(10_000);
        let m = run_case(case, args.family, nodes, args.duration, args.bare)?;
        println!("{}", serde_json::to_string(&m)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.memory {
        return memory(args.nodes.unwrap_or(1_000_000));
    }
    if args.overhead {
        return overhead();
    }
    let plan: Vec<(Case, u32, SimDuration)> = if args.quick {
        vec![
            (Case::Steady, 1_000, secs(10)),
            (Case::Steady, 10_000, secs(5)),
            (Case::SingleRumor, 10_000, secs(30)),
        ]
    } else {
        vec![
            (Case::Steady, 1_000, secs(20)),
            (Case::Steady, 10_000, secs(10)),
            (Case::Steady, 100_000, secs(6)),
            (Case::Steady, 1_000_000, secs(4)),
            (Case::SingleRumor, 100_000, secs(30)),
            (Case::SingleRumor, 1_000_000, secs(30)),
            (Case::Rumor, 1_000_000, secs(5)),
            (Case::Merkle, 10_000, secs(MERKLE_SECONDS)),
            (Case::Writes, 10_000, secs(WRITES_SECONDS)),
        ]
    };
    let mut cases = Vec::new();
    for (case, nodes, duration) in plan {
        let runs = case_runs(case, nodes, duration, args.runs)?;
        eprintln!(
            "{:<13} {:>9} nodes  {:>7.3}s wall (median of {})",
            case_name(case),
            nodes,
            runs.median.wall_s,
            runs.count
        );
        cases.push(runs);
    }
    print!("{}", table(&cases));
    println!(
        "delivered/s: the median run's; range: the slowest and the fastest run's, where a case \
         ran more than once (on a shared machine the same code reads a third apart from one \
         minute to the next)"
    );
    let rows: Vec<Measured> = cases.into_iter().map(|c| c.median).collect();
    if let Some(path) = &args.plot {
        std::fs::write(path, scaling_plot(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("plot: {}", path.display());
    }
    if args.quick {
        let slowest = rows.iter().map(rate).fold(f64::INFINITY, f64::min);
        if slowest < args.floor * 1e6 {
            eprintln!(
                "FAIL: {:.2} M delivered/s is below the floor of {} M/s",
                slowest / 1e6,
                args.floor
            );
            return Ok(ExitCode::from(1));
        }
        eprintln!(
            "ok: slowest case {:.2} M delivered/s (floor {} M/s)",
            slowest / 1e6,
            args.floor
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs of a case at most, for its median (see [`case_runs`]).
const MAX_RUNS: usize = 5;

/// Wall time after which a case is not run again: a run this long is steady enough alone, and
/// the large cases would make the suite slow.
const RERUN_BELOW_SECONDS: f64 = 1.0;

/// A case's runs: the median one by wall time, how many there were, and the wall times of the
/// fastest and the slowest.
struct CaseRuns {
    median: Measured,
    count: usize,
    fastest_wall_s: f64,
    slowest_wall_s: f64,
}

impl CaseRuns {
    /// Summarises `runs` (at least one).
    fn of(runs: Vec<Measured>) -> Self {
        let count = runs.len();
        let walls = runs.iter().map(|m| m.wall_s);
        let fastest_wall_s = walls.clone().fold(f64::INFINITY, f64::min);
        let slowest_wall_s = walls.fold(0.0, f64::max);
        CaseRuns {
            median: median_by_wall(runs),
            count,
            fastest_wall_s,
            slowest_wall_s,
        }
    }

    /// Delivered messages per second of the slowest and the fastest run.
    fn rate_range(&self) -> (f64, f64) {
        let delivered = self.median.delivered as f64;
        (
            delivered / self.slowest_wall_s.max(1e-9),
            delivered / self.fastest_wall_s.max(1e-9),
        )
    }
}

/// Runs a case (each run a process of its own) `fixed` times if given, else as
/// [`wants_another_run`] decides.
fn case_runs(
    case: Case,
    nodes: u32,
    duration: SimDuration,
    fixed: Option<u32>,
) -> Result<CaseRuns> {
    let mut runs = Vec::new();
    let mut spent = 0.0;
    while wants_another_run(runs.len(), spent, fixed) {
        let m = in_child(case, None, nodes, duration, false)?;
        spent += m.wall_s;
        runs.push(m);
    }
    Ok(CaseRuns::of(runs))
}

/// Whether a case that has run `done` times, taking `spent` seconds in all, runs again. With
/// `fixed`, until it has run that many times. Otherwise a short case runs up to [`MAX_RUNS`]
/// times while its runs took under [`RERUN_BELOW_SECONDS`] in all: a run of a few tens of
/// milliseconds on a shared machine varies by a third from one run to the next, and its median
/// by much less.
fn wants_another_run(done: usize, spent: f64, fixed: Option<u32>) -> bool {
    match fixed {
        Some(n) => done < n as usize,
        None => done == 0 || (done < MAX_RUNS && spent < RERUN_BELOW_SECONDS),
    }
}

/// The run in the middle by wall time (the later of the two middle ones for an even count).
fn median_by_wall(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

/// Runs one case in a child process of its own, so that its peak memory is its own.
fn in_child(
    case: Case,
    family: Option<Family>,
    nodes: u32,
    duration: SimDuration,
    bare: bool,
) -> Result<Measured> {
    let exe = std::env::current_exe().context("finding the hearsay binary")?;
    let mut command = Command::new(exe);
    command.args([
        "bench",
        "--case",
        case_name(case),
        "--nodes",
        &nodes.to_string(),
        "--duration",
        &duration.to_string(),
    ]);
    if let Some(f) = family {
        command.args(["--family", f.name()]);
    }
    if bare {
        command.arg("--bare");
    }
    let what = family.map_or(case_name(case), Family::name);
    let out = command
        .output()
        .with_context(|| format!("running the {what} case"))?;
    if !out.status.success() {
        bail!(
            "the {what} case at {nodes} nodes failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("reading a case's result")
}

/// `--memory`: every strategy family once at `nodes` nodes, a single rumor spreading; the
/// table of what each costs per node.
fn memory(nodes: u32) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for family in Family::ALL {
        let m = in_child(
            Case::Memory,
            Some(family),
            nodes,
            secs(MEMORY_SECONDS),
            false,
        )?;
        eprintln!(
            "{:<19} {:>9} nodes  {:>7.3}s wall",
            family.name(),
            nodes,
            m.wall_s
        );
        rows.push((family, m));
    }
    print!("{}", memory_table(&rows));
    println!(
        "peak memory of a process of its own (VmHWM) over the run; node size: the inline part of \
         one node (std::mem::size_of); the rest of bytes/node is heap state, in-flight messages, \
         the event queue and the emulator's per-node vectors"
    );
    Ok(ExitCode::SUCCESS)
}

/// Rounds of (bare, full) runs per case in `--overhead` (see [`paired_ratio`]).
const OVERHEAD_ROUNDS: usize = 7;

/// `--overhead`: what recording the history and judging it cost over the bare event loop, for
/// a case with one update (steady state) and one with a stream of writes.
fn overhead() -> Result<ExitCode> {
    let cases = [
        (Case::Steady, 100_000, secs(6)),
        (Case::Writes, 10_000, secs(WRITES_SECONDS)),
        (Case::WritesChecked, 10_000, secs(WRITES_SECONDS)),
    ];
    let mut t = tabled::builder::Builder::default();
    t.push_record([
        "case",
        "nodes",
        "learned records",
        "bare wall s",
        "full wall s",
        "overhead",
    ]);
    for (case, nodes, duration) in cases {
        let (mut bare, mut full) = (Vec::new(), Vec::new());
        let mut learned = 0;
        for round in 0..OVERHEAD_ROUNDS {
            let [first, second] = round_order(round);
            let one = in_child(case, None, nodes, duration, first)?;
            let two = in_child(case, None, nodes, duration, second)?;
            let (b, f) = if first { (one, two) } else { (two, one) };
            if b.fingerprint != f.fingerprint {
                bail!(
                    "the bare and full {} runs differ: {} vs {}",
                    case_name(case),
                    b.fingerprint,
                    f.fingerprint
                );
            }
            learned = f.learned;
            bare.push(b.wall_s);
            full.push(f.wall_s);
        }
        let ratio = paired_ratio(&bare, &full);
        let (b, f) = (median(&mut bare), median(&mut full));
        eprintln!(
            "{:<13} {:>9} nodes  bare {b:.3}s  full {f:.3}s  full/bare {ratio:.3}",
            case_name(case),
            nodes
        );
        t.push_record([
            case_name(case).to_string(),
            nodes.to_string(),
            learned.to_string(),
            format!("{b:.3}"),
            format!("{f:.3}"),
            format!("{:+.1}%", (ratio - 1.0) * 100.0),
        ]);
    }
    let mut table = t.build();
    table.with(tabled::settings::Style::rounded());
    println!("{table}");
    println!(
        "{OVERHEAD_ROUNDS} rounds of a bare run and a full one, in turn first; wall times: medians; \
         overhead: the median of the rounds' full/bare ratios (a round's two runs share the \
         machine's mood, which drifts by a fifth between minutes here). bare: no history \
         recorded, nothing judged (same events, same trace fingerprint); full: what `hearsay \
         run` does"
    );
    Ok(ExitCode::SUCCESS)
}

/// Which run of round `round` goes first, as `bare` flags: the bare run in even rounds, the
/// full one in odd rounds, so that whatever favours a round's first (or second) run weighs on
/// both sides alike.
fn round_order(round: usize) -> [bool; 2] {
    let bare_first = round.is_multiple_of(2);
    [bare_first, !bare_first]
}

/// The median over rounds of `full[i] / bare[i]`: each round's two runs ran a few seconds
/// apart, while this machine's speed drifts by a fifth from one minute to the next, so the
/// ratio of the two medians (what `--overhead` printed before) mixed runs from different
/// spells and read +8% to +42% for the same binary within minutes.
fn paired_ratio(bare: &[f64], full: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = full.iter().zip(bare).map(|(f, b)| f / b).collect();
    median(&mut ratios)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn memory_table(rows: &[(Family, Measured)]) -> String {
    let mut t = tabled::builder::Builder::default();
    t.push_record([
        "strategy",
        "node size B",
        "peak MiB",
        "bytes/node",
        "simulated",
        "wall s",
        "delivered",
        "residue",
    ]);
    for (family, m) in rows {
        t.push_record([
            family.name().to_string(),
            family.node_size().to_string(),
            format!("{:.1}", m.peak_rss_bytes as f64 / (1 << 20) as f64),
            format!("{:.0}", m.peak_rss_bytes as f64 / f64::from(m.nodes)),
            format!("{:.2}s", m.simulated_s),
            format!("{:.3}", m.wall_s),
            m.delivered.to_string(),
            m.residue.map_or("–".into(), |r| format!("{r:.4}")),
        ]);
    }
    let mut table = t.build();
    table.with(tabled::settings::Style::rounded());
    format!("{table}\n")
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn case_name(case: Case) -> &'static str {
    match case {
        Case::Steady => "steady",
        Case::SingleRumor => "single-rumor",
        Case::Rumor => "rumor",
        Case::Merkle => "merkle",
        Case::Memory => "memory",
        Case::Writes => "writes",
        Case::WritesChecked => "writes-checked",
    }
}

fn rate(m: &Measured) -> f64 {
    m.delivered as f64 / m.wall_s.max(1e-9)
}

fn table(cases: &[CaseRuns]) -> String {
    let mut t = tabled::builder::Builder::default();
    t.push_record([
        "case",
        "nodes",
        "simulated",
        "wall s",
        "runs",
        "events",
        "delivered",
        "delivered/s",
        "range",
        "peak MiB",
        "bytes/node",
        "t_last",
        "residue",
    ]);
    for c in cases {
        let m = &c.median;
        let range = if c.count > 1 {
            let (slowest, fastest) = c.rate_range();
            format!("{:.2}–{:.2} M", slowest / 1e6, fastest / 1e6)
        } else {
            "–".into()
        };
        t.push_record([
            case_name(m.case).to_string(),
            m.nodes.to_string(),
            format!("{:.2}s", m.simulated_s),
            format!("{:.3}", m.wall_s),
            c.count.to_string(),
            m.events.to_string(),
            m.delivered.to_string(),
            format!("{:.2} M", rate(m) / 1e6),
            range,
            format!("{:.1}", m.peak_rss_bytes as f64 / (1 << 20) as f64),
            format!("{:.0}", m.peak_rss_bytes as f64 / f64::from(m.nodes)),
            m.t_last_s.map_or("–".into(), |t| format!("{t:.2}s")),
            m.residue.map_or("–".into(), |r| format!("{r:.4}")),
        ]);
    }
    let mut table = t.build();
    table.with(tabled::settings::Style::rounded());
    format!("{table}\n")
}

/// Wall time against delivered messages for the steady cases: a straight line through the
/// origin means the cost per message does not grow with the cluster.
fn scaling_plot(rows: &[Measured]) -> String {
    use hearsay_reports::svg::{Chart, Dash, Line, Points, color};
    let steady: Vec<&Measured> = rows.iter().filter(|m| m.case == Case::Steady).collect();
    let mut chart = Chart::new(
        "Scaling shape",
        "delivered messages (millions)",
        "wall time (s)",
    );
    chart.subtitle = "steady state, 10^3..10^6 nodes; dashed: linear through the smallest run's cost per message".into();
    chart.points.push(Points {
        label: "steady-state runs".into(),
        color: color(0).into(),
        points: steady
            .iter()
            .map(|m| {
                let ns_per_message = m.wall_s * 1e9 / m.delivered.max(1) as f64;
                let label = format!("n={}: {ns_per_message:.0} ns/msg", m.nodes);
                (m.delivered as f64 / 1e6, m.wall_s, label)
            })
            .collect(),
        radius: 4.0,
        hollow: false,
    });
    if let Some(first) = steady.first() {
        let per_msg = first.wall_s / first.delivered.max(1) as f64;
        let max = steady.iter().map(|m| m.delivered).max().unwrap_or(0) as f64;
        chart.lines.push(Line {
            label: "linear".into(),
            color: color(1).into(),
            points: vec![(0.0, 0.0), (max / 1e6, max * per_msg)],
            dash: Dash::Dashed,
            width: 1.5,
            step: false,
        });
    }
    chart.render()
}

fn run_case(
    case: Case,
    family: Option<Family>,
    nodes: u32,
    duration: SimDuration,
    bare: bool,
) -> Result<Measured> {
    let period = SimDuration::from_millis(200);
    let protocol = match case {
        Case::Memory => match family {
            Some(f) => f.protocol(),
            None => bail!(UsageError("--case memory needs --family".into())),
        },
        Case::Steady => Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            fanout: 3,
            mode: ExchangeMode::Push,
            ..Default::default()
        }),
        Case::SingleRumor | Case::Writes | Case::WritesChecked => {
            Protocol::AntiEntropy(AntiEntropyConfig {
                period,
                mode: ExchangeMode::PushPull,
                ..Default::default()
            })
        }
        Case::Rumor => Protocol::Rumor(RumorConfig {
            period,
            ..Default::default()
        }),
        Case::Merkle => Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            mode: ExchangeMode::PushPull,
            reconciliation: Reconciliation::Merkle {
                depth: MERKLE_DEPTH,
            },
            ..Default::default()
        }),
    };
    let mut builder = Scenario::builder("bench", nodes);
    if case == Case::Merkle {
        let from = SimTime::from_duration(MERKLE_WRITES_FROM);
        let until = from + MERKLE_WRITES_FOR;
        if SimTime::from_duration(duration) <= until {
            bail!(UsageError(format!(
                "the merkle case needs --duration above {until} (its writes end then)"
            )));
        }
        builder = builder
            .preload(MERKLE_KEYS)
            .workload(Workload::Writes(WriteStream {
                rate: Rate(MERKLE_WRITE_RATE),
                keys: MERKLE_KEYS,
                first_key: 0,
                from,
                until,
            }));
    }
    if case == Case::Steady {
        // Without the preload only the nodes the update has reached push (an empty replica
        // has nothing to give), so the first seconds were an epidemic, not the steady state:
        // at 10^6 nodes half of a 4 s run.
        builder = builder
            .preload(1)
            .workload(Workload::SingleRumor(SingleRumor {
                at: SimTime::from_duration(STEADY_UPDATE_AT),
                key: 0,
                ..SingleRumor::default()
            }));
    }
    if matches!(case, Case::Writes | Case::WritesChecked) {
        let from = SimTime::from_duration(SimDuration::from_secs(1));
        let until = SimTime(duration.as_nanos().saturating_sub(WRITES_QUIET.as_nanos()));
        if until <= from {
            bail!(UsageError(format!(
                "the writes case needs --duration above {}",
                SimDuration::from_secs(1) + WRITES_QUIET
            )));
        }
        builder = builder.workload(Workload::Writes(WriteStream {
            rate: Rate(WRITES_RATE),
            keys: WRITES_KEYS,
            first_key: 0,
            from,
            until,
        }));
    }
    let mut scenario = builder
        .duration(duration)
        .sample_every(duration)
        .latency(Latency::Uniform {
            min: SimDuration::from_millis(1),
            max: SimDuration::from_millis(10),
        })
        .strategy(case_name(case), protocol)
        .stop_when_converged(matches!(
            case,
            Case::SingleRumor | Case::Merkle | Case::Memory
        ))
        .build()
        .map_err(|e| UsageError(e.to_string()))?;
    if case == Case::WritesChecked {
        let every = || Some(ScopedCheck { strategies: None });
        scenario.checks.convergence = Some(ConvergenceCheck {
            within: WRITES_QUIET,
            strategies: None,
        });
        scenario.checks.residue = Some(ResidueCheck {
            max: 0.0,
            strategies: None,
        });
        scenario.checks.no_lost_writes = every();
        scenario.checks.no_phantoms = every();
        scenario.checks.monotonic_versions = every();
        scenario.checks.conflict_resolution = every();
    }
    let started = Instant::now();
    if bare {
        let output = hearsay_harness::run_bare(&scenario, &scenario.strategies[0], 0);
        let wall_s = started.elapsed().as_secs_f64();
        return Ok(Measured {
            case,
            family,
            nodes,
            simulated_s: output.history.end.as_secs_f64(),
            wall_s,
            events: output.events,
            delivered: output.history.traffic.delivered,
            peak_rss_bytes: peak_rss_bytes(),
            residue: None,
            t_last_s: None,
            fingerprint: format!("{:016x}", output.fingerprint),
            learned: 0,
        });
    }
    let (result, output) =
        hearsay_harness::run_one(&scenario, &scenario.strategies[0], 0, RunOptions::default());
    let wall_s = started.elapsed().as_secs_f64();
    // A benchmark of a run that fails its own checks measures a bug, not the emulator.
    if let Some(failed) = result.checks.iter().find(|c| c.verdict == Verdict::Fail) {
        bail!(
            "the {} case failed its `{}` check: {}",
            case_name(case),
            failed.name,
            failed.detail
        );
    }
    let learned = output.history.learned.len() as u64;
    drop(output);
    Ok(Measured {
        case,
        family,
        nodes,
        simulated_s: result.ended_at,
        wall_s,
        events: result.events,
        delivered: result.traffic.delivered,
        peak_rss_bytes: peak_rss_bytes(),
        residue: Some(result.metrics.residue),
        t_last_s: result.metrics.t_last,
        fingerprint: result.fingerprint,
        learned,
    })
}

/// The process's peak resident memory as the OS accounts it (Linux `VmHWM`); 0 elsewhere.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(case: Case, nodes: u32, wall_s: f64, delivered: u64) -> Measured {
        Measured {
            case,
            family: None,
            nodes,
            simulated_s: 1.0,
            wall_s,
            events: delivered,
            delivered,
            peak_rss_bytes: 0,
            residue: Some(0.0),
            t_last_s: None,
            fingerprint: "0".into(),
            learned: 0,
        }
    }

    /// With `--runs` a case runs exactly that often; without, a short case runs until it has
    /// taken a second (five times at most) and a long one once.
    #[test]
    fn a_case_runs_as_often_as_asked_or_until_it_has_taken_a_second() {
        let runs = |fixed: Option<u32>, each: f64| {
            let mut done = 0;
            while wants_another_run(done, done as f64 * each, fixed) {
                done += 1;
            }
            done
        };
        assert_eq!(runs(Some(3), 10.0), 3, "a long case runs as often as asked");
        assert_eq!(runs(Some(1), 0.01), 1, "a short one too");
        assert_eq!(runs(None, 10.0), 1, "unasked, a long case runs once");
        assert_eq!(runs(None, 0.4), 3, "a 0.4 s case runs until 1 s is spent");
        assert_eq!(
            runs(None, 0.01),
            MAX_RUNS,
            "a short one at most MAX_RUNS times"
        );
    }

    /// The median run is the middle one by wall time, whatever order the runs came in.
    #[test]
    fn the_median_run_is_the_middle_one_by_wall_time() {
        let runs = vec![
            measured(Case::Steady, 1_000, 0.30, 1),
            measured(Case::Steady, 1_000, 0.10, 2),
            measured(Case::Steady, 1_000, 0.20, 3),
        ];
        assert_eq!(median_by_wall(runs).delivered, 3);
        let one = vec![measured(Case::Steady, 1_000, 0.5, 9)];
        assert_eq!(median_by_wall(one).delivered, 9);
    }

    /// A case's row gives the median run's rate, and the range from its slowest run to its
    /// fastest; a case that ran once has no range.
    #[test]
    fn the_table_gives_each_case_its_median_and_the_range_of_its_runs() {
        let several = CaseRuns::of(vec![
            measured(Case::Steady, 1_000, 0.5, 10_000_000),
            measured(Case::Steady, 1_000, 1.0, 10_000_000),
            measured(Case::Steady, 1_000, 2.0, 10_000_000),
        ]);
        assert_eq!(several.count, 3);
        assert_eq!(several.median.wall_s, 1.0);
        assert_eq!(several.rate_range(), (5e6, 20e6));
        let once = CaseRuns::of(vec![measured(Case::Merkle, 10_000, 4.0, 8_000_000)]);
        let text = table(&[several, once]);
        let steady = text
            .lines()
            .find(|l| l.contains("steady"))
            .expect("a steady row");
        assert!(steady.contains("10.00 M"), "{steady}");
        assert!(steady.contains("5.00–20.00 M"), "{steady}");
        let merkle = text
            .lines()
            .find(|l| l.contains("merkle"))
            .expect("a merkle row");
        assert!(merkle.contains("2.00 M"), "{merkle}");
        assert!(!merkle.contains("–2.00"), "one run has no range: {merkle}");
    }

    /// The overhead compares each full run with the bare run beside it. Here the machine
    /// was slow for the first round and for the second round's bare run: the rounds read
    /// +10%, -45%, +10%, so +10%, where the medians (2.0 bare, 1.1 full) would read -45%.
    #[test]
    fn overhead_pairs_each_full_run_with_its_bare_one() {
        let bare = [2.0, 2.0, 1.0];
        let full = [2.2, 1.1, 1.1];
        assert!((paired_ratio(&bare, &full) - 1.1).abs() < 1e-12);
        let (mut b, mut f) = (bare.to_vec(), full.to_vec());
        assert!((median(&mut f) / median(&mut b) - 0.55).abs() < 1e-12);
    }

    /// Each round runs one bare and one full run, and the bare run goes first in exactly
    /// half the rounds of an even count (one more for an odd count).
    #[test]
    fn overhead_rounds_take_turns_at_running_the_bare_run_first() {
        let orders: Vec<[bool; 2]> = (0..OVERHEAD_ROUNDS).map(round_order).collect();
        assert!(orders.iter().all(|[a, b]| a != b), "{orders:?}");
        let bare_first = orders.iter().filter(|[a, _]| *a).count();
        assert_eq!(bare_first, OVERHEAD_ROUNDS.div_ceil(2), "{orders:?}");
        assert_ne!(round_order(0), round_order(1));
    }

    /// The plot shows the steady cases only, each labelled with its cost per message, so a
    /// reader sees at which size the cost per message grows.
    #[test]
    fn the_scaling_plot_labels_each_steady_run_with_its_cost_per_message() {
        let svg = scaling_plot(&[
            measured(Case::Steady, 1_000, 0.1, 1_000_000),
            measured(Case::Steady, 1_000_000, 3.0, 10_000_000),
            measured(Case::SingleRumor, 100_000, 9.0, 1_000),
        ]);
        assert!(svg.contains("n=1000: 100 ns/msg"), "{svg}");
        assert!(svg.contains("n=1000000: 300 ns/msg"), "{svg}");
        assert!(!svg.contains("n=100000:"), "only steady runs are plotted");
    }
}
