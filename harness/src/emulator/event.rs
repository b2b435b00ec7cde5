//! The events the emulator's queue holds: what happens at one instant of a run.

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
