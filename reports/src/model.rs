//! The result data model: what one run measured and what its checks concluded.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a check held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The invariant held.
    Pass,
    /// The invariant was violated; the outcome's detail holds the evidence.
    Fail,
    /// The check does not apply to this strategy (e.g. it was scoped to other strategies).
    NotApplicable,
}

/// The outcome of one named check on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// The check's name, e.g. `convergence`.
    pub name: String,
    /// Whether it held.
    pub verdict: Verdict,
    /// A one-line explanation: the measured value against the bound, or the evidence of a
    /// failure (which nodes, which versions, which times).
    pub detail: String,
}

/// Messages and bytes put on the network, and what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficCounts {
    /// Messages nodes sent.
    pub sent: u64,
    /// Bytes nodes sent.
    pub sent_bytes: u64,
    /// Messages delivered to a live node.
    pub delivered: u64,
    /// Messages lost to random loss.
    pub lost: u64,
    /// Messages dropped by a partition.
    pub partitioned: u64,
    /// Messages addressed to a crashed node.
    pub to_crashed: u64,
}

/// The fraction of live nodes that knew the tracked update at a point in time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoveragePoint {
    /// Seconds since the update was written.
    pub t: f64,
    /// Fraction of live nodes that knew it, 0..=1.
    pub fraction: f64,
}

/// A fault window as recorded in results (times in seconds since the run started).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultWindowRecord {
    /// What the fault was.
    pub kind: String,
    /// Start, in seconds.
    pub start: f64,
    /// End, in seconds, or `None` if it lasted to the end of the run.
    pub end: Option<f64>,
}

/// The measures of one run, as the literature defines them.
///
/// Times are seconds of simulated time. Per-update measures (residue, t_avg, t_last) are
/// averaged over the run's client writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Fraction of nodes alive at the end that never learned an update.
    pub residue: f64,
    /// Traffic m: messages sent per node (over the whole run).
    pub msgs_per_node: f64,
    /// Bytes sent per node (over the whole run).
    pub bytes_per_node: f64,
    /// Mean time from the write until a node learned it, over nodes that learned it.
    pub t_avg: Option<f64>,
    /// Time from the write until the last node that learned it did so.
    pub t_last: Option<f64>,
    /// Time from the last heal (or from the start, without faults) until every live node held
    /// the same state for good; `None` if that never happened.
    pub convergence: Option<f64>,
    /// Deliveries of entries the receiver already held, as a fraction of all entry deliveries.
    pub redundancy: f64,
    /// Messages sent per successful client operation.
    #[serde(default)]
    pub msgs_per_op: Option<f64>,
    /// Stable latency: from a write's acknowledgement until every live node holds it (or a
    /// version that supersedes it), over the writes that got there.
    #[serde(default)]
    pub stable_latency: Option<LatencyPercentiles>,
    /// Fraction of successful reads that returned something older than the newest write
    /// acknowledged before the read.
    #[serde(default)]
    pub stale_reads: Option<f64>,
    /// Mean age of the stale reads: seconds since the newer write they missed was acknowledged.
    #[serde(default)]
    pub staleness_mean: Option<f64>,
    /// For a rate ramp: the first write rate (per second) at which the gossip channel
    /// saturated — stable latency more than doubled over the first step, or more than 5% of
    /// the step's writes never became stable. `None` if it never did, or without a ramp.
    #[serde(default)]
    pub saturation_rate: Option<f64>,
}

/// Percentiles of a latency distribution, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyPercentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
    /// Samples (writes that became stable).
    pub count: u64,
    /// Writes that never became stable by the end of the run.
    pub never: u64,
}

impl LatencyPercentiles {
    /// Nearest-rank percentiles of `samples` (seconds); `never` counts the missing ones.
    pub fn of(samples: &[f64], never: u64) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[(((p / 100.0) * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(LatencyPercentiles {
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: v[v.len() - 1],
            count: v.len() as u64,
            never,
        })
    }

    /// The percentile `p` (one of 50, 95, 99, or anything else for the maximum).
    pub fn get(&self, p: f64) -> f64 {
        match p {
            50.0 => self.p50,
            95.0 => self.p95,
            99.0 => self.p99,
            _ => self.max,
        }
    }
}

/// One step of a rate ramp, as measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RampStepResult {
    /// The step's write rate, per second.
    pub rate: f64,
    /// Writes issued during the step.
    pub writes: u64,
    /// 95th percentile of their stable latency, in seconds.
    pub p95_stable: Option<f64>,
    /// How many of them never became stable.
    pub never_stable: u64,
}

/// Everything one run of one strategy under one seed produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The strategy's name from the scenario.
    pub strategy: String,
    /// The seed.
    pub seed: u64,
    /// Cluster size.
    pub nodes: u32,
    /// Nodes alive at the end of the run.
    pub live_nodes: u32,
    /// The trace fingerprint: a hash over every event the emulator processed, in order, as 16
    /// hex digits. Same scenario and seed give the same fingerprint, byte for byte.
    pub fingerprint: String,
    /// Events the emulator processed.
    pub events: u64,
    /// The measures.
    pub metrics: RunMetrics,
    /// Network counts.
    pub traffic: TrafficCounts,
    /// Coverage of the first tracked update over time.
    pub coverage: Vec<CoveragePoint>,
    /// The faults and when they were in force.
    pub faults: Vec<FaultWindowRecord>,
    /// The checks and their verdicts.
    pub checks: Vec<CheckOutcome>,
    /// Protocol- and fault-specific counts by name (e.g. `mtu-deferred`), summed over the run.
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    /// For a rate-ramp workload: each step's measures.
    #[serde(default)]
    pub ramp: Vec<RampStepResult>,
    /// Simulated seconds at which the run ended: the scenario's duration, or earlier if
    /// `stop_when_converged` ended it once the cluster agreed.
    #[serde(default)]
    pub ended_at: f64,
    /// Run time, in seconds, at which the tracked update (the one [`RunResult::coverage`]
    /// follows) was written: coverage time 0 is this moment of the run.
    #[serde(default)]
    pub coverage_start: f64,
    /// For every successful client write, in write order: its stable latency, the seconds from
    /// the write's acknowledgement until every node alive at the end held it (or a later
    /// version); `None` if that never happened before the run ended.
    #[serde(default)]
    pub stable_latencies: Vec<Option<f64>>,
    /// Messages sent over time, counted per fixed interval.
    #[serde(default)]
    pub sends_over_time: SendSeries,
}

/// A count of messages sent per fixed interval of simulated time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SendSeries {
    /// The interval's length, in seconds.
    pub interval: f64,
    /// Messages sent in each interval; interval `i` covers `[i·interval, (i+1)·interval)`.
    pub counts: Vec<u64>,
}

/// A strategy's protocol and parameters, as reports need them: for labels, sweep tables and
/// the analytic overlays (which apply only to some protocols).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyInfo {
    /// The strategy's name from the scenario.
    pub name: String,
    /// The protocol family, e.g. `rumor` or `anti-entropy`.
    pub protocol: String,
    /// A one-line description of the protocol and its key parameters.
    pub description: String,
    /// Parameters by name: numbers (durations in seconds, e.g. `period`) or words (e.g.
    /// `removal: feedback-counter`).
    pub params: BTreeMap<String, ParamValue>,
}

impl StrategyInfo {
    /// A numeric parameter, if the strategy has it.
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.params.get(key) {
            Some(ParamValue::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// A word parameter, if the strategy has it.
    pub fn word(&self, key: &str) -> Option<&str> {
        match self.params.get(key) {
            Some(ParamValue::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// One parameter's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number (durations in seconds).
    Number(f64),
    /// A word.
    Text(String),
}

impl StrategyInfo {
    /// The parameters as `key=value` for people: durations (`period`, `*_period`,
    /// `*timeout`, `*interval`) in seconds get their unit.
    pub fn params_text(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| {
                let timed = k == "period"
                    || k.ends_with("_period")
                    || k.ends_with("timeout")
                    || k.ends_with("interval");
                match v {
                    ParamValue::Number(n) if timed => format!("{k}={n}s"),
                    _ => format!("{k}={v}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(n) => write!(f, "{n}"),
            ParamValue::Text(t) => f.write_str(t),
        }
    }
}

impl RunResult {
    /// True if no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
    }

    /// The first failed check, if any.
    pub fn first_failure(&self) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.verdict == Verdict::Fail)
    }
}

/// All runs of one scenario: every strategy under every seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The JSON schema version ([`crate::RESULTS_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// Cluster size.
    pub nodes: u32,
    /// Strategy names in scenario order.
    pub strategies: Vec<String>,
    /// The seeds run, in order.
    pub seeds: Vec<u64>,
    /// Every run, grouped by strategy in scenario order, then by seed.
    pub runs: Vec<RunResult>,
    /// Checks the scenario declares it must fail (the bug zoo).
    #[serde(default)]
    pub expect_failure: Vec<String>,
    /// How long each run lasted, in seconds of simulated time.
    #[serde(default)]
    pub duration: f64,
    /// The network's independent loss probability.
    #[serde(default)]
    pub loss: f64,
    /// Each strategy's protocol and parameters, in scenario order.
    #[serde(default)]
    pub strategy_info: Vec<StrategyInfo>,
}

impl ScenarioResult {
    /// True if every check of every run held.
    pub fn passed(&self) -> bool {
        self.runs.iter().all(RunResult::passed)
    }

    /// Whether the outcome is what the scenario declared: every check it expects to fail failed
    /// in at least one run (the bug was caught), and no other check failed. `Err` says why not.
    /// Without declared failures this is the same as [`ScenarioResult::passed`].
    pub fn meets_expectations(&self) -> Result<(), String> {
        for expected in &self.expect_failure {
            let caught = self.runs.iter().any(|r| {
                r.checks
                    .iter()
                    .any(|c| &c.name == expected && c.verdict == Verdict::Fail)
            });
            if !caught {
                return Err(format!(
                    "expected check `{expected}` to fail, but it held in all {} runs: the bug is no longer caught",
                    self.runs.len()
                ));
            }
        }
        for r in &self.runs {
            if let Some(c) = r
                .checks
                .iter()
                .find(|c| c.verdict == Verdict::Fail && !self.expect_failure.contains(&c.name))
            {
                return Err(format!(
                    "{} seed {}: check `{}` failed unexpectedly: {}",
                    r.strategy, r.seed, c.name, c.detail
                ));
            }
        }
        Ok(())
    }

    /// The protocol and parameters of the strategy named `name`, if recorded.
    pub fn info(&self, name: &str) -> Option<&StrategyInfo> {
        self.strategy_info.iter().find(|i| i.name == name)
    }

    /// The runs of one strategy, in seed order.
    pub fn runs_of<'a>(&'a self, strategy: &'a str) -> impl Iterator<Item = &'a RunResult> + 'a {
        self.runs.iter().filter(move |r| r.strategy == strategy)
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("results serialize to JSON")
    }

    /// Reads results written by [`ScenarioResult::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}
