//! `hearsay bench`'s Merkle case and its memory table, run small: they must work and print
//! what the full-size runs print, and their misuses are usage errors. (Figures are for the
//! full-size runs to print; nothing here depends on how fast the machine is.)

use assert_cmd::Command;
use predicates::prelude::*;

fn hearsay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn the_merkle_case_repairs_every_write_over_preloaded_replicas() {
    let out = hearsay()
        .args([
            "bench",
            "--case",
            "merkle",
            "--nodes",
            "40",
            "--duration",
            "10s",
        ])
        .assert()
        .success();
    let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["case"], "merkle");
    assert_eq!(line["residue"], 0.0, "{line}");
    // It stopped once every node held every write (the writes run from 1 s to 4 s), well
    // before the cap.
    let ended = line["simulated_s"].as_f64().unwrap();
    assert!(ended > 1.0 && ended < 10.0, "{line}");
    // 40 replicas of 10^4 entries are 12.8 MB of state on their own.
    assert!(
        line["peak_rss_bytes"].as_u64().unwrap() > 12_800_000,
        "{line}"
    );
}

#[test]
fn the_memory_table_has_a_row_per_strategy_family() {
    let out = hearsay()
        .args(["bench", "--memory", "--nodes", "300"])
        .assert()
        .success();
    let table = stdout(&out);
    for family in [
        "direct-mail",
        "ae-full-state",
        "ae-checksum",
        "ae-recent-updates",
        "ae-merkle",
        "rumor-push",
        "rumor-push-pull",
        "push-then-pull",
        "rumor-anti-entropy",
    ] {
        assert!(
            table.contains(&format!("│ {family} ")),
            "no {family} in:\n{table}"
        );
    }
    assert!(
        table.contains("node size B") && table.contains("bytes/node"),
        "{table}"
    );
}

#[test]
fn bench_misuse_is_a_usage_error() {
    for args in [
        &["bench", "--case", "memory"][..],
        &["bench", "--family", "ae-merkle"][..],
        &[
            "bench",
            "--case",
            "merkle",
            "--nodes",
            "40",
            "--duration",
            "3s",
        ][..],
        &["bench", "--memory", "--quick"][..],
        &["bench", "--runs", "0"][..],
        &["bench", "--case", "steady", "--runs", "3"][..],
    ] {
        hearsay().args(args).assert().code(2).stderr(
            predicate::str::contains("--family")
                .or(predicate::str::contains("--duration above"))
                .or(predicate::str::contains("cannot be used with"))
                .or(predicate::str::contains("--runs <N>")),
        );
    }
}

/// The write-stream case with every check on runs the same events as the plain one (the checks
/// only read the history), and its checks hold: a failing one would make the case exit 1.
#[test]
fn the_checked_write_stream_runs_the_same_run_and_passes_every_check() {
    let run = |case: &str, bare: bool| {
        let mut args = vec![
            "bench",
            "--case",
            case,
            "--nodes",
            "200",
            "--duration",
            "5s",
        ];
        if bare {
            args.push("--bare");
        }
        let out = hearsay().args(&args).assert().success();
        serde_json::from_str::<serde_json::Value>(stdout(&out).trim()).unwrap()
    };
    let checked = run("writes-checked", false);
    let plain = run("writes", false);
    let bare = run("writes-checked", true);
    assert_eq!(checked["case"], "writes-checked");
    assert_eq!(checked["fingerprint"], plain["fingerprint"]);
    assert_eq!(checked["fingerprint"], bare["fingerprint"]);
    assert_eq!(checked["learned"], plain["learned"]);
    assert!(checked["learned"].as_u64().unwrap() > 1000, "{checked}");
    assert_eq!(checked["residue"], 0.0, "{checked}");
}
