//! `hearsay shrink`: a failing run's smallest fault schedule and cluster, as a scenario file.

use crate::UsageError;
use crate::common;
use anyhow::{Context as _, Result, bail};
use hearsay_harness::RunOptions;
use hearsay_harness::scenario::to_yaml;
use hearsay_harness::shrink::{ShrinkTarget, first_failure, shrink as shrink_run};
use hearsay_reports::{ScenarioResult, Verdict};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub(crate) fn shrink(
    source: PathBuf,
    strategy: Option<String>,
    seed: Option<u64>,
    check: Option<String>,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    let (scenario, scenario_path, stored) = if source.is_dir() {
        let dir = hearsay_reports::store::resolve_run_dir(&source)
            .map_err(|e| UsageError(e.to_string()))?;
        let path = dir.join("scenario.yaml");
        let text = std::fs::read_to_string(dir.join("results.json"))
            .with_context(|| format!("reading {}", dir.join("results.json").display()))?;
        let stored = ScenarioResult::from_json(&text).map_err(|e| UsageError(e.to_string()))?;
        (common::load(&path)?, path, Some(stored))
    } else {
        (common::load(&source)?, source.clone(), None)
    };

    // The run to shrink: as given, else the first failure (stored, or found by running).
    let target = match (strategy, seed) {
        (Some(strategy), Some(seed)) => {
            let check = match check.clone() {
                Some(c) => c,
                None => {
                    let s = scenario
                        .strategies
                        .iter()
                        .find(|s| s.name == strategy)
                        .ok_or_else(|| {
                            UsageError(format!("the scenario has no strategy `{strategy}`"))
                        })?;
                    let (r, _) =
                        hearsay_harness::run_one(&scenario, s, seed, RunOptions::default());
                    r.first_failure().map(|c| c.name.clone()).ok_or_else(|| {
                        UsageError(format!(
                            "{strategy} seed {seed} fails no check: nothing to shrink"
                        ))
                    })?
                }
            };
            ShrinkTarget {
                strategy,
                seed,
                check,
            }
        }
        (strategy, seed) => {
            let runs = match stored {
                Some(r) => r.runs,
                None => {
                    eprintln!("looking for a failing run of {} …", scenario_path.display());
                    hearsay_harness::run_scenario_with(&scenario, RunOptions::default()).runs
                }
            };
            let candidates: Vec<_> = runs
                .into_iter()
                .filter(|r| strategy.as_ref().is_none_or(|s| *s == r.strategy))
                .filter(|r| seed.is_none_or(|s| s == r.seed))
                .filter(|r| {
                    check.as_ref().is_none_or(|c| {
                        r.checks
                            .iter()
                            .any(|x| x.name == *c && x.verdict == Verdict::Fail)
                    })
                })
                .collect();
            let mut t = first_failure(&candidates)
                .ok_or_else(|| UsageError("no run fails a check: nothing to shrink".into()))?;
            if let Some(c) = check.clone() {
                t.check = c;
            }
            t
        }
    };
    eprintln!(
        "shrinking {} seed {} (check `{}`): {} faults on {} nodes",
        target.strategy,
        target.seed,
        target.check,
        hearsay_harness::run_faults(&scenario, target.seed)
            .faults()
            .len(),
        scenario.nodes
    );
    let started = Instant::now();
    let verbose = std::env::var_os("HEARSAY_SHRINK_VERBOSE").is_some();
    let shrunk = shrink_run(&scenario, &target, &mut |line| {
        if verbose {
            eprintln!("  {line}");
        }
    })
    .map_err(|e| UsageError(e.to_string()))?;
    let detail = shrunk
        .result
        .checks
        .iter()
        .find(|c| c.name == target.check)
        .map_or_else(String::new, |c| c.detail.clone());

    let path = match out {
        Some(p) => p,
        None => fresh_path(&format!(
            "{}.yaml",
            hearsay_reports::store::folder_name(&shrunk.scenario.name)
        ))?,
    };
    let header = format!(
        "# Shrunk by `hearsay shrink` from {} ({} seed {}, check `{}`):\n# {} → {} faults, {} → {} nodes, in {} runs. It still fails:\n#   {}\n# Run it with: hearsay run {}\n",
        scenario_path.display(),
        target.strategy,
        target.seed,
        target.check,
        shrunk.faults.0,
        shrunk.faults.1,
        shrunk.nodes.0,
        shrunk.nodes.1,
        shrunk.runs,
        detail,
        path.display()
    );
    let mut f =
        std::fs::File::create(&path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(header.as_bytes())?;
    f.write_all(to_yaml(&shrunk.scenario).as_bytes())?;
    drop(f);

    // The file must fail again, on its own.
    let again = common::load(&path)?;
    let rerun = hearsay_harness::run_scenario_with(&again, RunOptions::default());
    let still = rerun.runs.iter().any(|r| {
        r.checks
            .iter()
            .any(|c| c.name == target.check && c.verdict == Verdict::Fail)
    });
    println!(
        "shrunk {} → {} faults and {} → {} nodes in {} runs ({}); check `{}` still fails: {detail}",
        shrunk.faults.0,
        shrunk.faults.1,
        shrunk.nodes.0,
        shrunk.nodes.1,
        shrunk.runs,
        common::elapsed(started),
        target.check
    );
    println!(
        "wrote {}; run it with: hearsay run {}",
        path.display(),
        path.display()
    );
    if !still {
        bail!(
            "{} did not fail check `{}` when run again",
            path.display(),
            target.check
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `name.yaml` in the current folder, or `name-2.yaml`, … : never an existing file.
fn fresh_path(name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    let stem = p
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    for n in 1u32.. {
        let candidate = if n == 1 {
            PathBuf::from(name)
        } else {
            PathBuf::from(format!("{stem}-{n}.yaml"))
        };
        if !candidate.exists() {
            return Ok(candidate);
        }
    }
    unreachable!()
}
