//! The sans-IO node API: what a driver feeds a node, and what a node asks of its driver.

use crate::{
    Key, Message, NodeId, SimDuration, SimTime, Value, Version, Versioned, VersionedStore,
};
use rand_core::Rng;

/// An opaque timer name chosen by the node; it comes back in [`Node::on_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub u32);

/// Something a node reports about itself, for the run's history and its checkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Observation {
    /// The node now holds `key` at `version` (a client write it accepted, or a merge that
    /// applied). The driver stamps it with the node and the time.
    Learned {
        /// The key.
        key: Key,
        /// The version now held.
        version: Version,
    },
    /// The node received an entry it already held at exactly this version: a redundant
    /// delivery, the waste the literature's redundancy measure counts.
    Redundant {
        /// The key.
        key: Key,
    },
    /// A protocol-specific event worth counting, e.g. `mtu-deferred` (entries that did not fit
    /// a message and wait for the next one) or `direct-mail-dropped`. Drivers sum them per
    /// name and report them with the run.
    Count {
        /// A short kebab-case name.
        what: &'static str,
        /// How many.
        n: u64,
    },
}

/// The world as a node sees it during one call: the time, its identity, an RNG, and the effects
/// it may ask for. Drivers implement this; nodes only call it.
///
/// Everything that could make a run irreproducible goes through here, which is what lets the
/// same node type run under the deterministic emulator, under turmoil and on real sockets.
pub trait Context<M> {
    /// The random number generator this node may use; seeded by the driver.
    type Rng: Rng;

    /// The node's local clock. Under clock-skew faults it differs from the driver's global time.
    fn now(&self) -> SimTime;

    /// The identity of the node being called.
    fn me(&self) -> NodeId;

    /// The node's RNG stream.
    fn rng(&mut self) -> &mut Self::Rng;

    /// Sends `msg` to `to`. Delivery is up to the network: it may be delayed, lost or duplicated.
    fn send(&mut self, to: NodeId, msg: M);

    /// Sends the message `build` makes. Same as `send(to, build())`, which is what it does
    /// unless the driver overrides it; the emulator builds the message straight into its
    /// in-flight slot, where a message built on the node's stack and then moved was read back
    /// while its bytes were still on their way to the cache (a stall on every send).
    #[inline]
    fn send_with(&mut self, to: NodeId, build: impl FnOnce() -> M) {
        self.send(to, build());
    }

    /// Sends the message `build` makes to each of `peers`, in order: the same as
    /// `send(peer, msg.clone())` for each, which is what it does unless the driver overrides
    /// it (nothing is built for no peers). The emulator keeps one copy in flight for all of
    /// them, where a send per peer built, stored and read one each.
    #[inline]
    fn send_each(&mut self, peers: &[NodeId], build: impl FnOnce() -> M)
    where
        M: Clone,
    {
        if let Some((&last, rest)) = peers.split_last() {
            let msg = build();
            for &to in rest {
                self.send(to, msg.clone());
            }
            self.send(last, msg);
        }
    }

    /// Asks for [`Node::on_timer`] with `timer` after `after` has elapsed. Timers do not survive
    /// a crash: a restarted node re-arms them in [`Node::on_start`].
    fn set_timer(&mut self, after: SimDuration, timer: TimerId);

    /// Reports an observation for the run's history.
    fn observe(&mut self, observation: Observation);
}

/// A gossip node as a sans-IO state machine.
///
/// Every method takes the [`Context`] that carries time, randomness and effects. A driver calls
/// [`Node::on_start`] when the process starts and again after every restart (timers were lost
/// with the crash; state may or may not have been).
pub trait Node {
    /// The messages this protocol exchanges.
    type Message: Message;

    /// The process started (or restarted): arm timers.
    fn on_start<C: Context<Self::Message>>(&mut self, ctx: &mut C);

    /// A timer armed with [`Context::set_timer`] fired.
    fn on_timer<C: Context<Self::Message>>(&mut self, ctx: &mut C, timer: TimerId);

    /// A message arrived from `from`. The driver keeps the message (its receive buffer); the
    /// node reads it and copies what it keeps. (Taken by value, a message was copied at every
    /// layer of a call, and reading the fresh copies stalled the emulator's loop.)
    fn on_message<C: Context<Self::Message>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &Self::Message,
    );

    /// A client writes `value` to `key` at this node. The node stamps the write with its local
    /// clock and returns the version it assigned; it starts disseminating the write.
    fn on_client_write<C: Context<Self::Message>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version;

    /// The replica's contents before the run starts, as if loaded from disk: `initial`
    /// becomes (or, if the node already holds something, is merged into) the node's store.
    /// This is not an update: nothing is observed, sent or scheduled, and a driver calls it
    /// before [`Node::on_start`], with no [`Context`] — there is no time yet.
    ///
    /// The default does nothing, which suits only a node that keeps no replica; every
    /// strategy in this crate overrides it (and the emulator refuses a node whose store does
    /// not hold the preloaded keys afterwards).
    fn preload(&mut self, initial: &VersionedStore) {
        let _ = initial;
    }

    /// A client reads `key` at this node.
    fn on_client_read(&self, key: Key) -> Option<Versioned> {
        self.store().get(key).copied()
    }

    /// The node's replica, for checkers that inspect state.
    fn store(&self) -> &VersionedStore;

    /// A fingerprint of the replicated state: equal on two nodes iff they hold the same data
    /// (up to hash collisions). Protocol bookkeeping (counters, timers) is not part of it.
    fn fingerprint(&self) -> u64 {
        self.store().fingerprint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anti_entropy::{AntiEntropyConfig, AntiEntropyNode};
    use crate::direct_mail::DirectMailNode;
    use crate::push_then_pull::PushThenPullNode;
    use crate::rumor::RumorNode;
    use crate::rumor_with_anti_entropy::RumorWithAntiEntropyNode;
    use crate::testkit::Sim;
    use crate::zoo::{BrokenAntiEntropyNode, Bug, FireAndForgetNode, ZooConfig};
    use crate::{UniformPeers, Version};

    const N: u32 = 12;

    fn initial() -> VersionedStore {
        let version = Version {
            stamp: 0,
            writer: NodeId(u32::MAX),
        };
        VersionedStore::from_sorted(
            (0..300)
                .map(|k| (k, Versioned { value: k, version }))
                .collect(),
        )
        .expect("sorted")
    }

    /// Runs a fresh cluster for a while with no client, every node preloaded if `preload`, and
    /// returns the messages sent; every node must end holding exactly what it started with and
    /// have learned nothing.
    fn quiet_run<N: Node>(preload: bool, make: impl FnMut(NodeId) -> N) -> u64 {
        let initial = if preload {
            initial()
        } else {
            VersionedStore::new()
        };
        let mut s = Sim::new(N, 1, make);
        for node in &mut s.nodes {
            node.preload(&initial);
        }
        s.run_for(SimDuration::from_secs(3));
        assert!(s.learned.is_empty(), "a preload is not an update");
        for node in &s.nodes {
            assert_eq!(node.store(), &initial);
        }
        s.sent
    }

    /// The messages a quiet cluster sends with and without a preload.
    fn sent_both_ways<N: Node>(make: impl FnMut(NodeId) -> N + Clone) -> (u64, u64) {
        (quiet_run(false, make.clone()), quiet_run(true, make))
    }

    #[test]
    fn every_strategy_takes_a_preload_as_state_and_spreads_none_of_it() {
        let peers = UniformPeers::new(N);
        // What spreads only what is new sends exactly what it sends without a preload.
        let (without, with) = sent_both_ways(|_| RumorNode::new(Default::default(), peers));
        assert_eq!((without, with), (0, 0));
        let (without, with) = sent_both_ways(|_| DirectMailNode::new(Default::default(), peers));
        assert_eq!((without, with), (0, 0));
        let (without, with) = sent_both_ways(|_| PushThenPullNode::new(Default::default(), peers));
        assert_eq!(without, with, "pull requests only");
        let zoo = ZooConfig::new(Bug::NoRetryAfterLoss);
        let (without, with) = sent_both_ways(|_| FireAndForgetNode::new(zoo, N));
        assert_eq!((without, with), (0, 0));
        // Anti-entropy reconciles every period, and finds nothing to change.
        sent_both_ways(|_| AntiEntropyNode::new(AntiEntropyConfig::default(), peers));
        sent_both_ways(|_| RumorWithAntiEntropyNode::new(Default::default(), peers));
        let zoo = ZooConfig::new(Bug::LosesAckedWritesOnRestart);
        sent_both_ways(|_| BrokenAntiEntropyNode::new(zoo, peers));
    }

    /// A context that keeps its sends; everything else it is never asked for.
    struct Outbox(Vec<(NodeId, String)>);

    impl Context<String> for Outbox {
        type Rng = rand_pcg::Pcg64Mcg;
        fn now(&self) -> SimTime {
            SimTime::ZERO
        }
        fn me(&self) -> NodeId {
            NodeId(0)
        }
        fn rng(&mut self) -> &mut Self::Rng {
            unreachable!("not drawn from")
        }
        fn send(&mut self, to: NodeId, msg: String) {
            self.0.push((to, msg));
        }
        fn set_timer(&mut self, _: SimDuration, _: TimerId) {}
        fn observe(&mut self, _: Observation) {}
    }

    /// Unless a driver overrides it, `send_each` is one `send` of the same message per peer,
    /// in order, with the message built once; for no peers it builds nothing.
    #[test]
    fn send_each_sends_the_message_to_every_peer_in_order() {
        let mut ctx = Outbox(Vec::new());
        let mut built = 0;
        ctx.send_each(&[NodeId(3), NodeId(1), NodeId(2)], || {
            built += 1;
            "hello".to_string()
        });
        let to: Vec<u32> = ctx.0.iter().map(|(p, _)| p.0).collect();
        assert_eq!(to, [3, 1, 2]);
        assert!(ctx.0.iter().all(|(_, m)| m == "hello"));
        assert_eq!(built, 1);
        ctx.send_each(&[], || unreachable!("nothing to build for no peers"));
        assert_eq!(ctx.0.len(), 3);
    }
}
