//! Building a scenario in Rust, without YAML: for users' own tests and for our examples.

use super::model::{
    Checks, ConvergenceCheck, Latency, NetworkSpec, PeerSampling, Preload, Protocol, ResidueCheck,
    Scenario, StrategySpec, ValidationError,
};
use hearsay_faults::{FaultAction, FaultSchedule, Nemesis, TimedFault};
use hearsay_protocols::{SimDuration, SimTime};
use hearsay_workloads::{SingleRumor, Workload};
use std::ops::Range;

/// Builds a [`Scenario`] step by step; [`ScenarioBuilder::build`] validates it with the same
/// rules as the YAML loader.
///
/// Defaults: 1 seed (0), 10 s, uniform 1–10 ms latency, no loss, uniform peer sampling, a single
/// rumor at node 0 at time 0, no faults, no checks, convergence sampled every 50 ms.
#[derive(Clone, Debug)]
pub struct ScenarioBuilder {
    name: String,
    nodes: u32,
    duration: SimDuration,
    seeds: Vec<u64>,
    network: NetworkSpec,
    strategies: Vec<StrategySpec>,
    workload: Workload,
    preload: Option<Preload>,
    faults: Vec<TimedFault>,
    nemesis: Option<Nemesis>,
    checks: Checks,
    sample_every: SimDuration,
    stop_when_converged: bool,
}

impl Scenario {
    /// Starts building a scenario called `name` over `nodes` nodes.
    pub fn builder(name: impl Into<String>, nodes: u32) -> ScenarioBuilder {
        ScenarioBuilder {
            name: name.into(),
            nodes,
            duration: SimDuration::from_secs(10),
            seeds: vec![0],
            network: NetworkSpec::default(),
            strategies: Vec::new(),
            workload: Workload::SingleRumor(SingleRumor::default()),
            preload: None,
            faults: Vec::new(),
            nemesis: None,
            checks: Checks::default(),
            sample_every: SimDuration::from_millis(50),
            stop_when_converged: false,
        }
    }
}

impl ScenarioBuilder {
    /// How long each run lasts.
    pub fn duration(mut self, d: SimDuration) -> Self {
        self.duration = d;
        self
    }
    /// Run one seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seeds = vec![seed];
        self
    }
    /// Run every seed in `range`.
    pub fn seeds(mut self, range: Range<u64>) -> Self {
        self.seeds = range.collect();
        self
    }
    /// The latency distribution.
    pub fn latency(mut self, latency: Latency) -> Self {
        self.network.latency = latency;
        self
    }
    /// The independent loss probability.
    pub fn loss(mut self, loss: f64) -> Self {
        self.network.loss = loss;
        self
    }
    /// Adds a strategy to compare.
    pub fn strategy(mut self, name: impl Into<String>, protocol: Protocol) -> Self {
        self.strategies.push(StrategySpec {
            name: name.into(),
            protocol,
        });
        self
    }
    /// What clients do.
    pub fn workload(mut self, workload: Workload) -> Self {
        self.workload = workload;
        self
    }
    /// Every node present at the start holds keys `0..keys` before time 0 (see [`Preload`]);
    /// the workload's writes must then start after 0s.
    pub fn preload(mut self, keys: u64) -> Self {
        self.preload = Some(Preload { keys });
        self
    }
    /// Adds a fault at `at`.
    pub fn fault(mut self, at: SimTime, action: FaultAction) -> Self {
        self.faults.push(TimedFault { at, action });
        self
    }
    /// Adds a fault at `at` and the action that undoes it `lasting` later (the heal, restart,
    /// resume or end of [`FaultAction::undo`]; actions with no undo are added alone).
    pub fn fault_for(self, at: SimTime, lasting: SimDuration, action: FaultAction) -> Self {
        let undo = action.undo();
        let b = self.fault(at, action);
        match undo {
            Some(u) => b.fault(at + lasting, u),
            None => b,
        }
    }
    /// Adds a seeded random nemesis: each run draws its own faults from the run's seed.
    pub fn nemesis(mut self, nemesis: Nemesis) -> Self {
        self.nemesis = Some(nemesis);
        self
    }
    /// Checks that every live node converges within `within` of the last heal, for the named
    /// strategies (all if `None`).
    pub fn check_convergence(
        mut self,
        within: SimDuration,
        strategies: Option<Vec<String>>,
    ) -> Self {
        self.checks.convergence = Some(ConvergenceCheck { within, strategies });
        self
    }
    /// Checks that the residue stays at or below `max`, for the named strategies (all if `None`).
    pub fn check_residue(mut self, max: f64, strategies: Option<Vec<String>>) -> Self {
        self.checks.residue = Some(ResidueCheck { max, strategies });
        self
    }
    /// How often convergence is sampled.
    pub fn sample_every(mut self, every: SimDuration) -> Self {
        self.sample_every = every;
        self
    }

    /// End each run once every operation and fault has happened and every live node agrees.
    pub fn stop_when_converged(mut self, stop: bool) -> Self {
        self.stop_when_converged = stop;
        self
    }

    /// Validates and returns the scenario.
    pub fn build(self) -> Result<Scenario, ValidationError> {
        let mut faults = FaultSchedule::new(self.faults, self.nodes)
            .map_err(|e| ValidationError::new("faults", e.to_string()))?;
        if let Some(n) = self.nemesis {
            faults = faults
                .with_nemesis(n, self.nodes)
                .map_err(|e| ValidationError::new("nemesis", e.to_string()))?;
        }
        let scenario = Scenario {
            name: self.name,
            nodes: self.nodes,
            duration: self.duration,
            seeds: self.seeds,
            peer_sampling: PeerSampling::Uniform,
            network: self.network,
            strategies: self.strategies,
            workload: self.workload,
            preload: self.preload,
            faults,
            checks: self.checks,
            sample_every: self.sample_every,
            stop_when_converged: self.stop_when_converged,
        };
        scenario.validate()?;
        Ok(scenario)
    }
}
