//! Writing a [`Scenario`] back as a scenario file that [`load_scenario`](super::load_scenario)
//! reads into an equal `Scenario`: for the files `hearsay shrink` writes, and the scenario
//! copy a results store keeps for replays.
//!
//! Faults are written the way people write them where that is exact: a partition and the heal
//! that ends it, or a crash and the restart of the same nodes, become one item with `for:`.
//! Because the loader orders same-time faults by where they are written, that pairing is
//! verified by reading the text back; if it would reorder anything, every fault is written as
//! its own item instead.

use super::model::Protocol;
use super::model::Scenario;
use super::schema::PEER_SAMPLERS;
use super::schema::{CONFLICTS, MODES, REMOVALS};
use super::schema_zoo::BUGS;
use super::yaml::parse_scenario;
use hearsay_faults::TimedFault;
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, Reconciliation};
use hearsay_protocols::rumor::RumorConfig;

use hearsay_workloads::{Origin, Workload};
use std::fmt::Write as _;
use std::path::Path;

/// The scenario as YAML text that loads back into an equal scenario.
pub fn to_yaml(scenario: &Scenario) -> String {
    let paired = render(scenario, true);
    if parse_scenario(&paired, Path::new("<to_yaml>"))
        .ok()
        .as_ref()
        == Some(scenario)
    {
        return paired;
    }
    render(scenario, false)
}

/// Pairs each fault with the later one that undoes it, as `for:` would have written them:
/// `(index, Some(undo index))` for a partition and the heal that ends it, or a crash and the
/// restart of exactly its nodes with nothing touching them in between; `(index, None)` for a
/// fault on its own. Every index appears once, in schedule order of the first of each pair.
pub fn pair_faults(faults: &[TimedFault]) -> Vec<(usize, Option<usize>)> {
    let mut used = vec![false; faults.len()];
    let mut out = Vec::new();
    for i in 0..faults.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let undo = faults[i].action.undo().and_then(|undo| {
            (i + 1..faults.len())
                .find(|&j| !used[j] && faults[j].action == undo && faults[j].at > faults[i].at)
        });
        if let Some(j) = undo {
            used[j] = true;
        }
        out.push((i, undo));
    }
    out
}

fn render(s: &Scenario, pair: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "name: {}", string(&s.name));
    let _ = writeln!(out, "nodes: {}", s.nodes);
    let _ = writeln!(out, "duration: {}", s.duration);
    let _ = writeln!(out, "seeds: {}", seeds(&s.seeds));
    let sampler = PEER_SAMPLERS
        .iter()
        .find(|(_, v)| *v == s.peer_sampling)
        .map_or("uniform", |(n, _)| n);
    let _ = writeln!(out, "peer_sampling: {sampler}");
    let _ = writeln!(out, "sample_every: {}", s.sample_every);
    if s.stop_when_converged {
        out.push_str("stop_when_converged: true\n");
    }
    out.push_str("network:\n");
    let _ = writeln!(out, "  latency: {{ {} }}", s.network.latency.to_yaml());
    let _ = writeln!(out, "  loss: {}", s.network.loss);
    if let Some(mtu) = s.network.mtu {
        let _ = writeln!(out, "  mtu: {mtu}");
    }

    out.push_str("strategies:\n");
    for st in &s.strategies {
        let _ = writeln!(out, "  - name: {}", string(&st.name));
        let _ = writeln!(out, "    {}", protocol_yaml(&st.protocol));
    }

    if let Some(p) = &s.preload {
        let _ = writeln!(out, "preload: {{ keys: {} }}", p.keys);
    }
    out.push_str("workload:\n");
    for part in s.workload.parts() {
        write_workload(&mut out, part);
    }

    if !s.faults.faults().is_empty() {
        out.push_str(&s.faults.to_yaml_with(pair));
    }
    if let Some(n) = s.faults.nemesis() {
        let _ = writeln!(out, "nemesis: {}", n.to_yaml());
    }

    write_checks(&mut out, &s.checks);
    out
}

/// The name `value` has among `options` (the loader's own tables, so the two cannot drift).
fn named<T: PartialEq + Copy>(value: T, options: &[(&'static str, T)]) -> &'static str {
    options
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("?", |(n, _)| n)
}

fn rumor_yaml(c: &RumorConfig) -> String {
    format!(
        "{{ period: {}, fanout: {}, k: {}, removal: {}, conflict: {}, mode: {}, synchronous: {} }}",
        c.period,
        c.fanout,
        c.k,
        named(c.removal, REMOVALS),
        named(c.conflict, CONFLICTS),
        named(c.mode, MODES),
        c.synchronous
    )
}

fn anti_entropy_yaml(c: &AntiEntropyConfig) -> String {
    let method = match c.reconciliation {
        Reconciliation::FullState => "full-state".to_string(),
        Reconciliation::Checksum => "checksum".to_string(),
        Reconciliation::RecentUpdates { window } => format!("recent-updates, window: {window}"),
        Reconciliation::Merkle { depth } => format!("merkle, merkle_depth: {depth}"),
    };
    format!(
        "{{ period: {}, mode: {}, fanout: {}, conflict: {}, reconciliation: {method}, synchronous: {} }}",
        c.period,
        named(c.mode, MODES),
        c.fanout,
        named(c.conflict, CONFLICTS),
        c.synchronous
    )
}

/// A strategy's protocol key and settings, every setting written out.
fn protocol_yaml(p: &Protocol) -> String {
    match p {
        Protocol::Rumor(c) => format!("rumor: {}", rumor_yaml(c)),
        Protocol::AntiEntropy(c) => format!("anti_entropy: {}", anti_entropy_yaml(c)),
        Protocol::DirectMail(c) => format!(
            "direct_mail: {{ ack_timeout: {}, retry_queue: {}, max_retries: {}, conflict: {} }}",
            c.ack_timeout,
            c.retry_queue,
            c.max_retries,
            named(c.conflict, CONFLICTS)
        ),
        Protocol::PushThenPull(c) => {
            let mut fields = vec![
                format!("period: {}", c.period),
                format!("fanout: {}", c.fanout),
                format!("conflict: {}", named(c.conflict, CONFLICTS)),
                format!("synchronous: {}", c.synchronous),
            ];
            if let Some(r) = c.switch_round {
                fields.push(format!("switch_round: {r}"));
            }
            if let Some(r) = c.pull_rounds {
                fields.push(format!("pull_rounds: {r}"));
            }
            format!("push_then_pull: {{ {} }}", fields.join(", "))
        }
        Protocol::RumorWithAntiEntropy(c) => format!(
            "rumor_with_anti_entropy: {{ rumor: {}, anti_entropy: {} }}",
            rumor_yaml(&c.rumor),
            anti_entropy_yaml(&c.anti_entropy)
        ),
        Protocol::Zoo(c) => format!(
            "zoo: {{ bug: {}, period: {} }}",
            named(c.bug, BUGS),
            c.period
        ),
    }
}

fn write_workload(out: &mut String, w: &Workload) {
    match w {
        Workload::SingleRumor(w) => {
            let node = match w.origin {
                Origin::Node(n) => n.0.to_string(),
                Origin::Random => "random".to_owned(),
            };
            let _ = writeln!(
                out,
                "  single_rumor: {{ at: {}, node: {node}, key: {}, value: {} }}",
                w.at, w.key, w.value
            );
        }
        Workload::Writes(w) => {
            let _ = writeln!(
                out,
                "  writes: {{ rate: {}, keys: {}, first_key: {}, from: {}, until: {} }}",
                w.rate, w.keys, w.first_key, w.from, w.until
            );
        }
        Workload::Reads(w) => {
            let _ = writeln!(
                out,
                "  reads: {{ rate: {}, keys: {}, first_key: {}, from: {}, until: {} }}",
                w.rate, w.keys, w.first_key, w.from, w.until
            );
        }
        Workload::Conflicts(w) => {
            let _ = writeln!(
                out,
                "  conflicts: {{ at: {}, keys: {}, first_key: {}, writers: {}, spread: {}, bursts: {}, every: {} }}",
                w.at, w.keys, w.first_key, w.writers, w.spread, w.bursts, w.every
            );
        }
        Workload::Ramp(w) => {
            let _ = writeln!(
                out,
                "  ramp: {{ from: {}, to: {}, steps: {}, step_for: {}, start: {}, keys: {}, first_key: {} }}",
                w.from, w.to, w.steps, w.step_for, w.start, w.keys, w.first_key
            );
        }
        Workload::Scripted(list) => {
            out.push_str("  writes:\n");
            for w in list {
                let _ = writeln!(
                    out,
                    "    - {{ at: {}, node: {}, key: {}, value: {} }}",
                    w.at, w.node.0, w.key, w.value
                );
            }
        }
        Workload::Combined(parts) => {
            for p in parts {
                write_workload(out, p);
            }
        }
    }
}

fn write_checks(out: &mut String, checks: &super::model::Checks) {
    let mut lines = Vec::new();
    if let Some(c) = &checks.convergence {
        lines.push(format!(
            "  convergence: {{ within: {}{} }}",
            c.within,
            scope(&c.strategies)
        ));
    }
    if let Some(c) = &checks.residue {
        lines.push(format!(
            "  residue: {{ max: {}{} }}",
            c.max,
            scope(&c.strategies)
        ));
    }
    for (name, c) in [
        ("no_lost_writes", &checks.no_lost_writes),
        ("no_phantoms", &checks.no_phantoms),
        ("monotonic_versions", &checks.monotonic_versions),
        ("conflict_resolution", &checks.conflict_resolution),
    ] {
        if let Some(c) = c {
            let inner = scope(&c.strategies);
            lines.push(match inner.strip_prefix(", ") {
                Some(list) => format!("  {name}: {{ {list} }}"),
                None => format!("  {name}: {{}}"),
            });
        }
    }
    if let Some(b) = &checks.bounds {
        let mut parts = Vec::new();
        if let Some(t) = b.t_last {
            parts.push(format!("t_last: {t}"));
        }
        if let Some(m) = b.msgs_per_node {
            parts.push(format!("msgs_per_node: {m}"));
        }
        if let Some((p, d)) = b.stable_latency {
            let key = match p {
                50.0 => "p50",
                90.0 => "p90",
                95.0 => "p95",
                99.0 => "p99",
                99.9 => "p999",
                _ => "max",
            };
            parts.push(format!("stable_latency: {{ {key}: {d} }}"));
        }
        lines.push(format!(
            "  bounds: {{ {}{} }}",
            parts.join(", "),
            scope(&b.strategies)
        ));
    }
    if !checks.expect_failure.is_empty() {
        lines.push(format!(
            "  expect_failure: [{}]",
            checks.expect_failure.join(", ")
        ));
    }
    if !lines.is_empty() {
        out.push_str("checks:\n");
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
}

fn scope(strategies: &Option<Vec<String>>) -> String {
    match strategies {
        None => String::new(),
        Some(list) => format!(
            ", strategies: [{}]",
            list.iter()
                .map(|n| string(n))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Seeds as `A..B` when consecutive, one seed alone, or a list.
fn seeds(seeds: &[u64]) -> String {
    match seeds {
        [one] => one.to_string(),
        [first, .., last]
            if seeds.windows(2).all(|w| w[0].checked_add(1) == Some(w[1]))
                && last.checked_add(1).is_some() =>
        {
            format!("{first}..{}", last + 1)
        }
        _ => format!(
            "[{}]",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string as a plain YAML scalar when that reads back as the same string, else quoted.
fn string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
        );
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Latency;
    use crate::scenario::{Protocol, load_scenario};
    use hearsay_faults::{FaultAction, PartitionSpec};
    use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode};
    use hearsay_protocols::rumor::{Removal, RumorConfig};
    use hearsay_protocols::{ConflictRule, NodeId, SimDuration, SimTime};

    fn round_trip(s: &Scenario) -> String {
        let text = to_yaml(s);
        let back =
            parse_scenario(&text, Path::new("t.yaml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, s, "\n{text}");
        text
    }

    #[test]
    fn the_bundled_scenarios_round_trip() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                let s = load_scenario(&p).unwrap();
                round_trip(&s);
                n += 1;
            }
        }
        assert!(n >= 1);
    }

    #[test]
    fn every_kind_of_fault_and_setting_round_trips() {
        let t = |ms: u64| SimTime(ms * 1_000_000);
        let d = SimDuration::from_millis;
        let s = Scenario::builder("odd: name", 20)
            .duration(SimDuration::from_secs(12))
            .seeds(3..6)
            .latency(Latency::Constant(SimDuration::from_micros(1500)))
            .loss(0.0125)
            .strategy(
                "true",
                Protocol::Rumor(RumorConfig {
                    period: d(150),
                    fanout: 2,
                    k: 3,
                    removal: Removal::BlindCoin,
                    conflict: ConflictRule::FirstWriteWins,
                    mode: ExchangeMode::PushPull,
                    synchronous: true,
                    ..RumorConfig::default()
                }),
            )
            .strategy(
                "ae",
                Protocol::AntiEntropy(AntiEntropyConfig {
                    period: d(700),
                    mode: ExchangeMode::Pull,
                    fanout: 2,
                    conflict: ConflictRule::LastWriteWins,
                    reconciliation: Reconciliation::Merkle { depth: 3 },
                    ..AntiEntropyConfig::default()
                }),
            )
            .fault_for(
                t(1000),
                d(2000),
                FaultAction::Partition(PartitionSpec::Groups(vec![
                    vec![NodeId(0), NodeId(1)],
                    vec![NodeId(5)],
                ])),
            )
            .fault_for(
                t(1500),
                d(500),
                FaultAction::Crash {
                    nodes: vec![NodeId(3), NodeId(4)],
                    lose_state: true,
                },
            )
            .fault(t(4000), FaultAction::Partition(PartitionSpec::Halves))
            .fault(t(4500), FaultAction::Heal)
            .fault(t(5000), FaultAction::Partition(PartitionSpec::Halves))
            .fault(t(6000), FaultAction::Heal)
            .fault(
                t(6000),
                FaultAction::Crash {
                    nodes: vec![NodeId(7)],
                    lose_state: false,
                },
            )
            .fault(
                t(6500),
                FaultAction::Restart {
                    nodes: vec![NodeId(7)],
                },
            )
            .check_convergence(SimDuration::from_secs(5), Some(vec!["ae".into()]))
            .check_residue(0.05, None)
            .build()
            .unwrap();
        let text = round_trip(&s);
        assert!(text.contains("name: \"odd: name\""), "{text}");
        assert!(text.contains("  - name: \"true\""), "{text}");
        assert!(text.contains(", for: 2s }"), "paired with for: {text}");
        assert!(text.contains("lose_state: true, for: 500ms }"), "{text}");
        assert!(text.contains("seeds: 3..6"), "{text}");
    }

    #[test]
    fn pairing_that_would_reorder_falls_back_to_single_items() {
        let t = |ms: u64| SimTime(ms * 1_000_000);
        // A heal and a crash at the same time: written as the heal's `for:`, the crash would
        // come first on reading back.
        let s = Scenario::builder("reorder", 10)
            .strategy("ae", Protocol::AntiEntropy(AntiEntropyConfig::default()))
            .fault(
                t(1000),
                FaultAction::Crash {
                    nodes: vec![NodeId(1)],
                    lose_state: false,
                },
            )
            .fault(t(2000), FaultAction::Partition(PartitionSpec::Halves))
            .fault(
                t(3000),
                FaultAction::Restart {
                    nodes: vec![NodeId(1)],
                },
            )
            .fault(t(3000), FaultAction::Heal)
            .build()
            .unwrap();
        round_trip(&s);
        let single = Scenario::builder("s", 10)
            .seed(42)
            .strategy("ae", Protocol::AntiEntropy(AntiEntropyConfig::default()))
            .build()
            .unwrap();
        assert!(round_trip(&single).contains("seeds: 42\n"));
        let listed = Scenario {
            seeds: vec![5, 1, 9],
            ..single
        };
        assert!(round_trip(&listed).contains("seeds: [5, 1, 9]\n"));
    }

    #[test]
    fn pairs_follow_what_for_would_write() {
        let t = |ms: u64| SimTime(ms * 1_000_000);
        let f = |at, action| TimedFault { at: t(at), action };
        let faults = vec![
            f(1, FaultAction::Partition(PartitionSpec::Halves)),
            f(
                2,
                FaultAction::Crash {
                    nodes: vec![NodeId(1)],
                    lose_state: false,
                },
            ),
            f(3, FaultAction::Heal),
            f(4, FaultAction::Partition(PartitionSpec::Halves)),
            f(
                5,
                FaultAction::Restart {
                    nodes: vec![NodeId(1)],
                },
            ),
            f(6, FaultAction::Heal),
        ];
        // Each fault pairs with the first later event that undoes it.
        assert_eq!(
            pair_faults(&faults),
            vec![(0, Some(2)), (1, Some(4)), (3, Some(5))]
        );
    }
}
