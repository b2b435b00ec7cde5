//! Stable latency — from a write's acknowledgement until every live node holds it, or a version
//! that supersedes it — and, for a rate ramp, the rate at which it takes off (saturation).

use super::index::{HistoryIndex, covers};
use super::learned_groups::Holding;
use hearsay_protocols::{ConflictRule, SimTime, Version};
use hearsay_reports::{LatencyPercentiles, RampStepResult};
use hearsay_workloads::RampStep;

/// For every write (aligned with `history.writes`): seconds until it was stable, or `None` if
/// it failed or never became stable.
///
/// A write is stable at the latest, over live nodes, of the first time each node held a version
/// covering it (since the node's last wipe). Each version covers a prefix of its key's writes
/// ranked by the rule, so one pass over each key's learned versions, most-covering first, finds
/// those times for all the key's writes at once.
pub fn stable_latencies(index: &HistoryIndex<'_>, rule: ConflictRule) -> Vec<Option<f64>> {
    let history = index.history;
    let groups = &index.learned_by_version;
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
    // Each written key's run in `writes`, in key order.
    let mut keys: Vec<(u64, usize, usize)> = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        match keys.last_mut() {
            Some((k, _, to)) if *k == w.0 => *to = i + 1,
            _ => keys.push((w.0, i, i + 1)),
        }
    }
    // The learned versions of each written key that cover any of its writes, with how many.
    let mut versions_of: Vec<Vec<(usize, usize)>> = vec![Vec::new(); keys.len()];
    for g in 0..groups.len() {
        let (key, version) = groups.version(g);
        if let Ok(k) = keys.binary_search_by_key(&key, |&(k, _, _)| k) {
            let (_, from, to) = keys[k];
            let covered = writes[from..to].partition_point(|w| covers(rule, version, w.1));
            if covered > 0 {
                versions_of[k].push((g, covered));
            }
        }
    }
    let nodes = history.alive_at_end.len();
    let mut last_wipe = vec![SimTime::ZERO; nodes];
    for (node, wipes) in &index.wipes {
        if let (Some(slot), Some(&t)) = (last_wipe.get_mut(node.index()), wipes.last()) {
            *slot = t;
        }
    }
    let mut covered = vec![0usize; history.writes.len()];
    let mut latest: Vec<SimTime> = history.writes.iter().map(|w| w.at).collect();
    // A node first covers the key's j-th write at the earliest record (since its last wipe) of
    // any version covering more than j writes. Taking the versions most-covering first, each
    // node's earliest such time only falls, and after the versions covering more than j are in,
    // the j-th write's holders and latest time are read off the nodes seen so far.
    let mut earliest = vec![NEVER; nodes];
    let mut seen: Vec<usize> = Vec::new();
    for (k, &(_, from, _)) in keys.iter().enumerate() {
        let levels = &mut versions_of[k];
        levels.sort_unstable_by_key(|l| std::cmp::Reverse(l.1));
        let mut v = 0;
        while v < levels.len() {
            let level = levels[v].1;
            while v < levels.len() && levels[v].1 == level {
                for &Holding { at, node } in groups.holdings(levels[v].0) {
                    let n = node.index();
                    let live = history.alive_at_end.get(n).copied().unwrap_or(false);
                    if live && at >= last_wipe[n] {
                        if earliest[n] == NEVER {
                            seen.push(n);
                        }
                        earliest[n] = earliest[n].min(at);
                    }
                }
                v += 1;
            }
            let below = levels.get(v).map_or(0, |l| l.1);
            let last = seen.iter().map(|&n| earliest[n]).max();
            for &(_, _, i) in &writes[from + below..from + level] {
                covered[i] = seen.len();
                if let Some(t) = last {
                    latest[i] = latest[i].max(t);
                }
            }
        }
        for n in seen.drain(..) {
            earliest[n] = NEVER;
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

/// Not yet seen: later than any time.
const NEVER: SimTime = SimTime(u64::MAX);

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
