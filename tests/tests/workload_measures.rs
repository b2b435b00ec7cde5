//! The measures the workloads feed: stable latency, staleness of reads, messages per operation.

use hearsay_harness::scenario::Protocol;
use hearsay_harness::{Scenario, run_scenario};
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_protocols::{SimDuration, SimTime};
use hearsay_workloads::{RandomReads, Rate, SingleRumor, Workload, WriteStream};

fn secs(s: u64) -> SimTime {
    SimTime::from_duration(SimDuration::from_secs(s))
}

fn anti_entropy(period_ms: u64) -> Protocol {
    Protocol::AntiEntropy(AntiEntropyConfig {
        period: SimDuration::from_millis(period_ms),
        ..Default::default()
    })
}

#[test]
fn the_stable_latency_of_a_single_rumor_is_its_t_last() {
    let scenario = Scenario::builder("stable", 300)
        .duration(SimDuration::from_secs(15))
        .seeds(0..4)
        .strategy("ae", anti_entropy(500))
        .workload(Workload::SingleRumor(SingleRumor {
            at: secs(1),
            ..Default::default()
        }))
        .build()
        .unwrap();
    for r in run_scenario(&scenario).runs {
        let stable = r.metrics.stable_latency.expect("the rumor became stable");
        assert_eq!((stable.count, stable.never), (1, 0));
        assert!(
            (stable.max - r.metrics.t_last.unwrap()).abs() < 1e-9,
            "{stable:?} vs t_last {:?}",
            r.metrics.t_last
        );
        assert_eq!(r.metrics.msgs_per_op, Some(r.traffic.sent as f64));
    }
}

#[test]
fn slower_anti_entropy_means_later_stability_and_staler_reads() {
    let build = |period_ms| {
        Scenario::builder("staleness", 100)
            .duration(SimDuration::from_secs(20))
            .seeds(0..3)
            .strategy("ae", anti_entropy(period_ms))
            .workload(Workload::Combined(vec![
                Workload::Writes(WriteStream {
                    rate: Rate(10.0),
                    keys: 5,
                    first_key: 0,
                    from: secs(1),
                    until: secs(8),
                }),
                Workload::Reads(RandomReads {
                    rate: Rate(50.0),
                    keys: 5,
                    first_key: 0,
                    from: secs(1),
                    until: secs(10),
                }),
            ]))
            .build()
            .unwrap()
    };
    let measure = |period_ms| {
        let result = run_scenario(&build(period_ms));
        let n = result.runs.len() as f64;
        let p95 = result
            .runs
            .iter()
            .map(|r| r.metrics.stable_latency.unwrap().p95)
            .sum::<f64>()
            / n;
        let stale = result
            .runs
            .iter()
            .map(|r| r.metrics.stale_reads.unwrap())
            .sum::<f64>()
            / n;
        for r in &result.runs {
            let l = r.metrics.stable_latency.unwrap();
            assert!(l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max, "{l:?}");
            assert_eq!(l.never, 0, "anti-entropy left a write unstable");
            assert!(r.metrics.staleness_mean.unwrap() > 0.0);
        }
        (p95, stale)
    };
    let (fast_p95, fast_stale) = measure(200);
    let (slow_p95, slow_stale) = measure(2_000);
    assert!(
        slow_p95 > 3.0 * fast_p95,
        "p95 stable latency {fast_p95}s at 200 ms vs {slow_p95}s at 2 s"
    );
    assert!(
        slow_stale > fast_stale,
        "stale reads {fast_stale} at 200 ms vs {slow_stale} at 2 s"
    );
    assert!(fast_stale > 0.0 && slow_stale < 1.0);
}

/// With a message size limit, gossip can carry only so many updates per message: a ramp of
/// write rates finds where stable latency takes off, and reports that rate.
#[test]
fn a_rate_ramp_finds_where_the_channel_saturates() {
    use hearsay_workloads::RateRamp;
    let ramp = RateRamp {
        from: Rate(5.0),
        to: Rate(200.0),
        steps: 4,
        step_for: SimDuration::from_secs(4),
        start: secs(1),
        keys: 300,
        first_key: 0,
    };
    let mut scenario = Scenario::builder("ramp", 60)
        .duration(SimDuration::from_secs(30))
        .seeds(0..2)
        .strategy("ae", anti_entropy(200))
        .workload(Workload::Ramp(ramp))
        .build()
        .unwrap();
    scenario.network.mtu = Some(512);
    for r in run_scenario(&scenario).runs {
        assert_eq!(r.ramp.len(), 4);
        let first = r.ramp[0].p95_stable.expect("the first step settles");
        let last = &r.ramp[3];
        assert!(
            last.p95_stable.is_none_or(|p| p > 2.0 * first) || last.never_stable > 0,
            "{:?}",
            r.ramp
        );
        let rate = r.metrics.saturation_rate.expect("saturation found");
        assert!(rate > 5.0 && rate <= 200.0, "saturated at {rate}");
        assert!(r.counters.get("mtu-deferred").copied().unwrap_or(0) > 0);
    }
    // Without the size limit the same ramp never saturates: every step settles as fast.
    scenario.network.mtu = None;
    for r in run_scenario(&scenario).runs {
        assert_eq!(r.metrics.saturation_rate, None, "{:?}", r.ramp);
    }
}
