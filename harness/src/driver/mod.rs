//! The async node driver: one tokio task per node wraps an unchanged sans-IO node from
//! `hearsay-protocols`.
//!
//! Datagrams come in through a [`Transport`], timers come from tokio's clock, datagrams go out
//! through the [`Codec`] (postcard), and the node's RNG is its stream of the run's seed
//! (`RngStreams::new(seed).stream("node", i)`, exactly as in the emulator). What the node
//! observes goes to a [`Recorder`]; the [`HistoryAssembler`] turns what every node recorded
//! into the same [`History`](crate::history::History) the emulator produces, so the same
//! `judge` and the same reports apply.
//!
//! The same driver runs under turmoil's simulated UDP ([`crate::backend::turmoil`]) and on real
//! loopback sockets ([`crate::backend::udp_node`]); only the transport and the clock differ.

mod assembler;
mod codec;
mod node_task;

pub use assembler::{FinalNode, HistoryAssembler};
pub use codec::{Codec, CodecError, MAX_DATAGRAM};
pub use node_task::{
    Clock, Command, DriverContext, NodeSlot, Recorder, SharedSlot, Transport, drive,
};
