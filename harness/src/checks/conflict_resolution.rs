//! The conflict-resolution check: the value each live node ends with for a key is the one the
//! conflict rule selects from the durable writes to that key — and, for a preloaded key, its
//! preloaded version, a write from before time 0 that every node started with (counted
//! durable: only a run that wiped every node's disk could lose it).

use super::index::{HistoryIndex, some_nodes};
use hearsay_protocols::{ConflictRule, Key, NodeId, Version};
use hearsay_reports::{CheckOutcome, Verdict};
use std::collections::BTreeMap;

/// Judges every key that has a durable write.
pub fn check_conflict_resolution(index: &HistoryIndex<'_>, rule: ConflictRule) -> CheckOutcome {
    let mut winners: BTreeMap<Key, (Version, u64, usize)> = BTreeMap::new();
    for w in &index.history.writes {
        let Some(version) = w.version else { continue };
        if index.durable_holder(w).is_none() {
            continue;
        }
        let entry = winners.entry(w.key).or_insert((version, w.value, 0));
        entry.2 += 1;
        if rule.prefers(version, entry.0) {
            (entry.0, entry.1) = (version, w.value);
        }
    }
    for (key, entry) in winners.iter_mut() {
        if let Some(pre) = index.preloaded(*key)
            && rule.prefers(pre.version, entry.0)
        {
            (entry.0, entry.1) = (pre.version, pre.value);
        }
    }
    let mut wrong_keys = 0usize;
    let mut first = None;
    for (&key, &(version, value, writes)) in &winners {
        let wrong: Vec<NodeId> = index.live_nodes_where(|state| {
            state.get(key).map(|v| (v.version, v.value)) != Some((version, value))
        });
        if !wrong.is_empty() {
            wrong_keys += 1;
            first.get_or_insert_with(|| {
                let example = match index.final_version(wrong[0], key) {
                    Ok(Some((v, val))) => format!("{} holds {val} under version {v}", wrong[0]),
                    _ => format!("{} holds nothing", wrong[0]),
                };
                format!(
                    "key {key}: {rule:?} selects {value} (version {version}) from {writes} durable writes, \
                     but {} live nodes end with another value ({}); e.g. {example}",
                    wrong.len(),
                    some_nodes(&wrong)
                )
            });
        }
    }
    let (verdict, detail) = match first {
        None => (
            Verdict::Pass,
            format!(
                "{} keys resolved to the rule's winner everywhere",
                winners.len()
            ),
        ),
        Some(first) => (
            Verdict::Fail,
            format!("{wrong_keys} keys resolved wrongly; first: {first}"),
        ),
    };
    CheckOutcome {
        name: "conflict_resolution".into(),
        verdict,
        detail,
    }
}
