//! Scenarios: what to run — the cluster, the network, the strategies to compare, the workload,
//! the faults, the checks, the duration and the seeds.
//!
//! A [`Scenario`] comes either from a YAML file ([`load_scenario`], errors name the file, line
//! and column) or from Rust code through [`ScenarioBuilder`]; both end in the same validated
//! value that the runner takes.

mod builder;
mod fault_schema;
mod model;
mod reading;
mod schema;
mod source_map;
mod tree;
mod yaml;

#[cfg(test)]
mod tests;

pub use builder::ScenarioBuilder;
pub use model::{
    Checks, ConvergenceCheck, Latency, NetworkSpec, PeerSampling, Protocol, ResidueCheck, Scenario,
    StrategySpec, ValidationError,
};
pub use yaml::{LoadError, load_scenario, parse_scenario};
