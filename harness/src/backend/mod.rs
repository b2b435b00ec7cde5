//! Backends other than the emulator that run a scenario's strategies with the async node
//! driver ([`crate::driver`]): turmoil's deterministic simulated UDP, and real processes on
//! loopback UDP sockets.
//!
//! Every backend produces the emulator's [`History`](crate::history::History) shape, so the
//! runner's `judge` turns its runs into the same `RunResult`s and the same tables. What a
//! backend cannot carry out is reported before the run starts as [`BackendError::Unsupported`]
//! (the command line exits 2), never silently skipped.

pub mod turmoil;
pub mod udp_cluster;
pub mod udp_node;

use crate::scenario::{Latency, Protocol, Scenario};
use hearsay_faults::{FaultAction, GroupId, PartitionSpec};
use hearsay_protocols::anti_entropy::AntiEntropyNode;
use hearsay_protocols::direct_mail::DirectMailNode;
use hearsay_protocols::push_then_pull::PushThenPullNode;
use hearsay_protocols::rumor::RumorNode;
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyNode;
use hearsay_protocols::zoo::{BrokenAntiEntropyNode, Bug, FireAndForgetNode};
use hearsay_protocols::{Node, NodeId, UniformPeers};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a backend did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The scenario asks for something this backend cannot express; found before the run.
    #[error("unsupported under {backend}: {what}")]
    Unsupported {
        /// The backend.
        backend: &'static str,
        /// What, and why.
        what: String,
    },
    /// The run itself failed.
    #[error("{0}")]
    Failed(String),
}

impl BackendError {
    pub(crate) fn unsupported(backend: &'static str, what: impl Into<String>) -> Self {
        BackendError::Unsupported {
            backend,
            what: what.into(),
        }
    }
}

/// Something to do with a node type and a factory of nodes: the protocols are generic, and
/// the drivers need the concrete node type of a strategy.
pub trait WithNode {
    /// What it produces.
    type Output;
    /// Does it with nodes made by `factory`.
    fn with<N, F>(self, factory: F) -> Self::Output
    where
        N: Node + 'static,
        N::Message: Serialize + DeserializeOwned + 'static,
        F: Fn(NodeId) -> N + Clone + 'static;
}

/// Calls `v` with the node factory of `protocol` in `scenario` — the same construction as the
/// emulator's runner (uniform peer sampling over the whole membership).
pub fn with_node<V: WithNode>(
    scenario: &Scenario,
    protocol: &Protocol,
    backend: &'static str,
    v: V,
) -> Result<V::Output, BackendError> {
    let peers = UniformPeers::new(scenario.nodes);
    let members = scenario.nodes;
    #[allow(unreachable_patterns)] // protocols added later must be wired here explicitly
    match protocol.with_mtu(scenario.network.mtu) {
        Protocol::Rumor(c) => Ok(v.with(RumorNode::factory(c, peers))),
        Protocol::DirectMail(c) => Ok(v.with(move |_: NodeId| DirectMailNode::new(c, peers))),
        Protocol::PushThenPull(c) => Ok(v.with(PushThenPullNode::factory(c, peers))),
        Protocol::RumorWithAntiEntropy(c) => {
            Ok(v.with(RumorWithAntiEntropyNode::factory(c, peers)))
        }
        Protocol::AntiEntropy(c) => Ok(v.with(AntiEntropyNode::factory(c, peers))),
        Protocol::Zoo(c) if c.bug == Bug::NoRetryAfterLoss => {
            Ok(v.with(move |_: NodeId| FireAndForgetNode::new(c, members)))
        }
        Protocol::Zoo(c) => Ok(v.with(move |_: NodeId| BrokenAntiEntropyNode::new(c, peers))),
        ref other => Err(BackendError::unsupported(
            backend,
            format!(
                "protocol `{}` has no async driver wiring yet",
                other.describe()
            ),
        )),
    }
}

/// Checks that every strategy of `scenario` can be driven (see [`with_node`]).
pub fn check_protocols(scenario: &Scenario, backend: &'static str) -> Result<(), BackendError> {
    struct Nothing;
    impl WithNode for Nothing {
        type Output = ();
        fn with<N, F>(self, _: F) {}
    }
    for s in &scenario.strategies {
        with_node(scenario, &s.protocol, backend, Nothing).map_err(|e| match e {
            BackendError::Unsupported { backend, what } => BackendError::Unsupported {
                backend,
                what: format!("strategy `{}`: {what}", s.name),
            },
            other => other,
        })?;
    }
    Ok(())
}

/// An order-sensitive hash of what a run recorded. The drivers have no event trace, so this
/// stands in for the emulator's trace fingerprint: under turmoil, same seed ⇒ same value.
pub fn history_fingerprint(h: &crate::history::History) -> u64 {
    let mut f = crate::emulator::Fingerprint::default();
    for l in &h.learned {
        for w in [
            l.at.as_nanos(),
            u64::from(l.node.0),
            l.key,
            l.version.stamp,
            u64::from(l.version.writer.0),
            l.value,
        ] {
            f.add(w);
        }
    }
    for w in &h.writes {
        f.add(w.at.as_nanos());
        f.add(w.version.map_or(u64::MAX, |v| v.stamp));
    }
    let t = &h.traffic;
    for w in [t.sent, t.sent_bytes, t.delivered, t.lost, t.partitioned] {
        f.add(w);
    }
    for fp in &h.fingerprints_at_end {
        f.add(*fp);
    }
    f.value()
}

/// A scenario's result from its runs, as the emulator's runner builds it.
pub(crate) fn scenario_result(
    scenario: &Scenario,
    runs: Vec<hearsay_reports::RunResult>,
) -> hearsay_reports::ScenarioResult {
    crate::runner::scenario_result(scenario, runs)
}

/// The groups of a partition whose sides are plain groups (halves, majority/minority,
/// isolations, percentages, explicit groups) — what the tokio backends can express as a group
/// per node; `None` for bridges, rings and one-way cuts, which they refuse before the run.
pub(crate) fn partition_groups(spec: &PartitionSpec, nodes: u32) -> Option<Vec<GroupId>> {
    match spec {
        PartitionSpec::Bridge(_) | PartitionSpec::Ring | PartitionSpec::OneWay { .. } => None,
        _ => Some(spec.connectivity(nodes).groups().to_vec()),
    }
}

/// Why a scenario's faults or network are beyond the tokio backends, if they are: a nemesis
/// (print its schedule with `hearsay faults` and run that), a partition that is not a plain
/// grouping, a latency distribution other than constant or uniform, or a fault kind beyond
/// partitions, heals, crashes and restarts.
pub(crate) fn unsupported_shape(scenario: &Scenario) -> Option<String> {
    if scenario.stop_when_converged {
        return Some(
            "`stop_when_converged`: only the emulator sees every node's state at once; run to `duration` here".into(),
        );
    }
    if scenario.preload.is_some() {
        return Some(
            "`preload`: only the emulator starts its nodes with a replica; write the keys in the workload instead".into(),
        );
    }
    if scenario.faults.nemesis().is_some() {
        return Some(
            "a nemesis: print the schedule it draws with `hearsay faults SCENARIO --seed N` and run that as scripted faults".into(),
        );
    }
    if !matches!(
        scenario.network.latency,
        Latency::Constant(_) | Latency::Uniform { .. }
    ) {
        return Some(format!(
            "latency {}: only constant and uniform latency are supported",
            scenario.network.latency
        ));
    }
    for (i, f) in scenario.faults.faults().iter().enumerate() {
        #[allow(unreachable_patterns)] // fault kinds added later must be mapped here explicitly
        match &f.action {
            FaultAction::Partition(spec) if partition_groups(spec, scenario.nodes).is_none() => {
                return Some(format!(
                    "faults[{i}] at {}: partition {} is not a plain grouping of nodes",
                    f.at,
                    spec.describe()
                ));
            }
            FaultAction::Partition(_)
            | FaultAction::Heal
            | FaultAction::Crash { .. }
            | FaultAction::Restart { .. } => {}
            other => {
                return Some(format!(
                    "faults[{i}] at {}: {other:?} has no equivalent here",
                    f.at
                ));
            }
        }
    }
    None
}
