//! The hearsay harness: a deterministic discrete-event network emulator for sans-IO gossip
//! nodes, the runner that plays a scenario's strategies over its seeds, the checkers that judge
//! each run, and the scenario loader. The `hearsay` binary is a thin command line over it.
//!
//! A scenario can come from a YAML file ([`load_scenario`]) or be built in Rust, for instance
//! inside a user's own test, and it yields the same result type and checks the CLI uses:
//!
//! ```
//! use hearsay_faults::{FaultAction, PartitionSpec};
//! use hearsay_harness::{Scenario, run_scenario, scenario::Protocol};
//! use hearsay_protocols::{SimDuration, SimTime, anti_entropy::AntiEntropyConfig};
//!
//! let scenario = Scenario::builder("heal", 200)
//!     .duration(SimDuration::from_secs(15))
//!     .seeds(0..3)
//!     .strategy("anti-entropy", Protocol::AntiEntropy(AntiEntropyConfig::default()))
//!     .fault_for(SimTime::ZERO, SimDuration::from_secs(4), FaultAction::Partition(PartitionSpec::Halves))
//!     .check_convergence(SimDuration::from_secs(8), None)
//!     .build()?;
//! let result = run_scenario(&scenario);
//! assert!(result.passed(), "{}", hearsay_reports::render_table(&result));
//! assert!(result.runs.iter().all(|r| r.metrics.residue == 0.0));
//! # Ok::<(), hearsay_harness::scenario::ValidationError>(())
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod backend;
pub mod checks;
pub mod driver;
pub mod emulator;
pub mod history;
mod history_jsonl;
mod huge_pages;
pub mod learned_log;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod sweep;

pub use history_jsonl::HistoryReadError;
pub use runner::{
    RunOptions, run_bare, run_faults, run_one, run_scenario, run_scenario_each, run_scenario_with,
};
pub use scenario::{Scenario, ScenarioBuilder, load_scenario};
