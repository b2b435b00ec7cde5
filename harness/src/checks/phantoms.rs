//! The no-phantoms check: no node ever holds a value that no client wrote under that version
//! (a preloaded entry counts as written: every node started with it).

use super::index::HistoryIndex;
use hearsay_protocols::{Key, Value, Version};
use hearsay_reports::{CheckOutcome, Verdict};
use rustc_hash::FxHashMap;

/// Judges every value any node learned and every value held at the end.
pub fn check_no_phantoms(index: &HistoryIndex<'_>) -> CheckOutcome {
    let history = index.history;
    let written: FxHashMap<(Key, Version), Value> = history
        .preloaded
        .iter()
        .map(|(key, v)| ((*key, v.version), v.value))
        .chain(
            history
                .writes
                .iter()
                .filter_map(|w| w.version.map(|v| ((w.key, v), w.value))),
        )
        .collect();
    // What each learned version should carry, looked up once per version, not per record.
    let groups = &index.learned_by_version;
    let expected: Vec<Option<Value>> = (0..groups.len())
        .map(|g| written.get(&groups.version(g)).copied())
        .collect();
    let mut phantoms = 0usize;
    let mut first = None;
    for (l, &g) in index.history.learned.iter().zip(groups.group_of_each()) {
        if expected[g as usize] != Some(l.value) {
            phantoms += 1;
            first.get_or_insert_with(|| {
                let what = match written.get(&(l.key, l.version)) {
                    Some(v) => format!("the write under that version wrote {v}"),
                    None => "no client write has that version".to_string(),
                };
                format!(
                    "{} came to hold key {} = {} under version {} at {}, but {what}",
                    l.node, l.key, l.value, l.version, l.at
                )
            });
        }
    }
    for s in &index.history.final_states {
        for (key, v) in &s.entries {
            if written.get(&(*key, v.version)) != Some(&v.value) {
                phantoms += 1;
                first.get_or_insert_with(|| {
                    format!("{} nodes end holding key {key} = {} under version {}, which no client wrote", s.nodes, v.value, v.version)
                });
            }
        }
    }
    let (verdict, detail) = match first {
        None => (
            Verdict::Pass,
            format!(
                "all {} learned values were written by clients{}",
                index.history.learned.len(),
                if history.preloaded.is_empty() {
                    ""
                } else {
                    " or preloaded"
                }
            ),
        ),
        Some(first) => (
            Verdict::Fail,
            format!("{phantoms} phantom values; first: {first}"),
        ),
    };
    CheckOutcome {
        name: "no_phantoms".into(),
        verdict,
        detail,
    }
}
