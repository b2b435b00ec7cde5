//! Messages on the wire, each in a numbered slot from its send until it is delivered or
//! dropped.
//!
//! The slots come in two pools, and a slot's number says which (its top bit). A message is
//! delivered where it lies: the addressee reads it in its slot while whatever it sends during
//! that call goes into the other pool, so the emulator can lend the node one pool to read and
//! the other to fill. Moving each message out of its slot first cost a copy, and reading that
//! fresh copy stalled the core on every delivery (the copy's stores and the node's loads
//! overlapped in ways store-to-load forwarding cannot serve).
//!
//! A message a node sends alike to several peers (`Context::send_each`: an anti-entropy push
//! to its fanout, direct mail to everyone) takes one slot, which counts the deliveries still to
//! read it and is freed after the last. A push to three peers built, stored and read three
//! copies before: the steady state at 10^5 nodes ran 5.2% fewer instructions with one, and
//! direct mail to 10^6 nodes holds one message in flight where it held a million (peak memory
//! 416 → 370 MiB).

use super::line_vec::LineVec;

/// A message on the wire: its sender and itself.
///
/// At 10^5–10^6 nodes each delivery reads its message at a random place in the pool, and the
/// loop's look-ahead asks for every line it spans. So its addressee travels in the event that
/// delivers it, and its size is taken from the message where it is needed (once per
/// delivery, for the trace fingerprint): with both here an anti-entropy message took 72
/// bytes, two lines, where it now takes 64, one line once the pool lays it on a line (see
/// `line_vec`); the steady state at 10^6 nodes ran 1.08x the wall time (paired runs).
pub(crate) struct Flight<M> {
    pub from: hearsay_protocols::NodeId,
    /// The deliveries still to read it: one, or one per peer of a message sent alike to
    /// several ([`Pool::put_shared`]). It lies in bytes the slot had spare.
    readers: u32,
    pub msg: M,
}

/// The bit of a slot number that names its pool.
const POOL_BIT: u32 = 1 << 31;

/// A slot number's pool and its index in that pool.
#[inline(always)]
fn split(slot: u32) -> (usize, usize) {
    ((slot >> 31) as usize, (slot & !POOL_BIT) as usize)
}

/// One pool of slots; freed slots are reused, most recent first, so the slots in use stay few
/// and warm.
pub(crate) struct Pool<M> {
    /// Which pool this is (0 or 1): the top bit of its slots' numbers.
    id: u32,
    slots: LineVec<Option<Flight<M>>>,
    free: Vec<u32>,
}

impl<M> Pool<M> {
    fn new(id: u32) -> Self {
        Pool {
            id,
            slots: LineVec::default(),
            free: Vec::new(),
        }
    }

    /// Doubles the slots' room and advises the allocation for huge pages: at 10^6 nodes a
    /// pool holds tens of thousands of messages (megabytes), each delivery reads one at
    /// random, and with 4 KiB pages the prefetch of that read waited on a page walk (9% of
    /// the loop's samples at 10^6 nodes, 4% with huge pages). The vector grows where it lies
    /// (a large block is remapped, not copied); moving it into a fresh allocation instead
    /// held both at once and raised the peak memory of a burst of sends (direct mail to 10^6
    /// nodes) by a tenth.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.slots.reserve_exact_huge(self.slots.capacity().max(64));
    }

    /// Puts the message in flight that `build` makes in a free slot and returns the slot's
    /// number (building it in place, where the compiler can).
    #[inline(always)]
    fn put_with(&mut self, build: impl FnOnce() -> Flight<M>) -> u32 {
        let index = match self.free.pop() {
            Some(s) => {
                let slot = &mut self.slots[s as usize];
                debug_assert!(slot.is_none(), "a free in-flight slot held a message");
                // Assigned in place (the slot is empty: the drop of its old value never runs).
                *slot = Some(build());
                s
            }
            None => {
                assert!(
                    self.slots.len() < POOL_BIT as usize,
                    "over 2^31 messages in flight in one pool"
                );
                if self.slots.len() == self.slots.capacity() {
                    self.grow();
                }
                self.slots.push(Some(build()));
                (self.slots.len() - 1) as u32
            }
        };
        index | self.id << 31
    }

    /// Puts the message `build` makes, from `from`, in a free slot; returns the slot's number
    /// and the message's encoded size, taken from the message as built (reading it back from
    /// its slot cost a second lookup).
    #[inline(always)]
    pub fn put_sized(
        &mut self,
        from: hearsay_protocols::NodeId,
        build: impl FnOnce() -> M,
    ) -> (u32, usize)
    where
        M: hearsay_protocols::Message,
    {
        // Not `put_shared(from, 1, build)`: the compiler then left the building closure out
        // of line, and a run with a fanout of one took 1.4% more instructions.
        let mut size = 0;
        let slot = self.put_with(|| {
            let msg = build();
            size = msg.wire_size();
            Flight {
                from,
                readers: 1,
                msg,
            }
        });
        (slot, size)
    }

    /// [`Pool::put_sized`] for a message that `readers` deliveries will read (at least one),
    /// one per peer it is sent to: the slot is freed when the last of them is done with it.
    #[inline(always)]
    pub fn put_shared(
        &mut self,
        from: hearsay_protocols::NodeId,
        readers: u32,
        build: impl FnOnce() -> M,
    ) -> (u32, usize)
    where
        M: hearsay_protocols::Message,
    {
        debug_assert!(readers > 0, "a message in flight that nobody is to read");
        let mut size = 0;
        let slot = self.put_with(|| {
            let msg = build();
            size = msg.wire_size();
            Flight { from, readers, msg }
        });
        (slot, size)
    }

    /// Puts a message in a free slot and returns the slot's number.
    #[inline(always)]
    pub fn put(&mut self, from: hearsay_protocols::NodeId, msg: M) -> u32 {
        self.put_with(|| Flight {
            from,
            readers: 1,
            msg,
        })
    }

    /// The message in `slot` (a slot of this pool).
    #[inline(always)]
    pub fn get(&self, slot: u32) -> &Flight<M> {
        match &self.slots[split(slot).1] {
            Some(m) => m,
            None => unreachable!("an empty in-flight slot"),
        }
    }

    /// One delivery is done with the message in `slot` (a slot of this pool); after the last,
    /// the message is dropped and the slot freed. A message that owns no heap memory
    /// ([`Message::owns_heap`](hearsay_protocols::Message::owns_heap)) is forgotten instead:
    /// its drop glue, an out-of-line call, would free nothing.
    #[inline(always)]
    pub fn free(&mut self, slot: u32)
    where
        M: hearsay_protocols::Message,
    {
        let index = split(slot).1;
        let held = &mut self.slots[index];
        if let Some(f) = held
            && f.readers > 1
        {
            f.readers -= 1; // other deliveries are still to read it
            return;
        }
        match held {
            Some(f) if f.msg.owns_heap() => *held = None,
            _ => std::mem::forget(held.take()),
        }
        self.free.push(index as u32);
    }
}

/// Both pools.
pub(crate) struct InFlight<M> {
    pools: [Pool<M>; 2],
}

impl<M> Default for InFlight<M> {
    fn default() -> Self {
        InFlight {
            pools: [Pool::new(0), Pool::new(1)],
        }
    }
}

impl<M> InFlight<M> {
    /// The pool a call that delivers nothing fills.
    #[inline(always)]
    pub fn filling(&mut self) -> &mut Pool<M> {
        &mut self.pools[0]
    }

    /// The message in `slot`, for reading in place, and the other pool, for whatever the
    /// addressee sends meanwhile.
    #[inline(always)]
    pub fn delivering(&mut self, slot: u32) -> (&Flight<M>, &mut Pool<M>) {
        let [zero, one] = &mut self.pools;
        let (reading, filling) = if split(slot).0 == 0 {
            (zero, one)
        } else {
            (one, zero)
        };
        (reading.get(slot), filling)
    }

    /// The message in `slot`.
    #[inline(always)]
    pub fn get(&self, slot: u32) -> &Flight<M> {
        self.pools[split(slot).0].get(slot)
    }

    /// One delivery is done with the message in `slot` (see [`Pool::free`]).
    #[inline(always)]
    pub fn free(&mut self, slot: u32)
    where
        M: hearsay_protocols::Message,
    {
        self.pools[split(slot).0].free(slot);
    }

    /// Asks for every line of the slot (nothing if it is out of range).
    #[inline(always)]
    pub fn prefetch(&self, slot: u32) {
        let (which, index) = split(slot);
        self.pools[which].slots.prefetch(index);
    }

    /// Whether the slot holds a message (false if it is out of range).
    #[cfg(test)]
    fn holds(&self, slot: u32) -> bool {
        let (which, index) = split(slot);
        self.pools[which]
            .slots
            .get(index)
            .is_some_and(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::NodeId;

    /// A test message: a number, and maybe a handle on the heap whose count tells whether
    /// the message was dropped; it says it owns heap memory when `claims_heap`.
    #[derive(Clone, Debug)]
    struct Probe {
        n: u64,
        _handle: Option<std::rc::Rc<()>>,
        claims_heap: bool,
    }

    impl hearsay_protocols::Message for Probe {
        fn wire_size(&self) -> usize {
            8
        }
        fn kind(&self) -> &'static str {
            "probe"
        }
        fn owns_heap(&self) -> bool {
            self.claims_heap
        }
    }

    /// Puts probe `n` (from node `n`, carrying `10 n`) in `pool`.
    fn put_probe(pool: &mut Pool<Probe>, n: u32) -> u32 {
        let msg = Probe {
            n: u64::from(n) * 10,
            _handle: None,
            claims_heap: false,
        };
        pool.put(NodeId(n), msg)
    }

    /// A message put for three readers keeps its slot through the first two frees and is
    /// dropped, its slot freed for reuse, at the third.
    #[test]
    fn a_shared_message_lives_until_its_last_reader_is_done() {
        let handle = std::rc::Rc::new(());
        let mut f = InFlight::default();
        let build = || Probe {
            n: 7,
            _handle: Some(std::rc::Rc::clone(&handle)),
            claims_heap: true,
        };
        let (slot, size) = f.filling().put_shared(NodeId(4), 3, build);
        assert_eq!(size, 8);
        for _ in 0..2 {
            f.free(slot);
            assert!(f.holds(slot));
            assert_eq!((f.get(slot).msg.n, f.get(slot).from), (7, NodeId(4)));
            assert_eq!(std::rc::Rc::strong_count(&handle), 2);
        }
        f.free(slot);
        assert!(!f.holds(slot));
        assert_eq!(std::rc::Rc::strong_count(&handle), 1, "dropped at the last");
        assert_eq!(put_probe(f.filling(), 1), slot, "and its slot reused");
    }

    /// Freeing a slot drops a message that owns heap memory, and forgets one that says it
    /// owns none (here one that lies about it, so that skipping its drop shows).
    #[test]
    fn freeing_drops_only_messages_that_own_heap_memory() {
        let handle = std::rc::Rc::new(());
        let mut f = InFlight::default();
        for claims_heap in [true, false] {
            let msg = Probe {
                n: 1,
                _handle: Some(std::rc::Rc::clone(&handle)),
                claims_heap,
            };
            let slot = f.filling().put(NodeId(0), msg);
            assert_eq!(std::rc::Rc::strong_count(&handle), 2);
            f.free(slot);
            assert!(!f.holds(slot));
            let expected = if claims_heap { 1 } else { 2 };
            assert_eq!(
                std::rc::Rc::strong_count(&handle),
                expected,
                "{claims_heap}"
            );
        }
    }

    /// A message put while another is being delivered lands in the other pool, and both can
    /// be read back by their numbers; freed slots are reused.
    #[test]
    fn delivering_lends_one_pool_and_fills_the_other() {
        let mut f = InFlight::default();
        let a = put_probe(f.filling(), 1);
        let (reading, other) = f.delivering(a);
        assert_eq!(reading.msg.n, 10);
        let b = put_probe(other, 2);
        assert_ne!(
            a >> 31,
            b >> 31,
            "a send during a delivery goes to the other pool"
        );
        f.free(a);
        assert_eq!(f.get(b).msg.n, 20);
        let c = put_probe(f.filling(), 3);
        assert_eq!(c, a, "the freed slot is reused");
        f.free(b);
        assert!(!f.holds(b) && f.holds(a));
    }

    /// Growing a pool (and advising it for huge pages) keeps every message in its slot.
    #[test]
    fn messages_survive_the_pool_growing() {
        let mut f = InFlight::default();
        let slots: Vec<u32> = (0..5_000).map(|n| put_probe(f.filling(), n)).collect();
        for (n, &slot) in slots.iter().enumerate() {
            let m = f.get(slot);
            assert_eq!((m.msg.n, m.from), (n as u64 * 10, NodeId(n as u32)));
        }
    }

    /// An anti-entropy message in its slot fills one cache line exactly, and the pool lays
    /// it on one: what the delivery path's single prefetch per message relies on. A direct
    /// mail message (48 bytes) stays packed: aligned, it would take a third more.
    #[test]
    fn an_anti_entropy_message_in_flight_is_one_cache_line() {
        use crate::emulator::line_vec::Layout;
        use hearsay_protocols::anti_entropy::AntiEntropyMessage;
        use hearsay_protocols::direct_mail::DirectMailMessage;
        type Slot<M> = Option<Flight<M>>;
        assert_eq!(std::mem::size_of::<Slot<AntiEntropyMessage>>(), 64);
        let laid = [
            LineVec::<Slot<AntiEntropyMessage>>::LAYOUT,
            LineVec::<Slot<DirectMailMessage>>::LAYOUT,
        ];
        assert_eq!(laid, [Layout::Line, Layout::Packed]);
        assert_eq!(LineVec::<Slot<AntiEntropyMessage>>::LINES, 1);
    }
}
