//! What every protocol message must tell the driver: its size on the wire; and the payload
//! type that carries entries.

use crate::{Key, Versioned};
use smallvec::SmallVec;

/// The entries a message carries, in key order. One entry is stored inline, so the common
/// gossip message — one update — costs no heap allocation on the emulator's hot path.
pub type Entries = SmallVec<[(Key, Versioned); 1]>;

/// The entries of `from` as a message's payload. One entry (a single update, the common
/// gossip message) is written straight into the inline slot, where copying a slice goes
/// through a call to `memcpy`.
#[inline]
pub fn entries_of(from: &[(Key, Versioned)]) -> Entries {
    match from {
        [one] => Entries::from_buf([*one]),
        _ => Entries::from_slice(from),
    }
}

/// Bytes every message costs before its payload: a one-byte kind, the sender's id, a sequence
/// number and a length — the framing any real UDP gossip carries.
pub const HEADER_WIRE_BYTES: usize = 12;

/// Bytes one `(key, value, version)` entry costs on the wire: key 8, value 8, stamp 8, writer 4.
pub const ENTRY_WIRE_BYTES: usize = 28;

/// A protocol message as the driver sees it.
///
/// Traffic is reported in messages and in bytes, and a driver may enforce a per-message size
/// limit, so every message reports its encoded size.
pub trait Message: Clone + std::fmt::Debug {
    /// The encoded size of this message in bytes, header included.
    fn wire_size(&self) -> usize;

    /// A short name of the message kind, for traces and per-kind counts.
    fn kind(&self) -> &'static str;

    /// Whether dropping this message frees anything: whether it owns memory on the heap. A
    /// driver may forget a message that owns nothing rather than drop it, since its drop glue
    /// is an out-of-line call (the emulator skipping it saved 2.2% of a steady-state run's
    /// instructions). Saying `false` for a message that owns memory leaks that memory; the
    /// default, `true`, always drops.
    fn owns_heap(&self) -> bool {
        true
    }
}
