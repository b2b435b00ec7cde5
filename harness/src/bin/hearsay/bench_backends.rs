//! `hearsay bench-backends`: how turmoil's wall time grows with the host count, against the
//! emulator on the same scenario (every strategy, one seed, one core each).

use crate::UsageError;
use anyhow::Result;
use clap::Args;
use hearsay_harness::backend::turmoil::{self, TurmoilOptions};
use hearsay_harness::{RunOptions, load_scenario, run_one};
use hearsay_protocols::SimDuration;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `hearsay bench-backends`.
#[derive(Args, Debug)]
pub(crate) struct BenchBackendsArgs {
    /// The scenario whose strategies, network, workload and faults are run.
    #[arg(long, default_value = "scenarios/quickstart.yaml")]
    scenario: PathBuf,
    /// Cluster sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [25u32, 50, 100, 200])]
    nodes: Vec<u32>,
    /// Simulated time per run instead of the scenario's.
    #[arg(long, value_parser = crate::parse_duration)]
    duration: Option<SimDuration>,
    /// The seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub(crate) fn bench_backends(args: BenchBackendsArgs) -> Result<ExitCode> {
    let base = load_scenario(&args.scenario).map_err(|e| UsageError(e.to_string()))?;
    println!(
        "{} · strategies: {} · seed {} · one core per run",
        base.name,
        base.strategies
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.seed
    );
    println!(
        "{:>6} {:>10} {:>13} {:>12} {:>15} {:>14}",
        "nodes", "simulated", "emulator", "turmoil", "turmoil/emul.", "turmoil/sim-s"
    );
    for &n in &args.nodes {
        let mut scenario = base.clone();
        scenario.nodes = n;
        if let Some(d) = args.duration {
            scenario.duration = d;
        }
        scenario.validate().map_err(|e| {
            UsageError(format!(
                "{} scaled to {n} nodes: {e}",
                args.scenario.display()
            ))
        })?;
        turmoil::check_supported(&scenario).map_err(crate::backends::backend_error)?;
        let started = Instant::now();
        for s in &scenario.strategies {
            run_one(&scenario, s, args.seed, RunOptions::default());
        }
        let emulator = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for s in &scenario.strategies {
            turmoil::run_one(&scenario, s, args.seed, TurmoilOptions::default())
                .map_err(crate::backends::backend_error)?;
        }
        let turmoil = started.elapsed().as_secs_f64();
        let simulated = scenario.duration.as_secs_f64() * scenario.strategies.len() as f64;
        println!(
            "{:>6} {:>9.0}s {:>12.4}s {:>11.2}s {:>14.0}× {:>13.3}s",
            n,
            simulated,
            emulator,
            turmoil,
            turmoil / emulator.max(1e-9),
            turmoil / simulated
        );
    }
    Ok(ExitCode::SUCCESS)
}
