//! `report.html`: one self-contained page — no scripts, no external style sheets, fonts or
//! images; the plots are inline SVG — that any browser opens from disk.

use std::fmt::Write as _;

use crate::markdown::trim_float;
use crate::model::{ScenarioResult, Verdict};
use crate::plots::Plot;
use crate::summary::SpreadStyle;
use crate::svg::esc;
use crate::table::{Comparison, TableOptions, comparison, plural, seed_list};

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: bold; }
.pass { background: #e3f4e1; color: #1e6b1e; }
.fail { background: #fbe3e3; color: #9b1c1c; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; white-space: nowrap; vertical-align: top; }
td .range { display: block; color: #777; font-size: 11px; font-weight: normal; }
.scroll { overflow-x: auto; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
td.best { background: #fff4c2; font-weight: bold; }
td.FAIL, span.FAIL { color: #9b1c1c; font-weight: bold; }
figure { margin: 16px 0; }
figcaption { color: #555; font-size: 13px; max-width: 900px; }
code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
.note { color: #555; font-size: 13px; }
";

/// Renders the full page for one scenario's results, with `plots` inline.
pub fn render_html(result: &ScenarioResult, plots: &[Plot]) -> String {
    let mut out = page_start(&format!("{} — hearsay report", result.scenario));
    let _ = writeln!(
        out,
        "<h1>{} <span class=\"meta\">— hearsay report</span></h1>",
        esc(&result.scenario)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · {} · {}s simulated per run{} · results schema v{}</p>",
        esc(&plural(u64::from(result.nodes), "node")),
        esc(&seed_list(&result.seeds)),
        trim_float(result.duration),
        if result.loss > 0.0 {
            format!(" · loss {}", trim_float(result.loss))
        } else {
            String::new()
        },
        result.schema_version
    );
    let _ = writeln!(
        out,
        "<p>{}</p>",
        if result.passed() {
            "<span class=\"verdict pass\">every check held</span>"
        } else {
            "<span class=\"verdict fail\">a check failed</span>"
        }
    );

    let _ = writeln!(out, "<h2>Comparison</h2>");
    out += &comparison_table(&comparison(
        result,
        TableOptions {
            spread: SpreadStyle::Both,
        },
    ));
    let _ = writeln!(
        out,
        "<p class=\"note\">Mean over seeds ± half-width of the 95% confidence interval (Student's t), then [min–max]. Highlighted: best (lowest) in its column.</p>"
    );

    if !result.strategy_info.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Strategies</h2>\n<table><tr><th>strategy</th><th>protocol</th><th>parameters</th></tr>"
        );
        for info in &result.strategy_info {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&info.name),
                esc(&info.protocol),
                esc(&info.params_text())
            );
        }
        out.push_str("</table>\n");
    }

    for p in plots {
        let _ = writeln!(
            out,
            "<figure id=\"{}\">\n{}<figcaption>{}</figcaption>\n</figure>",
            p.name,
            p.svg,
            esc(&p.caption)
        );
    }

    let failures: Vec<String> = result
        .runs
        .iter()
        .flat_map(|r| {
            r.checks.iter().filter(|c| c.verdict == Verdict::Fail).map(move |c| {
                format!(
                    "<li><code>{}</code> seed {}: <span class=\"FAIL\">{}</span> — {} (fingerprint <code>0x{}</code>)</li>",
                    esc(&r.strategy),
                    r.seed,
                    esc(&c.name),
                    esc(&c.detail),
                    esc(&r.fingerprint)
                )
            })
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Failures</h2>\n<ul>\n{}\n</ul>",
            failures.join("\n")
        );
    }

    let _ = writeln!(
        out,
        "<h2>Runs</h2>\n<table><tr><th>strategy</th><th>seed</th><th>residue</th><th>msgs/node</th><th>t_last</th><th>convergence</th><th>verdict</th><th>fingerprint</th></tr>"
    );
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
        let class = if verdict == "FAIL" { "FAIL" } else { "" };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{seed}</td><td>{residue}</td><td>{msgs}</td><td>{t_last}</td><td>{convergence}</td><td class=\"{class}\">{verdict}</td><td><code>0x{}</code></td></tr>",
            esc(&strategy),
            esc(&fingerprint)
        );
    }
    out.push_str("</table>\n");
    out.push_str("</body>\n</html>\n");
    out
}

/// The document head with the inline style sheet, and the opening `<body>`.
pub(crate) fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(title)
    )
}

/// A comparison grid as an HTML table.
pub(crate) fn comparison_table(grid: &Comparison) -> String {
    let mut out = String::from("<div class=\"scroll\"><table>\n<tr>");
    for h in &grid.header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for row in &grid.rows {
        out.push_str("<tr>");
        for c in row {
            let class = if c.best {
                " class=\"best\""
            } else if c.text.starts_with("FAIL") {
                " class=\"FAIL\""
            } else {
                ""
            };
            // `mean ±ci [min–max] (…)`: the range on a line of its own, quieter.
            match c.text.split_once(" [") {
                Some((head, tail)) => {
                    let _ = write!(
                        out,
                        "<td{class}>{}<span class=\"range\">[{}</span></td>",
                        esc(head),
                        esc(tail)
                    );
                }
                None => {
                    let _ = write!(out, "<td{class}>{}</td>", esc(&c.text));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
    out
}
