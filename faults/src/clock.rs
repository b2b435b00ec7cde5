//! Clock skew: a node's local clock runs off the true (simulated) time.
//!
//! Nodes read their clock through the driver (`Context::now`), and last-write-wins stamps a
//! write with the writer's local clock, so a node whose clock lags loses to an earlier write
//! from a node whose clock is right. Timers are not affected: a timer fires after the real
//! duration asked for, as a monotonic clock would.

use hearsay_protocols::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How far off a clock is: a fixed offset, and a drift rate from the moment the skew starts.
///
/// The local time is `t + offset + drift · (t − since)`, never below zero, where `since` is when
/// the skew was applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockSkew {
    /// Nanoseconds added to the true time (negative: the clock lags).
    pub offset_nanos: i64,
    /// Extra seconds per second (0.001: the clock gains a millisecond a second; −0.001 loses
    /// one). Must be greater than −1 so that the clock still moves forward.
    pub drift: f64,
}

impl ClockSkew {
    /// A fixed offset, no drift.
    pub fn offset(nanos: i64) -> Self {
        ClockSkew {
            offset_nanos: nanos,
            drift: 0.0,
        }
    }

    /// The local clock at true time `now`, for a skew applied at `since`.
    #[inline]
    pub fn local(&self, now: SimTime, since: SimTime) -> SimTime {
        let drifted = if self.drift == 0.0 {
            0
        } else {
            (now.saturating_since(since).as_nanos() as f64 * self.drift) as i64
        };
        let t = i128::from(now.as_nanos()) + i128::from(self.offset_nanos) + i128::from(drifted);
        SimTime(t.clamp(0, i128::from(u64::MAX)) as u64)
    }

    /// Checks the drift, explaining what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.drift.is_finite() && self.drift > -1.0 {
            Ok(())
        } else {
            Err(format!(
                "must be a finite number greater than -1 (the clock must still move forward), \
                 got {}",
                self.drift
            ))
        }
    }
}

/// A signed duration as scenario files write it: `-2s`, `500ms`, `0s`.
pub struct SignedDuration(pub i64);

impl fmt::Display for SignedDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}", SimDuration(self.0.unsigned_abs()))
    }
}

impl fmt::Display for ClockSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.offset_nanos >= 0 { "+" } else { "" };
        write!(f, "{sign}{}", SignedDuration(self.offset_nanos))?;
        if self.drift != 0.0 {
            write!(f, " drift {}", self.drift)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_clock_is_offset_and_drifts() {
        let s = SimTime(10_000_000_000);
        let lag = ClockSkew::offset(-2_000_000_000);
        assert_eq!(lag.local(s, SimTime::ZERO), SimTime(8_000_000_000));
        assert_eq!(lag.local(SimTime(1), SimTime::ZERO), SimTime::ZERO);
        let fast = ClockSkew {
            offset_nanos: 0,
            drift: 0.5,
        };
        assert_eq!(
            fast.local(SimTime(12_000_000_000), s),
            SimTime(13_000_000_000)
        );
        assert!(
            ClockSkew {
                offset_nanos: 0,
                drift: -1.0
            }
            .check()
            .is_err()
        );
        assert_eq!(lag.to_string(), "-2s");
    }
}
