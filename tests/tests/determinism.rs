//! One seed reproduces a run exactly; another seed gives another run.

mod common;

use common::*;
use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::{RunOptions, Scenario, run_scenario, run_scenario_with};
use hearsay_protocols::SimTime;

fn scenario(seeds: std::ops::Range<u64>) -> Scenario {
    Scenario::builder("determinism", 300)
        .duration(secs(8))
        .seeds(seeds)
        .loss(0.01)
        .strategy("rumor", push_rumor(2))
        .strategy("anti-entropy", push_pull_anti_entropy(ms(500)))
        .fault_for(
            SimTime(1_000_000_000),
            secs(2),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .check_convergence(secs(5), Some(vec!["anti-entropy".into()]))
        .build()
        .expect("valid scenario")
}

#[test]
fn the_same_seed_gives_the_same_trace_and_metrics() {
    let a = run_scenario(&scenario(7..8));
    let b = run_scenario(&scenario(7..8));
    assert_eq!(a, b, "two runs of the same scenario and seed differ");
    for r in &a.runs {
        assert_eq!(r.fingerprint.len(), 16);
        assert!(
            r.events > 1_000,
            "{} processed only {} events",
            r.strategy,
            r.events
        );
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let result = run_scenario(&scenario(0..4));
    for strategy in ["rumor", "anti-entropy"] {
        let fps: std::collections::BTreeSet<_> = result
            .runs_of(strategy)
            .map(|r| r.fingerprint.clone())
            .collect();
        assert_eq!(fps.len(), 4, "{strategy}: seeds collided: {fps:?}");
    }
}

#[test]
fn parallel_and_sequential_runs_agree() {
    let s = scenario(0..3);
    let parallel = run_scenario(&s);
    let sequential = run_scenario_with(
        &s,
        RunOptions {
            sequential: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(parallel, sequential);
}

#[test]
fn results_round_trip_through_json() {
    let r = run_scenario(&scenario(1..2));
    let back = hearsay_reports::ScenarioResult::from_json(&r.to_json()).expect("parses");
    assert_eq!(back, r);
}
