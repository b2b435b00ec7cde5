//! The measures of the epidemic literature, computed from a history.
//!
//! For each successful client write (an *update*): which live nodes hold it at the end
//! (residue), when each node first learned it (t_avg, t_last, coverage over time). Then traffic
//! (messages and bytes per node), redundancy, and the convergence time after the last heal.

use super::index::HistoryIndex;
use crate::history::History;
use hearsay_faults::FaultSchedule;
use hearsay_protocols::{NodeId, SimTime, Version};
use hearsay_reports::{CoveragePoint, RunMetrics};

/// How one update spread through the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateSpread {
    /// When the client wrote it.
    pub written_at: SimTime,
    /// The node that took the write.
    pub origin: NodeId,
    /// The version it was given.
    pub version: Version,
    /// For every node other than the origin that learned it: seconds from the write until it
    /// first held this version. Sorted ascending.
    pub delays: Vec<f64>,
    /// Live nodes at the end that hold this version or a later one.
    pub holders_at_end: u32,
    /// Live nodes at the end.
    pub live_at_end: u32,
}

impl UpdateSpread {
    /// Fraction of live nodes that do not hold the update at the end.
    pub fn residue(&self) -> f64 {
        if self.live_at_end == 0 {
            return 0.0;
        }
        1.0 - f64::from(self.holders_at_end) / f64::from(self.live_at_end)
    }
}

/// The spread of every successful write of the run, in write order.
pub fn update_spreads(index: &HistoryIndex<'_>) -> Vec<UpdateSpread> {
    let history = index.history;
    let live_at_end = history.live_count();
    // Each update's learned records come from the index, in history (time) order, so a node's
    // first record is the first one seen. Scanning every record for every write cost
    // writes × records: most of the run's time for a write stream at 10^4 nodes.
    // The number (from 1) of the last update each node was seen to learn: a node's first
    // record of an update is one that finds a smaller number. Marking with a flag took a
    // second pass over every update's records to clear the flags.
    let mut seen = vec![0u32; history.nodes as usize];
    history
        .writes
        .iter()
        .zip(&history.holders_at_end)
        .filter_map(|(w, holders)| w.version.map(|v| (w, v, *holders)))
        .zip(1u32..)
        .map(|((w, version, holders_at_end), mark)| {
            let records = index.learned_by_version.of(w.key, version);
            let mut delays = Vec::with_capacity(records.len());
            for l in records {
                let Some(last) = seen.get_mut(l.node.index()) else {
                    continue;
                };
                if *last != mark {
                    *last = mark;
                    if l.node != w.node {
                        delays.push(l.at.saturating_since(w.at).as_secs_f64());
                    }
                }
            }
            // Already ascending when the history is in time order (the emulator's is); a
            // history assembled from other backends may not be.
            if !delays.is_sorted_by(|a, b| a <= b) {
                delays.sort_by(f64::total_cmp);
            }
            UpdateSpread {
                written_at: w.at,
                origin: w.node,
                version,
                delays,
                holders_at_end,
                live_at_end,
            }
        })
        .collect()
}

/// The time from which convergence is measured: the later of the last heal and the last write.
pub fn convergence_reference(history: &History, faults: &FaultSchedule) -> SimTime {
    let last_write = history
        .writes
        .iter()
        .map(|w| w.at)
        .max()
        .unwrap_or(SimTime::ZERO);
    faults.last_heal().unwrap_or(SimTime::ZERO).max(last_write)
}

/// The run's measures, and the coverage curve of its first update (at most `points` points).
pub fn compute_metrics(
    history: &History,
    spreads: &[UpdateSpread],
    faults: &FaultSchedule,
    points: usize,
) -> (RunMetrics, Vec<CoveragePoint>) {
    let n = f64::from(history.nodes.max(1));
    let mean = |xs: &mut dyn Iterator<Item = f64>| {
        let (sum, count) = xs.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
        (count > 0).then(|| sum / count as f64)
    };
    let residue = mean(&mut spreads.iter().map(UpdateSpread::residue)).unwrap_or(0.0);
    let t_avg = mean(
        &mut spreads
            .iter()
            .filter_map(|s| mean(&mut s.delays.iter().copied())),
    );
    let t_last = mean(&mut spreads.iter().filter_map(|s| s.delays.last().copied()));
    let reference = convergence_reference(history, faults);
    let convergence = history
        .converged_since
        .map(|t| t.saturating_since(reference).as_secs_f64());
    let deliveries = history.redundant + history.learned.len() as u64;
    let redundancy = if deliveries == 0 {
        0.0
    } else {
        history.redundant as f64 / deliveries as f64
    };
    let metrics = RunMetrics {
        residue,
        msgs_per_node: history.traffic.sent as f64 / n,
        bytes_per_node: history.traffic.sent_bytes as f64 / n,
        t_avg,
        t_last,
        convergence,
        redundancy,
        ..RunMetrics::default()
    };
    let coverage = spreads
        .first()
        .map(|s| coverage_curve(s, history.end, points))
        .unwrap_or_default();
    (metrics, coverage)
}

/// Fraction of live nodes holding the update over time, from its write to the end of the run
/// (or shortly after the last node learned it), on an even grid of at most `points` points.
fn coverage_curve(spread: &UpdateSpread, end: SimTime, points: usize) -> Vec<CoveragePoint> {
    let live = f64::from(spread.live_at_end.max(1));
    let run_left = end.saturating_since(spread.written_at).as_secs_f64();
    let last = spread.delays.last().copied().unwrap_or(0.0);
    // Show a little of the plateau after the last node learned it, but not a long flat tail.
    let horizon = (last * 1.25).max(last + 0.1).min(run_left).max(0.0);
    let steps = points.max(2) - 1;
    (0..=steps)
        .map(|i| {
            let t = horizon * i as f64 / steps as f64;
            let knew = spread.delays.partition_point(|d| *d <= t) + 1; // + the origin
            CoveragePoint {
                t,
                fraction: (knew as f64 / live).min(1.0),
            }
        })
        .collect()
}
