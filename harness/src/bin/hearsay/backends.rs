//! `hearsay run --backend emulator|turmoil`: which engine plays a scenario's runs.

use crate::UsageError;
use anyhow::Result;
use clap::ValueEnum;
use hearsay_harness::backend::BackendError;
use hearsay_harness::backend::turmoil::{self, TurmoilOptions};
use hearsay_harness::{RunOptions, Scenario, run_scenario_with};
use hearsay_reports::ScenarioResult;

/// The engine that runs a scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// The deterministic discrete-event emulator (fast; scales to 10^6 nodes).
    #[default]
    Emulator,
    /// The same nodes as tokio tasks on turmoil's simulated UDP (deterministic; up to a few
    /// hundred nodes).
    Turmoil,
}

/// Runs `scenario` on `backend`. What the backend cannot express is a usage error (exit 2),
/// reported before any run starts.
pub(crate) fn run_on(
    backend: Backend,
    scenario: &Scenario,
    sequential: bool,
) -> Result<ScenarioResult> {
    match backend {
        Backend::Emulator => Ok(run_scenario_with(
            scenario,
            RunOptions {
                sequential,
                ..RunOptions::default()
            },
        )),
        Backend::Turmoil => turmoil::run_scenario(
            scenario,
            TurmoilOptions {
                sequential,
                ..TurmoilOptions::default()
            },
        )
        .map_err(backend_error),
    }
}

/// Unsupported features are the user's input (exit 2); anything else is a failure (exit 1).
pub(crate) fn backend_error(e: BackendError) -> anyhow::Error {
    match e {
        e @ BackendError::Unsupported { .. } => UsageError(e.to_string()).into(),
        e => e.into(),
    }
}
