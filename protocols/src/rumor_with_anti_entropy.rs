//! Rumor mongering backed by anti-entropy (Demers et al. 1987, §1.4): rumors spread an update
//! fast and cheaply but leave a residue; a much slower anti-entropy removes it. Both run over one
//! replica, each with its own timer and configuration; their messages travel side by side.
//!
//! An update anti-entropy brings in is not rumored further (it is, by then, old news); the
//! rumor layer only spreads what was written locally or heard as a rumor.

use crate::anti_entropy::{
    AntiEntropyConfig, AntiEntropyEngine, AntiEntropyMessage, Reconciliation,
};
use crate::rumor::{RumorConfig, RumorEngine, RumorMessage};
use crate::{
    Context, Key, Message, Node, NodeId, Observation, PeerSampler, SimDuration, SimTime, TimerId,
    Value, Version, VersionedStore,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The parameters of rumor mongering backed by anti-entropy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RumorWithAntiEntropyConfig {
    /// The rumor layer.
    pub rumor: RumorConfig,
    /// The anti-entropy layer, normally with a much longer period than the rumor's.
    pub anti_entropy: AntiEntropyConfig,
}

impl Default for RumorWithAntiEntropyConfig {
    /// Push rumors (feedback + counter, k = 2, every 200 ms) backed by checksum push-pull
    /// anti-entropy every 2 s: once converged, the backing costs one digest per node per period.
    fn default() -> Self {
        RumorWithAntiEntropyConfig {
            rumor: RumorConfig::default(),
            anti_entropy: AntiEntropyConfig {
                period: SimDuration::from_secs(2),
                reconciliation: Reconciliation::Checksum,
                ..AntiEntropyConfig::default()
            },
        }
    }
}

/// A message of either layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RumorWithAntiEntropyMessage {
    /// A rumor-mongering message.
    Rumor(RumorMessage),
    /// An anti-entropy message.
    AntiEntropy(AntiEntropyMessage),
}

impl Message for RumorWithAntiEntropyMessage {
    #[inline]
    fn owns_heap(&self) -> bool {
        match self {
            RumorWithAntiEntropyMessage::Rumor(m) => m.owns_heap(),
            RumorWithAntiEntropyMessage::AntiEntropy(m) => m.owns_heap(),
        }
    }

    /// The inner message's size: the header's kind byte already tells the layers apart.
    #[inline]
    fn wire_size(&self) -> usize {
        match self {
            RumorWithAntiEntropyMessage::Rumor(m) => m.wire_size(),
            RumorWithAntiEntropyMessage::AntiEntropy(m) => m.wire_size(),
        }
    }

    #[inline]
    fn kind(&self) -> &'static str {
        match self {
            RumorWithAntiEntropyMessage::Rumor(m) => m.kind(),
            RumorWithAntiEntropyMessage::AntiEntropy(m) => m.kind(),
        }
    }
}

const RUMOR_LANE: u32 = 0;
const ANTI_ENTROPY_LANE: u32 = 1;

/// One layer's view of the node's context: its messages are wrapped into the combined type,
/// its timer ids interleaved with the other layer's.
struct Lane<'a, C, M> {
    inner: &'a mut C,
    wrap: fn(M) -> RumorWithAntiEntropyMessage,
    lane: u32,
}

impl<C: Context<RumorWithAntiEntropyMessage>, M> Context<M> for Lane<'_, C, M> {
    type Rng = C::Rng;

    fn now(&self) -> SimTime {
        self.inner.now()
    }
    fn me(&self) -> NodeId {
        self.inner.me()
    }
    fn rng(&mut self) -> &mut C::Rng {
        self.inner.rng()
    }
    fn send(&mut self, to: NodeId, msg: M) {
        self.inner.send(to, (self.wrap)(msg));
    }
    fn set_timer(&mut self, after: SimDuration, timer: TimerId) {
        self.inner
            .set_timer(after, TimerId(timer.0 * 2 + self.lane));
    }
    fn observe(&mut self, observation: Observation) {
        self.inner.observe(observation);
    }
}

fn rumor_lane<C>(ctx: &mut C) -> Lane<'_, C, RumorMessage> {
    Lane {
        inner: ctx,
        wrap: RumorWithAntiEntropyMessage::Rumor,
        lane: RUMOR_LANE,
    }
}

fn anti_entropy_lane<C>(ctx: &mut C) -> Lane<'_, C, AntiEntropyMessage> {
    Lane {
        inner: ctx,
        wrap: RumorWithAntiEntropyMessage::AntiEntropy,
        lane: ANTI_ENTROPY_LANE,
    }
}

/// One node running both layers over one replica.
#[derive(Clone, Debug)]
pub struct RumorWithAntiEntropyNode<S> {
    rumor: RumorEngine<S>,
    anti_entropy: AntiEntropyEngine<S>,
    store: VersionedStore,
}

impl<S: PeerSampler + Clone> RumorWithAntiEntropyNode<S> {
    /// A fresh node with an empty store; both layers sample peers from `sampler`.
    pub fn new(config: RumorWithAntiEntropyConfig, sampler: S) -> Self {
        Self::with_anti_entropy(
            Arc::new(config.rumor),
            Arc::new(config.anti_entropy),
            sampler,
        )
    }

    /// Makes the nodes of a cluster: fresh nodes whose layers share one copy of each layer's
    /// configuration (as [`crate::anti_entropy::AntiEntropyNode::factory`] and
    /// [`crate::rumor::RumorNode::factory`] do).
    pub fn factory(
        config: RumorWithAntiEntropyConfig,
        sampler: S,
    ) -> impl Fn(NodeId) -> Self + Clone + use<S> {
        let rumor = Arc::new(config.rumor);
        let anti_entropy = Arc::new(config.anti_entropy);
        move |_| {
            let rumor = Arc::clone(&rumor);
            Self::with_anti_entropy(rumor, Arc::clone(&anti_entropy), sampler.clone())
        }
    }

    fn with_anti_entropy(
        rumor: Arc<RumorConfig>,
        anti_entropy: Arc<AntiEntropyConfig>,
        sampler: S,
    ) -> Self {
        RumorWithAntiEntropyNode {
            rumor: RumorEngine::new(rumor, sampler.clone()),
            anti_entropy: AntiEntropyEngine::new(anti_entropy, sampler),
            store: VersionedStore::new(),
        }
    }

    /// The number of updates the rumor layer is still spreading.
    pub fn hot_count(&self) -> usize {
        self.rumor.hot_count()
    }
}

impl<S: PeerSampler + Clone> Node for RumorWithAntiEntropyNode<S> {
    type Message = RumorWithAntiEntropyMessage;

    fn on_start<C: Context<RumorWithAntiEntropyMessage>>(&mut self, ctx: &mut C) {
        self.rumor.on_start(&mut rumor_lane(ctx));
        self.anti_entropy.on_start(&mut anti_entropy_lane(ctx));
    }

    fn on_timer<C: Context<RumorWithAntiEntropyMessage>>(&mut self, ctx: &mut C, timer: TimerId) {
        let inner = TimerId(timer.0 / 2);
        if timer.0 % 2 == RUMOR_LANE {
            self.rumor
                .on_timer(&self.store, &mut rumor_lane(ctx), inner);
        } else {
            self.anti_entropy
                .on_timer(&self.store, &mut anti_entropy_lane(ctx), inner);
        }
    }

    fn on_message<C: Context<RumorWithAntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        from: NodeId,
        msg: &RumorWithAntiEntropyMessage,
    ) {
        match msg {
            RumorWithAntiEntropyMessage::Rumor(m) => {
                // The rumor layer merges into the shared replica; a Merkle tree follows the
                // keys it may have changed instead of being rebuilt for them.
                let watch = self
                    .anti_entropy
                    .watch(&self.store, m.updates().iter().map(|(k, _)| *k));
                self.rumor
                    .on_message(&mut self.store, &mut rumor_lane(ctx), from, m);
                self.anti_entropy.watched(&self.store, watch);
            }
            RumorWithAntiEntropyMessage::AntiEntropy(m) => {
                self.anti_entropy
                    .on_message(&mut self.store, &mut anti_entropy_lane(ctx), from, m)
            }
        }
    }

    fn on_client_write<C: Context<RumorWithAntiEntropyMessage>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let watch = self.anti_entropy.watch(&self.store, [key]);
        let version = self
            .rumor
            .on_client_write(&mut self.store, &mut rumor_lane(ctx), key, value);
        self.anti_entropy.watched(&self.store, watch);
        version
    }

    fn preload(&mut self, initial: &VersionedStore) {
        // One replica under both layers; anti-entropy's rule is the strategy's (as the
        // scenario model reports it). Nothing becomes a hot rumor.
        self.store.preload(initial, self.anti_entropy.conflict());
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UniformPeers;
    use crate::rumor::Removal;
    use crate::testkit::Sim;

    #[test]
    fn anti_entropy_removes_the_residue_rumors_leave() {
        let n = 300;
        let config = RumorWithAntiEntropyConfig {
            rumor: RumorConfig {
                k: 1,
                removal: Removal::BlindCounter,
                ..RumorConfig::default()
            },
            ..Default::default()
        };
        let mut s = Sim::new(n, 4, |_| {
            RumorWithAntiEntropyNode::new(config, UniformPeers::new(n))
        });
        s.write(NodeId(0), 1, 1);
        // Blind counter k=1: each node pushes once. That dies out long before everyone knows.
        s.run_for(SimDuration::from_millis(1900));
        let after_rumor = s.holders(1);
        assert!(after_rumor < n as usize, "no residue to remove");
        assert!(s.nodes.iter().all(|n| n.hot_count() == 0));
        s.run_for(SimDuration::from_secs(30));
        assert_eq!(s.holders(1), n as usize);
        assert!(s.converged());
        assert!(s.kinds["rumor-push"] > 0 && s.kinds["ae-digest"] > 0);
        assert!(s.count("ae-in-sync") > 0);
    }

    /// The nodes a factory makes share both layers' configurations.
    #[test]
    fn a_factorys_nodes_share_both_configurations() {
        let make = RumorWithAntiEntropyNode::factory(
            RumorWithAntiEntropyConfig::default(),
            UniformPeers::new(3),
        );
        let (a, b) = (make(NodeId(0)), make(NodeId(1)));
        assert!(a.rumor.shares_config_with(&b.rumor));
        assert!(a.anti_entropy.shares_config_with(&b.anti_entropy));
        let c = RumorWithAntiEntropyNode::new(Default::default(), UniformPeers::new(3));
        assert!(
            !c.rumor.shares_config_with(&a.rumor),
            "a node of its own has its own"
        );
    }
}
