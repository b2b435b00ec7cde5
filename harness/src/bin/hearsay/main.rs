//! The `hearsay` command line: run a scenario's strategies over its seeds and print the
//! comparison; benchmark the emulator.
//!
//! Exit codes: 0 when every check holds, 1 when a check fails, 2 for bad usage or a bad
//! scenario file.

mod backends;
mod bench;
mod bench_backends;
mod cluster;
mod node;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use hearsay_harness::load_scenario;
use hearsay_protocols::SimDuration;
use hearsay_reports::render_table;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "hearsay",
    version,
    about = "A deterministic fault-injection harness for gossip protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every strategy of a scenario under every seed and print the comparison.
    #[command(
        after_help = "Examples:\n  hearsay run scenarios/quickstart.yaml\n  hearsay run scenarios/quickstart.yaml --seed 3\n  hearsay run scenarios/quickstart.yaml --seeds 0..100 --format json > results.json\n\nExit codes: 0 all checks hold, 1 a check failed, 2 bad usage or scenario."
    )]
    Run {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Run this one seed instead of the scenario's seeds (prints the trace fingerprint).
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Run these seeds instead of the scenario's, as a half-open range `A..B`.
        #[arg(long, value_parser = parse_seed_range)]
        seeds: Option<std::ops::Range<u64>>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Run one seed at a time on one core (results are identical either way).
        #[arg(long)]
        sequential: bool,
        /// The engine: the emulator, or the same nodes as tokio tasks under turmoil.
        #[arg(long, value_enum, default_value_t = backends::Backend::Emulator)]
        backend: backends::Backend,
    },
    /// Measure the emulator's speed: delivered messages per second of wall time.
    #[command(
        after_help = "Examples:\n  hearsay bench                      # the full suite, 10^3..10^6 nodes (a few minutes)\n  hearsay bench --quick              # seconds; exits 1 below the throughput floor (for CI)\n  hearsay bench --case steady --nodes 100000 --duration 2s"
    )]
    Bench(bench::BenchArgs),
    /// Run a scenario's nodes as separate processes on loopback UDP, in real time.
    #[command(
        after_help = "Examples:\n  hearsay cluster scenarios/quickstart.yaml --seed 1   # keep nodes and duration small: this is real time\n\nEvery process it starts it also stops, even when interrupted (Ctrl-C)."
    )]
    Cluster(cluster::ClusterArgs),
    /// Run one node of a real cluster on a loopback UDP socket (started by `hearsay cluster`).
    Node(node::NodeArgs),
    /// Wall time of the same scenario on the emulator and on turmoil, at growing cluster sizes.
    #[command(
        after_help = "Examples:\n  hearsay bench-backends                          # quickstart at 25, 50, 100, 200 nodes\n  hearsay bench-backends --nodes 25,50 --duration 5s"
    )]
    BenchBackends(bench_backends::BenchBackendsArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

fn parse_seed_range(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("expected a range A..B, got `{s}`"))?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a seed (a non-negative integer)"))?;
    let b: u64 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` is not a seed (a non-negative integer)"))?;
    if a >= b {
        return Err(format!("the range {a}..{b} is empty"));
    }
    Ok(a..b)
}

pub(crate) fn parse_duration(s: &str) -> Result<SimDuration, String> {
    s.parse()
        .map_err(|e: hearsay_protocols::ParseDurationError| e.to_string())
}

/// A failure that is the user's input, not a failed check: exit 2.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);
impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run {
            scenario,
            seed,
            seeds,
            format,
            sequential,
            backend,
        } => run(scenario, seed, seeds, format, sequential, backend),
        Command::Bench(args) => bench::bench(args),
        Command::Cluster(args) => cluster::cluster(args),
        Command::Node(args) => node::node(args),
        Command::BenchBackends(args) => bench_backends::bench_backends(args),
    }
}

fn run(
    path: PathBuf,
    seed: Option<u64>,
    seeds: Option<std::ops::Range<u64>>,
    format: Format,
    sequential: bool,
    backend: backends::Backend,
) -> Result<ExitCode> {
    let mut scenario = load_scenario(&path).map_err(|e| UsageError(e.to_string()))?;
    if let Some(s) = seed {
        scenario.seeds = vec![s];
    } else if let Some(r) = seeds {
        scenario.seeds = r.collect();
    }
    let started = Instant::now();
    let result = backends::run_on(backend, &scenario, sequential)?;
    let wall = started.elapsed().as_secs_f64();
    match format {
        Format::Table => print!("{}", render_table(&result)),
        Format::Json => println!("{}", result.to_json()),
    }
    let delivered: u64 = result.runs.iter().map(|r| r.traffic.delivered).sum();
    eprintln!(
        "{} runs in {wall:.2}s wall, {:.1} M delivered messages/s",
        result.runs.len(),
        delivered as f64 / wall / 1e6
    );
    if result.passed() {
        return Ok(ExitCode::SUCCESS);
    }
    for r in result.runs.iter().filter(|r| !r.passed()) {
        if let Some(f) = r.first_failure() {
            eprintln!(
                "check `{}` failed for {} seed {}; rerun it with: hearsay run {} --seed {}",
                f.name,
                r.strategy,
                r.seed,
                path.display(),
                r.seed
            );
        }
    }
    Ok(ExitCode::from(1))
}
