//! Timing-wheel buckets, each a list of fixed-size chunks drawn from one shared store.
//!
//! A bucket of its own growing vector kept its high-water mark: the wheel handed a drained
//! bucket's allocation to the next slot that filled, so every slot ended up with room for the
//! busiest bucket (20,000 events at 10^6 nodes), and the wheel held six times the events
//! pending (100 MB of pages, all of them cleared by the kernel when first touched). Chunks of
//! 256 events go back to the store as soon as their bucket is ordered, and the next pushes
//! take them back most recent first, while they are still in the cache: the wheel's memory
//! follows the events pending. Steady state at 10^6 nodes, paired runs: peak memory 231 MiB
//! rather than 316 (171 rather than 254 without history), 0.96x the wall time; 0.99x at 10^4
//! nodes and 1.00x at 10^3, where the wheel was small already.
//!
//! A push writes the next element of its bucket's last chunk. Growing is a separate cold step
//! taken before the write, so the event being pushed never has to survive a call (with
//! `Vec::push` the compiler wrote it to the stack field by field and copied it into the bucket
//! with one wide load, which store-to-load forwarding cannot serve: 16% of the loop's time at
//! 10^5 nodes). A push also asks for the cache line a push a few places later will write: at
//! 10^5–10^6 nodes a bucket being filled is written only now and then, its lines fall out of
//! the cache in between, and every fourth push (of 16-byte events into 64-byte lines) waited
//! for its line to be read before it could be written (with the prefetch: 0.90x the wall time
//! at 10^5 nodes, 0.85x at 10^6).

use super::prefetch::prefetch_ptr;

/// Events per chunk, as a power of two (256 events: 4 KiB of 16-byte events).
const CHUNK_BITS: u32 = 8;
const CHUNK: usize = 1 << CHUNK_BITS;

/// How many elements ahead of the one being written a push prefetches (four 64-byte lines of
/// 16-byte events; eight lines measured no better).
const PUSH_AHEAD: usize = 16;

/// No chunk (the end of a bucket's list of chunks).
const NONE: u32 = u32::MAX;

/// The chunks all buckets draw from: element `c * CHUNK + i` is element `i` of chunk `c`.
#[derive(Clone, Debug)]
pub(crate) struct ChunkStore<T> {
    /// Every chunk's elements, always initialized.
    items: Vec<T>,
    /// Per chunk, the chunk that follows it in its bucket ([`NONE`] for a bucket's last). A
    /// list per bucket in a vector of its own cost an allocation the first time each of the
    /// wheel's 4,096 slots filled, 5% of the instructions of a 5-second run of 10^3 nodes.
    following: Vec<u32>,
    /// Chunks no bucket holds, the most recently given back last.
    free: Vec<u32>,
}

impl<T> Default for ChunkStore<T> {
    fn default() -> Self {
        ChunkStore {
            items: Vec::new(),
            following: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Copy> ChunkStore<T> {
    /// A free chunk, made (filled with copies of `filler`) if none is free.
    fn take(&mut self, filler: T) -> u32 {
        if let Some(c) = self.free.pop() {
            return c;
        }
        let c = u32::try_from(self.following.len())
            .ok()
            .filter(|&c| c != NONE)
            .expect("under 2^32 - 1 chunks of events");
        self.items.resize(self.items.len() + CHUNK, filler);
        self.following.push(NONE);
        c
    }

    /// How many chunks it holds, free or not.
    #[cfg(test)]
    pub fn chunks(&self) -> usize {
        self.following.len()
    }
}

/// Events in push order, in a list of chunks of a [`ChunkStore`]. Not `Clone`: two copies
/// would give the same chunks back twice.
#[derive(Debug)]
pub(crate) struct Bucket {
    /// Its first and last chunks ([`NONE`] while it has none); all full but the last.
    first: u32,
    last: u32,
    len: usize,
    /// Where in the store the next push writes (meaningful while the last chunk has room).
    tail: usize,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            first: NONE,
            last: NONE,
            len: 0,
            tail: 0,
        }
    }
}

impl Bucket {
    /// Appends `item`.
    #[inline(always)]
    pub fn push<T: Copy>(&mut self, store: &mut ChunkStore<T>, item: T) {
        if self.len & (CHUNK - 1) == 0 {
            self.next_chunk(store, item);
        }
        store.items[self.tail] = item;
        // Ask for the line a few pushes ahead (see the module note).
        prefetch_ptr(
            store
                .items
                .as_ptr()
                .wrapping_add(self.tail + PUSH_AHEAD)
                .cast(),
        );
        self.tail += 1;
        self.len += 1;
    }

    /// Starts a chunk (its last one is full, or it has none).
    #[cold]
    #[inline(never)]
    fn next_chunk<T: Copy>(&mut self, store: &mut ChunkStore<T>, filler: T) {
        let c = store.take(filler);
        if self.len == 0 {
            self.first = c;
        } else {
            store.following[self.last as usize] = c;
        }
        self.last = c;
        self.tail = c as usize * CHUNK;
    }

    /// How many events it holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if it holds none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its events, read from `store`.
    #[inline]
    pub fn pieces<'a, T>(&self, store: &'a ChunkStore<T>) -> Pieces<'a, T> {
        Pieces {
            items: &store.items,
            following: &store.following,
            first: self.first,
            len: self.len,
            bits: CHUNK_BITS,
        }
    }

    /// Empties it, giving its chunks back to `store` (the last written to be taken first).
    #[inline]
    pub fn release<T>(&mut self, store: &mut ChunkStore<T>) {
        let mut c = if self.len == 0 { NONE } else { self.first };
        while c != NONE {
            store.free.push(c);
            c = std::mem::replace(&mut store.following[c as usize], NONE);
        }
        *self = Bucket::default();
    }
}

/// A sequence of events laid out in equal pieces of a larger array, each piece naming the
/// next: a bucket's chunks, or one plain slice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pieces<'a, T> {
    items: &'a [T],
    /// Per piece, the piece after it ([`NONE`] for the last): piece `c` is
    /// `items[c << bits ..][.. 1 << bits]`.
    following: &'a [u32],
    first: u32,
    len: usize,
    bits: u32,
}

impl<'a, T: Copy> Pieces<'a, T> {
    /// A plain slice, as one piece.
    #[cfg(test)]
    pub fn of_slice(items: &'a [T]) -> Self {
        Pieces {
            items,
            following: &[NONE],
            first: 0,
            len: items.len(),
            bits: usize::BITS - 1,
        }
    }

    /// How many elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The elements as one slice, if they lie in one piece.
    #[inline]
    pub fn as_slice(&self) -> Option<&'a [T]> {
        (self.len <= 1 << self.bits).then(|| self.piece(self.first, 0))
    }

    /// The elements of piece `c`, which starts at element `done` of the sequence.
    #[inline]
    fn piece(&self, c: u32, done: usize) -> &'a [T] {
        if self.len == done {
            return &[];
        }
        let start = (c as usize) << self.bits;
        &self.items[start..start + (self.len - done).min(1 << self.bits)]
    }

    /// The elements, piece by piece, in order.
    #[inline]
    pub fn slices(&self) -> impl Iterator<Item = &'a [T]> + 'a {
        let this = *self;
        let mut c = if self.len == 0 { NONE } else { self.first };
        let mut done = 0;
        std::iter::from_fn(move || {
            if c == NONE {
                return None;
            }
            let piece = this.piece(c, done);
            done += piece.len();
            c = this.following[c as usize];
            Some(piece)
        })
    }

    /// Element `p` (walking the pieces before it).
    #[inline]
    pub fn get(&self, p: usize) -> T {
        let mut c = self.first;
        for _ in 0..p >> self.bits {
            c = self.following[c as usize];
        }
        self.items[(c as usize) << self.bits | p & ((1usize << self.bits) - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(b: &Bucket, store: &ChunkStore<u64>) -> Vec<u64> {
        let pieces = b.pieces(store);
        let flat: Vec<u64> = pieces.slices().flatten().copied().collect();
        let by_index: Vec<u64> = (0..pieces.len()).map(|p| pieces.get(p)).collect();
        assert_eq!(flat, by_index, "iteration and indexing agree");
        flat
    }

    /// Buckets sharing a store keep their own push order across chunk boundaries, and a
    /// released bucket's chunks serve later pushes rather than new ones being made.
    #[test]
    fn buckets_keep_push_order_and_reuse_released_chunks() {
        let mut store = ChunkStore::default();
        let (mut a, mut b) = (Bucket::default(), Bucket::default());
        assert!(a.is_empty() && contents(&a, &store).is_empty());
        for i in 0..1_000u64 {
            a.push(&mut store, i);
            if i % 3 == 0 {
                b.push(&mut store, 10_000 + i);
            }
        }
        assert_eq!(a.len(), 1_000);
        assert!(
            a.pieces(&store).as_slice().is_none(),
            "four chunks are not one slice"
        );
        assert_eq!(b.pieces(&store).slices().count(), 2);
        assert_eq!(contents(&a, &store), (0..1_000).collect::<Vec<_>>());
        assert_eq!(
            contents(&b, &store),
            (0..1_000)
                .step_by(3)
                .map(|i| 10_000 + i)
                .collect::<Vec<_>>()
        );
        let made = store.chunks();
        assert_eq!(made, 1_000usize.div_ceil(CHUNK) + 334usize.div_ceil(CHUNK));
        a.release(&mut store);
        assert!(a.is_empty());
        for i in 0..600u64 {
            b.push(&mut store, i);
        }
        assert_eq!(store.chunks(), made, "released chunks were reused");
        assert_eq!(
            contents(&b, &store)[334..],
            (0..600).collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn a_plain_slice_is_one_piece() {
        let v: Vec<u64> = (0..700).collect();
        let p = Pieces::of_slice(&v);
        assert_eq!(p.len(), 700);
        assert_eq!(p.slices().count(), 1);
        assert_eq!(p.get(699), 699);
        assert_eq!(p.as_slice(), Some(&v[..]));
        let empty: [u64; 0] = [];
        assert_eq!(Pieces::of_slice(&empty).slices().flatten().count(), 0);
    }
}
