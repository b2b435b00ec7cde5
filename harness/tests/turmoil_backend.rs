//! The async driver under turmoil: a partition heals and the cluster converges; crashed hosts
//! bounce (with and without their state) and catch up; the same seed gives the same result.

use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::Scenario;
use hearsay_harness::backend::turmoil::{TurmoilOptions, run_one, run_scenario};
use hearsay_harness::history::NodeEventKind;
use hearsay_harness::scenario::Protocol;
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode};
use hearsay_protocols::rumor::RumorConfig;
use hearsay_protocols::{NodeId, SimDuration, SimTime};
use hearsay_workloads::{SingleRumor, Workload};

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn anti_entropy() -> Protocol {
    Protocol::AntiEntropy(AntiEntropyConfig {
        period: ms(200),
        mode: ExchangeMode::PushPull,
        ..Default::default()
    })
}

fn single_rumor(at_ms: u64) -> Workload {
    Workload::SingleRumor(SingleRumor {
        at: SimTime(at_ms * 1_000_000),
        ..SingleRumor::default()
    })
}

#[test]
fn a_partitioned_cluster_converges_after_the_heal() {
    let heal = SimTime(2_000_000_000);
    let scenario = Scenario::builder("turmoil-heal", 30)
        .duration(SimDuration::from_secs(5))
        .seeds(0..1)
        .loss(0.01)
        .strategy("anti-entropy", anti_entropy())
        .workload(single_rumor(100))
        .fault_for(
            SimTime::ZERO,
            SimDuration::from_secs(2),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .check_convergence(SimDuration::from_secs(2), None)
        .build()
        .unwrap();
    let (result, output) = run_one(
        &scenario,
        &scenario.strategies[0],
        0,
        TurmoilOptions::default(),
    )
    .unwrap();
    assert!(result.passed(), "{result:#?}");
    assert_eq!(result.metrics.residue, 0.0);
    let h = &output.history;
    // Nothing crossed to the far half (15..30) before the heal; all of it learned after.
    let far: Vec<_> = h.learned.iter().filter(|l| l.node.0 >= 15).collect();
    assert_eq!(far.len(), 15, "{far:?}");
    assert!(far.iter().all(|l| l.at >= heal), "{far:?}");
    assert!(h.traffic.partitioned > 0 && h.traffic.delivered > 0);
    assert!(h.converged_since.is_some_and(|t| t >= heal));
}

#[test]
fn crashed_hosts_bounce_and_catch_up_with_and_without_their_state() {
    let scenario = Scenario::builder("turmoil-crash", 20)
        .duration(SimDuration::from_secs(4))
        .seeds(0..1)
        .strategy("anti-entropy", anti_entropy())
        .workload(single_rumor(100))
        // Node 3 keeps its state, node 4 loses it; both come back at 2 s.
        .fault_for(
            SimTime(1_000_000_000),
            SimDuration::from_secs(1),
            FaultAction::Crash {
                nodes: vec![NodeId(3)],
                lose_state: false,
            },
        )
        .fault_for(
            SimTime(1_000_000_000),
            SimDuration::from_secs(1),
            FaultAction::Crash {
                nodes: vec![NodeId(4)],
                lose_state: true,
            },
        )
        .check_convergence(SimDuration::from_secs(2), None)
        .build()
        .unwrap();
    let (result, output) = run_one(
        &scenario,
        &scenario.strategies[0],
        1,
        TurmoilOptions::default(),
    )
    .unwrap();
    assert!(result.passed(), "{result:#?}");
    let h = &output.history;
    assert_eq!(h.live_count(), 20);
    assert_eq!(
        h.node_events
            .iter()
            .filter(|e| e.kind == NodeEventKind::Restart)
            .count(),
        2
    );
    let learned_by = |n: u32| {
        h.learned
            .iter()
            .filter(|l| l.node == NodeId(n))
            .map(|l| l.at)
            .collect::<Vec<_>>()
    };
    // Both had learned the update before the crash (anti-entropy every 200 ms, 20 nodes).
    assert_eq!(learned_by(3).len(), 1, "state kept: learned once");
    let four = learned_by(4);
    assert_eq!(four.len(), 2, "state lost: learned again after the bounce");
    assert!(four[1] >= SimTime(2_000_000_000));
    assert_eq!(result.metrics.residue, 0.0);
}

#[test]
fn the_same_seed_gives_the_same_result_under_turmoil() {
    let scenario = Scenario::builder("turmoil-determinism", 30)
        .duration(SimDuration::from_secs(3))
        .seeds(5..7)
        .loss(0.05)
        .strategy("rumor", Protocol::Rumor(RumorConfig::default()))
        .strategy("anti-entropy", anti_entropy())
        .workload(single_rumor(100))
        .fault_for(
            SimTime(500_000_000),
            SimDuration::from_secs(1),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .build()
        .unwrap();
    let a = run_scenario(&scenario, TurmoilOptions::default()).unwrap();
    let b = run_scenario(&scenario, TurmoilOptions::default()).unwrap();
    assert_eq!(a, b);
    let (_, x) = run_one(
        &scenario,
        &scenario.strategies[0],
        5,
        TurmoilOptions::default(),
    )
    .unwrap();
    let (_, y) = run_one(
        &scenario,
        &scenario.strategies[0],
        5,
        TurmoilOptions::default(),
    )
    .unwrap();
    assert_eq!(x.history, y.history);
    // Different seeds differ.
    let fps: std::collections::BTreeSet<_> = a.runs.iter().map(|r| &r.fingerprint).collect();
    assert_eq!(fps.len(), 4, "{fps:?}");
}
