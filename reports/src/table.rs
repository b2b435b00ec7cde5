//! The comparison table: one row per strategy, every figure as a mean with its spread over seeds.
//!
//! [`render_table`] is what `hearsay run` prints. Below the table it names the scenario, the
//! cluster size and the seeds, gives each strategy's trace fingerprint when a single seed ran
//! (so a replay can be checked byte for byte), and lists every failed check of every run. The
//! output is plain text without ANSI colours, so it is stable in snapshot tests and pipes.

use std::fmt::Write as _;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::model::{ScenarioResult, Verdict};
use crate::summary::{Spread, StrategySummary, Unit, summarize};

/// The column headers, in order.
const HEADER: [&str; 8] = [
    "strategy",
    "residue",
    "msgs/node",
    "bytes/node",
    "t_avg",
    "t_last",
    "convergence",
    "verdict",
];

/// Renders the comparison table of a scenario's results, followed by its footer lines.
///
/// Every line, the last included, ends in a newline.
pub fn render_table(result: &ScenarioResult) -> String {
    let summaries = summarize(result);

    let mut builder = Builder::default();
    builder.push_record(HEADER);
    for s in &summaries {
        builder.push_record(row(s));
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

/// The cells of one strategy's row.
fn row(s: &StrategySummary) -> [String; 8] {
    [
        s.strategy.clone(),
        s.residue.format(Unit::Fraction),
        s.msgs_per_node.format(Unit::Count),
        s.bytes_per_node.format(Unit::Bytes),
        partial(s.t_avg, s.runs),
        partial(s.t_last, s.runs),
        convergence(s),
        verdict(s),
    ]
}

/// A time measured on only some runs: the spread, with `(k/n runs)` when some lacked it.
fn partial(spread: Option<Spread>, runs: usize) -> String {
    match spread {
        None => "–".to_owned(),
        Some(sp) if sp.n == runs => sp.format(Unit::Seconds),
        Some(sp) => format!("{} ({}/{runs} runs)", sp.format(Unit::Seconds), sp.n),
    }
}

/// Convergence time over the runs that converged, and how many never did.
fn convergence(s: &StrategySummary) -> String {
    let never = format!("never ({}/{})", s.never_converged, s.runs);
    match s.convergence {
        _ if s.runs == 0 => "–".to_owned(),
        None => never,
        Some(sp) if s.never_converged == 0 => sp.format(Unit::Seconds),
        Some(sp) => format!("{}, {never}", sp.format(Unit::Seconds)),
    }
}

/// `pass`, `FAIL k/n` (runs that failed a check), or `n/a`.
fn verdict(s: &StrategySummary) -> String {
    match s.verdict {
        Verdict::Pass => "pass".to_owned(),
        Verdict::Fail => format!("FAIL {}/{}", s.failed_runs, s.runs),
        Verdict::NotApplicable => "n/a".to_owned(),
    }
}

/// `1 node`, `1000 nodes`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The seeds, compactly: `seed 7`, `seeds 0..10 (10)`, `seeds 1, 4..8, 12 (6)`.
///
/// Ascending runs of three or more consecutive seeds become half-open ranges.
fn seed_list(seeds: &[u64]) -> String {
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
        let text = render_table(&two_by_three());
        println!("{text}");

        let rumor = text.find("│ rumor ").expect("rumor row");
        let ae = text.find("│ anti-entropy ").expect("anti-entropy row");
        assert!(rumor < ae, "strategies in scenario order");
        for header in HEADER {
            assert!(text.contains(header), "header {header}");
        }

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
