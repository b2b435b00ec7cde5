//! The data model every strategy disseminates: keys mapped to values under versions.

use crate::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A key in the replicated key/value store.
pub type Key = u64;

/// A value written by a client.
pub type Value = u64;

/// The version of a write: the writer's local clock (in microseconds) at the time of the write,
/// with the writer's id as a deterministic tie-break.
///
/// The stamp is the writing node's *own* clock, as in Cassandra-style last-write-wins, so clock
/// skew between nodes is visible in which write wins — which is what a harness must expose.
/// Versions are totally ordered: by stamp, then by writer.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Version {
    /// The writer's local clock at the write, in microseconds.
    pub stamp: u64,
    /// The node that accepted the write; breaks ties between equal stamps.
    pub writer: NodeId,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.stamp, self.writer)
    }
}

/// A value together with the version under which it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Versioned {
    /// The value.
    pub value: Value,
    /// Its version.
    pub version: Version,
}
