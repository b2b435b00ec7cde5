//! Checkers and metrics: verdicts and measures computed from a run's recorded history.
//!
//! Every checker reads only the [`History`](crate::history::History) (plus the scenario's bounds
//! and the strategy's conflict rule), never the live emulator, so a verdict can be recomputed
//! from a stored history. Each failing check names its invariant and the evidence: keys,
//! nodes, versions and times.

mod bounds;
mod conflict_resolution;
mod convergence;
mod index;
mod learned_groups;
mod lost_writes;
mod metrics;
mod monotonic;
mod phantoms;
#[cfg(test)]
mod reference_tests;
mod residue;
mod stable_latency;
mod staleness;

pub use bounds::check_bounds;
pub use conflict_resolution::check_conflict_resolution;
pub use convergence::check_convergence;
pub use index::{HistoryIndex, covers};
pub use learned_groups::{Holding, LearnedGroups};
pub use lost_writes::check_no_lost_writes;
pub use metrics::{UpdateSpread, compute_metrics, convergence_reference, update_spreads};
pub use monotonic::check_monotonic_versions;
pub use phantoms::check_no_phantoms;
pub use residue::check_residue;
pub use stable_latency::{ramp_results, stable_latencies, stable_percentiles};
pub use staleness::read_staleness;
