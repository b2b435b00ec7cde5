//! `hearsay bench`: how fast the emulator runs, in delivered messages per second of wall time.

use crate::{BenchProtocol, UsageError};
use anyhow::{Context as _, Result, bail};
use hearsay_harness::RunOptions;
use hearsay_harness::scenario::{Protocol, Scenario};
use hearsay_protocols::SimDuration;
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_protocols::rumor::RumorConfig;
use std::process::ExitCode;
use std::time::Instant;

pub(crate) fn bench(
    nodes: u32,
    duration: SimDuration,
    protocol: BenchProtocol,
) -> Result<ExitCode> {
    if nodes < 2 {
        bail!(UsageError("--nodes must be at least 2".into()));
    }
    let period = SimDuration::from_millis(200);
    let proto = match protocol {
        // The steady state of DESIGN.md: every node pushes to 3 peers every 200 ms, and each
        // delivery merges one version.
        BenchProtocol::AntiEntropy => Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            fanout: 3,
            mode: hearsay_protocols::anti_entropy::ExchangeMode::Push,
            ..Default::default()
        }),
        BenchProtocol::Rumor => Protocol::Rumor(RumorConfig {
            period,
            ..Default::default()
        }),
    };
    let scenario = Scenario::builder("bench", nodes)
        .duration(duration)
        .sample_every(duration)
        .strategy("bench", proto)
        .build()
        .map_err(|e| UsageError(e.to_string()))
        .context("building the benchmark scenario")?;
    let started = Instant::now();
    let (result, output) =
        hearsay_harness::run_one(&scenario, &scenario.strategies[0], 0, RunOptions::default());
    let wall = started.elapsed().as_secs_f64();
    println!(
        "nodes {nodes}  simulated {duration}  wall {wall:.3}s  events {}  delivered {}  {:.2} M delivered/s  {:.2} M events/s  fingerprint {}",
        output.events,
        result.traffic.delivered,
        result.traffic.delivered as f64 / wall / 1e6,
        output.events as f64 / wall / 1e6,
        result.fingerprint
    );
    Ok(ExitCode::SUCCESS)
}
