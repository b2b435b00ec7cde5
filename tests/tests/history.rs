//! The history of a run round-trips through JSON lines, and the checkers give the same
//! verdicts on the history read back.

use hearsay_faults::FaultAction;
use hearsay_harness::emulator::RunOutput;
use hearsay_harness::history::History;
use hearsay_harness::runner::judge;
use hearsay_harness::scenario::Protocol;
use hearsay_harness::{RunOptions, Scenario, run_one};
use hearsay_protocols::anti_entropy::AntiEntropyConfig;
use hearsay_protocols::{NodeId, SimDuration, SimTime};
use hearsay_reports::Verdict;
use hearsay_workloads::{RandomReads, Rate, Workload, WriteStream};

fn secs(s: u64) -> SimTime {
    SimTime::from_duration(SimDuration::from_secs(s))
}

#[test]
fn a_history_round_trips_through_json_lines_and_rechecks_the_same() {
    let mut scenario = Scenario::builder("history", 60)
        .duration(SimDuration::from_secs(12))
        .preload(20)
        .loss(0.01)
        .strategy(
            "ae",
            Protocol::AntiEntropy(AntiEntropyConfig {
                period: SimDuration::from_millis(400),
                ..Default::default()
            }),
        )
        .workload(Workload::Combined(vec![
            Workload::Writes(WriteStream {
                rate: Rate(20.0),
                keys: 8,
                first_key: 0,
                from: secs(1),
                until: secs(5),
            }),
            Workload::Reads(RandomReads {
                rate: Rate(30.0),
                keys: 8,
                first_key: 0,
                from: secs(1),
                until: secs(8),
            }),
        ]))
        .fault(
            secs(2),
            FaultAction::Crash {
                nodes: vec![NodeId(4), NodeId(5)],
                lose_state: true,
            },
        )
        .fault(
            secs(4),
            FaultAction::Restart {
                nodes: vec![NodeId(4), NodeId(5)],
            },
        )
        .check_convergence(SimDuration::from_secs(6), None)
        .build()
        .unwrap();
    // The wiped nodes learn the preloaded keys again: phantoms unless the history read back
    // still knows the preload.
    scenario.checks.no_phantoms = Some(Default::default());
    let (result, output) = run_one(&scenario, &scenario.strategies[0], 9, RunOptions::default());
    let h = &output.history;
    assert!(
        h.writes.len() > 40 && h.reads.len() > 100,
        "{} writes, {} reads",
        h.writes.len(),
        h.reads.len()
    );
    assert!(
        h.writes.iter().any(|w| w.version.is_none()),
        "a write to a crashed node should have failed"
    );
    assert!(
        h.reads.iter().any(|r| !r.ok),
        "a read at a crashed node should have failed"
    );
    assert_eq!(h.node_events.len(), 4);
    assert_eq!(h.preloaded.len(), 20);
    assert!(!h.checkpoints.is_empty() && !h.final_states.is_empty());

    let mut buf = Vec::new();
    h.write_jsonl(&mut buf).unwrap();
    let text = String::from_utf8(buf.clone()).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("{\"type\":\"meta\"")
    );
    assert!(
        text.contains("\"type\":\"invoke\"")
            && text.contains("\"type\":\"fail\"")
            && text.contains("\"type\":\"learned\"")
            && text.contains("\"type\":\"preloaded\"")
    );
    let back = History::read_jsonl(&buf[..]).unwrap();
    assert_eq!(&back, h);

    let rejudged = judge(
        &scenario,
        &scenario.strategies[0],
        9,
        &RunOutput {
            history: back,
            fingerprint: output.fingerprint,
            events: output.events,
            trace: None,
        },
    );
    assert_eq!(rejudged, result);
    assert!(result.checks.iter().all(|c| c.verdict == Verdict::Pass));
}

#[test]
fn a_malformed_history_line_is_an_error_naming_the_line() {
    let text = "{\"type\":\"meta\",\"nodes\":1,\"end\":0,\"redundant\":0,\"traffic\":{\"sent\":0,\"sent_bytes\":0,\"delivered\":0,\"lost\":0,\"partitioned\":0,\"to_crashed\":0},\"converged_since\":null,\"counters\":{},\"final_states_truncated\":false}\n{\"type\":\"ok\",\"at\":1,\"node\":0,\"read\":{\"value\":null}}\n";
    let err = History::read_jsonl(text.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("no invoke"), "{err}");
}
