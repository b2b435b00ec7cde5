//! Analytic results of the epidemic literature, drawn beside the simulated curves.
//!
//! - **SIR residue root** (Demers et al., 1987, rumor mongering with feedback and a coin): the
//!   residue `s` is the root in (0, 1) of `s = e^{-(k+1)(1-s)}`; each site then receives on
//!   average `m = -ln s` messages, so push rumor mongering's cost frontier is `s = e^{-m}`.
//! - **Push rounds** (Frieze–Grimmett, Pittel 1987): push gossip with fanout 1 informs all `n`
//!   nodes in `log2(n) + ln(n) + O(1)` rounds; with fanout `f`, `log_{1+f}(n) + ln(n)/f`.
//! - **Serf's logistic curve** (the convergence simulator on serf.io): with fanout `f`, loss
//!   `p` and `n` nodes, the infected fraction after `x` gossip rounds is
//!   `1 / (1 + (n+1)·e^{-c·n·x})`, with contact rate `c = (f/n)·(1-p)·0.5`.

/// The residue `s` predicted by the SIR model for removal parameter `k`: the root in (0, 1) of
/// `s = e^{-(k+1)(1-s)}`. For `k = 1` it is 0.203, for `k = 2` 0.060, for `k = 3` 0.020.
pub fn sir_residue(k: f64) -> f64 {
    let c = k + 1.0;
    if c <= 1.0 {
        return 1.0;
    }
    // f(s) = s - e^{-c(1-s)} is negative at 0 and positive just below 1 when c > 1.
    let f = |s: f64| s - (-c * (1.0 - s)).exp();
    let (mut lo, mut hi) = (0.0f64, 1.0 - 1e-12);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Traffic `m` (messages received per site) that goes with residue `s` on the push frontier
/// `s = e^{-m}`.
pub fn push_traffic_for_residue(s: f64) -> f64 {
    -s.max(f64::MIN_POSITIVE).ln()
}

/// Rounds for push gossip with `fanout` to reach all of `n` nodes:
/// `log_{1+fanout}(n) + ln(n)/fanout` (`log2(n) + ln(n)` for fanout 1).
pub fn push_rounds(n: f64, fanout: f64) -> f64 {
    if n <= 1.0 || fanout <= 0.0 {
        return 0.0;
    }
    n.ln() / (1.0 + fanout).ln() + n.ln() / fanout
}

/// The fraction of `n` nodes infected after `rounds` gossip rounds in Serf's convergence
/// simulator: `1 / (1 + (n+1)·e^{-c·n·rounds})` with `c = (fanout/n)·(1-loss)·0.5`.
pub fn serf_logistic(n: f64, fanout: f64, loss: f64, rounds: f64) -> f64 {
    let contact = (fanout / n) * (1.0 - loss) * 0.5;
    1.0 / (1.0 + (n + 1.0) * (-contact * n * rounds).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sir_roots_match_the_paper() {
        // Demers et al. give s ≈ 0.20, 0.06, 0.02 for k = 1, 2, 3 (feedback, coin).
        assert!(
            (sir_residue(1.0) - 0.2032).abs() < 1e-3,
            "{}",
            sir_residue(1.0)
        );
        assert!(
            (sir_residue(2.0) - 0.0595).abs() < 1e-3,
            "{}",
            sir_residue(2.0)
        );
        assert!(
            (sir_residue(3.0) - 0.0198).abs() < 1e-3,
            "{}",
            sir_residue(3.0)
        );
        let s = sir_residue(2.0);
        assert!((s - (-3.0 * (1.0 - s)).exp()).abs() < 1e-9);
        assert!((push_traffic_for_residue(s) - 3.0 * (1.0 - s)).abs() < 1e-6);
    }

    #[test]
    fn push_rounds_for_a_thousand_nodes() {
        // log2(1000) + ln(1000) = 9.97 + 6.91.
        assert!((push_rounds(1000.0, 1.0) - 16.874).abs() < 1e-3);
        assert!(push_rounds(1000.0, 3.0) < push_rounds(1000.0, 1.0));
    }

    #[test]
    fn serf_curve_is_logistic() {
        let at = |r| serf_logistic(30.0, 3.0, 0.0, r);
        assert!(at(0.0) < 0.05);
        assert!(at(20.0) > 0.999);
        assert!(at(5.0) > at(4.0));
    }
}
