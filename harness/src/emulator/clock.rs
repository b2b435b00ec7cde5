//! Skewed clocks: what `Context::now()` returns to each node.
//!
//! Absent (`None` in the emulator) until the first skew, so runs without skew read the true
//! time directly. Timers are scheduled in true time: a skewed node's timers still fire after
//! the duration it asked for.

use hearsay_faults::ClockSkew;
use hearsay_protocols::SimTime;

/// Every node's skew and when it was applied.
#[derive(Clone, Debug)]
pub struct Clocks {
    skews: Vec<(ClockSkew, SimTime)>,
}

impl Clocks {
    /// Every clock right, in a cluster of `nodes`.
    pub fn new(nodes: u32) -> Self {
        Clocks {
            skews: vec![(ClockSkew::default(), SimTime::ZERO); nodes as usize],
        }
    }

    /// Sets `node`'s clock off by `skew` from `now` on.
    pub fn set(&mut self, node: usize, skew: ClockSkew, now: SimTime) {
        self.skews[node] = (skew, now);
    }

    /// Puts `node`'s clock right.
    pub fn reset(&mut self, node: usize) {
        self.skews[node] = (ClockSkew::default(), SimTime::ZERO);
    }

    /// `node`'s local clock at true time `now`.
    #[inline]
    pub fn local(&self, node: usize, now: SimTime) -> SimTime {
        let (skew, since) = &self.skews[node];
        skew.local(now, *since)
    }
}
