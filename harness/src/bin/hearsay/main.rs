//! The `hearsay` command line: run a scenario's strategies over its seeds and report the
//! comparison; sweep a parameter grid; replay one run byte for byte; check a folder of
//! scenarios against baselines (the CI regression suite); shrink a failing run's faults;
//! benchmark the emulator.
//!
//! Exit codes: 0 when every check holds, 1 when a check fails, 2 for bad usage or a bad
//! scenario file.

mod backends;
mod bench;
mod bench_backends;
mod check;
mod cluster;
mod common;
mod faults;
mod node;
mod replay;
mod run;
mod shrink;
mod sweep;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use hearsay_protocols::SimDuration;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hearsay",
    version,
    about = "A deterministic fault-injection harness for gossip protocols",
    long_about = "A deterministic discrete-event network emulator and Jepsen-style harness for gossip \
protocols. A scenario file names the cluster, the network, the strategies to compare, the \
workload, the faults and the checks; hearsay runs every strategy under every seed, reports \
the comparison, and keeps every run in a results store so that any run can be replayed byte \
for byte.",
    after_long_help = "Examples:
  hearsay run scenarios/quickstart.yaml
  hearsay sweep scenarios/quickstart.yaml --set k=1..=4
  hearsay replay store/quickstart/latest
  hearsay check scenarios --junit junit.xml
  hearsay shrink store/drill/latest

Exit codes: 0 every check holds, 1 a check failed, 2 bad usage or a bad scenario."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where results go: `--store DIR` (default `./store`) or `--no-store`.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct StoreArgs {
    /// The results store: each run writes a new folder STORE/<scenario>/<time>/ and points
    /// STORE/<scenario>/latest at it.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub(crate) store: PathBuf,
    /// Write nothing to the results store.
    #[arg(long, conflicts_with = "store")]
    pub(crate) no_store: bool,
}

/// `--seed N` or `--seeds A..B`, replacing the scenario's seeds.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct SeedArgs {
    /// Run this one seed instead of the scenario's seeds (prints the trace fingerprint).
    #[arg(long, conflicts_with = "seeds")]
    pub(crate) seed: Option<u64>,
    /// Run these seeds instead of the scenario's, as a half-open range `A..B`.
    #[arg(long, value_parser = parse_seed_range)]
    pub(crate) seeds: Option<std::ops::Range<u64>>,
}

#[derive(Subcommand)]
enum Command {
    /// Run every strategy of a scenario under every seed, print the comparison and store the
    /// reports.
    #[command(
        long_about = "Run every strategy of a scenario under every seed and print the comparison: \
each figure as its mean over seeds with a 95% confidence interval, the best strategy of each \
column marked, one verdict column per check. The run is kept in the results store \
(results.json, report.md, report.html with plots, the scenario as run, each run's history, and \
with --trace each run's event trace); its folder is printed on stderr. A progress bar appears \
on stderr for runs longer than a second when stderr is a terminal.",
        after_long_help = "Examples:
  hearsay run scenarios/quickstart.yaml
  hearsay run scenarios/quickstart.yaml --seed 3            # one seed, prints fingerprints
  hearsay run scenarios/quickstart.yaml --seeds 0..100 --format json > results.json
  hearsay run scenarios/quickstart.yaml --format md --spread both
  hearsay run scenarios/quickstart.yaml --store /tmp/results --trace

Exit codes: 0 every check holds, 1 a check failed, 2 bad usage or a bad scenario."
    )]
    Run {
        /// The scenario file (YAML).
        scenario: PathBuf,
        #[command(flatten)]
        seeds: SeedArgs,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// How figures show their spread over seeds.
        #[arg(long, value_enum, default_value_t = SpreadArg::Ci)]
        spread: SpreadArg,
        #[command(flatten)]
        store: StoreArgs,
        /// Record every run's full event trace into the store (large for big clusters).
        #[arg(long)]
        trace: bool,
        /// Run one seed at a time on one core (results are identical either way).
        #[arg(long)]
        sequential: bool,
        /// The engine: the emulator, or the same nodes as tokio tasks under turmoil.
        #[arg(long, value_enum, default_value_t = backends::Backend::Emulator)]
        backend: backends::Backend,
    },
    /// Run a scenario at every point of a parameter grid and report each point and the cost
    /// frontier.
    #[command(
        long_about = "Run a scenario at every point of a parameter grid. Each --set names a parameter \
and its values: a comma-separated list whose items may be ranges of whole numbers, `A..B` (B \
excluded, as seeds are written) or `A..=B`. Scenario parameters are nodes, loss and duration; \
strategy parameters (period, fanout, k, removal, mode, conflict, ...) are set on every strategy \
that has them, or on one strategy when written NAME.param. --partition I/N runs every N-th \
point starting at the I-th, so N machines (a CI matrix) can share a sweep; `hearsay merge` \
joins their JSON.",
        after_long_help = "Examples:
  hearsay sweep scenarios/quickstart.yaml --set fanout=1..=3 --set k=1,2,3
  hearsay sweep scenarios/quickstart.yaml --set rumor.period=100ms,200ms,400ms --seeds 0..5
  hearsay sweep scenarios/quickstart.yaml --set k=1..=8 --partition 2/4 --format json > shard-2.json
  hearsay merge shard-*.json

Exit codes: 0 every check holds, 1 a check failed, 2 bad usage or a bad scenario."
    )]
    Sweep {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// A parameter and its values, `KEY=VALUES`; repeat for a grid.
        #[arg(long = "set", value_name = "KEY=VALUES", required = true)]
        set: Vec<String>,
        /// Run one shard of the grid: `I/N` (1-based).
        #[arg(long, value_name = "I/N")]
        partition: Option<hearsay_harness::sweep::Partition>,
        #[command(flatten)]
        seeds: SeedArgs,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Join the JSON results of sweep shards into one report.
    #[command(after_long_help = "Examples:
  hearsay sweep s.yaml --set k=1..=8 --partition 1/2 --format json > a.json
  hearsay sweep s.yaml --set k=1..=8 --partition 2/2 --format json > b.json
  hearsay merge a.json b.json

Exit codes: 0 complete and every check holds, 1 a check failed or points are missing, 2 bad usage.")]
    Merge {
        /// Sweep results (`hearsay sweep --format json`), one per shard.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-run one strategy and seed byte for byte, check its trace fingerprint, and print its
    /// trace.
    #[command(
        long_about = "Re-run one strategy under one seed, from a results-store folder (its scenario.yaml \
and results.json; by default the first failing run, or the only one) or from a scenario file \
with --strategy and --seed. The trace fingerprint is compared with the stored one (or with \
--expect-fingerprint): a mismatch means the run did not reproduce, and exits 1. The trace is \
printed with the history's writes and learned records interleaved, filtered by --node, \
--from/--to, --key and --kind (all must match). Faults are always shown as context; message and \
timer events carry no key, so --key shows writes, reads and learned records only.",
        after_long_help = "Examples:
  hearsay replay store/quickstart/latest
  hearsay replay store/quickstart/latest --strategy rumor --seed 4 --node 17
  hearsay replay --seed 4 --strategy anti-entropy scenarios/quickstart.yaml --from 2s --to 2.5s
  hearsay replay --seed 4 --strategy rumor scenarios/quickstart.yaml --kind learned --key 1
  hearsay replay --seed 4 --strategy rumor scenarios/quickstart.yaml --expect-fingerprint 0xac64c0653e491e8c

Exit codes: 0 reproduced, 1 the fingerprint differs or a check failed, 2 bad usage."
    )]
    Replay {
        /// A results-store folder, or a scenario file.
        source: PathBuf,
        /// The strategy to replay.
        #[arg(long)]
        strategy: Option<String>,
        /// The seed to replay.
        #[arg(long)]
        seed: Option<u64>,
        /// The fingerprint the run must reproduce (16 hex digits, `0x` optional).
        #[arg(long, value_name = "HEX")]
        expect_fingerprint: Option<String>,
        /// Only events involving this node (repeatable).
        #[arg(long)]
        node: Vec<u32>,
        /// Only events at or after this time (`1.5s`).
        #[arg(long, value_parser = parse_duration)]
        from: Option<SimDuration>,
        /// Only events at or before this time.
        #[arg(long, value_parser = parse_duration)]
        to: Option<SimDuration>,
        /// Only writes, reads and learned records of this key.
        #[arg(long)]
        key: Option<u64>,
        /// Only these kinds: send, deliver, drop, timer, fault, client, write, read, learned, or
        /// a message kind such as rumor-push (repeatable, or comma-separated).
        #[arg(long, value_delimiter = ',')]
        kind: Vec<String>,
        /// Print at most this many events.
        #[arg(long)]
        limit: Option<usize>,
        /// Output format: text lines, or JSON lines.
        #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
        format: TraceFormat,
    },
    /// The CI regression suite: run every scenario of a folder, compare with the stored
    /// baselines, write JUnit XML.
    #[command(
        long_about = "Run every scenario file (*.yaml, *.yml) in DIR, in name order, and judge each: its \
checks must hold (or fail, where the scenario says a check must fail), and each strategy's mean \
metrics must stay within tolerance of the baseline in DIR/baselines/<file stem>.json. --bless \
writes the baselines from this run (keeping tolerances edited by hand). Every failure prints \
the `hearsay replay` command that reproduces it, with its expected fingerprint.",
        after_long_help = "Examples:
  hearsay check scenarios --bless                 # record baselines
  hearsay check scenarios --junit target/hearsay-junit.xml
  hearsay check scenarios --baselines ci/baselines

Exit codes: 0 every case passed, 1 a case failed, 2 bad usage or a scenario that does not load."
    )]
    Check {
        /// The folder of scenario files.
        dir: PathBuf,
        /// Write the baselines from this run instead of comparing with them.
        #[arg(long)]
        bless: bool,
        /// Where baselines are kept (default: DIR/baselines).
        #[arg(long, value_name = "DIR")]
        baselines: Option<PathBuf>,
        /// Write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Reduce a failing run's fault schedule (and node count) to a smallest one that still
    /// fails the same check, and write it as a scenario file.
    #[command(
        long_about = "Take a failing run — from a results-store folder (its first failing run), or a \
scenario file (its first failing run, or --strategy and --seed) — and reduce its fault schedule \
by delta debugging, keeping a fault and its undoing heal or restart together, then halve the \
node count while the same check still fails. The result is written as a scenario file with the \
one strategy and seed, which `hearsay run` reproduces.",
        after_long_help = "Examples:
  hearsay shrink store/drill/latest
  hearsay shrink scenarios/drill.yaml --strategy rumor --seed 3 --check convergence --out small.yaml

Exit codes: 0 shrunk and written, 1 the written scenario did not fail again, 2 bad usage or nothing fails."
    )]
    Shrink {
        /// A results-store folder, or a scenario file.
        source: PathBuf,
        /// The strategy of the failing run.
        #[arg(long)]
        strategy: Option<String>,
        /// The seed of the failing run.
        #[arg(long)]
        seed: Option<u64>,
        /// The check that must keep failing (default: the run's first failed check).
        #[arg(long)]
        check: Option<String>,
        /// Where to write the shrunk scenario (default: ./<scenario>-shrunk.yaml, never
        /// overwriting).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
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
    #[command(
        after_help = "Examples:\n  hearsay bench                      # the full suite, 10^3..10^6 nodes (a few minutes)\n  hearsay bench --quick              # seconds; exits 1 below the throughput floor (for CI)\n  hearsay bench --runs 3             # every case three times, its median run shown (noisy machines)\n  hearsay bench --memory             # bytes per node of every strategy family at 10^6 nodes\n  hearsay bench --case steady --nodes 100000 --duration 2s\n  hearsay bench --case merkle --duration 10s   # 10^4 nodes x 10^4 preloaded keys"
    )]
    Bench(bench::BenchArgs),
    /// Print a shell completion script.
    #[command(after_long_help = "Examples:
  hearsay completions bash > ~/.local/share/bash-completion/completions/hearsay
  hearsay completions zsh > ~/.zfunc/_hearsay
  hearsay completions fish > ~/.config/fish/completions/hearsay.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one per subcommand into a folder.
    #[command(after_long_help = "Examples:
  hearsay man | man -l -
  hearsay man --out target/man")]
    Man {
        /// Write hearsay.1 and hearsay-<subcommand>.1 here instead of printing hearsay.1.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub(crate) enum Format {
    /// A terminal table.
    Table,
    /// Markdown (report.md).
    Md,
    /// JSON (results.json).
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub(crate) enum SpreadArg {
    /// Mean ±95% confidence interval.
    Ci,
    /// Mean [min–max].
    Range,
    /// Both.
    Both,
}

impl SpreadArg {
    pub(crate) fn style(self) -> hearsay_reports::SpreadStyle {
        match self {
            SpreadArg::Ci => hearsay_reports::SpreadStyle::Ci95,
            SpreadArg::Range => hearsay_reports::SpreadStyle::Range,
            SpreadArg::Both => hearsay_reports::SpreadStyle::Both,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub(crate) enum TraceFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
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
            seeds,
            format,
            spread,
            store,
            trace,
            sequential,
            backend,
        } => run::run(run::RunArgs {
            path: scenario,
            seeds,
            format,
            spread,
            store,
            trace,
            sequential,
            backend,
        }),
        Command::Sweep {
            scenario,
            set,
            partition,
            seeds,
            format,
            store,
        } => sweep::sweep(scenario, set, partition, seeds, format, store),
        Command::Merge {
            shards,
            format,
            store,
        } => sweep::merge(shards, format, store),
        Command::Replay {
            source,
            strategy,
            seed,
            expect_fingerprint,
            node,
            from,
            to,
            key,
            kind,
            limit,
            format,
        } => replay::replay(replay::ReplayArgs {
            source,
            strategy,
            seed,
            expect_fingerprint,
            filter: replay::Filter {
                nodes: node,
                from,
                to,
                key,
                kinds: kind,
            },
            limit,
            format,
        }),
        Command::Check {
            dir,
            bless,
            baselines,
            junit,
        } => check::check(dir, bless, baselines, junit),
        Command::Shrink {
            source,
            strategy,
            seed,
            check,
            out,
        } => shrink::shrink(source, strategy, seed, check, out),
        Command::Bench(args) => bench::bench(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "hearsay",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => man(out),
        Command::Faults { scenario, seed } => faults::faults(&scenario, seed),
        Command::Cluster(args) => cluster::cluster(args),
        Command::Node(args) => node::node(args),
        Command::BenchBackends(args) => bench_backends::bench_backends(args),
    }
}

fn man(out: Option<PathBuf>) -> Result<ExitCode> {
    let cmd = Cli::command();
    match out {
        None => {
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            let write = |name: String, c: clap::Command| -> Result<()> {
                let mut buf = Vec::new();
                clap_mangen::Man::new(c).render(&mut buf)?;
                let path = dir.join(format!("{name}.1"));
                std::fs::write(&path, buf)?;
                eprintln!("wrote {}", path.display());
                Ok(())
            };
            for sub in cmd.get_subcommands() {
                let name: &'static str =
                    Box::leak(format!("hearsay-{}", sub.get_name()).into_boxed_str());
                write(name.to_owned(), sub.clone().name(name))?;
            }
            write("hearsay".into(), cmd)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
