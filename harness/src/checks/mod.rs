//! Checkers and metrics: verdicts and measures computed from a run's recorded history.
//!
//! Every checker reads only the [`History`](crate::history::History) (plus the scenario's bounds),
//! never the live emulator, so a verdict can be recomputed from a stored history.

mod convergence;
mod metrics;
mod residue;

pub use convergence::check_convergence;
pub use metrics::{UpdateSpread, compute_metrics, convergence_reference, update_spreads};
pub use residue::check_residue;
