//! Why a fault schedule is not valid for a cluster.
//!
//! Every error names the fault by its index in the list given to
//! [`FaultSchedule::new`](crate::FaultSchedule::new), and where it helps the sub-field, so that
//! a loader can point at the line and column that wrote it.

use hearsay_protocols::SimTime;

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
    /// An ending action with nothing in force for it to end.
    #[error("fault {index}: {action} at {at} but {state}")]
    NothingToHeal {
        /// Index of the fault in the schedule.
        index: usize,
        /// What tried to end something, e.g. `heal`.
        action: String,
        /// When.
        at: SimTime,
        /// What is (not) in force, e.g. `no partition is in force`.
        state: String,
    },
    /// A node-level action that contradicts the node's state: a crash of a crashed node, a
    /// restart of a live one, a pause of a paused one, a join of a member…
    #[error("fault {index}: {what} node {node} at {at}, but it is {state}")]
    Contradiction {
        /// Index of the fault in the schedule.
        index: usize,
        /// The action, e.g. `crash` or `restart`.
        what: &'static str,
        /// The node.
        node: u32,
        /// When.
        at: SimTime,
        /// The node's state, e.g. `already crashed` or `not crashed`.
        state: &'static str,
    },
    /// A partition while another is in force.
    #[error(
        "fault {index}: partition at {at}, but the partition from {since} is still in force \
         (heal it first: only one partition is in force at a time)"
    )]
    PartitionInForce {
        /// Index of the fault in the schedule.
        index: usize,
        /// When.
        at: SimTime,
        /// When the partition in force started.
        since: SimTime,
    },
    /// A network fault equal to one already in force.
    #[error("fault {index}: {what} at {at}, but the same fault is already in force")]
    AlreadyInForce {
        /// Index of the fault in the schedule.
        index: usize,
        /// The fault.
        what: String,
        /// When.
        at: SimTime,
    },
    /// A fault lists no nodes.
    #[error("fault {index}: no nodes given")]
    NoNodes {
        /// Index of the fault in the schedule.
        index: usize,
    },
    /// A parameter out of range: a percentage outside 0–100, a probability outside 0–1, a
    /// latency whose parameters make no sense…
    #[error("fault {index}: {message}")]
    Invalid {
        /// Index of the fault in the schedule.
        index: usize,
        /// The sub-field at fault (e.g. `rate`, `percent`, `drift`), or empty for the action.
        field: &'static str,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The nemesis is not valid.
    #[error("nemesis.{field}: {message}")]
    Nemesis {
        /// The field path under `nemesis`, e.g. `mix.crash` or `every`.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl FaultError {
    /// The index of the fault at fault, if the error is about one fault.
    pub fn index(&self) -> Option<usize> {
        match self {
            FaultError::UnknownNode { index, .. }
            | FaultError::NothingToHeal { index, .. }
            | FaultError::Contradiction { index, .. }
            | FaultError::PartitionInForce { index, .. }
            | FaultError::AlreadyInForce { index, .. }
            | FaultError::NoNodes { index }
            | FaultError::Invalid { index, .. } => Some(*index),
            FaultError::Nemesis { .. } => None,
        }
    }
}
