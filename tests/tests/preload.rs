//! A preloaded replica is state, not traffic: the measures of the workload's writes are the
//! same with and without it, the checkers accept the preloaded entries as written, a wiped node
//! restarts empty and gets them back through anti-entropy like any other data, and a
//! first-write-wins key that was preloaded keeps its preloaded value.

mod common;

use common::*;
use hearsay_faults::FaultAction;
use hearsay_harness::scenario::{PRELOAD_VERSION, Protocol, ScopedCheck};
use hearsay_harness::{RunOptions, Scenario, run_one};
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode, Reconciliation};
use hearsay_protocols::{ConflictRule, NodeId, SimTime};
use hearsay_reports::{RunResult, Verdict};
use hearsay_workloads::{Rate, Workload, WriteStream};

const N: u32 = 60;
const KEYS: u64 = 500;

fn writes() -> Workload {
    Workload::Writes(WriteStream {
        rate: Rate(20.0),
        keys: 40,
        first_key: 100, // inside the preloaded range: the writes overwrite preloaded keys
        from: SimTime::from_duration(secs(1)),
        until: SimTime::from_duration(secs(3)),
    })
}

fn anti_entropy(reconciliation: Reconciliation, conflict: ConflictRule) -> Protocol {
    Protocol::AntiEntropy(AntiEntropyConfig {
        period: ms(200),
        mode: ExchangeMode::PushPull,
        reconciliation,
        conflict,
        ..Default::default()
    })
}

fn scenario(protocol: Protocol, preload: Option<u64>) -> Scenario {
    let mut b = Scenario::builder("preload", N)
        .duration(secs(12))
        .workload(writes())
        .strategy("ae", protocol)
        .check_convergence(secs(6), None)
        .check_residue(0.0, None);
    if let Some(keys) = preload {
        b = b.preload(keys);
    }
    let mut s = b.build().unwrap();
    for check in [
        &mut s.checks.no_lost_writes,
        &mut s.checks.no_phantoms,
        &mut s.checks.monotonic_versions,
        &mut s.checks.conflict_resolution,
    ] {
        *check = Some(ScopedCheck::default());
    }
    s
}

fn assert_all_pass(r: &RunResult) {
    for c in &r.checks {
        assert_eq!(c.verdict, Verdict::Pass, "{}: {}", c.name, c.detail);
    }
}

#[test]
fn a_preload_leaves_the_measures_of_the_writes_unchanged_and_every_check_passes() {
    // Full state, no MTU: message sizes do not change when or whether a message arrives, so
    // the runs with and without the preload carry the same writes at the same times.
    let protocol = anti_entropy(Reconciliation::FullState, ConflictRule::LastWriteWins);
    let plain = scenario(protocol, None);
    let preloaded = scenario(protocol, Some(KEYS));
    let (a, out_a) = run_one(&plain, &plain.strategies[0], 4, RunOptions::default());
    let (b, out_b) = run_one(
        &preloaded,
        &preloaded.strategies[0],
        4,
        RunOptions::default(),
    );
    assert_all_pass(&a);
    assert_all_pass(&b);
    assert!(a.metrics.t_last.is_some());
    assert_eq!(a.metrics.residue, b.metrics.residue);
    assert_eq!(a.metrics.t_avg, b.metrics.t_avg);
    assert_eq!(a.metrics.t_last, b.metrics.t_last);
    assert_eq!(a.metrics.convergence, b.metrics.convergence);
    assert_eq!(out_a.history.writes, out_b.history.writes);
    assert_eq!(
        out_a.history.learned, out_b.history.learned,
        "nothing learned for the preload"
    );
    // The preload is in the history, apart from the writes, and in every final state.
    assert!(out_a.history.preloaded.is_empty());
    assert_eq!(out_b.history.preloaded.len(), KEYS as usize);
    assert_eq!(out_b.history.final_states.len(), 1, "converged");
    let state = &out_b.history.final_states[0];
    assert_eq!(state.nodes, N);
    assert_eq!(state.entries.len(), KEYS as usize);
    let untouched = state.get(7).unwrap();
    assert_eq!((untouched.value, untouched.version), (7, PRELOAD_VERSION));
    let written: Vec<u64> = out_b.history.writes.iter().map(|w| w.key).collect();
    let key = written[0];
    assert_ne!(state.get(key).unwrap().version, PRELOAD_VERSION);
    // Full state ships the whole replica: the preload shows in bytes and in redundancy.
    assert!(
        b.traffic.sent_bytes > 5 * a.traffic.sent_bytes,
        "{} B preloaded, {} B plain",
        b.traffic.sent_bytes,
        a.traffic.sent_bytes
    );
    assert!(b.metrics.redundancy > a.metrics.redundancy);
}

#[test]
fn merkle_reconciliation_repairs_a_preloaded_cluster_without_shipping_the_replica() {
    let merkle = anti_entropy(
        Reconciliation::Merkle { depth: 2 },
        ConflictRule::LastWriteWins,
    );
    let full = anti_entropy(Reconciliation::FullState, ConflictRule::LastWriteWins);
    let (m, _) = run_one(
        &scenario(merkle, Some(KEYS)),
        &scenario(merkle, Some(KEYS)).strategies[0],
        2,
        RunOptions::default(),
    );
    let (f, _) = run_one(
        &scenario(full, Some(KEYS)),
        &scenario(full, Some(KEYS)).strategies[0],
        2,
        RunOptions::default(),
    );
    assert_all_pass(&m);
    assert!(
        m.traffic.sent_bytes * 20 < f.traffic.sent_bytes,
        "merkle {} B, full state {} B",
        m.traffic.sent_bytes,
        f.traffic.sent_bytes
    );
}

#[test]
fn a_wiped_node_restarts_empty_and_gets_the_preload_back() {
    let victim = NodeId(5);
    let mut s = scenario(
        anti_entropy(Reconciliation::Checksum, ConflictRule::LastWriteWins),
        Some(KEYS),
    );
    s.faults = schedule(
        N,
        vec![
            (
                secs(4),
                FaultAction::Crash {
                    nodes: vec![victim],
                    lose_state: true,
                },
            ),
            (
                secs(5),
                FaultAction::Restart {
                    nodes: vec![victim],
                },
            ),
        ],
    );
    let (r, out) = run_one(&s, &s.strategies[0], 1, RunOptions::default());
    assert_all_pass(&r);
    let relearned = out
        .history
        .learned
        .iter()
        .filter(|l| l.node == victim && l.version == PRELOAD_VERSION)
        .count();
    // Every preloaded key the writes did not overwrite came back as a learned record.
    let overwritten = out.history.final_states[0]
        .entries
        .iter()
        .filter(|(_, v)| v.version != PRELOAD_VERSION)
        .count();
    assert_eq!(relearned, KEYS as usize - overwritten);
    assert!(
        out.history
            .learned
            .iter()
            .filter(|l| l.node != victim)
            .all(|l| l.version != PRELOAD_VERSION),
        "only the wiped node learns preloaded entries"
    );
}

#[test]
fn under_first_write_wins_a_preloaded_key_keeps_its_preloaded_value() {
    let mut s = scenario(
        anti_entropy(Reconciliation::FullState, ConflictRule::FirstWriteWins),
        Some(KEYS),
    );
    // The residue counts a node as holding a write when it holds that version or a higher one
    // (last-write-wins order), so a write that first-write-wins superseded everywhere reads
    // as missing: with or without a preload, residue is not a measure for this rule.
    s.checks.residue = None;
    let (r, out) = run_one(&s, &s.strategies[0], 3, RunOptions::default());
    // conflict_resolution passes because the preload takes part in the rule as the first write.
    assert_all_pass(&r);
    assert!(!out.history.writes.is_empty());
    for w in &out.history.writes {
        let held = out.history.final_states[0].get(w.key).unwrap();
        assert_eq!((held.value, held.version), (w.key, PRELOAD_VERSION));
    }
}

#[test]
fn the_checkers_reject_a_preloaded_value_that_differs_from_the_preload() {
    // The same history with one preloaded entry claimed to hold another value: a phantom.
    let s = scenario(
        anti_entropy(Reconciliation::Checksum, ConflictRule::LastWriteWins),
        Some(KEYS),
    );
    let (_, mut out) = run_one(&s, &s.strategies[0], 1, RunOptions::default());
    out.history.preloaded[3].1.value = 12345;
    let r = hearsay_harness::runner::judge(&s, &s.strategies[0], 1, &out);
    let phantoms = r.checks.iter().find(|c| c.name == "no_phantoms").unwrap();
    assert_eq!(phantoms.verdict, Verdict::Fail, "{}", phantoms.detail);
}
