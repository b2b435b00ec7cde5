//! Backing the emulator's per-node array and in-flight pools with transparent huge pages.
//!
//! At 10^5–10^6 nodes the node array spans hundreds of megabytes, and each event touches a
//! random node: with 4 KiB pages nearly every such access also misses the TLB, and the page
//! walk stalls even a prefetch. With 2 MiB pages the whole array needs a few hundred TLB
//! entries. Most Linux systems give huge pages only to memory that asks for them
//! (`/sys/kernel/mm/transparent_hugepage/enabled` is `madvise`), so the emulator marks its
//! per-node array and its in-flight pools with `madvise(MADV_HUGEPAGE)` before their pages are
//! first touched.
//!
//! Only those: advising every large allocation (a global allocator did, at first) made
//! history-heavy runs 1.25x slower, as the kernel compacted memory to find huge pages for
//! buffers that are written once and read once. Where the system gives no huge pages the
//! advice is ignored; elsewhere than Linux nothing is advised.
#![allow(unsafe_code)]

/// Arrays smaller than this are not advised (a huge page is 2 MiB; smaller ones gain little).
pub const HUGE_FROM: usize = 4 << 20;

/// Advises the whole pages of `buffer`'s allocation (its capacity, filled or not) to be backed
/// by huge pages, if it is large. Call it before filling the buffer: pages already touched are
/// only collapsed later, if ever.
pub fn advise_huge_pages<T>(buffer: &Vec<T>) {
    let bytes = buffer.capacity() * std::mem::size_of::<T>();
    if bytes < HUGE_FROM {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let ptr = buffer.as_ptr() as usize;
        let start = ptr.next_multiple_of(PAGE);
        let end = (ptr + bytes) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside the vector's own allocation, rounded inwards to
            // whole pages; MADV_HUGEPAGE changes how the kernel backs those pages, never their
            // contents, and the advice is best effort (its result is ignored).
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
}

/// A vector of `len` elements made by `make`, its allocation advised for huge pages before the
/// first element is written.
pub fn huge_vec<T>(len: usize, make: impl FnMut(usize) -> T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise_huge_pages(&v);
    v.extend((0..len).map(make));
    v
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The `VmFlags` line of the mapping that holds `addr`, from /proc/self/smaps.
    fn vm_flags(addr: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
                continue;
            }
            if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.to_string());
            }
        }
        None
    }

    fn advised(addr: usize) -> bool {
        let flags = vm_flags(addr).expect("the address's mapping is listed");
        flags.split_whitespace().any(|f| f == "hg")
    }

    /// A large array is advised (the kernel marks its mapping `hg`) and filled as asked.
    #[test]
    fn a_large_array_is_advised_for_huge_pages() {
        let v = huge_vec(8 << 20, |i| i as u64);
        assert_eq!(v.len(), 8 << 20);
        assert_eq!(v[12_345], 12_345);
        assert!(advised(v.as_ptr() as usize + (32 << 20)));
    }

    /// A small one is left alone: advising it would split the heap's mapping for nothing.
    #[test]
    fn a_small_array_is_not_advised() {
        let v = huge_vec(1 << 10, |i| i as u64);
        assert!(!advised(v.as_ptr() as usize + 64));
    }
}
