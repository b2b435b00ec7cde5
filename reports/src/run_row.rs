//! One run as a row of the per-run tables in `report.md` and `report.html`: the cells, before
//! any markup, so the two reports cannot drift apart in what they say about a run.

use crate::model::{RunResult, Verdict};

/// A run's verdict in a word: `FAIL` if any check failed, `pass` if one held, else `n/a`.
pub(crate) fn verdict_word(r: &RunResult) -> &'static str {
    if r.checks.iter().any(|c| c.verdict == Verdict::Fail) {
        "FAIL"
    } else if r.checks.iter().any(|c| c.verdict == Verdict::Pass) {
        "pass"
    } else {
        "n/a"
    }
}

/// The cells of a run's row: strategy, seed, residue, msgs/node, t_last, convergence, verdict
/// and the fingerprint (16 hex digits, without `0x`).
pub(crate) fn run_cells(r: &RunResult) -> [String; 8] {
    [
        r.strategy.clone(),
        r.seed.to_string(),
        format!("{:.4}", r.metrics.residue),
        format!("{:.2}", r.metrics.msgs_per_node),
        r.metrics
            .t_last
            .map_or("–".to_owned(), |t| format!("{t:.3}s")),
        r.metrics
            .convergence
            .map_or("never".to_owned(), |t| format!("{t:.3}s")),
        verdict_word(r).to_owned(),
        r.fingerprint.clone(),
    ]
}
