//! The `hearsay` command as a user meets it: exit codes, error lines, tables and JSON.

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

/// Writes `text` to a scenario file in a fresh temporary folder.
fn scenario_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const VALID: &str = "name: t
nodes: 100
duration: 10s
seeds: 0..2
network:
  loss: 0.01
strategies:
  - name: ae
    anti_entropy: { period: 500ms }
";

#[test]
fn the_quickstart_runs_and_every_check_holds() {
    let out = hearsay()
        .args(["run", "--no-store"])
        .arg(quickstart())
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for needle in [
        "rumor",
        "anti-entropy",
        "residue",
        "t_last",
        "convergence",
        "pass",
        "quickstart · 1000 nodes · seeds 0..10 (10)",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    let rumor_row = stdout
        .lines()
        .find(|l| l.contains("│ rumor"))
        .expect("a rumor row");
    assert!(
        rumor_row.contains("never (10/10)"),
        "rumor should leave a residue: {rumor_row}"
    );
}

#[test]
fn a_single_seed_prints_its_trace_fingerprint_and_repeats_it() {
    let run = || {
        let out = hearsay()
            .args(["run", "--no-store", "--seed", "4"])
            .arg(quickstart())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let first = run();
    let line = first
        .lines()
        .find(|l| l.contains("trace fingerprint") && l.contains("anti-entropy"))
        .expect("fingerprint line");
    assert!(
        line.split_whitespace()
            .any(|w| w.len() == 18 && w.starts_with("0x")),
        "{line}"
    );
    assert_eq!(first, run(), "the same seed printed a different report");
}

#[test]
fn json_output_is_the_documented_result_model() {
    let out = hearsay()
        .args(["run", "--no-store", "--seeds", "3..5", "--format", "json"])
        .arg(quickstart())
        .assert()
        .success();
    let result = hearsay_reports::ScenarioResult::from_json(
        std::str::from_utf8(&out.get_output().stdout).unwrap(),
    )
    .unwrap();
    assert_eq!(result.seeds, vec![3, 4]);
    assert_eq!(result.runs.len(), 4);
    assert!(result.passed());
}

#[test]
fn a_failed_check_exits_1_and_says_how_to_rerun_it() {
    let text = VALID.replace("    anti_entropy: { period: 500ms }", "    rumor: { k: 1 }")
        + "checks:\n  residue: { max: 0.0 }\n";
    let (_dir, path) = scenario_file(&text);
    hearsay()
        .args(["run", "--no-store"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL ae seed 0: residue"))
        .stderr(predicate::str::contains(format!(
            "replay it with: hearsay replay --seed 0 --strategy ae {} --expect-fingerprint 0x",
            path.display()
        )));
}

/// Each bad file gives exit 2 and one error line naming the file, line and column.
#[test]
fn bad_scenarios_exit_2_with_a_located_one_line_error() {
    let cases: &[(&str, String, &str, &str)] = &[
        (
            "unknown key",
            VALID.replace("nodes: 100", "nodes: 100\nnodez: 3"),
            ":3:1:",
            "nodez",
        ),
        (
            "negative loss",
            VALID.replace("loss: 0.01", "loss: -0.5"),
            ":6:9:",
            "loss",
        ),
        (
            "loss above 1",
            VALID.replace("loss: 0.01", "loss: 1.5"),
            ":6:9:",
            "loss",
        ),
        (
            "zero nodes",
            VALID.replace("nodes: 100", "nodes: 0"),
            ":2:8:",
            "nodes",
        ),
        (
            "unparsable duration",
            VALID.replace("duration: 10s", "duration: 5 parsecs"),
            ":3:11:",
            "duration",
        ),
    ];
    for (what, text, location, mentions) in cases {
        let (_dir, path) = scenario_file(text);
        let out = hearsay().arg("run").arg(&path).assert().code(2);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: expected one line, got:\n{stderr}");
        let expected_prefix = format!("error: {}{location}", path.display());
        assert!(
            lines[0].starts_with(&expected_prefix),
            "{what}: expected `{expected_prefix}…`, got `{}`",
            lines[0]
        );
        assert!(
            lines[0].contains(mentions),
            "{what}: `{}` does not mention {mentions}",
            lines[0]
        );
    }
}

#[test]
fn a_missing_file_and_bad_flags_are_usage_errors() {
    hearsay()
        .args(["run", "/nonexistent/scenario.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
    hearsay()
        .arg("run")
        .arg(quickstart())
        .args(["--seeds", "5..5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    hearsay().arg("frobnicate").assert().code(2);
}

#[test]
fn a_bug_zoo_scenario_exits_1_with_its_evidence_and_a_rerun_command() {
    let zoo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/zoo/no-retry-after-loss.yaml");
    hearsay()
        .arg("run")
        .arg(&zoo)
        .args(["--seed", "2"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("FAIL buggy seed 2: no_lost_writes")
                .and(predicate::str::contains("is missing on")),
        )
        .stderr(predicate::str::contains(
            "replay it with: hearsay replay --seed 2 --strategy buggy",
        ));
}
