//! A validated fault timeline and the windows during which each fault was in force.

use crate::PartitionSpec;
use hearsay_protocols::{NodeId, SimTime};
use serde::{Deserialize, Serialize};

/// One thing that happens to the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultAction {
    /// Cut the network; replaces any partition in force.
    Partition(PartitionSpec),
    /// Remove the partition in force.
    Heal,
    /// Stop these nodes: they receive nothing and fire no timers until restarted.
    Crash {
        /// The nodes.
        nodes: Vec<NodeId>,
        /// Whether their state is lost (disk wiped) or kept (process restart).
        lose_state: bool,
    },
    /// Start these crashed nodes again.
    Restart {
        /// The nodes.
        nodes: Vec<NodeId>,
    },
}

/// A fault at a point in simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedFault {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub action: FaultAction,
}

/// Why a schedule is not valid for a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// A fault names a node the cluster does not have.
    #[error("fault {index}: node {node} does not exist (the cluster has nodes 0..{nodes})")]
    UnknownNode {
        /// Index of the fault in the schedule.
        index: usize,
        /// The node named.
        node: u32,
        /// The cluster size.
        nodes: u32,
    },
    /// A heal with no partition in force.
    #[error("fault {index}: heal at {at} but no partition is in force")]
    NothingToHeal {
        /// Index of the fault in the schedule.
        index: usize,
        /// When.
        at: SimTime,
    },
    /// A restart of a node that is not crashed, or a crash of one that already is.
    #[error("fault {index}: {what} node {node} at {at}, but it is {state}")]
    Contradiction {
        /// Index of the fault in the schedule.
        index: usize,
        /// "crash" or "restart".
        what: &'static str,
        /// The node.
        node: u32,
        /// When.
        at: SimTime,
        /// "already crashed" or "not crashed".
        state: &'static str,
    },
    /// A fault lists no nodes.
    #[error("fault {index}: no nodes given")]
    NoNodes {
        /// Index of the fault in the schedule.
        index: usize,
    },
}

/// A window during which a fault was in force, for reports and the convergence check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    /// What the fault was, e.g. `partition halves` or `crash 3 nodes (state lost)`.
    pub kind: String,
    /// When it started.
    pub start: SimTime,
    /// When it ended, or `None` if it lasted to the end of the run.
    pub end: Option<SimTime>,
}

/// A validated, time-ordered list of faults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSchedule {
    faults: Vec<TimedFault>,
}

impl FaultSchedule {
    /// No faults at all.
    pub fn none() -> Self {
        FaultSchedule::default()
    }

    /// Orders `faults` by time (stably, so same-time faults keep their written order) and
    /// checks them against a cluster of `nodes`. The error names the fault by its index in the
    /// input, so callers can point at the line that wrote it.
    pub fn new(faults: Vec<TimedFault>, nodes: u32) -> Result<Self, FaultError> {
        let mut indexed: Vec<(usize, TimedFault)> = faults.into_iter().enumerate().collect();
        indexed.sort_by_key(|(_, f)| f.at);
        let mut partitioned = false;
        let mut crashed = vec![false; nodes as usize];
        for (index, fault) in &indexed {
            let index = *index;
            let check_nodes = |list: &[NodeId]| -> Result<(), FaultError> {
                if list.is_empty() {
                    return Err(FaultError::NoNodes { index });
                }
                match list.iter().find(|n| n.0 >= nodes) {
                    Some(n) => Err(FaultError::UnknownNode {
                        index,
                        node: n.0,
                        nodes,
                    }),
                    None => Ok(()),
                }
            };
            match &fault.action {
                FaultAction::Partition(PartitionSpec::Groups(groups)) => {
                    for g in groups {
                        check_nodes(g)?;
                    }
                    partitioned = true;
                }
                FaultAction::Partition(PartitionSpec::Halves) => partitioned = true,
                FaultAction::Heal => {
                    if !partitioned {
                        return Err(FaultError::NothingToHeal {
                            index,
                            at: fault.at,
                        });
                    }
                    partitioned = false;
                }
                FaultAction::Crash { nodes: list, .. } => {
                    check_nodes(list)?;
                    for n in list {
                        if std::mem::replace(&mut crashed[n.index()], true) {
                            return Err(FaultError::Contradiction {
                                index,
                                what: "crash",
                                node: n.0,
                                at: fault.at,
                                state: "already crashed",
                            });
                        }
                    }
                }
                FaultAction::Restart { nodes: list } => {
                    check_nodes(list)?;
                    for n in list {
                        if !std::mem::replace(&mut crashed[n.index()], false) {
                            return Err(FaultError::Contradiction {
                                index,
                                what: "restart",
                                node: n.0,
                                at: fault.at,
                                state: "not crashed",
                            });
                        }
                    }
                }
            }
        }
        Ok(FaultSchedule {
            faults: indexed.into_iter().map(|(_, f)| f).collect(),
        })
    }

    /// The faults in time order.
    pub fn faults(&self) -> &[TimedFault] {
        &self.faults
    }

    /// True if there are no faults.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// The time the last fault ended (the last heal or restart), or `None` if no fault ever
    /// ends — the point from which the convergence check measures.
    pub fn last_heal(&self) -> Option<SimTime> {
        self.faults
            .iter()
            .filter(|f| matches!(f.action, FaultAction::Heal | FaultAction::Restart { .. }))
            .map(|f| f.at)
            .max()
    }

    /// The windows during which each fault was in force.
    pub fn windows(&self) -> Vec<FaultWindow> {
        let mut out: Vec<FaultWindow> = Vec::new();
        let mut open_partition: Option<usize> = None;
        let mut open_crash: std::collections::BTreeMap<u32, usize> = Default::default();
        for f in &self.faults {
            match &f.action {
                FaultAction::Partition(spec) => {
                    if let Some(i) = open_partition.take() {
                        out[i].end = Some(f.at);
                    }
                    open_partition = Some(out.len());
                    out.push(FaultWindow {
                        kind: format!("partition {}", spec.describe()),
                        start: f.at,
                        end: None,
                    });
                }
                FaultAction::Heal => {
                    if let Some(i) = open_partition.take() {
                        out[i].end = Some(f.at);
                    }
                }
                FaultAction::Crash { nodes, lose_state } => {
                    let what = if *lose_state {
                        "state lost"
                    } else {
                        "state kept"
                    };
                    let label = match nodes.as_slice() {
                        [one] => format!("crash {one} ({what})"),
                        many => format!("crash {} nodes ({what})", many.len()),
                    };
                    for n in nodes {
                        open_crash.insert(n.0, out.len());
                    }
                    out.push(FaultWindow {
                        kind: label,
                        start: f.at,
                        end: None,
                    });
                }
                FaultAction::Restart { nodes } => {
                    for n in nodes {
                        if let Some(i) = open_crash.remove(&n.0) {
                            let end = out[i].end.get_or_insert(f.at);
                            *end = (*end).max(f.at);
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn orders_faults_and_reports_windows() {
        let s = FaultSchedule::new(
            vec![
                TimedFault {
                    at: at(500),
                    action: FaultAction::Heal,
                },
                TimedFault {
                    at: at(100),
                    action: FaultAction::Partition(PartitionSpec::Halves),
                },
                TimedFault {
                    at: at(200),
                    action: FaultAction::Crash {
                        nodes: vec![NodeId(1)],
                        lose_state: true,
                    },
                },
                TimedFault {
                    at: at(300),
                    action: FaultAction::Restart {
                        nodes: vec![NodeId(1)],
                    },
                },
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
    fn rejects_what_cannot_happen() {
        let heal_first = vec![TimedFault {
            at: at(1),
            action: FaultAction::Heal,
        }];
        assert!(matches!(
            FaultSchedule::new(heal_first, 4),
            Err(FaultError::NothingToHeal { index: 0, .. })
        ));
        let unknown = vec![TimedFault {
            at: at(1),
            action: FaultAction::Crash {
                nodes: vec![NodeId(9)],
                lose_state: false,
            },
        }];
        assert!(matches!(
            FaultSchedule::new(unknown, 4),
            Err(FaultError::UnknownNode { node: 9, .. })
        ));
        let restart_live = vec![TimedFault {
            at: at(1),
            action: FaultAction::Restart {
                nodes: vec![NodeId(0)],
            },
        }];
        assert!(matches!(
            FaultSchedule::new(restart_live, 4),
            Err(FaultError::Contradiction { .. })
        ));
    }
}
