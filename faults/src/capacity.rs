//! Capacity: how much a node can take in.
//!
//! Each message a node receives takes `service` time to process, one at a time; messages that
//! arrive while it is busy wait in an inbound queue of at most `queue` messages, and a message
//! arriving to a full queue is dropped (and counted). This is the saturation the gossip
//! literature warns of: when updates arrive faster than a node can process them, the channel
//! drops them, and more fanout only makes it worse.

use hearsay_protocols::SimDuration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A node's inbound service model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// Messages that may wait while one is being processed.
    pub queue: u32,
    /// How long processing one message takes.
    pub service: SimDuration,
}

impl Capacity {
    /// Checks the parameters.
    pub fn check(&self) -> Result<(), String> {
        if self.service == SimDuration::ZERO {
            Err(
                "must be longer than 0s (a node that processes instantly has no capacity limit)"
                    .to_string(),
            )
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "queue {} service {}", self.queue, self.service)
    }
}
