//! The history of one run: what clients did, what nodes learned, what the network carried.
//!
//! The emulator records; the checkers and metrics read. Keeping the two apart (as Jepsen does)
//! means every verdict is computed from a record that could be stored and re-checked later.

use crate::learned_log::LearnedLog;
use hearsay_protocols::{Key, NodeId, SimTime, Value, Version, Versioned};
use hearsay_reports::{SendSeries, TrafficCounts};
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
    /// The value it now holds under that version.
    pub value: Value,
}

/// Something that happened to a node's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum NodeEventKind {
    /// The process stopped; `lose_state` if its disk was wiped.
    Crash {
        /// Whether its state was lost.
        lose_state: bool,
    },
    /// The process started again.
    Restart,
    /// A node joined the cluster (churn), with empty state.
    Join,
    /// A node left the cluster for good (churn); its state is gone.
    Leave,
}

/// A node event at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEvent {
    /// When.
    pub at: SimTime,
    /// Which node.
    pub node: NodeId,
    /// What happened.
    pub kind: NodeEventKind,
}

/// The cluster's agreement at one sample time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// When.
    pub at: SimTime,
    /// Live nodes.
    pub live: u32,
    /// Distinct state fingerprints among them (1 = converged).
    pub distinct_states: u32,
}

/// One distinct final state and how many live nodes hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalState {
    /// Its fingerprint.
    pub fingerprint: u64,
    /// Live nodes holding it.
    pub nodes: u32,
    /// Its entries, in key order.
    pub entries: Vec<(Key, Versioned)>,
}

impl FinalState {
    /// The entry for `key`, if held.
    pub fn get(&self, key: Key) -> Option<&Versioned> {
        self.entries
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.entries[i].1)
    }
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
    /// What every node present at the start held before time 0 (the scenario's `preload`), in
    /// key order: not writes and never learned, but written as far as the checkers go.
    #[serde(default)]
    pub preloaded: Vec<(Key, Versioned)>,
    /// Client writes in the order issued.
    pub writes: Vec<WriteRecord>,
    /// Client reads in the order issued.
    pub reads: Vec<ReadRecord>,
    /// Every time a node came to hold a new version, in time order (kept compact: see
    /// [`LearnedLog`]).
    pub learned: LearnedLog,
    /// Crashes and restarts, in time order.
    pub node_events: Vec<NodeEvent>,
    /// The cluster's agreement at every sample.
    pub checkpoints: Vec<Checkpoint>,
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
    /// The distinct states live nodes hold at the end, most common first (at most
    /// [`FINAL_STATES_KEPT`]; see `final_states_truncated`). Look a node's state up by its
    /// fingerprint in `fingerprints_at_end`.
    pub final_states: Vec<FinalState>,
    /// True if more distinct final states existed than were kept.
    pub final_states_truncated: bool,
    /// Messages sent per fixed interval of the run (see [`SEND_BUCKETS`]).
    #[serde(default)]
    pub sends_over_time: SendSeries,
}

/// How many distinct final states a history keeps as evidence.
pub const FINAL_STATES_KEPT: usize = 256;

/// How many intervals [`History::sends_over_time`] splits a run into (fewer when that would
/// make an interval shorter than a millisecond).
pub const SEND_BUCKETS: u64 = 200;

impl History {
    /// Nodes up at the end.
    pub fn live_count(&self) -> u32 {
        self.alive_at_end.iter().filter(|a| **a).count() as u32
    }

    /// The final state of a live node, if it was kept.
    pub fn final_state_of(&self, node: NodeId) -> Option<&FinalState> {
        let fp = *self.fingerprints_at_end.get(node.index())?;
        self.final_states.iter().find(|s| s.fingerprint == fp)
    }
}
