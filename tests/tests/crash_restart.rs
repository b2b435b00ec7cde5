//! A crashed node neither receives nor sends; restarted without its state, it catches up through
//! anti-entropy.

mod common;

use common::*;
use hearsay_faults::FaultAction;
use hearsay_harness::emulator::TraceEvent;
use hearsay_harness::{RunOptions, Scenario, run_one};
use hearsay_protocols::{NodeId, SimTime};

#[test]
fn a_crashed_node_is_silent_and_catches_up_after_a_restart_without_state() {
    let victim = NodeId(7);
    let (crash, restart) = (
        SimTime::from_duration(secs(8)),
        SimTime::from_duration(secs(11)),
    );
    let scenario = Scenario::builder("crash", 50)
        .duration(secs(25))
        .strategy("anti-entropy", push_pull_anti_entropy(ms(500)))
        .fault(
            crash,
            FaultAction::Crash {
                nodes: vec![victim],
                lose_state: true,
            },
        )
        .fault(
            restart,
            FaultAction::Restart {
                nodes: vec![victim],
            },
        )
        .check_convergence(secs(10), None)
        .build()
        .unwrap();
    let options = RunOptions {
        record_trace: true,
        ..RunOptions::default()
    };
    let (result, output) = run_one(&scenario, &scenario.strategies[0], 3, options);
    let trace = output.trace.expect("trace recorded");
    let down = |t: SimTime| t >= crash && t < restart;

    let mut dropped_while_down = 0;
    for e in &trace {
        match e {
            TraceEvent::Send { at, from, .. } if *from == victim => {
                assert!(!down(*at), "sent while crashed: {e:?}")
            }
            TraceEvent::Deliver { at, to, .. } if *to == victim => {
                assert!(!down(*at), "received while crashed: {e:?}")
            }
            TraceEvent::Timer { at, node } if *node == victim => {
                assert!(!down(*at), "timer fired while crashed: {e:?}")
            }
            TraceEvent::DropCrashed { at, to, .. } if *to == victim => {
                assert!(down(*at));
                dropped_while_down += 1;
            }
            _ => {}
        }
    }
    assert!(
        dropped_while_down > 0,
        "nobody addressed the crashed node: the test proves nothing"
    );

    let learned: Vec<_> = output
        .history
        .learned
        .iter()
        .filter(|l| l.node == victim)
        .collect();
    assert!(
        learned.iter().any(|l| l.at < crash),
        "the victim never knew the update before the crash"
    );
    // It learned the same update again after the restart: its state had really been wiped.
    assert!(
        learned.iter().any(|l| l.at >= restart),
        "the victim did not relearn after restarting: {learned:?}"
    );
    assert_eq!(result.metrics.residue, 0.0);
    assert!(result.passed(), "{:?}", result.checks);
    assert!(result.traffic.to_crashed > 0);
}

#[test]
fn a_node_restarted_with_its_state_does_not_relearn() {
    let victim = NodeId(7);
    let (crash, restart) = (
        SimTime::from_duration(secs(8)),
        SimTime::from_duration(secs(11)),
    );
    let scenario = Scenario::builder("crash-keep", 50)
        .duration(secs(20))
        .strategy("anti-entropy", push_pull_anti_entropy(ms(500)))
        .fault(
            crash,
            FaultAction::Crash {
                nodes: vec![victim],
                lose_state: false,
            },
        )
        .fault(
            restart,
            FaultAction::Restart {
                nodes: vec![victim],
            },
        )
        .build()
        .unwrap();
    let (result, output) = run_one(&scenario, &scenario.strategies[0], 3, RunOptions::default());
    let relearned = output
        .history
        .learned
        .iter()
        .any(|l| l.node == victim && l.at >= crash);
    assert!(
        !relearned,
        "a node that kept its state learned its own data again"
    );
    assert_eq!(result.metrics.residue, 0.0);
}
