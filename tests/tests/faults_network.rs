//! Network faults in the emulator: loss bursts and per-link loss, latency distributions per
//! link, slow nodes, duplication and reordering — each measured message by message with the
//! probe protocol (numbered pings whose arrivals record their send time).

mod common;

use common::probe::{self, Arrival};
use common::*;
use hearsay_faults::{FaultAction, Latency, LinkEffect, LinkFault, Links, NodeSet};
use hearsay_harness::emulator::{SendOutcome, TraceEvent};
use hearsay_protocols::{NodeId, SimDuration};
use std::collections::BTreeMap;

fn to(ids: &[u32]) -> Vec<NodeId> {
    ids.iter().map(|&i| NodeId(i)).collect()
}

fn only(ids: &[u32]) -> NodeSet {
    NodeSet::Only(to(ids))
}

/// Pings sent (per the trace) and how each fared, by (from, to).
fn sends(trace: &[TraceEvent]) -> Vec<(hearsay_protocols::SimTime, NodeId, NodeId, SendOutcome)> {
    trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Send {
                at,
                from,
                to,
                outcome,
                ..
            } => Some((*at, *from, *to, *outcome)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_loss_burst_drops_every_message_in_its_window_and_none_outside() {
    let faults = schedule(
        3,
        vec![
            (
                ms(1000),
                FaultAction::Network(LinkFault::everywhere(LinkEffect::Loss(1.0))),
            ),
            (
                ms(2000),
                FaultAction::NetworkEnd(LinkFault::everywhere(LinkEffect::Loss(1.0))),
            ),
        ],
    );
    let out = probe::run(
        3,
        secs(3),
        constant_network(ms(5)),
        ms(10),
        |me| to(&[(me.0 + 1) % 3]),
        faults.faults(),
        vec![],
    );
    let s = sends(out.trace.as_ref().unwrap());
    let burst = |t| t >= at_ms(1000) && t < at_ms(2000);
    let (inside, outside): (Vec<_>, Vec<_>) = s.into_iter().partition(|(at, ..)| burst(*at));
    assert!(inside.len() > 200 && outside.len() > 400);
    assert!(inside.iter().all(|s| s.3 == SendOutcome::Lost));
    assert!(outside.iter().all(|s| s.3 == SendOutcome::InFlight));
    assert_eq!(out.history.traffic.lost, inside.len() as u64);
}

#[test]
fn per_link_and_per_group_loss_hit_only_their_links() {
    // 0 -> 1 always lost (one direction); between {2} and {3} half lost, both ways.
    let faults = schedule(
        4,
        vec![
            (
                ms(0),
                FaultAction::Network(LinkFault {
                    links: Links {
                        from: only(&[0]),
                        to: only(&[1]),
                        both_ways: false,
                    },
                    effect: LinkEffect::Loss(1.0),
                }),
            ),
            (
                ms(0),
                FaultAction::Network(LinkFault {
                    links: Links {
                        from: only(&[2]),
                        to: only(&[3]),
                        both_ways: true,
                    },
                    effect: LinkEffect::Loss(0.5),
                }),
            ),
        ],
    );
    let out = probe::run(
        4,
        secs(5),
        constant_network(ms(5)),
        ms(10),
        |me| (0..4).filter(|&t| t != me.0).map(NodeId).collect(),
        faults.faults(),
        vec![],
    );
    let mut lost: BTreeMap<(u32, u32), (u32, u32)> = BTreeMap::new();
    for (_, from, to, outcome) in sends(out.trace.as_ref().unwrap()) {
        let e = lost.entry((from.0, to.0)).or_default();
        e.1 += 1;
        if outcome == SendOutcome::Lost {
            e.0 += 1;
        }
    }
    for ((from, to), (l, n)) in &lost {
        let share = f64::from(*l) / f64::from(*n);
        match (from, to) {
            (0, 1) => assert_eq!(l, n, "0->1 must all be lost"),
            (2, 3) | (3, 2) => assert!((0.4..0.6).contains(&share), "{from}->{to}: {share}"),
            _ => assert_eq!(*l, 0, "{from}->{to} lost {l} of {n}"),
        }
    }
}

#[test]
fn a_slow_node_delays_its_inbound_and_outbound_messages_only() {
    let slow = LinkFault {
        links: Links::touching(to(&[1])),
        effect: LinkEffect::Delay(Latency::Constant(ms(100))),
    };
    let faults = schedule(3, vec![(ms(0), FaultAction::Network(slow))]);
    let out = probe::run(
        3,
        secs(2),
        constant_network(ms(5)),
        ms(20),
        |me| (0..3).filter(|&t| t != me.0).map(NodeId).collect(),
        faults.faults(),
        vec![],
    );
    let a = probe::arrivals(&out);
    assert!(a.len() > 200);
    for x in &a {
        let touches_slow = x.from == NodeId(1) || x.to == NodeId(1);
        let expected = if touches_slow { ms(105) } else { ms(5) };
        assert_eq!(x.latency(), expected, "{x:?}");
    }
}

#[test]
fn a_latency_fault_gives_its_link_a_heavy_tailed_distribution() {
    let pareto = Latency::Pareto {
        scale: ms(2),
        shape: 1.2,
    };
    let faults = schedule(
        3,
        vec![(
            ms(0),
            FaultAction::Network(LinkFault {
                links: Links {
                    from: only(&[0]),
                    to: only(&[1]),
                    both_ways: false,
                },
                effect: LinkEffect::Latency(pareto),
            }),
        )],
    );
    let out = probe::run(
        3,
        secs(20),
        constant_network(ms(5)),
        ms(5),
        |me| if me.0 == 0 { to(&[1, 2]) } else { vec![] },
        faults.faults(),
        vec![],
    );
    let mut on_link: Vec<SimDuration> = probe::arrivals(&out)
        .iter()
        .filter(|x| x.to == NodeId(1))
        .map(Arrival::latency)
        .collect();
    let off_link: Vec<SimDuration> = probe::arrivals(&out)
        .iter()
        .filter(|x| x.to == NodeId(2))
        .map(Arrival::latency)
        .collect();
    on_link.sort();
    assert!(
        off_link.iter().all(|d| *d == ms(5)),
        "the other link keeps the base latency"
    );
    assert!(on_link.len() > 3000, "{}", on_link.len());
    assert!(on_link[0] >= ms(2), "never below the Pareto scale");
    // Median of Pareto(2 ms, 1.2) is 2 ms · 2^(1/1.2) ≈ 3.56 ms; its tail is heavy: the slowest
    // of ~4,000 messages takes well over a second of delay more than the median.
    let median = on_link[on_link.len() / 2].as_millis_f64();
    assert!((3.2..3.9).contains(&median), "median {median}");
    assert!(
        on_link.last().unwrap() > &ms(300),
        "max {:?}",
        on_link.last()
    );
}

#[test]
fn a_normal_base_latency_has_its_mean_and_spread() {
    let network = hearsay_harness::scenario::NetworkSpec {
        latency: Latency::Normal {
            mean: ms(40),
            sd: ms(10),
        },
        loss: 0.0,
        mtu: None,
    };
    let out = probe::run(
        2,
        secs(30),
        network,
        ms(5),
        |me| to(&[1 - me.0]),
        &[],
        vec![],
    );
    let lat: Vec<f64> = probe::arrivals(&out)
        .iter()
        .map(|x| x.latency().as_millis_f64())
        .collect();
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    let sd = (lat.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / lat.len() as f64).sqrt();
    assert!(lat.len() > 10_000);
    assert!((39.5..40.5).contains(&mean), "mean {mean}");
    assert!((9.5..10.5).contains(&sd), "sd {sd}");
}

#[test]
fn duplicated_messages_are_delivered_twice_and_counted() {
    let dup = LinkFault {
        links: Links {
            from: only(&[0]),
            to: NodeSet::All,
            both_ways: false,
        },
        effect: LinkEffect::Duplicate(1.0),
    };
    let faults = schedule(
        2,
        vec![
            (ms(0), FaultAction::Network(dup.clone())),
            (ms(1000), FaultAction::NetworkEnd(dup)),
        ],
    );
    let out = probe::run(
        2,
        secs(2),
        hearsay_harness::scenario::NetworkSpec::default(),
        ms(10),
        |me| to(&[1 - me.0]),
        faults.faults(),
        vec![],
    );
    let mut copies: BTreeMap<u64, (u32, hearsay_protocols::SimTime)> = BTreeMap::new();
    for x in probe::arrivals(&out) {
        let e = copies.entry(x.seq).or_insert((0, x.sent));
        e.0 += 1;
    }
    let mut twice = 0;
    for (seq, (n, sent)) in &copies {
        let from_0 = seq >> 32 == 0;
        let expected = if from_0 && *sent < at_ms(1000) { 2 } else { 1 };
        assert_eq!(
            *n, expected,
            "ping {seq:#x} sent at {sent:?} arrived {n} times"
        );
        twice += u64::from(*n == 2);
    }
    assert!(twice >= 95, "{twice}");
    assert_eq!(out.history.counters.get("duplicated"), Some(&twice));
    // Every arrival is a ping or its copy; pings still on the wire at the end are all that is
    // missing.
    assert_eq!(out.history.traffic.delivered, copies.len() as u64 + twice);
    assert!(out.history.traffic.sent - copies.len() as u64 <= 2);
}

#[test]
fn reordering_holds_messages_back_so_later_ones_overtake_them() {
    let reorder = LinkEffect::Reorder {
        rate: 0.3,
        delay: ms(50),
    };
    let faults = schedule(
        2,
        vec![(ms(0), FaultAction::Network(LinkFault::everywhere(reorder)))],
    );
    let out = probe::run(
        2,
        secs(5),
        constant_network(ms(5)),
        ms(10),
        |me| if me.0 == 0 { to(&[1]) } else { vec![] },
        faults.faults(),
        vec![],
    );
    let a = probe::arrivals(&out);
    let held = a.iter().filter(|x| x.latency() == ms(55)).count();
    assert_eq!(
        held + a.iter().filter(|x| x.latency() == ms(5)).count(),
        a.len()
    );
    // Counted when held back; the last few are still on the wire when the run ends.
    let counted = out.history.counters["reordered"];
    assert!(
        (held as u64..=held as u64 + 6).contains(&counted),
        "{counted} vs {held}"
    );
    let share = held as f64 / a.len() as f64;
    assert!((0.25..0.35).contains(&share), "{share}");
    // Arrival order differs from send order: some ping arrives after one sent later.
    let overtaken = a.windows(2).filter(|w| w[1].seq < w[0].seq).count();
    assert!(overtaken > 50, "{overtaken}");
    assert!(
        out.history.traffic.sent - a.len() as u64 <= 6,
        "reordering loses nothing"
    );
}

#[test]
fn a_log_normal_latency_fault_on_every_link_has_its_median_and_tail() {
    let faults = schedule(
        2,
        vec![(
            ms(0),
            FaultAction::Network(LinkFault::everywhere(LinkEffect::Latency(
                Latency::LogNormal {
                    median: ms(20),
                    sigma: 0.5,
                },
            ))),
        )],
    );
    let out = probe::run(
        2,
        secs(30),
        constant_network(ms(5)),
        ms(5),
        |me| to(&[1 - me.0]),
        faults.faults(),
        vec![],
    );
    let mut lat: Vec<f64> = probe::arrivals(&out)
        .iter()
        .map(|x| x.latency().as_millis_f64())
        .collect();
    lat.sort_by(f64::total_cmp);
    assert!(lat.len() > 10_000);
    let median = lat[lat.len() / 2];
    // The 97.7th percentile of a log-normal is median · e^(2 sigma) ≈ 54.4 ms here.
    let p977 = lat[lat.len() * 977 / 1000];
    assert!((19.5..20.5).contains(&median), "median {median}");
    assert!((51.0..58.0).contains(&p977), "p97.7 {p977}");
}
