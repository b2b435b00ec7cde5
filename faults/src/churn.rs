//! Churn: nodes joining and leaving at a steady rate.
//!
//! Node ids are dense, so the scenario's `nodes` is the largest the membership ever gets. A
//! churn of `join: J, leave: L` keeps the `J` highest ids out of the cluster from the start
//! and brings them in one at a time; between joins, `L` of the initial members — spread evenly
//! over their ids — leave for good. Events alternate (join, leave, join, …) one every `every`.
//! A joining node starts with an empty state and must catch up through the protocol.
//!
//! Absent nodes (not joined yet, or left) are down: they receive nothing, fire no timers and
//! take no client requests. Peer sampling is not told about membership: the uniform sampler
//! keeps O(1) memory per node and draws over all ids, so gossip aimed at an absent node is
//! dropped on arrival and counted (`to-absent`) — the cost a real gossip system pays until its
//! membership view catches up.

use crate::{FaultAction, TimedFault, evenly_spread};
use hearsay_protocols::{NodeId, SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// Nodes joining and leaving at a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Churn {
    /// How many nodes join (the highest ids, absent until they join).
    pub join: u32,
    /// How many initial members leave.
    pub leave: u32,
    /// The time between two churn events.
    pub every: SimDuration,
}

impl Churn {
    /// Checks the churn against a cluster of `nodes`; the error names the field.
    pub fn check(&self, nodes: u32) -> Result<(), (&'static str, String)> {
        if self.join >= nodes {
            return Err((
                "join",
                format!(
                    "{} of {nodes} nodes cannot join: at least one must be a member from the start",
                    self.join
                ),
            ));
        }
        if self.leave > nodes - self.join {
            return Err((
                "leave",
                format!(
                    "{} nodes cannot leave: only {} are members from the start",
                    self.leave,
                    nodes - self.join
                ),
            ));
        }
        if self.join + self.leave == 0 {
            return Err((
                "join",
                "nothing joins or leaves: expected `join` or `leave` above 0".to_string(),
            ));
        }
        if self.every == SimDuration::ZERO {
            return Err(("rate", "must be a finite rate above 0".to_string()));
        }
        Ok(())
    }

    /// The join and leave events from `at` on, in a cluster of `nodes`.
    pub fn events(&self, at: SimTime, nodes: u32) -> Vec<TimedFault> {
        let members = nodes - self.join;
        let mut joins = (members..nodes).map(NodeId);
        let mut leaves = evenly_spread(members, self.leave).into_iter();
        let mut out = Vec::new();
        let mut t = at;
        loop {
            let mut any = false;
            for (next, join) in [(joins.next(), true), (leaves.next(), false)] {
                let Some(n) = next else { continue };
                any = true;
                let nodes = vec![n];
                out.push(TimedFault {
                    at: t,
                    action: if join {
                        FaultAction::Join { nodes }
                    } else {
                        FaultAction::Leave { nodes }
                    },
                });
                t += self.every;
            }
            if !any {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_leaves_alternate() {
        let c = Churn {
            join: 2,
            leave: 1,
            every: SimDuration::from_secs(1),
        };
        let e = c.events(SimTime::ZERO, 6);
        let s = |t: u64| SimTime(t * 1_000_000_000);
        assert_eq!(
            e,
            vec![
                TimedFault {
                    at: s(0),
                    action: FaultAction::Join {
                        nodes: vec![NodeId(4)]
                    }
                },
                TimedFault {
                    at: s(1),
                    action: FaultAction::Leave {
                        nodes: vec![NodeId(2)]
                    }
                },
                TimedFault {
                    at: s(2),
                    action: FaultAction::Join {
                        nodes: vec![NodeId(5)]
                    }
                },
            ]
        );
        assert!(c.check(6).is_ok());
        assert_eq!(Churn { join: 6, ..c }.check(6).unwrap_err().0, "join");
    }
}
