//! Fault windows: when each fault was in force, for reports to shade and for the run result.

use crate::{FaultAction, FaultSchedule, NodeSet};
use hearsay_protocols::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A window during which a fault was in force, for reports and the convergence check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    /// What the fault was, e.g. `partition halves` or `crash 3 nodes (state lost)`.
    pub kind: String,
    /// When it started.
    pub start: SimTime,
    /// When it ended, or `None` if it lasted to the end of the run.
    pub end: Option<SimTime>,
}

/// Windows open per node, closed by the node's ending action; a window over several nodes
/// ends when the last of them is released.
#[derive(Default)]
struct PerNode(BTreeMap<u32, usize>);

impl PerNode {
    fn open(&mut self, nodes: impl IntoIterator<Item = u32>, window: usize) {
        for n in nodes {
            self.0.insert(n, window);
        }
    }

    fn close(
        &mut self,
        nodes: impl IntoIterator<Item = u32>,
        at: SimTime,
        out: &mut [FaultWindow],
    ) {
        for n in nodes {
            if let Some(i) = self.0.remove(&n) {
                let end = out[i].end.get_or_insert(at);
                *end = (*end).max(at);
            }
        }
    }
}

impl FaultSchedule {
    /// The windows during which each fault was in force, in order of their start. Nodes that
    /// join later are shown as `absent` from the start until they join.
    pub fn windows(&self) -> Vec<FaultWindow> {
        let mut out: Vec<FaultWindow> = Vec::new();
        let mut open_partition: Option<usize> = None;
        let mut network: Vec<(crate::LinkFault, usize)> = Vec::new();
        let mut crashed = PerNode::default();
        let mut paused = PerNode::default();
        let mut skewed = PerNode::default();
        let mut absent = PerNode::default();
        let mut capped: Vec<(NodeSet, usize)> = Vec::new();
        let nodes_of =
            |l: &Vec<hearsay_protocols::NodeId>| l.iter().map(|n| n.0).collect::<Vec<_>>();
        let push = |out: &mut Vec<FaultWindow>, kind: String, start: SimTime| {
            out.push(FaultWindow {
                kind,
                start,
                end: None,
            });
            out.len() - 1
        };
        let nodes_hint = self
            .faults()
            .iter()
            .flat_map(|f| f.action.lifecycle_nodes())
            .map(|n| n.0 + 1)
            .max()
            .unwrap_or(0);
        for n in crate::initially_absent(self.faults(), nodes_hint) {
            let w = push(&mut out, format!("absent {n}"), SimTime::ZERO);
            absent.open([n.0], w);
        }
        for f in self.faults() {
            let at = f.at;
            let kind = f.action.describe();
            match &f.action {
                FaultAction::Partition(_) => {
                    if let Some(i) = open_partition.take() {
                        out[i].end = Some(at);
                    }
                    open_partition = Some(push(&mut out, kind, at));
                }
                FaultAction::Heal => {
                    if let Some(i) = open_partition.take() {
                        out[i].end = Some(at);
                    }
                }
                FaultAction::HealNodes { .. } => {}
                FaultAction::HealNetwork | FaultAction::HealAll => {
                    for (_, i) in network.drain(..) {
                        out[i].end = Some(at);
                    }
                    if matches!(f.action, FaultAction::HealAll)
                        && let Some(i) = open_partition.take()
                    {
                        out[i].end = Some(at);
                    }
                }
                FaultAction::Crash { nodes, .. } => {
                    paused.close(nodes_of(nodes), at, &mut out);
                    let w = push(&mut out, kind, at);
                    crashed.open(nodes_of(nodes), w);
                }
                FaultAction::Restart { nodes } => crashed.close(nodes_of(nodes), at, &mut out),
                FaultAction::Pause { nodes } => {
                    let w = push(&mut out, kind, at);
                    paused.open(nodes_of(nodes), w);
                }
                FaultAction::Resume { nodes } => paused.close(nodes_of(nodes), at, &mut out),
                FaultAction::Join { nodes } => absent.close(nodes_of(nodes), at, &mut out),
                FaultAction::Leave { nodes } => {
                    crashed.close(nodes_of(nodes), at, &mut out);
                    paused.close(nodes_of(nodes), at, &mut out);
                    push(&mut out, kind, at);
                }
                FaultAction::Network(lf) => {
                    let w = push(&mut out, kind, at);
                    network.push((lf.clone(), w));
                }
                FaultAction::NetworkEnd(lf) => {
                    if let Some(k) = network.iter().position(|(g, _)| g == lf) {
                        let (_, i) = network.remove(k);
                        out[i].end = Some(at);
                    }
                }
                FaultAction::Skew { nodes, .. } => {
                    let w = push(&mut out, kind, at);
                    skewed.open(nodes_of(nodes), w);
                }
                FaultAction::SkewEnd { nodes } => skewed.close(nodes_of(nodes), at, &mut out),
                FaultAction::Capacity { nodes, .. } => {
                    let w = push(&mut out, kind, at);
                    capped.push((nodes.clone(), w));
                }
                FaultAction::CapacityEnd { nodes } => {
                    if let Some(k) = capped.iter().position(|(s, _)| s == nodes) {
                        let (_, i) = capped.remove(k);
                        out[i].end = Some(at);
                    }
                }
            }
        }
        out
    }
}
