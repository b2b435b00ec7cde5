//! The runner: plays every strategy of a scenario under every seed and judges each run.
//!
//! Runs are independent, so they go to all cores (rayon); results come back in scenario order —
//! strategy by strategy, seed by seed — identical to a sequential run.

use crate::checks::{
    HistoryIndex, check_bounds, check_conflict_resolution, check_convergence,
    check_monotonic_versions, check_no_lost_writes, check_no_phantoms, check_residue,
    compute_metrics, ramp_results, read_staleness, stable_latencies, stable_percentiles,
    update_spreads,
};
use crate::emulator::{Emulator, EmulatorConfig, RngStreams, RunOutput};
use crate::scenario::{Protocol, Scenario, StrategySpec};
use hearsay_faults::FaultSchedule;
use hearsay_protocols::anti_entropy::AntiEntropyNode;
use hearsay_protocols::direct_mail::DirectMailNode;
use hearsay_protocols::push_then_pull::PushThenPullNode;
use hearsay_protocols::rumor::RumorNode;
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyNode;
use hearsay_protocols::zoo::{BrokenAntiEntropyNode, Bug, FireAndForgetNode};
use hearsay_protocols::{Node, NodeId, UniformPeers, VersionedStore};
use hearsay_reports::{
    CheckOutcome, FaultWindowRecord, RESULTS_SCHEMA_VERSION, RunResult, ScenarioResult, Verdict,
};
use rayon::prelude::*;
use std::borrow::Cow;

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
    run_scenario_each(scenario, options, &|_, _| {})
}

/// [`run_scenario_with`], handing each run's result and raw output (history, trace) to
/// `on_run` as soon as the run ends — from whichever thread ran it, in no particular order —
/// so that a caller can store histories or advance a progress bar without keeping every
/// output in memory.
pub fn run_scenario_each(
    scenario: &Scenario,
    options: RunOptions,
    on_run: &(dyn Fn(&RunResult, &RunOutput) + Sync),
) -> ScenarioResult {
    let jobs: Vec<(&StrategySpec, u64)> = scenario
        .strategies
        .iter()
        .flat_map(|s| scenario.seeds.iter().map(move |seed| (s, *seed)))
        .collect();
    let one = |(strategy, seed): &(&StrategySpec, u64)| {
        let (result, output) = run_one(scenario, strategy, *seed, options);
        on_run(&result, &output);
        result
    };
    let runs: Vec<RunResult> = if options.sequential {
        jobs.iter().map(one).collect()
    } else {
        jobs.par_iter().map(one).collect()
    };
    scenario_result(scenario, runs)
}

/// A scenario's result from its runs (strategy by strategy, seed by seed), whichever backend
/// produced them.
pub fn scenario_result(scenario: &Scenario, runs: Vec<RunResult>) -> ScenarioResult {
    ScenarioResult {
        schema_version: RESULTS_SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        nodes: scenario.nodes,
        strategies: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
        seeds: scenario.seeds.clone(),
        runs,
        expect_failure: scenario.checks.expect_failure.clone(),
        duration: scenario.duration.as_secs_f64(),
        loss: scenario.network.loss,
        strategy_info: scenario
            .strategies
            .iter()
            .map(crate::sweep::strategy_info)
            .collect(),
    }
}

/// The faults of one run: the scenario's scripted faults plus what its nemesis, if any, draws
/// from the run's `("nemesis", 0)` stream. The same seed always gives the same schedule, and
/// [`FaultSchedule::to_yaml`] prints it as a `faults:` list that replays the run.
pub fn run_faults(scenario: &Scenario, seed: u64) -> Cow<'_, FaultSchedule> {
    scenario.faults.for_run(
        scenario.nodes,
        &mut RngStreams::new(seed).stream("nemesis", 0),
    )
}

/// Runs one strategy under one seed: the judged result, and the raw output (history, trace).
pub fn run_one(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    options: RunOptions,
) -> (RunResult, RunOutput) {
    let output = emulate(scenario, strategy, seed, options, true);
    (judge(scenario, strategy, seed, &output), output)
}

/// Runs one strategy under one seed with history recording off and nothing judged: the bare
/// event loop, for measuring what the history and the checkers cost. The trace fingerprint is
/// the same as [`run_one`]'s.
pub fn run_bare(scenario: &Scenario, strategy: &StrategySpec, seed: u64) -> RunOutput {
    emulate(scenario, strategy, seed, RunOptions::default(), false)
}

fn emulate(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    options: RunOptions,
    history: bool,
) -> RunOutput {
    let config = EmulatorConfig {
        nodes: scenario.nodes,
        duration: scenario.duration,
        network: scenario.network,
        sample_every: scenario.sample_every,
        seed,
        record_trace: options.record_trace,
        stop_when_converged: scenario.stop_when_converged,
    };
    let ops = scenario.workload.generate(
        scenario.nodes,
        &mut RngStreams::new(seed).stream("workload", 0),
    );
    let peers = UniformPeers::new(scenario.nodes);
    let schedule = run_faults(scenario, seed);
    let faults = schedule.faults();
    // Built once and copied into every node: one allocation of the exact size per node.
    let initial = scenario.preload.map(|p| p.store()).unwrap_or_default();
    // Every strategy is told the scenario's MTU.
    match strategy.protocol.with_mtu(scenario.network.mtu) {
        Protocol::Rumor(c) => play(
            Emulator::new(config, RumorNode::factory(c, peers), faults, ops),
            &initial,
            history,
        ),
        Protocol::AntiEntropy(c) => play(
            Emulator::new(config, AntiEntropyNode::factory(c, peers), faults, ops),
            &initial,
            history,
        ),
        Protocol::DirectMail(c) => play(
            Emulator::new(
                config,
                |_: NodeId| DirectMailNode::new(c, peers),
                faults,
                ops,
            ),
            &initial,
            history,
        ),
        Protocol::PushThenPull(c) => play(
            Emulator::new(config, PushThenPullNode::factory(c, peers), faults, ops),
            &initial,
            history,
        ),
        Protocol::RumorWithAntiEntropy(c) => play(
            Emulator::new(
                config,
                RumorWithAntiEntropyNode::factory(c, peers),
                faults,
                ops,
            ),
            &initial,
            history,
        ),
        Protocol::Zoo(c) if c.bug == Bug::NoRetryAfterLoss => {
            let members = scenario.nodes;
            play(
                Emulator::new(
                    config,
                    |_: NodeId| FireAndForgetNode::new(c, members),
                    faults,
                    ops,
                ),
                &initial,
                history,
            )
        }
        Protocol::Zoo(c) => play(
            Emulator::new(
                config,
                |_: NodeId| BrokenAntiEntropyNode::new(c, peers),
                faults,
                ops,
            ),
            &initial,
            history,
        ),
    }
}

/// Preloads a built emulator (when `initial` holds anything) and plays its run.
fn play<N: Node, F: FnMut(NodeId) -> N>(
    emulator: Emulator<N, F>,
    initial: &VersionedStore,
    history: bool,
) -> RunOutput {
    emulator.preload(initial).with_history(history).run()
}

/// Computes the measures of a run and the verdict of every check the scenario asks for.
pub fn judge(
    scenario: &Scenario,
    strategy: &StrategySpec,
    seed: u64,
    output: &RunOutput,
) -> RunResult {
    let history = &output.history;
    let schedule = run_faults(scenario, seed);
    let rule = strategy.protocol.conflict_rule();
    let index = HistoryIndex::new(history);
    let spreads = update_spreads(&index);
    let (mut metrics, coverage) = compute_metrics(history, &spreads, &schedule, COVERAGE_POINTS);
    let writes_ok = history
        .writes
        .iter()
        .filter(|w| w.version.is_some())
        .count();
    let ops_ok = writes_ok + history.reads.iter().filter(|r| r.ok).count();
    metrics.msgs_per_op = (ops_ok > 0).then(|| history.traffic.sent as f64 / ops_ok as f64);
    let latencies = stable_latencies(&index, rule);
    metrics.stable_latency = stable_percentiles(&latencies, writes_ok);
    (metrics.stale_reads, metrics.staleness_mean) = read_staleness(&index, rule);
    let steps = scenario.workload.ramp_steps();
    let (ramp, saturation) = if steps.is_empty() {
        (Vec::new(), None)
    } else {
        ramp_results(&index, &latencies, &steps)
    };
    metrics.saturation_rate = saturation;

    let name = strategy.name.as_str();
    let not_applicable = |check: &str, why: String| CheckOutcome {
        name: check.into(),
        verdict: Verdict::NotApplicable,
        detail: why,
    };
    let scoped_out =
        |check: &str| not_applicable(check, format!("not checked for strategy `{name}`"));
    let checks_spec = &scenario.checks;
    let mut checks = Vec::new();
    if let Some(c) = &checks_spec.convergence {
        checks.push(if Scenario::applies(&c.strategies, name) {
            check_convergence(history, &metrics, c.within)
        } else {
            scoped_out("convergence")
        });
    }
    if let Some(c) = &checks_spec.residue {
        checks.push(if Scenario::applies(&c.strategies, name) {
            check_residue(&spreads, c.max)
        } else {
            scoped_out("residue")
        });
    }
    if let Some(c) = &checks_spec.no_lost_writes {
        let applies = match &c.strategies {
            Some(list) => list.iter().any(|s| s == name),
            None => strategy.protocol.promises_delivery(),
        };
        checks.push(if applies {
            check_no_lost_writes(&index, rule)
        } else if c.strategies.is_some() {
            scoped_out("no_lost_writes")
        } else {
            not_applicable(
                "no_lost_writes",
                format!("`{name}` does not promise delivery (its residue is reported); name it under `strategies:` to check it anyway"),
            )
        });
    }
    if let Some(c) = &checks_spec.no_phantoms {
        checks.push(if Scenario::applies(&c.strategies, name) {
            check_no_phantoms(&index)
        } else {
            scoped_out("no_phantoms")
        });
    }
    if let Some(c) = &checks_spec.monotonic_versions {
        checks.push(if Scenario::applies(&c.strategies, name) {
            check_monotonic_versions(&index, rule)
        } else {
            scoped_out("monotonic_versions")
        });
    }
    if let Some(c) = &checks_spec.conflict_resolution {
        checks.push(if Scenario::applies(&c.strategies, name) {
            check_conflict_resolution(&index, rule)
        } else {
            scoped_out("conflict_resolution")
        });
    }
    if let Some(b) = &checks_spec.bounds {
        checks.push(if Scenario::applies(&b.strategies, name) {
            check_bounds(b, &metrics, &spreads)
        } else {
            scoped_out("bounds")
        });
    }
    let faults = schedule
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
        ramp,
        ended_at: history.end.as_secs_f64(),
        coverage_start: spreads.first().map_or(0.0, |s| s.written_at.as_secs_f64()),
        stable_latencies: history
            .writes
            .iter()
            .zip(&latencies)
            .filter(|(w, _)| w.version.is_some())
            .map(|(_, l)| *l)
            .collect(),
        sends_over_time: history.sends_over_time.clone(),
    }
}
