//! Results of hearsay runs, and the reports made from them.
//!
//! This crate knows nothing about how a run was produced: the harness hands it [`RunResult`]s
//! (one per strategy × seed) gathered in a [`ScenarioResult`], and it aggregates them over seeds
//! ([`summarize`]), compares strategies, and renders terminal tables and JSON.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod model;
mod summary;
mod table;

pub use model::{
    CheckOutcome, CoveragePoint, FaultWindowRecord, LatencyPercentiles, RampStepResult, RunMetrics,
    RunResult, ScenarioResult, TrafficCounts, Verdict,
};
pub use summary::{CheckTally, Spread, StrategySummary, Unit, summarize};
pub use table::render_table;

/// The version of the JSON schema written by [`ScenarioResult::to_json`].
pub const RESULTS_SCHEMA_VERSION: u32 = 1;
