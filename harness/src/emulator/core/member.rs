//! One member of the emulated cluster: its node and the emulator's bookkeeping for it (its RNG
//! stream, its incarnation, whether its process runs), side by side in memory; and how the
//! cluster's members lie in memory.
//!
//! At 10^5–10^6 nodes every event touches one member at random, and what an event costs is
//! mostly how many distinct random places in memory it reaches: a timer read the node, its RNG,
//! its incarnation and its liveness from four arrays, four misses to overlap. Kept together they
//! are a few adjacent cache lines, which the look-ahead prefetch asks for at once (on this
//! machine a second random array per access cost 10 ns more, a second adjacent line 2 ns).
//!
//! How many lines a member spans depends on where it starts: 112 bytes aligned to 16 span
//! three lines at most starts, two if it starts a line. So members lie one to a line boundary
//! (padded to a multiple of 64 bytes) when that saves a line at a cost of at most 16 bytes
//! each: the anti-entropy member (112 bytes, 128 aligned) ran 0.90x the wall time in the steady
//! state at 10^6 nodes (paired runs). Direct mail (176 to 192) and push-then-pull (184 to 192)
//! members lie aligned too. The rumor member (160 bytes, 192 aligned) ran 1.05x with 9% more
//! memory, and stays packed, as does rumor mongering with anti-entropy (208 to 256).

use super::StreamRng;
use crate::emulator::prefetch::{lines_spanned, prefetch_all};
use crate::huge_pages::huge_vec;
use std::mem::size_of;

/// A node with its RNG stream, incarnation and liveness.
pub(crate) struct Member<N> {
    /// The protocol's state machine.
    pub node: N,
    /// The node's own RNG stream (label `node`, its index).
    pub rng: StreamRng,
    /// Bumped whenever its process stops or starts: timers armed by an earlier incarnation
    /// die with it.
    pub incarnation: u32,
    /// Whether its process runs.
    pub alive: bool,
}

/// A member starting a cache line, padded to whole lines.
#[repr(align(64))]
struct LineAligned<T>(T);

/// Padding a member may take to start a line, at most.
const MOST_PADDING: usize = 16;

/// The cluster's members by index, packed or one to a line (see the module note): one of the
/// two vectors holds them all, which one is fixed by the node type at compile time.
pub(crate) struct Members<N> {
    packed: Vec<Member<N>>,
    aligned: Vec<LineAligned<Member<N>>>,
}

impl<N> Members<N> {
    /// Whether members of this node type lie one to a line.
    pub const LINE_ALIGNED: bool = {
        let padding = size_of::<LineAligned<Member<N>>>() - size_of::<Member<N>>();
        lines_spanned::<LineAligned<Member<N>>>() < lines_spanned::<Member<N>>()
            && padding <= MOST_PADDING
    };

    /// How many cache lines a member can span: what [`Members::prefetch`] asks for.
    pub const LINES: usize = if Self::LINE_ALIGNED {
        lines_spanned::<LineAligned<Member<N>>>()
    } else {
        lines_spanned::<Member<N>>()
    };

    /// `n` members, member `i` made by `make(i)`, in memory advised for huge pages.
    pub fn new(n: usize, mut make: impl FnMut(usize) -> Member<N>) -> Self {
        if Self::LINE_ALIGNED {
            Members {
                packed: Vec::new(),
                aligned: huge_vec(n, |i| LineAligned(make(i))),
            }
        } else {
            Members {
                packed: huge_vec(n, make),
                aligned: Vec::new(),
            }
        }
    }

    /// Bytes the members take.
    pub fn bytes(&self) -> usize {
        self.packed.len() * size_of::<Member<N>>()
            + self.aligned.len() * size_of::<LineAligned<Member<N>>>()
    }

    /// Every member, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &Member<N>> {
        self.packed.iter().chain(self.aligned.iter().map(|m| &m.0))
    }

    /// Every member, in index order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Member<N>> {
        self.packed
            .iter_mut()
            .chain(self.aligned.iter_mut().map(|m| &mut m.0))
    }

    /// Asks for every line of member `i`, if there is one (see `prefetch`).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        if Self::LINE_ALIGNED {
            if let Some(member) = self.aligned.get(i) {
                prefetch_all(member);
            }
        } else if let Some(member) = self.packed.get(i) {
            prefetch_all(member);
        }
    }
}

impl<N> std::ops::Index<usize> for Members<N> {
    type Output = Member<N>;

    #[inline(always)]
    fn index(&self, i: usize) -> &Member<N> {
        if Self::LINE_ALIGNED {
            &self.aligned[i].0
        } else {
            &self.packed[i]
        }
    }
}

impl<N> std::ops::IndexMut<usize> for Members<N> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut Member<N> {
        if Self::LINE_ALIGNED {
            &mut self.aligned[i].0
        } else {
            &mut self.packed[i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::UniformPeers;
    use hearsay_protocols::anti_entropy::AntiEntropyNode;
    use hearsay_protocols::rumor::RumorNode;
    use rand_core::SeedableRng;

    fn member<N>(node: N, i: usize) -> Member<N> {
        Member {
            node,
            rng: StreamRng::seed_from_u64(i as u64),
            incarnation: i as u32,
            alive: i.is_multiple_of(2),
        }
    }

    /// An anti-entropy member takes two lines, one to a line; a rumor member stays packed
    /// (aligned, it would take 32 bytes more).
    #[test]
    fn anti_entropy_members_take_two_lines_and_rumor_members_stay_packed() {
        type Ae = AntiEntropyNode<UniformPeers>;
        let aligned = [
            Members::<Ae>::LINE_ALIGNED,
            Members::<RumorNode<UniformPeers>>::LINE_ALIGNED,
        ];
        assert_eq!(aligned, [true, false]);
        assert_eq!(Members::<Ae>::LINES, 2);
        assert_eq!(size_of::<LineAligned<Member<Ae>>>(), 128);
    }

    /// Both layouts index, iterate and change the same members, and aligned ones start lines.
    #[test]
    fn both_layouts_hold_the_same_members() {
        fn check<N>(make: impl Fn() -> N) {
            let mut members = Members::new(5, |i| member(make(), i));
            assert_eq!(members.iter().count(), 5);
            members[3].incarnation = 30;
            for m in members.iter_mut().filter(|m| m.alive) {
                m.incarnation += 100;
            }
            let seen: Vec<u32> = members.iter().map(|m| m.incarnation).collect();
            assert_eq!(seen, [100, 1, 102, 30, 104]);
            assert_eq!(members[4].incarnation, 104);
            if Members::<N>::LINE_ALIGNED {
                assert!(
                    (0..5).all(|i| ((&members[i] as *const Member<N>) as usize).is_multiple_of(64))
                );
            }
        }
        check(|| AntiEntropyNode::new(Default::default(), UniformPeers::new(5)));
        check(|| RumorNode::new(Default::default(), UniformPeers::new(5)));
    }
}
