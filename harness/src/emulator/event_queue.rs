//! The emulator's event queue: a timing wheel with exact `(time, sequence)` order.
//!
//! A binary heap over every pending event is the simple choice, but at 10^5–10^6 nodes its cache
//! misses dominate the run (DESIGN.md measures 0.74 M deliveries/s at 10^6 nodes against 38 M/s
//! for a wheel). Here events go into buckets of `2^shift` nanoseconds. Events further ahead than
//! the wheel spans wait in an overflow heap until the wheel reaches them.
//!
//! A bucket's events are appended in push order, which is sequence order, so when the wheel
//! reaches a bucket it only has to order them by time, ties kept in place (a stable ordering,
//! [`BucketOrder`]), and the events need not carry their sequence number at all. Nor their full
//! time: an event carries its offset within the bucket in spare bits of its own ([`Stamped`]),
//! and the bucket's number gives the rest (16 bytes an event rather than 24: 0.82x the peak
//! memory at 10^6 nodes).
//!
//! The rare event pushed into the bucket being drained (a delay shorter than the bucket) goes
//! to a small side heap; it was pushed after everything in the bucket, so on equal times the
//! bucket's event pops first, and order stays exact.

use super::bucket::{Bucket, ChunkStore};
use super::bucket_order::BucketOrder;
use hearsay_protocols::SimTime;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// An event in the side or overflow heap, which need the sequence number to break ties.
struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// An event that can carry its time within a wheel bucket in spare bits of its own.
///
/// A bucket's events then need no separate time field: at 10^5–10^6 nodes the buckets are
/// written, ordered and read by the million, and an event of 16 bytes with a separate 8-byte
/// time made every one of those moves half as large again.
pub trait Stamped: Copy {
    /// How many bits of offset the event can carry (buckets span at most `2^OFFSET_BITS` ns).
    const OFFSET_BITS: u32;
    /// The event carrying `offset` (below `2^OFFSET_BITS`), whatever offset it carried before.
    fn with_offset(self, offset: u32) -> Self;
    /// The offset it carries.
    fn offset(&self) -> u32;
}

/// Cluster size from which [`EventQueue::for_cluster`] uses half-width buckets.
pub const HALF_MS_BUCKETS_FROM: u32 = 500_000;

/// A priority queue of events ordered by `(time, insertion sequence)`.
pub struct EventQueue<E> {
    shift: u32,
    mask: u64,
    wheel: Vec<Bucket>,
    /// The chunks the wheel's buckets are made of.
    store: ChunkStore<E>,
    /// The bucket being drained, in pop order.
    current: Vec<E>,
    /// How many of `current` have popped.
    next: usize,
    /// Scratch space for ordering a bucket.
    order: BucketOrder,
    /// Events pushed into the bucket being drained after it was ordered.
    late: BinaryHeap<Reverse<Entry<E>>>,
    /// The last event popped from `late`, which [`EventQueue::pop_ref`] lends out.
    popped_late: Option<E>,
    /// The bucket being drained (absolute index: time >> shift).
    cursor: u64,
    overflow: BinaryHeap<Reverse<Entry<E>>>,
    in_wheel: usize,
    /// Orders the side and overflow heaps' ties; only their pushes take a number, since the
    /// wheel's buckets keep push order by position.
    seq: u64,
    len: usize,
}

impl<E: Stamped> EventQueue<E> {
    /// A queue with buckets of `2^shift` ns (at most 2^32) and `2^wheel_bits` buckets.
    pub fn new(shift: u32, wheel_bits: u32) -> Self {
        assert!(
            shift <= E::OFFSET_BITS,
            "a bucket spans at most 2^{} ns",
            E::OFFSET_BITS
        );
        let size = 1usize << wheel_bits;
        EventQueue {
            shift,
            mask: (size as u64) - 1,
            wheel: (0..size).map(|_| Bucket::default()).collect(),
            store: ChunkStore::default(),
            current: Vec::new(),
            next: 0,
            order: BucketOrder::default(),
            late: BinaryHeap::new(),
            popped_late: None,
            cursor: 0,
            overflow: BinaryHeap::new(),
            in_wheel: 0,
            seq: 0,
            len: 0,
        }
    }

    /// The default shape: ~1 ms buckets (2^20 ns), 4,096 of them (~4.3 s ahead). Narrower
    /// buckets for larger clusters (8 µs at 10^6 nodes, so that a bucket holds a hundred
    /// events rather than 20,000) measured 1.07x the wall time at 10^5 nodes and 1.29x at
    /// 10^6: sorting a large bucket costs less than pushing into thousands of small ones.
    pub fn with_default_shape() -> Self {
        Self::new(20, 12)
    }

    /// The shape for a cluster of `nodes`: the default, but from [`HALF_MS_BUCKETS_FROM`]
    /// nodes up, buckets of ~0.5 ms (2^19 ns), twice as many (the same ~4.3 s ahead).
    ///
    /// At 10^6 nodes a 1 ms bucket holds 20,000 events, and a message sent early in a bucket
    /// with a delay just over 1 ms lands in that same bucket, in the side heap, which then
    /// holds something most of the time, so that nearly every pop compares it with the
    /// bucket. Half-width buckets ran 0.94x the wall time at 10^6 nodes (steady state, paired
    /// runs), 1.00x at 10^5, but 1.14x at 10^4, where buckets are small already and there are
    /// twice as many to move through.
    pub fn for_cluster(nodes: u32) -> Self {
        if nodes >= HALF_MS_BUCKETS_FROM {
            Self::new(19, 13)
        } else {
            Self::with_default_shape()
        }
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Schedules `event` at `time`. Times earlier than the bucket being drained are treated as
    /// "now" (they pop next, in sequence order); the emulator never schedules into the past.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        let time = time.as_nanos();
        self.len += 1;
        let bucket = time >> self.shift;
        // Buckets 1..=mask ahead of the cursor are in the wheel; the one being drained (0
        // ahead), and anything further, take the slow path.
        if bucket.wrapping_sub(self.cursor).wrapping_sub(1) < self.mask {
            let index = (bucket & self.mask) as usize;
            let event = event.with_offset(self.offset(time));
            self.wheel[index].push(&mut self.store, event);
            self.in_wheel += 1;
        } else {
            self.push_outside_wheel(time, bucket, event);
        }
    }

    /// Where `time` falls within its bucket.
    #[inline(always)]
    fn offset(&self, time: u64) -> u32 {
        (time & ((1u64 << self.shift) - 1)) as u32
    }

    /// The time of an event of the bucket being drained.
    #[inline(always)]
    fn time_in_current(&self, e: &E) -> u64 {
        self.cursor << self.shift | u64::from(e.offset())
    }

    /// A push into the bucket being drained (the side heap) or beyond the wheel (overflow).
    #[inline(never)]
    fn push_outside_wheel(&mut self, time: u64, bucket: u64, event: E) {
        let seq = self.seq;
        self.seq += 1;
        let entry = Reverse(Entry { time, seq, event });
        if bucket <= self.cursor {
            self.late.push(entry);
        } else {
            self.overflow.push(entry);
        }
    }

    /// The `count` events from `distance` places after the next one on, as many of them as
    /// the bucket being drained holds (events in the side heap are left out: they are rare).
    /// For prefetching, never to decide anything.
    #[inline(always)]
    pub fn ahead(&self, distance: usize, count: usize) -> &[E] {
        let from = (self.next + distance).min(self.current.len());
        let to = (from + count).min(self.current.len());
        &self.current[from..to]
    }

    /// How many events of the bucket being drained have popped: where [`EventQueue::ahead`]
    /// counts from.
    #[inline(always)]
    pub fn position(&self) -> usize {
        self.next
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// Removes and returns the earliest event if it is due at or before `end`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        self.pop_ref(end).map(|(t, e)| (t, *e))
    }

    /// [`pop_until`](Self::pop_until), the loop's one call per event, returning the event by
    /// reference into the queue's own storage. Returned by value, the time and the event came
    /// back through a temporary on the stack, and reading it back right after it was written,
    /// in other widths, stalled the core on every event (store-to-load forwarding fails).
    #[inline]
    pub fn pop_ref(&mut self, end: SimTime) -> Option<(SimTime, &E)> {
        let end = end.as_nanos();
        loop {
            if !self.late.is_empty() {
                return self.pop_with_late(end);
            }
            if self.next < self.current.len() {
                return self.pop_bucket(end);
            }
            if self.len == 0 || !self.advance() {
                return None;
            }
        }
    }

    /// Pops the ordered bucket's next event if it is due by `end` (the bucket must hold one).
    #[inline(always)]
    fn pop_bucket(&mut self, end: u64) -> Option<(SimTime, &E)> {
        let time = self.time_in_current(&self.current[self.next]);
        if time > end {
            return None;
        }
        self.next += 1;
        self.len -= 1;
        Some((SimTime(time), &self.current[self.next - 1]))
    }

    /// [`pop_ref`](Self::pop_ref) while the side heap holds events: whichever of its earliest
    /// and the bucket's next pops first. Equal times go to the bucket: everything in it was
    /// pushed before anything in the side heap.
    #[inline(never)]
    fn pop_with_late(&mut self, end: u64) -> Option<(SimTime, &E)> {
        let Reverse(first_late) = self.late.peek()?;
        let late_time = first_late.time;
        let bucket_first = self
            .current
            .get(self.next)
            .is_some_and(|e| self.time_in_current(e) <= late_time);
        if bucket_first {
            return self.pop_bucket(end);
        }
        if late_time > end {
            return None;
        }
        let Reverse(e) = self.late.pop()?;
        self.len -= 1;
        self.popped_late = Some(e.event);
        self.popped_late
            .as_ref()
            .map(|event| (SimTime(e.time), event))
    }

    /// Moves the cursor to the next bucket that holds something (the bucket being drained is
    /// empty, and so is the side heap) and orders it; false if nothing is left anywhere.
    #[inline(never)]
    fn advance(&mut self) -> bool {
        let mut bucket: Bucket;
        loop {
            if self.in_wheel == 0 {
                // Nothing within the wheel's span: jump straight to the overflow's earliest.
                let Some(Reverse(first)) = self.overflow.peek() else {
                    return false;
                };
                self.cursor = first.time >> self.shift;
            } else {
                self.cursor += 1;
            }
            let slot = (self.cursor & self.mask) as usize;
            // The slot's events become the bucket to order, and the slot is empty.
            bucket = std::mem::take(&mut self.wheel[slot]);
            self.in_wheel -= bucket.len();
            // Overflow events that now fall within the wheel's span move in. They leave the heap
            // in (time, seq) order and no event was pushed straight into those buckets yet (they
            // were out of reach until now), so position order stays sequence order.
            while let Some(Reverse(first)) = self.overflow.peek() {
                let b = first.time >> self.shift;
                if b - self.cursor > self.mask {
                    break;
                }
                let Reverse(e) = self.overflow.pop().expect("peeked");
                let timed = e.event.with_offset(self.offset(e.time));
                if b == self.cursor {
                    bucket.push(&mut self.store, timed);
                } else {
                    self.wheel[(b & self.mask) as usize].push(&mut self.store, timed);
                    self.in_wheel += 1;
                }
            }
            if !bucket.is_empty() {
                break;
            }
        }
        // Lay the events out in pop order: the pops (and the loop's look-ahead) then read them
        // one after the other, where reading through sorted indices cost a random access into
        // the bucket per event (half a megabyte at 10^6 nodes).
        self.order.order(
            bucket.pieces(&self.store),
            &mut self.current,
            self.shift,
            |e| u64::from(e.offset()),
        );
        bucket.release(&mut self.store);
        self.next = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{Rng, SeedableRng};

    /// A test event: an id, and the offset the queue stamps on it.
    #[derive(Clone, Copy, Debug)]
    struct Item {
        id: u64,
        offset: u32,
    }

    impl Stamped for Item {
        const OFFSET_BITS: u32 = 32;
        fn with_offset(self, offset: u32) -> Self {
            Item { offset, ..self }
        }
        fn offset(&self) -> u32 {
            self.offset
        }
    }

    /// An event with id `id`, carrying an offset the queue must overwrite.
    fn item(id: u64) -> Item {
        Item {
            id,
            offset: u32::MAX,
        }
    }

    /// Pops the earliest event as (time, id).
    fn pop(q: &mut EventQueue<Item>) -> Option<(u64, u64)> {
        q.pop().map(|(t, e)| (t.as_nanos(), e.id))
    }

    /// The look-ahead shows the events that pop next, in pop order, `distance` places on
    /// from the next one, and stops at the end of the bucket being drained.
    #[test]
    fn ahead_shows_the_events_that_pop_next() {
        let mut q = EventQueue::new(10, 4);
        for id in 0..20u64 {
            // One bucket, pushed out of time order: the look-ahead follows pop order.
            q.push(SimTime(1_024 + (id * 7) % 20), item(id));
        }
        q.push(SimTime(5_000), item(99)); // a later bucket: never in view
        assert_eq!(pop(&mut q), Some((1_024, 0)));
        assert_eq!(q.position(), 1);
        let mut order: Vec<u64> = (1..20u64).collect();
        order.sort_by_key(|id| (id * 7) % 20);
        let ids = |s: &[Item]| s.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(q.ahead(2, 3)), order[2..5]);
        assert_eq!(ids(q.ahead(17, 8)), order[17..], "cut at the bucket's end");
        assert!(q.ahead(40, 8).is_empty());
        for expected in &order[..3] {
            assert_eq!(pop(&mut q).map(|(_, id)| id), Some(*expected));
        }
        assert_eq!(ids(q.ahead(0, 2)), order[3..5]);
    }

    /// The wheel must pop exactly what a plain heap over (time, seq) pops, including pushes
    /// made while draining, events far beyond the wheel's span, and ties.
    #[test]
    fn pops_in_the_same_order_as_a_reference_heap() {
        for seed in 0..20 {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
            let mut q = EventQueue::new(4, 3); // tiny buckets and wheel: exercise every path
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            let mut now = 0u64;
            let mut popped = Vec::new();
            let mut expected = Vec::new();
            for step in 0..3_000u64 {
                if rng.next_u64() % 3 != 0 || reference.is_empty() {
                    let delta = match rng.next_u64() % 4 {
                        0 => 0,
                        1 => rng.next_u64() % 16,
                        2 => rng.next_u64() % 200,
                        _ => rng.next_u64() % 5_000,
                    };
                    q.push(SimTime(now + delta), item(step));
                    reference.push(Reverse((now + delta, seq, step)));
                    seq += 1;
                } else {
                    let (t, e) = pop(&mut q).unwrap();
                    let Reverse((rt, _, re)) = reference.pop().unwrap();
                    now = t;
                    popped.push((t, e));
                    expected.push((rt, re));
                }
            }
            while let Some((t, e)) = pop(&mut q) {
                popped.push((t, e));
            }
            while let Some(Reverse((t, _, e))) = reference.pop() {
                expected.push((t, e));
            }
            assert_eq!(popped, expected, "seed {seed}");
            assert!(q.is_empty());
        }
    }

    /// Crowded buckets, overflow and late pushes together: still exactly the reference order,
    /// ties included (times are drawn from few values on purpose).
    #[test]
    fn crowded_buckets_pop_in_the_same_order_as_a_reference_heap() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut q = EventQueue::new(12, 4); // 4 µs buckets, 16 of them
        let mut reference = BinaryHeap::new();
        let mut now = 0u64;
        let (mut popped, mut expected) = (Vec::new(), Vec::new());
        for step in 0..60_000u64 {
            if rng.next_u64() % 5 < 3 || reference.is_empty() {
                let delta = match rng.next_u64() % 3 {
                    0 => (rng.next_u64() % 64) * 64,
                    1 => rng.next_u64() % 50_000,
                    _ => rng.next_u64() % 200_000,
                };
                q.push(SimTime(now + delta), item(step));
                reference.push(Reverse((now + delta, step)));
            } else {
                let (t, e) = pop(&mut q).unwrap();
                let Reverse((rt, re)) = reference.pop().unwrap();
                now = t;
                popped.push((t, e));
                expected.push((rt, re));
            }
        }
        while let Some((t, e)) = pop(&mut q) {
            popped.push((t, e));
        }
        while let Some(Reverse((t, e))) = reference.pop() {
            expected.push((t, e));
        }
        assert_eq!(popped.len(), expected.len());
        assert!(popped == expected, "first difference at {:?}", {
            let i = popped.iter().zip(&expected).position(|(a, b)| a != b);
            i.map(|i| (i, popped[i], expected[i]))
        });
    }

    /// The wheel's memory follows the events pending, not the events ever pushed: an ordered
    /// bucket's chunks serve later pushes.
    #[test]
    fn a_long_steady_run_reuses_the_wheels_chunks() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut q = EventQueue::new(10, 6); // ~1 µs buckets, 64 of them
        let pending = 2_000u64;
        for id in 0..pending {
            q.push(SimTime(rng.next_u64() % 60_000), item(id));
        }
        for id in pending..200_000 {
            let (now, _) = pop(&mut q).expect("events pending");
            q.push(SimTime(now + rng.next_u64() % 60_000), item(id));
        }
        assert_eq!(q.len(), pending as usize);
        // Full chunks for the pending events, plus a part-filled one per bucket.
        let bound = pending as usize / 256 + 64 + 1;
        let made = q.store.chunks();
        assert!(made <= bound, "{made} chunks for {pending} pending events");
    }

    /// A large cluster's queue has narrower buckets but looks as far ahead (timers seconds
    /// away stay in the wheel, out of the overflow heap).
    #[test]
    fn large_clusters_get_narrower_buckets_over_the_same_span() {
        let small = EventQueue::<Item>::for_cluster(HALF_MS_BUCKETS_FROM - 1);
        let large = EventQueue::<Item>::for_cluster(HALF_MS_BUCKETS_FROM);
        assert_eq!((small.shift, large.shift), (20, 19));
        let span = |q: &EventQueue<Item>| (q.mask + 1) << q.shift;
        assert_eq!(span(&small), span(&large));
    }

    #[test]
    fn pop_until_stops_at_the_end_and_leaves_later_events() {
        let mut q = EventQueue::with_default_shape();
        for (t, e) in [(5_000_000, 'a'), (1_000, 'b'), (9_000_000, 'c')] {
            q.push(SimTime(t), item(e as u64));
        }
        let until = |q: &mut EventQueue<Item>, end| {
            q.pop_until(SimTime(end))
                .map(|(t, e)| (t.as_nanos(), char::from(e.id as u8)))
        };
        let end = 5_000_000;
        assert_eq!(until(&mut q, end), Some((1_000, 'b')));
        assert_eq!(until(&mut q, end), Some((5_000_000, 'a')));
        assert_eq!(until(&mut q, end), None);
        assert_eq!(q.len(), 1);
        // In the past of the drained bucket: the side heap.
        q.push(SimTime(4_000_000), item('d' as u64));
        assert_eq!(until(&mut q, end), Some((4_000_000, 'd')));
        assert_eq!(until(&mut q, 10_000_000), Some((9_000_000, 'c')));
        assert!(q.is_empty());
    }

    #[test]
    fn equal_times_pop_in_push_order() {
        let mut q = EventQueue::with_default_shape();
        for i in 0..10 {
            q.push(SimTime(5_000_000), item(i));
        }
        let order: Vec<_> = std::iter::from_fn(|| pop(&mut q).map(|(_, e)| e)).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }
}
