//! Labelled random streams derived from one root seed.
//!
//! Each consumer of randomness — the network, the fault generator, the workload, and every node —
//! draws from its own stream, derived from the root seed and a label. Adding a node or a fault
//! therefore never reshuffles what the other streams produce.

use rand_core::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The RNG type every stream uses: small (16 bytes, so a million nodes can each own one), fast,
/// and reproducible across platforms.
pub type StreamRng = Pcg64Mcg;

/// The root of a run's randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    root: u64,
}

impl RngStreams {
    /// Streams for the run with this seed.
    pub fn new(root: u64) -> Self {
        RngStreams { root }
    }

    /// The stream named `label`, instance `index` (e.g. `("node", 17)`).
    pub fn stream(&self, label: &str, index: u64) -> StreamRng {
        let mut h = 0xCBF2_9CE4_8422_2325u64; // FNV-1a over the label...
        for b in label.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        // ...then strong mixing of (root, label, index), so nearby seeds and indices diverge.
        let seed = mix(mix(self.root ^ mix(h)) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Pcg64Mcg::seed_from_u64(seed)
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let s = RngStreams::new(42);
        assert_eq!(
            s.stream("node", 3).next_u64(),
            s.stream("node", 3).next_u64()
        );
        let firsts = [
            s.stream("node", 3).next_u64(),
            s.stream("node", 4).next_u64(),
            s.stream("network", 3).next_u64(),
            RngStreams::new(43).stream("node", 3).next_u64(),
        ];
        for i in 0..firsts.len() {
            for j in 0..i {
                assert_ne!(firsts[i], firsts[j]);
            }
        }
    }
}
