//! Sampling latency distributions from an RNG stream.
//!
//! Inverse-CDF and Box–Muller samplers over the stream's 64-bit words: a few lines each, no
//! extra dependency, and one or two words per sample. The floating-point functions they use
//! (`ln`, `exp`, `cos`, `powf`) come from the platform's math library, so heavy-tailed
//! latencies are reproducible on one platform bit for bit; constant and uniform latencies are
//! integer arithmetic and reproducible everywhere.

use hearsay_faults::Latency;
use hearsay_protocols::{SimDuration, uniform_below};
use rand_core::Rng;

/// Normal draws below zero are drawn again at most this often before the sample is clamped
/// to zero (the chance of reaching it is below 2^-64 for a non-negative mean).
const MAX_REDRAWS: u32 = 64;

/// One latency drawn from `latency`. Constant and uniform latencies (the common case) are
/// inlined into the send path; the others are drawn out of line.
#[inline(always)]
pub fn sample<R: Rng + ?Sized>(latency: &Latency, rng: &mut R) -> SimDuration {
    match *latency {
        Latency::Constant(d) => d,
        Latency::Uniform { min, max } => {
            let span = max.as_nanos() - min.as_nanos();
            SimDuration(min.as_nanos() + uniform_below(rng, span + 1))
        }
        _ => sample_shaped(latency, rng),
    }
}

#[inline(never)]
fn sample_shaped<R: Rng + ?Sized>(latency: &Latency, rng: &mut R) -> SimDuration {
    match *latency {
        Latency::Normal { mean, sd } => {
            for _ in 0..MAX_REDRAWS {
                let x = mean.as_nanos() as f64 + sd.as_nanos() as f64 * standard_normal(rng);
                if x >= 0.0 {
                    return nanos(x);
                }
            }
            SimDuration::ZERO
        }
        Latency::LogNormal { median, sigma } => {
            nanos(median.as_nanos() as f64 * (sigma * standard_normal(rng)).exp())
        }
        Latency::Pareto { scale, shape } => {
            nanos(scale.as_nanos() as f64 / unit_open(rng).powf(1.0 / shape))
        }
        Latency::Constant(_) | Latency::Uniform { .. } => sample(latency, rng),
    }
}

/// A uniform float in `(0, 1]`, from 53 random bits.
#[inline]
fn unit_open<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box–Muller, one of the pair).
#[inline]
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let r = (-2.0 * unit_open(rng).ln()).sqrt();
    let theta = std::f64::consts::TAU * unit_open(rng);
    r * theta.cos()
}

/// Nanoseconds, rounded; saturating at the longest representable duration.
#[inline]
fn nanos(x: f64) -> SimDuration {
    SimDuration(x.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn draws(l: Latency, n: usize) -> Vec<f64> {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut v: Vec<f64> = (0..n)
            .map(|_| sample(&l, &mut rng).as_millis_f64())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    #[test]
    fn normal_has_its_mean_and_spread_and_never_goes_negative() {
        let v = draws(
            Latency::Normal {
                mean: ms(20),
                sd: ms(5),
            },
            100_000,
        );
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!((19.9..20.1).contains(&mean), "{mean}");
        assert!((4.9..5.1).contains(&var.sqrt()), "{}", var.sqrt());
        let truncated = draws(
            Latency::Normal {
                mean: ms(1),
                sd: ms(5),
            },
            10_000,
        );
        assert!(truncated[0] >= 0.0);
    }

    #[test]
    fn log_normal_has_its_median_and_a_long_right_tail() {
        let v = draws(
            Latency::LogNormal {
                median: ms(10),
                sigma: 1.0,
            },
            100_000,
        );
        let median = v[v.len() / 2];
        assert!((9.8..10.2).contains(&median), "{median}");
        // The 97.7th percentile of a log-normal with sigma 1 is median · e^2 ≈ 73.9 ms.
        let p977 = v[v.len() * 977 / 1000];
        assert!((70.0..78.0).contains(&p977), "{p977}");
    }

    #[test]
    fn pareto_starts_at_its_scale_and_follows_its_tail() {
        let v = draws(
            Latency::Pareto {
                scale: ms(2),
                shape: 1.5,
            },
            100_000,
        );
        assert!(v[0] >= 2.0);
        // P(X > x) = (scale / x)^shape: one in 1,000 draws exceeds 2 ms · 1000^(1/1.5) = 200 ms.
        let over = v.iter().filter(|&&x| x > 200.0).count();
        assert!((80..120).contains(&over), "{over}");
    }
}
