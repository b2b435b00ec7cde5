//! The no-lost-writes check: every acknowledged write that reached a node which kept its state
//! reaches every live node (or is superseded there by a version the rule prefers).

use super::index::{HistoryIndex, covers, some_nodes};
use hearsay_protocols::{ConflictRule, NodeId};
use hearsay_reports::{CheckOutcome, Verdict};

/// Judges every durable write; the evidence names the first lost write, where it was
/// acknowledged, and which live nodes lack it.
pub fn check_no_lost_writes(index: &HistoryIndex<'_>, rule: ConflictRule) -> CheckOutcome {
    let mut durable = 0usize;
    let mut failures = Vec::new();
    for w in &index.history.writes {
        let Some(version) = w.version else { continue };
        let Some((holder, held_at)) = index.durable_holder(w) else {
            continue;
        };
        durable += 1;
        let missing: Vec<NodeId> = index.live_nodes_where(|state| match state.get(w.key) {
            Some(held) => !covers(rule, held.version, version),
            None => true,
        });
        if !missing.is_empty() {
            failures.push(format!(
                "write key {} = {} (version {version}) acknowledged at {} on {}, held by {holder} from {held_at} without losing state, \
                 is missing on {} of {} live nodes: {}",
                w.key,
                w.value,
                w.at,
                w.node,
                missing.len(),
                index.live.len(),
                some_nodes(&missing)
            ));
        }
    }
    let (verdict, detail) = match failures.len() {
        0 => (
            Verdict::Pass,
            format!("all {durable} durable writes reached every live node"),
        ),
        n => (
            Verdict::Fail,
            format!(
                "{n} of {durable} durable writes lost; first: {}",
                failures[0]
            ),
        ),
    };
    CheckOutcome {
        name: "no_lost_writes".into(),
        verdict,
        detail,
    }
}
