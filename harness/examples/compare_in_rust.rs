//! Build a scenario in Rust (no YAML), run it, and read the verdicts — the way a user would from
//! their own `#[test]`.
//!
//! Run with `cargo run --release -p hearsay-harness --example compare_in_rust`.

use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::scenario::Protocol;
use hearsay_harness::{Scenario, run_scenario};
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_protocols::rumor::RumorConfig;
use hearsay_protocols::{SimDuration, SimTime};
use hearsay_reports::render_table;

fn main() {
    let scenario = Scenario::builder("rumor-vs-anti-entropy", 2_000)
        .duration(SimDuration::from_secs(20))
        .seeds(0..5)
        .loss(0.001)
        .strategy(
            "rumor k=3",
            Protocol::Rumor(RumorConfig {
                k: 3,
                ..Default::default()
            }),
        )
        .strategy(
            "anti-entropy",
            Protocol::AntiEntropy(AntiEntropyConfig::default()),
        )
        .fault_for(
            SimTime::ZERO,
            SimDuration::from_secs(5),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .check_convergence(
            SimDuration::from_secs(10),
            Some(vec!["anti-entropy".into()]),
        )
        .build()
        .expect("a valid scenario");
    let result = run_scenario(&scenario);
    print!("{}", render_table(&result));
    std::process::exit(if result.passed() { 0 } else { 1 });
}
