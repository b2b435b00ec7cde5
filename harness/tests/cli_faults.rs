//! `hearsay faults`: the schedule a nemesis draws for a seed, printed as a `faults:` list.

use assert_cmd::Command;
use std::path::Path;

fn hearsay() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearsay"));
    // A run that keeps its results writes `store/` under the working directory: keep that out
    // of the source tree (every path these tests pass is absolute).
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn prints_the_same_schedule_for_the_same_seed_and_it_replays() {
    let drill = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/drills/nemesis.yaml");
    let print = |seed: &str| {
        let out = hearsay()
            .args(["faults", drill.to_str().unwrap(), "--seed", seed])
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let a = print("3");
    assert_eq!(a, print("3"));
    assert_ne!(a, print("4"));
    assert!(a.contains("\nfaults:\n  - { at: "), "{a}");

    // Pasted in place of the nemesis, the list gives the same run: the same fingerprint.
    let text = std::fs::read_to_string(&drill).unwrap();
    let start = text.find("\nnemesis:").unwrap();
    let end = text[start..].find("\nchecks:").unwrap() + start;
    let replay = format!("{}\n{}{}", &text[..start], a, &text[end..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay.yaml");
    std::fs::write(&path, replay).unwrap();
    let fingerprints = |file: &Path| {
        let out = hearsay()
            .args(["run", file.to_str().unwrap(), "--seed", "3"])
            .assert()
            .success();
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        stdout
            .lines()
            .filter(|l| l.contains("fingerprint"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let original = fingerprints(&drill);
    assert_eq!(original.len(), 2);
    assert_eq!(original, fingerprints(&path));
}

#[test]
fn a_bad_nemesis_is_a_located_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "name: t\nnodes: 10\nduration: 5s\nseeds: 0\nstrategies: [{ name: a, rumor: }]\n\
         nemesis:\n  mix: { crash: 60, pause: 60 }\n  every: 1s\n",
    )
    .unwrap();
    let out = hearsay()
        .args(["faults", path.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("bad.yaml:7:8: nemesis.mix: the percentages add up to 120"),
        "{stderr}"
    );
}
