//! THE BUG ZOO — deliberately broken protocols. Never use these for anything but testing the
//! checkers.
//!
//! A checker that cannot fail is worthless. Each variant here carries one realistic bug of the
//! kind that ships in real gossip systems, and each is paired (in `scenarios/zoo/` and the
//! tests) with the checker that must catch it:
//!
//! | bug | what is wrong | caught by |
//! |---|---|---|
//! | [`Bug::AcceptsOlderVersions`] | merge replaces on *any* different version | `monotonic_versions` |
//! | [`Bug::TieBreakDiffersByNode`] | odd nodes break LWW ties the other way | `conflict_resolution`, `convergence` |
//! | [`Bug::ForgetsPartitionWrites`] | delta sync clears its dirty set on send, not on delivery | `no_lost_writes` |
//! | [`Bug::NoRetryAfterLoss`] | a broadcast sent once, never re-sent when a packet is lost | `no_lost_writes` |
//! | [`Bug::MerkleSkipsLastBucket`] | bucketed digest reconciliation never compares the last bucket | `no_lost_writes` |
//! | [`Bug::LosesAckedWritesOnRestart`] | write-behind buffer dropped on a restart that kept the disk | `no_lost_writes` |
//! | [`Bug::CorruptsRepliedValues`] | an off-by-one decoding values in replies | `no_phantoms` |
//!
//! All variants claim to deliver every update (like anti-entropy), so `no_lost_writes` applies
//! to them by default.

mod broken_anti_entropy;
mod fire_and_forget;

pub use broken_anti_entropy::BrokenAntiEntropyNode;
pub use fire_and_forget::FireAndForgetNode;

use crate::{ConflictRule, SimDuration};
use serde::{Deserialize, Serialize};

/// Which bug a zoo node carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// The version comparison accepts any version that differs from the one held, older ones
    /// included.
    AcceptsOlderVersions,
    /// Last-write-wins whose tie-break on equal clock stamps depends on the node: even nodes
    /// prefer the higher writer id, odd nodes the lower.
    TieBreakDiffersByNode,
    /// Delta anti-entropy that sends only keys changed since its last exchange and clears that
    /// set when it sends, whether or not the message arrives: keys written while a partition
    /// holds never cross it.
    ForgetsPartitionWrites,
    /// A "reliable" broadcast: the writer sends the update to every member once; a lost packet
    /// is never re-sent.
    NoRetryAfterLoss,
    /// Bucketed (Merkle-style) digest reconciliation whose loop over buckets stops one short, so
    /// keys in the last bucket never reconcile.
    MerkleSkipsLastBucket,
    /// Local writes sit in a write-behind buffer flushed every period; a crash and restart with
    /// the disk intact drops the unflushed (but acknowledged) writes.
    LosesAckedWritesOnRestart,
    /// Values arriving in anti-entropy replies are decoded off by one.
    CorruptsRepliedValues,
}

impl Bug {
    /// Every bug, for listings and tests.
    pub const ALL: [Bug; 7] = [
        Bug::AcceptsOlderVersions,
        Bug::TieBreakDiffersByNode,
        Bug::ForgetsPartitionWrites,
        Bug::NoRetryAfterLoss,
        Bug::MerkleSkipsLastBucket,
        Bug::LosesAckedWritesOnRestart,
        Bug::CorruptsRepliedValues,
    ];

    /// The scenario-file name of the bug.
    pub fn name(self) -> &'static str {
        match self {
            Bug::AcceptsOlderVersions => "accepts-older-versions",
            Bug::TieBreakDiffersByNode => "tie-break-differs-by-node",
            Bug::ForgetsPartitionWrites => "forgets-partition-writes",
            Bug::NoRetryAfterLoss => "no-retry-after-loss",
            Bug::MerkleSkipsLastBucket => "merkle-skips-last-bucket",
            Bug::LosesAckedWritesOnRestart => "loses-acked-writes-on-restart",
            Bug::CorruptsRepliedValues => "corrupts-replied-values",
        }
    }
}

/// The parameters of a zoo node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZooConfig {
    /// The bug.
    pub bug: Bug,
    /// The anti-entropy period (and the write-behind flush period).
    pub period: SimDuration,
    /// The conflict rule the node claims to implement.
    pub conflict: ConflictRule,
}

impl ZooConfig {
    /// A zoo node with `bug`, exchanging every 500 ms under last-write-wins.
    pub fn new(bug: Bug) -> Self {
        ZooConfig {
            bug,
            period: SimDuration::from_millis(500),
            conflict: ConflictRule::LastWriteWins,
        }
    }
}
