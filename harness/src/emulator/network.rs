//! The network model: how long a message takes, and whether it arrives at all.

use super::latency::sample;
use crate::scenario::NetworkSpec;
use hearsay_protocols::{SimDuration, coin};
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
        if self.lost(rng) {
            return Transit::Lost;
        }
        Transit::Arrives(self.latency(rng))
    }

    /// Whether one message is lost to the base loss rate.
    #[inline]
    pub fn lost<R: Rng>(&self, rng: &mut R) -> bool {
        self.spec.loss > 0.0 && coin(rng, self.spec.loss)
    }

    /// The base loss rate.
    #[inline]
    pub fn loss(&self) -> f64 {
        self.spec.loss
    }

    /// One draw of the base latency.
    #[inline]
    pub fn latency<R: Rng>(&self, rng: &mut R) -> SimDuration {
        sample(&self.spec.latency, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Latency;
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
