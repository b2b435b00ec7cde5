//! The events the emulator's queue holds: what happens at one instant of a run.

use super::event_queue::Stamped;
use hearsay_protocols::TimerId;

/// One scheduled event. Small and `Copy`: the queue moves millions of them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// The message in an in-flight slot reaches its addressee.
    Deliver {
        /// The in-flight slot holding the message.
        slot: u32,
        /// The addressee, carried here so the loop can prefetch its state events ahead.
        to: u32,
    },
    /// A message that waited in a capacity-bounded inbound queue is handed over.
    Served {
        /// The in-flight slot holding the message.
        slot: u32,
        /// The addressee's incarnation when the message was queued: the queue dies with it.
        incarnation: u32,
        /// The addressee.
        to: u32,
    },
    /// A node's timer fires.
    Timer {
        /// The node.
        node: u32,
        /// The node's name for the timer.
        timer: TimerId,
        /// The incarnation that armed it: timers die with the process.
        incarnation: u32,
    },
    /// A scripted fault (index into the run's faults).
    Fault {
        /// Index into the run's fault list.
        index: u32,
    },
    /// A client operation (index into the run's operations).
    Client {
        /// Index into the run's operation list.
        index: u32,
    },
    /// Sample the cluster's convergence.
    Sample,
}

/// An [`Event`] packed into two words, the form the queue stores; the queue writes the event's
/// time within its bucket into spare bits of the first word ([`Stamped`]).
///
/// The queue copies events into its buckets by the million. An enum of 32-bit fields was built
/// on the stack field by field and copied into its bucket with one 16-byte load, which
/// store-to-load forwarding cannot serve: the core waited for those stores to retire on every
/// push. Two plain words stay in registers from construction to the bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackedEvent {
    /// The kind (low byte), the offset within a bucket (the next 24 bits) and the first field
    /// (high half).
    word: u64,
    /// The second field (low half) and the third (high half).
    extra: u64,
}

const DELIVER: u64 = 0;
const SERVED: u64 = 1;
const TIMER: u64 = 2;
const FAULT: u64 = 3;
const CLIENT: u64 = 4;
const SAMPLE: u64 = 5;

impl PackedEvent {
    #[inline(always)]
    fn new(kind: u64, a: u32, b: u32, c: u32) -> Self {
        PackedEvent {
            word: kind | u64::from(a) << 32,
            extra: u64::from(b) | u64::from(c) << 32,
        }
    }

    /// The event this stands for.
    #[inline(always)]
    pub fn unpack(self) -> Event {
        let a = (self.word >> 32) as u32;
        let b = self.extra as u32;
        let c = (self.extra >> 32) as u32;
        match self.word & 0xff {
            DELIVER => Event::Deliver { slot: a, to: b },
            SERVED => Event::Served {
                slot: a,
                incarnation: b,
                to: c,
            },
            TIMER => Event::Timer {
                node: a,
                timer: TimerId(b),
                incarnation: c,
            },
            FAULT => Event::Fault { index: a },
            CLIENT => Event::Client { index: a },
            _ => Event::Sample,
        }
    }
}

/// The bits of [`PackedEvent::word`] between the kind and the first field: where the event
/// carries its time within a wheel bucket.
const OFFSET_SHIFT: u32 = 8;
const OFFSET_MASK: u64 = ((1 << 24) - 1) << OFFSET_SHIFT;

impl Stamped for PackedEvent {
    const OFFSET_BITS: u32 = 24;

    #[inline(always)]
    fn with_offset(self, offset: u32) -> Self {
        PackedEvent {
            word: self.word & !OFFSET_MASK | u64::from(offset) << OFFSET_SHIFT,
            extra: self.extra,
        }
    }

    #[inline(always)]
    fn offset(&self) -> u32 {
        ((self.word & OFFSET_MASK) >> OFFSET_SHIFT) as u32
    }
}

impl Event {
    /// The event packed for the queue.
    #[inline(always)]
    pub fn pack(self) -> PackedEvent {
        match self {
            Event::Deliver { slot, to } => PackedEvent::new(DELIVER, slot, to, 0),
            Event::Served {
                slot,
                incarnation,
                to,
            } => PackedEvent::new(SERVED, slot, incarnation, to),
            Event::Timer {
                node,
                timer,
                incarnation,
            } => PackedEvent::new(TIMER, node, timer.0, incarnation),
            Event::Fault { index } => PackedEvent::new(FAULT, index, 0, 0),
            Event::Client { index } => PackedEvent::new(CLIENT, index, 0, 0),
            Event::Sample => PackedEvent::new(SAMPLE, 0, 0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_packing() {
        let max = u32::MAX;
        for e in [
            Event::Deliver { slot: 7, to: max },
            Event::Served {
                slot: max,
                incarnation: 3,
                to: max - 2,
            },
            Event::Timer {
                node: max - 1,
                timer: TimerId(max),
                incarnation: max,
            },
            Event::Fault { index: 0 },
            Event::Client { index: max },
            Event::Sample,
        ] {
            let back = e.pack().unpack();
            assert_eq!(format!("{back:?}"), format!("{e:?}"));
            // The queue's offset neither disturbs the event nor survives a re-stamp.
            let stamped = e.pack().with_offset((1 << 24) - 1).with_offset(12_345);
            assert_eq!(stamped.offset(), 12_345);
            assert_eq!(format!("{:?}", stamped.unpack()), format!("{e:?}"));
        }
    }
}
