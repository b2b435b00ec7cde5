//! The validated scenario model shared by the YAML loader, the builder and the runner.

use hearsay_faults::FaultSchedule;
pub use hearsay_faults::Latency;
use hearsay_protocols::ConflictRule;
use hearsay_protocols::SimDuration;
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_protocols::rumor::RumorConfig;
use hearsay_protocols::zoo::ZooConfig;
use hearsay_workloads::Workload;
use serde::Serialize;

/// A complete, validated description of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// A short name, used in reports and result folders.
    pub name: String,
    /// Cluster size (at least 1).
    pub nodes: u32,
    /// How long each run lasts, in simulated time.
    pub duration: SimDuration,
    /// The seeds to run, in order (at least one).
    pub seeds: Vec<u64>,
    /// How nodes pick gossip partners.
    pub peer_sampling: PeerSampling,
    /// Latency and loss.
    pub network: NetworkSpec,
    /// The strategies to compare, each run under every seed (at least one; names unique).
    pub strategies: Vec<StrategySpec>,
    /// What clients do.
    pub workload: Workload,
    /// What goes wrong, when.
    pub faults: FaultSchedule,
    /// What must hold.
    pub checks: Checks,
    /// How often the emulator samples whether the cluster has converged. Convergence times
    /// are measured to this resolution.
    pub sample_every: SimDuration,
}

/// The peer sampling service every node uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerSampling {
    /// Uniform over the full membership.
    #[default]
    Uniform,
}

/// The network model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NetworkSpec {
    /// One-way latency of every message.
    pub latency: Latency,
    /// Independent probability that a message is lost, in `[0, 1]`.
    pub loss: f64,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(10),
            },
            loss: 0.0,
        }
    }
}

/// A strategy under a name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StrategySpec {
    /// The name reports use.
    pub name: String,
    /// The protocol and its parameters.
    pub protocol: Protocol,
}

/// A dissemination protocol with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Rumor mongering (SIR), push.
    Rumor(RumorConfig),
    /// Anti-entropy (SI) with full-state exchange.
    AntiEntropy(AntiEntropyConfig),
    /// A deliberately broken protocol from the bug zoo, for testing the checkers.
    Zoo(ZooConfig),
}

impl Protocol {
    /// The conflict rule its nodes apply.
    pub fn conflict_rule(&self) -> ConflictRule {
        match self {
            Protocol::Rumor(c) => c.conflict,
            Protocol::AntiEntropy(c) => c.conflict,
            Protocol::Zoo(c) => c.conflict,
        }
    }

    /// Whether the strategy promises that every update reaches every live node (anti-entropy
    /// does; rumor mongering alone leaves a residue by design). `no_lost_writes` applies by
    /// default only to strategies that promise delivery.
    pub fn promises_delivery(&self) -> bool {
        match self {
            Protocol::Rumor(_) => false,
            Protocol::AntiEntropy(_) | Protocol::Zoo(_) => true,
        }
    }

    /// A short description of the protocol family and its key parameters.
    pub fn describe(&self) -> String {
        match self {
            Protocol::Rumor(c) => format!(
                "rumor push {:?} k={} fanout={} every {}",
                c.removal, c.k, c.fanout, c.period
            ),
            Protocol::AntiEntropy(c) => {
                format!("anti-entropy {:?} full-state every {}", c.mode, c.period)
            }
            Protocol::Zoo(c) => format!("BROKEN ON PURPOSE: {} every {}", c.bug.name(), c.period),
        }
    }
}

/// The checks a scenario asks for.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Checks {
    /// Every live node holds the same state within a bound after the last heal.
    pub convergence: Option<ConvergenceCheck>,
    /// The residue stays at or below a bound.
    pub residue: Option<ResidueCheck>,
    /// Every acknowledged write that reached a node which kept its state reaches every live
    /// node. By default it applies only to strategies that promise delivery.
    pub no_lost_writes: Option<ScopedCheck>,
    /// No node ever holds a value no client wrote.
    pub no_phantoms: Option<ScopedCheck>,
    /// No node ever moves a key back to a version its conflict rule ranks lower.
    pub monotonic_versions: Option<ScopedCheck>,
    /// The converged value of each key is the one the conflict rule selects from the writes.
    pub conflict_resolution: Option<ScopedCheck>,
    /// Bounds on measures: t_last, stable-latency percentile, traffic.
    pub bounds: Option<BoundsCheck>,
    /// Checks this scenario is expected to fail (the bug zoo): `hearsay run` still exits 1 when
    /// they fail, while the regression suite counts the failure as a pass — and counts it as a
    /// failure the day the bug stops being caught.
    pub expect_failure: Vec<String>,
}

/// A check that may be limited to some strategies.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct ScopedCheck {
    /// The strategies it applies to; `None` means the check's default scope.
    pub strategies: Option<Vec<String>>,
}

/// Upper bounds on measures of every run.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct BoundsCheck {
    /// The last node learns every update within this long of its write.
    pub t_last: Option<SimDuration>,
    /// Messages sent per node over the run.
    pub msgs_per_node: Option<f64>,
    /// A stable-latency percentile bound: `(percentile in 0..=100, bound)`.
    pub stable_latency: Option<(f64, SimDuration)>,
    /// The strategies it applies to; `None` means all.
    pub strategies: Option<Vec<String>>,
}

/// The names of every check, as written in scenario files and reported in results.
pub const CHECK_NAMES: &[&str] = &[
    "convergence",
    "residue",
    "no_lost_writes",
    "no_phantoms",
    "monotonic_versions",
    "conflict_resolution",
    "bounds",
];

/// The convergence check: after the last heal (or the start, if nothing heals), every live
/// node's state fingerprint is equal within `within`, and stays equal to the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvergenceCheck {
    /// The bound.
    pub within: SimDuration,
    /// The strategies it applies to; `None` means all.
    pub strategies: Option<Vec<String>>,
}

/// The residue check: at most `max` of the live nodes may miss an update.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResidueCheck {
    /// The bound, in `[0, 1]`.
    pub max: f64,
    /// The strategies it applies to; `None` means all.
    pub strategies: Option<Vec<String>>,
}

/// A scenario value that breaks a rule, with the path of the offending field
/// (e.g. `network.loss`, `strategies[1].name`) so a loader can point at its source location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValidationError {
    /// Dotted path of the field, with `[i]` for list items.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ValidationError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Scenario {
    /// Checks every rule a scenario must satisfy, reporting the first broken one.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new("name", "must not be empty"));
        }
        if self.nodes == 0 {
            return Err(ValidationError::new("nodes", "must be at least 1, got 0"));
        }
        if self.duration == SimDuration::ZERO {
            return Err(ValidationError::new("duration", "must be longer than 0s"));
        }
        if self.seeds.is_empty() {
            return Err(ValidationError::new("seeds", "must name at least one seed"));
        }
        if !(0.0..=1.0).contains(&self.network.loss) || self.network.loss.is_nan() {
            return Err(ValidationError::new(
                "network.loss",
                format!("must be a probability in [0, 1], got {}", self.network.loss),
            ));
        }
        if let Err(e) = self.network.latency.check() {
            return Err(ValidationError::new("network.latency", e));
        }
        if self.sample_every == SimDuration::ZERO {
            return Err(ValidationError::new(
                "sample_every",
                "must be longer than 0s",
            ));
        }
        if self.strategies.is_empty() {
            return Err(ValidationError::new(
                "strategies",
                "must list at least one strategy",
            ));
        }
        for (i, s) in self.strategies.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err(ValidationError::new(
                    format!("strategies[{i}].name"),
                    "must not be empty",
                ));
            }
            if self.strategies[..i].iter().any(|o| o.name == s.name) {
                return Err(ValidationError::new(
                    format!("strategies[{i}].name"),
                    format!("duplicate strategy name `{}`", s.name),
                ));
            }
            let (period, what) = match &s.protocol {
                Protocol::Rumor(c) => {
                    if c.fanout == 0 {
                        return Err(ValidationError::new(
                            format!("strategies[{i}].fanout"),
                            "must be at least 1",
                        ));
                    }
                    if c.k == 0 {
                        return Err(ValidationError::new(
                            format!("strategies[{i}].k"),
                            "must be at least 1",
                        ));
                    }
                    (c.period, "period")
                }
                Protocol::Zoo(c) => (c.period, "period"),
                Protocol::AntiEntropy(c) => {
                    if c.fanout == 0 {
                        return Err(ValidationError::new(
                            format!("strategies[{i}].fanout"),
                            "must be at least 1",
                        ));
                    }
                    (c.period, "period")
                }
            };
            if period == SimDuration::ZERO {
                return Err(ValidationError::new(
                    format!("strategies[{i}].{what}"),
                    "must be longer than 0s",
                ));
            }
        }
        let known = |list: &Option<Vec<String>>, path: &str| -> Result<(), ValidationError> {
            for (j, name) in list.iter().flatten().enumerate() {
                if !self.strategies.iter().any(|s| &s.name == name) {
                    return Err(ValidationError::new(
                        format!("{path}.strategies[{j}]"),
                        format!("no strategy named `{name}`"),
                    ));
                }
            }
            Ok(())
        };
        if let Some(c) = &self.checks.convergence {
            known(&c.strategies, "checks.convergence")?;
        }
        if let Some(c) = &self.checks.residue {
            if !(0.0..=1.0).contains(&c.max) || c.max.is_nan() {
                return Err(ValidationError::new(
                    "checks.residue.max",
                    format!("must be a fraction in [0, 1], got {}", c.max),
                ));
            }
            known(&c.strategies, "checks.residue")?;
        }
        for (j, name) in self.checks.expect_failure.iter().enumerate() {
            if !CHECK_NAMES.contains(&name.as_str()) {
                return Err(ValidationError::new(
                    format!("checks.expect_failure[{j}]"),
                    format!(
                        "no check named `{name}` (checks: {})",
                        CHECK_NAMES.join(", ")
                    ),
                ));
            }
        }
        for (name, scope) in [
            ("no_lost_writes", &self.checks.no_lost_writes),
            ("no_phantoms", &self.checks.no_phantoms),
            ("monotonic_versions", &self.checks.monotonic_versions),
            ("conflict_resolution", &self.checks.conflict_resolution),
        ] {
            if let Some(c) = scope {
                known(&c.strategies, &format!("checks.{name}"))?;
            }
        }
        if let Some(b) = &self.checks.bounds {
            known(&b.strategies, "checks.bounds")?;
            if let Some((p, _)) = b.stable_latency
                && !(0.0..=100.0).contains(&p)
            {
                return Err(ValidationError::new(
                    "checks.bounds.stable_latency",
                    format!("the percentile must be within 0..=100, got {p}"),
                ));
            }
        }
        super::workload_rules::validate_workload(&self.workload, self.nodes, self.duration)?;
        Ok(())
    }

    /// Whether a check scoped to `strategies` applies to the strategy named `name`.
    pub fn applies(strategies: &Option<Vec<String>>, name: &str) -> bool {
        strategies
            .as_ref()
            .is_none_or(|l| l.iter().any(|s| s == name))
    }
}
