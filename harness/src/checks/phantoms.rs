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
    // Whether each distinct update learned is a phantom, judged once per update, not per
    // record; then its records are counted, and the first one reported.
    let learned = &history.learned;
    let phantom: Vec<bool> = learned
        .updates()
        .iter()
        .map(|&(key, version, value)| written.get(&(key, version)) != Some(&value))
        .collect();
    let mut phantoms = 0usize;
    let mut first_at = None;
    for (i, (_, _, update)) in learned.numbered().enumerate() {
        if phantom[update as usize] {
            phantoms += 1;
            first_at.get_or_insert(i);
        }
    }
    let mut first = first_at.and_then(|i| learned.get(i)).map(|l| {
        let what = match written.get(&(l.key, l.version)) {
            Some(v) => format!("the write under that version wrote {v}"),
            None => "no client write has that version".to_string(),
        };
        format!(
            "{} came to hold key {} = {} under version {} at {}, but {what}",
            l.node, l.key, l.value, l.version, l.at
        )
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{History, LearnedRecord, WriteRecord};
    use hearsay_protocols::{NodeId, SimTime};

    fn version(stamp: u64) -> Version {
        Version {
            stamp,
            writer: NodeId(0),
        }
    }

    fn learned(at: u64, node: u32, key: Key, stamp: u64, value: Value) -> LearnedRecord {
        LearnedRecord {
            at: SimTime(at),
            node: NodeId(node),
            key,
            version: version(stamp),
            value,
        }
    }

    /// Two writes; records of their values pass, and every record of a value no write made
    /// under its version is counted, the earliest one reported.
    #[test]
    fn counts_every_phantom_record_and_reports_the_first() {
        let mut h = History {
            nodes: 3,
            ..History::default()
        };
        for (key, stamp, value) in [(1, 10, 100), (2, 20, 200)] {
            h.writes.push(WriteRecord {
                at: SimTime(stamp),
                node: NodeId(0),
                key,
                value,
                version: Some(version(stamp)),
            });
        }
        h.learned.extend([
            learned(11, 1, 1, 10, 100),
            learned(21, 1, 2, 20, 200),
            learned(22, 2, 1, 10, 100),
        ]);
        let judge = |h: &History| check_no_phantoms(&HistoryIndex::new(h));
        assert_eq!(judge(&h).verdict, Verdict::Pass, "{}", judge(&h).detail);
        h.learned.extend([
            learned(30, 2, 2, 20, 999), // the wrong value under a written version
            learned(31, 1, 1, 10, 100), // fine
            learned(32, 1, 2, 77, 200), // a version no write made
            learned(33, 0, 2, 20, 999), // the first phantom again
        ]);
        let outcome = judge(&h);
        assert_eq!(outcome.verdict, Verdict::Fail);
        assert!(
            outcome
                .detail
                .starts_with("3 phantom values; first: n2 came to hold key 2 = 999"),
            "{}",
            outcome.detail
        );
        assert!(outcome.detail.contains("wrote 200"), "{}", outcome.detail);
    }
}
