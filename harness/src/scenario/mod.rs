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
mod schema_checks;
mod schema_workload;
mod schema_zoo;
mod source_map;
mod to_yaml;
mod tree;
mod workload_rules;
mod yaml;

#[cfg(test)]
mod tests;

pub use builder::ScenarioBuilder;
pub use model::{
    BoundsCheck, CHECK_NAMES, Checks, ConvergenceCheck, Latency, MAX_PRELOAD_ENTRIES,
    MAX_PRELOAD_KEYS, NetworkSpec, PRELOAD_VERSION, PeerSampling, Preload, Protocol, ResidueCheck,
    Scenario, ScopedCheck, StrategySpec, ValidationError,
};
pub use to_yaml::{pair_faults, to_yaml};
pub use yaml::{LoadError, load_scenario, parse_scenario};

pub(crate) use schema::{CONFLICTS, MODES, REMOVALS};
pub(crate) use schema_zoo::BUGS;

#[cfg(test)]
mod workload_tests;
