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
///
/// Each word costs one round: xor it in, multiply by an odd constant, fold the high half down.
/// Every step is a bijection of the state for a given word, so two streams that differ in one
/// word always end in different states, and in several words collide with odds near 2^-64.
/// The value is finished with a full avalanche so that it reads as random. The emulator folds
/// two or three words per event (hundreds of millions at scale), which is why the round is
/// cheap: three instructions, where a SplitMix round per word cost 7% of a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0x6A09_E667_F3BC_C908)
    }
}

impl Fingerprint {
    /// Folds one word in.
    #[inline(always)]
    pub fn add(&mut self, word: u64) {
        let z = (self.0 ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = z ^ (z >> 29);
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(words: &[u64]) -> u64 {
        let mut f = Fingerprint::default();
        words.iter().for_each(|&w| f.add(w));
        f.value()
    }

    /// A fingerprint exists to tell two runs apart: a change in any one word, however small,
    /// or a swap of two words, must change it.
    #[test]
    fn any_changed_or_swapped_word_changes_the_value() {
        let base: Vec<u64> = (0..64).map(|i| i * 1_000_003).collect();
        let h = hash(&base);
        for i in 0..base.len() {
            for bit in [0, 1, 31, 32, 63] {
                let mut changed = base.clone();
                changed[i] ^= 1 << bit;
                assert_ne!(hash(&changed), h, "word {i} bit {bit}");
            }
            if i + 1 < base.len() {
                let mut swapped = base.clone();
                swapped.swap(i, i + 1);
                assert_ne!(hash(&swapped), h, "swap at {i}");
            }
        }
        assert_ne!(hash(&base[..63]), h, "a dropped word");
        // The value is avalanched: one bit in changes about half the bits out.
        let mut flipped = base.clone();
        flipped[63] ^= 1;
        let differing = (hash(&flipped) ^ h).count_ones();
        assert!((16..=48).contains(&differing), "{differing} bits differ");
    }
}
