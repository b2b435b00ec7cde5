//! `hearsay sweep` (a parameter grid, or one shard of it) and `hearsay merge` (shards into one).

use crate::common::{self, StoreDir};
use crate::{Format, SeedArgs, StoreArgs, UsageError};
use anyhow::{Context as _, Result};
use hearsay_harness::RunOptions;
use hearsay_harness::sweep::{Grid, Partition, apply, check_keys, parse_set};
use hearsay_reports::SpreadStyle;
use hearsay_reports::sweep::{
    SWEEP_SCHEMA_VERSION, SweepPoint, SweepResult, render_sweep_html, render_sweep_markdown,
    render_sweep_table,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub(crate) fn sweep(
    path: PathBuf,
    set: Vec<String>,
    partition: Option<Partition>,
    seeds: SeedArgs,
    format: Format,
    store: StoreArgs,
) -> Result<ExitCode> {
    let mut scenario = common::load(&path)?;
    common::apply_seeds(&mut scenario, &seeds);
    let usage = |e: hearsay_harness::sweep::SweepError| UsageError(e.to_string());
    let axes = set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let grid = Grid::new(axes).map_err(usage)?;
    check_keys(&scenario, &grid).map_err(usage)?;
    let keys = grid.keys();
    // Every point is set up (and validated) before anything runs: a bad value fails at once.
    let mut planned = Vec::new();
    for index in (0..grid.len()).filter(|i| partition.is_none_or(|p| p.includes(*i))) {
        let values = grid.point(index);
        let s = apply(&scenario, &keys, &values).map_err(usage)?;
        planned.push((index, values, s));
    }
    let started = Instant::now();
    let progress = common::Progress::new(
        planned
            .iter()
            .map(|(_, _, s)| (s.strategies.len() * s.seeds.len()) as u64)
            .sum(),
        &format!("sweep {}", scenario.name),
    );
    let mut points = Vec::with_capacity(planned.len());
    for (index, values, s) in planned {
        let result =
            hearsay_harness::run_scenario_each(&s, RunOptions::default(), &|_, _| progress.inc());
        points.push(SweepPoint {
            index,
            values,
            result,
        });
    }
    progress.finish();
    let result = SweepResult {
        schema_version: SWEEP_SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        parameters: keys,
        grid_size: grid.len(),
        partition: partition.map(|p| p.to_string()),
        points,
    };
    eprintln!(
        "{} grid points in {}",
        result.points.len(),
        common::elapsed(started)
    );
    report(&result, format, &store, &format!("{}.sweep", scenario.name))?;
    Ok(if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints a sweep in `format` and stores sweep.json, sweep.md, sweep.html and the frontier.
fn report(result: &SweepResult, format: Format, store: &StoreArgs, folder: &str) -> Result<()> {
    match format {
        Format::Table => common::print_out(&render_sweep_table(result, SpreadStyle::Ci95)),
        Format::Md => common::print_out(&render_sweep_markdown(result, None)),
        Format::Json => common::print_out(&(result.to_json() + "\n")),
    }
    if let Some(dir) = StoreDir::create(store, folder)? {
        dir.write("sweep.json", &result.to_json())?;
        dir.write(
            "sweep.md",
            &render_sweep_markdown(result, Some("cost-frontier.svg")),
        )?;
        dir.write("sweep.html", &render_sweep_html(result))?;
        dir.write(
            "cost-frontier.svg",
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
                result.frontier_plot().svg
            ),
        )?;
        dir.finish()?;
        eprintln!(
            "results: {}  (sweep.html, sweep.md, sweep.json)",
            dir.path.display()
        );
    }
    Ok(())
}

pub(crate) fn merge(shards: Vec<PathBuf>, format: Format, store: StoreArgs) -> Result<ExitCode> {
    let mut results = Vec::with_capacity(shards.len());
    for p in &shards {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))
            .map_err(|e| UsageError(format!("{e:#}")))?;
        let r = SweepResult::from_json(&text).map_err(|e| {
            UsageError(format!(
                "{}: not sweep results (`hearsay sweep --format json`): {e}",
                p.display()
            ))
        })?;
        results.push(r);
    }
    let merged = SweepResult::merge(results).map_err(|e| UsageError(e.to_string()))?;
    report(
        &merged,
        format,
        &store,
        &format!("{}.sweep", merged.scenario),
    )?;
    let missing = merged.missing();
    if !missing.is_empty() {
        eprintln!(
            "error: the shards cover {} of {} grid points; missing points: {}",
            merged.points.len(),
            merged.grid_size,
            missing
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(if merged.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
