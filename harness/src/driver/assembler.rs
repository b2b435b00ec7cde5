//! Builds a run's [`History`] from what the node drivers recorded, in the emulator's shape:
//! client operations in issue order, learned records in time order, node events, checkpoints
//! sampled every `sample_every` from each node's fingerprint timeline, and the final states.

use crate::history::{
    Checkpoint, FINAL_STATES_KEPT, FinalState, History, LearnedRecord, NodeEvent, NodeEventKind,
    ReadRecord, WriteRecord,
};
use crate::learned_log::LearnedLog;
use hearsay_protocols::{Key, NodeId, SimDuration, SimTime, Versioned};
use hearsay_reports::TrafficCounts;
use hearsay_workloads::{ClientOp, Op};
use std::collections::BTreeMap;

/// A client operation as issued, and how it completed.
#[derive(Clone, Copy, Debug)]
enum OpSlot {
    NotIssued,
    Issued(ClientOp, SimTime),
    Write(WriteRecord),
    Read(ReadRecord),
}

/// A node's state when the run ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FinalNode {
    /// Whether it was up.
    pub alive: bool,
    /// Its state fingerprint (for a node that was down: its last known one).
    pub fingerprint: u64,
    /// Its replica, in key order (empty for a node that was down).
    pub entries: Vec<(Key, Versioned)>,
}

/// Collects what every node of one run recorded.
#[derive(Clone, Debug)]
pub struct HistoryAssembler {
    nodes: u32,
    ops: Vec<OpSlot>,
    learned: LearnedLog,
    node_events: Vec<NodeEvent>,
    /// Per node, `(time, fingerprint)` in the order reported.
    states: Vec<Vec<(SimTime, u64)>>,
    /// Deliveries of already-held entries.
    pub redundant: u64,
    /// Named counts.
    pub counters: BTreeMap<String, u64>,
    /// Traffic.
    pub traffic: TrafficCounts,
    /// Calls into nodes and other driver events, for the run's event count.
    pub events: u64,
}

impl HistoryAssembler {
    /// An empty record for a cluster of `nodes` and a workload of `ops` operations.
    pub fn new(nodes: u32, ops: usize) -> Self {
        HistoryAssembler {
            nodes,
            ops: vec![OpSlot::NotIssued; ops],
            learned: LearnedLog::new(),
            node_events: Vec::new(),
            states: vec![Vec::new(); nodes as usize],
            redundant: 0,
            counters: BTreeMap::new(),
            traffic: TrafficCounts::default(),
            events: 0,
        }
    }

    /// Operation `index` was issued at `at` (it fails unless its node completes it).
    pub fn issue(&mut self, index: usize, op: ClientOp, at: SimTime) {
        self.ops[index] = OpSlot::Issued(op, at);
    }

    /// A write completed.
    pub fn write(&mut self, index: usize, record: WriteRecord) {
        if let Some(slot) = self.ops.get_mut(index) {
            *slot = OpSlot::Write(record);
        }
    }

    /// A read completed.
    pub fn read(&mut self, index: usize, record: ReadRecord) {
        if let Some(slot) = self.ops.get_mut(index) {
            *slot = OpSlot::Read(record);
        }
    }

    /// A node learned a version.
    pub fn learned(&mut self, record: LearnedRecord) {
        self.learned.push(record);
    }

    /// A node's fingerprint at a time.
    pub fn state(&mut self, at: SimTime, node: NodeId, fingerprint: u64) {
        if let Some(s) = self.states.get_mut(node.index()) {
            s.push((at, fingerprint));
        }
    }

    /// A crash or a restart.
    pub fn node_event(&mut self, at: SimTime, node: NodeId, kind: NodeEventKind) {
        self.node_events.push(NodeEvent { at, node, kind });
    }

    /// Adds to a named count.
    pub fn count(&mut self, what: &str, n: u64) {
        *self.counters.entry(what.to_string()).or_default() += n;
    }

    /// The history, given how the run ended: its end time, the convergence sampling period and
    /// every node's final state (indexed by node id).
    pub fn finish(
        mut self,
        end: SimTime,
        sample_every: SimDuration,
        finals: &[FinalNode],
    ) -> History {
        self.learned.sort_by_key(|l| (l.at, l.node));
        self.node_events.sort_by_key(|e| e.at);
        for s in &mut self.states {
            s.sort_by_key(|(at, _)| *at);
        }
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        for slot in &self.ops {
            match *slot {
                OpSlot::NotIssued => {}
                OpSlot::Issued(op, at) => match op.op {
                    Op::Write { key, value } => writes.push(WriteRecord {
                        at,
                        node: op.node,
                        key,
                        value,
                        version: None,
                    }),
                    Op::Read { key } => reads.push(ReadRecord {
                        at,
                        node: op.node,
                        key,
                        value: None,
                        ok: false,
                    }),
                },
                OpSlot::Write(w) => writes.push(w),
                OpSlot::Read(r) => reads.push(r),
            }
        }
        let (checkpoints, converged_since) = self.checkpoints(end, sample_every);
        let alive_at_end: Vec<bool> = finals.iter().map(|f| f.alive).collect();
        let holders_at_end = writes
            .iter()
            .map(|w| {
                let Some(version) = w.version else { return 0 };
                finals
                    .iter()
                    .filter(|f| f.alive)
                    .filter(|f| {
                        f.entries
                            .binary_search_by_key(&w.key, |(k, _)| *k)
                            .is_ok_and(|i| f.entries[i].1.version >= version)
                    })
                    .count() as u32
            })
            .collect();
        let (final_states, final_states_truncated) = final_states(finals);
        let mut traffic = self.traffic;
        // Whatever was sent and neither delivered, dropped by a partition nor sent to a
        // stopped node was lost (or still in flight when the run ended).
        traffic.lost = traffic.lost.max(
            traffic
                .sent
                .saturating_sub(traffic.delivered + traffic.partitioned + traffic.to_crashed),
        );
        // `..History::default()`: fields added to the history later start empty here.
        #[allow(clippy::needless_update)]
        let history = History {
            nodes: self.nodes,
            end,
            writes,
            reads,
            learned: self.learned,
            node_events: self.node_events,
            checkpoints,
            redundant: self.redundant,
            counters: self.counters,
            traffic,
            converged_since,
            alive_at_end,
            fingerprints_at_end: finals.iter().map(|f| f.fingerprint).collect(),
            holders_at_end,
            final_states,
            final_states_truncated,
            ..History::default()
        };
        history
    }

    /// Samples at 0, `every`, 2·`every`, … and at `end`, as the emulator does.
    fn checkpoints(&self, end: SimTime, every: SimDuration) -> (Vec<Checkpoint>, Option<SimTime>) {
        let n = self.nodes as usize;
        let mut times = Vec::new();
        let mut t = SimTime::ZERO;
        while t <= end {
            times.push(t);
            t += every.max(SimDuration(1));
        }
        if times.last() != Some(&end) {
            times.push(end);
        }
        let mut alive = vec![true; n];
        let mut next_event = 0;
        let mut cursor = vec![0usize; n];
        let mut fp = vec![0u64; n];
        let mut out = Vec::with_capacity(times.len());
        let mut converged_since = None;
        for at in times {
            while let Some(e) = self.node_events.get(next_event).filter(|e| e.at <= at) {
                alive[e.node.index()] = matches!(e.kind, NodeEventKind::Restart);
                next_event += 1;
            }
            for i in 0..n {
                let s = &self.states[i];
                while cursor[i] < s.len() && s[cursor[i]].0 <= at {
                    fp[i] = s[cursor[i]].1;
                    cursor[i] += 1;
                }
            }
            let mut live: Vec<u64> = (0..n).filter(|&i| alive[i]).map(|i| fp[i]).collect();
            live.sort_unstable();
            live.dedup();
            let count = alive.iter().filter(|a| **a).count() as u32;
            let distinct = live.len() as u32;
            out.push(Checkpoint {
                at,
                live: count,
                distinct_states: distinct,
            });
            if distinct > 1 {
                converged_since = None;
            } else if converged_since.is_none() {
                converged_since = Some(at);
            }
        }
        (out, converged_since)
    }
}

/// Live nodes per distinct final state, most common first (ties by fingerprint), as the
/// emulator keeps them.
fn final_states(finals: &[FinalNode]) -> (Vec<FinalState>, bool) {
    let mut groups: BTreeMap<u64, (u32, usize)> = BTreeMap::new();
    for (i, f) in finals.iter().enumerate().filter(|(_, f)| f.alive) {
        groups.entry(f.fingerprint).or_insert((0, i)).0 += 1;
    }
    let mut groups: Vec<(u64, u32, usize)> =
        groups.into_iter().map(|(fp, (n, i))| (fp, n, i)).collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let truncated = groups.len() > FINAL_STATES_KEPT;
    let states = groups
        .into_iter()
        .take(FINAL_STATES_KEPT)
        .map(|(fingerprint, nodes, holder)| FinalState {
            fingerprint,
            nodes,
            entries: finals[holder].entries.clone(),
        })
        .collect();
    (states, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::Version;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn checkpoints_follow_fingerprints_and_liveness_and_unanswered_ops_fail() {
        let mut a = HistoryAssembler::new(3, 2);
        for n in 0..3 {
            a.state(t(0), NodeId(n), 0);
        }
        let write = |node, at| ClientOp {
            at,
            node: NodeId(node),
            op: Op::Write { key: 1, value: 9 },
        };
        a.issue(0, write(0, t(10)), t(10));
        let version = Version {
            stamp: 10_000,
            writer: NodeId(0),
        };
        a.write(
            0,
            WriteRecord {
                at: t(10),
                node: NodeId(0),
                key: 1,
                value: 9,
                version: Some(version),
            },
        );
        a.issue(1, write(2, t(20)), t(20)); // never answered: node 2 is down
        a.state(t(10), NodeId(0), 77);
        a.state(t(120), NodeId(1), 77);
        a.node_event(t(15), NodeId(2), NodeEventKind::Crash { lose_state: true });
        let entry = Versioned { value: 9, version };
        let finals = [
            FinalNode {
                alive: true,
                fingerprint: 77,
                entries: vec![(1, entry)],
            },
            FinalNode {
                alive: true,
                fingerprint: 77,
                entries: vec![(1, entry)],
            },
            FinalNode::default(),
        ];
        let h = a.finish(t(200), SimDuration::from_millis(50), &finals);
        let distinct: Vec<u32> = h.checkpoints.iter().map(|c| c.distinct_states).collect();
        assert_eq!(distinct, vec![1, 2, 2, 1, 1]); // 0, 50, 100, 150, 200 ms
        assert_eq!(h.checkpoints[1].live, 2);
        assert_eq!(h.converged_since, Some(t(150)));
        assert_eq!(h.writes.len(), 2);
        assert_eq!(h.writes[1].version, None);
        assert_eq!(h.holders_at_end, vec![2, 0]);
        assert_eq!(h.final_states.len(), 1);
        assert_eq!(h.final_states[0].nodes, 2);
        assert_eq!(h.alive_at_end, vec![true, true, false]);
    }
}
