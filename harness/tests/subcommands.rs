//! Every subcommand end to end on a bundled scenario: what it prints, what it writes, and its
//! exit code. The quickstart (1,000 nodes) runs in well under a second per seed here.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hearsay() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearsay"));
    // A run that keeps its results writes `store/` under the working directory: keep that out
    // of the source tree (every path these tests pass is absolute).
    command.current_dir(std::env::temp_dir());
    command
}

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/quickstart.yaml")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn run_writes_a_new_store_folder_each_time_and_points_latest_at_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let run = || {
        hearsay()
            .args([
                "run", "--seeds", "0..2", "--trace", "--format", "json", "--store",
            ])
            .arg(&store)
            .arg(quickstart())
            .assert()
            .success()
    };
    let first = run();
    // stdout stays pure JSON; where the results went is on stderr.
    let result = hearsay_reports::ScenarioResult::from_json(&stdout(&first)).unwrap();
    assert_eq!(result.runs.len(), 4);
    let err = stderr(&first);
    let line = err
        .lines()
        .find(|l| l.starts_with("results: "))
        .expect("store line");
    let dir = PathBuf::from(
        line.trim_start_matches("results: ")
            .split("  ")
            .next()
            .unwrap(),
    );
    assert!(dir.starts_with(store.join("quickstart")), "{line}");
    for f in [
        "results.json",
        "report.md",
        "report.html",
        "scenario.yaml",
        "coverage.svg",
        "latency-cdf.svg",
        "cost-frontier.svg",
        "messages-over-time.svg",
        "history/rumor-seed0.jsonl",
        "history/anti-entropy-seed1.jsonl",
        "trace/rumor-seed1.jsonl",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let history = std::fs::read_to_string(dir.join("history/rumor-seed0.jsonl")).unwrap();
    assert!(history.lines().next().unwrap().contains("\"type\":\"run\""));
    assert!(history.lines().any(|l| l.contains("\"type\":\"learned\"")));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("Coverage over time") && !html.contains("<script")
    );
    let stored = hearsay_reports::ScenarioResult::from_json(
        &std::fs::read_to_string(dir.join("results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(stored, result);

    let second = run();
    let err2 = stderr(&second);
    let dir2 = PathBuf::from(
        err2.lines()
            .find(|l| l.starts_with("results: "))
            .unwrap()
            .trim_start_matches("results: ")
            .split("  ")
            .next()
            .unwrap(),
    );
    assert_ne!(dir, dir2, "never overwrites a run");
    assert!(dir.join("results.json").is_file());
    let latest = std::fs::canonicalize(store.join("quickstart/latest")).unwrap();
    assert_eq!(latest, std::fs::canonicalize(&dir2).unwrap());
}

#[test]
fn run_prints_markdown_and_ranges_on_request() {
    let out = hearsay()
        .args(["run", "--no-store", "--seeds", "0..3", "--format", "md"])
        .arg(quickstart())
        .assert()
        .success();
    let md = stdout(&out);
    assert!(md.starts_with("# quickstart — hearsay report\n"), "{md}");
    assert!(md.contains("| strategy | residue |"));
    let out = hearsay()
        .args(["run", "--no-store", "--seeds", "0..3", "--spread", "range"])
        .arg(quickstart())
        .assert()
        .success();
    assert!(stdout(&out).contains("mean [min–max] over seeds"));
}

#[test]
fn sweep_reports_every_point_and_shards_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let base = |extra: &[&str]| {
        let mut c = hearsay();
        c.arg("sweep")
            .arg(quickstart())
            .args(["--set", "k=1..=2", "--set", "fanout=1,2", "--seeds", "0..2"])
            .args(extra);
        c
    };
    let out = base(&["--store"])
        .arg(tmp.path().join("store"))
        .assert()
        .success();
    let table = stdout(&out);
    assert!(
        table.contains("sweep of quickstart over k, fanout · 4 of 4 grid points"),
        "{table}"
    );
    assert_eq!(table.matches("│ rumor ").count(), 4);
    let sweep_dir = tmp.path().join("store/quickstart.sweep/latest");
    for f in ["sweep.json", "sweep.md", "sweep.html", "cost-frontier.svg"] {
        assert!(sweep_dir.join(f).is_file(), "missing {f}");
    }

    let mut shards = Vec::new();
    for part in ["1/2", "2/2"] {
        let out = base(&["--no-store", "--format", "json", "--partition", part])
            .assert()
            .success();
        let path = tmp.path().join(format!("shard-{}.json", &part[..1]));
        std::fs::write(&path, stdout(&out)).unwrap();
        shards.push(path);
    }
    let merged = hearsay()
        .args(["merge", "--no-store", "--format", "json"])
        .args(&shards)
        .assert()
        .success();
    let merged = hearsay_reports::sweep::SweepResult::from_json(&stdout(&merged)).unwrap();
    let whole = hearsay_reports::sweep::SweepResult::from_json(
        &std::fs::read_to_string(sweep_dir.join("sweep.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(merged, whole, "sharded and whole sweeps agree");

    hearsay()
        .args(["merge", "--no-store"])
        .arg(&shards[0])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing points: 1, 3"));
    hearsay()
        .arg("sweep")
        .arg(quickstart())
        .args(["--no-store", "--set", "frobs=1,2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no strategy of the scenario has a parameter `frobs`",
        ));
    hearsay()
        .arg("sweep")
        .arg(quickstart())
        .args(["--no-store", "--set", "k=1", "--partition", "3/2"])
        .assert()
        .code(2);
}

#[test]
fn replay_reproduces_a_stored_run_and_filters_its_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    hearsay()
        .args(["run", "--seed", "4", "--store"])
        .arg(&store)
        .arg(quickstart())
        .assert()
        .success();
    let latest = store.join("quickstart/latest");
    let out = hearsay()
        .arg("replay")
        .arg(&latest)
        .args(["--strategy", "rumor", "--kind", "learned", "--limit", "3"])
        .assert()
        .success();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[..3].iter().all(|l| l.contains("learned")), "{text}");
    assert!(lines[3].contains("more events"));
    assert!(
        stderr(&out).contains("matches: the run reproduced byte for byte"),
        "{}",
        stderr(&out)
    );

    let out = hearsay()
        .arg("replay")
        .arg(&latest)
        .args([
            "--strategy",
            "anti-entropy",
            "--node",
            "17",
            "--from",
            "2s",
            "--to",
            "7s",
        ])
        .assert()
        .success();
    let text = stdout(&out);
    assert!(!text.is_empty());
    for l in text.lines() {
        assert!(l.contains("n17") || l.contains(" fault "), "{l}");
        let t: f64 = l
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('s')
            .parse()
            .unwrap();
        assert!((2.0..=7.0).contains(&t), "{l}");
    }
    hearsay()
        .args([
            "replay",
            "--seed",
            "4",
            "--strategy",
            "rumor",
            "--limit",
            "0",
            "--expect-fingerprint",
            "0x0000000000000001",
        ])
        .arg(quickstart())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did not reproduce"));
    hearsay()
        .args(["replay", "--seed", "4", "--strategy", "nobody"])
        .arg(quickstart())
        .assert()
        .code(2);
}

/// The CI suite: a deliberately broken baseline fails, prints a replay command, and that
/// command reproduces the same fingerprint.
#[test]
fn check_fails_on_a_broken_baseline_with_a_replay_command_that_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    std::fs::copy(quickstart(), suite.join("quickstart.yaml")).unwrap();

    // No baseline yet: a failure that says how to bless one.
    hearsay()
        .arg("check")
        .arg(&suite)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("hearsay check --bless"));
    hearsay()
        .arg("check")
        .arg(&suite)
        .arg("--bless")
        .assert()
        .success();
    let junit = tmp.path().join("out/junit.xml");
    hearsay()
        .arg("check")
        .arg(&suite)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("failures=\"0\"")
    );

    // Break the baseline: anti-entropy "used to" send half as many messages.
    let path = suite.join("baselines/quickstart.json");
    let mut baseline =
        hearsay_reports::regression::Baseline::from_json(&std::fs::read_to_string(&path).unwrap())
            .unwrap();
    let ae = baseline
        .strategies
        .iter_mut()
        .find(|s| s.strategy == "anti-entropy")
        .unwrap();
    let m = ae.metrics.get_mut("msgs_per_node").unwrap();
    m.value = m.value.map(|v| v / 2.0);
    std::fs::write(&path, baseline.to_json()).unwrap();

    let out = hearsay()
        .arg("check")
        .arg(&suite)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains("FAIL") && text.contains("anti-entropy: baseline: msgs_per_node"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("failures=\"1\"") && xml.contains("<failure message=\"msgs_per_node"),
        "{xml}"
    );
    let command = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .expect("a replay command");
    assert!(command.starts_with("hearsay replay --seed "), "{command}");
    let expected = command.rsplit(' ').next().unwrap().to_owned();
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let replayed = hearsay()
        .args(&args)
        .args(["--limit", "0"])
        .assert()
        .success();
    assert!(
        stderr(&replayed).contains(&format!("trace fingerprint {expected} matches")),
        "{}",
        stderr(&replayed)
    );
    // A folder without scenarios is a usage error.
    hearsay()
        .arg("check")
        .arg(tmp.path().join("out"))
        .assert()
        .code(2);
}

/// Shrinking: a scripted drill of 31 timed faults of which two matter is reduced to those
/// (at most a few faults) on fewer nodes, written as a scenario that `run` fails again.
#[test]
fn shrink_reduces_many_faults_to_the_few_that_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("small.yaml");
    let drill = fixture("many-faults.yaml");
    let original = hearsay_harness::load_scenario(&drill).unwrap();
    assert!(original.faults.faults().len() >= 30);
    let out = hearsay()
        .arg("shrink")
        .arg(&drill)
        .arg("--out")
        .arg(&out_file)
        .assert()
        .success();
    let text = stdout(&out);
    assert!(text.contains("check `convergence` still fails"), "{text}");
    let shrunk = hearsay_harness::load_scenario(&out_file).unwrap();
    assert!(shrunk.faults.faults().len() <= 3, "{:?}", shrunk.faults);
    assert!(shrunk.nodes < original.nodes);
    assert_eq!(shrunk.seeds, vec![3]);
    hearsay()
        .args(["run", "--no-store"])
        .arg(&out_file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL anti-entropy seed 3: convergence",
        ));

    // From a store folder: the same, found from the stored failure.
    let store = tmp.path().join("store");
    hearsay()
        .arg("run")
        .arg("--store")
        .arg(&store)
        .arg(&drill)
        .assert()
        .code(1);
    let out2 = tmp.path().join("again.yaml");
    hearsay()
        .arg("shrink")
        .arg(store.join("many-faults"))
        .arg("--out")
        .arg(&out2)
        .assert()
        .success();
    assert_eq!(hearsay_harness::load_scenario(&out2).unwrap(), shrunk);
    // Nothing fails: nothing to shrink.
    hearsay()
        .arg("shrink")
        .arg(quickstart())
        .args(["--strategy", "anti-entropy", "--seed", "0"])
        .assert()
        .code(2);
}

#[test]
fn every_subcommand_has_help_with_examples_and_completions_and_a_man_page() {
    for sub in [
        "run",
        "sweep",
        "merge",
        "replay",
        "check",
        "shrink",
        "bench",
        "completions",
        "man",
    ] {
        hearsay()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
    hearsay()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hearsay").and(predicate::str::contains("replay")));
    hearsay()
        .args(["man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH hearsay"));
}

/// The bug zoo is the checkers' own regression suite: every scenario there declares the check it
/// must fail, and `check` passes only while each bug is still caught.
#[test]
fn check_counts_the_bug_zoos_expected_failures_as_passes() {
    let zoo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/zoo");
    let out = hearsay().arg("check").arg(&zoo).assert().success();
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("7 scenarios") && text.contains("0 failed"),
        "{text}"
    );
    assert!(text.contains("failed as expected"), "{text}");

    // A zoo scenario whose bug is fixed (the strategy swapped for a correct one) must fail the
    // suite: the checker no longer catches anything.
    let dir = tempfile::tempdir().unwrap();
    let fixed = std::fs::read_to_string(zoo.join("no-retry-after-loss.yaml"))
        .unwrap()
        .replace(
            "    zoo: no-retry-after-loss",
            "    anti_entropy: { period: 300ms }",
        );
    std::fs::write(dir.path().join("fixed.yaml"), fixed).unwrap();
    let out = hearsay()
        .arg("check")
        .arg(dir.path())
        .arg("--bless")
        .assert()
        .code(1);
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("`no_lost_writes` was expected to fail but held"),
        "{text}"
    );
}

/// A nemesis run with dozens of faults, failing because of one of them, shrinks to that one.
#[test]
fn shrink_reduces_a_failing_nemesis_run_to_the_fault_that_matters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small.yaml");
    let fixture = fixture("nemesis-noise.yaml");
    let faults = hearsay().arg("faults").arg(&fixture).assert().success();
    let drawn = stdout(&faults).matches("at:").count();
    assert!(drawn >= 15, "the nemesis drew only {drawn} faults");
    let run = hearsay()
        .args(["shrink", "--out"])
        .arg(&out)
        .arg(&fixture)
        .assert()
        .success();
    let text = stdout(&run) + &stderr(&run);
    assert!(text.contains("still fails"), "{text}");
    let written = std::fs::read_to_string(&out).unwrap();
    let kept = written.lines().filter(|l| l.contains("at:")).count();
    assert!((1..=3).contains(&kept), "kept {kept} faults:\n{written}");
    assert!(
        written.contains("isolate: [7]"),
        "the culprit is gone:\n{written}"
    );
    assert!(
        !written.contains("nemesis:"),
        "the shrunk scenario should be scripted:\n{written}"
    );
    hearsay()
        .args(["run", "--no-store"])
        .arg(&out)
        .assert()
        .code(1);
}
