//! Whether every live node holds the same state right now, kept up to date as states change,
//! so that a run can end the moment its cluster agrees (`stop_when_converged`).
//!
//! Sampling convergence costs a pass over every node; at 10^6 nodes that is milliseconds, too
//! coarse and too slow to test after every event. Here the live nodes are counted per state
//! fingerprint, and only a call that changes a node's fingerprint moves one count, so asking
//! "do they all agree?" is one comparison.

use std::collections::BTreeMap;

/// Live nodes per state fingerprint.
#[derive(Debug, Default)]
pub(crate) struct Agreement {
    nodes_per_state: BTreeMap<u64, u32>,
}

impl Agreement {
    /// Counts the live nodes' fingerprints from scratch (at the start, and after a fault has
    /// started, stopped or replaced nodes).
    pub fn rebuild(&mut self, live_fingerprints: impl Iterator<Item = u64>) {
        self.nodes_per_state.clear();
        for fp in live_fingerprints {
            *self.nodes_per_state.entry(fp).or_insert(0) += 1;
        }
    }

    /// A live node's state went from fingerprint `before` to `after`.
    #[inline]
    pub fn moved(&mut self, before: u64, after: u64) {
        if before == after {
            return;
        }
        if let Some(n) = self.nodes_per_state.get_mut(&before) {
            *n -= 1;
            if *n == 0 {
                self.nodes_per_state.remove(&before);
            }
        }
        *self.nodes_per_state.entry(after).or_insert(0) += 1;
    }

    /// Every live node holds the same state (trivially so when none is live).
    #[inline]
    pub fn agreed(&self) -> bool {
        self.nodes_per_state.len() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_only_when_every_count_has_moved_to_one_state() {
        let mut a = Agreement::default();
        a.rebuild([0, 0, 0].into_iter());
        assert!(a.agreed());
        a.moved(0, 7);
        assert!(!a.agreed());
        a.moved(0, 7);
        assert!(!a.agreed(), "one node still holds the old state");
        a.moved(0, 7);
        assert!(a.agreed());
        a.moved(7, 7);
        assert!(a.agreed(), "an unchanged fingerprint moves nothing");
        a.moved(7, 9);
        assert!(!a.agreed());
        a.rebuild([9, 9].into_iter());
        assert!(a.agreed());
        a.rebuild(std::iter::empty());
        assert!(a.agreed(), "no live node: nothing disagrees");
    }
}
