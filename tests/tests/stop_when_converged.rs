//! `stop_when_converged` ends a run at the moment the cluster agrees, and never earlier: not
//! before every client operation and fault has happened, not while a partition keeps nodes
//! apart, and not at all for a strategy that leaves a residue. What it measures up to that
//! moment is exactly what the full-length run measures.

mod common;

use common::*;
use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::{RunOptions, Scenario, ScenarioBuilder, run_one};
use hearsay_protocols::{NodeId, SimTime};
use hearsay_reports::RunResult;
use hearsay_workloads::{SingleRumor, Workload};

const N: u32 = 300;
const DURATION_S: f64 = 30.0;

fn at(s: u64) -> SimTime {
    SimTime::from_duration(secs(s))
}

fn run(builder: ScenarioBuilder, stop: bool) -> RunResult {
    let scenario = builder
        .duration(secs(30))
        .workload(Workload::SingleRumor(SingleRumor {
            at: at(1),
            ..Default::default()
        }))
        .check_convergence(secs(10), None)
        .stop_when_converged(stop)
        .build()
        .unwrap();
    run_one(&scenario, &scenario.strategies[0], 4, RunOptions::default()).0
}

fn anti_entropy() -> ScenarioBuilder {
    Scenario::builder("stop", N).strategy("anti-entropy", push_pull_anti_entropy(ms(200)))
}

#[test]
fn a_run_ends_when_the_last_node_learns_and_measures_the_same_as_a_full_run() {
    let full = run(anti_entropy(), false);
    let short = run(anti_entropy(), true);
    assert_eq!(full.ended_at, DURATION_S);
    let t_last = short.metrics.t_last.expect("everyone learned");
    // The update was written at 1 s: the run ends at the very event the last node learned it.
    assert!(
        (short.ended_at - (1.0 + t_last)).abs() < 1e-9,
        "ended at {} s, last node learned at {} s",
        short.ended_at,
        1.0 + t_last
    );
    assert!(short.ended_at < 5.0, "{}", short.ended_at);
    assert!(
        short.events < full.events / 4,
        "{} vs {}",
        short.events,
        full.events
    );
    assert_eq!(short.metrics.residue, 0.0);
    assert_eq!(short.metrics.t_avg, full.metrics.t_avg);
    assert_eq!(short.metrics.t_last, full.metrics.t_last);
    assert!(short.passed(), "{:?}", short.checks);
}

#[test]
fn a_partition_holds_the_run_until_after_the_heal() {
    // Split before the write: half the cluster cannot learn it until the heal at 8 s.
    let partitioned = anti_entropy().fault_for(
        at_ms(500),
        ms(7_500),
        FaultAction::Partition(PartitionSpec::Halves),
    );
    let r = run(partitioned, true);
    assert!(
        r.ended_at > 8.05 && r.ended_at < DURATION_S,
        "ended at {} s; the partition healed at 8 s",
        r.ended_at
    );
    assert_eq!(r.metrics.residue, 0.0);
    assert!(r.passed(), "{:?}", r.checks);
}

#[test]
fn a_fault_still_to_come_keeps_the_run_going() {
    let later_crash = anti_entropy().fault(
        at(20),
        FaultAction::Crash {
            nodes: vec![NodeId(7)],
            lose_state: false,
        },
    );
    let r = run(later_crash, true);
    // Agreement came within seconds, but the crash at 20 s had not happened yet; the crash
    // (state kept) leaves the others agreeing, so the run ends right there.
    assert_eq!(r.ended_at, 20.0);
    assert_eq!(r.live_nodes, N - 1);
}

#[test]
fn a_rumor_that_leaves_a_residue_runs_to_the_end() {
    let rumor = Scenario::builder("stop", N).strategy("rumor", push_rumor(1));
    let r = run(rumor, true);
    assert!(r.metrics.residue > 0.0, "k = 1 should leave someone out");
    assert_eq!(r.ended_at, DURATION_S);
}
