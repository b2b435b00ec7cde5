//! The monotonic-versions check: a node never moves a key to a version its conflict rule ranks
//! below the one it held (a wiped node starts over).

use super::index::HistoryIndex;
use hearsay_protocols::{ConflictRule, Key, NodeId, SimTime, Version};
use hearsay_reports::{CheckOutcome, Verdict};
use std::collections::BTreeMap;

/// Judges every node's sequence of learned versions per key, in time order.
pub fn check_monotonic_versions(index: &HistoryIndex<'_>, rule: ConflictRule) -> CheckOutcome {
    let mut last: BTreeMap<(NodeId, Key), (Version, SimTime)> = BTreeMap::new();
    let mut violations = 0usize;
    let mut first = None;
    for l in &index.history.learned {
        let slot = (l.node, l.key);
        if let Some(&(prev, prev_at)) = last.get(&slot) {
            let wiped_between = index
                .wipes
                .get(&l.node)
                .is_some_and(|w| w.iter().any(|&t| t >= prev_at && t <= l.at));
            if !wiped_between && !rule.prefers(l.version, prev) {
                violations += 1;
                first.get_or_insert_with(|| {
                    format!(
                        "{} moved key {} from version {prev} (held since {prev_at}) back to {} at {}",
                        l.node, l.key, l.version, l.at
                    )
                });
            }
        }
        last.insert(slot, (l.version, l.at));
    }
    let (verdict, detail) = match first {
        None => (
            Verdict::Pass,
            format!(
                "{} version changes, all forward",
                index.history.learned.len()
            ),
        ),
        Some(first) => (
            Verdict::Fail,
            format!("{violations} backward moves; first: {first}"),
        ),
    };
    CheckOutcome {
        name: "monotonic_versions".into(),
        verdict,
        detail,
    }
}
