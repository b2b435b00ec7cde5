//! Gossip cycles: when a node's periodic timer fires.
//!
//! Asynchronous (the default): each node draws a phase in `[0, period)` at start and ticks at
//! `phase + i·period`, so the cluster's exchanges are spread evenly over a period, as in a real
//! deployment with unsynchronised clocks. Synchronous: every node ticks at the multiples of the
//! period, all at once, which is the synchronous-rounds model the analytic results of the
//! epidemic literature assume (Demers et al. 1987; Pittel 1987; Karp et al. 2000): everything
//! sent in round `r` arrives (latency permitting) before anyone acts in round `r + 1`.

use crate::{SimDuration, SimTime, uniform_below};
use rand_core::Rng;

/// A node's cycle: its period and phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Cycle {
    phase: u64,
}

impl Cycle {
    /// Draws the phase for a node with `period` (zero when `synchronous`). The draw happens
    /// either way, so that switching the option does not shift the node's random stream.
    pub fn draw<R: Rng + ?Sized>(rng: &mut R, period: SimDuration, synchronous: bool) -> Self {
        let phase = uniform_below(rng, period.as_nanos().max(1));
        Cycle {
            phase: if synchronous { 0 } else { phase },
        }
    }

    /// The delay from `now` until the node's next tick (strictly later than `now`).
    pub fn until_next(&self, now: SimTime, period: SimDuration) -> SimDuration {
        let period = period.as_nanos().max(1);
        let offset = (now.as_nanos() % period + period - self.phase % period) % period;
        SimDuration(period - offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronous_ticks_fall_on_multiples_of_the_period() {
        let mut rng = <rand_pcg::Pcg64Mcg as rand_core::SeedableRng>::seed_from_u64(1);
        let p = SimDuration::from_millis(100);
        let c = Cycle::draw(&mut rng, p, true);
        assert_eq!(c.until_next(SimTime(0), p), p);
        assert_eq!(
            c.until_next(SimTime(130_000_000), p),
            SimDuration::from_millis(70)
        );
        assert_eq!(c.until_next(SimTime(200_000_000), p), p);
        let a = Cycle::draw(&mut rng, p, false);
        let first = SimTime(0) + a.until_next(SimTime(0), p);
        assert_eq!(a.until_next(first, p), p, "phased ticks are a period apart");
    }
}
