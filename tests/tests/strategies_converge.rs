//! Every strategy reaches every node when nothing goes wrong (except rumor mongering alone,
//! whose residue is the point of the SIR model), and every anti-entropy variant — four
//! reconciliation methods in three modes, and anti-entropy backing rumors — converges after
//! partitions heal. Direct mail retries across a heal when its queue is large enough, and drops
//! what does not fit when it is not.

mod common;

use common::*;
use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::scenario::Protocol;
use hearsay_harness::{Scenario, run_scenario};
use hearsay_protocols::anti_entropy::{AntiEntropyConfig, ExchangeMode, Reconciliation};
use hearsay_protocols::direct_mail::DirectMailConfig;
use hearsay_protocols::push_then_pull::PushThenPullConfig;
use hearsay_protocols::rumor::{Removal, RumorConfig};
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyConfig;
use hearsay_protocols::{NodeId, SimTime};
use hearsay_reports::Verdict;
use hearsay_workloads::{SingleRumor, Workload};

const N: u32 = 300;

fn at(s: u64) -> SimTime {
    SimTime::from_duration(secs(s))
}

fn write_at(s: u64) -> Workload {
    Workload::SingleRumor(SingleRumor {
        at: at(s),
        ..Default::default()
    })
}

const MODES: [ExchangeMode; 3] = [
    ExchangeMode::Push,
    ExchangeMode::Pull,
    ExchangeMode::PushPull,
];

fn methods() -> [Reconciliation; 4] {
    [
        Reconciliation::FullState,
        Reconciliation::Checksum,
        Reconciliation::RecentUpdates { window: secs(2) },
        Reconciliation::Merkle { depth: 2 },
    ]
}

/// Every anti-entropy variant, named `method/mode`.
fn anti_entropy_variants() -> Vec<(String, Protocol)> {
    let mut out = Vec::new();
    for method in methods() {
        for mode in MODES {
            out.push((
                format!("{}/{mode:?}", method.name()),
                Protocol::AntiEntropy(AntiEntropyConfig {
                    period: ms(250),
                    mode,
                    reconciliation: method,
                    ..Default::default()
                }),
            ));
        }
    }
    out
}

fn backed_rumor() -> Protocol {
    Protocol::RumorWithAntiEntropy(RumorWithAntiEntropyConfig {
        rumor: RumorConfig {
            k: 1,
            ..Default::default()
        },
        anti_entropy: AntiEntropyConfig {
            period: ms(500),
            reconciliation: Reconciliation::Checksum,
            ..Default::default()
        },
    })
}

#[test]
fn every_strategy_but_lone_rumors_reaches_every_node_without_faults() {
    let mut builder = Scenario::builder("coverage", N)
        .duration(secs(12))
        .seeds(0..3)
        .workload(write_at(1))
        .check_residue(0.0, None);
    let mut full: Vec<String> = Vec::new();
    for (name, p) in anti_entropy_variants() {
        builder = builder.strategy(name.clone(), p);
        full.push(name);
    }
    for (name, p) in [
        (
            "direct-mail",
            Protocol::DirectMail(DirectMailConfig::default()),
        ),
        (
            "push-then-pull",
            Protocol::PushThenPull(PushThenPullConfig::default()),
        ),
        ("rumor+anti-entropy", backed_rumor()),
    ] {
        builder = builder.strategy(name, p);
        full.push(name.into());
    }
    let mut sir = Vec::new();
    for mode in MODES {
        for removal in [Removal::FeedbackCounter, Removal::BlindCoin] {
            let name = format!("rumor {mode:?} {removal:?}");
            builder = builder.strategy(
                name.clone(),
                Protocol::Rumor(RumorConfig {
                    mode,
                    removal,
                    k: 3,
                    ..Default::default()
                }),
            );
            sir.push(name);
        }
    }
    let result = run_scenario(&builder.build().unwrap());
    assert_eq!(result.runs.len(), 3 * (full.len() + sir.len()));
    for name in &full {
        assert_eq!(result.runs_of(name).count(), 3, "{name}");
        for r in result.runs_of(name) {
            assert_eq!(r.metrics.residue, 0.0, "{name} seed {}", r.seed);
            assert!(r.passed(), "{name} seed {}: {:?}", r.seed, r.checks);
            assert!(r.metrics.convergence.is_some(), "{name} seed {}", r.seed);
        }
    }
    // Rumor mongering alone: most nodes, not necessarily all (k = 3 leaves about 2% with
    // feedback, 6% blind; the bound only guards against a rumor that does not spread).
    for name in &sir {
        for r in result.runs_of(name) {
            assert!(
                r.metrics.residue < 0.25,
                "{name} seed {}: residue {}",
                r.seed,
                r.metrics.residue
            );
        }
    }
}

#[test]
fn every_anti_entropy_variant_converges_after_partitions_heal() {
    let thirds = PartitionSpec::Groups(vec![
        (0..100).map(NodeId).collect(),
        (100..200).map(NodeId).collect(),
        (200..300).map(NodeId).collect(),
    ]);
    let mut builder = Scenario::builder("heal", N)
        .duration(secs(16))
        .seeds(0..3)
        .loss(0.01)
        // Written inside the first partition: half the cluster cannot hear it until 4 s, and by
        // the final heal it is older than the recent-update window (2 s).
        .workload(write_at(2))
        .fault_for(
            at(1),
            secs(3),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .fault_for(at(5), secs(3), FaultAction::Partition(thirds))
        .check_convergence(secs(6), None);
    for (name, p) in anti_entropy_variants() {
        builder = builder.strategy(name, p);
    }
    builder = builder.strategy("rumor+anti-entropy", backed_rumor());
    let result = run_scenario(&builder.build().unwrap());
    for r in &result.runs {
        assert_eq!(r.metrics.residue, 0.0, "{} seed {}", r.strategy, r.seed);
        assert_eq!(
            r.checks[0].verdict,
            Verdict::Pass,
            "{} seed {}: {}",
            r.strategy,
            r.seed,
            r.checks[0].detail
        );
    }
    // The recent-update variants had to fall back to the full state for the old update.
    for r in result
        .runs
        .iter()
        .filter(|r| r.strategy.starts_with("recent"))
    {
        assert!(
            r.counters.get("ae-fallbacks").copied().unwrap_or(0) > 0,
            "{} seed {}: {:?}",
            r.strategy,
            r.seed,
            r.counters
        );
    }
}

#[test]
fn direct_mail_retries_across_a_heal_or_drops_what_its_queue_cannot_hold() {
    let mail = |retry_queue| {
        Protocol::DirectMail(DirectMailConfig {
            ack_timeout: secs(1),
            retry_queue,
            max_retries: 5,
            ..Default::default()
        })
    };
    let scenario = Scenario::builder("mail", N)
        .duration(secs(12))
        .workload(write_at(1))
        .fault_for(
            at(0),
            secs(3),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .strategy("big-queue", mail(1_000))
        .strategy("small-queue", mail(50))
        .build()
        .unwrap();
    let result = run_scenario(&scenario);
    let big = result.runs_of("big-queue").next().unwrap();
    assert_eq!(big.metrics.residue, 0.0);
    assert_eq!(big.counters.get("direct-mail-dropped"), None);
    assert!(big.counters["direct-mail-retries"] >= u64::from(N / 2));
    // The origin's half (150 nodes, itself included) got the mail at once; the other 150 sends
    // failed, 50 fit the queue and were retried until the heal, 100 were dropped.
    let small = result.runs_of("small-queue").next().unwrap();
    assert_eq!(small.counters["direct-mail-dropped"], 100);
    assert!((small.metrics.residue - 100.0 / f64::from(N)).abs() < 1e-9);
    // Per update, the origin sends one mail to each of the other n - 1 nodes.
    assert_eq!(
        big.counters["updates-sent"] - big.counters["direct-mail-retries"],
        u64::from(N - 1)
    );
}

#[test]
fn with_an_mtu_no_strategy_sends_an_oversize_message() {
    let mut builder = Scenario::builder("mtu", 200)
        .duration(secs(8))
        .workload(write_at(1));
    for (name, p) in anti_entropy_variants() {
        builder = builder.strategy(name, p);
    }
    builder = builder
        .strategy("rumor+anti-entropy", backed_rumor())
        .strategy(
            "push-then-pull",
            Protocol::PushThenPull(PushThenPullConfig::default()),
        )
        .strategy("mail", Protocol::DirectMail(DirectMailConfig::default()));
    let base = builder.build().unwrap();
    // The smallest MTU a scenario accepts, and one a Merkle level of 16 children fits.
    for mtu in [hearsay_protocols::flow_control::MIN_MTU, 256] {
        let mut scenario = base.clone();
        scenario.network.mtu = Some(mtu);
        scenario.validate().unwrap();
        let result = run_scenario(&scenario);
        for r in &result.runs {
            assert_eq!(r.counters.get("oversize"), None, "{} mtu {mtu}", r.strategy);
            // At 64 bytes a Merkle level carries 4 of 16 subtrees, so Merkle crawls; at 256
            // everything must arrive.
            if mtu == 256 {
                assert_eq!(r.metrics.residue, 0.0, "{} mtu {mtu}", r.strategy);
            }
        }
    }
}
