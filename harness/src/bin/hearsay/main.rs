//! The `hearsay` command line: run a scenario's strategies over its seeds and print the
//! comparison; benchmark the emulator.
//!
//! Exit codes: 0 when every check holds, 1 when a check fails, 2 for bad usage or a bad
//! scenario file.

mod bench;
mod faults;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use hearsay_harness::{RunOptions, load_scenario, run_scenario_with};
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
    },
    /// Print the fault schedule of one run (a nemesis drawn from the seed) as a `faults:` list.
    #[command(
        after_help = "Example:\n  hearsay faults scenarios/drills/nemesis.yaml --seed 3 > faults.yaml"
    )]
    Faults {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// The run's seed (default: the scenario's first seed).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Measure the emulator's speed: delivered messages per second of wall time.
    #[command(after_help = "Example:\n  hearsay bench --nodes 100000 --duration 5s")]
    Bench {
        /// Cluster size.
        #[arg(long, default_value_t = 10_000)]
        nodes: u32,
        /// Simulated time to run.
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        duration: SimDuration,
        /// Which protocol drives the traffic.
        #[arg(long, value_enum, default_value_t = BenchProtocol::AntiEntropy)]
        protocol: BenchProtocol,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum BenchProtocol {
    /// Push-pull anti-entropy, every node every 200 ms: steady traffic.
    AntiEntropy,
    /// One rumor, push, feedback + counter k = 2.
    Rumor,
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

fn parse_duration(s: &str) -> Result<SimDuration, String> {
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
        } => run(scenario, seed, seeds, format, sequential),
        Command::Bench {
            nodes,
            duration,
            protocol,
        } => bench::bench(nodes, duration, protocol),
        Command::Faults { scenario, seed } => faults::faults(&scenario, seed),
    }
}

fn run(
    path: PathBuf,
    seed: Option<u64>,
    seeds: Option<std::ops::Range<u64>>,
    format: Format,
    sequential: bool,
) -> Result<ExitCode> {
    let mut scenario = load_scenario(&path).map_err(|e| UsageError(e.to_string()))?;
    if let Some(s) = seed {
        scenario.seeds = vec![s];
    } else if let Some(r) = seeds {
        scenario.seeds = r.collect();
    }
    let started = Instant::now();
    let result = run_scenario_with(
        &scenario,
        RunOptions {
            sequential,
            ..RunOptions::default()
        },
    );
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
