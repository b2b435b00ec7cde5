//! A global allocator that asks Linux to back large allocations with transparent huge pages.
//!
//! At 10^5–10^6 nodes the emulator's per-node arrays span hundreds of megabytes, and each event
//! touches a random node: with 4 KiB pages nearly every such access also misses the TLB, and the
//! page walk stalls even a prefetch. With 2 MiB pages the whole node array needs a few hundred
//! TLB entries. Most Linux systems give huge pages only to memory that asks for them
//! (`/sys/kernel/mm/transparent_hugepage/enabled` is `madvise`), so this allocator passes
//! every allocation to the system allocator and marks those of [`HUGE_FROM`] bytes or more
//! with `madvise(MADV_HUGEPAGE)` before their pages are first touched. Where the system gives
//! no huge pages the advice is ignored; elsewhere than Linux nothing is advised.
//!
//! The `hearsay` binary installs it (`#[global_allocator]`); a library user may do the same.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations at least this large are advised (a huge page is 2 MiB; smaller ones gain little).
pub const HUGE_FROM: usize = 4 << 20;

/// The system allocator, with large allocations advised to use transparent huge pages.
#[derive(Clone, Copy, Debug, Default)]
pub struct HugePageAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and returns
// its result; the advice only changes how the kernel backs pages of a block the caller now
// owns, never its contents or its validity.
unsafe impl GlobalAlloc for HugePageAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (see the impl).
        let ptr = unsafe { System.alloc(layout) };
        advise(ptr, layout.size());
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (see the impl).
        let ptr = unsafe { System.alloc_zeroed(layout) };
        advise(ptr, layout.size());
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged (see the impl).
        let ptr = unsafe { System.realloc(ptr, layout, new_size) };
        advise(ptr, new_size);
        ptr
    }
}

/// Marks the whole pages inside `[ptr, ptr + size)` for huge pages, if the block is large.
#[inline]
fn advise(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < HUGE_FROM {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (ptr as usize).next_multiple_of(PAGE);
        let end = (ptr as usize + size) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside a block the allocator just handed out, rounded
            // inwards to whole pages; MADV_HUGEPAGE changes no contents and cannot fail in a
            // way that matters (the advice is best effort, its result is ignored).
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
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

    /// A large block is advised (the kernel marks its mapping `hg`), and a grown one too.
    #[test]
    fn large_blocks_are_advised_for_huge_pages() {
        let alloc = HugePageAlloc;
        let layout = Layout::from_size_align(64 << 20, 8).unwrap();
        // SAFETY: a valid, non-zero layout; the block is freed with the same layout.
        let ptr = unsafe { alloc.alloc(layout) };
        assert!(!ptr.is_null());
        let middle = ptr as usize + (32 << 20);
        let flags = vm_flags(middle).expect("the block's mapping is listed");
        assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
        // SAFETY: `ptr` came from `alloc` with `layout`; the new size is non-zero.
        let grown = unsafe { alloc.realloc(ptr, layout, 128 << 20) };
        assert!(!grown.is_null());
        let flags = vm_flags(grown as usize + (96 << 20)).expect("listed");
        assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
        // SAFETY: `grown` came from `realloc` to 128 MiB with the same alignment.
        unsafe { alloc.dealloc(grown, Layout::from_size_align(128 << 20, 8).unwrap()) };
    }

    /// A small block is left alone: advising every allocation would split the heap's mapping
    /// into pieces for nothing.
    #[test]
    fn small_blocks_are_not_advised() {
        let mut v = vec![0u8; 1 << 20];
        v[0] = 1;
        let flags = vm_flags(v.as_ptr() as usize + 4096).unwrap_or_default();
        assert!(!flags.split_whitespace().any(|f| f == "hg"), "{flags}");
    }
}
