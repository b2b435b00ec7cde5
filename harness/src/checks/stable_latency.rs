//! Stable latency — from a write's acknowledgement until every live node holds it, or a version
//! that supersedes it — and, for a rate ramp, the rate at which it takes off (saturation).

use super::index::{HistoryIndex, covers};
use hearsay_protocols::{ConflictRule, NodeId, SimTime, Version};
use hearsay_reports::{LatencyPercentiles, RampStepResult};
use hearsay_workloads::RampStep;

/// For every write (aligned with `history.writes`): seconds until it was stable, or `None` if
/// it failed or never became stable.
pub fn stable_latencies(index: &HistoryIndex<'_>, rule: ConflictRule) -> Vec<Option<f64>> {
    let history = index.history;
    // The successful writes of each key, least preferred version first under the rule.
    let mut writes: Vec<(u64, Version, usize)> = history
        .writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.version.map(|v| (w.key, v, i)))
        .collect();
    writes.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| match (a.1, b.1) {
            (x, y) if x == y => a.2.cmp(&b.2),
            (x, y) if rule.prefers(y, x) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        })
    });
    let mut covered = vec![0usize; history.writes.len()];
    let mut latest: Vec<SimTime> = history.writes.iter().map(|w| w.at).collect();
    // Learned records of live nodes, grouped by node by one counting pass (which keeps their
    // history order, which is time order), then by key within each node.
    let nodes = history.alive_at_end.len();
    let live = |i: usize| history.alive_at_end.get(i).copied().unwrap_or(false);
    let mut start = vec![0usize; nodes + 1];
    for l in &history.learned {
        if live(l.node.index()) {
            start[l.node.index() + 1] += 1;
        }
    }
    for i in 0..nodes {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut by_node = vec![(0u64, SimTime::ZERO, Version::default(), 0u32); start[nodes]];
    for l in &history.learned {
        if live(l.node.index()) {
            let at = &mut fill[l.node.index()];
            let position = (*at - start[l.node.index()]) as u32;
            by_node[*at] = (l.key, l.at, l.version, position);
            *at += 1;
        }
    }
    for node in 0..nodes {
        let records = &mut by_node[start[node]..start[node + 1]];
        // By key, then by position in time order (unique, so an unstable sort is exact).
        records.sort_unstable_by_key(|r| (r.0, r.3));
        // A node that lost its state holds only what it learned after the last wipe.
        let last_wipe = index
            .wipes
            .get(&NodeId(node as u32))
            .and_then(|w| w.last())
            .copied();
        let mut g = 0;
        while g < records.len() {
            let key = records[g].0;
            let run_end = g + records[g..].partition_point(|r| r.0 == key);
            let mut run = &records[g..run_end];
            if let Some(t) = last_wipe {
                run = &run[run.partition_point(|r| r.1 < t)..];
            }
            // A node's versions of a key only move forward under the rule, so as the wanted
            // version rises, the record that first covers it moves forward too: one pass over
            // the node's records of the key serves all the key's writes.
            let from = writes.partition_point(|w| w.0 < key);
            let to = from + writes[from..].partition_point(|w| w.0 == key);
            let mut p = 0;
            for &(_, version, i) in &writes[from..to] {
                while p < run.len() && !covers_at(run[p].2, version, rule) {
                    p += 1;
                }
                let Some(r) = run.get(p) else { break };
                covered[i] += 1;
                latest[i] = latest[i].max(r.1);
            }
            g = run_end;
        }
    }
    let live_count = index.live.len();
    history
        .writes
        .iter()
        .enumerate()
        .map(|(i, w)| {
            w.version?;
            (covered[i] == live_count && live_count > 0)
                .then(|| latest[i].saturating_since(w.at).as_secs_f64())
        })
        .collect()
}

fn covers_at(held: Version, wanted: Version, rule: ConflictRule) -> bool {
    covers(rule, held, wanted)
}

/// Percentiles over the writes that became stable.
pub fn stable_percentiles(
    latencies: &[Option<f64>],
    writes_ok: usize,
) -> Option<LatencyPercentiles> {
    let samples: Vec<f64> = latencies.iter().flatten().copied().collect();
    LatencyPercentiles::of(&samples, (writes_ok - samples.len()) as u64)
}

/// Each ramp step's stable-latency p95 and unstable writes, and the saturation rate.
pub fn ramp_results(
    index: &HistoryIndex<'_>,
    latencies: &[Option<f64>],
    steps: &[RampStep],
) -> (Vec<RampStepResult>, Option<f64>) {
    let writes = &index.history.writes;
    let results: Vec<RampStepResult> = steps
        .iter()
        .map(|s| {
            let in_step = |at: SimTime| at >= s.start && at < s.end;
            let mut samples = Vec::new();
            let (mut count, mut never) = (0u64, 0u64);
            for (w, l) in writes.iter().zip(latencies) {
                if w.version.is_none() || !in_step(w.at) {
                    continue;
                }
                count += 1;
                match l {
                    Some(x) => samples.push(*x),
                    None => never += 1,
                }
            }
            let p95 = LatencyPercentiles::of(&samples, never).map(|p| p.p95);
            RampStepResult {
                rate: s.rate.per_sec(),
                writes: count,
                p95_stable: p95,
                never_stable: never,
            }
        })
        .collect();
    let baseline = results.first().and_then(|r| r.p95_stable);
    let knee = results.iter().find(|r| {
        let unstable = r.writes > 0 && r.never_stable as f64 > 0.05 * r.writes as f64;
        let slow = matches!((baseline, r.p95_stable), (Some(b), Some(p)) if p > 2.0 * b);
        unstable || slow
    });
    (results.clone(), knee.map(|r| r.rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{History, WriteRecord};
    use hearsay_protocols::{NodeId, SimDuration};
    use hearsay_workloads::Rate;

    fn at_ms(ms: u64) -> SimTime {
        SimTime::from_duration(SimDuration::from_millis(ms))
    }

    /// Three steps of one write each second; stable latency 0.1 s, then 0.15 s, then 0.5 s: the
    /// third step more than doubles the first, so it is where the channel saturated.
    #[test]
    fn the_knee_is_the_first_step_whose_latency_doubles_or_whose_writes_never_settle() {
        let version = Version {
            stamp: 1,
            writer: NodeId(0),
        };
        let mut history = History::default();
        let mut latencies = Vec::new();
        for (i, l) in [(0, 0.1), (1, 0.1), (2, 0.15), (3, 0.15), (4, 0.5), (5, 0.6)] {
            history.writes.push(WriteRecord {
                at: at_ms(i * 1000),
                node: NodeId(0),
                key: 1,
                value: i,
                version: Some(version),
            });
            latencies.push(Some(l));
        }
        let steps: Vec<RampStep> = (0..3)
            .map(|i| RampStep {
                start: at_ms(i * 2000),
                end: at_ms(i * 2000 + 2000),
                rate: Rate(10.0 * (i + 1) as f64),
            })
            .collect();
        let index = HistoryIndex::new(&history);
        let (results, knee) = ramp_results(&index, &latencies, &steps);
        assert_eq!(
            results.iter().map(|r| r.writes).collect::<Vec<_>>(),
            vec![2, 2, 2]
        );
        assert_eq!(knee, Some(30.0));
        // Writes that never settle count as saturation too.
        latencies[3] = None;
        let (_, knee) = ramp_results(&index, &latencies, &steps);
        assert_eq!(knee, Some(20.0));
    }
}
