//! Distributions computed from a history for the reports: the stable latency of every write.

use crate::history::History;
use hearsay_protocols::{Key, NodeId, SimTime, Version};
use std::collections::BTreeMap;

/// For each successful write, in write order: seconds from the write until every node alive
/// at the end held its version or a later one for good, or `None` if some live node did not
/// hold it at the end.
///
/// A node holds the write "for good" from the last time it came to hold a qualifying version
/// after having none: learning the same or an older version again means the node had lost its
/// state (a crash that wiped it) and relearned, so its clock restarts there. The origin holds
/// the write from the moment it took it.
pub fn stable_latencies(history: &History) -> Vec<Option<f64>> {
    let mut by_key: BTreeMap<Key, Vec<(SimTime, NodeId, Version)>> = BTreeMap::new();
    for l in &history.learned {
        by_key
            .entry(l.key)
            .or_default()
            .push((l.at, l.node, l.version));
    }
    let live = history.live_count();
    history
        .writes
        .iter()
        .zip(&history.holders_at_end)
        .filter_map(|(w, holders)| w.version.map(|v| (w, v, *holders)))
        .map(|(w, version, holders)| {
            if holders < live {
                return None;
            }
            let mut since: Vec<Option<(SimTime, Version)>> = vec![None; history.nodes as usize];
            if let Some(slot) = since.get_mut(w.node.index()) {
                *slot = Some((w.at, version));
            }
            for &(at, node, v) in by_key.get(&w.key).map_or(&[][..], Vec::as_slice) {
                if v < version || at < w.at {
                    continue;
                }
                let Some(slot) = since.get_mut(node.index()) else {
                    continue;
                };
                *slot = match *slot {
                    Some((t, held)) if v > held => Some((t, v)),
                    _ => Some((at, v)),
                };
            }
            let mut latest = w.at;
            for (i, s) in since.iter().enumerate() {
                if history.alive_at_end.get(i).copied().unwrap_or(false) {
                    latest = latest.max(s.map(|(t, _)| t)?);
                }
            }
            Some(latest.saturating_since(w.at).as_secs_f64())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{LearnedRecord, WriteRecord};
    use hearsay_protocols::NodeId;

    fn ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    fn version(stamp: u64) -> Version {
        Version {
            stamp,
            writer: NodeId(0),
        }
    }

    #[test]
    fn latency_is_the_last_live_node_to_hold_it_for_good() {
        let v = version(1);
        let learned = |at, node, version| LearnedRecord {
            at: ms(at),
            node: NodeId(node),
            key: 7,
            version,
        };
        let mut h = History {
            nodes: 3,
            writes: vec![WriteRecord {
                at: ms(100),
                node: NodeId(0),
                key: 7,
                value: 1,
                version: Some(v),
            }],
            learned: vec![
                learned(100, 0, v),
                learned(150, 1, v),
                learned(200, 2, v),
                // node 1 lost its state and learned it again
                learned(400, 1, v),
                // node 2 moved on to a newer version: still holds the write
                learned(500, 2, version(2)),
            ],
            alive_at_end: vec![true, true, true],
            holders_at_end: vec![3],
            ..History::default()
        };
        assert_eq!(stable_latencies(&h), vec![Some(0.3)]);
        h.holders_at_end = vec![2];
        assert_eq!(stable_latencies(&h), vec![None]);
        h.holders_at_end = vec![2];
        h.alive_at_end = vec![true, false, true];
        assert_eq!(stable_latencies(&h), vec![Some(0.1)]);
    }
}
