//! The deterministic discrete-event network emulator.
//!
//! One [`Emulator`] plays one run: one strategy, one seed. It owns every node (one dense `Vec`
//! of members, each node beside its RNG stream, incarnation and liveness, indexed by
//! [`hearsay_protocols::NodeId`]), a timing-wheel [`EventQueue`], the network model
//! and the fault timeline, and it records a [`crate::history::History`] and a trace fingerprint.
//!
//! Faults are applied in `core/apply.rs`; each kind keeps its state in its own module
//! (`link_rules`, `pause`, `capacity`, `clock`, gathered in `fault_state`), absent until a fault
//! of that kind first applies, so the hot path pays nothing for the kinds a run does not use.
//!
//! The hot path, at a glance: the loop pops an event (`event_queue`, its buckets ordered by
//! `bucket_order`, events packed in two words by `event`) and prefetches the state of the one
//! 16 places ahead (`prefetch`); a node's call gets a context (`context`) whose sends go
//! straight through `transport` into an in-flight slot (`in_flight`), built in place, one slot
//! for a message sent alike to several peers; a delivered message is read where it lies. The members' array sits on huge pages
//! (`huge_pages`). Each of those choices is measured in its module's notes.

mod agreement;
mod bucket;
mod bucket_order;
mod capacity;
mod clock;
mod context;
mod core;
mod event;
mod event_queue;
mod fault_state;
mod in_flight;
mod latency;
mod line_vec;
mod link_rules;
mod network;
mod pause;
mod prefetch;
mod rng_streams;
mod trace;
mod transport;

pub use self::core::{Emulator, EmulatorConfig, RunOutput};
pub use event_queue::EventQueue;
pub use network::{NetworkModel, Transit};
pub use rng_streams::{RngStreams, StreamRng};
pub use trace::{Fingerprint, SendOutcome, TraceEvent};
