//! A vector whose elements each start a cache line when that pays, packed otherwise.
//!
//! At 10^5–10^6 nodes the emulator reads a member and a message in flight at random places for
//! every event, and asks for every cache line each can span. How many that is depends on where
//! an element starts: a 112-byte member aligned to 16 bytes spans three lines at most starts,
//! two if it starts a line; a 64-byte message aligned to 8 spans two, one if it starts a line.
//! Starting every element on a line (padding it to whole lines) saves a line an access but
//! costs the padding in memory, so it is done when it saves a line for at most a seventh more
//! bytes. Whether it pays is fixed by the element type at compile time: of the two vectors
//! inside, one stays empty, and every access picks by a constant.
//!
//! Measured (steady state at 10^6 nodes, paired runs): anti-entropy messages of 72 bytes on
//! two lines ran 1.08x the wall time of 64 bytes on one; anti-entropy members of 112 bytes,
//! aligned (128), ran 0.90x. With every member aligned, the rumor case (160-byte members, 192
//! aligned) ran 1.05x with 9% more memory, and direct mail's message slots (48 bytes, 64
//! aligned) took 32 MB more at 10^6 nodes: both stay packed under the rule.

use super::prefetch::{lines_spanned, prefetch_all};
use crate::huge_pages::{advise_huge_pages, huge_vec};
use std::mem::size_of;

/// An element starting a cache line, padded to whole lines.
#[repr(align(64))]
struct LineAligned<T>(T);

/// Elements by index, packed or one to a line (see the module note).
pub(crate) struct LineVec<T> {
    packed: Vec<T>,
    aligned: Vec<LineAligned<T>>,
}

impl<T> Default for LineVec<T> {
    fn default() -> Self {
        LineVec {
            packed: Vec::new(),
            aligned: Vec::new(),
        }
    }
}

impl<T> LineVec<T> {
    /// Whether elements of this type start lines: when that spans fewer lines and adds at
    /// most a seventh to an element.
    pub const ALIGNED: bool = {
        let packed = size_of::<T>();
        let padding = size_of::<LineAligned<T>>() - packed;
        lines_spanned::<LineAligned<T>>() < lines_spanned::<T>() && padding * 7 <= packed
    };

    /// How many cache lines an element can span: what [`LineVec::prefetch`] asks for.
    pub const LINES: usize = if Self::ALIGNED {
        lines_spanned::<LineAligned<T>>()
    } else {
        lines_spanned::<T>()
    };

    /// `n` elements, element `i` made by `make(i)`, in memory advised for huge pages.
    pub fn huge(n: usize, mut make: impl FnMut(usize) -> T) -> Self {
        if Self::ALIGNED {
            LineVec {
                packed: Vec::new(),
                aligned: huge_vec(n, |i| LineAligned(make(i))),
            }
        } else {
            LineVec {
                packed: huge_vec(n, make),
                aligned: Vec::new(),
            }
        }
    }

    /// How many elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        if Self::ALIGNED {
            self.aligned.len()
        } else {
            self.packed.len()
        }
    }

    /// How many elements fit before it must grow.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        if Self::ALIGNED {
            self.aligned.capacity()
        } else {
            self.packed.capacity()
        }
    }

    /// Bytes its elements take.
    pub fn bytes(&self) -> usize {
        self.packed.len() * size_of::<T>() + self.aligned.len() * size_of::<LineAligned<T>>()
    }

    /// Appends `value`.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        if Self::ALIGNED {
            self.aligned.push(LineAligned(value));
        } else {
            self.packed.push(value);
        }
    }

    /// Makes room for exactly `additional` more elements, and advises the whole allocation
    /// for huge pages (see `huge_pages`).
    pub fn reserve_exact_huge(&mut self, additional: usize) {
        if Self::ALIGNED {
            self.aligned.reserve_exact(additional);
            advise_huge_pages(&self.aligned);
        } else {
            self.packed.reserve_exact(additional);
            advise_huge_pages(&self.packed);
        }
    }

    /// Element `i`, if there is one.
    #[cfg(test)]
    pub fn get(&self, i: usize) -> Option<&T> {
        if Self::ALIGNED {
            self.aligned.get(i).map(|e| &e.0)
        } else {
            self.packed.get(i)
        }
    }

    /// Every element, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.packed.iter().chain(self.aligned.iter().map(|e| &e.0))
    }

    /// Every element, in index order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.packed
            .iter_mut()
            .chain(self.aligned.iter_mut().map(|e| &mut e.0))
    }

    /// Asks for every line of element `i`, if there is one (see `prefetch`).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        if Self::ALIGNED {
            if let Some(e) = self.aligned.get(i) {
                prefetch_all(e);
            }
        } else if let Some(e) = self.packed.get(i) {
            prefetch_all(e);
        }
    }
}

impl<T> std::ops::Index<usize> for LineVec<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        if Self::ALIGNED {
            &self.aligned[i].0
        } else {
            &self.packed[i]
        }
    }
}

impl<T> std::ops::IndexMut<usize> for LineVec<T> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        if Self::ALIGNED {
            &mut self.aligned[i].0
        } else {
            &mut self.packed[i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 112 bytes aligned to 16: three lines packed, two aligned, for 16 bytes (a seventh).
    #[repr(align(16))]
    #[derive(Clone, Copy)]
    struct Member112 {
        id: u64,
        _rest: [u8; 104],
    }
    /// 160 bytes aligned to 16: four lines packed, three aligned, but for 32 bytes (a fifth).
    #[repr(align(16))]
    #[derive(Clone, Copy)]
    struct Member160 {
        id: u64,
        _rest: [u8; 152],
    }

    fn m112(id: u64) -> Member112 {
        Member112 {
            id,
            _rest: [0; 104],
        }
    }
    fn m160(id: u64) -> Member160 {
        Member160 {
            id,
            _rest: [0; 152],
        }
    }

    /// The rule: a line saved for at most a seventh more bytes; already a whole number of
    /// lines (64 bytes aligned to 8: no padding), aligned; otherwise packed.
    #[test]
    fn lays_elements_on_lines_only_when_that_pays() {
        let aligned = [
            LineVec::<Member112>::ALIGNED,
            LineVec::<Member160>::ALIGNED,
            LineVec::<[u64; 8]>::ALIGNED,
            LineVec::<[u64; 6]>::ALIGNED,
        ];
        assert_eq!(aligned, [true, false, true, false]);
        let lines = [
            LineVec::<Member112>::LINES,
            LineVec::<Member160>::LINES,
            LineVec::<[u64; 8]>::LINES,
            LineVec::<[u64; 6]>::LINES,
        ];
        assert_eq!(lines, [2, 4, 1, 2]);
    }

    /// Both layouts push, index, iterate and change the same elements, and aligned ones
    /// start lines.
    #[test]
    fn both_layouts_hold_the_same_elements() {
        fn check<T>(make: impl Fn(u64) -> T, id: impl Fn(&T) -> u64, set: impl Fn(&mut T, u64)) {
            let mut v = LineVec::huge(3, |i| make(i as u64));
            v.reserve_exact_huge(100);
            assert!(v.capacity() >= 103);
            v.push(make(3));
            v.push(make(4));
            assert_eq!(v.len(), 5);
            set(&mut v[1], 10);
            for e in v.iter_mut().filter(|e| id(e).is_multiple_of(2)) {
                let new = id(e) + 100;
                set(e, new);
            }
            let seen: Vec<u64> = v.iter().map(&id).collect();
            assert_eq!(seen, [100, 110, 102, 3, 104]);
            assert_eq!(v.get(3).map(&id), Some(3));
            assert!(v.get(5).is_none());
            if LineVec::<T>::ALIGNED {
                assert!((0..5).all(|i| ((&v[i] as *const T) as usize).is_multiple_of(64)));
            }
        }
        check(m112, |m| m.id, |m, id| m.id = id);
        check(m160, |m| m.id, |m, id| m.id = id);
    }
}
