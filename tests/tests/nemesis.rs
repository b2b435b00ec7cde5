//! The nemesis: a seeded random schedule that is the same for the same seed, part of the run's
//! result as a fault timeline, and printable as a `faults:` list that replays the same run.

mod common;

use hearsay_harness::scenario::parse_scenario;
use hearsay_harness::{RunOptions, Scenario, run_faults, run_one};
use std::path::Path;

const HEAD: &str = "\
name: nemesis
nodes: 30
duration: 20s
seeds: 0..3
strategies:
  - name: ae
    anti_entropy: { period: 200ms }
checks:
  convergence: { within: 5s }
";

const NEMESIS: &str = "\
nemesis:
  mix: { partition: 20, crash: 15, pause: 15, delay: 10, loss: 10, duplicate: 10, reorder: 10, skew: 10 }
  every: 500ms..1500ms
  for: 300ms..2s
  start: 1s
  stop: 14s
";

fn load(text: &str) -> Scenario {
    parse_scenario(text, Path::new("nemesis.yaml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn the_same_seed_gives_the_same_schedule_and_another_seed_another() {
    let s = load(&format!("{HEAD}{NEMESIS}"));
    let a = run_faults(&s, 3).into_owned();
    assert_eq!(a, run_faults(&s, 3).into_owned());
    assert_ne!(a, run_faults(&s, 4).into_owned());
    assert!(a.faults().len() >= 16, "{}", a.to_yaml());
    assert!(a.nemesis().is_none(), "a run's schedule is concrete");
    // The mix shows: several kinds of fault were drawn.
    let kinds: std::collections::BTreeSet<String> = a
        .faults()
        .iter()
        .filter(|f| !f.action.is_end())
        .map(|f| f.action.describe().split(' ').next().unwrap().to_string())
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    // heal_at_end (the default): everything that started has ended by `stop`.
    let windows = a.windows();
    assert!(
        windows
            .iter()
            .all(|w| w.end.is_some_and(|e| e.as_nanos() <= 14_000_000_000))
    );
}

#[test]
fn a_printed_schedule_pasted_back_replays_the_same_run() {
    let with_nemesis = load(&format!("{HEAD}{NEMESIS}"));
    for seed in 0..3 {
        let printed = run_faults(&with_nemesis, seed).to_yaml();
        let scripted = load(&format!("{HEAD}{printed}"));
        assert_eq!(
            scripted.faults,
            *run_faults(&with_nemesis, seed),
            "seed {seed}:\n{printed}"
        );
        let strategy = &with_nemesis.strategies[0];
        let (a, _) = run_one(&with_nemesis, strategy, seed, RunOptions::default());
        let (b, _) = run_one(&scripted, strategy, seed, RunOptions::default());
        assert_eq!(a.fingerprint, b.fingerprint, "seed {seed}:\n{printed}");
        assert_eq!(a, b);
    }
}

#[test]
fn the_fault_timeline_is_part_of_the_run_result() {
    let s = load(&format!("{HEAD}{NEMESIS}"));
    let (result, out) = run_one(&s, &s.strategies[0], 1, RunOptions::default());
    let schedule = run_faults(&s, 1);
    assert_eq!(result.faults.len(), schedule.windows().len());
    for (w, expected) in result.faults.iter().zip(schedule.windows()) {
        assert_eq!(w.kind, expected.kind);
        assert_eq!(w.start, expected.start.as_secs_f64());
        assert_eq!(w.end, expected.end.map(|e| e.as_secs_f64()));
        assert!(w.end.is_some_and(|e| e > w.start), "{w:?}");
    }
    // Every fault was applied, at its time, and recorded in the history.
    let applied: Vec<(u64, String)> = out
        .history
        .faults_applied
        .iter()
        .map(|f| (f.at.as_nanos(), f.what.clone()))
        .collect();
    let scheduled: Vec<(u64, String)> = schedule
        .faults()
        .iter()
        .map(|f| (f.at.as_nanos(), f.action.describe()))
        .collect();
    assert_eq!(applied, scheduled);
    // Convergence is measured from the nemesis's last heal, and holds.
    assert!(result.passed(), "{:?}", result.checks);
}
