//! The validated scenario model shared by the YAML loader, the builder and the runner.

use hearsay_faults::FaultSchedule;
pub use hearsay_faults::Latency;
use hearsay_protocols::ConflictRule;
use hearsay_protocols::SimDuration;
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, MAX_MERKLE_DEPTH, Reconciliation};
use hearsay_protocols::direct_mail::DirectMailConfig;
use hearsay_protocols::flow_control::MIN_MTU;
use hearsay_protocols::push_then_pull::PushThenPullConfig;
use hearsay_protocols::rumor::RumorConfig;
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyConfig;
use hearsay_protocols::zoo::ZooConfig;
use hearsay_protocols::{Key, NodeId, SimTime, Version, Versioned, VersionedStore};
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
    /// What every node holds before the run starts, if anything.
    pub preload: Option<Preload>,
    /// What goes wrong, when.
    pub faults: FaultSchedule,
    /// What must hold.
    pub checks: Checks,
    /// How often the emulator samples whether the cluster has converged. Convergence times
    /// are measured to this resolution.
    pub sample_every: SimDuration,
    /// End each run as soon as every client operation and fault has happened and every live
    /// node holds the same state (`duration` is then the longest a run may last).
    pub stop_when_converged: bool,
}

/// The replica every node present at the start holds before time 0 (`preload: { keys: N }`):
/// keys `0..keys`, each with its own number as value, all under [`PRELOAD_VERSION`]. It is
/// state, not writes: nothing is sent or learned for it, and the measures of the workload's
/// writes do not count it. A node whose disk is wiped later (or that joins later) starts empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Preload {
    /// How many keys (at least 1, at most [`MAX_PRELOAD_KEYS`]).
    pub keys: u64,
}

/// The version of every preloaded entry: stamped 0 µs, written by an id no node has (the
/// highest), so that no client write can carry the same version. Under last-write-wins every
/// write stamped after 0 µs supersedes it (a skewed clock that reads 0 stamps writes that tie
/// and lose); under first-write-wins a preloaded key never changes.
pub const PRELOAD_VERSION: Version = Version {
    stamp: 0,
    writer: NodeId(u32::MAX),
};

/// The most keys a preload may hold: a typo should be an error, not an attempt to allocate.
pub const MAX_PRELOAD_KEYS: u64 = 1_000_000;

/// The most preloaded entries over the whole cluster (nodes × keys): at 32 bytes an entry,
/// 10^9 of them are 32 GB.
pub const MAX_PRELOAD_ENTRIES: u64 = 1_000_000_000;

impl Preload {
    /// The preloaded entries, in key order.
    pub fn entries(&self) -> Vec<(Key, Versioned)> {
        (0..self.keys)
            .map(|key| {
                (
                    key,
                    Versioned {
                        value: key,
                        version: PRELOAD_VERSION,
                    },
                )
            })
            .collect()
    }

    /// The preloaded replica, built once per run and copied into every node.
    pub fn store(&self) -> VersionedStore {
        VersionedStore::from_sorted(self.entries()).expect("keys 0..n are in increasing order")
    }

    /// The rules of a preload over `nodes` nodes whose clients do `workload`.
    fn validate(&self, nodes: u32, workload: &Workload) -> Result<(), ValidationError> {
        if self.keys == 0 {
            return Err(ValidationError::new("preload.keys", "must be at least 1"));
        }
        if self.keys > MAX_PRELOAD_KEYS {
            return Err(ValidationError::new(
                "preload.keys",
                format!("must be at most {MAX_PRELOAD_KEYS}, got {}", self.keys),
            ));
        }
        let entries = self.keys.saturating_mul(u64::from(nodes));
        if entries > MAX_PRELOAD_ENTRIES {
            let bytes = entries as f64 * std::mem::size_of::<(Key, Versioned)>() as f64;
            return Err(ValidationError::new(
                "preload.keys",
                format!(
                    "{} keys on each of {nodes} nodes is {entries} entries (about {:.0} GB); \
                     at most {MAX_PRELOAD_ENTRIES} are allowed",
                    self.keys,
                    bytes / 1e9
                ),
            ));
        }
        // A write stamped 0 µs would tie with the preload's stamp and lose the tie-break:
        // silently, as far as the person who wrote `at: 0s` is concerned.
        let first_microsecond = SimTime::from_duration(SimDuration::from_micros(1));
        for part in workload.parts() {
            let starts: Vec<(String, SimTime)> = match part {
                Workload::SingleRumor(w) => vec![("single_rumor.at".into(), w.at)],
                Workload::Writes(w) => vec![("writes.from".into(), w.from)],
                Workload::Conflicts(w) => vec![("conflicts.at".into(), w.at)],
                Workload::Ramp(w) => vec![("ramp.start".into(), w.start)],
                Workload::Scripted(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("writes[{i}].at"), s.at))
                    .collect(),
                Workload::Reads(_) | Workload::Combined(_) => Vec::new(),
            };
            if let Some((path, at)) = starts.into_iter().find(|(_, at)| *at < first_microsecond) {
                return Err(ValidationError::new(
                    format!("workload.{path}"),
                    format!(
                        "with `preload`, writes must start after 0s (got {at}): the preloaded \
                         version is stamped 0s and would win a tie with a write stamped in the \
                         run's first microsecond"
                    ),
                ));
            }
        }
        Ok(())
    }
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
    /// The largest message in bytes, if any. Every strategy is told (it sends the newest
    /// updates first and carries the rest over); the emulator counts messages that exceed it
    /// as `oversize`.
    pub mtu: Option<u32>,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(10),
            },
            loss: 0.0,
            mtu: None,
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
    /// Rumor mongering (SIR): push, pull or push-pull, four removal rules.
    Rumor(RumorConfig),
    /// Anti-entropy (SI): push, pull or push-pull, four reconciliation methods.
    AntiEntropy(AntiEntropyConfig),
    /// A deliberately broken protocol from the bug zoo, for testing the checkers.
    Zoo(ZooConfig),
    /// Direct mail: the origin mails every member, with acknowledgements and retries.
    DirectMail(DirectMailConfig),
    /// Push while an update is young, then pull.
    PushThenPull(PushThenPullConfig),
    /// Rumor mongering with a slower anti-entropy removing the residue.
    RumorWithAntiEntropy(RumorWithAntiEntropyConfig),
}

impl Protocol {
    /// The conflict rule its nodes apply.
    pub fn conflict_rule(&self) -> ConflictRule {
        match self {
            Protocol::Rumor(c) => c.conflict,
            Protocol::AntiEntropy(c) => c.conflict,
            Protocol::Zoo(c) => c.conflict,
            Protocol::DirectMail(c) => c.conflict,
            Protocol::PushThenPull(c) => c.conflict,
            Protocol::RumorWithAntiEntropy(c) => c.anti_entropy.conflict,
        }
    }

    /// Whether the strategy promises that every update reaches every live node (anti-entropy
    /// does, alone or behind rumors; rumor mongering and push-then-pull leave a residue by
    /// design; direct mail gives up when its retry queue overflows). `no_lost_writes` applies
    /// by default only to strategies that promise delivery.
    pub fn promises_delivery(&self) -> bool {
        match self {
            Protocol::Rumor(_) | Protocol::DirectMail(_) | Protocol::PushThenPull(_) => false,
            Protocol::AntiEntropy(_) | Protocol::RumorWithAntiEntropy(_) | Protocol::Zoo(_) => true,
        }
    }

    /// A short description of the protocol family and its key parameters.
    pub fn describe(&self) -> String {
        match self {
            Protocol::Rumor(c) => describe_rumor(c),
            Protocol::AntiEntropy(c) => describe_anti_entropy(c),
            Protocol::DirectMail(c) => format!(
                "direct mail, ack timeout {}, retry queue {}, {} retries",
                c.ack_timeout, c.retry_queue, c.max_retries
            ),
            Protocol::PushThenPull(c) => format!(
                "push-then-pull switch at {} for {} rounds, fanout={} every {}",
                c.switch_round
                    .map_or("log2(n)".to_string(), |r| format!("round {r}")),
                c.pull_rounds
                    .map_or("log2(log2(n))+2".to_string(), |r| r.to_string()),
                c.fanout,
                c.period
            ),
            Protocol::RumorWithAntiEntropy(c) => format!(
                "{} backed by {}",
                describe_rumor(&c.rumor),
                describe_anti_entropy(&c.anti_entropy)
            ),
            Protocol::Zoo(c) => format!("BROKEN ON PURPOSE: {} every {}", c.bug.name(), c.period),
        }
    }

    /// The protocol with its message size limit set to `mtu` (when there is one); the runner
    /// passes the scenario's `network.mtu` through here.
    pub fn with_mtu(self, mtu: Option<u32>) -> Protocol {
        let Some(mtu) = mtu else { return self };
        match self {
            Protocol::Rumor(c) => Protocol::Rumor(RumorConfig {
                mtu: Some(mtu),
                ..c
            }),
            Protocol::AntiEntropy(c) => Protocol::AntiEntropy(AntiEntropyConfig {
                mtu: Some(mtu),
                ..c
            }),
            Protocol::DirectMail(c) => Protocol::DirectMail(DirectMailConfig {
                mtu: Some(mtu),
                ..c
            }),
            Protocol::PushThenPull(c) => Protocol::PushThenPull(PushThenPullConfig {
                mtu: Some(mtu),
                ..c
            }),
            Protocol::RumorWithAntiEntropy(c) => {
                Protocol::RumorWithAntiEntropy(RumorWithAntiEntropyConfig {
                    rumor: RumorConfig {
                        mtu: Some(mtu),
                        ..c.rumor
                    },
                    anti_entropy: AntiEntropyConfig {
                        mtu: Some(mtu),
                        ..c.anti_entropy
                    },
                })
            }
            // The zoo's bugs are elsewhere; it ignores the MTU.
            Protocol::Zoo(c) => Protocol::Zoo(c),
        }
    }
}

fn describe_rumor(c: &RumorConfig) -> String {
    format!(
        "rumor {:?} {:?} k={} fanout={} every {}",
        c.mode, c.removal, c.k, c.fanout, c.period
    )
}

fn describe_anti_entropy(c: &AntiEntropyConfig) -> String {
    format!(
        "anti-entropy {:?} {} every {}",
        c.mode,
        c.reconciliation.name(),
        c.period
    )
}

/// The longest lifetime of a push-then-pull update, in rounds (ages travel as 16-bit numbers).
pub const MAX_PUSH_THEN_PULL_ROUNDS: u32 = 10_000;

fn at_least_one(value: u32, path: String) -> Result<(), ValidationError> {
    if value == 0 {
        return Err(ValidationError::new(path, "must be at least 1"));
    }
    Ok(())
}

fn positive(d: SimDuration, path: String) -> Result<(), ValidationError> {
    if d == SimDuration::ZERO {
        return Err(ValidationError::new(path, "must be longer than 0s"));
    }
    Ok(())
}

/// The rules of a rumor configuration; `at` is the path of its fields' parent.
fn validate_rumor(c: &RumorConfig, at: &str) -> Result<(), ValidationError> {
    at_least_one(c.fanout, format!("{at}.fanout"))?;
    at_least_one(c.k, format!("{at}.k"))?;
    positive(c.period, format!("{at}.period"))
}

/// The rules of an anti-entropy configuration; `at` is the path of its fields' parent.
fn validate_anti_entropy(c: &AntiEntropyConfig, at: &str) -> Result<(), ValidationError> {
    at_least_one(c.fanout, format!("{at}.fanout"))?;
    match c.reconciliation {
        Reconciliation::RecentUpdates { window } => positive(window, format!("{at}.window"))?,
        Reconciliation::Merkle { depth } if !(1..=MAX_MERKLE_DEPTH).contains(&depth) => {
            return Err(ValidationError::new(
                format!("{at}.merkle_depth"),
                format!(
                    "must be from 1 to {MAX_MERKLE_DEPTH} (16^depth leaf buckets), got {depth}"
                ),
            ));
        }
        _ => {}
    }
    positive(c.period, format!("{at}.period"))
}

fn validate_direct_mail(c: &DirectMailConfig, at: &str) -> Result<(), ValidationError> {
    positive(c.ack_timeout, format!("{at}.ack_timeout"))
}

fn validate_push_then_pull(c: &PushThenPullConfig, at: &str) -> Result<(), ValidationError> {
    at_least_one(c.fanout, format!("{at}.fanout"))?;
    if c.switch_round == Some(0) && c.pull_rounds == Some(0) {
        return Err(ValidationError::new(
            format!("{at}.pull_rounds"),
            "with `switch_round: 0` and `pull_rounds: 0` an update would never be sent",
        ));
    }
    for (value, field) in [
        (c.switch_round, "switch_round"),
        (c.pull_rounds, "pull_rounds"),
    ] {
        if let Some(v) = value
            && v > MAX_PUSH_THEN_PULL_ROUNDS
        {
            return Err(ValidationError::new(
                format!("{at}.{field}"),
                format!("must be at most {MAX_PUSH_THEN_PULL_ROUNDS} rounds, got {v}"),
            ));
        }
    }
    positive(c.period, format!("{at}.period"))
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
        if let Some(mtu) = self.network.mtu
            && mtu < MIN_MTU
        {
            return Err(ValidationError::new(
                "network.mtu",
                format!(
                    "must be at least {MIN_MTU} bytes (a header and one update must fit), got {mtu}"
                ),
            ));
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
            let at = format!("strategies[{i}]");
            match &s.protocol {
                Protocol::Rumor(c) => validate_rumor(c, &at)?,
                Protocol::AntiEntropy(c) => validate_anti_entropy(c, &at)?,
                Protocol::DirectMail(c) => validate_direct_mail(c, &at)?,
                Protocol::PushThenPull(c) => validate_push_then_pull(c, &at)?,
                Protocol::RumorWithAntiEntropy(c) => {
                    let section = format!("{at}.rumor_with_anti_entropy");
                    validate_rumor(&c.rumor, &format!("{section}.rumor"))?;
                    validate_anti_entropy(&c.anti_entropy, &format!("{section}.anti_entropy"))?;
                }
                Protocol::Zoo(c) => {
                    if c.period == SimDuration::ZERO {
                        return Err(ValidationError::new(
                            format!("{at}.zoo.period"),
                            "must be longer than 0s",
                        ));
                    }
                }
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
        if let Some(p) = &self.preload {
            p.validate(self.nodes, &self.workload)?;
        }
        Ok(())
    }

    /// Whether a check scoped to `strategies` applies to the strategy named `name`.
    pub fn applies(strategies: &Option<Vec<String>>, name: &str) -> bool {
        strategies
            .as_ref()
            .is_none_or(|l| l.iter().any(|s| s == name))
    }
}
