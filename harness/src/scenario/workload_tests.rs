//! Tests of the workload, check and bug-zoo sections of scenario files: what they parse to, and
//! located one-line errors for bad values.

use super::{Protocol, Scenario, parse_scenario};
use hearsay_protocols::SimDuration;
use hearsay_protocols::zoo::Bug;
use hearsay_workloads::{Rate, Workload};
use std::path::Path;

const BASE: &str = "name: w
nodes: 20
duration: 10s
seeds: 0..2
strategies:
  - name: ae
    anti_entropy: {}
";

fn parse(text: &str) -> Result<Scenario, String> {
    parse_scenario(text, Path::new("w.yaml")).map_err(|e| e.to_string())
}

#[track_caller]
fn assert_error(text: &str, line: usize, column: usize, words: &[&str]) {
    let e = parse(text).expect_err("should not parse");
    let prefix = format!("w.yaml:{line}:{column}: ");
    assert!(e.starts_with(&prefix), "expected `{prefix}…`, got: {e}");
    for w in words {
        assert!(e.contains(w), "expected {w:?} in: {e}");
    }
    assert!(!e.contains('\n'), "not one line: {e:?}");
}

#[test]
fn several_workloads_combine_in_the_order_written() {
    let s = parse(&format!(
        "{BASE}workload:\n  writes: {{ rate: 50/s, keys: 20, from: 1s }}\n  reads: {{ rate: 2/ms, keys: 20 }}\n  conflicts: {{ at: 2s, keys: 3, writers: 4 }}\n"
    ))
    .unwrap();
    let Workload::Combined(parts) = &s.workload else {
        panic!("{:?}", s.workload)
    };
    match (&parts[0], &parts[1], &parts[2]) {
        (Workload::Writes(w), Workload::Conflicts(c), Workload::Reads(r)) => {
            assert_eq!(
                (w.rate, w.keys, w.until.as_nanos()),
                (Rate(50.0), 20, SimDuration::from_secs(10).as_nanos())
            );
            assert_eq!(r.rate, Rate(2000.0));
            assert_eq!(c.writers, 4);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn checks_expectations_and_zoo_strategies_parse() {
    let s = parse(&format!(
        "{BASE}  - name: buggy\n    zoo: {{ bug: merkle-skips-last-bucket, period: 250ms }}\nchecks:\n  no_lost_writes: {{ strategies: [buggy] }}\n  no_phantoms: {{}}\n  bounds: {{ t_last: 5s, stable_latency: {{ p99: 2s }} }}\n  expect_failure: [no_lost_writes]\n"
    ))
    .unwrap();
    let Protocol::Zoo(z) = s.strategies[1].protocol else {
        panic!()
    };
    assert_eq!(
        (z.bug, z.period),
        (Bug::MerkleSkipsLastBucket, SimDuration::from_millis(250))
    );
    assert_eq!(
        s.checks.no_lost_writes.as_ref().unwrap().strategies,
        Some(vec!["buggy".to_string()])
    );
    assert!(s.checks.no_phantoms.is_some());
    let b = s.checks.bounds.as_ref().unwrap();
    assert_eq!(b.stable_latency, Some((99.0, SimDuration::from_secs(2))));
    assert_eq!(s.checks.expect_failure, vec!["no_lost_writes".to_string()]);
}

#[test]
fn bad_workload_values_are_located() {
    assert_error(
        &format!("{BASE}workload:\n  writes: {{ rate: fast }}\n"),
        9,
        19,
        &["workload.writes.rate", "10/s"],
    );
    assert_error(
        &format!("{BASE}workload:\n  writes: {{ rate: 5/s, kees: 3 }}\n"),
        9,
        24,
        &["unknown key `kees`", "`keys`"],
    );
    assert_error(
        &format!("{BASE}workload:\n  conflicts: {{ writers: 1 }}\n"),
        9,
        25,
        &["workload.conflicts.writers", "at least 2"],
    );
    assert_error(
        &format!("{BASE}workload:\n  ramp: {{ from: 1/s, to: 9/s, steps: 1 }}\n"),
        9,
        38,
        &["workload.ramp.steps", "at least 2"],
    );
    assert_error(
        &format!("{BASE}workload:\n  reads: {{ rate: 1/s, from: 5s, until: 2s }}\n"),
        9,
        10,
        &["workload.reads", "before"],
    );
    assert_error(
        &format!("{BASE}workload: {{}}\n"),
        8,
        11,
        &["no workload given"],
    );
}

#[test]
fn bad_checks_and_bugs_are_located() {
    assert_error(
        &format!("{BASE}checks:\n  expect_failure: [no_such_check]\n"),
        9,
        20,
        &["unknown check `no_such_check`", "no_lost_writes"],
    );
    assert_error(
        &format!("{BASE}checks:\n  bounds: {{ stable_latency: {{ p42: 1s }} }}\n"),
        9,
        31,
        &["unknown key `p42`", "`p99`"],
    );
    assert_error(
        &format!("{BASE}checks:\n  no_phantoms: {{ strategies: [nope] }}\n"),
        9,
        31,
        &["no strategy named `nope`"],
    );
    assert_error(
        &format!("{BASE}  - name: z\n    zoo: {{ bug: sloppy }}\n"),
        9,
        17,
        &["unknown bug `sloppy`", "accepts-older-versions"],
    );
}
