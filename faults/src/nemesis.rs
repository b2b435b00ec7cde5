//! The nemesis: a seeded random fault schedule, Jepsen style.
//!
//! A [`Nemesis`] says which kinds of faults to inject and in what mix (`partition: 40, crash:
//! 30, delay: 30`, percentages), how often (a fault starts every `every`, drawn uniformly from
//! a range), how long each lasts (`for`, a range), between `start` and `stop`, and whether
//! every fault is healed by `stop` (`heal_at_end`). [`Nemesis::generate`] turns it into
//! concrete timed faults, drawing every choice from the RNG it is given — the run's
//! `("nemesis", 0)` stream — so the same seed always gives the same schedule, and adding a
//! nemesis never reshuffles the network's or the nodes' randomness.
//!
//! A drawn fault that would contradict what is in force (a second partition while one is in
//! force, a crash of a crashed node) is skipped; its draws are still made, so the rest of the
//! schedule does not shift. What each kind draws:
//!
//! * `partition`: one of halves, majority-minority, a random isolated node, a bridge through a
//!   random node, the majorities ring, or a random node cut one-way from the rest;
//! * `crash`: a random node, its state lost with probability ½;
//! * `pause`: a random node;
//! * `delay`: 50–500 ms of extra delay, on every link or on a random slow node (½ each);
//! * `loss`: a loss rate of 0.1–0.9 on every link;
//! * `duplicate`: a duplication rate of 0.1–0.5 on every link;
//! * `reorder`: 0.1–0.5 of messages held back by 10–100 ms;
//! * `skew`: a random node's clock set 0.5–5 s ahead or behind.
//!
//! Times and durations are drawn in whole milliseconds.

use crate::{
    ClockSkew, FaultAction, FaultError, FaultSchedule, Latency, LinkEffect, LinkFault, Links,
    PartitionSpec, TimedFault,
};
use hearsay_protocols::{NodeId, SimDuration, SimTime, coin, uniform_below};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// A kind of fault the nemesis injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NemesisFault {
    /// A network partition.
    Partition,
    /// A crash and restart.
    Crash,
    /// A pause and resume.
    Pause,
    /// A delay spike or a slow node.
    Delay,
    /// A loss burst.
    Loss,
    /// Duplicated messages.
    Duplicate,
    /// Reordered messages.
    Reorder,
    /// Clock skew.
    Skew,
}

impl NemesisFault {
    /// Every kind, with its name in scenario files.
    pub const ALL: [(&'static str, NemesisFault); 8] = [
        ("partition", NemesisFault::Partition),
        ("crash", NemesisFault::Crash),
        ("pause", NemesisFault::Pause),
        ("delay", NemesisFault::Delay),
        ("loss", NemesisFault::Loss),
        ("duplicate", NemesisFault::Duplicate),
        ("reorder", NemesisFault::Reorder),
        ("skew", NemesisFault::Skew),
    ];

    /// The kind's name in scenario files.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A random fault schedule's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nemesis {
    /// The kinds of fault and their shares, in percent (adding up to 100).
    pub mix: Vec<(NemesisFault, f64)>,
    /// The time from one fault's start to the next, drawn uniformly from `[min, max]`.
    pub every: (SimDuration, SimDuration),
    /// How long each fault lasts, drawn uniformly from `[min, max]`.
    pub lasting: (SimDuration, SimDuration),
    /// When the first fault starts.
    pub start: SimTime,
    /// No fault starts at or after this time.
    pub stop: SimTime,
    /// Whether every fault ends by `stop` (its duration is cut short if need be).
    pub heal_at_end: bool,
}

impl Nemesis {
    /// Checks the parameters; the error names the field under `nemesis`.
    pub fn check(&self, nodes: u32) -> Result<(), FaultError> {
        let err = |field: &str, message: String| {
            Err(FaultError::Nemesis {
                field: field.to_string(),
                message,
            })
        };
        if self.mix.is_empty() {
            return err("mix", "no fault kinds given".to_string());
        }
        for (kind, share) in &self.mix {
            if !(0.0..=100.0).contains(share) {
                return err(
                    &format!("mix.{}", kind.name()),
                    format!("percentage {share} is outside 0–100"),
                );
            }
        }
        let total: f64 = self.mix.iter().map(|(_, s)| s).sum();
        if (total - 100.0).abs() > 1e-9 {
            return err(
                "mix",
                format!("the percentages add up to {total}: expected 100"),
            );
        }
        for (field, (min, max)) in [("every", self.every), ("for", self.lasting)] {
            if min == SimDuration::ZERO {
                return err(field, "the range must start above 0s".to_string());
            }
            if min > max {
                return err(
                    field,
                    format!("the range {min}..{max} is empty: expected min <= max"),
                );
            }
        }
        if self.start >= self.stop {
            return err(
                "stop",
                format!(
                    "{} is not after the start ({})",
                    SimDuration(self.stop.as_nanos()),
                    SimDuration(self.start.as_nanos())
                ),
            );
        }
        if nodes < 2 {
            return err(
                "mix",
                "a nemesis needs a cluster of at least 2 nodes".to_string(),
            );
        }
        Ok(())
    }

    /// The faults this nemesis injects in a cluster of `nodes` alongside the `scripted` ones,
    /// each followed by its end, drawn from `rng`.
    pub fn generate<R: Rng>(
        &self,
        nodes: u32,
        scripted: &[TimedFault],
        rng: &mut R,
    ) -> Vec<TimedFault> {
        let mut all: Vec<TimedFault> = scripted.to_vec();
        let mut t = self.start;
        while t < self.stop {
            let kind = self.draw_kind(rng);
            let lasting = draw_between(rng, self.lasting);
            let action = draw_fault(kind, nodes, rng);
            let mut end = t + lasting;
            if self.heal_at_end {
                end = end.min(self.stop);
            }
            if end > t
                && let Some(undo) = action.undo()
            {
                let mut candidate = all.clone();
                candidate.push(TimedFault { at: t, action });
                candidate.push(TimedFault {
                    at: end,
                    action: undo,
                });
                if FaultSchedule::new(candidate.clone(), nodes).is_ok() {
                    all = candidate;
                }
            }
            t += draw_between(rng, self.every);
        }
        all.split_off(scripted.len())
    }

    fn draw_kind<R: Rng>(&self, rng: &mut R) -> NemesisFault {
        let total: f64 = self.mix.iter().map(|(_, s)| s).sum();
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let mut acc = 0.0;
        for (kind, share) in &self.mix {
            acc += share;
            if u < acc {
                return *kind;
            }
        }
        self.mix.last().expect("a checked mix is not empty").0
    }
}

/// A duration drawn uniformly from `[min, max]`, in whole milliseconds when the range spans
/// one (so that printed schedules read `3.217s`, not `3.217845512s`).
fn draw_between<R: Rng>(rng: &mut R, (min, max): (SimDuration, SimDuration)) -> SimDuration {
    let span = max.as_nanos() - min.as_nanos();
    let step = if span >= 1_000_000 { 1_000_000 } else { 1 };
    SimDuration(min.as_nanos() + step * uniform_below(rng, span / step + 1))
}

/// One of `n` values `first, first + step, …`.
fn draw_step<R: Rng>(rng: &mut R, first: u64, step: u64, n: u64) -> u64 {
    first + step * uniform_below(rng, n)
}

fn draw_fault<R: Rng>(kind: NemesisFault, nodes: u32, rng: &mut R) -> FaultAction {
    let node = |rng: &mut R| NodeId(uniform_below(rng, u64::from(nodes)) as u32);
    let tenths = |rng: &mut R, first: u64, n: u64| draw_step(rng, first, 1, n) as f64 / 10.0;
    let everywhere = |effect| FaultAction::Network(LinkFault::everywhere(effect));
    match kind {
        NemesisFault::Partition => FaultAction::Partition(match uniform_below(rng, 6) {
            0 => PartitionSpec::Halves,
            1 => PartitionSpec::MajorityMinority,
            2 => PartitionSpec::Isolate(vec![node(rng)]),
            3 => PartitionSpec::Bridge(node(rng)),
            4 => PartitionSpec::Ring,
            _ => PartitionSpec::OneWay {
                from: vec![node(rng)],
                to: None,
            },
        }),
        NemesisFault::Crash => {
            let nodes = vec![node(rng)];
            FaultAction::Crash {
                nodes,
                lose_state: coin(rng, 0.5),
            }
        }
        NemesisFault::Pause => FaultAction::Pause {
            nodes: vec![node(rng)],
        },
        NemesisFault::Delay => {
            let by = Latency::Constant(SimDuration::from_millis(draw_step(rng, 50, 10, 46)));
            let links = if coin(rng, 0.5) {
                Links::ALL
            } else {
                Links::touching(vec![node(rng)])
            };
            FaultAction::Network(LinkFault {
                links,
                effect: LinkEffect::Delay(by),
            })
        }
        NemesisFault::Loss => everywhere(LinkEffect::Loss(tenths(rng, 1, 9))),
        NemesisFault::Duplicate => everywhere(LinkEffect::Duplicate(tenths(rng, 1, 5))),
        NemesisFault::Reorder => {
            let rate = tenths(rng, 1, 5);
            let delay = SimDuration::from_millis(draw_step(rng, 10, 10, 10));
            everywhere(LinkEffect::Reorder { rate, delay })
        }
        NemesisFault::Skew => {
            let n = node(rng);
            let by = draw_step(rng, 500, 100, 46) as i64 * 1_000_000;
            let offset = if coin(rng, 0.5) { by } else { -by };
            FaultAction::Skew {
                nodes: vec![n],
                skew: ClockSkew::offset(offset),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn nemesis() -> Nemesis {
        Nemesis {
            mix: vec![
                (NemesisFault::Partition, 40.0),
                (NemesisFault::Crash, 30.0),
                (NemesisFault::Delay, 30.0),
            ],
            every: (SimDuration::from_secs(1), SimDuration::from_secs(3)),
            lasting: (SimDuration::from_millis(500), SimDuration::from_secs(2)),
            start: SimTime(2_000_000_000),
            stop: SimTime(30_000_000_000),
            heal_at_end: true,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_it_is_valid() {
        let n = nemesis();
        let draw = |seed| n.generate(20, &[], &mut rand_pcg::Pcg64Mcg::seed_from_u64(seed));
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        assert!(a.len() >= 10, "{a:?}");
        let s = FaultSchedule::new(a, 20).unwrap();
        assert!(s.faults().iter().all(|f| f.at <= n.stop));
        assert_eq!(
            s.windows().iter().filter(|w| w.end.is_none()).count(),
            0,
            "heal_at_end leaves nothing in force"
        );
        let kinds: std::collections::BTreeSet<&str> = s
            .faults()
            .iter()
            .map(|f| {
                f.action
                    .describe()
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .map(|k| match k.as_str() {
                "partition" | "crash" | "delay" => "ok",
                "heal" | "restart" | "end" => "end",
                _ => "unexpected",
            })
            .collect();
        assert!(!kinds.contains("unexpected"), "{s:?}");
    }

    #[test]
    fn a_mix_must_add_up_to_100_and_each_share_be_a_percentage() {
        let mut n = nemesis();
        n.mix[0].1 = 140.0;
        assert!(
            matches!(n.check(10), Err(FaultError::Nemesis { field, .. }) if field == "mix.partition")
        );
        n.mix[0].1 = 30.0;
        assert!(matches!(n.check(10), Err(FaultError::Nemesis { field, .. }) if field == "mix"));
    }
}
