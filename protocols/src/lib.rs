//! Sans-IO gossip protocols: the floor of hearsay.
//!
//! Every protocol here is a state machine implementing [`Node`]. It never reads a clock, opens a
//! socket or touches a global random number generator: the driver (the deterministic emulator, a
//! tokio task under turmoil, or a real UDP loop) passes the current time and a seeded RNG into
//! every call through a [`Context`], and carries out what the node asks for — send a message, arm
//! a timer, report an observation. That is what makes one `u64` seed replay a run bit for bit.
//!
//! The crate owns the shared vocabulary: [`NodeId`], simulated time ([`SimTime`],
//! [`SimDuration`]), the versioned key/value model ([`Key`], [`Value`], [`Version`],
//! [`Versioned`], [`VersionedStore`]), the [`PeerSampler`] service, the MTU logic every strategy
//! shares ([`flow_control`]), and the strategies themselves, one module per family of the
//! epidemic literature: [`direct_mail`], [`anti_entropy`] (full state, checksum, recent updates,
//! Merkle trees; push, pull, push-pull), [`rumor`] (push, pull, push-pull; four removal rules),
//! [`push_then_pull`] and [`rumor_with_anti_entropy`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod anti_entropy;
mod conflict;
mod cycle;
pub mod direct_mail;
pub mod flow_control;
mod local_write;
mod message;
mod node;
mod node_id;
mod peer_sampling;
pub mod push_then_pull;
mod random;
pub mod rumor;
pub mod rumor_with_anti_entropy;
mod store;
#[cfg(test)]
mod testkit;
mod time;
mod version;
pub mod zoo;

pub use conflict::{ConflictRule, MergeOutcome};
pub use local_write::{local_write, write_version};
pub use message::{ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Message, entries_of};
pub use node::{Context, Node, Observation, TimerId};
pub use node_id::NodeId;
pub use peer_sampling::{PeerList, PeerSampler, RoundPeers, UniformPeers};
pub use random::{coin, uniform_below};
pub use store::{VersionedStore, entry_hash};
pub use time::{ParseDurationError, SimDuration, SimTime};
pub use version::{Key, Value, Version, Versioned};
