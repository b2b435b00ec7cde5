//! `hearsay run`: every strategy under every seed, the comparison on stdout, the reports in
//! the results store.

use crate::common::{self, StoreDir};
use crate::{Format, SeedArgs, SpreadArg, StoreArgs};
use anyhow::Result;
use hearsay_harness::RunOptions;
use hearsay_reports::{TableOptions, render_markdown, render_table_with};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub(crate) struct RunArgs {
    pub(crate) path: PathBuf,
    pub(crate) seeds: SeedArgs,
    pub(crate) format: Format,
    pub(crate) spread: SpreadArg,
    pub(crate) store: StoreArgs,
    pub(crate) trace: bool,
    pub(crate) sequential: bool,
    pub(crate) backend: crate::backends::Backend,
}

pub(crate) fn run(args: RunArgs) -> Result<ExitCode> {
    let mut scenario = common::load(&args.path)?;
    common::apply_seeds(&mut scenario, &args.seeds);
    let store = StoreDir::create(&args.store, &scenario.name)?;
    let started = Instant::now();
    let result = match args.backend {
        crate::backends::Backend::Emulator => common::run_with_store(
            &scenario,
            RunOptions {
                sequential: args.sequential,
                record_trace: args.trace && store.is_some(),
            },
            store.as_ref(),
            &scenario.name,
        )?,
        // Other backends keep no event trace; the store gets the report and results.
        backend => crate::backends::run_on(backend, &scenario, args.sequential)?,
    };
    let wall = started.elapsed().as_secs_f64();
    match args.format {
        Format::Table => common::print_out(&render_table_with(
            &result,
            TableOptions {
                spread: args.spread.style(),
            },
        )),
        Format::Md => common::print_out(&render_markdown(&result, &[])),
        Format::Json => common::print_out(&(result.to_json() + "\n")),
    }
    let delivered: u64 = result.runs.iter().map(|r| r.traffic.delivered).sum();
    eprintln!(
        "{} runs in {wall:.2}s wall, {:.1} M delivered messages/s",
        result.runs.len(),
        delivered as f64 / wall / 1e6
    );
    if let Some(store) = &store {
        common::store_report(store, &result)?;
    }
    if result.passed() {
        return Ok(ExitCode::SUCCESS);
    }
    for r in result.runs.iter().filter(|r| !r.passed()) {
        if let Some(f) = r.first_failure() {
            eprintln!(
                "check `{}` failed for {} seed {}; replay it with: {}",
                f.name,
                r.strategy,
                r.seed,
                common::replay_command(&args.path, &r.strategy, r.seed, &r.fingerprint)
            );
        }
    }
    Ok(ExitCode::from(1))
}
