//! The single-rumor workload: one update written at one node, then left to spread.

use crate::{ClientOp, Op};
use hearsay_protocols::{Key, NodeId, SimTime, Value, uniform_below};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// Where the update is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// At this node.
    Node(NodeId),
    /// At a node drawn uniformly from the workload's RNG stream (a different origin per seed).
    Random,
}

/// One update injected at one node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SingleRumor {
    /// When the client writes.
    pub at: SimTime,
    /// Where.
    pub origin: Origin,
    /// The key written.
    pub key: Key,
    /// The value written.
    pub value: Value,
}

impl Default for SingleRumor {
    fn default() -> Self {
        SingleRumor {
            at: SimTime::ZERO,
            origin: Origin::Node(NodeId(0)),
            key: 1,
            value: 1,
        }
    }
}

impl SingleRumor {
    pub(crate) fn generate<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<ClientOp> {
        let node = match self.origin {
            Origin::Node(n) => n,
            Origin::Random => NodeId(uniform_below(rng, u64::from(nodes.max(1))) as u32),
        };
        vec![ClientOp {
            at: self.at,
            node,
            op: Op::Write {
                key: self.key,
                value: self.value,
            },
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workload;
    use rand_core::SeedableRng;

    #[test]
    fn a_random_origin_depends_on_the_stream_and_stays_in_the_cluster() {
        let w = Workload::SingleRumor(SingleRumor {
            origin: Origin::Random,
            ..Default::default()
        });
        let origins: std::collections::BTreeSet<u32> = (0..50)
            .map(|seed| {
                let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
                let ops = w.generate(10, &mut rng);
                assert_eq!(ops.len(), 1);
                ops[0].node.0
            })
            .collect();
        assert!(origins.len() > 5, "{origins:?}");
        assert!(origins.iter().all(|&n| n < 10));
    }
}
