//! The client workloads beyond the single rumor: write streams, conflicting writes, rate ramps
//! that drive the gossip channel to saturation, and reads that measure staleness.
//!
//! Writes made by these generators get values assigned by [`crate::Workload::generate`]: unique
//! across the run, so a checker can tell every written value apart (and spot one nobody wrote).

use crate::Rate;
use crate::arrivals::{after, poisson_arrivals};
use hearsay_protocols::{Key, NodeId, SimDuration, SimTime, uniform_below};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// A steady stream of writes at a rate, to uniformly chosen keys at uniformly chosen nodes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteStream {
    /// Writes per second (a Poisson process).
    pub rate: Rate,
    /// Keys written: `first_key .. first_key + keys`.
    pub keys: u64,
    /// The first key.
    pub first_key: Key,
    /// When the stream starts.
    pub from: SimTime,
    /// When it stops (exclusive).
    pub until: SimTime,
}

/// Bursts of concurrent writes to the same keys from different nodes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConflictingWrites {
    /// When the first burst starts.
    pub at: SimTime,
    /// Keys contended: `first_key .. first_key + keys`.
    pub keys: u64,
    /// The first key.
    pub first_key: Key,
    /// Distinct nodes writing each key in each burst (at least 2 for a conflict).
    pub writers: u32,
    /// The writes of one burst fall uniformly within this window; `0s` makes them simultaneous,
    /// so their versions tie on the clock and only the tie-break decides.
    pub spread: SimDuration,
    /// Number of bursts.
    pub bursts: u32,
    /// Time between the starts of two bursts.
    pub every: SimDuration,
}

/// A write rate that ramps up step by step, to find where the gossip channel saturates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateRamp {
    /// The rate of the first step.
    pub from: Rate,
    /// The rate of the last step.
    pub to: Rate,
    /// Number of steps (at least 2).
    pub steps: u32,
    /// How long each step lasts.
    pub step_for: SimDuration,
    /// When the first step starts.
    pub start: SimTime,
    /// Keys written: `first_key .. first_key + keys`.
    pub keys: u64,
    /// The first key.
    pub first_key: Key,
}

/// One step of a ramp.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RampStep {
    /// When the step starts.
    pub start: SimTime,
    /// When it ends (exclusive).
    pub end: SimTime,
    /// Its write rate.
    pub rate: Rate,
}

impl RateRamp {
    /// The steps, in order.
    pub fn steps(&self) -> Vec<RampStep> {
        let n = self.steps.max(2);
        (0..n)
            .map(|i| {
                let r = self.from.0 + (self.to.0 - self.from.0) * f64::from(i) / f64::from(n - 1);
                let start = self.start + SimDuration(self.step_for.as_nanos() * u64::from(i));
                RampStep {
                    start,
                    end: start + self.step_for,
                    rate: Rate(r),
                }
            })
            .collect()
    }
}

/// Reads at uniformly chosen nodes, to measure staleness as clients see it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomReads {
    /// Reads per second (a Poisson process).
    pub rate: Rate,
    /// Keys read: `first_key .. first_key + keys`.
    pub keys: u64,
    /// The first key.
    pub first_key: Key,
    /// When reads start.
    pub from: SimTime,
    /// When they stop (exclusive).
    pub until: SimTime,
}

/// An operation before values are assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Draft {
    Write(Key),
    Read(Key),
}

fn node<R: Rng>(nodes: u32, rng: &mut R) -> NodeId {
    NodeId(uniform_below(rng, u64::from(nodes.max(1))) as u32)
}

fn key<R: Rng>(first: Key, keys: u64, rng: &mut R) -> Key {
    first + uniform_below(rng, keys.max(1))
}

impl WriteStream {
    pub(crate) fn draft<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<(SimTime, NodeId, Draft)> {
        poisson_arrivals(self.rate, self.from, self.until, rng)
            .into_iter()
            .map(|t| {
                (
                    t,
                    node(nodes, rng),
                    Draft::Write(key(self.first_key, self.keys, rng)),
                )
            })
            .collect()
    }
}

impl RandomReads {
    pub(crate) fn draft<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<(SimTime, NodeId, Draft)> {
        poisson_arrivals(self.rate, self.from, self.until, rng)
            .into_iter()
            .map(|t| {
                (
                    t,
                    node(nodes, rng),
                    Draft::Read(key(self.first_key, self.keys, rng)),
                )
            })
            .collect()
    }
}

impl RateRamp {
    pub(crate) fn draft<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<(SimTime, NodeId, Draft)> {
        let mut out = Vec::new();
        for step in self.steps() {
            for t in poisson_arrivals(step.rate, step.start, step.end, rng) {
                out.push((
                    t,
                    node(nodes, rng),
                    Draft::Write(key(self.first_key, self.keys, rng)),
                ));
            }
        }
        out
    }
}

impl ConflictingWrites {
    pub(crate) fn draft<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<(SimTime, NodeId, Draft)> {
        let mut out = Vec::new();
        let writers = self.writers.min(nodes) as usize;
        let mut chosen: Vec<NodeId> = Vec::with_capacity(writers);
        for b in 0..u64::from(self.bursts.max(1)) {
            let start = after(self.at, SimDuration(self.every.as_nanos() * b));
            for k in self.first_key..self.first_key + self.keys {
                chosen.clear();
                while chosen.len() < writers {
                    let n = node(nodes, rng);
                    if !chosen.contains(&n) {
                        chosen.push(n);
                    }
                }
                for &n in &chosen {
                    let offset = if self.spread == SimDuration::ZERO {
                        0
                    } else {
                        uniform_below(rng, self.spread.as_nanos() + 1)
                    };
                    out.push((start + SimDuration(offset), n, Draft::Write(k)));
                }
            }
        }
        out
    }
}
