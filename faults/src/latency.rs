//! Latency distributions: how long one message takes on a link.
//!
//! The network's base latency and the per-link latency and delay faults share this
//! description. The emulator samples it (from the network's RNG stream); this module only says
//! what each distribution is and checks its parameters. Heavy tails are there on purpose:
//! log-normal and Pareto latencies are what real wide-area links show, and what makes
//! "the last node to learn" much later than "the average node".

use hearsay_protocols::SimDuration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A latency distribution over non-negative durations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Latency {
    /// Every message takes exactly this long.
    Constant(SimDuration),
    /// Uniform in `[min, max]` (integer nanoseconds).
    Uniform {
        /// Shortest latency.
        min: SimDuration,
        /// Longest latency.
        max: SimDuration,
    },
    /// Normal with this mean and standard deviation, truncated at zero (negative draws are
    /// drawn again, so the shape above zero is the normal's).
    Normal {
        /// The mean.
        mean: SimDuration,
        /// The standard deviation.
        sd: SimDuration,
    },
    /// Log-normal: `median · e^(sigma · Z)` with `Z` standard normal. `sigma` around 0.5–1
    /// gives the long right tail of wide-area links.
    LogNormal {
        /// The median (`e^mu`).
        median: SimDuration,
        /// The standard deviation of the logarithm.
        sigma: f64,
    },
    /// Pareto (type I): `scale / U^(1/shape)`, never below `scale`. A shape at or below 2
    /// has infinite variance, at or below 1 infinite mean: a few messages take very long.
    Pareto {
        /// The minimum latency (`x_m`).
        scale: SimDuration,
        /// The tail index (`alpha`), greater than 0.
        shape: f64,
    },
}

impl Latency {
    /// Checks the parameters, explaining the first one that is wrong.
    pub fn check(&self) -> Result<(), String> {
        match *self {
            Latency::Constant(_) | Latency::Normal { .. } => Ok(()),
            Latency::Uniform { min, max } => {
                if min > max {
                    Err(format!(
                        "uniform latency needs min <= max, got {min} > {max}"
                    ))
                } else {
                    Ok(())
                }
            }
            Latency::LogNormal { sigma, .. } => {
                if sigma.is_finite() && sigma >= 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "log-normal sigma must be a finite number >= 0, got {sigma}"
                    ))
                }
            }
            Latency::Pareto { scale, shape } => {
                if !(shape.is_finite() && shape > 0.0) {
                    Err(format!(
                        "Pareto shape must be a finite number > 0, got {shape}"
                    ))
                } else if scale == SimDuration::ZERO {
                    Err("Pareto scale must be longer than 0s".to_string())
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::Constant(d) => write!(f, "{d}"),
            Latency::Uniform { min, max } => write!(f, "uniform {min}..{max}"),
            Latency::Normal { mean, sd } => write!(f, "normal {mean}±{sd}"),
            Latency::LogNormal { median, sigma } => {
                write!(f, "log-normal median {median} sigma {sigma}")
            }
            Latency::Pareto { scale, shape } => write!(f, "Pareto {scale} shape {shape}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let ms = SimDuration::from_millis;
        assert!(
            Latency::Uniform {
                min: ms(2),
                max: ms(1)
            }
            .check()
            .is_err()
        );
        assert!(
            Latency::Pareto {
                scale: ms(1),
                shape: 0.0
            }
            .check()
            .is_err()
        );
        assert!(
            Latency::LogNormal {
                median: ms(1),
                sigma: f64::NAN
            }
            .check()
            .is_err()
        );
        assert!(
            Latency::Normal {
                mean: ms(5),
                sd: ms(1)
            }
            .check()
            .is_ok()
        );
    }
}
