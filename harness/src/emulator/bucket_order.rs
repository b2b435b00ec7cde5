//! Ordering one timing-wheel bucket by time, ties kept in push order.
//!
//! A bucket holds a few dozen events in a small cluster and tens of thousands at 10^6 nodes,
//! at random times within its span. A small bucket is ordered by sorting one integer per event
//! (offset, then position: ties keep push order) and laying the events out in that order. For a
//! large one a comparison sort costs ever more per event (some 60 instructions at 2,000), so
//! instead one counting pass on the top bits of the time spreads the events over one to two
//! times as many sub-spans as there are events, in push order within each, and one insertion
//! pass over the whole bucket finishes the order: an event moves only past the few of its own
//! sub-span that precede it. Both steps are stable, so equal times keep push (sequence) order.
//!
//! Finishing each sub-span on its own (at about two events per sub-span) took 1.3–1.9x as long
//! to order a bucket of 200 to 20,000 events (a microbenchmark): the branch on each sub-span's
//! size, and the loops of one to three steps, were mispredicted at random. Should the times
//! cluster within a few nanoseconds (many events in one sub-span), the insertion pass gives up
//! after a bounded number of moves and a stable merge sort finishes, so no input makes the
//! ordering quadratic.

/// Sub-spans at most, as a power of two: 16,384 counters (64 KiB) stay in the core's L2 cache.
const MAX_DIGIT_BITS: u32 = 14;

/// Buckets up to this size are ordered by sorting keys (fewer instructions than counting). It
/// is under a chunk's size (see `bucket`), so such a bucket lies in one piece.
const SORT_KEYS_UP_TO: usize = 64;

/// Moves per event the insertion pass may make before a merge sort takes over (times spread
/// at random make well under one).
const MOVES_PER_EVENT: usize = 4;

use super::bucket::Pieces;

/// Sub-spans at most.
const MAX_SPANS: usize = 1 << MAX_DIGIT_BITS;

/// Scratch space for ordering buckets, kept between them so that ordering allocates nothing.
#[derive(Debug)]
pub(crate) struct BucketOrder {
    keys: Vec<u64>,
    /// Per sub-span: its count, then where its next event goes. Of a fixed size, so that a
    /// masked sub-span number needs no bounds check (two per event).
    next: Box<[u32; MAX_SPANS]>,
}

impl Default for BucketOrder {
    fn default() -> Self {
        BucketOrder {
            keys: Vec::new(),
            next: vec![0; MAX_SPANS]
                .into_boxed_slice()
                .try_into()
                .expect("MAX_SPANS counters"),
        }
    }
}

impl BucketOrder {
    /// Replaces `out` with `unordered` ordered by `offset`, ties in their order in
    /// `unordered`. Every offset must be below `2^span_bits`, and `span_bits` at most 32.
    pub fn order<T: Copy>(
        &mut self,
        unordered: Pieces<'_, T>,
        out: &mut Vec<T>,
        span_bits: u32,
        offset: impl Fn(&T) -> u64,
    ) {
        let n = unordered.len();
        if let Some(unordered) = unordered.as_slice().filter(|_| n <= SORT_KEYS_UP_TO) {
            out.clear();
            // The offset above, the position below (a bucket spans at most 2^32 ns here).
            self.keys.clear();
            self.keys.extend(
                unordered
                    .iter()
                    .enumerate()
                    .map(|(i, e)| offset(e) << 32 | i as u64),
            );
            self.keys.sort_unstable();
            out.extend(self.keys.iter().map(|&k| unordered[k as u32 as usize]));
            return;
        }
        // The scatter below writes every one of the first n elements, so `out` only needs to
        // be n long: it keeps what it held (the previous bucket) rather than being filled with
        // a copy first, which was a tenth of the ordering's time.
        if out.len() < n {
            out.resize(n, unordered.get(0));
        }
        out.truncate(n);
        // One to two sub-spans per event: most then hold none or one.
        let bits = (usize::BITS - n.leading_zeros())
            .min(MAX_DIGIT_BITS)
            .min(span_bits);
        let low = span_bits - bits;
        // The mask changes nothing (an offset has `span_bits` bits) but the bounds checks.
        let digit = |e: &T| (offset(e) >> low) as usize & (MAX_SPANS - 1);
        let spans = &mut self.next[..1 << bits];
        spans.fill(0);
        for piece in unordered.slices() {
            for e in piece {
                self.next[digit(e)] += 1;
            }
        }
        let mut sum = 0;
        for s in &mut self.next[..1 << bits] {
            let count = *s;
            *s = sum;
            sum += count;
        }
        for piece in unordered.slices() {
            for e in piece {
                let slot = &mut self.next[digit(e)];
                out[*slot as usize] = *e;
                *slot += 1;
            }
        }
        if !insertion_pass(out, MOVES_PER_EVENT * n, &offset) {
            out.sort_by_key(&offset); // stable
        }
    }
}

/// A stable insertion sort by `offset` (a later element moves only past strictly larger
/// ones) that gives up once it has moved elements `budget` places in all; returns whether it
/// finished. Given up, `v` holds the same elements, ties still in their original order.
///
/// Most elements are already in place (no larger one before them), so the loop keeps the
/// largest key so far in a register and does the moving, and the budget's count, only for
/// an element below it: 0.9x the instructions of ordering a bucket at 10^5 nodes.
#[inline]
fn insertion_pass<T: Copy>(v: &mut [T], mut budget: usize, offset: &impl Fn(&T) -> u64) -> bool {
    let Some(first) = v.first() else {
        return true;
    };
    let mut largest = offset(first);
    for i in 1..v.len() {
        let x = v[i];
        let key = offset(&x);
        if key >= largest {
            largest = key;
            continue;
        }
        let mut j = i;
        while j > 0 && offset(&v[j - 1]) > key {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        let moved = i - j;
        if moved > budget {
            return false;
        }
        budget -= moved;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{Rng, SeedableRng};

    /// Whatever the bucket's size and however its times cluster, the result is the stable
    /// sort by offset: the same events, ordered by time, ties in their original order.
    #[test]
    fn orders_like_a_stable_sort_at_every_size_and_clustering() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let mut order = BucketOrder::default();
        let mut out = Vec::new();
        for n in [0, 1, 2, 63, 64, 65, 100, 1_000, 5_000, 40_000] {
            // Times drawn from the whole span, from a handful of values (many ties), and from
            // a few nanoseconds (one crowded sub-span).
            for spread in [1u64 << 20, 7, 1 << 3] {
                let events: Vec<(u64, usize)> =
                    (0..n).map(|i| (rng.next_u64() % spread, i)).collect();
                order.order(Pieces::of_slice(&events), &mut out, 20, |e| e.0);
                let mut expected = events.clone();
                expected.sort_by_key(|e| e.0);
                assert_eq!(out, expected, "n {n} spread {spread}");
            }
        }
    }

    #[test]
    fn a_narrow_span_orders_too() {
        let mut order = BucketOrder::default();
        let mut out = Vec::new();
        let events: Vec<(u64, usize)> = (0..100).map(|i| ((i * 7) % 16, i as usize)).collect();
        order.order(Pieces::of_slice(&events), &mut out, 4, |e| e.0);
        let mut expected = events.clone();
        expected.sort_by_key(|e| e.0);
        assert_eq!(out, expected);
    }
}
