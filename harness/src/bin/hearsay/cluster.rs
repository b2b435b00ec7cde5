//! `hearsay cluster`: run a scenario's nodes as separate processes on loopback UDP, in real
//! time, and print the same report as `hearsay run`.

use crate::UsageError;
use anyhow::Result;
use clap::Args;
use hearsay_harness::backend::udp_cluster::{self, ClusterOptions};
use hearsay_harness::load_scenario;
use hearsay_reports::render_table;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Arguments of `hearsay cluster`.
#[derive(Args)]
pub(crate) struct ClusterArgs {
    /// The scenario file (YAML). Its duration is real time here: keep it to seconds.
    scenario: PathBuf,
    /// Run this one seed instead of the scenario's seeds.
    #[arg(long)]
    seed: Option<u64>,
    /// Run only this strategy.
    #[arg(long)]
    strategy: Option<String>,
    /// Append `node incarnation pid` for every process started.
    #[arg(long)]
    pid_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::Format::Table)]
    format: crate::Format,
}

pub(crate) fn cluster(args: ClusterArgs) -> Result<ExitCode> {
    let mut scenario = load_scenario(&args.scenario).map_err(|e| UsageError(e.to_string()))?;
    if let Some(s) = args.seed {
        scenario.seeds = vec![s];
    }
    if let Some(name) = &args.strategy {
        scenario.strategies.retain(|s| &s.name == name);
        if scenario.strategies.is_empty() {
            anyhow::bail!(UsageError(format!("no strategy named `{name}`")));
        }
    }
    udp_cluster::check_supported(&scenario).map_err(crate::backends::backend_error)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal ends the coordinator at once; its nodes then stop on their own when
        // their stdin closes.
        signal_hook::flag::register_conditional_shutdown(signal, 130, interrupted.clone())?;
        signal_hook::flag::register(signal, interrupted.clone())?;
    }
    let mut options = ClusterOptions::new(std::env::current_exe()?, &args.scenario);
    options.pid_file = args.pid_file;
    options.interrupted = interrupted.clone();
    let result = match udp_cluster::run_scenario(&scenario, &options) {
        Ok(r) => r,
        Err(e) if interrupted.load(Ordering::Relaxed) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(crate::backends::backend_error(e)),
    };
    match args.format {
        crate::Format::Table => print!("{}", render_table(&result)),
        crate::Format::Md => print!("{}", hearsay_reports::render_markdown(&result, &[])),
        crate::Format::Json => println!("{}", result.to_json()),
    }
    Ok(if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
