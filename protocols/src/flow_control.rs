//! A per-message size limit (MTU) and what a strategy does when it has more to send than fits:
//! the newest updates go first, the rest is carried over to a later message, in the spirit of
//! Scuttlebutt's flow control (van Renesse et al. 2008).
//!
//! Every strategy that puts entries in a message asks [`capacity`] how many fit, and hands its
//! candidates to [`newest_first`] (a difference) or [`FlowControl::pack`] (a blind transfer),
//! which keep the ones to send and report how many had to wait (the node reports them as the
//! count `mtu-deferred`).
//!
//! Two kinds of transfer need two carry-over rules:
//!
//! * A *difference* (a push-pull reply, a rumor's hot list, a pulled Merkle bucket diff) is
//!   recomputed at every exchange from what the peers still disagree on, so what did not fit is
//!   carried over by construction: once the newest entries have arrived they drop out of the
//!   difference and the older ones get their turn. Plain newest-first is enough.
//! * A *blind* transfer (a full-state push, a full state sent after a checksum mismatch) does not
//!   know what the receiver holds, so newest-first alone would send the same newest entries
//!   forever and the oldest never. Here half the budget goes to the newest entries and the other
//!   half to a cursor that walks the remaining entries in key order, wrapping around, so every
//!   entry travels within a bounded number of messages.

use crate::{ENTRY_WIRE_BYTES, Entries, HEADER_WIRE_BYTES, Key, Versioned};

/// The smallest MTU a scenario may set: a header, the largest fixed part of any strategy's
/// message, and one entry with its per-entry extras. Below this no update could ever travel.
pub const MIN_MTU: u32 = (HEADER_WIRE_BYTES + MAX_FIXED_BYTES + ENTRY_WIRE_BYTES + 8) as u32;

/// The largest fixed (non-entry) part, after the header, of any message that carries entries.
const MAX_FIXED_BYTES: usize = 16;

/// How many items of `per_item` bytes fit a message of at most `mtu` bytes whose header and
/// fixed fields take `fixed` bytes; unlimited without an MTU. At least 1, so that a message is
/// never empty for want of space (the scenario's minimum MTU makes one entry fit).
#[inline]
pub fn capacity(mtu: Option<u32>, fixed: usize, per_item: usize) -> usize {
    match mtu {
        None => usize::MAX,
        Some(m) => ((m as usize).saturating_sub(fixed) / per_item.max(1)).max(1),
    }
}

/// The carry-over state of one node: the cursor of blind transfers. (A difference needs
/// none: [`newest_first`].)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowControl {
    /// The last key sent by the rotating half of a blind transfer.
    cursor: Option<Key>,
}

impl FlowControl {
    /// A node that has not yet deferred anything.
    pub const fn new() -> Self {
        FlowControl { cursor: None }
    }

    /// Trims a blind transfer's `entries` (in key order) to at most `capacity`: half the
    /// budget to the newest, half to the older entries in turn from the cursor on (see the
    /// module documentation). Returns how many were left out; the kept entries stay in key
    /// order.
    pub fn pack(&mut self, entries: &mut Entries, capacity: usize) -> usize {
        trim(entries, capacity, Some(&mut self.cursor))
    }
}

/// Trims a difference's `entries` (in key order) to at most `capacity`, keeping the newest,
/// and returns how many were left out. Needs no state: what did not fit is still in the next
/// difference. The kept entries stay in key order.
pub fn newest_first(entries: &mut Entries, capacity: usize) -> usize {
    trim(entries, capacity, None)
}

/// Keeps at most `capacity` of `entries`: the newest, and with a `cursor` (a blind transfer)
/// only half the budget for them and the rest walking the older entries from the cursor on.
fn trim(entries: &mut Entries, capacity: usize, cursor: Option<&mut Option<Key>>) -> usize {
    let total = entries.len();
    if total <= capacity {
        return 0;
    }
    let capacity = capacity.max(1);
    // Indices by recency: highest version first, ties by key (deterministic).
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_unstable_by(|&a, &b| {
        newer_first(&entries[a], &entries[b]).then(entries[a].0.cmp(&entries[b].0))
    });
    let newest = if cursor.is_some() {
        capacity.div_ceil(2)
    } else {
        capacity
    };
    let mut keep = vec![false; total];
    for &i in &order[..newest] {
        keep[i] = true;
    }
    let mut rotating = capacity - newest;
    if let Some(cursor) = cursor
        && rotating > 0
    {
        // Walk the rest in key order from just after the cursor, wrapping around.
        let start = match *cursor {
            Some(c) => entries.partition_point(|(k, _)| *k <= c),
            None => 0,
        };
        for step in 0..total {
            if rotating == 0 {
                break;
            }
            let i = (start + step) % total;
            if !keep[i] {
                keep[i] = true;
                rotating -= 1;
                *cursor = Some(entries[i].0);
            }
        }
    }
    let mut i = 0;
    entries.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
    total - entries.len()
}

fn newer_first(a: &(Key, Versioned), b: &(Key, Versioned)) -> std::cmp::Ordering {
    b.1.version.cmp(&a.1.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NodeId, Version};

    fn e(key: Key, stamp: u64) -> (Key, Versioned) {
        (
            key,
            Versioned {
                value: key,
                version: Version {
                    stamp,
                    writer: NodeId(0),
                },
            },
        )
    }

    #[test]
    fn capacity_counts_whole_items_after_the_fixed_part() {
        assert_eq!(capacity(None, 12, 28), usize::MAX);
        assert_eq!(capacity(Some(100), 16, 28), 3);
        assert_eq!(capacity(Some(10), 16, 28), 1, "never zero");
    }

    #[test]
    fn newest_first_keeps_the_highest_versions_in_key_order() {
        let mut es: Entries = [e(1, 50), e(2, 10), e(3, 40), e(4, 30)]
            .into_iter()
            .collect();
        assert_eq!(newest_first(&mut es, 2), 2);
        let keys: Vec<Key> = es.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec![1, 3]);
        let mut small: Entries = [e(1, 1)].into_iter().collect();
        assert_eq!(newest_first(&mut small, 2), 0);
        assert_eq!(small.len(), 1);
    }

    #[test]
    fn blind_transfers_rotate_through_the_older_entries() {
        let mut f = FlowControl::new();
        let all: Entries = (1..=10).map(|k| e(k, k)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..8 {
            let mut es = all.clone();
            assert_eq!(f.pack(&mut es, 4), 6);
            // The two newest are always there.
            assert!(es.iter().any(|(k, _)| *k == 10) && es.iter().any(|(k, _)| *k == 9));
            seen.extend(es.iter().map(|(k, _)| *k));
        }
        assert_eq!(seen.len(), 10, "some entry never travelled: {seen:?}");
    }
}
