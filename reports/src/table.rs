//! The comparison table: one row per strategy, every figure as a mean with its 95% confidence
//! interval (or min–max) over seeds, the best strategy of each column marked, and one verdict
//! column per check.
//!
//! [`comparison`] builds the grid that the terminal table, the Markdown and the HTML reports
//! share. [`render_table`] is what `hearsay run` prints. Below the table it names the scenario, the
//! cluster size and the seeds, gives each strategy's trace fingerprint when a single seed ran
//! (so a replay can be checked byte for byte), and lists every failed check of every run. The
//! output is plain text without ANSI colours, so it is stable in snapshot tests and pipes.

use std::fmt::Write as _;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::model::{ScenarioResult, Verdict};
use crate::summary::{Spread, SpreadStyle, StrategySummary, Unit, summarize};

/// How a comparison is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// How each figure's uncertainty over seeds is shown.
    pub spread: SpreadStyle,
}

/// One cell of the comparison: its text, and whether it is the best of its column.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// Best (lowest) in its column among two or more strategies.
    pub best: bool,
}

/// The comparison of a scenario's strategies as a grid, shared by the terminal table, the
/// Markdown and the HTML reports: the header and one row per strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Column headers.
    pub header: Vec<String>,
    /// One row per strategy, in scenario order.
    pub rows: Vec<Vec<Cell>>,
    /// How many leading columns (after the strategy's name) are metrics that can be best.
    pub metric_columns: usize,
}

/// The metric columns: header, and the cell text with its ranking key (lower is better; the
/// first element counts runs that lacked the measure, so a strategy that always converged
/// beats one that sometimes never did, whatever their means).
/// A cell's text and its ranking key.
type Ranked = (String, Option<(usize, f64)>);

type MetricColumn = (
    &'static str,
    fn(&StrategySummary, SpreadStyle) -> (String, Option<(usize, f64)>),
);

const METRICS: [MetricColumn; 7] = [
    ("residue", |s, st| total(s.residue, Unit::Fraction, st)),
    ("msgs/node", |s, st| total(s.msgs_per_node, Unit::Count, st)),
    ("bytes/node", |s, st| {
        total(s.bytes_per_node, Unit::Bytes, st)
    }),
    ("redundancy", |s, st| {
        total(s.redundancy, Unit::Fraction, st)
    }),
    ("t_avg", |s, st| partial(s.t_avg, s.runs, st)),
    ("t_last", |s, st| partial(s.t_last, s.runs, st)),
    ("convergence", |s, st| convergence(s, st)),
];

/// Builds the comparison grid: metric columns, then one verdict column per check (headed
/// `check:NAME`), or a single `verdict` column when the scenario has no checks.
pub fn comparison(result: &ScenarioResult, options: TableOptions) -> Comparison {
    let summaries = summarize(result);
    let mut header: Vec<String> = vec!["strategy".into()];
    header.extend(METRICS.iter().map(|(h, _)| (*h).to_owned()));
    let mut check_names: Vec<&str> = Vec::new();
    for s in &summaries {
        for c in &s.checks {
            if !check_names.contains(&c.name.as_str()) {
                check_names.push(&c.name);
            }
        }
    }
    if check_names.is_empty() {
        header.push("verdict".into());
    } else {
        header.extend(check_names.iter().map(|n| format!("check:{n}")));
    }

    let cells: Vec<Vec<Ranked>> = summaries
        .iter()
        .map(|s| METRICS.iter().map(|(_, f)| f(s, options.spread)).collect())
        .collect();
    let mut best = vec![vec![false; METRICS.len()]; summaries.len()];
    if summaries.len() > 1 {
        for col in 0..METRICS.len() {
            let keys: Vec<Option<(usize, f64)>> = cells.iter().map(|row| row[col].1).collect();
            let Some(top) = keys
                .iter()
                .flatten()
                .copied()
                .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
            else {
                continue;
            };
            for (row, key) in keys.iter().enumerate() {
                if let Some(k) = key {
                    best[row][col] = k.0 == top.0 && same(k.1, top.1);
                }
            }
            // A column where every strategy is best says nothing: mark none.
            if best.iter().all(|b| b[col]) {
                best.iter_mut().for_each(|b| b[col] = false);
            }
        }
    }

    let rows = summaries
        .iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (s, metric_cells))| {
            let mut row = vec![Cell {
                text: s.strategy.clone(),
                best: false,
            }];
            row.extend(
                metric_cells
                    .into_iter()
                    .enumerate()
                    .map(|(col, (text, _))| Cell {
                        text,
                        best: best[i][col],
                    }),
            );
            if check_names.is_empty() {
                row.push(Cell {
                    text: verdict(s),
                    best: false,
                });
            } else {
                for name in &check_names {
                    let text = match s.checks.iter().find(|c| c.name == *name) {
                        None => "–".to_owned(),
                        Some(t) if t.failed > 0 => format!("FAIL {}/{}", t.failed, s.runs),
                        Some(t) if t.passed > 0 => "pass".to_owned(),
                        Some(_) => "n/a".to_owned(),
                    };
                    row.push(Cell { text, best: false });
                }
            }
            row
        })
        .collect();
    Comparison {
        header,
        rows,
        metric_columns: METRICS.len(),
    }
}

/// Whether two means are equal for ranking (equal to 12 significant digits).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// Renders the comparison table of a scenario's results, followed by its footer lines, with
/// each figure as its mean and 95% confidence interval over the seeds.
///
/// Every line, the last included, ends in a newline.
pub fn render_table(result: &ScenarioResult) -> String {
    render_table_with(result, TableOptions::default())
}

/// [`render_table`] with options.
pub fn render_table_with(result: &ScenarioResult, options: TableOptions) -> String {
    let summaries = summarize(result);
    let grid = comparison(result, options);
    let mut builder = Builder::default();
    builder.push_record(grid.header.iter().cloned());
    let mut any_best = false;
    for row in &grid.rows {
        builder.push_record(row.iter().map(|c| {
            if c.best {
                any_best = true;
                format!("{} *", c.text)
            } else {
                c.text.clone()
            }
        }));
    }
    let mut table = builder.build();
    table.with(Style::rounded());

    let mut out = table.to_string();
    out.push('\n');
    let _ = writeln!(
        out,
        "{} · {} · {}",
        result.scenario,
        plural(u64::from(result.nodes), "node"),
        seed_list(&result.seeds)
    );
    let mut legend: Vec<&str> = Vec::new();
    if summaries.iter().any(|s| s.runs > 1) {
        legend.push(match options.spread {
            SpreadStyle::Ci95 => "mean ±95% CI over seeds",
            SpreadStyle::Range => "mean [min–max] over seeds",
            SpreadStyle::Both => "mean ±95% CI [min–max] over seeds",
        });
    }
    if any_best {
        legend.push("* best (lowest) in its column");
    }
    if !legend.is_empty() {
        let _ = writeln!(out, "{}", legend.join(" · "));
    }

    let width = summaries
        .iter()
        .filter(|s| s.fingerprint.is_some())
        .map(|s| s.strategy.chars().count())
        .max()
        .unwrap_or(0);
    for s in &summaries {
        if let Some(fp) = &s.fingerprint {
            let hex = fp.strip_prefix("0x").unwrap_or(fp);
            let _ = writeln!(out, "trace fingerprint  {:width$}  0x{hex}", s.strategy);
        }
    }

    // A rate ramp: where each strategy's channel saturated (stable latency more than doubled,
    // or writes stopped settling), over its seeds.
    for s in &summaries {
        let runs: Vec<&crate::RunResult> = result
            .runs_of(&s.strategy)
            .filter(|r| !r.ramp.is_empty())
            .collect();
        if runs.is_empty() {
            continue;
        }
        let rates: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.metrics.saturation_rate)
            .collect();
        let text = match Spread::of(&rates) {
            None => format!(
                "not reached (up to {:.0} writes/s)",
                runs[0].ramp.last().map_or(0.0, |r| r.rate)
            ),
            Some(sp) if rates.len() == runs.len() => {
                format!("at {:.0} writes/s [{:.0}–{:.0}]", sp.mean, sp.min, sp.max)
            }
            Some(sp) => format!(
                "at {:.0} writes/s in {}/{} runs",
                sp.mean,
                rates.len(),
                runs.len()
            ),
        };
        let _ = writeln!(
            out,
            "saturation  {:width$}  {text}",
            s.strategy,
            width = width.max(s.strategy.chars().count())
        );
    }

    for s in &summaries {
        for run in result.runs_of(&s.strategy) {
            for check in run.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
                let _ = writeln!(
                    out,
                    "FAIL {} seed {}: {}: {}",
                    run.strategy, run.seed, check.name, check.detail
                );
            }
        }
    }
    out
}

/// A measure every run has.
fn total(spread: Spread, unit: Unit, style: SpreadStyle) -> (String, Option<(usize, f64)>) {
    let key = (spread.n > 0).then_some((0, spread.mean));
    (spread.format_with(unit, style), key)
}

/// A time measured on only some runs: the spread, with `(k/n runs)` when some lacked it.
fn partial(
    spread: Option<Spread>,
    runs: usize,
    style: SpreadStyle,
) -> (String, Option<(usize, f64)>) {
    match spread {
        None => ("–".to_owned(), None),
        Some(sp) if sp.n == runs => (sp.format_with(Unit::Seconds, style), Some((0, sp.mean))),
        Some(sp) => (
            format!(
                "{} ({}/{runs} runs)",
                sp.format_with(Unit::Seconds, style),
                sp.n
            ),
            Some((runs - sp.n, sp.mean)),
        ),
    }
}

/// Convergence time over the runs that converged, and how many never did.
fn convergence(s: &StrategySummary, style: SpreadStyle) -> (String, Option<(usize, f64)>) {
    let never = format!("never ({}/{})", s.never_converged, s.runs);
    match s.convergence {
        _ if s.runs == 0 => ("–".to_owned(), None),
        None => (never, None),
        Some(sp) if s.never_converged == 0 => {
            (sp.format_with(Unit::Seconds, style), Some((0, sp.mean)))
        }
        Some(sp) => (
            format!("{}, {never}", sp.format_with(Unit::Seconds, style)),
            Some((s.never_converged, sp.mean)),
        ),
    }
}

/// `pass`, `FAIL k/n` (runs that failed a check), or `n/a`.
pub(crate) fn verdict(s: &StrategySummary) -> String {
    match s.verdict {
        Verdict::Pass => "pass".to_owned(),
        Verdict::Fail => format!("FAIL {}/{}", s.failed_runs, s.runs),
        Verdict::NotApplicable => "n/a".to_owned(),
    }
}

/// `1 node`, `1000 nodes`.
pub(crate) fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The seeds, compactly: `seed 7`, `seeds 0..10 (10)`, `seeds 1, 4..8, 12 (6)`.
///
/// Ascending runs of three or more consecutive seeds become half-open ranges.
pub(crate) fn seed_list(seeds: &[u64]) -> String {
    match seeds {
        [] => return "no seeds".to_owned(),
        [one] => return format!("seed {one}"),
        _ => {}
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let start = seeds[i];
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j].checked_add(1) == Some(seeds[j + 1]) {
            j += 1;
        }
        if j - i >= 2 {
            let last = seeds[j];
            parts.push(match last.checked_add(1) {
                Some(end) => format!("{start}..{end}"),
                None => format!("{start}..={last}"),
            });
        } else {
            parts.extend(seeds[i..=j].iter().map(u64::to_string));
        }
        i = j + 1;
    }
    format!("seeds {} ({})", parts.join(", "), seeds.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::{metrics, run, scenario, two_by_three};

    #[test]
    fn table_of_two_strategies_over_three_seeds() {
        let text = render_table_with(
            &two_by_three(),
            TableOptions {
                spread: SpreadStyle::Range,
            },
        );
        println!("{text}");

        let rumor = text.find("│ rumor ").expect("rumor row");
        let ae = text.find("│ anti-entropy ").expect("anti-entropy row");
        assert!(rumor < ae, "strategies in scenario order");
        for (header, _) in METRICS {
            assert!(text.contains(header), "header {header}");
        }
        assert!(text.contains("check:convergence") && text.contains("check:rumor-bound"));
        assert!(text.contains("mean [min–max] over seeds · * best (lowest) in its column\n"));
        assert!(
            text.contains("0.000 *"),
            "anti-entropy has the best residue"
        );
        assert!(
            text.contains("12.0 [10.0–15.0] *"),
            "rumor sends fewer messages"
        );

        assert!(text.contains("0.184 [0.171–0.199]"), "residue cell");
        assert!(text.contains("12.0 [10.0–15.0]"), "msgs/node cell");
        assert!(text.contains("1.20kB [1.00–1.50]"), "bytes/node cell");
        assert!(text.contains("550ms [500–600] (2/3 runs)"), "t_avg cell");
        assert!(text.contains("1.10s [1.00–1.20] (2/3 runs)"), "t_last cell");
        assert!(
            text.contains("3.25s [2.90–3.60], never (1/3)"),
            "convergence cell"
        );
        assert!(text.contains("FAIL 1/3"), "rumor verdict");
        assert!(
            text.contains("5.00s [4.00–6.00]"),
            "anti-entropy convergence"
        );
        assert!(text.contains("│ n/a "), "anti-entropy verdict");
        assert!(
            text.contains("│ anti-entropy │ 0.000 "),
            "seeds that agree: no spread"
        );

        assert!(text.contains("quickstart · 1000 nodes · seeds 0..3 (3)\n"));
        assert!(
            text.contains("FAIL rumor seed 2: convergence: never converged: 3 nodes lack k1@2\n")
        );
        assert_eq!(text.matches("FAIL rumor").count(), 1);
        assert!(!text.contains("trace fingerprint"));
        assert!(!text.contains('\x1b'), "no ANSI escapes");
    }

    #[test]
    fn table_of_a_single_seed_shows_fingerprints() {
        let r = scenario(
            &[7],
            vec![
                run(
                    "rumor",
                    7,
                    metrics(0.0, 5.0, Some(0.3), Some(1.0)),
                    &[("convergence", Verdict::Pass, "ok")],
                ),
                run(
                    "anti-entropy",
                    7,
                    metrics(0.0, 8.0, Some(0.4), None),
                    &[("convergence", Verdict::Pass, "ok")],
                ),
            ],
        );
        let text = render_table(&r);
        println!("{text}");
        assert!(text.contains("quickstart · 1000 nodes · seed 7\n"));
        assert!(text.contains("trace fingerprint  rumor         0x1a2b3c4d0000070c\n"));
        assert!(text.contains("trace fingerprint  anti-entropy  0x1a2b3c4d00000713\n"));
        assert!(
            text.contains("│ never (1/1) "),
            "single run that never converged"
        );
        assert!(text.contains("│ 300ms "), "single value without a spread");
        assert!(!text.contains("FAIL"));
        assert!(text.contains("│ pass "));
    }

    #[test]
    fn best_cells_rank_missing_runs_first() {
        let grid = comparison(&two_by_three(), TableOptions::default());
        let col = |name: &str| grid.header.iter().position(|h| h == name).unwrap();
        let (rumor, ae) = (&grid.rows[0], &grid.rows[1]);
        // rumor's t_last mean is lower but one run lacked it: anti-entropy is best.
        assert!(ae[col("t_last")].best && !rumor[col("t_last")].best);
        assert!(ae[col("convergence")].best);
        // equal redundancy everywhere: nobody is marked.
        assert!(!ae[col("redundancy")].best && !rumor[col("redundancy")].best);
        assert_eq!(ae[col("check:rumor-bound")].text, "n/a");
        assert_eq!(rumor[col("check:rumor-bound")].text, "–");
        assert_eq!(rumor[col("check:convergence")].text, "FAIL 1/3");
    }

    #[test]
    fn snapshot_of_the_default_table() {
        insta::assert_snapshot!(render_table(&two_by_three()));
    }

    #[test]
    fn table_of_nothing() {
        let text = render_table(&scenario(&[], Vec::new()));
        assert!(text.contains("strategy"));
        assert!(text.ends_with("quickstart · 1000 nodes · no seeds\n"));
    }

    #[test]
    fn seed_lists() {
        assert_eq!(seed_list(&[]), "no seeds");
        assert_eq!(seed_list(&[3]), "seed 3");
        assert_eq!(seed_list(&(0..10).collect::<Vec<_>>()), "seeds 0..10 (10)");
        assert_eq!(seed_list(&[1, 2]), "seeds 1, 2 (2)");
        assert_eq!(
            seed_list(&[1, 4, 5, 6, 7, 12, 13]),
            "seeds 1, 4..8, 12, 13 (7)"
        );
        assert_eq!(
            seed_list(&[u64::MAX - 2, u64::MAX - 1, u64::MAX]),
            format!("seeds {}..={} (3)", u64::MAX - 2, u64::MAX)
        );
    }
}
