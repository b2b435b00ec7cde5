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
//! to span as few lines as they can without much padding: anti-entropy members (96 bytes)
//! from half lines; rumor (128) and direct mail members one to a line; push-then-pull and
//! rumor-with-anti-entropy members (144) packed.

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

    /// An anti-entropy member (96 bytes) starts a half line and spans two lines; a rumor
    /// member (128) starts a line and spans two; rumor-with-anti-entropy and push-then-pull
    /// members (144) stay packed, three lines at most, as aligned they would be.
    #[test]
    fn members_span_as_few_lines_as_they_can_without_padding() {
        use hearsay_protocols::push_then_pull::PushThenPullNode;
        use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyNode;
        type Ae = Member<AntiEntropyNode<UniformPeers>>;
        type Rumor = Member<RumorNode<UniformPeers>>;
        type Both = Member<RumorWithAntiEntropyNode<UniformPeers>>;
        type Ptp = Member<PushThenPullNode<UniformPeers>>;
        use std::mem::size_of;
        assert_eq!(
            [
                size_of::<Ae>(),
                size_of::<Rumor>(),
                size_of::<Both>(),
                size_of::<Ptp>()
            ],
            [96, 128, 144, 144]
        );
        let layouts = [
            LineVec::<Ae>::LAYOUT,
            LineVec::<Rumor>::LAYOUT,
            LineVec::<Both>::LAYOUT,
            LineVec::<Ptp>::LAYOUT,
        ];
        use Layout::*;
        assert_eq!(layouts, [HalfLine, Line, Packed, Packed]);
        let lines = [
            LineVec::<Ae>::LINES,
            LineVec::<Rumor>::LINES,
            LineVec::<Both>::LINES,
            LineVec::<Ptp>::LINES,
        ];
        assert_eq!(lines, [2, 2, 3, 3]);
    }
}
