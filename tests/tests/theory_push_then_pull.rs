//! Push-then-pull (Karp et al. 2000) in synchronous rounds at n = 1,000: pushing while an update
//! is young and pulling once most nodes know reaches everyone with fewer transmissions of the
//! update per node than push alone or pull alone (each run long enough to reach everyone), and
//! the switch has an optimum: too early and the update dies before everyone has it, later and
//! every extra push round costs about one transmission per node.

mod common;

use common::*;
use hearsay_harness::scenario::{Latency, Protocol};
use hearsay_harness::{Scenario, run_scenario};
use hearsay_protocols::push_then_pull::PushThenPullConfig;

const N: u32 = 1_000;
const SEEDS: u64 = 10;

fn ptp(switch_round: Option<u32>, pull_rounds: Option<u32>) -> Protocol {
    Protocol::PushThenPull(PushThenPullConfig {
        period: ms(100),
        switch_round,
        pull_rounds,
        synchronous: true,
        ..Default::default()
    })
}

#[test]
fn push_then_pull_reaches_everyone_for_fewer_transmissions_than_push_or_pull_alone() {
    let mut builder = Scenario::builder("push-then-pull", N)
        .duration(secs(4))
        .sample_every(secs(4))
        .latency(Latency::Constant(ms(1)))
        .seeds(0..SEEDS)
        .strategy("push-then-pull", ptp(None, None))
        // Push alone needs log2 n + ln n + O(1) ≈ 17–20 rounds at n = 1,000; pull alone about
        // as many: both get 22 rounds of life, enough on every seed.
        .strategy("push", ptp(Some(22), Some(0)))
        .strategy("pull", ptp(Some(0), Some(22)));
    for switch in [4, 8, 10, 12, 14] {
        builder = builder.strategy(format!("switch {switch}"), ptp(Some(switch), None));
    }
    let result = run_scenario(&builder.build().unwrap());
    let stats = |name: &str| {
        let runs: Vec<_> = result.runs_of(name).collect();
        assert_eq!(runs.len() as u64, SEEDS, "{name}");
        let reached_all = runs.iter().filter(|r| r.metrics.residue == 0.0).count();
        let cost = runs
            .iter()
            .map(|r| r.counters.get("updates-sent").copied().unwrap_or(0) as f64)
            .sum::<f64>()
            / (SEEDS as f64 * f64::from(N));
        (reached_all as u64, cost)
    };
    let (all, ptp_cost) = stats("push-then-pull");
    let (push_all, push_cost) = stats("push");
    let (pull_all, pull_cost) = stats("pull");
    eprintln!(
        "transmissions per node: push-then-pull {ptp_cost:.2} push {push_cost:.2} pull \
         {pull_cost:.2}"
    );
    assert_eq!((all, push_all, pull_all), (SEEDS, SEEDS, SEEDS));
    // Karp et al.: push-then-pull needs O(n log log n) transmissions, push or pull alone
    // Θ(n log n). At n = 1,000 the measured gap is about 2× (6 against 13–14 per node); we
    // assert a 1.5× margin, which neither alone comes near.
    assert!(ptp_cost * 1.5 < push_cost, "{ptp_cost} vs push {push_cost}");
    assert!(ptp_cost * 1.5 < pull_cost, "{ptp_cost} vs pull {pull_cost}");
    // The sweep: every later switch costs more (about one transmission per node per extra
    // push round), while switching at round 4 kills the update before it reaches everyone; so
    // the cheapest switch that reaches everyone is the first that does on every seed (of
    // these, 10 = ⌈log2 n⌉, the default; `scenarios/push-then-pull.yaml` sweeps finer).
    let sweep: Vec<(u32, u64, f64)> = [4, 8, 10, 12, 14]
        .into_iter()
        .map(|s| {
            let (all, cost) = stats(&format!("switch {s}"));
            (s, all, cost)
        })
        .collect();
    eprintln!("sweep (switch, seeds reaching all, transmissions/node): {sweep:?}");
    assert_eq!(
        sweep[0].1, 0,
        "switching at round 4 reached everyone: {sweep:?}"
    );
    for w in sweep.windows(2) {
        assert!(
            w[1].2 > w[0].2 + 0.5,
            "a later switch did not cost more: {sweep:?}"
        );
    }
    for s in &sweep[2..] {
        assert_eq!(s.1, SEEDS, "switch {} missed nodes: {sweep:?}", s.0);
    }
}
