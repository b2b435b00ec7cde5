//! A validated fault timeline, and the per-run schedule a nemesis adds to it.
//!
//! [`FaultSchedule::new`] puts the faults in a canonical order — by time; at the same instant
//! ends (heals, restarts, resumes) before starts, ends among themselves by content, starts in
//! the order written — and checks them against the cluster. The canonical order makes a
//! schedule printed as YAML ([`FaultSchedule::to_yaml`]) load back into exactly the same
//! sequence of events, so a replayed run has the same trace.

use crate::nemesis::Nemesis;
use crate::validate::validate;
use crate::{FaultAction, FaultError, TimedFault};
use hearsay_protocols::SimTime;
use rand_core::Rng;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A validated, time-ordered list of faults, and optionally a nemesis that adds random faults
/// to it for each run ([`FaultSchedule::for_run`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultSchedule {
    faults: Vec<TimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nemesis: Option<Nemesis>,
}

impl FaultSchedule {
    /// No faults at all.
    pub fn none() -> Self {
        FaultSchedule::default()
    }

    /// Puts `faults` in canonical order (see the module documentation) and checks them against
    /// a cluster of `nodes`. The error names the fault by its index in the input, so callers
    /// can point at the line that wrote it.
    pub fn new(faults: Vec<TimedFault>, nodes: u32) -> Result<Self, FaultError> {
        let mut indexed: Vec<(usize, TimedFault)> = faults.into_iter().enumerate().collect();
        sort_canonically(&mut indexed);
        validate(&indexed, nodes)?;
        Ok(FaultSchedule {
            faults: indexed.into_iter().map(|(_, f)| f).collect(),
            nemesis: None,
        })
    }

    /// Adds a nemesis, after checking its parameters against a cluster of `nodes`.
    pub fn with_nemesis(mut self, nemesis: Nemesis, nodes: u32) -> Result<Self, FaultError> {
        nemesis.check(nodes)?;
        self.nemesis = Some(nemesis);
        Ok(self)
    }

    /// The scripted faults in canonical order (without what a nemesis adds per run).
    pub fn faults(&self) -> &[TimedFault] {
        &self.faults
    }

    /// The nemesis, if any.
    pub fn nemesis(&self) -> Option<&Nemesis> {
        self.nemesis.as_ref()
    }

    /// True if there are no faults and no nemesis.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty() && self.nemesis.is_none()
    }

    /// The concrete schedule of one run: the scripted faults plus the nemesis's, drawn from
    /// `rng` (the run's `("nemesis", 0)` stream). Without a nemesis this is the schedule
    /// itself. The same seed gives the same schedule; the result has no nemesis left.
    pub fn for_run<R: Rng>(&self, nodes: u32, rng: &mut R) -> Cow<'_, FaultSchedule> {
        let Some(nemesis) = &self.nemesis else {
            return Cow::Borrowed(self);
        };
        let mut all = self.faults.clone();
        all.extend(nemesis.generate(nodes, &self.faults, rng));
        Cow::Owned(
            FaultSchedule::new(all, nodes)
                .expect("the nemesis only adds faults that keep the schedule valid"),
        )
    }

    /// The time the last fault ended (the last heal, restart, resume, end of a network fault,
    /// skew or capacity bound, or join), or `None` if no fault ever ends — the point from which
    /// the convergence check measures.
    pub fn last_heal(&self) -> Option<SimTime> {
        self.faults
            .iter()
            .filter(|f| f.action.is_end() || matches!(f.action, FaultAction::Join { .. }))
            .map(|f| f.at)
            .max()
    }
}

/// Sorts by time; at one instant ends first (by content, so that the order does not depend on
/// how they were written), then starts in written order.
fn sort_canonically(faults: &mut [(usize, TimedFault)]) {
    let keys: Vec<String> = faults
        .iter()
        .map(|(_, f)| {
            if f.action.is_end() {
                format!("{:?}", f.action)
            } else {
                String::new()
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&faults[a].1, &faults[b].1);
        fa.at
            .cmp(&fb.at)
            .then(fb.action.is_end().cmp(&fa.action.is_end()))
            .then_with(|| keys[a].cmp(&keys[b]))
    });
    let sorted: Vec<(usize, TimedFault)> = order.iter().map(|&i| faults[i].clone()).collect();
    faults.clone_from_slice(&sorted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkEffect, LinkFault, PartitionSpec};
    use hearsay_protocols::NodeId;

    fn at(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    fn f(ms: u64, action: FaultAction) -> TimedFault {
        TimedFault { at: at(ms), action }
    }

    #[test]
    fn orders_faults_and_reports_windows() {
        let s = FaultSchedule::new(
            vec![
                f(500, FaultAction::Heal),
                f(100, FaultAction::Partition(PartitionSpec::Halves)),
                f(
                    200,
                    FaultAction::Crash {
                        nodes: vec![NodeId(1)],
                        lose_state: true,
                    },
                ),
                f(
                    300,
                    FaultAction::Restart {
                        nodes: vec![NodeId(1)],
                    },
                ),
            ],
            4,
        )
        .unwrap();
        assert_eq!(s.faults()[0].at, at(100));
        assert_eq!(s.last_heal(), Some(at(500)));
        let w = s.windows();
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].start, w[0].end), (at(100), Some(at(500))));
        assert_eq!(w[1].kind, "crash n1 (state lost)");
        assert_eq!(w[1].end, Some(at(300)));
    }

    #[test]
    fn at_one_instant_ends_come_before_starts() {
        let s = FaultSchedule::new(
            vec![
                f(0, FaultAction::Partition(PartitionSpec::Halves)),
                f(100, FaultAction::Partition(PartitionSpec::Ring)),
                f(100, FaultAction::Heal),
            ],
            4,
        )
        .unwrap();
        assert_eq!(s.faults()[1].action, FaultAction::Heal);
    }

    #[test]
    fn rejects_what_cannot_happen() {
        let heal_first = vec![f(1, FaultAction::Heal)];
        assert!(matches!(
            FaultSchedule::new(heal_first, 4),
            Err(FaultError::NothingToHeal { index: 0, .. })
        ));
        let unknown = vec![f(
            1,
            FaultAction::Crash {
                nodes: vec![NodeId(9)],
                lose_state: false,
            },
        )];
        assert!(matches!(
            FaultSchedule::new(unknown, 4),
            Err(FaultError::UnknownNode { node: 9, .. })
        ));
        let restart_live = vec![f(
            1,
            FaultAction::Restart {
                nodes: vec![NodeId(0)],
            },
        )];
        assert!(matches!(
            FaultSchedule::new(restart_live, 4),
            Err(FaultError::Contradiction { .. })
        ));
        let two_partitions = vec![
            f(1, FaultAction::Partition(PartitionSpec::Halves)),
            f(2, FaultAction::Partition(PartitionSpec::Ring)),
        ];
        assert!(matches!(
            FaultSchedule::new(two_partitions, 4),
            Err(FaultError::PartitionInForce { index: 1, .. })
        ));
        let bad_percent = vec![f(
            1,
            FaultAction::Partition(PartitionSpec::Percentages(vec![50.0, 120.0])),
        )];
        assert!(matches!(
            FaultSchedule::new(bad_percent, 4),
            Err(FaultError::Invalid {
                field: "percent",
                ..
            })
        ));
        let bad_rate = vec![f(
            1,
            FaultAction::Network(LinkFault::everywhere(LinkEffect::Loss(2.0))),
        )];
        assert!(matches!(
            FaultSchedule::new(bad_rate, 4),
            Err(FaultError::Invalid { field: "rate", .. })
        ));
        let join_member = vec![
            f(
                1,
                FaultAction::Join {
                    nodes: vec![NodeId(0)],
                },
            ),
            f(
                2,
                FaultAction::Join {
                    nodes: vec![NodeId(0)],
                },
            ),
        ];
        assert!(matches!(
            FaultSchedule::new(join_member, 4),
            Err(FaultError::Contradiction {
                index: 1,
                what: "join",
                ..
            })
        ));
    }
}
