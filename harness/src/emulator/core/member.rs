//! One member of the emulated cluster: its node and the emulator's bookkeeping for it (its RNG
//! stream, its incarnation, whether its process runs), side by side in memory.
//!
//! At 10^5–10^6 nodes every event touches one member at random, and what an event costs is
//! mostly how many distinct random places in memory it reaches: a timer read the node, its RNG,
//! its incarnation and its liveness from four arrays, four misses to overlap. Kept together they
//! are a few adjacent cache lines, which the look-ahead prefetch asks for at once (on this
//! machine a second random array per access cost 10 ns more, a second adjacent line 2 ns).

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
