//! Cache prefetch hints for the event loop.
//!
//! At 10^5–10^6 nodes an event's cost is the cache misses on the state it touches (its node,
//! the message in flight, the per-node bookkeeping), and the loop knows which events come next.
//! A prefetch instruction asks for those lines early without waiting for them, so the misses of
//! many upcoming events overlap each other and the work in between. Plain loads (what the loop
//! used before) wait for the line and so stall the core once its reorder window fills. The
//! wheel's buckets use the same hint for the lines their pushes are about to write.
//!
//! One of the harness's two uses of `unsafe` (the other, in `huge_pages`, advises memory for
//! huge pages): the intrinsic needs the `sse` target feature, which every x86_64 CPU has (it is
//! part of the architecture's baseline). A prefetch never faults, even on an invalid address,
//! and changes nothing a program can observe. On other architectures the hints do nothing.
#![allow(unsafe_code)]

/// Asks the CPU to bring every cache line `value` spans into every cache level.
///
/// One prefetch per line it can span, the last aimed at its last byte: where it starts
/// follows its alignment, so a 144-byte member aligned to 16 bytes spans three lines wherever
/// it lies, and three prefetches reach them all (a fourth, for the last byte, always hit a
/// line already asked for).
#[inline(always)]
pub(crate) fn prefetch_all<T>(value: &T) {
    let start = (value as *const T).cast::<u8>();
    let size = std::mem::size_of::<T>();
    for line in 0..lines_spanned::<T>() {
        prefetch_ptr(start.wrapping_add((line * LINE).min(size - 1)));
    }
}

/// How many cache lines a value of type `T` can span, wherever its alignment lets it lie: how
/// many prefetches [`prefetch_all`] makes.
pub(crate) const fn lines_spanned<T>() -> usize {
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return 0;
    }
    // The most bytes from the start of its first line to its last byte, over every start its
    // alignment allows; the lines those bytes can touch.
    let align = std::mem::align_of::<T>();
    let reach = size + LINE - if align < LINE { align } else { LINE };
    reach.div_ceil(LINE)
}

/// The size of a cache line.
const LINE: usize = 64;

/// Asks the CPU to bring the cache line holding `ptr` into every cache level (any address will
/// do, one past the end of an allocation too: nothing is read).
#[inline(always)]
pub(crate) fn prefetch_ptr(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only requires the `sse` target feature, part of the x86_64
    // baseline that every x86_64 target enables; prefetching any address, valid or not, has
    // no effect a program can observe.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(ptr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(align(16))]
    struct Member144 {
        _bytes: [u8; 144],
    }
    #[repr(align(64))]
    struct Line {
        _bytes: [u8; 64],
    }

    /// A 144-byte value aligned to 16 bytes spans three lines at any of its starts; one
    /// aligned to a line and a line long spans one; a byte, one; nothing, none.
    #[test]
    fn counts_the_lines_a_value_can_span() {
        assert_eq!(lines_spanned::<Member144>(), 3);
        assert_eq!(lines_spanned::<Line>(), 1);
        assert_eq!(lines_spanned::<[Line; 2]>(), 2);
        assert_eq!(lines_spanned::<u8>(), 1);
        assert_eq!(
            lines_spanned::<[u64; 8]>(),
            2,
            "64 bytes aligned to 8 can straddle"
        );
        assert_eq!(lines_spanned::<()>(), 0);
    }
}
