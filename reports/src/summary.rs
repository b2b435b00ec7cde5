//! Statistics over seeds: each metric of each strategy as a mean with its 95% confidence
//! interval, min and max.
//!
//! A scenario runs every strategy under several seeds; one seed is an anecdote, so the reports
//! give every figure as a [`Spread`] over the seeds and tally the checks per strategy in a
//! [`StrategySummary`]. [`summarize`] builds one summary per strategy, in scenario order. The
//! [`Unit`] of a metric decides how its spread is printed, so every report formats alike.

use std::fmt;

use crate::model::{RunResult, ScenarioResult, Verdict};

/// The mean, standard deviation, minimum and maximum of one metric over `n` runs.
///
/// The default value (`n == 0`, all figures zero) stands for "no runs"; it prints as `–`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spread {
    /// Arithmetic mean.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// How many values there were.
    pub n: usize,
    /// Sample standard deviation (with `n - 1` in the denominator); 0 for a single value.
    pub sd: f64,
}

/// How a [`Spread`] shows its uncertainty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpreadStyle {
    /// `mean ±h`: the half-width `h` of the 95% confidence interval of the mean (Student's t
    /// over the seeds).
    #[default]
    Ci95,
    /// `mean [min–max]` over the seeds.
    Range,
    /// `mean ±h [min–max]`: both.
    Both,
}

impl Spread {
    /// The spread of `values`, or `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let (&first, rest) = values.split_first()?;
        let (mut min, mut max, mut sum) = (first, first, first);
        for &v in rest {
            min = min.min(v);
            max = max.max(v);
            sum += v;
        }
        let n = values.len();
        let mean = sum / n as f64;
        let sd = if n > 1 {
            let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Spread {
            mean,
            min,
            max,
            n,
            sd,
        })
    }

    /// The half-width of the 95% confidence interval of the mean: `t(0.975, n-1) · sd / √n`.
    /// Zero for fewer than two values (one seed says nothing about the spread).
    pub fn ci95(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        crate::stats::t_975(self.n - 1) * self.sd / (self.n as f64).sqrt()
    }

    /// Formats the spread in `unit` and `style`: `1.23s ±0.05`, `1.23s [1.10–1.40]` or
    /// `1.23s ±0.05 [1.10–1.40]`. The unit's suffix follows the mean only; the other figures
    /// share its scale and precision. What would print alike to the mean (one run, or seeds
    /// that agree to the shown precision) is left out; an empty spread prints as `–`.
    pub fn format_with(&self, unit: Unit, style: SpreadStyle) -> String {
        if self.n == 0 {
            return "–".to_owned();
        }
        let largest = self.mean.abs().max(self.min.abs()).max(self.max.abs());
        let (scale, suffix, decimals) = unit.layout(largest);
        let num = |v: f64| unit.number(v / scale, decimals);
        let (mean, min, max) = (num(self.mean), num(self.min), num(self.max));
        let mut out = format!("{mean}{suffix}");
        let half = self.ci95();
        if matches!(style, SpreadStyle::Ci95 | SpreadStyle::Both) && min != max {
            let h = unit.number(half / scale, decimals);
            if h.trim_start_matches(['0', '.']).is_empty() {
                // Rounds to nothing at this precision: say so rather than print ±0.00.
                out += &format!(
                    " ±<{}",
                    unit.number(10f64.powi(-(decimals as i32)), decimals)
                );
            } else {
                out += &format!(" ±{h}");
            }
        }
        if matches!(style, SpreadStyle::Range | SpreadStyle::Both) && min != max {
            out += &format!(" [{min}–{max}]");
        }
        out
    }

    /// Formats the spread as `mean [min–max]` in the given unit, e.g. `1.23s [1.10–1.40]`.
    ///
    /// The unit's suffix follows the mean only; min and max share its scale and precision.
    /// When min and max print alike (a single run, or seeds that agree to the shown precision)
    /// only the mean is printed; an empty spread prints as `–`.
    pub fn format(&self, unit: Unit) -> String {
        self.format_with(unit, SpreadStyle::Range)
    }
}

impl fmt::Display for Spread {
    /// `mean [min–max]` with three decimals, as [`Unit::Fraction`] prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(Unit::Fraction))
    }
}

/// How a metric is printed by [`Spread::format`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A fraction such as residue or redundancy: three decimals (`0.184`). A value that is not
    /// zero but would round to `0.000` prints in exponent form (`2e-5`), so a residue of a
    /// few nodes in a large cluster never reads as zero.
    Fraction,
    /// A plain count or rate such as messages per node: three significant digits (`12.4`).
    Count,
    /// Bytes, scaled to `B`, `kB`, `MB` or `GB` by the largest value, three significant digits
    /// (`12.3kB`).
    Bytes,
    /// Seconds, scaled to `s`, `ms` or `µs` by the largest value, three significant digits
    /// (`1.23s`, `352ms`).
    Seconds,
}

impl Unit {
    /// The divisor, suffix and decimals used for values whose largest magnitude is `largest`.
    pub(crate) fn layout(self, largest: f64) -> (f64, &'static str, usize) {
        match self {
            Unit::Fraction => (1.0, "", 3),
            Unit::Count => (1.0, "", significant_decimals(largest)),
            Unit::Bytes => {
                let (scale, suffix) = if largest >= 1e9 {
                    (1e9, "GB")
                } else if largest >= 1e6 {
                    (1e6, "MB")
                } else if largest >= 1e3 {
                    (1e3, "kB")
                } else {
                    (1.0, "B")
                };
                (scale, suffix, significant_decimals(largest / scale))
            }
            Unit::Seconds => {
                let (scale, suffix) = if largest >= 1.0 || largest == 0.0 {
                    (1.0, "s")
                } else if largest >= 1e-3 {
                    (1e-3, "ms")
                } else {
                    (1e-6, "µs")
                };
                (scale, suffix, significant_decimals(largest / scale))
            }
        }
    }

    /// One number, already scaled, with `decimals` decimals.
    pub(crate) fn number(self, v: f64, decimals: usize) -> String {
        let text = format!("{v:.decimals$}");
        let rounds_to_zero = text
            .trim_start_matches('-')
            .bytes()
            .all(|b| matches!(b, b'0' | b'.'));
        if self == Unit::Fraction && v != 0.0 && rounds_to_zero {
            format!("{v:.0e}")
        } else {
            text
        }
    }
}

/// Decimals that give about three significant digits for numbers up to `largest`.
fn significant_decimals(largest: f64) -> usize {
    if largest >= 100.0 {
        0
    } else if largest >= 10.0 {
        1
    } else if largest >= 1.0 {
        2
    } else {
        3
    }
}

/// How one named check fared over a strategy's runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckTally {
    /// The check's name.
    pub name: String,
    /// Runs on which it held.
    pub passed: usize,
    /// Runs on which it was violated.
    pub failed: usize,
    /// Runs to which it did not apply.
    pub not_applicable: usize,
}

/// One strategy over all its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySummary {
    /// The strategy's name.
    pub strategy: String,
    /// How many runs (seeds) it had.
    pub runs: usize,
    /// Residue over the runs (an empty [`Spread`] when there were no runs).
    pub residue: Spread,
    /// Messages sent per node over the runs.
    pub msgs_per_node: Spread,
    /// Bytes sent per node over the runs.
    pub bytes_per_node: Spread,
    /// Redundancy over the runs.
    pub redundancy: Spread,
    /// t_avg over the runs that measured it.
    pub t_avg: Option<Spread>,
    /// How many runs measured t_avg.
    pub t_avg_runs: usize,
    /// t_last over the runs that measured it.
    pub t_last: Option<Spread>,
    /// How many runs measured t_last.
    pub t_last_runs: usize,
    /// Convergence time over the runs that converged.
    pub convergence: Option<Spread>,
    /// How many runs never converged.
    pub never_converged: usize,
    /// Each check, in the order the runs list them.
    pub checks: Vec<CheckTally>,
    /// How many runs failed at least one check.
    pub failed_runs: usize,
    /// [`Verdict::Fail`] if any run failed any check; [`Verdict::NotApplicable`] if no check
    /// applied to any run (or there were none); otherwise [`Verdict::Pass`].
    pub verdict: Verdict,
    /// The trace fingerprint, when the strategy ran under exactly one seed.
    pub fingerprint: Option<String>,
}

impl StrategySummary {
    /// Summarizes the given runs of one strategy.
    fn of(strategy: &str, runs: &[&RunResult]) -> StrategySummary {
        let all = |f: fn(&RunResult) -> f64| -> Spread {
            let values: Vec<f64> = runs.iter().map(|r| f(r)).collect();
            Spread::of(&values).unwrap_or_default()
        };
        let some = |f: fn(&RunResult) -> Option<f64>| -> Option<Spread> {
            let values: Vec<f64> = runs.iter().filter_map(|r| f(r)).collect();
            Spread::of(&values)
        };

        let mut checks: Vec<CheckTally> = Vec::new();
        for outcome in runs.iter().flat_map(|r| &r.checks) {
            let index = match checks.iter().position(|t| t.name == outcome.name) {
                Some(i) => i,
                None => {
                    checks.push(CheckTally {
                        name: outcome.name.clone(),
                        passed: 0,
                        failed: 0,
                        not_applicable: 0,
                    });
                    checks.len() - 1
                }
            };
            let tally = &mut checks[index];
            match outcome.verdict {
                Verdict::Pass => tally.passed += 1,
                Verdict::Fail => tally.failed += 1,
                Verdict::NotApplicable => tally.not_applicable += 1,
            }
        }
        let verdict = if checks.iter().any(|t| t.failed > 0) {
            Verdict::Fail
        } else if checks.iter().any(|t| t.passed > 0) {
            Verdict::Pass
        } else {
            Verdict::NotApplicable
        };

        let t_avg = some(|r| r.metrics.t_avg);
        let t_last = some(|r| r.metrics.t_last);
        StrategySummary {
            strategy: strategy.to_owned(),
            runs: runs.len(),
            residue: all(|r| r.metrics.residue),
            msgs_per_node: all(|r| r.metrics.msgs_per_node),
            bytes_per_node: all(|r| r.metrics.bytes_per_node),
            redundancy: all(|r| r.metrics.redundancy),
            t_avg,
            t_avg_runs: t_avg.map_or(0, |s| s.n),
            t_last,
            t_last_runs: t_last.map_or(0, |s| s.n),
            convergence: some(|r| r.metrics.convergence),
            never_converged: runs
                .iter()
                .filter(|r| r.metrics.convergence.is_none())
                .count(),
            checks,
            failed_runs: runs.iter().filter(|r| !r.passed()).count(),
            verdict,
            fingerprint: match runs {
                [only] => Some(only.fingerprint.clone()),
                _ => None,
            },
        }
    }
}

/// One summary per strategy, in the scenario's strategy order.
///
/// Runs naming a strategy the scenario does not list are not dropped: their strategies follow
/// the listed ones, in the order they first appear.
pub fn summarize(result: &ScenarioResult) -> Vec<StrategySummary> {
    let mut names: Vec<&str> = result.strategies.iter().map(String::as_str).collect();
    for run in &result.runs {
        if !names.contains(&run.strategy.as_str()) {
            names.push(&run.strategy);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let runs: Vec<&RunResult> = result.runs_of(name).collect();
            StrategySummary::of(name, &runs)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{CheckOutcome, RunMetrics, TrafficCounts};

    /// A run with the given measures and checks (`(name, verdict, detail)`).
    pub(crate) fn run(
        strategy: &str,
        seed: u64,
        metrics: RunMetrics,
        checks: &[(&str, Verdict, &str)],
    ) -> RunResult {
        RunResult {
            strategy: strategy.to_owned(),
            seed,
            nodes: 1000,
            live_nodes: 1000,
            fingerprint: format!(
                "{:016x}",
                0x1a2b_3c4d_0000_0000 + seed * 0x101 + strategy.len() as u64
            ),
            events: 1234,
            metrics,
            traffic: TrafficCounts::default(),
            coverage: Vec::new(),
            faults: Vec::new(),
            checks: checks
                .iter()
                .map(|&(name, verdict, detail)| CheckOutcome {
                    name: name.to_owned(),
                    verdict,
                    detail: detail.to_owned(),
                })
                .collect(),
            counters: Default::default(),
            ramp: Vec::new(),
            ended_at: 20.0,
            coverage_start: 0.0,
            stable_latencies: Vec::new(),
            sends_over_time: Default::default(),
        }
    }

    pub(crate) fn metrics(
        residue: f64,
        msgs: f64,
        t_avg: Option<f64>,
        convergence: Option<f64>,
    ) -> RunMetrics {
        RunMetrics {
            residue,
            msgs_per_node: msgs,
            bytes_per_node: msgs * 100.0,
            t_avg,
            t_last: t_avg.map(|t| t * 2.0),
            convergence,
            redundancy: 0.5,
            ..RunMetrics::default()
        }
    }

    pub(crate) fn scenario(seeds: &[u64], runs: Vec<RunResult>) -> ScenarioResult {
        let mut strategies: Vec<String> = Vec::new();
        for r in &runs {
            if !strategies.contains(&r.strategy) {
                strategies.push(r.strategy.clone());
            }
        }
        ScenarioResult {
            schema_version: crate::RESULTS_SCHEMA_VERSION,
            scenario: "quickstart".to_owned(),
            nodes: 1000,
            strategies,
            seeds: seeds.to_vec(),
            runs,
            expect_failure: Vec::new(),
            duration: 20.0,
            loss: 0.0,
            strategy_info: Vec::new(),
        }
    }

    /// Two strategies × three seeds: `rumor` fails `convergence` on seed 2 and never converges
    /// there; `anti-entropy` has only a check that does not apply to it.
    pub(crate) fn two_by_three() -> ScenarioResult {
        let pass = ("convergence", Verdict::Pass, "converged in 3.1s ≤ 10s");
        let fail = (
            "convergence",
            Verdict::Fail,
            "never converged: 3 nodes lack k1@2",
        );
        let na = ("rumor-bound", Verdict::NotApplicable, "scoped to rumor");
        scenario(
            &[0, 1, 2],
            vec![
                run(
                    "rumor",
                    0,
                    metrics(0.171, 10.0, Some(0.5), Some(2.9)),
                    &[pass],
                ),
                run(
                    "rumor",
                    1,
                    metrics(0.182, 11.0, Some(0.6), Some(3.6)),
                    &[pass],
                ),
                run("rumor", 2, metrics(0.199, 15.0, None, None), &[fail]),
                run(
                    "anti-entropy",
                    0,
                    metrics(0.0, 30.0, Some(1.0), Some(4.0)),
                    &[na],
                ),
                run(
                    "anti-entropy",
                    1,
                    metrics(0.0, 30.0, Some(1.2), Some(5.0)),
                    &[na],
                ),
                run(
                    "anti-entropy",
                    2,
                    metrics(0.0, 33.0, Some(1.4), Some(6.0)),
                    &[na],
                ),
            ],
        )
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn spread_of_values() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 6.0]).expect("non-empty");
        assert!(close(s.mean, 3.0));
        assert_eq!((s.min, s.max, s.n), (1.0, 6.0, 4));
        assert!(close(s.sd, (14.0f64 / 3.0).sqrt()));
        // t(0.975, 3) = 3.182: the interval is wide over four seeds.
        assert!(close(s.ci95(), 3.182 * s.sd / 2.0));
        let one = Spread::of(&[0.25]).expect("non-empty");
        assert_eq!((one.mean, one.min, one.max, one.n), (0.25, 0.25, 0.25, 1));
        assert_eq!((one.sd, one.ci95()), (0.0, 0.0));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn spread_formats() {
        let s = Spread::of(&[0.171, 0.182, 0.199]).unwrap();
        assert_eq!(s.to_string(), "0.184 [0.171–0.199]");
        assert_eq!(s.format(Unit::Fraction), "0.184 [0.171–0.199]");
        let t = Spread::of(&[2.9, 3.1, 3.6]).unwrap();
        assert_eq!(t.format(Unit::Seconds), "3.20s [2.90–3.60]");
        let ms = Spread::of(&[0.35, 0.4]).unwrap();
        assert_eq!(ms.format(Unit::Seconds), "375ms [350–400]");
        let b = Spread::of(&[11_800.0, 13_000.0]).unwrap();
        assert_eq!(b.format(Unit::Bytes), "12.4kB [11.8–13.0]");
        let c = Spread::of(&[10.0, 11.0, 15.0]).unwrap();
        assert_eq!(c.format(Unit::Count), "12.0 [10.0–15.0]");
        let tiny = Spread::of(&[0.0, 0.00002]).unwrap();
        assert_eq!(tiny.format(Unit::Fraction), "1e-5 [0.000–2e-5]");
        assert_eq!(Spread::of(&[1.5]).unwrap().format(Unit::Seconds), "1.50s");
        assert_eq!(Spread::default().format(Unit::Seconds), "–");
        let same = Spread::of(&[0.0, 0.0, 0.0]).unwrap();
        assert_eq!(same.format(Unit::Fraction), "0.000");
        assert_eq!(same.format_with(Unit::Fraction, SpreadStyle::Ci95), "0.000");
    }

    #[test]
    fn spread_formats_confidence_intervals() {
        let s = Spread::of(&[0.171, 0.182, 0.199]).unwrap();
        // sd 0.0141, t(0.975, 2) = 4.303: ±0.035.
        assert_eq!(
            s.format_with(Unit::Fraction, SpreadStyle::Ci95),
            "0.184 ±0.035"
        );
        assert_eq!(
            s.format_with(Unit::Fraction, SpreadStyle::Both),
            "0.184 ±0.035 [0.171–0.199]"
        );
        let t = Spread::of(&[2.9, 3.1, 3.6]).unwrap();
        assert_eq!(
            t.format_with(Unit::Seconds, SpreadStyle::Ci95),
            "3.20s ±0.90"
        );
        let mut many = vec![1.0; 100];
        many.push(1.01);
        let tight = Spread::of(&many).unwrap();
        assert_eq!(
            tight.format_with(Unit::Seconds, SpreadStyle::Ci95),
            "1.00s ±<0.01"
        );
        assert_eq!(
            Spread::of(&[1.5])
                .unwrap()
                .format_with(Unit::Seconds, SpreadStyle::Both),
            "1.50s"
        );
    }

    #[test]
    fn summarize_two_strategies_three_seeds() {
        let summaries = summarize(&two_by_three());
        let names: Vec<&str> = summaries.iter().map(|s| s.strategy.as_str()).collect();
        assert_eq!(names, ["rumor", "anti-entropy"]);

        let rumor = &summaries[0];
        assert_eq!(rumor.runs, 3);
        assert!(close(rumor.residue.mean, (0.171 + 0.182 + 0.199) / 3.0));
        assert_eq!((rumor.residue.min, rumor.residue.max), (0.171, 0.199));
        assert!(close(rumor.msgs_per_node.mean, 12.0));
        assert!(close(rumor.bytes_per_node.mean, 1200.0));
        let t_avg = rumor.t_avg.expect("two runs measured t_avg");
        assert!(close(t_avg.mean, 0.55));
        assert_eq!((t_avg.n, rumor.t_avg_runs, rumor.t_last_runs), (2, 2, 2));
        let conv = rumor.convergence.expect("two runs converged");
        assert!(close(conv.mean, 3.25));
        assert_eq!(conv.n, 2);
        assert_eq!(rumor.never_converged, 1);
        assert_eq!(rumor.failed_runs, 1);
        assert_eq!(rumor.verdict, Verdict::Fail);
        assert_eq!(
            rumor.checks,
            [CheckTally {
                name: "convergence".into(),
                passed: 2,
                failed: 1,
                not_applicable: 0
            }]
        );
        assert_eq!(rumor.fingerprint, None);

        let ae = &summaries[1];
        assert_eq!(ae.never_converged, 0);
        assert!(close(ae.convergence.unwrap().mean, 5.0));
        assert!(close(ae.msgs_per_node.mean, 31.0));
        assert_eq!(ae.checks[0].not_applicable, 3);
        assert_eq!(ae.verdict, Verdict::NotApplicable);
        assert_eq!(ae.failed_runs, 0);
    }

    #[test]
    fn summarize_pass_and_single_seed_fingerprint() {
        let r = scenario(
            &[7],
            vec![run(
                "rumor",
                7,
                metrics(0.0, 5.0, Some(0.3), Some(1.0)),
                &[
                    ("convergence", Verdict::Pass, "ok"),
                    ("other", Verdict::NotApplicable, "scoped"),
                ],
            )],
        );
        let s = &summarize(&r)[0];
        assert_eq!(s.verdict, Verdict::Pass);
        assert_eq!(
            s.fingerprint.as_deref(),
            Some(r.runs[0].fingerprint.as_str())
        );
    }

    #[test]
    fn summarize_empty_inputs() {
        let mut r = scenario(&[], Vec::new());
        assert!(summarize(&r).is_empty());
        r.strategies = vec!["rumor".into()];
        let s = &summarize(&r)[0];
        assert_eq!(s.runs, 0);
        assert_eq!(s.residue, Spread::default());
        assert_eq!((s.t_avg, s.convergence, s.never_converged), (None, None, 0));
        assert_eq!(s.verdict, Verdict::NotApplicable);
        assert_eq!(s.fingerprint, None);
    }

    #[test]
    fn summarize_keeps_unlisted_strategies() {
        let mut r = two_by_three();
        r.strategies = vec!["anti-entropy".into()];
        let names: Vec<String> = summarize(&r).into_iter().map(|s| s.strategy).collect();
        assert_eq!(names, ["anti-entropy", "rumor"]);
    }

    #[test]
    fn json_round_trip() {
        let r = two_by_three();
        assert_eq!(ScenarioResult::from_json(&r.to_json()).unwrap(), r);
    }
}
