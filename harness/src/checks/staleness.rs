//! Staleness as clients see it: how often a read returns less than the newest write
//! acknowledged before it, and by how much.

use super::index::{HistoryIndex, covers};
use hearsay_protocols::{ConflictRule, Key, SimTime, Version};
use std::collections::BTreeMap;

/// The rule's winner among a key's writes so far: when it was acknowledged, and its version.
type Winner = (SimTime, Version);

/// The fraction of successful reads that were stale, and their mean age in seconds (time since
/// the newest write they missed was acknowledged); `None` without reads.
pub fn read_staleness(index: &HistoryIndex<'_>, rule: ConflictRule) -> (Option<f64>, Option<f64>) {
    // Per key, each acknowledged write's time beside the rule's winner among the writes
    // acknowledged up to it (writes are in time order), so a read finds its winner by one
    // search rather than a scan of every earlier write.
    let mut by_key: BTreeMap<Key, Vec<(SimTime, Winner)>> = BTreeMap::new();
    for w in &index.history.writes {
        if let Some(v) = w.version {
            let list = by_key.entry(w.key).or_default();
            let best = match list.last() {
                Some(&(_, (at, b))) if !rule.prefers(v, b) => (at, b),
                _ => (w.at, v),
            };
            list.push((w.at, best));
        }
    }
    let (mut reads, mut stale, mut age) = (0usize, 0usize, 0.0f64);
    for r in index.history.reads.iter().filter(|r| r.ok) {
        reads += 1;
        let Some(writes) = by_key.get(&r.key) else {
            continue;
        };
        // The rule's winner among writes acknowledged by the time of the read.
        let acknowledged = writes.partition_point(|(at, _)| *at <= r.at);
        let Some(&(_, (acked, wanted))) = acknowledged.checked_sub(1).map(|i| &writes[i]) else {
            continue;
        };
        let fresh = r.value.is_some_and(|v| covers(rule, v.version, wanted));
        if !fresh {
            stale += 1;
            age += r.at.saturating_since(acked).as_secs_f64();
        }
    }
    if reads == 0 {
        return (None, None);
    }
    (
        Some(stale as f64 / reads as f64),
        (stale > 0).then(|| age / stale as f64),
    )
}
