//! The peer sampling service: how a node picks whom to gossip with.
//!
//! Strategies never choose peers themselves; they ask a [`PeerSampler`]. That keeps the
//! dissemination logic separate from the membership view, so the same strategy can be measured
//! over full membership, partial views or fixed topologies.

use crate::{NodeId, uniform_below};
use rand_core::Rng;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// The peers drawn for one round. Fanouts are small, so the list lives on the caller's stack:
/// a node keeps no buffer of its own (at 10^6 nodes a per-node `Vec` cost an allocation and a
/// cache miss per round).
pub type PeerList = SmallVec<[NodeId; PEER_LIST_INLINE]>;

/// Peers a [`PeerList`] holds without allocating.
pub const PEER_LIST_INLINE: usize = 8;

/// Room for one round's peers on the caller's stack: a plain array for a fanout that fits it
/// (drawn by [`PeerSampler::sample_few`]), a [`PeerList`] beyond.
#[derive(Debug, Default)]
pub struct RoundPeers {
    few: [NodeId; PEER_LIST_INLINE],
    many: PeerList,
}

impl RoundPeers {
    /// Empty room.
    pub fn new() -> Self {
        Self::default()
    }

    /// Up to `count` distinct peers of `me` from `sampler`.
    #[inline(always)]
    pub fn draw<S: PeerSampler + ?Sized, R: Rng + ?Sized>(
        &mut self,
        sampler: &S,
        me: NodeId,
        count: usize,
        rng: &mut R,
    ) -> &[NodeId] {
        if count <= PEER_LIST_INLINE {
            let n = sampler.sample_few(me, count, rng, &mut self.few);
            &self.few[..n]
        } else {
            sampler.sample_distinct(me, count, rng, &mut self.many);
            &self.many
        }
    }
}

/// A source of gossip partners for one node.
pub trait PeerSampler {
    /// One peer other than `me`, or `None` if there is none.
    fn sample<R: Rng + ?Sized>(&self, me: NodeId, rng: &mut R) -> Option<NodeId>;

    /// Up to `count` distinct peers other than `me`, appended to `out` (which is cleared first).
    fn sample_distinct<R: Rng + ?Sized>(
        &self,
        me: NodeId,
        count: usize,
        rng: &mut R,
        out: &mut PeerList,
    );

    /// Up to `count` (at most [`PEER_LIST_INLINE`]) distinct peers other than `me`, written to
    /// the front of `out`; returns how many. The same draws as
    /// [`sample_distinct`](PeerSampler::sample_distinct), into a plain array: a gossip round
    /// that goes through a [`PeerList`] pays for its checks of where its storage lives.
    #[inline]
    fn sample_few<R: Rng + ?Sized>(
        &self,
        me: NodeId,
        count: usize,
        rng: &mut R,
        out: &mut [NodeId; PEER_LIST_INLINE],
    ) -> usize {
        let mut list = PeerList::new();
        self.sample_distinct(me, count.min(PEER_LIST_INLINE), rng, &mut list);
        out[..list.len()].copy_from_slice(&list);
        list.len()
    }

    /// How many peers this sampler can ever return to `me`.
    fn population(&self, me: NodeId) -> u32;

    /// Every peer this sampler can return to `me`, appended to `out` (which is cleared first):
    /// the membership a strategy such as direct mail addresses as a whole. The default draws
    /// [`population`](PeerSampler::population) distinct peers; samplers that know their members
    /// list them directly.
    fn all_peers<R: Rng + ?Sized>(&self, me: NodeId, rng: &mut R, out: &mut PeerList) {
        self.sample_distinct(me, self.population(me) as usize, rng, out);
    }
}

/// Uniform sampling over the full membership `0..members`.
///
/// The membership is dense, so the sampler stores only its size: O(1) memory per node, no
/// member list, which is what lets a million nodes each carry their own sampler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniformPeers {
    members: u32,
}

impl UniformPeers {
    /// A sampler over nodes `0..members`.
    pub fn new(members: u32) -> Self {
        UniformPeers { members }
    }

    /// One member other than `me`, uniformly (there must be at least two members): a draw
    /// from the n-1 others that skips over `me`, uniform without rejection.
    #[inline]
    fn other_than<R: Rng + ?Sized>(&self, me: NodeId, rng: &mut R) -> NodeId {
        let r = uniform_below(rng, u64::from(self.members - 1)) as u32;
        NodeId(if r >= me.0 { r + 1 } else { r })
    }

    /// The membership size.
    pub fn members(&self) -> u32 {
        self.members
    }
}

impl PeerSampler for UniformPeers {
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, me: NodeId, rng: &mut R) -> Option<NodeId> {
        (self.members >= 2).then(|| self.other_than(me, rng))
    }

    #[inline]
    fn sample_distinct<R: Rng + ?Sized>(
        &self,
        me: NodeId,
        count: usize,
        rng: &mut R,
        out: &mut PeerList,
    ) {
        out.clear();
        let available = self.population(me) as usize;
        let want = count.min(available);
        if want == 0 || self.members < 2 {
            return;
        }
        // Fanouts are small next to the membership, so rejecting repeats is cheap. A fanout
        // that fits the list's inline room is drawn into a plain array first: the list's own
        // push and search check where its storage lives on every call (a quarter of a gossip
        // round's instructions).
        if want <= PEER_LIST_INLINE {
            let mut picked = [NodeId(0); PEER_LIST_INLINE];
            let n = self.sample_few(me, want, rng, &mut picked);
            out.extend_from_slice(&picked[..n]);
        } else {
            while out.len() < want {
                let p = self.other_than(me, rng);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }

    #[inline]
    fn sample_few<R: Rng + ?Sized>(
        &self,
        me: NodeId,
        count: usize,
        rng: &mut R,
        out: &mut [NodeId; PEER_LIST_INLINE],
    ) -> usize {
        let want = count
            .min(PEER_LIST_INLINE)
            .min(self.population(me) as usize);
        if self.members < 2 {
            return 0;
        }
        // Fanouts are small next to the membership, so rejecting repeats is cheap.
        let mut n = 0;
        while n < want {
            let p = self.other_than(me, rng);
            if !out[..n].contains(&p) {
                out[n] = p;
                n += 1;
            }
        }
        n
    }

    fn population(&self, me: NodeId) -> u32 {
        if me.0 < self.members {
            self.members - 1
        } else {
            self.members
        }
    }

    fn all_peers<R: Rng + ?Sized>(&self, me: NodeId, _rng: &mut R, out: &mut PeerList) {
        out.clear();
        out.extend((0..self.members).filter(|&i| i != me.0).map(NodeId));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn never_returns_self_and_covers_everyone_else_evenly() {
        let s = UniformPeers::new(5);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut counts = [0u32; 5];
        for _ in 0..40_000 {
            counts[s.sample(NodeId(2), &mut rng).unwrap().index()] += 1;
        }
        assert_eq!(counts[2], 0);
        for (i, c) in counts.iter().enumerate().filter(|(i, _)| *i != 2) {
            assert!((9_500..10_500).contains(c), "peer {i}: {counts:?}");
        }
    }

    #[test]
    fn distinct_sampling_is_distinct_and_bounded_by_the_membership() {
        let s = UniformPeers::new(4);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2);
        let mut out = PeerList::new();
        s.sample_distinct(NodeId(0), 10, &mut rng, &mut out);
        out.sort();
        assert_eq!(out.as_slice(), [NodeId(1), NodeId(2), NodeId(3)]);
        assert_eq!(UniformPeers::new(1).sample(NodeId(0), &mut rng), None);
    }

    /// A round's peers drawn into the array, into a list, or through `RoundPeers` (either
    /// side of its inline room) are the same peers from the same draws.
    #[test]
    fn every_way_of_drawing_a_round_gives_the_same_peers() {
        let s = UniformPeers::new(50);
        for count in [0, 1, 3, PEER_LIST_INLINE, PEER_LIST_INLINE + 1, 49, 60] {
            let seeded = || rand_pcg::Pcg64Mcg::seed_from_u64(count as u64);
            let mut list = PeerList::new();
            s.sample_distinct(NodeId(7), count, &mut seeded(), &mut list);
            assert_eq!(list.len(), count.min(49));
            let mut room = RoundPeers::new();
            let drawn = room.draw(&s, NodeId(7), count, &mut seeded());
            assert_eq!(drawn, list.as_slice(), "count {count}");
            if count <= PEER_LIST_INLINE {
                let mut few = [NodeId(0); PEER_LIST_INLINE];
                let n = s.sample_few(NodeId(7), count, &mut seeded(), &mut few);
                assert_eq!(&few[..n], list.as_slice(), "count {count}");
            }
        }
    }

    #[test]
    fn all_peers_lists_everyone_but_me_in_order() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut out = PeerList::from_slice(&[NodeId(9)]);
        UniformPeers::new(4).all_peers(NodeId(1), &mut rng, &mut out);
        assert_eq!(out.as_slice(), [NodeId(0), NodeId(2), NodeId(3)]);
    }

    #[test]
    fn the_sampler_is_constant_size() {
        assert_eq!(std::mem::size_of::<UniformPeers>(), 4);
    }
}
