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
//! The cluster's members lie in a [`LineVec`](crate::emulator::line_vec::LineVec), laid out
//! to span as few lines as they can without much padding: anti-entropy (96 bytes) and rumor
//! members (160) from half lines, direct mail and push-then-pull members one to a line,
//! rumor-with-anti-entropy members packed.

use super::StreamRng;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::line_vec::{Layout, LineVec};
    use hearsay_protocols::UniformPeers;
    use hearsay_protocols::anti_entropy::AntiEntropyNode;
    use hearsay_protocols::rumor::RumorNode;

    /// An anti-entropy member (96 bytes) and a rumor member (160) each start a half line:
    /// two lines and three, with no padding; packed they could span three and four.
    #[test]
    fn members_start_half_lines_where_that_saves_a_line() {
        type Ae = Member<AntiEntropyNode<UniformPeers>>;
        type Rumor = Member<RumorNode<UniformPeers>>;
        assert_eq!(
            [std::mem::size_of::<Ae>(), std::mem::size_of::<Rumor>()],
            [96, 160]
        );
        let layouts = [LineVec::<Ae>::LAYOUT, LineVec::<Rumor>::LAYOUT];
        assert_eq!(layouts, [Layout::HalfLine, Layout::HalfLine]);
        assert_eq!([LineVec::<Ae>::LINES, LineVec::<Rumor>::LINES], [2, 3]);
    }
}
