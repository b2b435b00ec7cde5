//! Node identities: dense indices so that drivers can keep node state in `Vec`s.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The identity of one node: a dense index `0..n` into the driver's node table.
///
/// `u32` rather than `usize` keeps messages and per-node state small at a million nodes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index of this node in a dense table.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<u32> for NodeId {
    fn from(v: u32) -> Self {
        NodeId(v)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}
