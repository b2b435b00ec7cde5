//! A vector whose elements each start a cache line, or a half line, when that pays; packed
//! otherwise.
//!
//! At 10^5–10^6 nodes the emulator reads a member and a message in flight at random places for
//! every event, and asks for every cache line each can span. How many that is depends on where
//! an element can start: a 112-byte member aligned to 16 bytes spans three lines at most starts,
//! two if it starts a line; a 96-byte one spans three at some 16-byte starts, two at every
//! 32-byte one (a half line); a 64-byte message aligned to 8 spans two, one if it starts a line.
//! Aligning an element (padding it to whole lines or half lines) saves a line an access but
//! costs the padding in memory, so it is done when it saves a line for at most a seventh more
//! bytes, to the smaller alignment that does. Which layout is fixed by the element type at
//! compile time: of the three vectors inside, two stay empty, and every access picks by a
//! constant.
//!
//! Measured (steady state at 10^6 nodes, paired runs): anti-entropy messages of 72 bytes on
//! two lines ran 1.08x the wall time of 64 bytes on one; anti-entropy members of 112 bytes,
//! aligned (128), ran 0.90x. With every member aligned to a line, the rumor case (160-byte
//! members, 192 aligned) ran 1.05x with 9% more memory, and direct mail's message slots (48
//! bytes, 64 aligned) took 32 MB more at 10^6 nodes: neither is padded under the rule (a
//! 160-byte member, as rumor members were then, starts a half line: five half lines, so that
//! costs nothing and saves its fourth line).

use super::prefetch::{lines_spanned, prefetch_all};
use crate::huge_pages::{advise_huge_pages, huge_vec};
use std::mem::size_of;

/// An element as it is, packed.
#[repr(transparent)]
struct Packed<T>(T);

/// An element starting a half line, padded to whole half lines.
#[repr(align(32))]
struct HalfLine<T>(T);

/// An element starting a cache line, padded to whole lines.
#[repr(align(64))]
struct Line<T>(T);

/// How a vector lays its elements out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// As they are.
    Packed,
    /// Each starting a half line (32 bytes).
    HalfLine,
    /// Each starting a cache line.
    Line,
}

/// Elements by index, laid out as [`LineVec::LAYOUT`] says (see the module note).
pub(crate) struct LineVec<T> {
    packed: Vec<Packed<T>>,
    half: Vec<HalfLine<T>>,
    line: Vec<Line<T>>,
}

/// Runs `$body` with `$v` bound to whichever of `$this`'s vectors its layout uses (by `&`, or
/// `&mut` after `mut`): the same code for each, since every wrapper holds its element as `.0`.
macro_rules! each_layout {
    ($this:expr, |$v:ident| $body:expr) => {
        match Self::LAYOUT {
            Layout::Packed => {
                let $v = &$this.packed;
                $body
            }
            Layout::HalfLine => {
                let $v = &$this.half;
                $body
            }
            Layout::Line => {
                let $v = &$this.line;
                $body
            }
        }
    };
    (mut $this:expr, |$v:ident| $body:expr) => {
        match Self::LAYOUT {
            Layout::Packed => {
                let $v = &mut $this.packed;
                $body
            }
            Layout::HalfLine => {
                let $v = &mut $this.half;
                $body
            }
            Layout::Line => {
                let $v = &mut $this.line;
                $body
            }
        }
    };
}

impl<T> Default for LineVec<T> {
    fn default() -> Self {
        LineVec {
            packed: Vec::new(),
            half: Vec::new(),
            line: Vec::new(),
        }
    }
}

/// Whether laying `T` out as `W` instead of packed saves a line for at most a seventh more
/// bytes.
const fn pays<T, W>() -> bool {
    let packed = size_of::<T>();
    let padding = size_of::<W>() - packed;
    lines_spanned::<W>() < lines_spanned::<T>() && padding * 7 <= packed
}

impl<T> LineVec<T> {
    /// The layout: half lines if that pays, else whole lines if that pays, else packed. (Half
    /// lines pay only for an odd number of half lines, which span as many lines at a line's
    /// start as at its middle: whole lines would save nothing more.)
    pub const LAYOUT: Layout = if pays::<T, HalfLine<T>>() {
        Layout::HalfLine
    } else if pays::<T, Line<T>>() {
        Layout::Line
    } else {
        Layout::Packed
    };

    /// How many cache lines an element can span: what [`LineVec::prefetch`] asks for.
    pub const LINES: usize = match Self::LAYOUT {
        Layout::Packed => lines_spanned::<T>(),
        Layout::HalfLine => lines_spanned::<HalfLine<T>>(),
        Layout::Line => lines_spanned::<Line<T>>(),
    };

    /// `n` elements, element `i` made by `make(i)`, in memory advised for huge pages.
    pub fn huge(n: usize, mut make: impl FnMut(usize) -> T) -> Self {
        let mut v = LineVec::default();
        match Self::LAYOUT {
            Layout::Packed => v.packed = huge_vec(n, |i| Packed(make(i))),
            Layout::HalfLine => v.half = huge_vec(n, |i| HalfLine(make(i))),
            Layout::Line => v.line = huge_vec(n, |i| Line(make(i))),
        }
        v
    }

    /// How many elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        each_layout!(self, |v| v.len())
    }

    /// How many elements fit before it must grow.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        each_layout!(self, |v| v.capacity())
    }

    /// Bytes its elements take.
    pub fn bytes(&self) -> usize {
        each_layout!(self, |v| std::mem::size_of_val(v.as_slice()))
    }

    /// Appends `value`.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        match Self::LAYOUT {
            Layout::Packed => self.packed.push(Packed(value)),
            Layout::HalfLine => self.half.push(HalfLine(value)),
            Layout::Line => self.line.push(Line(value)),
        }
    }

    /// Makes room for exactly `additional` more elements, and advises the whole allocation
    /// for huge pages (see `huge_pages`).
    pub fn reserve_exact_huge(&mut self, additional: usize) {
        each_layout!(mut self, |v| {
            v.reserve_exact(additional);
            advise_huge_pages(v);
        })
    }

    /// Element `i`, if there is one.
    #[cfg(test)]
    pub fn get(&self, i: usize) -> Option<&T> {
        each_layout!(self, |v| v.get(i).map(|e| &e.0))
    }

    /// Every element, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let packed = self.packed.iter().map(|e| &e.0);
        let half = self.half.iter().map(|e| &e.0);
        packed.chain(half).chain(self.line.iter().map(|e| &e.0))
    }

    /// Every element, in index order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        let packed = self.packed.iter_mut().map(|e| &mut e.0);
        let half = self.half.iter_mut().map(|e| &mut e.0);
        packed
            .chain(half)
            .chain(self.line.iter_mut().map(|e| &mut e.0))
    }

    /// Asks for every line of element `i`, if there is one (see `prefetch`).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        each_layout!(self, |v| if let Some(e) = v.get(i) {
            prefetch_all(e);
        })
    }
}

impl<T> std::ops::Index<usize> for LineVec<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        each_layout!(self, |v| &v[i].0)
    }
}

impl<T> std::ops::IndexMut<usize> for LineVec<T> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        each_layout!(mut self, |v| &mut v[i].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member of `8 + REST` bytes aligned to 16, as the emulator's members are:
    /// - 112 bytes: three lines packed, two on lines, for 16 bytes (a seventh);
    /// - 96: three lines packed, two from any half line, for nothing;
    /// - 160: four lines packed, three from any half line, for nothing;
    /// - 208: four lines however it is laid out.
    #[repr(align(16))]
    #[derive(Clone, Copy)]
    struct Member<const REST: usize> {
        id: u64,
        _rest: [u8; REST],
    }
    type Member112 = Member<104>;
    type Member96 = Member<88>;
    type Member160 = Member<152>;
    type Member208 = Member<200>;

    fn member<const REST: usize>(id: u64) -> Member<REST> {
        Member {
            id,
            _rest: [0; REST],
        }
    }

    /// The rule: a line saved for at most a seventh more bytes, at the smaller alignment
    /// that saves it; already a whole number of lines (64 bytes aligned to 8: no padding),
    /// on lines; otherwise packed.
    #[test]
    fn lays_elements_out_to_save_lines_only_when_that_pays() {
        let layouts = [
            LineVec::<Member112>::LAYOUT,
            LineVec::<Member96>::LAYOUT,
            LineVec::<Member160>::LAYOUT,
            LineVec::<Member208>::LAYOUT,
            LineVec::<[u64; 8]>::LAYOUT,
            LineVec::<[u64; 6]>::LAYOUT,
        ];
        use Layout::*;
        assert_eq!(layouts, [Line, HalfLine, HalfLine, Packed, Line, Packed]);
        let lines = [
            LineVec::<Member112>::LINES,
            LineVec::<Member96>::LINES,
            LineVec::<Member160>::LINES,
            LineVec::<Member208>::LINES,
            LineVec::<[u64; 8]>::LINES,
            LineVec::<[u64; 6]>::LINES,
        ];
        assert_eq!(lines, [2, 2, 3, 4, 1, 2]);
    }

    /// Every layout pushes, indexes, iterates and changes the same elements; elements on
    /// lines start lines, elements on half lines start half lines, and each spans no more
    /// lines than [`LineVec::LINES`] says.
    #[test]
    fn every_layout_holds_the_same_elements() {
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
            let start = |i: usize| (&v[i] as *const T) as usize;
            let line = |a: usize| a / 64;
            let step = match LineVec::<T>::LAYOUT {
                Layout::Line => 64,
                Layout::HalfLine => 32,
                Layout::Packed => 1,
            };
            for i in 0..5 {
                assert!(
                    start(i).is_multiple_of(step),
                    "element {i} is on its boundary"
                );
                let spanned = line(start(i) + size_of::<T>() - 1) - line(start(i)) + 1;
                assert!(
                    spanned <= LineVec::<T>::LINES,
                    "element {i} spans {spanned}"
                );
            }
            assert_eq!(v.bytes(), 5 * (start(1) - start(0)));
        }
        fn check_member<const REST: usize>() {
            check(member::<REST>, |m| m.id, |m, id| m.id = id);
        }
        check_member::<104>();
        check_member::<88>();
        check_member::<152>();
        check_member::<200>();
    }
}
