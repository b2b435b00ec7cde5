//! `hearsay check DIR`: the CI regression suite. Every scenario file of a folder is run and
//! judged by [`hearsay_reports::regression::judge_scenario`] against its expectation and its
//! baseline; failures print the replay command that reproduces them; `--junit` writes JUnit
//! XML; `--bless` records the baselines.

use crate::UsageError;
use crate::common;
use anyhow::{Context as _, Result};
use hearsay_harness::RunOptions;
use hearsay_harness::scenario::Scenario;
use hearsay_reports::junit::{CaseOutcome, TestCase, TestSuite, render_junit};
use hearsay_reports::regression::{
    Baseline, CaseJudgement, Expectation, ExpectedFailure, judge_scenario,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What a scenario expects of its checks: every check holds, except those it declares under
/// `checks.expect_failure` (the bug zoo), which must fail — and fail the suite the day they
/// stop failing.
fn expectation(scenario: &Scenario) -> Expectation {
    Expectation {
        must_fail: scenario
            .checks
            .expect_failure
            .iter()
            .map(|check| ExpectedFailure {
                check: check.clone(),
                strategies: None,
            })
            .collect(),
    }
}

/// The scenario files of `dir`, in name order.
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the scenario folder {}", dir.display()))
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

pub(crate) fn check(
    dir: PathBuf,
    bless: bool,
    baselines: Option<PathBuf>,
    junit: Option<PathBuf>,
) -> Result<ExitCode> {
    let files = scenario_files(&dir)?;
    if files.is_empty() {
        return Err(UsageError(format!(
            "{} has no scenario files (*.yaml, *.yml)",
            dir.display()
        ))
        .into());
    }
    let baseline_dir = baselines.unwrap_or_else(|| dir.join("baselines"));
    let started = Instant::now();
    let mut suites = Vec::new();
    let (mut cases, mut failed, mut load_errors) = (0usize, 0usize, 0usize);
    for file in &files {
        let t0 = Instant::now();
        let stem = file
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        let suite_name = file.display().to_string();
        let scenario = match common::load(file) {
            Ok(s) => s,
            Err(e) => {
                load_errors += 1;
                println!("ERROR {}\n      {e:#}", file.display());
                suites.push(TestSuite {
                    name: suite_name.clone(),
                    time: t0.elapsed().as_secs_f64(),
                    cases: vec![TestCase {
                        name: "load".into(),
                        classname: suite_name,
                        time: 0.0,
                        outcome: CaseOutcome::Errored {
                            message: "the scenario does not load".into(),
                            details: format!("{e:#}"),
                        },
                    }],
                });
                continue;
            }
        };
        let result = hearsay_harness::run_scenario_with(&scenario, RunOptions::default());
        let baseline_path = baseline_dir.join(format!("{stem}.json"));
        let stored = read_baseline(&baseline_path)?;
        if bless {
            let fresh = Baseline::bless(&result, stored.as_ref());
            std::fs::create_dir_all(&baseline_dir)
                .with_context(|| format!("creating {}", baseline_dir.display()))?;
            std::fs::write(&baseline_path, fresh.to_json())
                .with_context(|| format!("writing {}", baseline_path.display()))?;
            eprintln!("blessed {}", baseline_path.display());
        }
        let judged = if bless {
            // Blessing accepts the metrics; the checks are still judged.
            let fresh = Baseline::bless(&result, None);
            judge_scenario(&result, &expectation(&scenario), Some(&fresh))
        } else {
            judge_scenario(&result, &expectation(&scenario), stored.as_ref())
        };
        let time = t0.elapsed().as_secs_f64();
        let bad: Vec<&CaseJudgement> = judged.iter().filter(|c| !c.passed()).collect();
        cases += judged.len();
        failed += bad.len();
        println!(
            "{} {}  ({} cases, {:.2}s)",
            if bad.is_empty() { "PASS " } else { "FAIL " },
            file.display(),
            judged.len(),
            time
        );
        let mut junit_cases = Vec::new();
        for c in &judged {
            for note in &c.notes {
                println!("      note: {}: {note}", c.name);
            }
            let outcome = if c.passed() {
                CaseOutcome::Passed
            } else {
                let mut details = String::new();
                for f in &c.findings {
                    println!("      {}: {}", c.name, f.message);
                    details.push_str(&f.message);
                    details.push('\n');
                    if let Some(run) = &f.run {
                        let cmd =
                            common::replay_command(file, &run.strategy, run.seed, &run.fingerprint);
                        println!("        replay: {cmd}");
                        details.push_str(&format!("replay: {cmd}\n"));
                    }
                }
                CaseOutcome::Failed {
                    message: c
                        .findings
                        .first()
                        .map_or_else(String::new, |f| f.message.clone()),
                    details,
                }
            };
            junit_cases.push(TestCase {
                name: c.name.clone(),
                classname: scenario.name.clone(),
                time: time / judged.len().max(1) as f64,
                outcome,
            });
        }
        suites.push(TestSuite {
            name: suite_name,
            time,
            cases: junit_cases,
        });
    }
    if let Some(path) = &junit {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(path, render_junit("hearsay check", &suites))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("junit: {}", path.display());
    }
    println!(
        "check: {} scenarios, {cases} cases, {failed} failed{} in {}",
        files.len(),
        if load_errors > 0 {
            format!(", {load_errors} did not load")
        } else {
            String::new()
        },
        common::elapsed(started)
    );
    Ok(if load_errors > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_baseline(path: &Path) -> Result<Option<Baseline>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Baseline::from_json(&text).map(Some).map_err(|e| {
            UsageError(format!("{}: not a hearsay baseline: {e}", path.display())).into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    }
}
