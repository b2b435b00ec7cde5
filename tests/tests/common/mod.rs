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
