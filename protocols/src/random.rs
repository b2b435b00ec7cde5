//! Randomness helpers over an RNG passed in by the driver (never a global one).

use rand_core::Rng;

/// A uniform integer in `0..n` (n > 0), unbiased, by Lemire's multiply-and-reject method.
#[inline]
pub fn uniform_below<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    debug_assert!(n > 0, "uniform_below(0)");
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// True with probability `p` (clamped to `[0, 1]`).
#[inline]
pub fn coin<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    if p <= 0.0 {
        return false;
    }
    if p >= 1.0 {
        return true;
    }
    // 53 random bits give a uniform float in [0, 1).
    ((rng.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn uniform_below_covers_the_range_evenly() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[uniform_below(&mut rng, 7) as usize] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn coin_matches_its_probability() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(8);
        let heads = (0..100_000).filter(|_| coin(&mut rng, 0.25)).count();
        assert!((24_000..26_000).contains(&heads), "{heads}");
        assert!(!coin(&mut rng, 0.0));
        assert!(coin(&mut rng, 1.0));
    }
}
