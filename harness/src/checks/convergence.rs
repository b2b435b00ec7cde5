//! The convergence check: after the last heal, every live node holds the same state within a
//! bound, and keeps holding it to the end of the run.

use crate::history::History;
use hearsay_protocols::SimDuration;
use hearsay_reports::{CheckOutcome, RunMetrics, Verdict};
use std::collections::BTreeMap;

/// Judges convergence against `within`, with evidence on failure: how many distinct states the
/// live nodes hold at the end and which nodes are in the minority.
pub fn check_convergence(
    history: &History,
    metrics: &RunMetrics,
    within: SimDuration,
) -> CheckOutcome {
    let bound = within.as_secs_f64();
    let (verdict, detail) = match metrics.convergence {
        Some(t) if t <= bound => (
            Verdict::Pass,
            format!("converged {t:.3}s after the last heal or write (bound {within})"),
        ),
        Some(t) => (
            Verdict::Fail,
            format!("converged only {t:.3}s after the last heal or write (bound {within})"),
        ),
        None => (Verdict::Fail, divergence_evidence(history)),
    };
    CheckOutcome {
        name: "convergence".into(),
        verdict,
        detail,
    }
}

fn divergence_evidence(history: &History) -> String {
    let mut by_state: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for (i, (fp, alive)) in history
        .fingerprints_at_end
        .iter()
        .zip(&history.alive_at_end)
        .enumerate()
    {
        if *alive {
            by_state.entry(*fp).or_default().push(i as u32);
        }
    }
    let mut groups: Vec<(u64, Vec<u32>)> = by_state.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let live: usize = groups.iter().map(|g| g.1.len()).sum();
    let mut out = format!(
        "not converged at the end: {} distinct states among {live} live nodes",
        groups.len()
    );
    if let Some((majority_fp, majority)) = groups.first() {
        out += &format!("; {} nodes hold state {majority_fp:016x}", majority.len());
        for (fp, nodes) in groups.iter().skip(1).take(3) {
            let shown: Vec<String> = nodes.iter().take(5).map(|n| format!("n{n}")).collect();
            let more = if nodes.len() > 5 {
                format!(" and {} more", nodes.len() - 5)
            } else {
                String::new()
            };
            out += &format!(
                "; {} hold {fp:016x} ({}{more})",
                nodes.len(),
                shown.join(", ")
            );
        }
    }
    out
}
