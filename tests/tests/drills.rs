//! The fault drills in `scenarios/drills/` load and every check they ask for holds — what
//! `hearsay run` on each of them exits 0 for.

use hearsay_harness::{load_scenario, run_scenario};
use std::path::Path;

fn drill(name: &str) -> hearsay_reports::ScenarioResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/drills")
        .join(format!("{name}.yaml"));
    let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    let result = run_scenario(&scenario);
    assert!(
        result.passed(),
        "{name}:\n{}",
        hearsay_reports::render_table(&result)
    );
    result
}

#[test]
fn partition_heal() {
    let r = drill("partition-heal");
    assert!(r.runs_of("anti-entropy").all(|r| r.faults.len() == 3));
}

#[test]
fn crash_restart_state_loss() {
    let r = drill("crash-restart-state-loss");
    assert!(r.runs_of("anti-entropy").all(|r| r.traffic.to_crashed > 0));
}

#[test]
fn churn() {
    let r = drill("churn");
    assert!(r.runs_of("anti-entropy").all(|r| r.live_nodes == 260));
    assert!(r.runs.iter().all(|r| r.counters["to-absent"] > 0));
}

#[test]
fn clock_skew_lww() {
    let r = drill("clock-skew-lww");
    // Under first-write-wins the lagging, later write wins, and the earlier one is nowhere.
    assert!(r.runs_of("fww").all(|r| r.metrics.residue == 0.5));
}

#[test]
fn saturation() {
    let r = drill("saturation");
    let dropped = |s: &str| -> u64 {
        r.runs_of(s)
            .map(|r| r.counters.get("capacity-dropped").copied().unwrap_or(0))
            .sum()
    };
    assert!(dropped("rumor-fanout-8") > 10 * dropped("rumor-fanout-2").max(1));
}

#[test]
fn nemesis() {
    let r = drill("nemesis");
    // Every seed drew its own schedule.
    let schedules: std::collections::BTreeSet<String> = r
        .runs_of("anti-entropy")
        .map(|r| format!("{:?}", r.faults))
        .collect();
    assert_eq!(schedules.len(), 10);
}
