//! Shrinking a failing run: the smallest fault schedule, then the smallest cluster, that still
//! fails the same check under the same strategy and seed.
//!
//! The fault schedule is cut by delta debugging (Zeller's ddmin) over *units*: a fault and the
//! fault that undoes it (a partition and its heal, a crash and the restart of its nodes —
//! what one `for:` item writes) are one unit, so a candidate never keeps a heal without its
//! partition. Candidates the schedule validator rejects count as "does not fail". Then the node
//! count is halved while the run still fails (never below the highest node id a fault or the
//! workload names), and the gap to the last count that passed is bisected.
//!
//! Every candidate is one deterministic emulator run, cached by the units it keeps; the RNG
//! streams are split by label, so removing a fault does not reshuffle the network's or the
//! nodes' randomness.

use crate::runner::{RunOptions, run_one};
use crate::scenario::{Scenario, pair_faults};
use hearsay_faults::{FaultAction, FaultSchedule, PartitionSpec, TimedFault};
use hearsay_reports::{RunResult, Verdict};
use hearsay_workloads::{Origin, Workload};
use std::collections::HashMap;

/// What to shrink: the run of `strategy` under `seed`, failing `check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShrinkTarget {
    /// The strategy's name.
    pub strategy: String,
    /// The seed.
    pub seed: u64,
    /// The check that fails.
    pub check: String,
}

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The reduced scenario: the one strategy, the one seed, the smallest schedule and cluster
    /// found.
    pub scenario: Scenario,
    /// The reduced run's result (it fails the target check).
    pub result: RunResult,
    /// Faults (timed actions) before and after.
    pub faults: (usize, usize),
    /// Nodes before and after.
    pub nodes: (u32, u32),
    /// Candidate runs tried.
    pub runs: usize,
}

/// Why nothing could be shrunk.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShrinkError {
    /// The strategy is not in the scenario.
    #[error("the scenario has no strategy named `{0}`")]
    NoStrategy(String),
    /// The run does not fail the check.
    #[error("{strategy} seed {seed} does not fail check `{check}`: nothing to shrink")]
    NotFailing {
        /// The strategy.
        strategy: String,
        /// The seed.
        seed: u64,
        /// The check.
        check: String,
    },
}

/// The first failed check of the first failing run of `scenario`, as a target.
pub fn first_failure(results: &[RunResult]) -> Option<ShrinkTarget> {
    results.iter().find_map(|r| {
        r.first_failure().map(|c| ShrinkTarget {
            strategy: r.strategy.clone(),
            seed: r.seed,
            check: c.name.clone(),
        })
    })
}

struct Tester<'a> {
    base: &'a Scenario,
    target: &'a ShrinkTarget,
    runs: usize,
    cache: HashMap<(u32, Vec<usize>), Option<RunResult>>,
    progress: &'a mut dyn FnMut(&str),
}

impl Tester<'_> {
    /// Runs the base scenario with the faults of `units` (indices into `all`) on `nodes`
    /// nodes; the result if it fails the target check.
    fn fails(&mut self, all: &[Vec<TimedFault>], units: &[usize], nodes: u32) -> Option<RunResult> {
        let key = (nodes, units.to_vec());
        if let Some(r) = self.cache.get(&key) {
            return r.clone();
        }
        let outcome = self.run(all, units, nodes);
        self.cache.insert(key, outcome.clone());
        outcome
    }

    fn run(&mut self, all: &[Vec<TimedFault>], units: &[usize], nodes: u32) -> Option<RunResult> {
        let scenario = self.candidate(all, units, nodes)?;
        self.runs += 1;
        let (result, _) = run_one(
            &scenario,
            &scenario.strategies[0],
            self.target.seed,
            RunOptions::default(),
        );
        let failed = result
            .checks
            .iter()
            .any(|c| c.name == self.target.check && c.verdict == Verdict::Fail);
        (self.progress)(&format!(
            "run {:>3}: {} faults on {nodes} nodes: {}",
            self.runs,
            units.iter().map(|u| all[*u].len()).sum::<usize>(),
            if failed { "still fails" } else { "passes" }
        ));
        failed.then_some(result)
    }

    /// The scenario with only `units` of the faults, on `nodes` nodes, if it is valid.
    fn candidate(&self, all: &[Vec<TimedFault>], units: &[usize], nodes: u32) -> Option<Scenario> {
        let mut faults: Vec<(usize, TimedFault)> = Vec::new();
        for &u in units {
            for f in &all[u] {
                faults.push((u, f.clone()));
            }
        }
        // Keep the original order (the schedule's, which is by time and then as written).
        let order = |f: &TimedFault| {
            self.base
                .faults
                .faults()
                .iter()
                .position(|g| g == f)
                .unwrap_or(usize::MAX)
        };
        faults.sort_by_key(|(_, f)| order(f));
        let schedule =
            FaultSchedule::new(faults.into_iter().map(|(_, f)| f).collect(), nodes).ok()?;
        let mut s = self.base.clone();
        s.nodes = nodes;
        s.faults = schedule;
        s.validate().ok()?;
        Some(s)
    }
}

/// Zeller's ddmin: a smallest subset of `units` for which `fails` holds, given that it holds
/// for all of them. 1-minimal: removing any single unit makes it pass.
fn ddmin(units: Vec<usize>, fails: &mut dyn FnMut(&[usize]) -> bool) -> Vec<usize> {
    if fails(&[]) {
        return Vec::new();
    }
    let mut c = units;
    let mut n = 2usize;
    while c.len() >= 2 {
        let chunk = c.len().div_ceil(n);
        let parts: Vec<Vec<usize>> = c.chunks(chunk).map(<[usize]>::to_vec).collect();
        let mut reduced = false;
        for p in &parts {
            if fails(p) {
                c = p.clone();
                n = 2;
                reduced = true;
                break;
            }
        }
        if !reduced && parts.len() > 2 {
            for i in 0..parts.len() {
                let complement: Vec<usize> = parts
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, p)| p.iter().copied())
                    .collect();
                if fails(&complement) {
                    c = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= c.len() {
                break;
            }
            n = (2 * n).min(c.len());
        }
    }
    c
}

/// The smallest cluster a schedule and workload allow: one more than the highest node id they
/// name, and at least 2.
fn min_nodes(s: &Scenario) -> u32 {
    let mut highest = 1u32;
    for f in s.faults.faults() {
        let ids: Vec<u32> = match &f.action {
            FaultAction::Crash { nodes, .. } | FaultAction::Restart { nodes } => {
                nodes.iter().map(|n| n.0).collect()
            }
            FaultAction::Partition(PartitionSpec::Groups(g)) => {
                g.iter().flatten().map(|n| n.0).collect()
            }
            _ => Vec::new(),
        };
        highest = ids.into_iter().fold(highest, u32::max);
    }
    for part in s.workload.parts() {
        if let Workload::SingleRumor(w) = part
            && let Origin::Node(n) = w.origin
        {
            highest = highest.max(n.0);
        }
        if let Workload::Conflicts(c) = part {
            // Each key needs that many distinct writers.
            highest = highest.max(c.writers.saturating_sub(1));
        }
    }
    (highest + 1).max(2)
}

/// Shrinks the run of `target` in `scenario`; `progress` hears one line per candidate run.
pub fn shrink(
    scenario: &Scenario,
    target: &ShrinkTarget,
    progress: &mut dyn FnMut(&str),
) -> Result<Shrunk, ShrinkError> {
    let strategy = scenario
        .strategies
        .iter()
        .find(|s| s.name == target.strategy)
        .ok_or_else(|| ShrinkError::NoStrategy(target.strategy.clone()))?;
    let mut base = scenario.clone();
    base.strategies = vec![strategy.clone()];
    base.seeds = vec![target.seed];
    // A nemesis draws its faults from the seed: shrink the schedule this run actually had,
    // written out as scripted faults.
    base.faults = crate::runner::run_faults(scenario, target.seed).into_owned();
    // Checks scoped to other strategies would not apply: keep the base as it is otherwise.

    let all: Vec<Vec<TimedFault>> = pair_faults(base.faults.faults())
        .into_iter()
        .map(|(i, undo)| {
            let f = base.faults.faults();
            let mut unit = vec![f[i].clone()];
            if let Some(j) = undo {
                unit.push(f[j].clone());
            }
            unit
        })
        .collect();
    let every: Vec<usize> = (0..all.len()).collect();
    let mut tester = Tester {
        base: &base,
        target,
        runs: 0,
        cache: HashMap::new(),
        progress,
    };
    let original_nodes = base.nodes;
    if tester.fails(&all, &every, original_nodes).is_none() {
        return Err(ShrinkError::NotFailing {
            strategy: target.strategy.clone(),
            seed: target.seed,
            check: target.check.clone(),
        });
    }
    let kept = ddmin(every, &mut |units| {
        tester.fails(&all, units, original_nodes).is_some()
    });

    // Fewer nodes: halve while it still fails, then bisect towards the last count that passed.
    let with_kept = tester
        .candidate(&all, &kept, original_nodes)
        .expect("the kept schedule ran");
    let floor = min_nodes(&with_kept);
    let mut failing = original_nodes;
    let mut passing = floor.saturating_sub(1);
    while failing / 2 >= floor {
        let next = failing / 2;
        if tester.fails(&all, &kept, next).is_some() {
            failing = next;
        } else {
            passing = next;
            break;
        }
    }
    for _ in 0..6 {
        if failing - passing <= (failing / 10).max(1) {
            break;
        }
        let mid = passing + (failing - passing) / 2;
        if mid < floor {
            break;
        }
        if tester.fails(&all, &kept, mid).is_some() {
            failing = mid;
        } else {
            passing = mid;
        }
    }
    let result = tester
        .fails(&all, &kept, failing)
        .expect("the kept schedule fails at this size");
    let mut scenario = tester
        .candidate(&all, &kept, failing)
        .expect("the kept schedule is valid at this size");
    scenario.name = format!("{}-shrunk", base.name);
    Ok(Shrunk {
        faults: (base.faults.faults().len(), scenario.faults.faults().len()),
        nodes: (original_nodes, failing),
        runs: tester.runs,
        scenario,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_one_that_matters() {
        let culprits = [7usize, 13];
        let mut calls = 0;
        let kept = ddmin((0..20).collect(), &mut |s: &[usize]| {
            calls += 1;
            culprits.iter().all(|c| s.contains(c))
        });
        assert_eq!(kept, vec![7, 13]);
        assert!(calls < 60, "{calls} calls");
        assert_eq!(
            ddmin((0..5).collect(), &mut |_: &[usize]| true),
            Vec::<usize>::new()
        );
        assert_eq!(
            ddmin((0..5).collect(), &mut |s: &[usize]| s.contains(&4)),
            vec![4]
        );
    }
}
