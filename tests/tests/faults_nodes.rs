//! Node faults in the emulator: crashes that wipe state, crashing a share of the cluster or the
//! origin of an update, stop-the-world pauses, churn, clock skew against last-write-wins, and
//! bounded inbound capacity.

mod common;

use common::probe::{self, Arrival};
use common::*;
use hearsay_faults::{Capacity, Churn, ClockSkew, FaultAction, NodeSet};
use hearsay_harness::emulator::{Emulator, EmulatorConfig, RunOutput, TraceEvent};
use hearsay_harness::scenario::NetworkSpec;
use hearsay_harness::scenario::parse_scenario;
use hearsay_harness::{RunOptions, Scenario, run_one};
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, AntiEntropyNode};
use hearsay_protocols::{NodeId, SimTime, UniformPeers};
use hearsay_workloads::{ClientOp, Op};

fn parse_scenario_text(text: &str) -> Result<Scenario, hearsay_harness::scenario::LoadError> {
    parse_scenario(text, std::path::Path::new("test.yaml"))
}

const TRACE: RunOptions = RunOptions {
    record_trace: true,
    sequential: true,
};

fn write(at: u64, node: u32, key: u64, value: u64) -> ClientOp {
    ClientOp {
        at: at_ms(at),
        node: NodeId(node),
        op: Op::Write { key, value },
    }
}

fn read(at: u64, node: u32, key: u64) -> ClientOp {
    ClientOp {
        at: at_ms(at),
        node: NodeId(node),
        op: Op::Read { key },
    }
}

/// Anti-entropy every 200 ms over `nodes` nodes, driven directly so the test can issue reads.
fn anti_entropy_run(
    nodes: u32,
    duration_ms: u64,
    faults: &hearsay_faults::FaultSchedule,
    ops: Vec<ClientOp>,
) -> RunOutput {
    let config = EmulatorConfig {
        nodes,
        duration: ms(duration_ms),
        network: NetworkSpec::default(),
        sample_every: ms(50),
        seed: 9,
        record_trace: true,
        stop_when_converged: false,
    };
    let ae = AntiEntropyConfig {
        period: ms(200),
        ..AntiEntropyConfig::default()
    };
    let peers = UniformPeers::new(nodes);
    Emulator::new(
        config,
        |_| AntiEntropyNode::new(ae, peers),
        faults.faults(),
        ops,
    )
    .run()
}

#[test]
fn a_node_restarted_without_its_disk_is_empty_and_one_with_it_is_not() {
    for lose_state in [true, false] {
        let faults = schedule(
            20,
            vec![
                (
                    ms(3000),
                    FaultAction::Crash {
                        nodes: vec![NodeId(5)],
                        lose_state,
                    },
                ),
                (
                    ms(4000),
                    FaultAction::Restart {
                        nodes: vec![NodeId(5)],
                    },
                ),
            ],
        );
        // Read node 5 right as it restarts (faults apply before client operations at the
        // same instant), before any gossip can reach it.
        let out = anti_entropy_run(
            20,
            6000,
            &faults,
            vec![write(1000, 0, 1, 42), read(2900, 5, 1), read(4000, 5, 1)],
        );
        let before = out.history.reads[0].value.map(|v| v.value);
        let after = out.history.reads[1].value.map(|v| v.value);
        assert_eq!(before, Some(42), "node 5 knew the update before its crash");
        if lose_state {
            assert_eq!(after, None, "a wiped node restarts empty");
            assert!(
                out.history
                    .learned
                    .iter()
                    .any(|l| l.node == NodeId(5) && l.at > at_ms(4000)),
                "and catches up again"
            );
        } else {
            assert_eq!(after, Some(42), "a node that kept its disk keeps its state");
        }
    }
}

#[test]
fn crashing_a_share_of_the_cluster_takes_that_many_nodes_down() {
    let text = "name: share\nnodes: 50\nduration: 5s\nseeds: 1\n\
                strategies: [{ name: ae, anti_entropy: { period: 200ms } }]\n\
                faults:\n  - { at: 1s, crash: { percent: 20 } }\n";
    let scenario = parse_scenario_text(text).unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 1, TRACE);
    assert_eq!(result.live_nodes, 40);
    let down: Vec<NodeId> = match &scenario.faults.faults()[0].action {
        FaultAction::Crash { nodes, .. } => nodes.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(down.len(), 10);
    assert!(
        down.windows(2).all(|w| w[1].0 - w[0].0 == 5),
        "spread: {down:?}"
    );
    for e in out.trace.unwrap() {
        if let TraceEvent::Deliver { at, to, .. } = e {
            assert!(
                !(down.contains(&to) && at > at_ms(1010)),
                "{to} received at {at:?}"
            );
        }
    }
    assert!(result.traffic.to_crashed > 0);
}

#[test]
fn crashing_the_origin_before_it_gossips_loses_the_update() {
    let text = "name: origin\nnodes: 100\nduration: 5s\nseeds: 1\n\
                strategies: [{ name: rumor, rumor: { period: 200ms } }]\n\
                workload: { single_rumor: { at: 1s, node: 17 } }\n\
                faults:\n  - { at: 1.001s, crash: origin, lose_state: true }\n";
    let scenario = parse_scenario_text(text).unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 1, TRACE);
    assert_eq!(
        scenario.faults.faults()[0].action,
        FaultAction::Crash {
            nodes: vec![NodeId(17)],
            lose_state: true
        }
    );
    let learned: Vec<NodeId> = out.history.learned.iter().map(|l| l.node).collect();
    assert_eq!(learned, vec![NodeId(17)], "only the origin ever held it");
    assert_eq!(result.metrics.residue, 1.0);
}

#[test]
fn a_paused_node_gets_what_was_held_for_it_in_order_on_resume() {
    let faults = schedule(
        2,
        vec![
            (
                ms(1000),
                FaultAction::Pause {
                    nodes: vec![NodeId(1)],
                },
            ),
            (
                ms(2000),
                FaultAction::Resume {
                    nodes: vec![NodeId(1)],
                },
            ),
        ],
    );
    let out = probe::run(
        2,
        secs(3),
        constant_network(ms(5)),
        ms(10),
        |me| vec![NodeId(1 - me.0)],
        faults.faults(),
        vec![],
    );
    let a = probe::arrivals(&out);
    let at_1: Vec<&Arrival> = a.iter().filter(|x| x.to == NodeId(1)).collect();
    let paused = |t: SimTime| t > at_ms(1000) && t < at_ms(2000);
    assert!(
        at_1.iter().all(|x| !paused(x.arrived)),
        "delivered while paused"
    );
    let held: Vec<&&Arrival> = at_1
        .iter()
        .filter(|x| x.sent + ms(5) > at_ms(1000) && x.sent < at_ms(2000))
        .collect();
    assert_eq!(held.len(), 100, "every ping sent to it while paused");
    assert!(
        held.iter().all(|x| x.arrived == at_ms(2000)),
        "all on resume"
    );
    assert!(
        held.windows(2).all(|w| w[0].seq < w[1].seq),
        "in the order they arrived"
    );
    // Its own timer was held too: it sent nothing while paused.
    assert!(
        a.iter()
            .filter(|x| x.from == NodeId(1))
            .all(|x| !paused(x.sent)),
        "a paused node sent"
    );
    // 100 pings and its one pending timer.
    assert_eq!(out.history.counters.get("paused-queued"), Some(&101));
    assert_eq!(out.history.traffic.to_crashed, 0);
}

#[test]
fn nodes_joining_catch_up_and_nodes_leaving_are_gone() {
    let n = 40;
    let churn = Churn {
        join: 5,
        leave: 3,
        every: ms(500),
    };
    let mut builder = Scenario::builder("churn", n)
        .duration(secs(12))
        .strategy("ae", push_pull_anti_entropy(ms(200)))
        .check_convergence(secs(4), None)
        .check_residue(0.0, None);
    let events = churn.events(at_ms(3000), n);
    for e in &events {
        builder = builder.fault(e.at, e.action.clone());
    }
    let scenario = builder.build().unwrap();
    let (result, out) = run_one(&scenario, &scenario.strategies[0], 6, TRACE);
    let trace = out.trace.unwrap();
    let when = |id: u32| {
        events
            .iter()
            .find(|e| e.action.lifecycle_nodes().contains(&NodeId(id)))
            .map(|e| e.at)
            .unwrap()
    };
    for e in &trace {
        let (at, node) = match e {
            TraceEvent::Deliver { at, to, .. } => (*at, *to),
            TraceEvent::Timer { at, node } => (*at, *node),
            _ => continue,
        };
        if node.0 >= 35 {
            assert!(at >= when(node.0), "{node} active at {at:?} before joining");
        }
        if let Some(FaultAction::Leave { .. }) = events
            .iter()
            .find(|e| e.action.lifecycle_nodes().contains(&node))
            .map(|e| &e.action)
        {
            assert!(at < when(node.0), "{node} active at {at:?} after leaving");
        }
    }
    // The update was written at 0 s, before they joined: each joiner caught up after joining.
    for id in 35..40 {
        assert!(
            out.history
                .learned
                .iter()
                .any(|l| l.node == NodeId(id) && l.at >= when(id)),
            "n{id} never caught up"
        );
    }
    assert!(out.history.counters["to-absent"] > 0);
    assert_eq!(result.live_nodes, 37);
    assert!(result.passed(), "{:?}", result.checks);
    assert!(
        result
            .faults
            .iter()
            .any(|w| w.kind == "absent n35" && w.end == Some(3.0))
    );
}

#[test]
fn a_lagging_clock_makes_last_write_wins_keep_the_earlier_write() {
    for skewed in [false, true] {
        let mut faults = vec![];
        if skewed {
            faults.push((
                ms(0),
                FaultAction::Skew {
                    nodes: vec![NodeId(2)],
                    skew: ClockSkew::offset(-2_000_000_000),
                },
            ));
        }
        let faults = schedule(10, faults);
        // Node 1 writes 10 at 2 s; node 2 writes 20 a second later, at 3 s.
        let out = anti_entropy_run(
            10,
            8000,
            &faults,
            vec![
                write(2000, 1, 1, 10),
                write(3000, 2, 1, 20),
                read(7900, 7, 1),
            ],
        );
        let stamp = out.history.writes[1].version.unwrap().stamp;
        let kept = out.history.reads[0].value.unwrap().value;
        if skewed {
            // Node 2's clock reads 1 s at true time 3 s: its later write carries the older
            // stamp and loses everywhere.
            assert_eq!(stamp, 1_000_000);
            assert_eq!(kept, 10, "the earlier write won");
        } else {
            assert_eq!(stamp, 3_000_000);
            assert_eq!(kept, 20, "the later write won");
        }
        assert!(out.history.converged_since.is_some());
    }
}

#[test]
fn a_full_inbound_queue_drops_and_counts_and_service_paces_deliveries() {
    let bound = Capacity {
        queue: 4,
        service: ms(5),
    };
    let faults = schedule(
        10,
        vec![(
            ms(0),
            FaultAction::Capacity {
                nodes: NodeSet::Only(vec![NodeId(0)]),
                capacity: bound,
            },
        )],
    );
    // Nine nodes each ping node 0 every 10 ms: 900 messages/s against a capacity of 200/s.
    let targets = |me: NodeId| if me.0 == 0 { vec![] } else { vec![NodeId(0)] };
    let out = probe::run(
        10,
        secs(2),
        constant_network(ms(5)),
        ms(10),
        targets,
        faults.faults(),
        vec![],
    );
    let a = probe::arrivals(&out);
    let dropped = out.history.counters["capacity-dropped"];
    let sent = out.history.traffic.sent;
    assert!(dropped > sent / 2, "{dropped} of {sent}");
    assert!(
        a.len() <= 2000 / 5 + 1,
        "{} served in 2 s at 5 ms each",
        a.len()
    );
    // One at a time, each after a full service time, and never more than the queue ahead.
    assert!(a.windows(2).all(|w| w[1].arrived - w[0].arrived >= ms(5)));
    assert!(a.iter().all(|x| x.latency() <= ms(5 + 5 * 5)));
    // What is neither served nor dropped is on the wire (one ping per sender) or in the queue.
    let pending_at_end = sent - dropped - a.len() as u64;
    assert!(pending_at_end <= 9 + 5, "{pending_at_end}");
    let drops = out
        .trace
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e,
                TraceEvent::Dropped {
                    why: "capacity",
                    ..
                }
            )
        })
        .count() as u64;
    assert_eq!(drops, dropped);
    // Without the bound, nothing is dropped.
    let free = probe::run(
        10,
        secs(2),
        constant_network(ms(5)),
        ms(10),
        targets,
        &[],
        vec![],
    );
    assert_eq!(free.history.counters.get("capacity-dropped"), None);
    let on_the_wire = free.history.traffic.sent - probe::arrivals(&free).len() as u64;
    assert!(on_the_wire <= 9, "{on_the_wire}");
}

#[test]
fn a_drifting_clock_is_what_the_node_reads_while_its_timers_keep_true_time() {
    // From 1 s on, node 0's clock gains half a second every second.
    let faults = schedule(
        2,
        vec![(
            ms(1000),
            FaultAction::Skew {
                nodes: vec![NodeId(0)],
                skew: ClockSkew {
                    offset_nanos: 0,
                    drift: 0.5,
                },
            },
        )],
    );
    let out = probe::run(
        2,
        secs(3),
        constant_network(ms(5)),
        ms(100),
        |me| if me.0 == 0 { vec![NodeId(1)] } else { vec![] },
        faults.faults(),
        vec![],
    );
    let a = probe::arrivals(&out);
    assert_eq!(a.len(), 29);
    for x in &a {
        let true_send = x.arrived.as_nanos() - ms(5).as_nanos();
        let skewed_since = true_send.saturating_sub(ms(1000).as_nanos());
        assert_eq!(
            x.sent,
            SimTime(true_send + skewed_since / 2),
            "the ping's stamp is the node's clock"
        );
    }
    // Its timer still fires every 100 ms of true time.
    assert!(a.windows(2).all(|w| w[1].arrived - w[0].arrived == ms(100)));
}
