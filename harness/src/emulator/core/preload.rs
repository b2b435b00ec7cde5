//! Starting a run's nodes with a replica already on disk (the scenario's `preload`), so that
//! reconciliation can be measured over large replicas without a run of writes to fill them.
//!
//! The preload is state, not traffic: nothing is observed, sent or scheduled, and the history
//! keeps the entries apart from client writes (`History::preloaded`) so that the checkers
//! accept them as written without counting them as updates. Only the nodes present at time 0
//! get it: a node that joins later joins empty, and a node whose disk is wiped later
//! (`lose_state`, or leaving) is rebuilt by the factory and restarts empty — a wiped disk holds
//! nothing, and anti-entropy has to bring the preloaded keys back like any others.

use super::Emulator;
use hearsay_protocols::{Node, NodeId, VersionedStore};

impl<N: Node, F: FnMut(NodeId) -> N> Emulator<N, F> {
    /// Gives every node present at the start `initial` as its replica before the run.
    ///
    /// # Panics
    /// If a node's store does not hold the preloaded keys afterwards: its [`Node::preload`]
    /// kept the trait's do-nothing default, and the run would silently measure empty replicas.
    pub fn preload(mut self, initial: &VersionedStore) -> Self {
        if initial.is_empty() {
            return self;
        }
        for member in self.members.iter_mut().filter(|m| m.alive) {
            member.node.preload(initial);
            assert!(
                member.node.store().len() >= initial.len(),
                "a node that keeps the default Node::preload cannot be preloaded"
            );
        }
        self.history.preloaded = initial.entries().to_vec();
        self
    }
}
