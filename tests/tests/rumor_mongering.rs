//! Push rumor mongering with feedback + counter behaves as the SIR model predicts: a larger k
//! buys a smaller residue with more traffic, and rumors alone leave a residue.

mod common;

use common::*;
use hearsay_harness::{Scenario, run_scenario};

const SEEDS: u64 = 24;

#[test]
fn residue_falls_and_traffic_rises_as_k_grows() {
    let mut builder = Scenario::builder("rumor-k", 1_000)
        .duration(secs(30))
        .seeds(0..SEEDS)
        .loss(0.0);
    for k in 1..=4 {
        builder = builder.strategy(format!("k={k}"), push_rumor(k));
    }
    let result = run_scenario(&builder.build().unwrap());
    let mean = |k: u32, f: &dyn Fn(&hearsay_reports::RunResult) -> f64| {
        let name = format!("k={k}");
        let runs: Vec<_> = result.runs_of(&name).collect();
        assert_eq!(runs.len() as u64, SEEDS);
        runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64
    };
    let residue: Vec<f64> = (1..=4).map(|k| mean(k, &|r| r.metrics.residue)).collect();
    let traffic: Vec<f64> = (1..=4)
        .map(|k| mean(k, &|r| r.metrics.msgs_per_node))
        .collect();
    eprintln!("residue by k: {residue:?}\ntraffic by k: {traffic:?}");
    for i in 1..4 {
        assert!(
            residue[i] < residue[i - 1],
            "residue did not fall from k={} to k={}: {residue:?}",
            i,
            i + 1
        );
        assert!(
            traffic[i] > traffic[i - 1],
            "traffic did not rise from k={} to k={}: {traffic:?}",
            i,
            i + 1
        );
    }
    // Demers et al. (1987), Table 1, push + feedback + counter: s ≈ 0.176 at k=1, 0.037 at k=2.
    // Loose bands: this guards against a wrong removal rule, not against sampling noise.
    assert!(
        (0.12..0.24).contains(&residue[0]),
        "k=1 residue {}",
        residue[0]
    );
    assert!(
        (0.015..0.07).contains(&residue[1]),
        "k=2 residue {}",
        residue[1]
    );
    assert!(
        residue[3] > 0.0,
        "even k=4 should leave some residue at n=1000 over {SEEDS} seeds"
    );
}

#[test]
fn rumor_mongering_alone_leaves_a_residue_at_small_k() {
    let scenario = Scenario::builder("rumor-residue", 1_000)
        .duration(secs(20))
        .seeds(0..10)
        .loss(0.001)
        .strategy("rumor-k1", push_rumor(1))
        .check_residue(0.0, None)
        .build()
        .unwrap();
    let result = run_scenario(&scenario);
    for r in &result.runs {
        assert!(
            r.metrics.residue > 0.0,
            "seed {} reached everyone at k=1",
            r.seed
        );
        let check = &r.checks[0];
        assert_eq!(check.verdict, hearsay_reports::Verdict::Fail);
        assert!(check.detail.contains("never got it"), "{}", check.detail);
    }
    assert!(!result.passed());
}
