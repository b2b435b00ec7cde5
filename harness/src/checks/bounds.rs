//! The bounds check: t_last, stable-latency percentile and traffic within the scenario's limits.

use super::UpdateSpread;
use crate::scenario::BoundsCheck;
use hearsay_reports::{CheckOutcome, RunMetrics, Verdict};

/// Judges every bound the scenario sets; the detail lists each one measured against its limit.
pub fn check_bounds(
    bounds: &BoundsCheck,
    metrics: &RunMetrics,
    spreads: &[UpdateSpread],
) -> CheckOutcome {
    let mut held = Vec::new();
    let mut broken = Vec::new();
    if let Some(limit) = bounds.t_last {
        let worst = spreads
            .iter()
            .filter_map(|s| s.delays.last().copied())
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let unreached = spreads.iter().filter(|s| s.residue() > 0.0).count();
        match worst {
            Some(t) if t <= limit.as_secs_f64() && unreached == 0 => held.push(format!("t_last {t:.3}s <= {limit}")),
            Some(t) if unreached == 0 => broken.push(format!("t_last {t:.3}s > {limit}")),
            _ => broken.push(format!("t_last unbounded: {unreached} updates never reached every live node (limit {limit})")),
        }
    }
    if let Some(limit) = bounds.msgs_per_node {
        let m = metrics.msgs_per_node;
        if m <= limit {
            held.push(format!("msgs/node {m:.1} <= {limit}"));
        } else {
            broken.push(format!("msgs/node {m:.1} > {limit}"));
        }
    }
    if let Some((p, limit)) = bounds.stable_latency {
        match &metrics.stable_latency {
            Some(l) if l.never == 0 && l.get(p) <= limit.as_secs_f64() => {
                held.push(format!("stable p{p} {:.3}s <= {limit}", l.get(p)))
            }
            Some(l) if l.never == 0 => {
                broken.push(format!("stable p{p} {:.3}s > {limit}", l.get(p)))
            }
            Some(l) => broken.push(format!(
                "{} writes never became stable (stable p{p} bound {limit})",
                l.never
            )),
            None => broken.push(format!(
                "no write became stable (stable p{p} bound {limit})"
            )),
        }
    }
    let (verdict, detail) = if broken.is_empty() {
        (Verdict::Pass, held.join("; "))
    } else {
        (Verdict::Fail, broken.join("; "))
    };
    CheckOutcome {
        name: "bounds".into(),
        verdict,
        detail,
    }
}
