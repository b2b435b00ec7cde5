//! Fault schedules for hearsay: what goes wrong, when, and to whom.
//!
//! A [`FaultSchedule`] is a validated, time-ordered list of [`TimedFault`]s — apply a partition,
//! heal it, crash nodes (keeping or losing their state), restart them. The emulator in
//! `hearsay-harness` carries them out; this crate only describes them, checks that they make
//! sense for a cluster of a given size, and derives the fault windows that reports shade.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod partition;
mod schedule;

pub use partition::{GroupId, PartitionSpec};
pub use schedule::{FaultAction, FaultError, FaultSchedule, FaultWindow, TimedFault};
