//! Operation arrival times: a Poisson process at a rate, drawn from the workload's stream.

use crate::Rate;
use hearsay_protocols::{SimDuration, SimTime};
use rand_core::Rng;

/// Times of a Poisson process of `rate` over `[from, until)`. Exponential gaps are drawn by
/// inversion from 53-bit uniforms, so the sequence depends only on the RNG stream.
pub fn poisson_arrivals<R: Rng>(
    rate: Rate,
    from: SimTime,
    until: SimTime,
    rng: &mut R,
) -> Vec<SimTime> {
    let mut out = Vec::new();
    let mut t = from.as_nanos() as f64;
    let end = until.as_nanos() as f64;
    let mean_gap = 1e9 / rate.per_sec();
    loop {
        let u = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        t += -u.ln() * mean_gap;
        if t >= end {
            return out;
        }
        out.push(SimTime(t as u64));
    }
}

/// Evenly spaced times at `rate` over `[from, until)`, for deterministic ramps.
pub fn even_arrivals(rate: Rate, from: SimTime, until: SimTime) -> Vec<SimTime> {
    let gap = (1e9 / rate.per_sec()).max(1.0);
    let mut out = Vec::new();
    let mut t = from.as_nanos() as f64;
    while t < until.as_nanos() as f64 {
        out.push(SimTime(t as u64));
        t += gap;
    }
    out
}

/// `from + d` helper for readability.
pub(crate) fn after(from: SimTime, d: SimDuration) -> SimTime {
    from + d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn poisson_arrivals_average_to_the_rate() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let times = poisson_arrivals(
            Rate(100.0),
            SimTime::ZERO,
            SimTime(100_000_000_000),
            &mut rng,
        );
        assert!((9_500..10_500).contains(&times.len()), "{}", times.len());
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
}
