//! The runner: plays every strategy of a scenario under every seed and judges each run.
//!
//! Runs are independent, so they go to all cores (rayon); results come back in scenario order —
//! strategy by strategy, seed by seed — identical to a sequential run.

use crate::checks::{check_convergence, check_residue, compute_metrics, update_spreads};
use crate::emulator::{Emulator, EmulatorConfig, RngStreams, RunOutput};
use crate::scenario::{Protocol, Scenario, StrategySpec};
use hearsay_protocols::anti_entropy::AntiEntropyNode;
use hearsay_protocols::direct_mail::DirectMailNode;
use hearsay_protocols::push_then_pull::PushThenPullNode;
use hearsay_protocols::rumor::RumorNode;
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyNode;
use hearsay_protocols::{NodeId, UniformPeers};
use hearsay_reports::{
    CheckOutcome, FaultWindowRecord, RESULTS_SCHEMA_VERSION, RunResult, ScenarioResult, Verdict,
};
use rayon::prelude::*;

/// Points on each run's coverage curve.
const COVERAGE_POINTS: usize = 100;

/// How to run.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Keep every event of each run (for replays and tests; costly at scale).
    pub record_trace: bool,
    /// Run one seed at a time on one core.
    pub sequential: bool,
}

/// Runs every strategy of `scenario` under every seed and judges each run.
pub fn run_scenario(scenario: &Scenario) -> ScenarioResult {
    run_scenario_with(scenario, RunOptions::default())
}

/// [`run_scenario`] with options.
pub fn run_scenario_with(scenario: &Scenario, options: RunOptions) -> ScenarioResult {
    let jobs: Vec<(&StrategySpec, u64)> = scenario
        .strategies
        .iter()
        .flat_map(|s| scenario.seeds.iter().map(move |seed| (s, *seed)))
        .collect();
    let one =
        |(strategy, seed): &(&StrategySpec, u64)| run_one(scenario, strategy, *seed, options).0;
    let runs: Vec<RunResult> = if options.sequential {
        jobs.iter().map(one).collect()
    } else {
        jobs.par_iter().map(one).collect()
    };
    ScenarioResult {
        schema_version: RESULTS_SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        nodes: scenario.nodes,
        strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
        seeds: scenario.seeds.clone(),
        runs,
    }
}

/// Runs one strategy under one seed: the judged result, and the raw output (history, trace).
pub fn run_one(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    options: RunOptions,
) -> (RunResult, RunOutput) {
    let config = EmulatorConfig {
        nodes: scenario.nodes,
        duration: scenario.duration,
        network: scenario.network,
        sample_every: scenario.sample_every,
        seed,
        record_trace: options.record_trace,
    };
    let ops = scenario.workload.generate(
        scenario.nodes,
        &mut RngStreams::new(seed).stream("workload", 0),
    );
    let peers = UniformPeers::new(scenario.nodes);
    let faults = scenario.faults.faults();
    // Every strategy is told the scenario's MTU.
    let output = match strategy.protocol.with_mtu(scenario.network.mtu) {
        Protocol::Rumor(c) => {
            Emulator::new(config, |_: NodeId| RumorNode::new(c, peers), faults, ops).run()
        }
        Protocol::AntiEntropy(c) => Emulator::new(
            config,
            |_: NodeId| AntiEntropyNode::new(c, peers),
            faults,
            ops,
        )
        .run(),
        Protocol::DirectMail(c) => Emulator::new(
            config,
            |_: NodeId| DirectMailNode::new(c, peers),
            faults,
            ops,
        )
        .run(),
        Protocol::PushThenPull(c) => Emulator::new(
            config,
            |_: NodeId| PushThenPullNode::new(c, peers),
            faults,
            ops,
        )
        .run(),
        Protocol::RumorWithAntiEntropy(c) => Emulator::new(
            config,
            |_: NodeId| RumorWithAntiEntropyNode::new(c, peers),
            faults,
            ops,
        )
        .run(),
    };
    (judge(scenario, strategy, seed, &output), output)
}

/// Computes the measures of a run and the verdict of every check the scenario asks for.
pub fn judge(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    output: &RunOutput,
) -> RunResult {
    let history = &output.history;
    let spreads = update_spreads(history);
    let (metrics, coverage) = compute_metrics(history, &spreads, &scenario.faults, COVERAGE_POINTS);
    let not_applicable = |name: &str| CheckOutcome {
        name: name.into(),
        verdict: Verdict::NotApplicable,
        detail: format!("not checked for strategy `{}`", strategy.name),
    };
    let mut checks = Vec::new();
    if let Some(c) = &scenario.checks.convergence {
        checks.push(if Scenario::applies(&c.strategies, &strategy.name) {
            check_convergence(history, &metrics, c.within)
        } else {
            not_applicable("convergence")
        });
    }
    if let Some(c) = &scenario.checks.residue {
        checks.push(if Scenario::applies(&c.strategies, &strategy.name) {
            check_residue(&spreads, c.max)
        } else {
            not_applicable("residue")
        });
    }
    let faults = scenario
        .faults
        .windows()
        .into_iter()
        .map(|w| FaultWindowRecord {
            kind: w.kind,
            start: w.start.as_secs_f64(),
            end: w.end.map(|e| e.as_secs_f64()),
        })
        .collect();
    RunResult {
        strategy: strategy.name.clone(),
        seed,
        nodes: scenario.nodes,
        live_nodes: history.live_count(),
        fingerprint: format!("{:016x}", output.fingerprint),
        events: output.events,
        metrics,
        traffic: history.traffic,
        coverage,
        faults,
        checks,
        counters: history.counters.clone(),
    }
}
