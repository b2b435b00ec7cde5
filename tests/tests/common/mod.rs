//! Shared builders for the end-to-end tests.
#![allow(dead_code)]

use hearsay_harness::scenario::Protocol;
use hearsay_protocols::SimDuration;
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode};
use hearsay_protocols::rumor::{Removal, RumorConfig};

pub fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

pub fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

pub fn push_rumor(k: u32) -> Protocol {
    Protocol::Rumor(RumorConfig {
        period: ms(200),
        fanout: 1,
        k,
        removal: Removal::FeedbackCounter,
        ..Default::default()
    })
}

pub fn push_pull_anti_entropy(period: SimDuration) -> Protocol {
    Protocol::AntiEntropy(AntiEntropyConfig {
        period,
        mode: ExchangeMode::PushPull,
        ..Default::default()
    })
}

pub mod probe;

use hearsay_faults::{FaultAction, FaultSchedule, TimedFault};
use hearsay_protocols::SimTime;

/// A validated schedule from `(time, action)` pairs over a cluster of `nodes`.
pub fn schedule(nodes: u32, faults: Vec<(SimDuration, FaultAction)>) -> FaultSchedule {
    let faults = faults
        .into_iter()
        .map(|(at, action)| TimedFault {
            at: SimTime::from_duration(at),
            action,
        })
        .collect();
    FaultSchedule::new(faults, nodes).expect("a valid schedule")
}

/// `n` ms after the start.
pub fn at_ms(n: u64) -> SimTime {
    SimTime::from_duration(ms(n))
}

/// Constant latency `d`, no loss.
pub fn constant_network(d: SimDuration) -> hearsay_harness::scenario::NetworkSpec {
    hearsay_harness::scenario::NetworkSpec {
        latency: hearsay_harness::scenario::Latency::Constant(d),
        loss: 0.0,
        mtu: None,
    }
}
