//! The report's plots, built from results: coverage over time with the fault windows shaded,
//! the stable-latency CDF, traffic versus residue (the cost frontier), and messages per node
//! over time — each with the analytic overlays of [`crate::theory`] where they apply.

use crate::model::{ScenarioResult, StrategyInfo};
use crate::stats::{ecdf, grid, pareto_frontier};
use crate::svg::{Band, Chart, Dash, Line, Points, Rule, Shade, color};
use crate::theory;

/// One rendered plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// File stem, e.g. `coverage` (written as `coverage.svg`).
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// What it shows, in a sentence, for the reports' captions.
    pub caption: String,
    /// The `<svg>` element.
    pub svg: String,
}

/// All four plots of a scenario's results.
pub fn scenario_plots(result: &ScenarioResult) -> Vec<Plot> {
    vec![
        coverage_plot(result),
        latency_cdf_plot(result),
        cost_frontier_plot(&frontier_points(result), "Traffic versus residue"),
        messages_over_time_plot(result),
    ]
}

/// The strategies to plot: the scenario's, then any others the runs name.
fn strategies(result: &ScenarioResult) -> Vec<String> {
    let mut names = result.strategies.clone();
    for r in &result.runs {
        if !names.contains(&r.strategy) {
            names.push(r.strategy.clone());
        }
    }
    names
}

/// Linear interpolation on points sorted by x; before the first point `before`, after the last
/// the last y.
fn interp(points: &[(f64, f64)], x: f64, before: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= x);
    if i == 0 {
        return before;
    }
    if i == points.len() {
        return points[i - 1].1;
    }
    let (a, b) = (points[i - 1], points[i]);
    if b.0 - a.0 <= 0.0 {
        return b.1;
    }
    a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
}

/// The fault windows of the scenario as shaded intervals (from its first run: every run of a
/// scenario has the same schedule).
fn fault_shades(result: &ScenarioResult) -> Vec<Shade> {
    let end = run_end(result);
    result
        .runs
        .first()
        .map(|r| {
            r.faults
                .iter()
                .map(|f| Shade {
                    label: f.kind.clone(),
                    from: f.start,
                    to: f.end.unwrap_or(end),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How long runs lasted: the scenario's duration, or the end of the recorded data.
fn run_end(result: &ScenarioResult) -> f64 {
    if result.duration > 0.0 {
        return result.duration;
    }
    result
        .runs
        .iter()
        .map(|r| {
            let cov = r.coverage.last().map_or(0.0, |p| p.t) + r.coverage_start;
            let sends = r.sends_over_time.interval * r.sends_over_time.counts.len() as f64;
            cov.max(sends)
        })
        .fold(0.0, f64::max)
}

/// Push-style strategies, to which the logistic and round-count results apply, with their
/// fanout and period (seconds).
fn push_params(info: Option<&StrategyInfo>) -> Option<(f64, f64)> {
    let info = info?;
    let push = info.protocol == "rumor"
        || (info.protocol == "anti-entropy" && info.word("mode") == Some("push"));
    if !push {
        return None;
    }
    Some((info.number("fanout")?, info.number("period")?))
}

/// Coverage of the tracked update over run time: mean over seeds with a min–max band, fault
/// windows shaded; Serf's logistic curve (dashed) and the push round count (dotted) for push
/// strategies.
pub fn coverage_plot(result: &ScenarioResult) -> Plot {
    let mut chart = Chart::new(
        "Coverage over time",
        "run time (s)",
        "fraction of live nodes that know the update",
    );
    chart.subtitle = "mean over seeds, band min–max; dashed: Serf's logistic model; dotted: log₂n + ln n push rounds".into();
    chart.y_range = Some((0.0, 1.0));
    chart.shades = fault_shades(result);
    let end = run_end(result);
    // Show until a little after the last node learned (or the last fault ended), not a long tail.
    let mut horizon: f64 = 0.0;
    for r in &result.runs {
        if let Some(last) = r.coverage.last() {
            horizon = horizon.max(r.coverage_start + last.t);
        }
    }
    for s in &chart.shades {
        horizon = horizon.max(s.to);
    }
    let horizon = if horizon > 0.0 {
        (horizon * 1.08).min(end.max(horizon))
    } else {
        end
    };
    let xs = grid(0.0, horizon, 241);
    let n = f64::from(result.nodes);
    for (i, name) in strategies(result).iter().enumerate() {
        let c = color(i).to_owned();
        let curves: Vec<(f64, Vec<(f64, f64)>)> = result
            .runs_of(name)
            .filter(|r| !r.coverage.is_empty())
            .map(|r| {
                (
                    r.coverage_start,
                    r.coverage
                        .iter()
                        .map(|p| (r.coverage_start + p.t, p.fraction))
                        .collect(),
                )
            })
            .collect();
        if curves.is_empty() {
            continue;
        }
        let mut mean = Vec::with_capacity(xs.len());
        let mut band = Vec::with_capacity(xs.len());
        for &x in &xs {
            let ys: Vec<f64> = curves.iter().map(|(_, pts)| interp(pts, x, 0.0)).collect();
            let m = ys.iter().sum::<f64>() / ys.len() as f64;
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            mean.push((x, m));
            band.push((x, lo, hi));
        }
        if curves.len() > 1 {
            chart.bands.push(Band {
                color: c.clone(),
                points: band,
            });
        }
        chart.lines.push(Line {
            label: name.clone(),
            color: c.clone(),
            points: mean,
            width: 2.2,
            ..Line::default()
        });
        let start = curves.iter().map(|(s, _)| *s).sum::<f64>() / curves.len() as f64;
        if let Some((fanout, period)) = push_params(result.info(name))
            && period > 0.0
        {
            let rounds_to = |x: f64| (x - start) / period;
            let pts: Vec<(f64, f64)> = xs
                .iter()
                .filter(|&&x| x >= start)
                .map(|&x| {
                    (
                        x,
                        theory::serf_logistic(n, fanout, result.loss, rounds_to(x)),
                    )
                })
                .collect();
            chart.lines.push(Line {
                label: format!("{name}: Serf logistic"),
                color: c.clone(),
                points: pts,
                dash: Dash::Dashed,
                width: 1.4,
                step: false,
            });
            let rounds = theory::push_rounds(n, fanout);
            let what = if fanout == 1.0 {
                "log₂n + ln n".to_owned()
            } else {
                format!("log₍{}₎n + ln n/{}", fanout + 1.0, fanout)
            };
            chart.rules.push(Rule {
                label: format!("{name}: {what} = {rounds:.1} rounds"),
                color: c,
                at: start + rounds * period,
                vertical: true,
                dash: Dash::Dotted,
            });
        }
    }
    Plot {
        name: "coverage",
        title: chart.title.clone(),
        caption: "How fast the update spread: the fraction of live nodes that held it, over \
                  the run, with the fault windows shaded and the analytic curves beside the \
                  simulated ones."
            .into(),
        svg: chart.render(),
    }
}

/// The CDF of stable latency (write acknowledged → held by every node live at the end) over
/// all writes of all seeds; writes that never became stable keep the curve below 1.
pub fn latency_cdf_plot(result: &ScenarioResult) -> Plot {
    let mut chart = Chart::new(
        "Stable latency CDF",
        "stable latency: write acknowledged → held by every live node (s)",
        "fraction of writes",
    );
    chart.subtitle = "over every write of every seed; a curve that stays below 1 had writes that never reached every live node".into();
    chart.y_range = Some((0.0, 1.0));
    chart.empty_note = "no successful writes".into();
    let mut any = false;
    let mut x_max: f64 = 0.0;
    for (i, name) in strategies(result).iter().enumerate() {
        let all: Vec<Option<f64>> = result
            .runs_of(name)
            .flat_map(|r| r.stable_latencies.iter().copied())
            .collect();
        if all.is_empty() {
            continue;
        }
        any = true;
        let done: Vec<f64> = all.iter().flatten().copied().collect();
        let never = all.len() - done.len();
        let steps = ecdf(&done, all.len());
        x_max = x_max.max(steps.last().map_or(0.0, |p| p.0));
        let mut pts = vec![(0.0, 0.0)];
        pts.extend(steps);
        let label = if never > 0 {
            format!("{name} ({never}/{} never stable)", all.len())
        } else {
            format!("{name} ({} writes)", all.len())
        };
        chart.lines.push(Line {
            label,
            color: color(i).into(),
            points: pts,
            width: 2.2,
            step: true,
            dash: Dash::Solid,
        });
    }
    if any {
        let x_end = if x_max > 0.0 { x_max * 1.1 } else { 1.0 };
        for l in &mut chart.lines {
            if let Some(&(_, y)) = l.points.last() {
                l.points.push((x_end, y));
            }
        }
        chart.x_range = Some((0.0, x_end));
    } else {
        chart.lines.clear();
    }
    Plot {
        name: "latency-cdf",
        title: chart.title.clone(),
        caption: "Stable latency: for each write, the time from its acknowledgement until \
                  every node alive at the end held it."
            .into(),
        svg: chart.render(),
    }
}

/// One point of a cost frontier: a strategy (or a strategy at a sweep point) with its mean
/// traffic and residue, and the per-seed values.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontierPoint {
    /// Label shown beside the point.
    pub label: String,
    /// Which strategy (for its colour).
    pub strategy: String,
    /// Mean messages per node.
    pub msgs: f64,
    /// Mean residue.
    pub residue: f64,
    /// Per-seed `(msgs, residue)`.
    pub runs: Vec<(f64, f64)>,
    /// The strategy's protocol parameters, for the SIR overlay.
    pub info: Option<StrategyInfo>,
}

/// The frontier points of one scenario's results: one per strategy.
pub fn frontier_points(result: &ScenarioResult) -> Vec<FrontierPoint> {
    strategies(result)
        .into_iter()
        .filter_map(|name| {
            let runs: Vec<(f64, f64)> = result
                .runs_of(&name)
                .map(|r| (r.metrics.msgs_per_node, r.metrics.residue))
                .collect();
            if runs.is_empty() {
                return None;
            }
            let k = runs.len() as f64;
            Some(FrontierPoint {
                label: name.clone(),
                strategy: name.clone(),
                msgs: runs.iter().map(|p| p.0).sum::<f64>() / k,
                residue: runs.iter().map(|p| p.1).sum::<f64>() / k,
                runs,
                info: result.info(&name).cloned(),
            })
        })
        .collect()
}

/// Traffic (messages per node) against residue: each strategy's seeds (hollow) and mean
/// (filled, labelled), the Pareto frontier through the means, push rumor mongering's analytic
/// frontier `s = e^{-m}` and the SIR residue root of each rumor strategy's `k`.
pub fn cost_frontier_plot(points: &[FrontierPoint], title: &str) -> Plot {
    let mut chart = Chart::new(
        title,
        "traffic: messages sent per node",
        "residue (fraction of live nodes never informed)",
    );
    chart.subtitle = "filled: mean over seeds, hollow: single seeds; grey: cost frontier; dashed: push theory s = e^-m; dotted: SIR root".into();
    let mut order: Vec<String> = Vec::new();
    for p in points {
        if !order.contains(&p.strategy) {
            order.push(p.strategy.clone());
        }
    }
    let x_max = points
        .iter()
        .flat_map(|p| p.runs.iter().map(|r| r.0).chain([p.msgs]))
        .fold(0.0f64, f64::max);
    let mut y_max = points
        .iter()
        .flat_map(|p| p.runs.iter().map(|r| r.1).chain([p.residue]))
        .fold(0.0f64, f64::max);
    let mut sir: Vec<(String, f64)> = Vec::new();
    for p in points {
        if let Some(info) = &p.info
            && info.protocol == "rumor"
            && let Some(k) = info.number("k")
        {
            let label = format!("SIR root k={k}: s={:.3}", theory::sir_residue(k));
            if !sir.iter().any(|(l, _)| *l == label) {
                sir.push((label, theory::sir_residue(k)));
            }
        }
    }
    for (_, s) in &sir {
        y_max = y_max.max(*s);
    }
    let y_top = (y_max * 1.15).max(0.02);
    let x_right = (x_max * 1.1).max(1.0);
    chart.x_range = Some((0.0, x_right));
    chart.y_range = Some((0.0, y_top));
    chart.empty_note = "no runs".into();
    if points.is_empty() {
        return Plot {
            name: "cost-frontier",
            title: title.to_owned(),
            caption: String::new(),
            svg: chart.render(),
        };
    }
    // The analytic push frontier, where it falls inside the plot.
    let theory_pts: Vec<(f64, f64)> = grid(0.0, x_right, 200)
        .into_iter()
        .map(|m| (m, (-m).exp()))
        .filter(|(_, s)| *s <= y_top * 1.5)
        .collect();
    if !theory_pts.is_empty() {
        chart.lines.push(Line {
            label: "push theory s = e^-m".into(),
            color: "#333333".into(),
            points: theory_pts,
            dash: Dash::Dashed,
            width: 1.3,
            step: false,
        });
    }
    for (label, s) in sir {
        chart.rules.push(Rule {
            label,
            color: "#8c564b".into(),
            at: s,
            vertical: false,
            dash: Dash::Dotted,
        });
    }
    let means: Vec<(f64, f64)> = points.iter().map(|p| (p.msgs, p.residue)).collect();
    let front = pareto_frontier(&means);
    if front.len() > 1 {
        chart.lines.push(Line {
            label: "cost frontier".into(),
            color: "#999999".into(),
            points: front.iter().map(|&i| means[i]).collect(),
            width: 1.5,
            ..Line::default()
        });
    }
    for (si, strategy) in order.iter().enumerate() {
        let c = color(si).to_owned();
        let mine: Vec<&FrontierPoint> = points.iter().filter(|p| &p.strategy == strategy).collect();
        chart.points.push(Points {
            label: String::new(),
            color: c.clone(),
            points: mine
                .iter()
                .flat_map(|p| p.runs.iter().map(|&(x, y)| (x, y, String::new())))
                .collect(),
            radius: 3.0,
            hollow: true,
        });
        chart.points.push(Points {
            label: strategy.clone(),
            color: c,
            points: mine
                .iter()
                .map(|p| (p.msgs, p.residue, p.label.clone()))
                .collect(),
            radius: 5.5,
            hollow: false,
        });
    }
    Plot {
        name: "cost-frontier",
        title: title.to_owned(),
        caption: "What each strategy paid in traffic for how many nodes it left uninformed; \
                  the frontier joins the strategies no other beats on both."
            .into(),
        svg: chart.render(),
    }
}

/// Messages sent per node per second over the run, mean over seeds, fault windows shaded.
pub fn messages_over_time_plot(result: &ScenarioResult) -> Plot {
    let mut chart = Chart::new(
        "Messages per node over time",
        "run time (s)",
        "messages sent per node per second",
    );
    chart.subtitle = "mean over seeds".into();
    chart.shades = fault_shades(result);
    chart.empty_note = "no message counts recorded".into();
    let n = f64::from(result.nodes.max(1));
    let end = run_end(result);
    for (i, name) in strategies(result).iter().enumerate() {
        let series: Vec<&crate::model::SendSeries> = result
            .runs_of(name)
            .map(|r| &r.sends_over_time)
            .filter(|s| s.interval > 0.0 && !s.counts.is_empty())
            .collect();
        let Some(first) = series.first() else {
            continue;
        };
        let interval = first.interval;
        let mut len = series.iter().map(|s| s.counts.len()).max().unwrap_or(0);
        // The last interval may start at the very end of the run (events at exactly the end).
        if end > 0.0 {
            len = len.min((end / interval).ceil() as usize);
        }
        let mut pts = Vec::with_capacity(len + 1);
        for b in 0..len {
            let total: u64 = series
                .iter()
                .map(|s| s.counts.get(b).copied().unwrap_or(0))
                .sum();
            let rate = total as f64 / series.len() as f64 / n / interval;
            pts.push((b as f64 * interval, rate));
        }
        if let Some(&(_, y)) = pts.last() {
            let stop = len as f64 * interval;
            pts.push((if end > 0.0 { stop.min(end) } else { stop }, y));
        }
        chart.lines.push(Line {
            label: name.clone(),
            color: color(i).into(),
            points: pts,
            width: 1.8,
            step: true,
            dash: Dash::Solid,
        });
    }
    if !chart.lines.is_empty() {
        let top = chart
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold(0.0f64, f64::max);
        chart.y_range = Some((0.0, (top * 1.1).max(1e-9)));
        if end > 0.0 {
            chart.x_range = Some((0.0, end));
        }
    }
    Plot {
        name: "messages-over-time",
        title: chart.title.clone(),
        caption: "The network load each strategy put on every node, over the run.".into(),
        svg: chart.render(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_holds_the_last_value() {
        let pts = [(1.0, 0.0), (2.0, 1.0)];
        assert_eq!(interp(&pts, 0.5, 0.0), 0.0);
        assert_eq!(interp(&pts, 1.5, 0.0), 0.5);
        assert_eq!(interp(&pts, 9.0, 0.0), 1.0);
    }
}
