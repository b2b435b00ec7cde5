//! `hearsay faults`: print the fault schedule of one run of a scenario as a `faults:` list.
//!
//! With a nemesis, this is the schedule the nemesis draws for that seed: paste it into the
//! scenario in place of the `nemesis:` block to edit it and replay the run (same trace
//! fingerprint).

use crate::UsageError;
use anyhow::Result;
use hearsay_harness::{load_scenario, run_faults};
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn faults(path: &Path, seed: Option<u64>) -> Result<ExitCode> {
    let scenario = load_scenario(path).map_err(|e| UsageError(e.to_string()))?;
    let seed = seed.unwrap_or(scenario.seeds[0]);
    let schedule = run_faults(&scenario, seed);
    println!(
        "# The faults of `{}` under seed {seed} ({} events). Paste this list in place of the\n\
         # scenario's `faults:` (and `nemesis:`) to edit and replay this run.",
        scenario.name,
        schedule.faults().len()
    );
    print!("{}", schedule.to_yaml());
    Ok(ExitCode::SUCCESS)
}
