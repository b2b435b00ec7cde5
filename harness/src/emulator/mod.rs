//! The deterministic discrete-event network emulator.
//!
//! One [`Emulator`] plays one run: one strategy, one seed. It owns every node (dense `Vec`s
//! indexed by [`hearsay_protocols::NodeId`]), a timing-wheel [`EventQueue`], the network model
//! and the fault timeline, and it records a [`crate::history::History`] and a trace fingerprint.

mod context;
mod core;
mod event_queue;
mod network;
mod rng_streams;
mod trace;

pub use self::core::{Emulator, EmulatorConfig, RunOutput};
pub use event_queue::EventQueue;
pub use network::{NetworkModel, Transit};
pub use rng_streams::{RngStreams, StreamRng};
pub use trace::{Fingerprint, SendOutcome, TraceEvent};
