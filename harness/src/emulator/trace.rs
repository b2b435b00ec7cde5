//! The trace: a fingerprint over every event a run processed, and optionally the events.
//!
//! The fingerprint is what makes "same scenario + same seed ⇒ same run, byte for byte" checkable:
//! every processed event is folded into a 64-bit hash in order, and a run prints it. The full
//! event list is kept only when asked for (tests and replays), since a large run processes
//! hundreds of millions of events.

use hearsay_protocols::{NodeId, SimTime};
use serde::{Deserialize, Serialize};

/// What happened to a message the moment it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SendOutcome {
    /// The network will deliver it.
    InFlight,
    /// Random loss.
    Lost,
    /// Sender and receiver are on different sides of a partition.
    Partitioned,
}

/// One event of a run, as recorded when tracing is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum TraceEvent {
    /// A node sent a message.
    Send {
        /// When.
        at: SimTime,
        /// Sender.
        from: NodeId,
        /// Addressee.
        to: NodeId,
        /// Message kind.
        kind: &'static str,
        /// Encoded size.
        bytes: usize,
        /// What the network did with it.
        outcome: SendOutcome,
    },
    /// A message reached a live node.
    Deliver {
        /// When.
        at: SimTime,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message kind.
        kind: &'static str,
    },
    /// A message reached a crashed node and was dropped.
    DropCrashed {
        /// When.
        at: SimTime,
        /// Sender.
        from: NodeId,
        /// The crashed addressee.
        to: NodeId,
    },
    /// A message was dropped on arrival by a fault: `capacity` (the addressee's inbound queue
    /// was full) or `absent` (the addressee has not joined yet, or has left).
    Dropped {
        /// When.
        at: SimTime,
        /// Sender.
        from: NodeId,
        /// Addressee.
        to: NodeId,
        /// Which fault dropped it.
        why: &'static str,
    },
    /// A timer fired at a live node.
    Timer {
        /// When.
        at: SimTime,
        /// The node.
        node: NodeId,
    },
    /// A fault was applied.
    Fault {
        /// When.
        at: SimTime,
        /// Its description.
        what: String,
    },
    /// A client operation was issued.
    Client {
        /// When.
        at: SimTime,
        /// At which node.
        node: NodeId,
        /// Whether the node was up to take it.
        ok: bool,
    },
}

impl TraceEvent {
    /// When the event happened.
    pub fn at(&self) -> SimTime {
        match self {
            TraceEvent::Send { at, .. }
            | TraceEvent::Deliver { at, .. }
            | TraceEvent::DropCrashed { at, .. }
            | TraceEvent::Dropped { at, .. }
            | TraceEvent::Timer { at, .. }
            | TraceEvent::Fault { at, .. }
            | TraceEvent::Client { at, .. } => *at,
        }
    }
}

/// An order-sensitive 64-bit hash over a stream of words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0x6A09_E667_F3BC_C908)
    }
}

impl Fingerprint {
    /// Folds one word in.
    #[inline]
    pub fn add(&mut self, word: u64) {
        let mut z = (self.0 ^ word).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.0
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}
