//! The hearsay harness: a deterministic discrete-event network emulator for sans-IO gossip
//! nodes, the runner that plays a scenario's strategies over its seeds, the checkers that judge
//! each run, and the scenario loader. The `hearsay` binary is a thin command line over it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checks;
pub mod emulator;
pub mod history;
pub mod runner;
pub mod scenario;

pub use runner::{RunOptions, run_one, run_scenario, run_scenario_with};
pub use scenario::{Scenario, ScenarioBuilder, load_scenario};
