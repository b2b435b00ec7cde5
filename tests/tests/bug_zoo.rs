//! The checkers must catch real bugs: every bug-zoo scenario fails the check it declares, with
//! evidence, and a correct strategy passes the same checks on the same seeds.

use hearsay_harness::scenario::Protocol;
use hearsay_harness::{RunOptions, load_scenario, run_scenario_with};
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_reports::Verdict;
use std::path::Path;

const SEEDS: u64 = 20;

/// (file, the check it must fail, words its evidence must contain)
const ZOO: &[(&str, &str, &[&str])] = &[
    (
        "accepts-older-versions",
        "monotonic_versions",
        &["moved key", "back to"],
    ),
    (
        "tie-break-differs-by-node",
        "conflict_resolution",
        &["selects", "live nodes end with another value"],
    ),
    (
        "forgets-partition-writes",
        "no_lost_writes",
        &["acknowledged at", "is missing on"],
    ),
    (
        "no-retry-after-loss",
        "no_lost_writes",
        &["acknowledged at", "is missing on"],
    ),
    (
        "merkle-skips-last-bucket",
        "no_lost_writes",
        &["acknowledged at", "is missing on"],
    ),
    (
        "loses-acked-writes-on-restart",
        "no_lost_writes",
        &["without losing state", "is missing on"],
    ),
    (
        "corrupts-replied-values",
        "no_phantoms",
        &["came to hold", "wrote"],
    ),
];

fn zoo_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/zoo")
        .join(format!("{name}.yaml"))
}

#[test]
fn every_bug_is_caught_by_its_checker_and_a_correct_strategy_passes_the_same_seeds() {
    let mut table = vec![
        "| variant | checker | caught on | seeds needed to catch |".to_string(),
        "|---|---|---|---|".into(),
    ];
    for (name, check, evidence) in ZOO {
        let mut scenario = load_scenario(&zoo_file(name)).unwrap_or_else(|e| panic!("{e}"));
        scenario.seeds = (0..SEEDS).collect();
        let buggy = run_scenario_with(&scenario, RunOptions::default());
        assert_eq!(
            buggy.expect_failure,
            vec![check.to_string()],
            "{name} must declare `{check}`"
        );
        buggy
            .meets_expectations()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let caught: Vec<u64> = buggy
            .runs
            .iter()
            .filter(|r| {
                r.checks
                    .iter()
                    .any(|c| c.name == *check && c.verdict == Verdict::Fail)
            })
            .map(|r| r.seed)
            .collect();
        assert!(
            caught.len() as u64 * 2 > SEEDS,
            "{name}: `{check}` caught it on only {caught:?} of {SEEDS} seeds"
        );
        for r in &buggy.runs {
            if let Some(c) = r
                .checks
                .iter()
                .find(|c| c.name == *check && c.verdict == Verdict::Fail)
            {
                for word in *evidence {
                    assert!(
                        c.detail.contains(word),
                        "{name} seed {}: evidence lacks {word:?}: {}",
                        r.seed,
                        c.detail
                    );
                }
            }
        }
        table.push(format!(
            "| {name} | {check} | {}/{SEEDS} seeds | {} |",
            caught.len(),
            caught[0] + 1
        ));

        // The same scenario and seeds with a correct protocol: every check holds, so the
        // declared failure is no longer met — the regression suite would flag it.
        let period = match scenario.strategies[0].protocol {
            Protocol::Zoo(c) => c.period,
            _ => unreachable!("zoo scenarios run a zoo strategy"),
        };
        scenario.strategies[0].protocol = Protocol::AntiEntropy(AntiEntropyConfig {
            period,
            ..Default::default()
        });
        let correct = run_scenario_with(&scenario, RunOptions::default());
        for r in &correct.runs {
            for c in &r.checks {
                assert_eq!(
                    c.verdict,
                    Verdict::Pass,
                    "{name}: correct anti-entropy failed `{}` on seed {}: {}",
                    c.name,
                    r.seed,
                    c.detail
                );
            }
        }
        let err = correct
            .meets_expectations()
            .expect_err("a fixed bug must fail the expectation");
        assert!(err.contains("no longer caught"), "{err}");
    }
    eprintln!("{}", table.join("\n"));
}
