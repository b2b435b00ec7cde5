//! Fault schedules for hearsay: what goes wrong, when, and to whom.
//!
//! A [`FaultSchedule`] is a validated, time-ordered list of [`TimedFault`]s: partitions of
//! every shape ([`PartitionSpec`]) and their heals; network faults on some or all links
//! ([`LinkFault`]: loss, latency, extra delay, duplication, reordering); crashes that keep or
//! lose state, restarts, pauses and resumes; nodes joining and leaving ([`Churn`]); clock skew
//! ([`ClockSkew`]); bounded inbound capacity ([`Capacity`]). Optionally a [`Nemesis`] adds
//! random faults per run, drawn from the run's seed.
//!
//! The emulator in `hearsay-harness` carries faults out; this crate only describes them,
//! checks that they make sense for a cluster of a given size (errors name the fault's index and
//! sub-field, so a loader can point at the text), derives the windows reports shade, and
//! prints a schedule back as the `faults:` list of a scenario file.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod action;
mod capacity;
mod churn;
mod clock;
mod error;
mod latency;
mod link;
mod nemesis;
mod partition;
mod print;
mod schedule;
mod validate;
mod windows;

pub use action::{FaultAction, TimedFault};
pub use capacity::Capacity;
pub use churn::Churn;
pub use clock::{ClockSkew, SignedDuration};
pub use error::FaultError;
pub use latency::Latency;
pub use link::{LinkEffect, LinkFault, Links, NodeSet};
pub use nemesis::{Nemesis, NemesisFault};
pub use partition::{
    Connectivity, GroupId, PartitionSpec, TALKS_TO_ALL, evenly_spread, ring_radius, share_of,
};
pub use schedule::FaultSchedule;
pub use validate::initially_absent;
pub use windows::FaultWindow;
