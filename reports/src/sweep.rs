//! Parameter sweeps: a scenario run at every point of a grid of parameter settings, possibly in
//! shards on different machines and merged afterwards; with a table of every point and
//! strategy, and the cost frontier across them all.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::html::page_start;
use crate::model::ScenarioResult;
use crate::plots::{FrontierPoint, Plot, cost_frontier_plot};
use crate::summary::{SpreadStyle, Unit, summarize};
use crate::svg::esc;
use crate::table::verdict;

/// The version of the sweep JSON format (`sweep.json`).
pub const SWEEP_SCHEMA_VERSION: u32 = 1;

/// A sweep's results, or one shard's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// [`SWEEP_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The swept parameters, in the order given (`--set` order).
    pub parameters: Vec<String>,
    /// How many points the whole grid has.
    pub grid_size: usize,
    /// `I/N` for one shard's results, `None` for a whole (or merged) sweep.
    pub partition: Option<String>,
    /// The points run, by grid index.
    pub points: Vec<SweepPoint>,
}

/// One point of the grid and its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Its index in the full grid (0-based; the grid's order is the `--set` order, last key
    /// fastest).
    pub index: usize,
    /// The value of each parameter, aligned with [`SweepResult::parameters`].
    pub values: Vec<String>,
    /// The scenario's results at this point.
    pub result: ScenarioResult,
}

impl SweepPoint {
    /// `fanout=2 k=1`.
    pub fn label(&self, parameters: &[String]) -> String {
        parameters
            .iter()
            .zip(&self.values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why shards cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no sweep results to merge")]
    Empty,
    /// Shards of different sweeps.
    #[error("shard {index} is from a different sweep: {what}")]
    Mismatch {
        /// Which input.
        index: usize,
        /// What differs.
        what: String,
    },
    /// Two shards ran the same point with different results.
    #[error("grid point {point} appears twice with different results")]
    Conflict {
        /// The grid index.
        point: usize,
    },
}

impl SweepResult {
    /// True if every check of every point held.
    pub fn passed(&self) -> bool {
        self.points.iter().all(|p| p.result.passed())
    }

    /// Grid indices no point covers.
    pub fn missing(&self) -> Vec<usize> {
        (0..self.grid_size)
            .filter(|i| !self.points.iter().any(|p| p.index == *i))
            .collect()
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("sweeps serialize to JSON")
    }

    /// Reads JSON written by [`SweepResult::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Joins shards of one sweep into one result, points in grid order. A point present in
    /// several shards must have the same results in each.
    pub fn merge(shards: Vec<SweepResult>) -> Result<SweepResult, MergeError> {
        let mut iter = shards.into_iter().enumerate();
        let (_, first) = iter.next().ok_or(MergeError::Empty)?;
        let mut merged = SweepResult {
            partition: None,
            ..first
        };
        for (index, shard) in iter {
            let what = if shard.scenario != merged.scenario {
                Some(format!(
                    "scenario `{}`, not `{}`",
                    shard.scenario, merged.scenario
                ))
            } else if shard.parameters != merged.parameters {
                Some(format!(
                    "parameters {:?}, not {:?}",
                    shard.parameters, merged.parameters
                ))
            } else if shard.grid_size != merged.grid_size {
                Some(format!(
                    "a grid of {}, not {}",
                    shard.grid_size, merged.grid_size
                ))
            } else {
                None
            };
            if let Some(what) = what {
                return Err(MergeError::Mismatch { index, what });
            }
            merged.points.extend(shard.points);
        }
        merged.points.sort_by_key(|p| p.index);
        let mut out: Vec<SweepPoint> = Vec::with_capacity(merged.points.len());
        for p in merged.points {
            match out.last() {
                Some(last) if last.index == p.index => {
                    if *last != p {
                        return Err(MergeError::Conflict { point: p.index });
                    }
                }
                _ => out.push(p),
            }
        }
        merged.points = out;
        Ok(merged)
    }

    /// The cost-frontier points: one per strategy per grid point.
    pub fn frontier_points(&self) -> Vec<FrontierPoint> {
        self.points
            .iter()
            .flat_map(|p| {
                let label = p.label(&self.parameters);
                crate::plots::frontier_points(&p.result)
                    .into_iter()
                    .map(move |mut f| {
                        f.label = format!("{label} {}", f.strategy);
                        f
                    })
            })
            .collect()
    }

    /// The cost frontier across every strategy at every point.
    pub fn frontier_plot(&self) -> Plot {
        cost_frontier_plot(&self.frontier_points(), "Cost frontier across the sweep")
    }
}

/// The rows of the sweep table: point, parameter values, strategy, then the figures.
fn rows(sweep: &SweepResult, style: SpreadStyle) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["#".to_owned()];
    header.extend(sweep.parameters.iter().cloned());
    header.extend(
        [
            "strategy",
            "residue",
            "msgs/node",
            "t_avg",
            "t_last",
            "convergence",
            "verdict",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let mut out = Vec::new();
    for p in &sweep.points {
        for s in summarize(&p.result) {
            let mut row = vec![p.index.to_string()];
            row.extend(p.values.iter().cloned());
            row.push(s.strategy.clone());
            row.push(s.residue.format_with(Unit::Fraction, style));
            row.push(s.msgs_per_node.format_with(Unit::Count, style));
            row.push(
                s.t_avg
                    .map_or("–".to_owned(), |x| x.format_with(Unit::Seconds, style)),
            );
            row.push(
                s.t_last
                    .map_or("–".to_owned(), |x| x.format_with(Unit::Seconds, style)),
            );
            row.push(match (s.convergence, s.never_converged) {
                (_, _) if s.runs == 0 => "–".to_owned(),
                (None, n) => format!("never ({n}/{})", s.runs),
                (Some(c), 0) => c.format_with(Unit::Seconds, style),
                (Some(c), n) => format!(
                    "{}, never ({n}/{})",
                    c.format_with(Unit::Seconds, style),
                    s.runs
                ),
            });
            row.push(verdict(&s));
            out.push(row);
        }
    }
    (header, out)
}

/// The sweep as a terminal table: one row per grid point and strategy.
pub fn render_sweep_table(sweep: &SweepResult, style: SpreadStyle) -> String {
    let (header, body) = rows(sweep, style);
    let mut b = Builder::default();
    b.push_record(header);
    for r in body {
        b.push_record(r);
    }
    let mut table = b.build();
    table.with(Style::rounded());
    let mut out = table.to_string();
    out.push('\n');
    let _ = writeln!(
        out,
        "sweep of {} over {} · {} of {} grid points{}",
        sweep.scenario,
        sweep.parameters.join(", "),
        sweep.points.len(),
        sweep.grid_size,
        sweep
            .partition
            .as_ref()
            .map_or(String::new(), |p| format!(" · shard {p}"))
    );
    out
}

/// The sweep as Markdown: the table, and a link to the frontier plot when `plot_file` is given.
pub fn render_sweep_markdown(sweep: &SweepResult, plot_file: Option<&str>) -> String {
    let (header, body) = rows(sweep, SpreadStyle::Ci95);
    let mut out = format!("# Sweep of {} — hearsay report\n\n", sweep.scenario);
    let _ = writeln!(
        out,
        "{} of {} grid points over {}.\n",
        sweep.points.len(),
        sweep.grid_size,
        sweep.parameters.join(", ")
    );
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}|", vec!["---"; header.len()].join("|"));
    for r in body {
        let cells: Vec<String> = r.iter().map(|c| crate::markdown::cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if let Some(f) = plot_file {
        let _ = writeln!(out, "\n![Cost frontier across the sweep]({f})");
    }
    out
}

/// The sweep as a self-contained HTML page with the frontier plot.
pub fn render_sweep_html(sweep: &SweepResult) -> String {
    let (header, body) = rows(sweep, SpreadStyle::Ci95);
    let mut out = page_start(&format!("Sweep of {} — hearsay report", sweep.scenario));
    let _ = writeln!(out, "<h1>Sweep of {}</h1>", esc(&sweep.scenario));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} of {} grid points over {}</p>",
        sweep.points.len(),
        sweep.grid_size,
        esc(&sweep.parameters.join(", "))
    );
    let plot = sweep.frontier_plot();
    let _ = writeln!(
        out,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        plot.svg,
        esc(&plot.caption)
    );
    out.push_str("<table>\n<tr>");
    for h in &header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for r in body {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::two_by_three;

    fn sweep(points: &[usize], partition: Option<&str>) -> SweepResult {
        SweepResult {
            schema_version: SWEEP_SCHEMA_VERSION,
            scenario: "quickstart".into(),
            parameters: vec!["k".into()],
            grid_size: 3,
            partition: partition.map(str::to_owned),
            points: points
                .iter()
                .map(|&i| SweepPoint {
                    index: i,
                    values: vec![(i + 1).to_string()],
                    result: two_by_three(),
                })
                .collect(),
        }
    }

    #[test]
    fn shards_merge_in_grid_order() {
        let merged =
            SweepResult::merge(vec![sweep(&[1], Some("2/2")), sweep(&[0, 2], Some("1/2"))])
                .unwrap();
        assert_eq!(
            merged.points.iter().map(|p| p.index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(merged.partition, None);
        assert!(merged.missing().is_empty());
        assert_eq!(SweepResult::from_json(&merged.to_json()).unwrap(), merged);
        let partial = SweepResult::merge(vec![sweep(&[0], Some("1/2"))]).unwrap();
        assert_eq!(partial.missing(), [1, 2]);
    }

    #[test]
    fn mismatched_or_conflicting_shards_do_not_merge() {
        let mut other = sweep(&[1], None);
        other.parameters = vec!["fanout".into()];
        assert!(matches!(
            SweepResult::merge(vec![sweep(&[0], None), other]),
            Err(MergeError::Mismatch { index: 1, .. })
        ));
        let mut changed = sweep(&[0], None);
        changed.points[0].result.runs[0].seed = 99;
        assert_eq!(
            SweepResult::merge(vec![sweep(&[0], None), changed]),
            Err(MergeError::Conflict { point: 0 })
        );
        assert_eq!(SweepResult::merge(Vec::new()), Err(MergeError::Empty));
    }

    #[test]
    fn table_lists_every_point_and_strategy() {
        let text = render_sweep_table(&sweep(&[0, 1, 2], None), SpreadStyle::Ci95);
        assert_eq!(text.matches("│ rumor ").count(), 3, "{text}");
        assert!(text.contains("sweep of quickstart over k · 3 of 3 grid points"));
        let html = render_sweep_html(&sweep(&[0, 1], None));
        assert!(html.contains("<svg") && html.contains("k=1 rumor"));
    }
}
