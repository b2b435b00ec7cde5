//! `report.md`: the comparison as GitHub-flavoured Markdown — the table (best figures in
//! bold), the strategies' parameters, the checks, every failure, the fingerprints, each run,
//! and links to the plots.

use std::fmt::Write as _;

use crate::model::{ScenarioResult, Verdict};
use crate::summary::{SpreadStyle, summarize};
use crate::table::{TableOptions, comparison, plural, seed_list};

/// A plot written beside the report, for [`render_markdown`] to link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlotLink {
    /// The plot's title (the image's alt text).
    pub title: String,
    /// Its file name, relative to the report.
    pub file: String,
}

/// Escapes a table cell: pipes and line breaks would end the cell.
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders `report.md`. `plots` are linked in a section of their own (pass none when the plot
/// files are not written beside the report).
pub fn render_markdown(result: &ScenarioResult, plots: &[PlotLink]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} — hearsay report\n", result.scenario);
    let _ = writeln!(
        out,
        "{} · {} · {}{} · results schema v{}\n",
        plural(u64::from(result.nodes), "node"),
        seed_list(&result.seeds),
        if result.duration > 0.0 {
            format!("{}s simulated per run", trim_float(result.duration))
        } else {
            "duration not recorded".to_owned()
        },
        if result.loss > 0.0 {
            format!(" · loss {}", trim_float(result.loss))
        } else {
            String::new()
        },
        result.schema_version
    );
    let verdict = if result.passed() {
        "**every check held**"
    } else {
        "**a check failed**"
    };
    let _ = writeln!(out, "Verdict: {verdict}.\n");

    if !result.strategy_info.is_empty() {
        let _ = writeln!(out, "## Strategies\n");
        let _ = writeln!(out, "| strategy | protocol | parameters |");
        let _ = writeln!(out, "|---|---|---|");
        for info in &result.strategy_info {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&info.name),
                cell(&info.protocol),
                cell(&info.params_text())
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Comparison\n");
    let grid = comparison(
        result,
        TableOptions {
            spread: SpreadStyle::Both,
        },
    );
    let _ = writeln!(
        out,
        "| {} |",
        grid.header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        out,
        "|{}|",
        grid.header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---" } else { "--:" })
            .collect::<Vec<_>>()
            .join("|")
    );
    for row in &grid.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.best {
                    format!("**{}**", cell(&c.text))
                } else {
                    cell(&c.text)
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nEach figure is the mean over seeds ± the half-width of its 95% confidence interval \
         (Student's t), then [min–max]. **Bold**: the best (lowest) of its column.\n"
    );

    let summaries = summarize(result);
    if summaries.iter().any(|s| !s.checks.is_empty()) {
        let _ = writeln!(out, "## Checks\n");
        let _ = writeln!(out, "| strategy | check | passed | failed | n/a |");
        let _ = writeln!(out, "|---|---|--:|--:|--:|");
        for s in &summaries {
            for t in &s.checks {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cell(&s.strategy),
                    cell(&t.name),
                    t.passed,
                    t.failed,
                    t.not_applicable
                );
            }
        }
        out.push('\n');
    }

    let failures: Vec<String> = result
        .runs
        .iter()
        .flat_map(|r| {
            r.checks
                .iter()
                .filter(|c| c.verdict == Verdict::Fail)
                .map(move |c| {
                    format!(
                        "- `{}` seed {}: **{}** — {} (fingerprint `0x{}`)",
                        r.strategy, r.seed, c.name, c.detail, r.fingerprint
                    )
                })
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "## Failures\n");
        for f in failures {
            let _ = writeln!(out, "{f}");
        }
        out.push('\n');
    }

    if !result.runs.is_empty() && result.runs.first().is_some_and(|r| !r.faults.is_empty()) {
        let _ = writeln!(out, "## Faults\n");
        let _ = writeln!(out, "| fault | from | to |");
        let _ = writeln!(out, "|---|--:|--:|");
        for f in &result.runs[0].faults {
            let _ = writeln!(
                out,
                "| {} | {}s | {} |",
                cell(&f.kind),
                trim_float(f.start),
                f.end
                    .map_or("end of run".to_owned(), |e| format!("{}s", trim_float(e)))
            );
        }
        out.push('\n');
    }

    if !plots.is_empty() {
        let _ = writeln!(out, "## Plots\n");
        for p in plots {
            let _ = writeln!(out, "![{}]({})\n", p.title, p.file);
        }
    }

    let _ = writeln!(out, "## Runs\n");
    let _ = writeln!(
        out,
        "| strategy | seed | residue | msgs/node | t_last | convergence | verdict | fingerprint |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|---|---|");
    for r in &result.runs {
        let [
            strategy,
            seed,
            residue,
            msgs,
            t_last,
            convergence,
            verdict,
            fingerprint,
        ] = crate::run_row::run_cells(r);
        let _ = writeln!(
            out,
            "| {} | {seed} | {residue} | {msgs} | {t_last} | {convergence} | {verdict} | `0x{fingerprint}` |",
            cell(&strategy)
        );
    }
    out
}

/// A float without trailing zeros: `20`, `0.001`, `1.5`.
pub(crate) fn trim_float(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}
