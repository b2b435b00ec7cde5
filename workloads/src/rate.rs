//! Rates of client operations, written `10/s`, `500/m` or `2.5/s` in scenario files.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Operations per second of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(pub f64);

impl Rate {
    /// Operations per second.
    pub fn per_sec(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

/// Why a rate did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate `{0}`: expected a positive number per unit, like `10/s`, `2.5/s` or `600/m`")]
pub struct ParseRateError(pub String);

impl FromStr for Rate {
    type Err = ParseRateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseRateError(s.to_string());
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" => 1.0,
            "ms" => 1e-3,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        if !n.is_finite() || n <= 0.0 {
            return Err(bad());
        }
        Ok(Rate(n / per))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_in_every_unit() {
        assert_eq!("10/s".parse(), Ok(Rate(10.0)));
        assert_eq!("600/m".parse(), Ok(Rate(10.0)));
        assert_eq!("1/ms".parse(), Ok(Rate(1000.0)));
        for bad in ["10", "0/s", "-1/s", "x/s", "10/fortnight", "nan/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }
}
