//! Staleness as clients see it: how often a read returns less than the newest write
//! acknowledged before it, and by how much.

use super::index::{HistoryIndex, covers};
use hearsay_protocols::{ConflictRule, Key, SimTime, Version};
use std::collections::BTreeMap;

/// The fraction of successful reads that were stale, and their mean age in seconds (time since
/// the newest write they missed was acknowledged); `None` without reads.
pub fn read_staleness(index: &HistoryIndex<'_>, rule: ConflictRule) -> (Option<f64>, Option<f64>) {
    let mut by_key: BTreeMap<Key, Vec<(SimTime, Version)>> = BTreeMap::new();
    for w in &index.history.writes {
        if let Some(v) = w.version {
            by_key.entry(w.key).or_default().push((w.at, v));
        }
    }
    let (mut reads, mut stale, mut age) = (0usize, 0usize, 0.0f64);
    for r in index.history.reads.iter().filter(|r| r.ok) {
        reads += 1;
        let Some(writes) = by_key.get(&r.key) else {
            continue;
        };
        // The rule's winner among writes acknowledged by the time of the read.
        let mut best: Option<(SimTime, Version)> = None;
        for &(at, v) in writes.iter().take_while(|(at, _)| *at <= r.at) {
            if best.is_none_or(|(_, b)| rule.prefers(v, b)) {
                best = Some((at, v));
            }
        }
        let Some((acked, wanted)) = best else {
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
