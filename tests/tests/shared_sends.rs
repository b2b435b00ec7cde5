//! A message sent alike to several peers (`Context::send_each`) lies in flight once, in one
//! slot that every delivery of it reads, and is freed after the last. Whatever happens to its
//! deliveries on the way (a crashed or paused addressee, lossy or duplicating links, which
//! send a copy per peer instead), the run must be exactly the run of one send per peer.

mod common;

use common::probe::{ProbeRun, arrivals};
use common::*;
use hearsay_faults::{FaultAction, LinkEffect, LinkFault};
use hearsay_harness::scenario::NetworkSpec;
use hearsay_protocols::NodeId;

const NODES: u32 = 12;

/// Node `i` pings the three nodes after it.
fn three_after(id: NodeId) -> Vec<NodeId> {
    (1..=3).map(|k| NodeId((id.0 + k) % NODES)).collect()
}

fn nodes(ids: &[u32]) -> Vec<NodeId> {
    ids.iter().copied().map(NodeId).collect()
}

#[test]
fn sending_one_message_to_many_is_exactly_sending_it_to_each() {
    let lossy = LinkFault::everywhere(LinkEffect::Loss(0.3));
    let doubling = LinkFault::everywhere(LinkEffect::Duplicate(0.5));
    let cases = [
        ("quiet", vec![]),
        (
            "a crash and a restart",
            vec![
                (
                    ms(330),
                    FaultAction::Crash {
                        nodes: nodes(&[4, 5]),
                        lose_state: true,
                    },
                ),
                (
                    ms(710),
                    FaultAction::Restart {
                        nodes: nodes(&[4, 5]),
                    },
                ),
            ],
        ),
        (
            "a pause",
            vec![
                (ms(250), FaultAction::Pause { nodes: nodes(&[7]) }),
                (ms(620), FaultAction::Resume { nodes: nodes(&[7]) }),
            ],
        ),
        (
            "lossy, then duplicating links",
            vec![
                (ms(200), FaultAction::Network(lossy.clone())),
                (ms(500), FaultAction::NetworkEnd(lossy)),
                (ms(600), FaultAction::Network(doubling.clone())),
                (ms(900), FaultAction::NetworkEnd(doubling)),
            ],
        ),
    ];
    for (name, faults) in cases {
        let schedule = schedule(NODES, faults);
        let run = |shared| {
            ProbeRun {
                nodes: NODES,
                duration: ms(1_200),
                network: NetworkSpec::default(),
                period: ms(40),
                targets: three_after,
                faults: schedule.faults(),
                ops: vec![],
                shared,
                record_trace: false, // a traced send takes the general path
            }
            .run()
        };
        let (each, shared) = (run(false), run(true));
        assert_eq!(shared.fingerprint, each.fingerprint, "{name}");
        assert_eq!(shared.history.traffic, each.history.traffic, "{name}");
        assert_eq!(shared.history.counters, each.history.counters, "{name}");
        assert_eq!(arrivals(&shared), arrivals(&each), "{name}");
        // The faults did reach the messages: otherwise the cases would test nothing new.
        let traffic = each.history.traffic;
        assert!(traffic.delivered > 500, "{name}: {traffic:?}");
        match name {
            "a crash and a restart" => assert!(traffic.to_crashed > 0, "{traffic:?}"),
            "a pause" => assert!(each.history.counters["paused-queued"] > 0),
            "lossy, then duplicating links" => {
                assert!(traffic.lost > 0, "{traffic:?}");
                assert!(each.history.counters["duplicated"] > 0);
            }
            _ => {}
        }
    }
}
