//! Tests of the YAML scenario loader: the bundled quickstart file, one test per kind of bad
//! input (each asserting the exact `FILE:LINE:COLUMN:` and what the message asks for), and
//! hostile inputs that must end in an error, never a panic.

use super::{Latency, PeerSampling, Protocol, Scenario, load_scenario, parse_scenario};
use hearsay_faults::{FaultAction, PartitionSpec, TimedFault};
use hearsay_protocols::anti_entropy::ExchangeMode;
use hearsay_protocols::rumor::Removal;
use hearsay_protocols::{ConflictRule, NodeId, SimDuration, SimTime};
use hearsay_workloads::{Origin, Workload};
use std::path::Path;

const FILE: &str = "s.yaml";

fn parse(text: &str) -> Result<Scenario, String> {
    parse_scenario(text, Path::new(FILE)).map_err(|e| e.to_string())
}

/// Parses `text`, which must fail, and returns the error's display.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(s) => panic!("parsed, but should not have: {s:?}"),
        Err(e) => e,
    }
}

/// Asserts the error starts `s.yaml:LINE:COL: ` and mentions every one of `words`, and that
/// it is one line.
#[track_caller]
fn assert_error(text: &str, line: usize, column: usize, words: &[&str]) {
    let e = error(text);
    let prefix = format!("{FILE}:{line}:{column}: ");
    assert!(e.starts_with(&prefix), "expected `{prefix}…`, got: {e}");
    for w in words {
        assert!(e.contains(w), "expected {w:?} in: {e}");
    }
    assert!(!e.contains('\n'), "not one line: {e:?}");
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// A small valid scenario; tests append to it or change one line of it.
const BASE: &str = "\
name: t
nodes: 1000
duration: 20s
seeds: 0..10
strategies:
  - name: rumor-k2
    rumor:
      k: 2
  - name: ae
    anti_entropy: {}
";

#[test]
fn quickstart_parses_to_the_documented_values() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/quickstart.yaml");
    let s = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "quickstart");
    assert_eq!(s.nodes, 1000);
    assert_eq!(s.duration, SimDuration::from_secs(20));
    assert_eq!(s.seeds, (0..10).collect::<Vec<u64>>());
    assert_eq!(s.peer_sampling, PeerSampling::Uniform);
    assert_eq!(s.sample_every, ms(50));
    assert_eq!(
        s.network.latency,
        Latency::Uniform {
            min: ms(1),
            max: ms(10)
        }
    );
    assert_eq!(s.network.loss, 0.001);

    assert_eq!(s.strategies.len(), 2);
    assert_eq!(s.strategies[0].name, "rumor");
    let Protocol::Rumor(r) = s.strategies[0].protocol else {
        panic!("{:?}", s.strategies[0]);
    };
    assert_eq!(r.period, ms(200));
    assert_eq!(r.fanout, 1);
    assert_eq!(r.k, 2);
    assert_eq!(r.removal, Removal::FeedbackCounter);
    assert_eq!(r.conflict, ConflictRule::LastWriteWins);
    assert_eq!(s.strategies[1].name, "anti-entropy");
    let Protocol::AntiEntropy(a) = s.strategies[1].protocol else {
        panic!("{:?}", s.strategies[1]);
    };
    assert_eq!(a.period, SimDuration::from_secs(1));
    assert_eq!(a.mode, ExchangeMode::PushPull);

    let Workload::SingleRumor(w) = &s.workload else {
        panic!("expected a single rumor, got {:?}", s.workload)
    };
    assert_eq!(w.at, SimTime(1_000_000_000));
    assert_eq!(w.origin, Origin::Node(NodeId(0)));
    assert_eq!((w.key, w.value), (1, 1));

    assert_eq!(
        s.faults.faults(),
        &[
            TimedFault {
                at: SimTime(2_000_000_000),
                action: FaultAction::Partition(PartitionSpec::Halves),
            },
            TimedFault {
                at: SimTime(6_000_000_000),
                action: FaultAction::Heal,
            },
        ]
    );

    let c = s.checks.convergence.as_ref().expect("a convergence check");
    assert_eq!(c.within, SimDuration::from_secs(10));
    assert_eq!(c.strategies, Some(vec!["anti-entropy".to_string()]));
    assert_eq!(s.checks.residue, None);
}

#[test]
fn defaults_fill_what_is_not_written() {
    let s = parse(BASE).unwrap();
    assert_eq!(s.network, super::NetworkSpec::default());
    assert_eq!(s.sample_every, ms(50));
    let Protocol::Rumor(r) = s.strategies[0].protocol else {
        panic!()
    };
    assert_eq!((r.period, r.fanout, r.k), (ms(200), 1, 2));
    assert_eq!(r.removal, Removal::FeedbackCounter);
    let Protocol::AntiEntropy(a) = s.strategies[1].protocol else {
        panic!()
    };
    assert_eq!(
        (a.period, a.mode),
        (SimDuration::from_secs(1), ExchangeMode::PushPull)
    );
    assert_eq!(
        s.workload,
        Workload::SingleRumor(hearsay_workloads::SingleRumor::default())
    );
    assert!(s.faults.is_empty());
    assert_eq!(s.checks, super::Checks::default());
}

#[test]
fn the_full_schema_maps_onto_the_model() {
    let text = format!(
        "{BASE}\
peer_sampling: uniform
sample_every: 10ms
stop_when_converged: true
network:
  latency: {{ constant: 5ms }}
workload:
  single_rumor: {{ at: 1.5s, node: random, key: 7, value: 9 }}
faults:
  - at: 2s
    partition: {{ groups: [[0, 1, 2], [3, 4]] }}
  - at: 7s
    heal: all
  - at: 3s
    crash: [5, 6]
    lose_state: true
    for: 2s
  - at: 9s
    restart: [5]
  - at: 8s
    crash: [5]
checks:
  convergence: {{ within: 5s }}
  residue: {{ max: 0.05, strategies: [rumor-k2] }}
"
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.sample_every, ms(10));
    assert!(s.stop_when_converged);
    assert_eq!(s.network.latency, Latency::Constant(ms(5)));
    let Workload::SingleRumor(w) = &s.workload else {
        panic!("expected a single rumor, got {:?}", s.workload)
    };
    assert_eq!(
        (w.at, w.origin, w.key, w.value),
        (SimTime(1_500_000_000), Origin::Random, 7, 9)
    );
    let at = |s: u64| SimTime(s * 1_000_000_000);
    let nodes = |l: &[u32]| l.iter().map(|&n| NodeId(n)).collect::<Vec<_>>();
    assert_eq!(
        s.faults.faults(),
        &[
            TimedFault {
                at: at(2),
                action: FaultAction::Partition(PartitionSpec::Groups(vec![
                    nodes(&[0, 1, 2]),
                    nodes(&[3, 4])
                ])),
            },
            TimedFault {
                at: at(3),
                action: FaultAction::Crash {
                    nodes: nodes(&[5, 6]),
                    lose_state: true
                },
            },
            TimedFault {
                at: at(5),
                action: FaultAction::Restart {
                    nodes: nodes(&[5, 6])
                },
            },
            TimedFault {
                at: at(7),
                action: FaultAction::HealAll
            },
            TimedFault {
                at: at(8),
                action: FaultAction::Crash {
                    nodes: nodes(&[5]),
                    lose_state: false
                },
            },
            TimedFault {
                at: at(9),
                action: FaultAction::Restart { nodes: nodes(&[5]) },
            },
        ]
    );
    let c = s.checks.convergence.as_ref().unwrap();
    assert_eq!(
        (c.within, c.strategies.as_ref()),
        (SimDuration::from_secs(5), None)
    );
    let r = s.checks.residue.as_ref().unwrap();
    assert_eq!(r.max, 0.05);
    assert_eq!(r.strategies, Some(vec!["rumor-k2".to_string()]));
}

#[test]
fn seeds_take_a_range_a_list_or_one_seed() {
    let with = |seeds: &str| parse(&BASE.replace("seeds: 0..10", seeds)).map(|s| s.seeds);
    assert_eq!(with("seeds: 3..6"), Ok(vec![3, 4, 5]));
    assert_eq!(with("seeds: [1, 2, 3]"), Ok(vec![1, 2, 3]));
    assert_eq!(with("seeds: 42"), Ok(vec![42]));
    assert_error(
        &BASE.replace("seeds: 0..10", "seeds: 5..5"),
        4,
        8,
        &["seeds: the range `5..5` is empty", "A < B"],
    );
    assert_error(
        &BASE.replace("seeds: 0..10", "seeds: [1, -2]"),
        4,
        12,
        &[
            "seeds[1]: expected a seed, a whole number",
            "found the integer -2",
        ],
    );
    assert_error(
        &BASE.replace("seeds: 0..10", "seeds: many"),
        4,
        8,
        &["expected a range of seeds like `0..10`", "`many`"],
    );
    assert_error(
        &BASE.replace("seeds: 0..10", "seeds: 0..1000000000"),
        4,
        8,
        &["expected at most 100000"],
    );
    assert_error(
        &BASE.replace("seeds: 0..10", "seeds: []"),
        4,
        8,
        &["seeds: must name at least one seed"],
    );
}

#[test]
fn an_unknown_top_level_key_is_named_with_the_allowed_ones() {
    let e = error(&format!("{BASE}colour: blue\n"));
    assert_eq!(
        e,
        "s.yaml:11:1: unknown top-level key `colour`; expected one of `name`, `nodes`, \
         `duration`, `seeds`, `peer_sampling`, `sample_every`, `stop_when_converged`, \
         `network`, `strategies`, \
         `workload`, `preload`, `faults`, `checks`, `nemesis`, `conflict`"
    );
}

#[test]
fn an_unknown_key_inside_a_strategy_is_named_with_the_allowed_ones() {
    let e = error(&BASE.replace("      k: 2\n", "      k: 2\n      fanuot: 3\n"));
    assert_eq!(
        e,
        "s.yaml:9:7: strategies[0].rumor: unknown key `fanuot` in rumor settings; expected \
         one of `period`, `fanout`, `k`, `removal`, `conflict`, `mode`, `synchronous`"
    );
    let e = error(&BASE.replace("  - name: ae\n", "  - name: ae\n    mode: push\n"));
    assert_eq!(
        e,
        "s.yaml:10:5: strategies[1]: unknown key `mode` in a strategy; expected one of \
         `name`, `rumor`, `anti_entropy`, `direct_mail`, `push_then_pull`, \
         `rumor_with_anti_entropy`, `zoo`"
    );
}

#[test]
fn loss_must_be_a_probability() {
    let text = |loss: &str| format!("{BASE}network:\n  loss: {loss}\n");
    assert_eq!(
        error(&text("-0.1")),
        "s.yaml:12:9: network.loss: must be a probability in [0, 1], got -0.1"
    );
    assert_eq!(
        error(&text("1.5")),
        "s.yaml:12:9: network.loss: must be a probability in [0, 1], got 1.5"
    );
    assert_eq!(
        error(&text("lots")),
        "s.yaml:12:9: network.loss: expected a loss probability, a number from 0 to 1, \
         found the string `lots`"
    );
}

#[test]
fn nodes_must_be_at_least_one() {
    assert_eq!(
        error(&BASE.replace("nodes: 1000", "nodes: 0")),
        "s.yaml:2:8: nodes: must be at least 1, got 0"
    );
    assert_error(
        &BASE.replace("nodes: 1000", "nodes: -5"),
        2,
        8,
        &["nodes: expected the cluster size", "found the integer -5"],
    );
}

#[test]
fn a_duration_needs_a_known_unit() {
    assert_eq!(
        error(&BASE.replace("duration: 20s", "duration: 5 parsecs")),
        "s.yaml:3:11: duration: invalid duration `5 parsecs`: expected a non-negative number \
         with a unit, like `200ms`, `5s`, `1.5s` (units: ns, us, ms, s, m, h)"
    );
    assert_error(
        &BASE.replace("duration: 20s", "duration: 20"),
        3,
        11,
        &["expected a duration with a unit", "found the integer 20"],
    );
    assert_error(
        &BASE.replace("      k: 2\n", "      k: 2\n      period: soon\n"),
        9,
        15,
        &["strategies[0].rumor.period: invalid duration `soon`"],
    );
}

#[test]
fn an_unknown_removal_rule_lists_the_known_ones() {
    assert_eq!(
        error(&BASE.replace("      k: 2\n", "      k: 2\n      removal: feedback-dice\n")),
        "s.yaml:9:16: strategies[0].rumor.removal: unknown removal rule `feedback-dice`: \
         expected one of `feedback-counter`, `feedback-coin`, `blind-counter`, `blind-coin`"
    );
}

#[test]
fn semantic_errors_in_a_protocol_point_at_the_value() {
    // `validate` names this `strategies[0].k`; in the file it is under `rumor:`.
    assert_eq!(
        error(&BASE.replace("      k: 2", "      k: 0")),
        "s.yaml:8:10: strategies[0].rumor.k: must be at least 1"
    );
}

#[test]
fn a_fault_naming_a_missing_node_points_at_that_node() {
    let text = format!("{BASE}faults:\n  - at: 3s\n    crash: [5, 5000]\n");
    assert_eq!(
        error(&text),
        "s.yaml:13:16: faults[0]: node 5000 does not exist (the cluster has nodes 0..1000)"
    );
}

#[test]
fn a_heal_with_nothing_to_heal_points_at_its_item() {
    let text = format!(
        "{BASE}faults:\n  - at: 2s\n    partition: halves\n    for: 3s\n  - at: 7s\n    heal: partition\n"
    );
    // The first item expands to two actions (partition, heal at 5s): the error must still
    // name the second written item.
    assert_eq!(
        error(&text),
        "s.yaml:15:5: faults[1]: heal at 7s but no partition is in force"
    );
    assert_eq!(
        error(&text.replace("heal: partition", "heal: all")),
        "s.yaml:15:5: faults[1]: heal at 7s but no partition or network fault is in force"
    );
}

#[test]
fn a_restart_added_by_for_points_at_the_for() {
    let text = format!(
        "{BASE}faults:\n  - at: 1s\n    crash: [3]\n    for: 5s\n  - at: 2s\n    restart: [3]\n"
    );
    assert_eq!(
        error(&text),
        "s.yaml:14:10: faults[0].for: restart node 3 at 6s, but it is not crashed \
         (scheduled by this `for`)"
    );
}

#[test]
fn crash_and_restart_errors_point_at_the_node() {
    let text =
        format!("{BASE}faults:\n  - at: 1s\n    crash: [1, 2]\n  - at: 2s\n    crash: [3, 2]\n");
    assert_eq!(
        error(&text),
        "s.yaml:15:16: faults[1]: crash node 2 at 2s, but it is already crashed"
    );
    let text = format!("{BASE}faults:\n  - at: 1s\n    restart: []\n");
    assert_eq!(
        error(&text),
        "s.yaml:13:14: faults[0]: no nodes given: expected at least one node id"
    );
}

#[test]
fn fault_items_must_have_exactly_one_fitting_action() {
    let faults = |body: &str| format!("{BASE}faults:\n  - at: 2s\n{body}");
    assert_eq!(
        error(&faults("    partition: halves\n    crash: [1]\n")),
        "s.yaml:14:5: faults[0]: both `partition` (line 13) and `crash` are given: expected \
         exactly one fault action, one of `partition`, `heal`, `crash`, `restart`, `pause`, \
         `resume`, `join`, `leave`, `churn`, `loss`, `latency`, `delay`, `duplicate`, \
         `reorder`, `skew`, `capacity`"
    );
    assert_error(
        &faults("    for: 1s\n"),
        12,
        5,
        &["faults[0]: no fault action given: expected exactly one of `partition`, `heal`"],
    );
    assert_error(
        &faults("    heal: all\n    for: 1s\n"),
        14,
        5,
        &[
            "faults[0]: `for` applies only to faults that last",
            "this fault is a `heal`",
        ],
    );
    assert_error(
        &faults("    restart: [1]\n    lose_state: true\n"),
        14,
        5,
        &["faults[0]: `lose_state` applies only to `crash`"],
    );
    assert_error(
        &faults("    heal: everything\n"),
        13,
        11,
        &["faults[0].heal: expected `all`", "`everything`"],
    );
    assert_error(
        &faults("    partition: thirds\n"),
        13,
        16,
        &[
            "faults[0].partition: expected `halves`",
            "groups",
            "`thirds`",
        ],
    );
    assert_error(
        &format!("{BASE}faults:\n  - partition: halves\n"),
        12,
        5,
        &["faults[0]: missing required key `at`"],
    );
}

#[test]
fn a_strategy_needs_exactly_one_protocol() {
    assert_eq!(
        error(&BASE.replace("    anti_entropy: {}\n", "")),
        "s.yaml:9:5: strategies[1]: no protocol given: expected exactly one of `rumor`, \
         `anti_entropy`, `direct_mail`, `push_then_pull`, `rumor_with_anti_entropy`, `zoo`"
    );
    assert_error(
        &BASE.replace(
            "    anti_entropy: {}\n",
            "    anti_entropy: {}\n    rumor:\n",
        ),
        11,
        5,
        &[
            "strategies[1]: both `anti_entropy` (line 10) and `rumor`",
            "exactly one protocol",
        ],
    );
}

#[test]
fn duplicate_strategy_names_point_at_the_second() {
    assert_eq!(
        error(&BASE.replace("name: ae", "name: rumor-k2")),
        "s.yaml:9:11: strategies[1].name: duplicate strategy name `rumor-k2`"
    );
}

#[test]
fn a_check_naming_an_unknown_strategy_points_at_the_name() {
    let text =
        format!("{BASE}checks:\n  convergence:\n    within: 5s\n    strategies: [ae, gossip]\n");
    assert_eq!(
        error(&text),
        "s.yaml:14:22: checks.convergence.strategies[1]: no strategy named `gossip`"
    );
    let text = format!("{BASE}checks:\n  residue: {{ max: 1.2 }}\n");
    assert_eq!(
        error(&text),
        "s.yaml:12:19: checks.residue.max: must be a fraction in [0, 1], got 1.2"
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    assert_error(
        &BASE.replace("nodes: 1000", "nodes: [1]"),
        2,
        8,
        &["nodes: expected the cluster size", "found a list"],
    );
    assert_error(
        &format!("{BASE}network: fast\n"),
        11,
        10,
        &["network: expected the network: a mapping with the keys `latency`, `loss`"],
    );
    assert_error(
        "name: t\nnodes: 3\nduration: 1s\nseeds: 0\nstrategies: rumor\n",
        5,
        13,
        &["strategies: expected a list of strategies"],
    );
    assert_error(
        &format!("{BASE}network:\n  latency: {{ uniform: [1ms] }}\n"),
        12,
        23,
        &[
            "network.latency.uniform: expected two durations",
            "found a list of 1",
        ],
    );
    assert_error(
        &format!("{BASE}network:\n  latency: {{ uniform: [10ms, 1ms] }}\n"),
        12,
        12,
        &["network.latency: uniform latency needs min <= max"],
    );
    assert_error(
        &format!("{BASE}workload:\n  single_rumor: {{ node: 1000 }}\n"),
        12,
        25,
        &["workload.single_rumor.node: node 1000 does not exist"],
    );
    assert_error(
        &format!("{BASE}workload:\n  single_rumor: {{ node: first }}\n"),
        12,
        25,
        &["expected a node id (a whole number from 0) or `random`"],
    );
    assert_error(
        &format!("{BASE}faults:\n  - at: 1s\n    crash: [1]\n    lose_state: yes\n"),
        14,
        17,
        &["faults[0].lose_state: expected `true` or `false`, found the string `yes`"],
    );
    assert_error(
        "name: [x]\n",
        1,
        7,
        &["name: expected the scenario's name, a string, found a list"],
    );
    assert_error("name: x\n", 1, 1, &["missing required key `nodes`"]);
}

#[test]
fn yaml_syntax_errors_are_located() {
    assert_error(
        "name: t\nnodes: 3\n  duration: 20s\n",
        3,
        11,
        &["invalid YAML: "],
    );
    assert_error(
        "name: 'unterminated\nnodes: 3\n",
        1,
        7,
        &["invalid YAML: ", "quote"],
    );
    assert_error(
        "name: t\nname: u\n",
        2,
        1,
        &["invalid YAML: duplicate mapping key `name`"],
    );
}

#[test]
fn windows_line_endings_count_lines_the_same() {
    let text = BASE
        .replace("nodes: 1000", "nodes: 0")
        .replace('\n', "\r\n");
    assert_eq!(error(&text), "s.yaml:2:8: nodes: must be at least 1, got 0");
    assert!(parse(&BASE.replace('\n', "\r\n")).is_ok());
}

#[test]
fn the_document_must_be_one_mapping() {
    assert_error("", 1, 1, &["the scenario is empty", "`name`"]);
    assert_error("# nothing\n", 2, 1, &["the scenario is empty"]);
    assert_error(
        "42\n",
        1,
        1,
        &[
            "expected the scenario: a mapping with the keys",
            "found the integer 42",
        ],
    );
    assert_error("- a\n- b\n", 1, 1, &["found a list"]);
}

#[test]
fn a_file_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, b"name: t\nnodes: \xff\n").unwrap();
    let e = load_scenario(&path).unwrap_err();
    assert_eq!(e.location, Some((2, 8)));
    assert!(e.message.contains("UTF-8"), "{e}");
    let missing = load_scenario(&dir.path().join("none.yaml")).unwrap_err();
    assert_eq!(missing.location, None);
    assert!(missing.to_string().contains("cannot read scenario"));
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    let mut inputs: Vec<String> = [
        "",
        "~",
        "42",
        "just a string",
        "[1, 2, 3]",
        "\u{0}\u{1}\u{7f}",
        "{",
        "]]]",
        ": : :",
        "- - - -",
        "name: x\n---\nname: y\n",
        "*alias",
        "a: &a [*a]",
        "!!binary aGVsbG8=",
        "name: !!binary aGVsbG8=\n",
        "\u{feff}name: t\nnodes: 3\n",
        "nodes: 18446744073709551616\n",
        "nodes: 99999999999999999999999999999999999999999\n",
        "seeds: 0..18446744073709551615\nname: t\nnodes: 3\nduration: 1s\nstrategies: []\n",
        "seeds: 18446744073709551615..0\n",
        "name: t\nnodes: 4294967296\nduration: 1s\nseeds: 0\nstrategies: [{name: a, rumor: }]\n",
        "name: t\nnodes: 3\nduration: 1s\nseeds: 0\nstrategies: [{name: a, rumor: }]\n\
         faults: [{at: 1s, crash: [2], for: 18446744074s}]\n",
        "name: t\nnodes: 3\nduration: 1s\nseeds: 0\nstrategies: [{name: a, rumor: }]\n\
         faults: [{at: 1s, crash: []}]\n",
        "name: t\nnodes: 3\nduration: 1s\nseeds: 0\nstrategies: [{name: a, rumor: }]\n\
         network: {latency: {uniform: [.nan, .inf]}, loss: .nan}\n",
        "name: t\nnodes: 3\nduration: 1s\nseeds: 0\nstrategies: [{name: a, rumor: }]\n\
         checks: {residue: {max: -.inf}}\n",
        "{? [a]: b}",
        "[a]: b\n",
        "1: 2\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Deep nesting, every way YAML allows it.
    inputs.push("[".repeat(100_000));
    inputs.push("{a: ".repeat(100_000));
    inputs.push("- ".repeat(100_000));
    inputs.push(
        (0..2_000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect(),
    );
    // Alias expansion bombs.
    let mut lol = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, c) in ('b'..='k').enumerate() {
        let prev = (b'a' + i as u8) as char;
        lol += &format!("{c}: &{c} [{}]\n", vec![format!("*{prev}"); 10].join(", "));
    }
    inputs.push(lol);
    // Pseudo-random bytes (as text).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    let alphabet = b" :-[]{}#&*!|>'\"%@`,?\nab0";
    inputs.push(
        bytes
            .iter()
            .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
            .collect(),
    );

    for input in &inputs {
        let shown: String = input.chars().take(60).collect();
        let result = std::panic::catch_unwind(|| parse_scenario(input, Path::new(FILE)));
        match result {
            Err(_) => panic!("panicked on {shown:?}"),
            Ok(Ok(s)) => panic!("accepted {shown:?}: {s:?}"),
            Ok(Err(e)) => {
                let text = e.to_string();
                assert!(e.location.is_some(), "no location for {shown:?}: {text}");
                assert!(!text.contains('\n'), "not one line for {shown:?}: {text:?}");
            }
        }
    }
}

/// `faults:` followed by `body` (items start on line 12).
fn with_faults(body: &str) -> String {
    format!("{BASE}faults:\n{body}")
}

#[test]
fn every_fault_kind_reads_into_the_model() {
    use hearsay_faults::{
        Capacity, ClockSkew, LinkEffect, LinkFault, Links, NemesisFault, NodeSet,
    };
    let text = with_faults(
        "  - { at: 1s, partition: majority-minority, for: 1s }
  - { at: 3s, partition: { isolate: [3, 4] } }
  - { at: 4s, heal: [3] }
  - { at: 5s, heal: all }
  - { at: 5s, partition: { one_way: { from: [1] } }, for: 1s }
  - { at: 7s, partition: { percent: [30, 70] }, for: 1s }
  - { at: 9s, partition: { bridge: 7 }, for: 1s }
  - { at: 11s, partition: ring, for: 1s }
  - { at: 1s, crash: { percent: 1 }, lose_state: true, for: 1s }
  - { at: 2s, pause: [8], for: 500ms }
  - { at: 1s, loss: 0.25, for: 2s }
  - { at: 1s, loss: { rate: 0.5, from: [1, 2], to: all, both_ways: true } }
  - { at: 4s, heal: network }
  - { at: 1s, duplicate: { rate: 0.1, nodes: [9] }, for: 1s }
  - { at: 1s, reorder: { rate: 0.2, delay: 50ms }, for: 1s }
  - { at: 1s, latency: { normal: { mean: 10ms, sd: 2ms }, to: [5] }, for: 1s }
  - { at: 1s, delay: 300ms, for: 1s }
  - { at: 1s, delay: { pareto: { scale: 1ms, shape: 1.5 }, nodes: [6] }, for: 1s }
  - { at: 0s, skew: { nodes: [2], offset: -1.5s, drift: 0.001 }, for: 3s }
  - { at: 0s, capacity: { queue: 10, service: 2ms } }
  - { at: 2s, churn: { join: 2, leave: 1, rate: 2/s } }
nemesis:
  mix: { partition: 40, crash: 30, delay: 30 }
  every: 1s..3s
  start: 2s
",
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let has = |a: &FaultAction| s.faults.faults().iter().any(|f| &f.action == a);
    let ids = |l: &[u32]| l.iter().map(|&n| NodeId(n)).collect::<Vec<_>>();
    assert!(has(&FaultAction::Partition(
        PartitionSpec::MajorityMinority
    )));
    assert!(has(&FaultAction::Partition(PartitionSpec::Isolate(ids(
        &[3, 4]
    )))));
    assert!(has(&FaultAction::HealNodes { nodes: ids(&[3]) }));
    assert!(has(&FaultAction::Partition(PartitionSpec::OneWay {
        from: ids(&[1]),
        to: None
    })));
    assert!(has(&FaultAction::Partition(PartitionSpec::Percentages(
        vec![30.0, 70.0]
    ))));
    assert!(has(&FaultAction::Partition(PartitionSpec::Bridge(NodeId(
        7
    )))));
    // 1% of 1000 nodes, spread over the ids.
    assert!(has(&FaultAction::Crash {
        nodes: hearsay_faults::evenly_spread(1000, 10),
        lose_state: true
    }));
    assert!(has(&FaultAction::Resume { nodes: ids(&[8]) }));
    assert!(has(&FaultAction::NetworkEnd(LinkFault::everywhere(
        LinkEffect::Loss(0.25)
    ))));
    assert!(has(&FaultAction::Network(LinkFault {
        links: Links {
            from: NodeSet::Only(ids(&[1, 2])),
            to: NodeSet::All,
            both_ways: true
        },
        effect: LinkEffect::Loss(0.5)
    })));
    assert!(has(&FaultAction::HealNetwork));
    assert!(has(&FaultAction::Network(LinkFault {
        links: Links::touching(ids(&[9])),
        effect: LinkEffect::Duplicate(0.1)
    })));
    assert!(has(&FaultAction::Network(LinkFault::everywhere(
        LinkEffect::Reorder {
            rate: 0.2,
            delay: ms(50)
        }
    ))));
    assert!(has(&FaultAction::Network(LinkFault {
        links: Links {
            from: NodeSet::All,
            to: NodeSet::Only(ids(&[5])),
            both_ways: false
        },
        effect: LinkEffect::Latency(Latency::Normal {
            mean: ms(10),
            sd: ms(2)
        })
    })));
    assert!(has(&FaultAction::Network(LinkFault::everywhere(
        LinkEffect::Delay(Latency::Constant(ms(300)))
    ))));
    assert!(has(&FaultAction::Network(LinkFault {
        links: Links::touching(ids(&[6])),
        effect: LinkEffect::Delay(Latency::Pareto {
            scale: ms(1),
            shape: 1.5
        })
    })));
    assert!(has(&FaultAction::Skew {
        nodes: ids(&[2]),
        skew: ClockSkew {
            offset_nanos: -1_500_000_000,
            drift: 0.001
        }
    }));
    assert!(has(&FaultAction::SkewEnd { nodes: ids(&[2]) }));
    assert!(has(&FaultAction::Capacity {
        nodes: NodeSet::All,
        capacity: Capacity {
            queue: 10,
            service: ms(2)
        }
    }));
    // Churn: the 2 highest ids join, one member leaves, every 500 ms from 2 s.
    let churn: Vec<_> = s
        .faults
        .faults()
        .iter()
        .filter(|f| {
            matches!(
                f.action,
                FaultAction::Join { .. } | FaultAction::Leave { .. }
            )
        })
        .map(|f| (f.at, f.action.describe()))
        .collect();
    assert_eq!(
        churn,
        vec![
            (SimTime(2_000_000_000), "join n998".to_string()),
            (SimTime(2_500_000_000), "leave n499".to_string()),
            (SimTime(3_000_000_000), "join n999".to_string()),
        ]
    );
    let n = s.faults.nemesis().expect("a nemesis");
    assert_eq!(
        n.mix,
        vec![
            (NemesisFault::Partition, 40.0),
            (NemesisFault::Crash, 30.0),
            (NemesisFault::Delay, 30.0)
        ]
    );
    assert_eq!(
        n.every,
        (SimDuration::from_secs(1), SimDuration::from_secs(3))
    );
    assert_eq!(n.stop, SimTime(20_000_000_000), "defaults to the run's end");
    assert!(n.heal_at_end);
    let lat = parse(&format!(
        "{BASE}network:\n  latency: {{ lognormal: {{ median: 5ms, sigma: 0.5 }} }}\n"
    ))
    .unwrap();
    assert_eq!(
        lat.network.latency,
        Latency::LogNormal {
            median: ms(5),
            sigma: 0.5
        }
    );
}

#[test]
fn an_unknown_node_in_any_fault_points_at_that_node() {
    assert_error(
        &with_faults("  - at: 1s\n    pause: [3, 1000]\n"),
        13,
        16,
        &["faults[0]: node 1000 does not exist (the cluster has nodes 0..1000)"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    loss: { rate: 0.1, from: [5000] }\n"),
        13,
        31,
        &["faults[0]: node 5000 does not exist"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    partition: { isolate: [1200] }\n"),
        13,
        28,
        &["faults[0]: node 1200 does not exist"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    skew: { nodes: [1001], offset: 1s }\n"),
        13,
        21,
        &["faults[0]: node 1001 does not exist"],
    );
}

#[test]
fn a_percentage_outside_0_to_100_is_located() {
    assert_eq!(
        error(&with_faults("  - at: 1s\n    crash: { percent: 130 }\n")),
        "s.yaml:13:23: faults[0].crash.percent: percentage 130 is outside 0–100"
    );
    assert_eq!(
        error(&with_faults(
            "  - at: 1s\n    partition: { percent: [50, -5] }\n"
        )),
        "s.yaml:13:32: faults[0].partition.percent[1]: percentage -5 is outside 0–100"
    );
    // In range one by one, but more than the whole cluster together.
    assert_error(
        &with_faults("  - at: 1s\n    partition: { percent: [50, 60] }\n"),
        13,
        27,
        &["faults[0]: the percentages add up to 110: expected at most 100"],
    );
    assert_eq!(
        error(&format!(
            "{BASE}nemesis:\n  mix: {{ partition: 40, crash: 120 }}\n  every: 1s..2s\n"
        )),
        "s.yaml:12:32: nemesis.mix.crash: percentage 120 is outside 0–100"
    );
    assert_error(
        &format!("{BASE}nemesis:\n  mix: {{ partition: 40, crash: 50 }}\n  every: 1s..2s\n"),
        12,
        8,
        &["nemesis.mix: the percentages add up to 90: expected 100"],
    );
    assert_error(
        &format!("{BASE}nemesis:\n  mix: {{ crash: 100 }}\n  every: 3s..1s\n"),
        13,
        10,
        &["nemesis.every: the range 3s..1s is empty"],
    );
}

#[test]
fn overlapping_contradictory_faults_are_located() {
    // A second partition while the first is in force.
    assert_eq!(
        error(&with_faults(
            "  - at: 1s\n    partition: halves\n    for: 5s\n  - at: 2s\n    partition: ring\n"
        )),
        "s.yaml:15:5: faults[1]: partition at 2s, but the partition from 1s is still in force \
         (heal it first: only one partition is in force at a time)"
    );
    // Ends come before starts at one instant, so back-to-back partitions are fine.
    assert!(
        parse(&with_faults(
            "  - { at: 1s, partition: halves, for: 1s }\n  - { at: 2s, partition: ring }\n"
        ))
        .is_ok()
    );
    // A pause of a crashed node, pointing at the node.
    assert_eq!(
        error(&with_faults(
            "  - at: 1s\n    crash: [4]\n  - at: 2s\n    pause: [9, 4]\n"
        )),
        "s.yaml:15:16: faults[1]: pause node 4 at 2s, but it is crashed"
    );
    // The same network fault twice.
    assert_error(
        &with_faults("  - { at: 1s, loss: 0.5, for: 3s }\n  - { at: 2s, loss: 0.5 }\n"),
        13,
        5,
        &["faults[1]: loss 0.5 on all links at 2s, but the same fault is already in force"],
    );
    // Two skews of one node.
    assert_error(
        &with_faults(
            "  - { at: 0s, skew: { nodes: [3], offset: 1s } }\n  - { at: 1s, skew: { nodes: [3], offset: 2s } }\n",
        ),
        13,
        31,
        &["faults[1]: skew node 3 at 1s, but it is already skewed"],
    );
    // A join of a node that is already a member.
    assert_error(
        &with_faults("  - { at: 1s, join: [5] }\n  - { at: 2s, join: [5] }\n"),
        13,
        22,
        &["faults[1]: join node 5 at 2s, but it is already a member"],
    );
}

#[test]
fn ending_what_is_not_in_force_is_located() {
    assert_eq!(
        error(&with_faults("  - at: 1s\n    heal: network\n")),
        "s.yaml:12:5: faults[0]: heal network at 1s but no network fault is in force"
    );
    assert_error(
        &with_faults("  - { at: 1s, loss: 0.5, for: 1s }\n  - { at: 3s, heal: { loss: 0.5 } }\n"),
        13,
        5,
        &["faults[1]: end of loss 0.5 on all links at 3s but that fault is not in force"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    resume: [2]\n"),
        13,
        14,
        &["faults[0]: resume node 2 at 1s, but it is not paused"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    heal: [2]\n"),
        12,
        5,
        &["faults[0]: heal at 1s but no partition is in force"],
    );
}

#[test]
fn fault_parameters_are_checked_where_written() {
    assert_eq!(
        error(&with_faults("  - at: 1s\n    loss: { rate: 1.5 }\n")),
        "s.yaml:13:19: faults[0]: loss.rate: must be a probability in [0, 1], got 1.5"
    );
    assert_error(
        &with_faults("  - at: 1s\n    duplicate: 2\n"),
        13,
        16,
        &["faults[0]: duplicate.rate: must be a probability in [0, 1], got 2"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    latency: { pareto: { scale: 1ms, shape: 0 } }\n"),
        13,
        14,
        &["faults[0]: Pareto shape must be a finite number > 0"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    capacity: { queue: 5, service: 0 }\n"),
        13,
        36,
        &["faults[0]: capacity.service: must be longer than 0s"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    skew: { nodes: [1], drift: -2 }\n"),
        13,
        32,
        &["faults[0]: skew.drift: must be a finite number greater than -1"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    churn: { join: 1000, rate: 1/s }\n"),
        13,
        20,
        &["faults[0].churn.join: 1000 of 1000 nodes cannot join"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    churn: { join: 10, rate: often }\n"),
        13,
        30,
        &["faults[0].churn.rate: expected a rate like `5/s`"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    loss: { rate: 0.1, nodes: [1], to: [2] }\n"),
        13,
        36,
        &["`nodes` (every link to or from those nodes) and `to` cannot be combined"],
    );
    assert_error(
        &format!(
            "{BASE}workload:\n  single_rumor: {{ node: random }}\nfaults:\n  - at: 1s\n    crash: origin\n"
        ),
        15,
        12,
        &["faults[0].crash: `origin` is the node of the latest client write at or before 1s"],
    );
    assert_error(
        &with_faults("  - at: 1s\n    join: [3]\n    for: 2s\n"),
        14,
        5,
        &[
            "`for` applies only to faults that last",
            "this fault is a `join`",
        ],
    );
}

#[test]
fn crash_origin_names_the_node_that_took_the_write() {
    let text = format!(
        "{BASE}workload:\n  single_rumor: {{ at: 1s, node: 42 }}\nfaults:\n  - {{ at: 1.001s, crash: origin, lose_state: true }}\n"
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.faults.faults()[0].action,
        FaultAction::Crash {
            nodes: vec![NodeId(42)],
            lose_state: true
        }
    );
}

#[test]
fn scripted_writes_read_and_check_their_nodes() {
    let text = format!(
        "{BASE}workload:\n  writes:\n    - {{ at: 1s, node: 3, key: 1, value: 10 }}\n    - {{ at: 2s, node: 4, key: 1, value: 20 }}\n"
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let Workload::Scripted(w) = &s.workload else {
        panic!("{:?}", s.workload)
    };
    assert_eq!(w.len(), 2);
    assert_eq!((w[1].node, w[1].value), (NodeId(4), 20));
    assert_error(
        &text.replace("node: 4", "node: 4000"),
        14,
        23,
        &["workload.writes[1].node: node 4000 does not exist"],
    );
}

/// A scenario with every strategy family and the keys they add.
const STRATEGIES: &str = "\
name: t
nodes: 100
duration: 10s
seeds: 0
conflict: first-write-wins
network:
  mtu: 512
strategies:
  - name: pull-rumor
    rumor: { mode: pull, synchronous: true, conflict: last-write-wins }
  - name: merkle
    anti_entropy: { reconciliation: merkle, merkle_depth: 3, mode: pull }
  - name: recent
    anti_entropy: { reconciliation: recent-updates, window: 2s }
  - name: mail
    direct_mail: { ack_timeout: 500ms, retry_queue: 10, max_retries: 1 }
  - name: ptp
    push_then_pull: { switch_round: 7, pull_rounds: 3, fanout: 2, synchronous: true }
  - name: backed
    rumor_with_anti_entropy:
      rumor: { k: 3 }
      anti_entropy: { period: 5s, reconciliation: checksum }
  - name: backed-defaults
    rumor_with_anti_entropy:
";

#[test]
fn every_strategy_family_maps_onto_the_model() {
    use hearsay_protocols::anti_entropy::Reconciliation;
    let s = parse(STRATEGIES).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.network.mtu, Some(512));
    let p = |i: usize| s.strategies[i].protocol;
    let Protocol::Rumor(r) = p(0) else { panic!() };
    assert_eq!((r.mode, r.synchronous), (ExchangeMode::Pull, true));
    assert_eq!(r.conflict, ConflictRule::LastWriteWins, "its own rule wins");
    let Protocol::AntiEntropy(a) = p(1) else {
        panic!()
    };
    assert_eq!(a.reconciliation, Reconciliation::Merkle { depth: 3 });
    assert_eq!(
        a.conflict,
        ConflictRule::FirstWriteWins,
        "the scenario's rule"
    );
    let Protocol::AntiEntropy(a) = p(2) else {
        panic!()
    };
    assert_eq!(
        a.reconciliation,
        Reconciliation::RecentUpdates {
            window: SimDuration::from_secs(2)
        }
    );
    let Protocol::DirectMail(d) = p(3) else {
        panic!()
    };
    assert_eq!(
        (d.ack_timeout, d.retry_queue, d.max_retries),
        (ms(500), 10, 1)
    );
    assert_eq!(d.conflict, ConflictRule::FirstWriteWins);
    let Protocol::PushThenPull(t) = p(4) else {
        panic!()
    };
    assert_eq!(
        (t.switch_round, t.pull_rounds, t.fanout, t.synchronous),
        (Some(7), Some(3), 2, true)
    );
    let Protocol::RumorWithAntiEntropy(h) = p(5) else {
        panic!()
    };
    assert_eq!(h.rumor.k, 3);
    assert_eq!(h.anti_entropy.period, SimDuration::from_secs(5));
    assert_eq!(h.anti_entropy.reconciliation, Reconciliation::Checksum);
    assert_eq!(h.anti_entropy.conflict, ConflictRule::FirstWriteWins);
    let Protocol::RumorWithAntiEntropy(h) = p(6) else {
        panic!()
    };
    let defaults =
        hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyConfig::default();
    assert_eq!(h.anti_entropy.period, defaults.anti_entropy.period);
    assert_eq!(h.rumor.conflict, ConflictRule::FirstWriteWins);
    // The runner hands the MTU to every strategy.
    let Protocol::RumorWithAntiEntropy(h) = p(6).with_mtu(s.network.mtu) else {
        panic!()
    };
    assert_eq!((h.rumor.mtu, h.anti_entropy.mtu), (Some(512), Some(512)));
}

#[test]
fn bad_values_in_the_new_sections_point_at_them() {
    assert_eq!(
        error(&STRATEGIES.replace("  mtu: 512", "  mtu: 20")),
        "s.yaml:7:8: network.mtu: must be at least 64 bytes (a header and one update must \
         fit), got 20"
    );
    assert_eq!(
        error(&STRATEGIES.replace("merkle_depth: 3", "merkle_depth: 9")),
        "s.yaml:12:59: strategies[1].anti_entropy.merkle_depth: must be from 1 to 4 \
         (16^depth leaf buckets), got 9"
    );
    assert_eq!(
        error(&STRATEGIES.replace("recent-updates, window", "checksum, window")),
        "s.yaml:14:47: strategies[2].anti_entropy: `window` applies only to \
         `reconciliation: recent-updates`, but the method is `checksum`"
    );
    assert_error(
        &STRATEGIES.replace("reconciliation: merkle", "reconciliation: gossip"),
        12,
        37,
        &[
            "strategies[1].anti_entropy.reconciliation: unknown reconciliation method `gossip`",
            "`full-state`, `checksum`, `recent-updates`, `merkle`",
        ],
    );
    assert_eq!(
        error(&STRATEGIES.replace(
            "switch_round: 7, pull_rounds: 3",
            "switch_round: 0, pull_rounds: 0"
        )),
        "s.yaml:18:53: strategies[4].push_then_pull.pull_rounds: with `switch_round: 0` and \
         `pull_rounds: 0` an update would never be sent"
    );
    assert_eq!(
        error(&STRATEGIES.replace("rumor: { k: 3 }", "rumor: { k: 0 }")),
        "s.yaml:21:19: strategies[5].rumor_with_anti_entropy.rumor.k: must be at least 1"
    );
    assert_eq!(
        error(&STRATEGIES.replace("ack_timeout: 500ms", "ack_timeout: 0s")),
        "s.yaml:16:33: strategies[3].direct_mail.ack_timeout: must be longer than 0s"
    );
    assert_error(
        &STRATEGIES.replace("conflict: first-write-wins", "conflict: newest"),
        5,
        11,
        &[
            "conflict: unknown conflict rule `newest`",
            "`last-write-wins`",
        ],
    );
    assert_error(
        &STRATEGIES.replace("rumor: { mode: pull,", "rumor: { mode: gossip,"),
        10,
        20,
        &["strategies[0].rumor.mode: unknown exchange mode `gossip`"],
    );
}

#[test]
fn a_printed_schedule_loads_back_into_the_same_schedule() {
    let text = with_faults(
        "  - { at: 1s, partition: { one_way: { from: [1], to: [2, 3] } }, for: 1s }
  - { at: 1s, loss: { rate: 0.125, from: [1], to: [2] }, for: 2s }
  - { at: 1s, latency: { lognormal: { median: 3ms, sigma: 0.75 }, nodes: [4] }, for: 1.5s }
  - { at: 2s, crash: [5, 6], for: 1s }
  - { at: 3s, skew: { nodes: [7], offset: -250ms, drift: -0.0001 }, for: 1s }
  - { at: 3s, capacity: { queue: 3, service: 1ms, nodes: [8] }, for: 1s }
  - { at: 4s, partition: { groups: [[0, 1], [2]] } }
  - { at: 4s, heal: [1] }
  - { at: 5s, heal: all }
",
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let printed = s.faults.to_yaml();
    let again = parse(&format!("{BASE}{printed}")).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(again.faults, s.faults, "{printed}");
}

#[test]
fn every_bundled_scenario_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn stop_when_converged_is_off_unless_asked_and_must_be_a_boolean() {
    assert!(!parse(BASE).unwrap().stop_when_converged);
    let e = error(&format!("{BASE}stop_when_converged: soon\n"));
    assert!(
        e == "s.yaml:11:22: stop_when_converged: expected `true` or `false`, found the string `soon`",
        "{e}"
    );
}

/// BASE with a preload and writes that start after 0s, as a preload requires.
fn preloaded(preload: &str) -> String {
    format!("{BASE}workload:\n  writes: {{ rate: 10/s, keys: 50, from: 1s }}\npreload: {preload}\n")
}

#[test]
fn a_preload_is_read_and_printed_back() {
    assert_eq!(parse(BASE).unwrap().preload, None);
    let s = parse(&preloaded("{ keys: 10000 }")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.preload, Some(super::Preload { keys: 10_000 }));
    let text = super::to_yaml(&s);
    assert!(text.contains("preload: { keys: 10000 }"), "{text}");
    assert_eq!(parse(&text).unwrap(), s);
    let store = super::Preload { keys: 3 }.store();
    let entries: Vec<_> = store.iter().map(|(k, v)| (k, v.value, v.version)).collect();
    let v = super::PRELOAD_VERSION;
    assert_eq!(entries, vec![(0, 0, v), (1, 1, v), (2, 2, v)]);
}

#[test]
fn a_bad_preload_is_an_error_at_its_place() {
    let line = BASE.lines().count() + 3;
    assert_error(
        &preloaded("{ keys: 0 }"),
        line,
        18,
        &["preload.keys", "at least 1"],
    );
    assert_error(
        &preloaded("{ keys: 2000000 }"),
        line,
        18,
        &["preload.keys", "at most 1000000"],
    );
    // 1000 nodes × 10^6 keys is 10^9 entries: allowed. One more node would not be.
    let e = error(&preloaded("{ keys: 1000000 }").replace("nodes: 1000", "nodes: 1001"));
    assert!(e.contains("1001000000 entries (about 32 GB)"), "{e}");
    assert_error(
        &preloaded("{ keys: 10, values: 3 }"),
        line,
        22,
        &["unknown key `values`", "`keys`"],
    );
    assert_error(&preloaded("{}"), line, 10, &["missing required key `keys`"]);
    assert_error(&preloaded("{ keys: many }"), line, 18, &["whole number"]);
}

#[test]
fn a_preload_refuses_writes_at_time_zero() {
    // The default workload is one write at 0s: it would tie with the preload's stamp and lose.
    let e = error(&format!("{BASE}preload: {{ keys: 100 }}\n"));
    assert!(
        e.contains("workload.single_rumor.at: with `preload`, writes must start after 0s"),
        "{e}"
    );
    let text = format!(
        "{BASE}workload:\n  writes: {{ rate: 10/s, keys: 5, from: 0s }}\npreload: {{ keys: 100 }}\n"
    );
    let line = BASE.lines().count() + 2;
    assert_error(&text, line, 40, &["workload.writes.from", "after 0s"]);
    let text = format!(
        "{BASE}workload:\n  writes: [{{ at: 1s, node: 0, key: 1, value: 1 }}, {{ at: 0s, node: 1, key: 2, value: 2 }}]\npreload: {{ keys: 100 }}\n"
    );
    assert_error(&text, line, 57, &["workload.writes[1].at"]);
    // Reads at 0s are fine: they write nothing.
    let text = format!(
        "{BASE}workload:\n  writes: {{ rate: 10/s, keys: 5, from: 1ms }}\n  reads: {{ rate: 10/s, keys: 5 }}\npreload: {{ keys: 100 }}\n"
    );
    parse(&text).unwrap_or_else(|e| panic!("{e}"));
}
