//! The regression suite's judgement: a scenario's results against what it is expected to do —
//! its checks' verdicts against the expectation (every check holds, or named checks must
//! fail), and its metrics against a stored [`Baseline`] with tolerances.
//!
//! [`judge_scenario`] is the one place that decides pass or fail for `hearsay check`; each
//! finding names the run (strategy, seed, fingerprint) that shows it, so the command line can
//! print the exact replay command.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{ScenarioResult, Verdict};
use crate::summary::{StrategySummary, summarize};

/// The version of the baseline file format.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// A scenario's blessed metrics: per strategy, the mean of each metric over the seeds with the
/// tolerance a later run may differ by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The seeds the baseline was measured over.
    pub seeds: Vec<u64>,
    /// One entry per strategy, in scenario order.
    pub strategies: Vec<StrategyBaseline>,
}

/// One strategy's blessed metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyBaseline {
    /// The strategy's name.
    pub strategy: String,
    /// Metric name → blessed value and tolerance. Names: `residue`, `msgs_per_node`,
    /// `bytes_per_node`, `redundancy`, `t_avg`, `t_last`, `convergence` (means over seeds; a
    /// time is absent, `null`, when no run measured it) and `never_converged` (a count).
    pub metrics: BTreeMap<String, BaselineMetric>,
    /// Seed → trace fingerprint when blessed. Informational: a changed fingerprint within
    /// tolerance passes, but is reported.
    #[serde(default)]
    pub fingerprints: BTreeMap<String, String>,
}

/// A blessed value and how far a new value may stray: `|new - value| <= abs + rel·|value|`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineMetric {
    /// The blessed value (`None`: not measured).
    pub value: Option<f64>,
    /// Absolute tolerance.
    #[serde(default)]
    pub abs: f64,
    /// Relative tolerance (a fraction of the blessed value).
    #[serde(default)]
    pub rel: f64,
}

impl BaselineMetric {
    /// Whether `current` is within tolerance.
    pub fn accepts(&self, current: Option<f64>) -> bool {
        match (self.value, current) {
            (None, None) => true,
            (Some(v), Some(c)) => (c - v).abs() <= self.abs + self.rel * v.abs() + 1e-12,
            _ => false,
        }
    }

    /// The largest difference allowed.
    pub fn allowed(&self) -> f64 {
        self.abs + self.rel * self.value.unwrap_or(0.0).abs()
    }
}

/// The default tolerances, by metric: `(abs, rel)`.
pub fn default_tolerance(metric: &str) -> (f64, f64) {
    match metric {
        "residue" | "redundancy" => (0.01, 0.10),
        "msgs_per_node" | "bytes_per_node" => (0.0, 0.05),
        "t_avg" | "t_last" | "convergence" => (0.05, 0.10),
        _ => (0.0, 0.0),
    }
}

/// The metrics of a strategy summary, by baseline name.
fn metric_values(s: &StrategySummary) -> Vec<(&'static str, Option<f64>)> {
    let with_runs = |v: f64| (s.runs > 0).then_some(v);
    vec![
        ("residue", with_runs(s.residue.mean)),
        ("msgs_per_node", with_runs(s.msgs_per_node.mean)),
        ("bytes_per_node", with_runs(s.bytes_per_node.mean)),
        ("redundancy", with_runs(s.redundancy.mean)),
        ("t_avg", s.t_avg.map(|x| x.mean)),
        ("t_last", s.t_last.map(|x| x.mean)),
        ("convergence", s.convergence.map(|x| x.mean)),
        ("never_converged", Some(s.never_converged as f64)),
    ]
}

impl Baseline {
    /// A baseline of `result` with the default tolerances, or with those of `previous` where it
    /// has the same strategy and metric (so tolerances edited by hand survive re-blessing).
    pub fn bless(result: &ScenarioResult, previous: Option<&Baseline>) -> Baseline {
        let strategies = summarize(result)
            .iter()
            .map(|s| {
                let old =
                    previous.and_then(|p| p.strategies.iter().find(|o| o.strategy == s.strategy));
                let metrics = metric_values(s)
                    .into_iter()
                    .map(|(name, value)| {
                        let (abs, rel) = old
                            .and_then(|o| o.metrics.get(name))
                            .map_or_else(|| default_tolerance(name), |m| (m.abs, m.rel));
                        (name.to_owned(), BaselineMetric { value, abs, rel })
                    })
                    .collect();
                StrategyBaseline {
                    strategy: s.strategy.clone(),
                    metrics,
                    fingerprints: result
                        .runs_of(&s.strategy)
                        .map(|r| (r.seed.to_string(), r.fingerprint.clone()))
                        .collect(),
                }
            })
            .collect();
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            scenario: result.scenario.clone(),
            seeds: result.seeds.clone(),
            strategies,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("baselines serialize") + "\n"
    }

    /// Reads a baseline written by [`Baseline::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A run that shows a finding, for the replay command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRef {
    /// The strategy.
    pub strategy: String,
    /// The seed.
    pub seed: u64,
    /// Its trace fingerprint (16 hex digits).
    pub fingerprint: String,
}

/// One reason a case failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What is wrong, in a line.
    pub message: String,
    /// The run to replay to see it.
    pub run: Option<RunRef>,
}

/// One judged case: it passed if it has no findings.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseJudgement {
    /// The case's name, e.g. `rumor: checks`.
    pub name: String,
    /// Why it failed; empty if it passed.
    pub findings: Vec<Finding>,
    /// Things worth knowing that are not failures (e.g. fingerprints changed within tolerance).
    pub notes: Vec<String>,
}

impl CaseJudgement {
    /// True if nothing was found wrong.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A check a scenario declares must fail (a known bug kept on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedFailure {
    /// The check's name.
    pub check: String,
    /// The strategies it must fail for; `None` means every strategy it applies to.
    pub strategies: Option<Vec<String>>,
}

/// What a scenario is expected to do. The default: every check holds on every run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// Checks that must fail (on at least one seed of each strategy they name), instead of
    /// hold.
    pub must_fail: Vec<ExpectedFailure>,
}

impl Expectation {
    /// The expected failure of `check` for `strategy`, if one is declared.
    fn expects_failure(&self, check: &str, strategy: &str) -> bool {
        self.must_fail.iter().any(|e| {
            e.check == check
                && e.strategies
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|s| s == strategy))
        })
    }
}

/// Judges a scenario's results: for each strategy, one case for its checks against the
/// expectation and one for its metrics against the baseline (or a single `baseline` case
/// saying there is none).
pub fn judge_scenario(
    result: &ScenarioResult,
    expectation: &Expectation,
    baseline: Option<&Baseline>,
) -> Vec<CaseJudgement> {
    let summaries = summarize(result);
    let mut cases = Vec::new();
    for s in &summaries {
        cases.push(judge_checks(result, s, expectation));
        if let Some(b) = baseline {
            cases.push(judge_baseline(result, s, b));
        }
    }
    match baseline {
        None => cases.push(CaseJudgement {
            name: "baseline".into(),
            findings: vec![Finding {
                message:
                    "no baseline stored for this scenario: bless one with `hearsay check --bless`"
                        .into(),
                run: None,
            }],
            notes: Vec::new(),
        }),
        Some(b) => {
            let mut findings = Vec::new();
            if b.seeds != result.seeds {
                findings.push(Finding {
                    message: format!(
                        "the baseline was blessed over seeds {:?} but the scenario ran {:?}: re-bless it",
                        b.seeds, result.seeds
                    ),
                    run: None,
                });
            }
            for old in &b.strategies {
                if !summaries.iter().any(|s| s.strategy == old.strategy) {
                    findings.push(Finding {
                        message: format!(
                            "strategy `{}` is in the baseline but did not run",
                            old.strategy
                        ),
                        run: None,
                    });
                }
            }
            if !findings.is_empty() {
                cases.push(CaseJudgement {
                    name: "baseline: strategies and seeds".into(),
                    findings,
                    notes: Vec::new(),
                });
            }
        }
    }
    cases
}

fn run_ref(r: &crate::model::RunResult) -> RunRef {
    RunRef {
        strategy: r.strategy.clone(),
        seed: r.seed,
        fingerprint: r.fingerprint.clone(),
    }
}

/// The checks of one strategy against the expectation.
fn judge_checks(
    result: &ScenarioResult,
    s: &StrategySummary,
    expectation: &Expectation,
) -> CaseJudgement {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let runs: Vec<&crate::model::RunResult> = result.runs_of(&s.strategy).collect();
    for tally in &s.checks {
        let expected_to_fail = expectation.expects_failure(&tally.name, &s.strategy);
        if expected_to_fail {
            if tally.failed == 0 && tally.passed > 0 {
                findings.push(Finding {
                    message: format!(
                        "check `{}` was expected to fail but held on all {} runs",
                        tally.name, tally.passed
                    ),
                    run: runs.first().map(|r| run_ref(r)),
                });
            } else if tally.failed > 0 {
                notes.push(format!(
                    "check `{}` failed as expected on {}/{} runs",
                    tally.name, tally.failed, s.runs
                ));
            }
            continue;
        }
        for r in &runs {
            for c in r
                .checks
                .iter()
                .filter(|c| c.name == tally.name && c.verdict == Verdict::Fail)
            {
                findings.push(Finding {
                    message: format!("seed {}: check `{}` failed: {}", r.seed, c.name, c.detail),
                    run: Some(run_ref(r)),
                });
            }
        }
    }
    for e in &expectation.must_fail {
        let applies = e
            .strategies
            .as_ref()
            .is_none_or(|l| l.contains(&s.strategy));
        if applies && e.strategies.is_some() && !s.checks.iter().any(|t| t.name == e.check) {
            findings.push(Finding {
                message: format!(
                    "check `{}` was expected to fail but the scenario does not run it",
                    e.check
                ),
                run: None,
            });
        }
    }
    CaseJudgement {
        name: format!("{}: checks", s.strategy),
        findings,
        notes,
    }
}

/// The metrics of one strategy against its baseline.
fn judge_baseline(
    result: &ScenarioResult,
    s: &StrategySummary,
    baseline: &Baseline,
) -> CaseJudgement {
    let name = format!("{}: baseline", s.strategy);
    let runs: Vec<&crate::model::RunResult> = result.runs_of(&s.strategy).collect();
    let Some(blessed) = baseline
        .strategies
        .iter()
        .find(|b| b.strategy == s.strategy)
    else {
        return CaseJudgement {
            name,
            findings: vec![Finding {
                message: format!("strategy `{}` has no baseline: re-bless", s.strategy),
                run: runs.first().map(|r| run_ref(r)),
            }],
            notes: Vec::new(),
        };
    };
    let mut findings = Vec::new();
    for (metric, current) in metric_values(s) {
        let Some(b) = blessed.metrics.get(metric) else {
            continue;
        };
        if b.accepts(current) {
            continue;
        }
        let show = |v: Option<f64>| v.map_or("none".to_owned(), |v| format!("{v:.6}"));
        // The seed to replay: the one whose own value is furthest from the blessed mean.
        let per_run = |r: &crate::model::RunResult| -> Option<f64> {
            match metric {
                "residue" => Some(r.metrics.residue),
                "msgs_per_node" => Some(r.metrics.msgs_per_node),
                "bytes_per_node" => Some(r.metrics.bytes_per_node),
                "redundancy" => Some(r.metrics.redundancy),
                "t_avg" => r.metrics.t_avg,
                "t_last" => r.metrics.t_last,
                "convergence" => r.metrics.convergence,
                _ => None,
            }
        };
        let worst = runs
            .iter()
            .max_by(|a, c| {
                let d = |r: &crate::model::RunResult| match (per_run(r), b.value) {
                    (Some(x), Some(v)) => (x - v).abs(),
                    (None, None) => 0.0,
                    _ => f64::INFINITY,
                };
                d(a).total_cmp(&d(c)).then(c.seed.cmp(&a.seed))
            })
            .copied();
        findings.push(Finding {
            message: format!(
                "{metric}: {} is outside the baseline {} ± {:.6}",
                show(current),
                show(b.value),
                b.allowed()
            ),
            run: worst.map(run_ref),
        });
    }
    let changed: Vec<String> = runs
        .iter()
        .filter(|r| {
            blessed
                .fingerprints
                .get(&r.seed.to_string())
                .is_some_and(|fp| *fp != r.fingerprint)
        })
        .map(|r| r.seed.to_string())
        .collect();
    let notes = if changed.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "trace fingerprints changed since blessing for seeds {} (metrics within tolerance)",
            changed.join(", ")
        )]
    };
    CaseJudgement {
        name,
        findings,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::two_by_three;

    #[test]
    fn a_fresh_baseline_passes_and_a_changed_metric_fails_with_the_worst_seed() {
        let result = two_by_three();
        let baseline = Baseline::bless(&result, None);
        assert_eq!(Baseline::from_json(&baseline.to_json()).unwrap(), baseline);
        let expectation = Expectation {
            must_fail: vec![ExpectedFailure {
                check: "convergence".into(),
                strategies: Some(vec!["rumor".into()]),
            }],
        };
        let cases = judge_scenario(&result, &expectation, Some(&baseline));
        assert!(cases.iter().all(CaseJudgement::passed), "{cases:#?}");
        assert_eq!(cases.len(), 4);

        let mut broken = baseline.clone();
        broken.strategies[1]
            .metrics
            .get_mut("msgs_per_node")
            .unwrap()
            .value = Some(10.0);
        let cases = judge_scenario(&result, &expectation, Some(&broken));
        let failed: Vec<&CaseJudgement> = cases.iter().filter(|c| !c.passed()).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].name, "anti-entropy: baseline");
        let f = &failed[0].findings[0];
        assert!(
            f.message
                .starts_with("msgs_per_node: 31.000000 is outside the baseline 10.000000"),
            "{}",
            f.message
        );
        let run = f.run.as_ref().unwrap();
        assert_eq!(
            (run.strategy.as_str(), run.seed),
            ("anti-entropy", 2),
            "the seed furthest off"
        );
    }

    #[test]
    fn unexpected_failures_and_missing_expected_ones_are_findings() {
        let result = two_by_three();
        let baseline = Baseline::bless(&result, None);
        let cases = judge_scenario(&result, &Expectation::default(), Some(&baseline));
        let rumor = cases.iter().find(|c| c.name == "rumor: checks").unwrap();
        assert_eq!(rumor.findings.len(), 1);
        assert_eq!(rumor.findings[0].run.as_ref().unwrap().seed, 2);

        let mut healthy = result.clone();
        for r in &mut healthy.runs {
            for c in &mut r.checks {
                if c.verdict == Verdict::Fail {
                    c.verdict = Verdict::Pass;
                }
            }
        }
        let expectation = Expectation {
            must_fail: vec![ExpectedFailure {
                check: "convergence".into(),
                strategies: None,
            }],
        };
        let cases = judge_scenario(&healthy, &expectation, Some(&baseline));
        let rumor = cases.iter().find(|c| c.name == "rumor: checks").unwrap();
        assert!(
            rumor.findings[0]
                .message
                .contains("expected to fail but held")
        );
    }

    #[test]
    fn no_baseline_is_a_failure_and_tolerances_survive_reblessing() {
        let result = two_by_three();
        let cases = judge_scenario(&result, &Expectation::default(), None);
        assert!(cases.iter().any(|c| c.name == "baseline" && !c.passed()));
        let mut b = Baseline::bless(&result, None);
        b.strategies[0].metrics.get_mut("residue").unwrap().abs = 0.5;
        let again = Baseline::bless(&result, Some(&b));
        assert_eq!(again.strategies[0].metrics["residue"].abs, 0.5);
        assert_eq!(again.strategies[1].metrics["residue"].abs, 0.01);
    }
}
