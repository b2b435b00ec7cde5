//! Simulated time: integer nanoseconds since the start of a run.
//!
//! Integers, not floats, so that event order is exact and a run replays bit for bit. Durations
//! parse from the human forms used in scenario files (`200ms`, `5s`, `1.5s`, `250us`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// A point in simulated time, in nanoseconds since the run started.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Nanoseconds since the start of the run.
    #[inline]
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole microseconds since the start of the run.
    #[inline]
    pub fn as_micros(self) -> u64 {
        self.0 / NANOS_PER_MICRO
    }

    /// Seconds since the start of the run, as a float (for reports only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    #[inline]
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Time from a duration after the start of the run.
    #[inline]
    pub fn from_duration(d: SimDuration) -> SimTime {
        SimTime(d.0)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// A duration of `n` microseconds.
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n * NANOS_PER_MICRO)
    }
    /// A duration of `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * NANOS_PER_MILLI)
    }
    /// A duration of `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * NANOS_PER_SEC)
    }
    /// The duration in nanoseconds.
    #[inline]
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    /// The duration in seconds, as a float (for reports only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// The duration in milliseconds, as a float (for reports only).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturating: a time before `rhs` gives zero.
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

impl fmt::Display for SimDuration {
    /// Prints the shortest exact form that parses back: `1.5s`, `200ms`, `250us`, `7ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return write!(f, "0s");
        }
        for (unit, per) in [
            ("s", NANOS_PER_SEC),
            ("ms", NANOS_PER_MILLI),
            ("us", NANOS_PER_MICRO),
        ] {
            if n >= per {
                let whole = n / per;
                let frac = n % per;
                if frac == 0 {
                    return write!(f, "{whole}{unit}");
                }
                // Exact decimal fraction, trailing zeros trimmed.
                let digits = per.ilog10() as usize;
                let s = format!("{frac:0digits$}");
                return write!(f, "{whole}.{}{unit}", s.trim_end_matches('0'));
            }
        }
        write!(f, "{n}ns")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SimDuration(self.0))
    }
}

/// Why a duration string did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDurationError(pub String);

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseDurationError {}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    /// Parses `<number><unit>` with unit `ns`, `us`, `ms`, `s`, `m` (minutes) or `h`, and an
    /// optional decimal fraction (`1.5s`). A bare `0` is accepted; any other bare number is
    /// rejected because its unit would be a guess.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        let bad = || {
            ParseDurationError(format!(
                "invalid duration `{text}`: expected a non-negative number with a unit, \
                 like `200ms`, `5s`, `1.5s` (units: ns, us, ms, s, m, h)"
            ))
        };
        if s == "0" {
            return Ok(SimDuration::ZERO);
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, unit) = s.split_at(split);
        let per: u64 = match unit.trim() {
            "ns" => 1,
            "us" | "µs" => NANOS_PER_MICRO,
            "ms" => NANOS_PER_MILLI,
            "s" => NANOS_PER_SEC,
            "m" | "min" => 60 * NANOS_PER_SEC,
            "h" => 3600 * NANOS_PER_SEC,
            _ => return Err(bad()),
        };
        let (whole, frac) = match number.split_once('.') {
            Some((w, f)) => (w, f),
            None => (number, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut nanos = whole.checked_mul(per).ok_or_else(bad)?;
        if !frac.is_empty() {
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Exact fixed-point: scale the fraction digit by digit, refusing sub-nanosecond rests.
            let mut scale = per;
            for digit in frac.bytes() {
                if !scale.is_multiple_of(10) {
                    return Err(ParseDurationError(format!(
                        "invalid duration `{text}`: finer than one nanosecond"
                    )));
                }
                scale /= 10;
                nanos = nanos
                    .checked_add(u64::from(digit - b'0') * scale)
                    .ok_or_else(bad)?;
            }
        }
        Ok(SimDuration(nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_scenarios_use() {
        assert_eq!("200ms".parse(), Ok(SimDuration::from_millis(200)));
        assert_eq!("5s".parse(), Ok(SimDuration::from_secs(5)));
        assert_eq!("1.5s".parse(), Ok(SimDuration::from_millis(1500)));
        assert_eq!("250us".parse(), Ok(SimDuration::from_micros(250)));
        assert_eq!("2m".parse(), Ok(SimDuration::from_secs(120)));
        assert_eq!("0".parse(), Ok(SimDuration::ZERO));
        assert_eq!(" 10 ms".parse(), Ok(SimDuration::from_millis(10)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in [
            "",
            "5",
            "-1s",
            "fast",
            "1.2.3s",
            "s",
            "5 parsecs",
            "1.0000000001s",
        ] {
            assert!(bad.parse::<SimDuration>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn display_round_trips() {
        for d in [
            SimDuration::ZERO,
            SimDuration::from_millis(200),
            SimDuration::from_millis(1500),
            SimDuration::from_nanos(7),
            SimDuration::from_micros(1234),
            SimDuration::from_secs(30),
        ] {
            assert_eq!(d.to_string().parse::<SimDuration>(), Ok(d), "{d}");
        }
    }
}
