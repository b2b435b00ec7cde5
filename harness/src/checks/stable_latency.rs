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
    // Learned records grouped by (key, node), each group in time order: a node's versions of a
    // key only move forward, so the first record covering a write is found by bisection. The
    // sort keys are copied out so that sorting a million records reads them in order rather
    // than chasing an index per comparison.
    let mut order: Vec<(u64, u32, SimTime, u32)> = history
        .learned
        .iter()
        .enumerate()
        .map(|(i, l)| (l.key, l.node.0, l.at, i as u32))
        .collect();
    order.sort_unstable();
    let live_count = index.live.len();
    history
        .writes
        .iter()
        .map(|w| {
            let version = w.version?;
            let start = order.partition_point(|r| r.0 < w.key);
            let end = order.partition_point(|r| r.0 <= w.key);
            let group = &order[start..end];
            let mut covered = 0usize;
            let mut latest = w.at;
            let mut g = 0;
            while g < group.len() {
                let node = NodeId(group[g].1);
                let run_end = g + group[g..].partition_point(|r| r.1 == node.0);
                if history
                    .alive_at_end
                    .get(node.index())
                    .copied()
                    .unwrap_or(false)
                {
                    // A node that lost its state holds only what it learned after the last wipe.
                    let last_wipe = index.wipes.get(&node).and_then(|w| w.last()).copied();
                    let run = &group[g..run_end];
                    let run = match last_wipe {
                        Some(t) => &run[run.partition_point(|r| r.2 < t)..],
                        None => run,
                    };
                    let first = run.partition_point(|r| {
                        !covers_at(history.learned[r.3 as usize].version, version, rule)
                    });
                    if let Some(r) = run.get(first) {
                        covered += 1;
                        latest = latest.max(r.2);
                    }
                }
                g = run_end;
            }
            (covered == live_count && live_count > 0)
                .then(|| latest.saturating_since(w.at).as_secs_f64())
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
