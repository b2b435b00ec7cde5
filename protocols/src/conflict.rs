//! Conflict resolution: which of two versions of a key a node keeps.

use crate::Version;
use serde::{Deserialize, Serialize};

/// The rule a node uses to decide between its version of a key and an incoming one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictRule {
    /// Keep the highest version (stamp, then writer id): the last write wins.
    #[default]
    LastWriteWins,
    /// Keep the lowest version: the first write wins and later writes are ignored.
    FirstWriteWins,
}

impl ConflictRule {
    /// Whether `incoming` should replace `current` under this rule.
    #[inline]
    pub fn prefers(self, incoming: Version, current: Version) -> bool {
        match self {
            ConflictRule::LastWriteWins => incoming > current,
            ConflictRule::FirstWriteWins => incoming < current,
        }
    }
}

/// What a merge did to the receiving store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The key was unknown or the incoming version won: the store changed.
    Applied,
    /// The store already held exactly this version: nothing changed (a redundant delivery).
    AlreadyKnown,
    /// The store holds a version the rule prefers: nothing changed.
    Superseded,
}

impl MergeOutcome {
    /// True if the store changed.
    #[inline]
    pub fn is_applied(self) -> bool {
        matches!(self, MergeOutcome::Applied)
    }
}
