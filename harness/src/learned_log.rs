//! The learned records of a history, kept compact: 16 bytes a record rather than 48.
//!
//! A write stream at 10^4 nodes leaves millions of learned records, and they were most of what
//! recording a history cost: 144 MB at 3 million records, written while the run went on (evicting
//! the nodes' state from the caches) and faulted in page by page (some 4 µs a page on these
//! machines). But a run teaches the same few updates to every node: 350 writes, 3 million
//! records. So each distinct `(key, version, value)` is numbered once, and a record keeps only
//! when, who and that number. Whatever reads the log gets whole [`LearnedRecord`]s back, in the
//! order they were pushed, and a log reads and writes (serde) as the list of records it was.

use crate::history::LearnedRecord;
use hearsay_protocols::{Key, NodeId, SimTime, Value, Version};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a node came to hold: the part of a learned record that many records share.
pub type Update = (Key, Version, Value);

/// One record: when, which node, and which update (its number in the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Compact {
    at: SimTime,
    node: NodeId,
    update: u32,
}

/// Updates remembered with their numbers, by a hash of the update: a run spreads a few hundred
/// updates at a time (a version or two of each key written), so the update of a record is
/// nearly always one remembered, and the map (several times the instructions) is left for the
/// rest. 256 places missed about one record in three at 100 keys.
const RECENT: usize = 1024;

/// The learned records of a run, in the order pushed.
#[derive(Clone, Default)]
pub struct LearnedLog {
    records: Vec<Compact>,
    updates: Vec<Update>,
    numbers: FxHashMap<Update, u32>,
    /// Recently numbered updates (see [`RECENT`]); empty until the first push.
    recent: Vec<Option<(Update, u32)>>,
}

impl LearnedLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `record`.
    #[inline]
    pub fn push(&mut self, record: LearnedRecord) {
        let update = self.number((record.key, record.version, record.value));
        self.records.push(Compact {
            at: record.at,
            node: record.node,
            update,
        });
    }

    /// The number of `update`, numbering it if it is new.
    #[inline]
    fn number(&mut self, update: Update) -> u32 {
        let slot = recent_slot(update);
        match self.recent.get(slot) {
            Some(&Some((seen, n))) if seen == update => n,
            _ => self.number_by_map(update, slot),
        }
    }

    /// [`LearnedLog::number`] for an update not among the recent ones.
    #[inline(never)]
    fn number_by_map(&mut self, update: Update, slot: usize) -> u32 {
        if self.recent.is_empty() {
            self.recent = vec![None; RECENT];
        }
        let next = u32::try_from(self.updates.len()).expect("under 2^32 distinct updates");
        let n = *self.numbers.entry(update).or_insert(next);
        if n == next {
            self.updates.push(update);
        }
        self.recent[slot] = Some((update, n));
        n
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<LearnedRecord> {
        self.records.get(i).map(|c| self.expand(c))
    }

    /// The last record, if any.
    pub fn last(&self) -> Option<LearnedRecord> {
        self.records.last().map(|c| self.expand(c))
    }

    /// Every record, in the order pushed.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            records: self.records.iter(),
            updates: &self.updates,
        }
    }

    /// The distinct updates, by number (in order of first push).
    pub fn updates(&self) -> &[Update] {
        &self.updates
    }

    /// Every record as when, which node and its update's number (see [`LearnedLog::updates`]),
    /// in the order pushed: for passes over millions of records that need no more.
    pub fn numbered(&self) -> impl ExactSizeIterator<Item = (SimTime, NodeId, u32)> + '_ {
        self.records.iter().map(|c| (c.at, c.node, c.update))
    }

    /// Sorts the records by `key` (stable: equal keys keep their order).
    pub fn sort_by_key<K: Ord>(&mut self, mut key: impl FnMut(&LearnedRecord) -> K) {
        let updates = &self.updates;
        self.records.sort_by_key(|c| key(&expand_with(updates, c)));
    }

    #[inline]
    fn expand(&self, c: &Compact) -> LearnedRecord {
        expand_with(&self.updates, c)
    }
}

/// Where `update` is remembered among the [`RECENT`].
#[inline]
fn recent_slot((key, version, value): Update) -> usize {
    let mixed = (key ^ version.stamp.rotate_left(17) ^ u64::from(version.writer.0) << 40 ^ value)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 54) as usize % RECENT
}

#[inline]
fn expand_with(updates: &[Update], c: &Compact) -> LearnedRecord {
    let (key, version, value) = updates[c.update as usize];
    LearnedRecord {
        at: c.at,
        node: c.node,
        key,
        version,
        value,
    }
}

/// The records of a [`LearnedLog`], whole, in the order pushed.
#[derive(Clone)]
pub struct Iter<'a> {
    records: std::slice::Iter<'a, Compact>,
    updates: &'a [Update],
}

impl Iterator for Iter<'_> {
    type Item = LearnedRecord;

    #[inline]
    fn next(&mut self) -> Option<LearnedRecord> {
        self.records.next().map(|c| expand_with(self.updates, c))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<LearnedRecord> {
        self.records
            .next_back()
            .map(|c| expand_with(self.updates, c))
    }
}

impl<'a> IntoIterator for &'a LearnedLog {
    type Item = LearnedRecord;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromIterator<LearnedRecord> for LearnedLog {
    fn from_iter<I: IntoIterator<Item = LearnedRecord>>(records: I) -> Self {
        let mut log = LearnedLog::new();
        log.extend(records);
        log
    }
}

impl Extend<LearnedRecord> for LearnedLog {
    fn extend<I: IntoIterator<Item = LearnedRecord>>(&mut self, records: I) {
        for r in records {
            self.push(r);
        }
    }
}

/// Two logs are equal when they hold the same records in the same order, however their
/// updates were numbered.
impl PartialEq for LearnedLog {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for LearnedLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for LearnedLog {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for LearnedLog {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<LearnedRecord>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: u64, update: u64) -> LearnedRecord {
        LearnedRecord {
            at: SimTime(i),
            node: NodeId((i % 7) as u32),
            key: update % 5,
            version: Version {
                stamp: update,
                writer: NodeId((update % 3) as u32),
            },
            value: update * 10,
        }
    }

    /// Many records over few updates, colliding in the remembered ones: the log gives back
    /// exactly what was pushed, numbers each distinct update once, and takes 16 bytes a record.
    #[test]
    fn gives_back_every_record_as_pushed_and_numbers_each_update_once() {
        let mut state = 3u64;
        let pushed: Vec<LearnedRecord> = (0..20_000u64)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                record(i, (state >> 33) % 600)
            })
            .collect();
        let log: LearnedLog = pushed.iter().copied().collect();
        assert_eq!(log.len(), pushed.len());
        assert_eq!(log.iter().collect::<Vec<_>>(), pushed);
        assert_eq!(log.iter().next_back(), pushed.last().copied());
        assert_eq!(log.last(), pushed.last().copied());
        assert_eq!(log.get(1234), Some(pushed[1234]));
        assert_eq!(log.get(pushed.len()), None);
        let mut distinct: Vec<Update> =
            pushed.iter().map(|r| (r.key, r.version, r.value)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(log.updates().len(), distinct.len());
        for (r, (at, node, n)) in pushed.iter().zip(log.numbered()) {
            assert_eq!((at, node), (r.at, r.node));
            assert_eq!(log.updates()[n as usize], (r.key, r.version, r.value));
        }
        assert_eq!(std::mem::size_of::<Compact>(), 16);
    }

    /// Serialized, a log is the list of its records; read back, it is equal to the original.
    #[test]
    fn serializes_as_the_list_of_its_records() {
        let records: Vec<LearnedRecord> = (0..50).map(|i| record(i, i % 4)).collect();
        let log: LearnedLog = records.iter().copied().collect();
        let json = serde_json::to_string(&log).unwrap();
        assert_eq!(json, serde_json::to_string(&records).unwrap());
        let back: LearnedLog = serde_json::from_str(&json).unwrap();
        assert_eq!(back, log);
        let mut other = LearnedLog::new();
        other.push(record(99, 3)); // numbered differently...
        other.extend(records.iter().copied());
        assert_ne!(other, log); // ...and a different list
        assert_eq!(
            other.iter().skip(1).collect::<Vec<_>>(),
            log.iter().collect::<Vec<_>>()
        );
    }

    /// Sorting is stable and sorts whole records.
    #[test]
    fn sorts_stably_by_a_key_of_whole_records() {
        let mut log: LearnedLog = (0..40u64).map(|i| record(39 - i, i % 6)).collect();
        log.sort_by_key(|r| r.value);
        let sorted: Vec<LearnedRecord> = log.iter().collect();
        assert!(sorted.windows(2).all(|w| w[0].value <= w[1].value));
        assert!(
            sorted
                .windows(2)
                .filter(|w| w[0].value == w[1].value)
                .all(|w| w[0].at > w[1].at),
            "equal keys keep their pushed order (times descend as pushed)"
        );
    }
}
