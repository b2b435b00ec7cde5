//! Anti-entropy reaches every live node once a partition heals; rumor mongering across the same
//! partition does not.

mod common;

use common::*;
use hearsay_faults::{FaultAction, PartitionSpec};
use hearsay_harness::{Scenario, run_scenario};
use hearsay_protocols::SimTime;
use hearsay_reports::Verdict;

fn at(s: u64) -> SimTime {
    SimTime::from_duration(secs(s))
}

#[test]
fn anti_entropy_converges_after_the_partition_heals_and_rumors_do_not() {
    let scenario = Scenario::builder("partition-heal", 1_000)
        .duration(secs(25))
        .seeds(0..6)
        .loss(0.001)
        .workload(hearsay_workloads::Workload::SingleRumor(
            hearsay_workloads::SingleRumor {
                at: at(1),
                ..Default::default()
            },
        ))
        .strategy("rumor", push_rumor(2))
        .strategy("anti-entropy", push_pull_anti_entropy(secs(1)))
        .fault_for(
            SimTime(0),
            secs(8),
            FaultAction::Partition(PartitionSpec::Halves),
        )
        .check_convergence(secs(10), None)
        .build()
        .unwrap();
    let result = run_scenario(&scenario);
    for r in result.runs_of("anti-entropy") {
        assert_eq!(r.metrics.residue, 0.0, "seed {}", r.seed);
        let c = r.metrics.convergence.expect("anti-entropy converged");
        assert!(
            c > 0.0 && c <= 10.0,
            "seed {}: converged after {c}s",
            r.seed
        );
        assert_eq!(r.checks[0].verdict, Verdict::Pass, "{}", r.checks[0].detail);
        // Nobody on the far side can learn before the heal at 8 s (written at 1 s).
        assert!(
            r.metrics.t_last.unwrap() > 7.0,
            "seed {}: t_last {:?}",
            r.seed,
            r.metrics.t_last
        );
    }
    for r in result.runs_of("rumor") {
        // The rumor dies out on the origin's side long before the heal: the far half never hears.
        assert!(
            r.metrics.residue >= 0.5,
            "seed {}: residue {}",
            r.seed,
            r.metrics.residue
        );
        assert_eq!(r.metrics.convergence, None);
        let check = &r.checks[0];
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.detail.contains("distinct states"), "{}", check.detail);
    }
}
