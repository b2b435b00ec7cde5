//! The history of one run: what clients did, what nodes learned, what the network carried.
//!
//! The emulator records; the checkers and metrics read. Keeping the two apart (as Jepsen does)
//! means every verdict is computed from a record that could be stored and re-checked later.

use hearsay_protocols::{Key, NodeId, SimTime, Value, Version, Versioned};
use hearsay_reports::TrafficCounts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A client write and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// When the client issued it.
    pub at: SimTime,
    /// The node it went to.
    pub node: NodeId,
    /// The key.
    pub key: Key,
    /// The value.
    pub value: Value,
    /// The version the node assigned, or `None` if the node was down and the write failed.
    pub version: Option<Version>,
}

/// A client read and what it returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRecord {
    /// When.
    pub at: SimTime,
    /// The node read from.
    pub node: NodeId,
    /// The key.
    pub key: Key,
    /// What the node returned; `None` for a missing key. A read at a down node is not recorded
    /// as a value: `ok` is false.
    pub value: Option<Versioned>,
    /// Whether the node was up to answer.
    pub ok: bool,
}

/// A node came to hold `key` at `version` at time `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedRecord {
    /// When.
    pub at: SimTime,
    /// Which node.
    pub node: NodeId,
    /// The key.
    pub key: Key,
    /// The version it now holds.
    pub version: Version,
}

/// A fault the emulator applied, as it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFault {
    /// When.
    pub at: SimTime,
    /// What, e.g. `partition halves` or `crash n3 (state lost)`.
    pub what: String,
}

/// Everything the checkers need from one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Cluster size.
    pub nodes: u32,
    /// When the run ended.
    pub end: SimTime,
    /// Client writes in the order issued.
    pub writes: Vec<WriteRecord>,
    /// Client reads in the order issued.
    pub reads: Vec<ReadRecord>,
    /// Every time a node came to hold a new version, in time order.
    pub learned: Vec<LearnedRecord>,
    /// Deliveries of entries the receiver already held.
    pub redundant: u64,
    /// Protocol- and fault-specific counts, by name (see `Observation::Count`).
    pub counters: BTreeMap<String, u64>,
    /// Network counts.
    pub traffic: TrafficCounts,
    /// Every fault applied, in the order applied.
    #[serde(default)]
    pub faults_applied: Vec<AppliedFault>,
    /// The earliest sample time from which every live node's fingerprint was equal at every
    /// later sample up to the end; `None` if the cluster was not converged at the end.
    pub converged_since: Option<SimTime>,
    /// Which nodes were up at the end.
    pub alive_at_end: Vec<bool>,
    /// Every node's state fingerprint at the end.
    pub fingerprints_at_end: Vec<u64>,
    /// For each write (same order as `writes`): how many live nodes hold its version, or a
    /// later one, at the end. Zero for failed writes.
    pub holders_at_end: Vec<u32>,
}

impl History {
    /// Nodes up at the end.
    pub fn live_count(&self) -> u32 {
        self.alive_at_end.iter().filter(|a| **a).count() as u32
    }
}
