//! Partitions in the emulator: an isolated node learns nothing until the heal, a one-way cut
//! lets exactly one direction through, a bridge carries updates across, single nodes can be
//! healed on their own, and every shape cuts exactly the links it says.

mod common;

use common::*;
use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::emulator::{SendOutcome, TraceEvent};
use hearsay_harness::{RunOptions, Scenario, run_one};
use hearsay_protocols::{NodeId, SimTime};
use hearsay_workloads::{Origin, ScriptedWrite, SingleRumor, Workload};

const TRACE: RunOptions = RunOptions {
    record_trace: true,
    sequential: true,
};

fn write_at(node: u32, at: u64) -> Workload {
    Workload::SingleRumor(SingleRumor {
        at: at_ms(at),
        origin: Origin::Node(NodeId(node)),
        ..SingleRumor::default()
    })
}

fn sends(
    trace: &[TraceEvent],
) -> impl Iterator<Item = (SimTime, NodeId, NodeId, SendOutcome)> + '_ {
    trace.iter().filter_map(|e| match e {
        TraceEvent::Send {
            at,
            from,
            to,
            outcome,
            ..
        } => Some((*at, *from, *to, *outcome)),
        _ => None,
    })
}

#[test]
fn an_isolated_node_learns_nothing_until_the_heal() {
    let victim = NodeId(7);
    let (cut, heal) = (at_ms(1000), at_ms(6000));
    let scenario = Scenario::builder("isolate", 30)
        .duration(secs(12))
        .strategy("ae", push_pull_anti_entropy(ms(200)))
        .workload(write_at(0, 2000))
        .fault_for(
            cut,
            secs(5),
            FaultAction::Partition(PartitionSpec::Isolate(vec![victim])),
        )
        .check_convergence(secs(3), None)
        .build()
        .unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 1, TRACE);
    let trace = out.trace.unwrap();
    let during = |t: SimTime| t >= cut && t < heal;
    let mut cut_off = 0;
    for (at, from, to, outcome) in sends(&trace) {
        if during(at) && (from == victim || to == victim) {
            assert_eq!(outcome, SendOutcome::Partitioned, "{at:?} {from}->{to}");
            cut_off += 1;
        } else if during(at) {
            assert_ne!(outcome, SendOutcome::Partitioned, "{at:?} {from}->{to}");
        }
    }
    assert!(cut_off > 20, "{cut_off}");
    // Nothing reaches it after what was already on the wire at the cut (latency ≤ 10 ms).
    let late = trace.iter().any(|e| {
        matches!(e, TraceEvent::Deliver { at, to, .. } if *to == victim && *at > cut + ms(10) && *at < heal)
    });
    assert!(!late, "the isolated node received a message while cut off");
    let learned: Vec<SimTime> = out
        .history
        .learned
        .iter()
        .filter(|l| l.node == victim)
        .map(|l| l.at)
        .collect();
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert!(
        learned[0] >= heal,
        "learned at {:?}, before the heal",
        learned[0]
    );
    let others_before_heal = out
        .history
        .learned
        .iter()
        .filter(|l| l.node != victim && l.at < heal)
        .count();
    assert_eq!(
        others_before_heal, 29,
        "everyone else learned it during the partition"
    );
    assert!(result.passed(), "{:?}", result.checks);
}

#[test]
fn a_one_way_partition_lets_exactly_one_direction_through() {
    // Node 3's messages are dropped; everyone else still reaches node 3.
    let deaf = NodeId(3);
    let scenario = Scenario::builder("one-way", 20)
        .duration(secs(10))
        .strategy("ae", push_pull_anti_entropy(ms(200)))
        .workload(Workload::Scripted(vec![
            ScriptedWrite {
                at: at_ms(2000),
                node: NodeId(0),
                key: 1,
                value: 10,
            },
            ScriptedWrite {
                at: at_ms(2000),
                node: deaf,
                key: 2,
                value: 20,
            },
        ]))
        .fault_for(
            at_ms(1000),
            secs(5),
            FaultAction::Partition(PartitionSpec::OneWay {
                from: vec![deaf],
                to: None,
            }),
        )
        .check_convergence(secs(3), None)
        .build()
        .unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 2, TRACE);
    let trace = out.trace.unwrap();
    let during = |t: SimTime| t >= at_ms(1000) && t < at_ms(6000);
    let (mut from_deaf, mut to_deaf) = (0, 0);
    for (at, from, to, outcome) in sends(&trace).filter(|s| during(s.0)) {
        if from == deaf {
            assert_eq!(outcome, SendOutcome::Partitioned);
            from_deaf += 1;
        } else {
            assert_eq!(outcome, SendOutcome::InFlight, "{at:?} {from}->{to}");
            to_deaf += u32::from(to == deaf);
        }
    }
    assert!(from_deaf > 10 && to_deaf > 10, "{from_deaf} {to_deaf}");
    let learned = |key: u64, node: Option<NodeId>| {
        out.history
            .learned
            .iter()
            .filter(move |l| l.key == key && node.is_none_or(|n| l.node == n))
            .map(|l| (l.node, l.at))
            .collect::<Vec<_>>()
    };
    // Node 3 hears the others: key 1 reaches it during the cut.
    assert!(learned(1, Some(deaf)).iter().any(|(_, t)| during(*t)));
    // Nobody hears node 3: its key 2 spreads only after the heal.
    for (node, t) in learned(2, None) {
        assert!(
            node == deaf || t >= at_ms(6000),
            "{node} learned key 2 at {t:?}"
        );
    }
    assert_eq!(learned(2, None).len(), 20, "and then everyone learns it");
    assert!(result.passed(), "{:?}", result.checks);
}

#[test]
fn a_bridge_node_carries_an_update_between_the_sides() {
    let scenario = Scenario::builder("bridge", 20)
        .duration(secs(12))
        .strategy("ae", push_pull_anti_entropy(ms(200)))
        .workload(write_at(0, 1500))
        .fault(
            at_ms(1000),
            FaultAction::Partition(PartitionSpec::Bridge(NodeId(15))),
        )
        .build()
        .unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 5, TRACE);
    // Side B (10..19) learns the update while the partition lasts (to the end of the run),
    // so only through the bridge node 15.
    assert_eq!(result.metrics.residue, 0.0);
    let first_on_b = out
        .history
        .learned
        .iter()
        .filter(|l| l.node.0 >= 10)
        .min_by_key(|l| l.at)
        .unwrap();
    assert_eq!(
        first_on_b.node,
        NodeId(15),
        "the bridge learns it first on side B"
    );
    for (at, from, to, outcome) in sends(out.trace.as_ref().unwrap()) {
        let crosses = (from.0 < 10) != (to.0 < 10);
        let via_bridge = from.0 == 15 || to.0 == 15;
        if at >= at_ms(1000) && crosses && !via_bridge {
            assert_eq!(outcome, SendOutcome::Partitioned);
        }
    }
}

#[test]
fn healing_one_node_reconnects_it_while_the_rest_stays_cut() {
    let scenario = Scenario::builder("heal-one", 20)
        .duration(secs(8))
        .strategy("ae", push_pull_anti_entropy(ms(200)))
        .fault(at_ms(1000), FaultAction::Partition(PartitionSpec::Halves))
        .fault(
            at_ms(3000),
            FaultAction::HealNodes {
                nodes: vec![NodeId(2)],
            },
        )
        .fault(at_ms(6000), FaultAction::Heal)
        .build()
        .unwrap();
    let (_, out) = run_one(&scenario, &scenario.strategies[0], 3, TRACE);
    let (mut healed_across, mut cut_across) = (0, 0);
    for (at, from, to, outcome) in sends(out.trace.as_ref().unwrap()) {
        let crosses = (from.0 < 10) != (to.0 < 10);
        if !crosses || at < at_ms(3000) || at >= at_ms(6000) {
            continue;
        }
        if from.0 == 2 || to.0 == 2 {
            assert_eq!(outcome, SendOutcome::InFlight);
            healed_across += 1;
        } else {
            assert_eq!(outcome, SendOutcome::Partitioned);
            cut_across += 1;
        }
    }
    assert!(
        healed_across > 5 && cut_across > 20,
        "{healed_across} {cut_across}"
    );
}

#[test]
fn every_partition_shape_cuts_exactly_its_links() {
    let n = 20;
    let shapes = [
        PartitionSpec::Halves,
        PartitionSpec::MajorityMinority,
        PartitionSpec::Isolate(vec![NodeId(4), NodeId(9)]),
        PartitionSpec::Bridge(NodeId(12)),
        PartitionSpec::Ring,
        PartitionSpec::Percentages(vec![20.0, 30.0, 50.0]),
        PartitionSpec::Groups(vec![vec![NodeId(0), NodeId(19)], vec![NodeId(5)]]),
        PartitionSpec::OneWay {
            from: vec![NodeId(1), NodeId(2)],
            to: Some(vec![NodeId(3)]),
        },
    ];
    for spec in shapes {
        let scenario = Scenario::builder("shape", n)
            .duration(secs(4))
            .strategy("ae", push_pull_anti_entropy(ms(100)))
            .fault_for(at_ms(1000), secs(2), FaultAction::Partition(spec.clone()))
            .build()
            .unwrap();
        let (result, out) = run_one(&scenario, &scenario.strategies[0], 4, TRACE);
        let cut = spec.connectivity(n);
        let (mut blocked, mut open) = (0, 0);
        for (at, from, to, outcome) in sends(out.trace.as_ref().unwrap()) {
            let during = at >= at_ms(1000) && at < at_ms(3000);
            let expect_cut = during && cut.blocks(from, to);
            assert_eq!(
                outcome == SendOutcome::Partitioned,
                expect_cut,
                "{spec:?}: {at:?} {from}->{to}"
            );
            if during {
                if expect_cut { blocked += 1 } else { open += 1 }
            }
        }
        assert!(
            blocked > 0 && open > 0,
            "{spec:?}: {blocked} cut, {open} open"
        );
        assert_eq!(result.faults.len(), 1);
        assert_eq!(
            (result.faults[0].start, result.faults[0].end),
            (1.0, Some(3.0)),
            "{spec:?}"
        );
    }
}
