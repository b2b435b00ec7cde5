//! Scripted writes: a fixed list of client writes, each at a given time and node.
//!
//! The smallest workload that can show a conflict: two writes to one key from two nodes, and
//! which one the cluster keeps (under clock skew, last-write-wins can keep the earlier one).

use crate::{ClientOp, Op};
use hearsay_protocols::{Key, NodeId, SimTime, Value};
use serde::{Deserialize, Serialize};

/// One scripted client write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptedWrite {
    /// When the client writes.
    pub at: SimTime,
    /// At which node.
    pub node: NodeId,
    /// The key.
    pub key: Key,
    /// The value.
    pub value: Value,
}

impl ScriptedWrite {
    pub(crate) fn op(&self) -> ClientOp {
        ClientOp {
            at: self.at,
            node: self.node,
            op: Op::Write {
                key: self.key,
                value: self.value,
            },
        }
    }
}
