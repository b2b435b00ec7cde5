//! Client workloads for hearsay: the operations clients issue, when and at which node.
//!
//! A [`Workload`] describes what clients do; [`Workload::generate`] turns it into a time-ordered
//! list of [`ClientOp`]s for one run, drawing any randomness (which node, which key, when) from
//! the RNG stream the harness dedicates to the workload, so that adding a fault or a node never
//! changes which operations a seed produces.
//!
//! Workloads: the classic single rumor; a steady stream of writes; bursts of conflicting
//! concurrent writes; a ramp of write rates up to saturation; random reads; and any combination.
//! Every generated write carries a value unique within the run, so checkers can tell each
//! written value apart and spot one no client wrote.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod arrivals;
mod generators;
mod rate;
mod single_rumor;
mod writes;

pub use arrivals::{even_arrivals, poisson_arrivals};
pub use generators::{ConflictingWrites, RampStep, RandomReads, RateRamp, WriteStream};
pub use rate::{ParseRateError, Rate};
pub use single_rumor::{Origin, SingleRumor};
pub use writes::ScriptedWrite;

use generators::Draft;
use hearsay_protocols::{Key, NodeId, SimTime, Value};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// One client operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Write `value` to `key`.
    Write {
        /// The key.
        key: Key,
        /// The value.
        value: Value,
    },
    /// Read `key`.
    Read {
        /// The key.
        key: Key,
    },
}

/// A client operation scheduled at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOp {
    /// When the client issues it.
    pub at: SimTime,
    /// The node it is issued to.
    pub node: NodeId,
    /// What it does.
    pub op: Op,
}

/// What the clients of a run do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// One update injected at one node: the classic rumor experiment.
    SingleRumor(SingleRumor),
    /// A steady stream of writes.
    Writes(WriteStream),
    /// Bursts of concurrent writes to the same keys from different nodes.
    Conflicts(ConflictingWrites),
    /// A write rate ramping up to saturation.
    Ramp(RateRamp),
    /// Reads at random nodes.
    Reads(RandomReads),
    /// Several of the above at once.
    Combined(Vec<Workload>),
    /// A fixed list of writes (issued in time order; same-time writes in list order).
    Scripted(Vec<ScriptedWrite>),
}

impl Workload {
    /// The operations of one run over a cluster of `nodes`, in time order. Generators draw
    /// from `rng` in the order they are listed, so a scenario's operations depend only on its
    /// workload and seed.
    pub fn generate<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<ClientOp> {
        let mut fixed = Vec::new();
        let mut drafts = Vec::new();
        self.collect(nodes, rng, &mut fixed, &mut drafts);
        // Generated writes get values unique in the run, above any value written explicitly.
        let mut next_value: Value = fixed
            .iter()
            .filter_map(|o: &ClientOp| match o.op {
                Op::Write { value, .. } => Some(value),
                Op::Read { .. } => None,
            })
            .max()
            .unwrap_or(0)
            + 1;
        drafts.sort_by_key(|(t, n, _): &(SimTime, NodeId, Draft)| (*t, n.0));
        let mut ops = fixed;
        for (at, node, d) in drafts {
            let op = match d {
                Draft::Write(key) => {
                    let value = next_value;
                    next_value += 1;
                    Op::Write { key, value }
                }
                Draft::Read(key) => Op::Read { key },
            };
            ops.push(ClientOp { at, node, op });
        }
        ops.sort_by_key(|o| o.at);
        ops
    }

    fn collect<R: Rng>(
        &self,
        nodes: u32,
        rng: &mut R,
        fixed: &mut Vec<ClientOp>,
        drafts: &mut Vec<(SimTime, NodeId, Draft)>,
    ) {
        match self {
            Workload::SingleRumor(w) => fixed.extend(w.generate(nodes, rng)),
            Workload::Writes(w) => drafts.extend(w.draft(nodes, rng)),
            Workload::Conflicts(w) => drafts.extend(w.draft(nodes, rng)),
            Workload::Ramp(w) => drafts.extend(w.draft(nodes, rng)),
            Workload::Reads(w) => drafts.extend(w.draft(nodes, rng)),
            Workload::Scripted(list) => fixed.extend(list.iter().map(ScriptedWrite::op)),
            Workload::Combined(parts) => {
                for p in parts {
                    p.collect(nodes, rng, fixed, drafts);
                }
            }
        }
    }

    /// The ramp's steps, if the workload has a ramp (for the saturation report).
    pub fn ramp_steps(&self) -> Vec<RampStep> {
        match self {
            Workload::Ramp(r) => r.steps(),
            Workload::Combined(parts) => parts.iter().flat_map(Workload::ramp_steps).collect(),
            _ => Vec::new(),
        }
    }

    /// The parts of this workload (itself, unless combined).
    pub fn parts(&self) -> Vec<&Workload> {
        match self {
            Workload::Combined(parts) => parts.iter().flat_map(Workload::parts).collect(),
            other => vec![other],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::SimDuration;
    use rand_core::SeedableRng;

    fn secs(s: u64) -> SimTime {
        SimTime::from_duration(SimDuration::from_secs(s))
    }

    fn rng(seed: u64) -> rand_pcg::Pcg64Mcg {
        rand_pcg::Pcg64Mcg::seed_from_u64(seed)
    }

    #[test]
    fn every_generated_write_has_a_unique_value_and_ops_are_time_ordered() {
        let w = Workload::Combined(vec![
            Workload::SingleRumor(SingleRumor {
                value: 7,
                ..Default::default()
            }),
            Workload::Writes(WriteStream {
                rate: Rate(50.0),
                keys: 5,
                first_key: 0,
                from: secs(1),
                until: secs(5),
            }),
            Workload::Conflicts(ConflictingWrites {
                at: secs(2),
                keys: 3,
                first_key: 100,
                writers: 3,
                spread: SimDuration::ZERO,
                bursts: 2,
                every: SimDuration::from_secs(1),
            }),
            Workload::Reads(RandomReads {
                rate: Rate(20.0),
                keys: 5,
                first_key: 0,
                from: secs(0),
                until: secs(5),
            }),
        ]);
        let ops = w.generate(100, &mut rng(1));
        assert!(ops.windows(2).all(|p| p[0].at <= p[1].at));
        let mut values: Vec<u64> = ops
            .iter()
            .filter_map(|o| match o.op {
                Op::Write { value, .. } => Some(value),
                _ => None,
            })
            .collect();
        let writes = values.len();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), writes, "duplicate written values");
        assert!(values.contains(&7));
        assert!(ops.iter().any(|o| matches!(o.op, Op::Read { .. })));
        assert_eq!(
            ops,
            w.generate(100, &mut rng(1)),
            "same stream, different operations"
        );
        assert_ne!(ops, w.generate(100, &mut rng(2)));
    }

    #[test]
    fn conflicting_bursts_hit_each_key_from_distinct_writers_at_once() {
        let c = ConflictingWrites {
            at: secs(2),
            keys: 4,
            first_key: 10,
            writers: 3,
            spread: SimDuration::ZERO,
            bursts: 1,
            every: SimDuration::from_secs(1),
        };
        let ops = Workload::Conflicts(c).generate(50, &mut rng(3));
        assert_eq!(ops.len(), 12);
        for k in 10..14 {
            let mut writers: Vec<u32> = ops
                .iter()
                .filter(|o| matches!(o.op, Op::Write { key, .. } if key == k))
                .map(|o| o.node.0)
                .collect();
            assert!(ops.iter().all(|o| o.at == secs(2)));
            writers.sort();
            writers.dedup();
            assert_eq!(writers.len(), 3, "key {k}");
        }
    }

    #[test]
    fn a_ramp_steps_its_rate_up() {
        let r = RateRamp {
            from: Rate(10.0),
            to: Rate(100.0),
            steps: 4,
            step_for: SimDuration::from_secs(10),
            start: secs(1),
            keys: 10,
            first_key: 0,
        };
        let steps = r.steps();
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[3].rate, Rate(100.0));
        assert_eq!(steps[1].start, secs(11));
        let ops = Workload::Ramp(r).generate(10, &mut rng(4));
        let in_step = |i: usize| {
            ops.iter()
                .filter(|o| o.at >= steps[i].start && o.at < steps[i].end)
                .count()
        };
        assert!(
            in_step(0) < in_step(3) / 4,
            "{} vs {}",
            in_step(0),
            in_step(3)
        );
    }
}
