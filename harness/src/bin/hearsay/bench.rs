//! `hearsay bench`: how fast the emulator runs and how much memory it takes.
//!
//! The suite runs each case in a child process of its own, so the peak memory the OS reports
//! (VmHWM) belongs to that case alone; each child prints one JSON line, the parent prints the
//! table. `--quick` runs small cases in seconds and exits 1 if delivered messages per second
//! falls below a floor: a regression alarm for CI, not a timing test of the targets.

use crate::UsageError;
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use hearsay_harness::RunOptions;
use hearsay_harness::scenario::{Latency, Protocol, Scenario};
use hearsay_protocols::SimDuration;
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode};
use hearsay_protocols::rumor::RumorConfig;
use serde::{Deserialize, Serialize};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Arguments of `hearsay bench`.
#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Run the small, fast suite and fail below `--floor`.
    #[arg(long)]
    quick: bool,
    /// Delivered messages per second (millions) below which `--quick` fails.
    #[arg(long, default_value_t = 0.5)]
    floor: f64,
    /// Run one case in this process and print its JSON line (what the suite does per case).
    #[arg(long, value_enum)]
    case: Option<Case>,
    /// Cluster size for `--case`.
    #[arg(long, default_value_t = 10_000)]
    nodes: u32,
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
}

/// A benchmark case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Case {
    /// Steady state: every node pushes its one-key state to 3 peers every 200 ms (1–10 ms
    /// latency); every delivery merges one version.
    Steady,
    /// One update spread by push-pull anti-entropy (every 200 ms) until every node holds it:
    /// the run stops at full coverage (`stop_when_converged`; the duration is only a cap).
    SingleRumor,
    /// Push rumor mongering of one update (feedback + counter, k = 2), for memory per node.
    Rumor,
}

/// What one case measured.
#[derive(Debug, Serialize, Deserialize)]
struct Measured {
    case: Case,
    nodes: u32,
    simulated_s: f64,
    wall_s: f64,
    events: u64,
    delivered: u64,
    peak_rss_bytes: u64,
    residue: f64,
    t_last_s: Option<f64>,
    fingerprint: String,
}

pub(crate) fn bench(args: BenchArgs) -> Result<ExitCode> {
    if let Some(case) = args.case {
        if args.nodes < 2 {
            bail!(UsageError("--nodes must be at least 2".into()));
        }
        let m = run_case(case, args.nodes, args.duration, args.bare)?;
        println!("{}", serde_json::to_string(&m)?);
        return Ok(ExitCode::SUCCESS);
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
        ]
    };
    let exe = std::env::current_exe().context("finding the hearsay binary")?;
    let mut rows = Vec::new();
    for (case, nodes, duration) in plan {
        let out = Command::new(&exe)
            .args([
                "bench",
                "--case",
                case_name(case),
                "--nodes",
                &nodes.to_string(),
                "--duration",
                &duration.to_string(),
            ])
            .output()
            .with_context(|| format!("running the {} case", case_name(case)))?;
        if !out.status.success() {
            bail!(
                "the {} case at {nodes} nodes failed: {}",
                case_name(case),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let m: Measured = serde_json::from_slice(&out.stdout).context("reading a case's result")?;
        eprintln!(
            "{:<13} {:>9} nodes  {:>7.3}s wall",
            case_name(case),
            nodes,
            m.wall_s
        );
        rows.push(m);
    }
    print!("{}", table(&rows));
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

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn case_name(case: Case) -> &'static str {
    match case {
        Case::Steady => "steady",
        Case::SingleRumor => "single-rumor",
        Case::Rumor => "rumor",
    }
}

fn rate(m: &Measured) -> f64 {
    m.delivered as f64 / m.wall_s.max(1e-9)
}

fn table(rows: &[Measured]) -> String {
    let mut t = tabled::builder::Builder::default();
    t.push_record([
        "case",
        "nodes",
        "simulated",
        "wall s",
        "events",
        "delivered",
        "delivered/s",
        "peak MiB",
        "bytes/node",
        "t_last",
        "residue",
    ]);
    for m in rows {
        t.push_record([
            case_name(m.case).to_string(),
            m.nodes.to_string(),
            format!("{:.2}s", m.simulated_s),
            format!("{:.3}", m.wall_s),
            m.events.to_string(),
            m.delivered.to_string(),
            format!("{:.2} M", rate(m) / 1e6),
            format!("{:.1}", m.peak_rss_bytes as f64 / (1 << 20) as f64),
            format!("{:.0}", m.peak_rss_bytes as f64 / f64::from(m.nodes)),
            m.t_last_s.map_or("–".into(), |t| format!("{t:.2}s")),
            format!("{:.4}", m.residue),
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
            .map(|m| (m.delivered as f64 / 1e6, m.wall_s, format!("n={}", m.nodes)))
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

fn run_case(case: Case, nodes: u32, duration: SimDuration, bare: bool) -> Result<Measured> {
    let period = SimDuration::from_millis(200);
    let protocol = match case {
        Case::Steady => Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            fanout: 3,
            mode: ExchangeMode::Push,
            ..Default::default()
        }),
        Case::SingleRumor => Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            mode: ExchangeMode::PushPull,
            ..Default::default()
        }),
        Case::Rumor => Protocol::Rumor(RumorConfig {
            period,
            ..Default::default()
        }),
    };
    let scenario = Scenario::builder("bench", nodes)
        .duration(duration)
        .sample_every(duration)
        .latency(Latency::Uniform {
            min: SimDuration::from_millis(1),
            max: SimDuration::from_millis(10),
        })
        .strategy(case_name(case), protocol)
        .stop_when_converged(case == Case::SingleRumor)
        .build()
        .map_err(|e| UsageError(e.to_string()))?;
    let started = Instant::now();
    if bare {
        let output = hearsay_harness::run_bare(&scenario, &scenario.strategies[0], 0);
        let wall_s = started.elapsed().as_secs_f64();
        return Ok(Measured {
            case,
            nodes,
            simulated_s: output.history.end.as_secs_f64(),
            wall_s,
            events: output.events,
            delivered: output.history.traffic.delivered,
            peak_rss_bytes: peak_rss_bytes(),
            residue: f64::NAN,
            t_last_s: None,
            fingerprint: format!("{:016x}", output.fingerprint),
        });
    }
    let (result, output) =
        hearsay_harness::run_one(&scenario, &scenario.strategies[0], 0, RunOptions::default());
    let wall_s = started.elapsed().as_secs_f64();
    drop(output);
    Ok(Measured {
        case,
        nodes,
        simulated_s: result.ended_at,
        wall_s,
        events: result.events,
        delivered: result.traffic.delivered,
        peak_rss_bytes: peak_rss_bytes(),
        residue: result.metrics.residue,
        t_last_s: result.metrics.t_last,
        fingerprint: result.fingerprint,
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
