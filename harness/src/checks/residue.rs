//! The residue check: at most a given fraction of live nodes may miss an update.

use crate::checks::UpdateSpread;
use hearsay_reports::{CheckOutcome, Verdict};

/// Judges every update's residue against `max`, naming the worst update on failure.
pub fn check_residue(spreads: &[UpdateSpread], max: f64) -> CheckOutcome {
    let worst = spreads
        .iter()
        .max_by(|a, b| a.residue().total_cmp(&b.residue()));
    let (verdict, detail) = match worst {
        None => (Verdict::Pass, "no successful write to measure".to_string()),
        Some(s) if s.residue() <= max => (
            Verdict::Pass,
            format!("worst residue {:.4} (bound {max})", s.residue()),
        ),
        Some(s) => (
            Verdict::Fail,
            format!(
                "update {} written at {} on {}: {} of {} live nodes never got it (residue {:.4}, bound {max})",
                s.version,
                s.written_at,
                s.origin,
                s.live_at_end - s.holders_at_end,
                s.live_at_end,
                s.residue()
            ),
        ),
    };
    CheckOutcome {
        name: "residue".into(),
        verdict,
        detail,
    }
}
