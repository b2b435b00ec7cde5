//! Results of hearsay runs, and the reports made from them.
//!
//! This crate knows nothing about how a run was produced: the harness hands it [`RunResult`]s
//! (one per strategy × seed) gathered in a [`ScenarioResult`], and it aggregates them over seeds
//! ([`summarize`]), compares strategies, and renders them: a terminal table ([`render_table`]),
//! `report.md` ([`render_markdown`]), `results.json` ([`ScenarioResult::to_json`], schema in
//! `reports/RESULTS_SCHEMA.md`) and a self-contained `report.html` with SVG plots
//! ([`render_html`], [`plots`]) and the analytic overlays of [`theory`]. It also keeps the
//! results store ([`store`]), judges regressions against baselines ([`regression`]), writes
//! JUnit XML ([`junit`]) and joins parameter sweeps ([`sweep`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod html;
pub mod junit;
mod markdown;
mod model;
pub mod plots;
pub mod regression;
mod run_row;
pub mod stats;
pub mod store;
mod summary;
pub mod svg;
pub mod sweep;
mod table;
pub mod theory;

pub use html::render_html;
pub use markdown::{PlotLink, render_markdown};
pub use model::{
    CheckOutcome, CoveragePoint, FaultWindowRecord, LatencyPercentiles, ParamValue, RampStepResult,
    RunMetrics, RunResult, ScenarioResult, SendSeries, StrategyInfo, TrafficCounts, Verdict,
};
pub use summary::{CheckTally, Spread, SpreadStyle, StrategySummary, Unit, summarize};
pub use table::{Cell, Comparison, TableOptions, comparison, render_table, render_table_with};

/// The version of the JSON schema written by [`ScenarioResult::to_json`]. Version 2 added
/// `duration`, `loss` and `strategy_info` to the scenario and `coverage_start`,
/// `stable_latencies` and `sends_over_time` to each run; version 1 files still load (the new
/// fields take their defaults).
pub const RESULTS_SCHEMA_VERSION: u32 = 2;
