//! Indexes over a history that several checkers share: who learned what when, who lost state
//! when, which writes are durable, and what each live node holds at the end.

use super::learned_groups::LearnedGroups;
use crate::history::{FinalState, History, NodeEventKind, WriteRecord};
use hearsay_protocols::{ConflictRule, Key, NodeId, SimTime, Version, Versioned};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Whether a node holding `held` has (or has superseded) `wanted` under `rule`.
pub fn covers(rule: ConflictRule, held: Version, wanted: Version) -> bool {
    held == wanted || rule.prefers(held, wanted)
}

/// A node's final state is not in the history: more distinct states existed than were kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateNotKept;

/// Precomputed lookups over one history.
pub struct HistoryIndex<'h> {
    /// The history.
    pub history: &'h History,
    /// Learned records grouped by `(key, version)`.
    pub learned_by_version: LearnedGroups,
    /// Times each node lost its state (crash with a wiped disk).
    pub wipes: BTreeMap<NodeId, Vec<SimTime>>,
    /// Live nodes at the end, in id order.
    pub live: Vec<NodeId>,
    /// Each node's final state, as its position in the history's `final_states` (`None` when it
    /// was not kept): the checkers ask for every live node and written key, and a search of
    /// the kept states per question cost most of their time.
    final_state: Vec<Option<u32>>,
}

impl<'h> HistoryIndex<'h> {
    /// Builds the indexes.
    pub fn new(history: &'h History) -> Self {
        let learned_by_version = LearnedGroups::new(&history.learned);
        let mut wipes: BTreeMap<NodeId, Vec<SimTime>> = BTreeMap::new();
        for e in &history.node_events {
            if matches!(
                e.kind,
                NodeEventKind::Crash { lose_state: true } | NodeEventKind::Leave
            ) {
                wipes.entry(e.node).or_default().push(e.at);
            }
        }
        let live = history
            .alive_at_end
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| NodeId(i as u32))
            .collect();
        let kept: FxHashMap<u64, u32> = history
            .final_states
            .iter()
            .enumerate()
            .rev()
            .map(|(i, s)| (s.fingerprint, i as u32))
            .collect();
        let final_state = history
            .fingerprints_at_end
            .iter()
            .map(|fp| kept.get(fp).copied())
            .collect();
        HistoryIndex {
            history,
            learned_by_version,
            wipes,
            live,
            final_state,
        }
    }

    /// The entry every node started with for `key`, if the run was preloaded with it.
    pub fn preloaded(&self, key: Key) -> Option<&'h Versioned> {
        let preloaded = &self.history.preloaded;
        preloaded
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &preloaded[i].1)
    }

    /// True if `node` lost its state at some time after `t`.
    pub fn wiped_after(&self, node: NodeId, t: SimTime) -> bool {
        self.wipes
            .get(&node)
            .is_some_and(|w| w.iter().any(|&at| at >= t))
    }

    /// A node that held `write` and never lost its state afterwards, if any: the write is then
    /// durable and must not be lost.
    pub fn durable_holder(&self, write: &WriteRecord) -> Option<(NodeId, SimTime)> {
        let version = write.version?;
        self.learned_by_version
            .of(write.key, version)
            .iter()
            .find(|l| !self.wiped_after(l.node, l.at))
            .map(|l| (l.node, l.at))
    }

    /// The live nodes (in id order) whose kept final state fails `wrong`: a question about a
    /// node's final state is asked once per distinct state, not once per node.
    pub fn live_nodes_where(&self, mut wrong: impl FnMut(&FinalState) -> bool) -> Vec<NodeId> {
        let verdicts: Vec<bool> = self.history.final_states.iter().map(&mut wrong).collect();
        if !verdicts.contains(&true) {
            return Vec::new();
        }
        self.live
            .iter()
            .copied()
            .filter(|n| {
                let kept = self.final_state.get(n.index()).copied().flatten();
                kept.is_some_and(|s| verdicts[s as usize])
            })
            .collect()
    }

    /// The version and value `node` holds for `key` at the end: `Ok(None)` if it holds nothing,
    /// `Err(StateNotKept)` if its final state was not kept (too many distinct states).
    pub fn final_version(
        &self,
        node: NodeId,
        key: Key,
    ) -> Result<Option<(Version, u64)>, StateNotKept> {
        let kept = self.final_state.get(node.index()).copied().flatten();
        let state = &self.history.final_states[kept.ok_or(StateNotKept)? as usize];
        Ok(state.get(key).map(|v| (v.version, v.value)))
    }
}

/// A short list of nodes for evidence: `n1, n4, n9 and 12 more`.
pub fn some_nodes(nodes: &[NodeId]) -> String {
    let shown: Vec<String> = nodes.iter().take(6).map(|n| n.to_string()).collect();
    match nodes.len() {
        0 => "none".into(),
        n if n <= 6 => shown.join(", "),
        n => format!("{} and {} more", shown.join(", "), n - 6),
    }
}
