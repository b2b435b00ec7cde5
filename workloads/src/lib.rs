//! Client workloads for hearsay: the operations clients issue, when and at which node.
//!
//! A [`Workload`] describes what clients do; [`Workload::generate`] turns it into a time-ordered
//! list of [`ClientOp`]s for one run, drawing any randomness (which node, which key) from the RNG
//! stream the harness dedicates to the workload, so that adding a fault or a node never changes
//! which operations a seed produces.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod single_rumor;
mod writes;

pub use single_rumor::{Origin, SingleRumor};
pub use writes::ScriptedWrite;

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
    /// A fixed list of writes (issued in time order; same-time writes in list order).
    Writes(Vec<ScriptedWrite>),
}

impl Workload {
    /// The operations of one run over a cluster of `nodes`, in time order.
    pub fn generate<R: Rng>(&self, nodes: u32, rng: &mut R) -> Vec<ClientOp> {
        let mut ops = match self {
            Workload::SingleRumor(w) => w.generate(nodes, rng),
            Workload::Writes(list) => list.iter().map(ScriptedWrite::op).collect(),
        };
        ops.sort_by_key(|o| o.at);
        ops
    }
}
