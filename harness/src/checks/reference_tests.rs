//! The linear-time checkers against their definitions, written the obvious (slow) way, on many
//! small random histories: crashes that wipe state, nodes down at the end, versions no write
//! made, versions that move backwards, and both conflict rules.

use super::index::{HistoryIndex, covers};
use super::{check_monotonic_versions, read_staleness, stable_latencies, update_spreads};
use crate::history::{History, LearnedRecord, NodeEvent, NodeEventKind, ReadRecord, WriteRecord};
use hearsay_protocols::{ConflictRule, NodeId, SimTime, Version, Versioned};

/// A small deterministic generator (an LCG): enough to vary the histories.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn random_history(seed: u64) -> History {
    let mut draw = Draw(seed);
    let nodes = 2 + draw.below(6) as u32;
    let keys = 1 + draw.below(3);
    let mut h = History {
        nodes,
        ..History::default()
    };
    let mut t = 0u64;
    for _ in 0..draw.below(8) {
        t += draw.below(5);
        let node = NodeId(draw.below(u64::from(nodes)) as u32);
        h.writes.push(WriteRecord {
            at: SimTime(t),
            node,
            key: draw.below(keys),
            value: draw.below(100),
            // Few stamps, so versions tie across keys; some writes fail.
            version: (draw.below(5) > 0).then(|| Version {
                stamp: draw.below(6),
                writer: node,
            }),
        });
    }
    let mut t = 0u64;
    for _ in 0..draw.below(60) {
        t += draw.below(3);
        let node = NodeId(draw.below(u64::from(nodes)) as u32);
        if draw.below(12) == 0 {
            h.node_events.push(NodeEvent {
                at: SimTime(t),
                node,
                kind: NodeEventKind::Crash { lose_state: true },
            });
            continue;
        }
        // Mostly the versions writes made, sometimes one no write made.
        let written: Vec<&WriteRecord> = h.writes.iter().filter(|w| w.version.is_some()).collect();
        let (key, version) = match written.len() {
            n if n > 0 && draw.below(6) > 0 => {
                let w = written[draw.below(n as u64) as usize];
                (w.key, w.version.expect("filtered"))
            }
            _ => (
                draw.below(keys),
                Version {
                    stamp: draw.below(6),
                    writer: NodeId(draw.below(u64::from(nodes)) as u32),
                },
            ),
        };
        h.learned.push(LearnedRecord {
            at: SimTime(t),
            node,
            key,
            version,
            value: 0,
        });
    }
    let mut t = 0u64;
    for _ in 0..draw.below(10) {
        t += draw.below(6);
        let held = h
            .learned
            .get(draw.below(h.learned.len().max(1) as u64) as usize);
        h.reads.push(ReadRecord {
            at: SimTime(t),
            node: NodeId(0),
            key: draw.below(keys),
            value: held.map(|l| Versioned {
                value: l.value,
                version: l.version,
            }),
            ok: draw.below(5) > 0,
        });
    }
    h.alive_at_end = (0..nodes).map(|_| draw.below(4) > 0).collect();
    h.holders_at_end = vec![0; h.writes.len()];
    h.end = SimTime(t + 10);
    h
}

/// Stable latency by its definition: for each live node, the first record since its last wipe
/// that covers the write; stable when every live node has one, at the latest of them.
fn stable_by_definition(h: &History, rule: ConflictRule) -> Vec<Option<f64>> {
    let live: Vec<u32> = (0..h.nodes)
        .filter(|&n| h.alive_at_end[n as usize])
        .collect();
    let last_wipe = |n: u32| {
        h.node_events
            .iter()
            .filter(|e| e.node == NodeId(n))
            .map(|e| e.at)
            .max()
            .unwrap_or(SimTime::ZERO)
    };
    h.writes
        .iter()
        .map(|w| {
            let version = w.version?;
            let mut latest = w.at;
            for &n in &live {
                let first = h.learned.iter().find(|l| {
                    l.node == NodeId(n)
                        && l.key == w.key
                        && l.at >= last_wipe(n)
                        && covers(rule, l.version, version)
                })?;
                latest = latest.max(first.at);
            }
            (!live.is_empty()).then(|| latest.saturating_since(w.at).as_secs_f64())
        })
        .collect()
}

/// The monotonic check by its definition: each record against the same node's previous record
/// of the key, unless a wipe fell between them. Returns the count and the first offender.
fn backward_moves_by_definition(h: &History, rule: ConflictRule) -> (usize, Option<usize>) {
    let mut count = 0;
    let mut first = None;
    let learned: Vec<LearnedRecord> = h.learned.iter().collect();
    for (i, l) in learned.iter().enumerate() {
        let previous = learned[..i]
            .iter()
            .rev()
            .find(|p| p.node == l.node && p.key == l.key);
        if let Some(p) = previous {
            let wiped = h
                .node_events
                .iter()
                .any(|e| e.node == l.node && e.at >= p.at && e.at <= l.at);
            if !wiped && !rule.prefers(l.version, p.version) {
                count += 1;
                first.get_or_insert(i);
            }
        }
    }
    (count, first)
}

#[test]
fn stable_latencies_match_their_definition() {
    let mut stable_seen = 0;
    for seed in 0..3000 {
        let h = random_history(seed);
        let index = HistoryIndex::new(&h);
        for rule in [ConflictRule::LastWriteWins, ConflictRule::FirstWriteWins] {
            let got = stable_latencies(&index, rule);
            assert_eq!(got, stable_by_definition(&h, rule), "seed {seed}, {rule:?}");
            stable_seen += got.iter().flatten().count();
        }
    }
    // The histories must exercise stable writes, not only unstable ones.
    assert!(stable_seen > 1000, "only {stable_seen} stable writes");
}

#[test]
fn monotonic_check_matches_its_definition() {
    let mut failing = 0;
    for seed in 0..3000 {
        let h = random_history(seed);
        let index = HistoryIndex::new(&h);
        for rule in [ConflictRule::LastWriteWins, ConflictRule::FirstWriteWins] {
            let outcome = check_monotonic_versions(&index, rule);
            let (count, first) = backward_moves_by_definition(&h, rule);
            match first {
                None => assert!(
                    !outcome.detail.contains("backward"),
                    "seed {seed}: {}",
                    outcome.detail
                ),
                Some(i) => {
                    failing += 1;
                    let l = h.learned.get(i).expect("the offender's index");
                    let expected = format!(
                        "{count} backward moves; first: {} moved key {} from version",
                        l.node, l.key
                    );
                    assert!(
                        outcome.detail.starts_with(&expected)
                            && outcome
                                .detail
                                .contains(&format!("back to {} at {}", l.version, l.at)),
                        "seed {seed}, {rule:?}: {} (expected {expected}…)",
                        outcome.detail
                    );
                }
            }
        }
    }
    assert!(failing > 500, "only {failing} failing histories");
}

/// Each update's delays are the first time each other node learned exactly its version.
#[test]
fn update_spreads_match_their_definition() {
    for seed in 0..3000 {
        let h = random_history(seed);
        let spreads = update_spreads(&HistoryIndex::new(&h));
        let expected: Vec<Vec<f64>> = h
            .writes
            .iter()
            .filter_map(|w| w.version.map(|v| (w, v)))
            .map(|(w, version)| {
                let mut delays: Vec<f64> = (0..h.nodes)
                    .filter(|&n| NodeId(n) != w.node)
                    .filter_map(|n| {
                        h.learned
                            .iter()
                            .find(|l| l.node == NodeId(n) && l.key == w.key && l.version == version)
                    })
                    .map(|l| l.at.saturating_since(w.at).as_secs_f64())
                    .collect();
                delays.sort_by(f64::total_cmp);
                delays
            })
            .collect();
        let got: Vec<Vec<f64>> = spreads.into_iter().map(|s| s.delays).collect();
        assert_eq!(got, expected, "seed {seed}");
    }
}

/// Read staleness by its definition: the rule's winner among the writes acknowledged by the
/// read's time, found by scanning them all.
#[test]
fn read_staleness_matches_its_definition() {
    let mut stale_seen = 0;
    for seed in 0..3000 {
        let h = random_history(seed);
        let index = HistoryIndex::new(&h);
        for rule in [ConflictRule::LastWriteWins, ConflictRule::FirstWriteWins] {
            let (mut reads, mut stale, mut age) = (0usize, 0usize, 0.0f64);
            for r in h.reads.iter().filter(|r| r.ok) {
                reads += 1;
                let mut best: Option<(SimTime, Version)> = None;
                for w in h.writes.iter().filter(|w| w.key == r.key && w.at <= r.at) {
                    let Some(v) = w.version else { continue };
                    if best.is_none_or(|(_, b)| rule.prefers(v, b)) {
                        best = Some((w.at, v));
                    }
                }
                let Some((acked, wanted)) = best else {
                    continue;
                };
                if !r.value.is_some_and(|v| covers(rule, v.version, wanted)) {
                    stale += 1;
                    age += r.at.saturating_since(acked).as_secs_f64();
                }
            }
            let expected = if reads == 0 {
                (None, None)
            } else {
                (
                    Some(stale as f64 / reads as f64),
                    (stale > 0).then(|| age / stale as f64),
                )
            };
            assert_eq!(
                read_staleness(&index, rule),
                expected,
                "seed {seed}, {rule:?}"
            );
            stale_seen += stale;
        }
    }
    assert!(stale_seen > 1000, "only {stale_seen} stale reads");
}
