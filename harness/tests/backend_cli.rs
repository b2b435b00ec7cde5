//! `hearsay run --backend turmoil` and `hearsay cluster` as a user meets them: the same table,
//! and what a backend cannot do is a usage error (exit 2) before anything runs.

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

const SMALL: &str = "name: small
nodes: 30
duration: 4s
seeds: 2
strategies:
  - name: ae
    anti_entropy: { period: 200ms }
workload:
  single_rumor: { at: 100ms, node: 0 }
faults:
  - at: 500ms
    partition: halves
    for: 1s
checks:
  convergence: { within: 2s }
";

#[test]
fn run_on_turmoil_prints_the_same_table_and_repeats_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.yaml");
    std::fs::write(&path, SMALL).unwrap();
    let run = || {
        let out = hearsay()
            .args(["run", "--backend", "turmoil"])
            .arg(&path)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let first = run();
    for needle in ["residue", "t_last", "pass", "small · 30 nodes · seed 2"] {
        assert!(first.contains(needle), "missing {needle:?} in:\n{first}");
    }
    assert_eq!(first, run(), "the same seed printed a different report");
}

#[test]
fn what_a_backend_cannot_run_is_a_usage_error_before_the_run() {
    hearsay()
        .args(["run", "--backend", "turmoil"])
        .arg(quickstart())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unsupported under turmoil: 1000 nodes",
        ));
    hearsay()
        .arg("cluster")
        .arg(quickstart())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unsupported under cluster: 1000 nodes",
        ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("early.yaml");
    std::fs::write(&path, format!("{SMALL}stop_when_converged: true\n")).unwrap();
    hearsay()
        .args(["run", "--backend", "turmoil"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`stop_when_converged`"));
    let path = dir.path().join("preloaded.yaml");
    std::fs::write(&path, format!("{SMALL}preload: {{ keys: 100 }}\n")).unwrap();
    for backend in [&["run", "--backend", "turmoil"][..], &["cluster"][..]] {
        hearsay()
            .args(backend)
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "`preload`: only the emulator starts its nodes with a replica",
            ));
    }
}
