//! The network model: how long a message takes, and whether it arrives at all.

use crate::scenario::{Latency, NetworkSpec};
use hearsay_protocols::{SimDuration, coin, uniform_below};
use rand_core::Rng;

/// What the network does with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    /// It arrives after this delay.
    Arrives(SimDuration),
    /// It is lost.
    Lost,
}

/// Latency and independent loss, sampled from the network's own RNG stream.
#[derive(Clone, Copy, Debug)]
pub struct NetworkModel {
    spec: NetworkSpec,
}

impl NetworkModel {
    /// A model of `spec`.
    pub fn new(spec: NetworkSpec) -> Self {
        NetworkModel { spec }
    }

    /// The fate of one message.
    #[inline]
    pub fn transit<R: Rng>(&self, rng: &mut R) -> Transit {
        if self.spec.loss > 0.0 && coin(rng, self.spec.loss) {
            return Transit::Lost;
        }
        Transit::Arrives(self.latency(rng))
    }

    #[inline]
    fn latency<R: Rng>(&self, rng: &mut R) -> SimDuration {
        match self.spec.latency {
            Latency::Constant(d) => d,
            Latency::Uniform { min, max } => {
                let span = max.as_nanos() - min.as_nanos();
                SimDuration(min.as_nanos() + uniform_below(rng, span + 1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn loss_rate_and_latency_bounds_hold() {
        let spec = NetworkSpec {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(10),
            },
            loss: 0.1,
            mtu: None,
        };
        let model = NetworkModel::new(spec);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut lost = 0;
        for _ in 0..100_000 {
            match model.transit(&mut rng) {
                Transit::Lost => lost += 1,
                Transit::Arrives(d) => {
                    assert!(d >= SimDuration::from_millis(1) && d <= SimDuration::from_millis(10))
                }
            }
        }
        assert!((9_500..10_500).contains(&lost), "{lost}");
    }
}
