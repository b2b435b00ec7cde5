//! Checking a timeline against a cluster: every node it names exists, every parameter is in
//! range, and no event contradicts what is in force when it happens — a crash of a crashed
//! node, a restart of a live one, a heal with nothing to heal, a partition while another is in
//! force, the same network fault twice.
//!
//! The check replays the timeline over a small model of the cluster: one state per node, the
//! partition in force, the network faults in force.

use crate::{FaultAction, FaultError, LinkFault, NodeSet, PartitionSpec, TimedFault};
use hearsay_protocols::{NodeId, SimTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Up,
    Crashed,
    Paused,
    /// Not joined yet.
    Absent,
    /// Left for good.
    Left,
}

impl Life {
    fn describe(self) -> &'static str {
        match self {
            Life::Up => "up",
            Life::Crashed => "crashed",
            Life::Paused => "paused",
            Life::Absent => "not a member yet (it joins later)",
            Life::Left => "gone (it left)",
        }
    }
}

/// The nodes that are absent at the start of a run: those whose first lifecycle event in the
/// (time-ordered) `faults` is a join.
pub fn initially_absent(faults: &[TimedFault], nodes: u32) -> Vec<NodeId> {
    let mut seen = vec![false; nodes as usize];
    let mut absent = Vec::new();
    for f in faults {
        for &n in f.action.lifecycle_nodes() {
            if let Some(s) = seen.get_mut(n.index())
                && !std::mem::replace(s, true)
                && matches!(f.action, FaultAction::Join { .. })
            {
                absent.push(n);
            }
        }
    }
    absent
}

/// Validates `faults` (already in time order, each with its index in the caller's list).
pub(crate) fn validate(faults: &[(usize, TimedFault)], nodes: u32) -> Result<(), FaultError> {
    let ordered: Vec<TimedFault> = faults.iter().map(|(_, f)| f.clone()).collect();
    let mut t = Tracker {
        nodes,
        life: vec![Life::Up; nodes as usize],
        skewed: vec![false; nodes as usize],
        capped: Vec::new(),
        partition: None,
        network: Vec::new(),
    };
    for n in initially_absent(&ordered, nodes) {
        t.life[n.index()] = Life::Absent;
    }
    for (index, fault) in faults {
        t.apply(*index, fault)?;
    }
    Ok(())
}

struct Tracker {
    nodes: u32,
    life: Vec<Life>,
    skewed: Vec<bool>,
    capped: Vec<bool>,
    partition: Option<SimTime>,
    network: Vec<LinkFault>,
}

impl Tracker {
    fn known(&self, index: usize, list: &[NodeId]) -> Result<(), FaultError> {
        match list.iter().find(|n| n.0 >= self.nodes) {
            Some(n) => Err(FaultError::UnknownNode {
                index,
                node: n.0,
                nodes: self.nodes,
            }),
            None => Ok(()),
        }
    }

    fn listed(&self, index: usize, list: &[NodeId]) -> Result<(), FaultError> {
        if list.is_empty() {
            return Err(FaultError::NoNodes { index });
        }
        self.known(index, list)
    }

    /// Moves every node of `list` from one of the states `from` to `to`.
    fn transition(
        &mut self,
        index: usize,
        at: SimTime,
        what: &'static str,
        list: &[NodeId],
        from: &[Life],
        to: Life,
    ) -> Result<(), FaultError> {
        self.listed(index, list)?;
        for n in list {
            let life = &mut self.life[n.index()];
            if !from.contains(life) {
                let state = match (*life, to) {
                    (Life::Crashed, Life::Crashed) => "already crashed",
                    (Life::Paused, Life::Paused) => "already paused",
                    (Life::Up | Life::Paused, Life::Up) if what == "restart" => "not crashed",
                    (Life::Up | Life::Crashed, Life::Up) if what == "resume" => "not paused",
                    (Life::Up | Life::Paused | Life::Crashed, Life::Up) => {
                        "already a member (only a node that has not joined yet can join)"
                    }
                    (other, _) => other.describe(),
                };
                return Err(FaultError::Contradiction {
                    index,
                    what,
                    node: n.0,
                    at,
                    state,
                });
            }
            *life = to;
        }
        Ok(())
    }

    fn nothing(index: usize, action: &str, at: SimTime, state: &str) -> FaultError {
        FaultError::NothingToHeal {
            index,
            action: action.to_string(),
            at,
            state: state.to_string(),
        }
    }

    fn partition_spec(&self, index: usize, spec: &PartitionSpec) -> Result<(), FaultError> {
        let invalid = |message: String| FaultError::Invalid {
            index,
            field: "partition",
            message,
        };
        match spec {
            PartitionSpec::Isolate(ids) => self.listed(index, ids)?,
            PartitionSpec::Groups(groups) => {
                let mut seen = vec![false; self.nodes as usize];
                for g in groups {
                    self.listed(index, g)?;
                    for n in g {
                        if std::mem::replace(&mut seen[n.index()], true) {
                            return Err(invalid(format!(
                                "node {} is in two groups: expected each node in at most one",
                                n.0
                            )));
                        }
                    }
                }
            }
            PartitionSpec::Percentages(shares) => {
                if shares.is_empty() {
                    return Err(invalid("no percentages given".to_string()));
                }
                for p in shares {
                    if !(0.0..=100.0).contains(p) {
                        return Err(FaultError::Invalid {
                            index,
                            field: "percent",
                            message: format!("percentage {p} is outside 0–100"),
                        });
                    }
                }
                let total: f64 = shares.iter().sum();
                if total > 100.0 + 1e-9 {
                    return Err(FaultError::Invalid {
                        index,
                        field: "percent",
                        message: format!("the percentages add up to {total}: expected at most 100"),
                    });
                }
            }
            PartitionSpec::OneWay { from, to } => {
                self.listed(index, from)?;
                if let Some(to) = to {
                    self.listed(index, to)?;
                    if let Some(n) = to.iter().find(|n| from.contains(n)) {
                        return Err(invalid(format!(
                            "node {} is on both sides of the one-way cut",
                            n.0
                        )));
                    }
                }
            }
            PartitionSpec::Bridge(b) => self.known(index, std::slice::from_ref(b))?,
            PartitionSpec::Halves | PartitionSpec::MajorityMinority | PartitionSpec::Ring => {}
        }
        Ok(())
    }

    fn set_nodes<'a>(&self, set: &'a NodeSet) -> Box<dyn Iterator<Item = usize> + 'a> {
        match set {
            NodeSet::All => Box::new(0..self.nodes as usize),
            NodeSet::Only(ids) => Box::new(ids.iter().map(|n| n.index())),
        }
    }

    fn apply(&mut self, index: usize, fault: &TimedFault) -> Result<(), FaultError> {
        let at = fault.at;
        match &fault.action {
            FaultAction::Partition(spec) => {
                self.partition_spec(index, spec)?;
                if let Some(since) = self.partition {
                    return Err(FaultError::PartitionInForce { index, at, since });
                }
                self.partition = Some(at);
            }
            FaultAction::Heal => {
                if self.partition.take().is_none() {
                    return Err(Self::nothing(index, "heal", at, "no partition is in force"));
                }
            }
            FaultAction::HealNodes { nodes } => {
                self.listed(index, nodes)?;
                if self.partition.is_none() {
                    return Err(Self::nothing(index, "heal", at, "no partition is in force"));
                }
            }
            FaultAction::HealNetwork => {
                if self.network.is_empty() {
                    return Err(Self::nothing(
                        index,
                        "heal network",
                        at,
                        "no network fault is in force",
                    ));
                }
                self.network.clear();
            }
            FaultAction::HealAll => {
                if self.partition.is_none() && self.network.is_empty() {
                    return Err(Self::nothing(
                        index,
                        "heal",
                        at,
                        "no partition or network fault is in force",
                    ));
                }
                self.partition = None;
                self.network.clear();
            }
            FaultAction::Crash { nodes, .. } => self.transition(
                index,
                at,
                "crash",
                nodes,
                &[Life::Up, Life::Paused],
                Life::Crashed,
            )?,
            FaultAction::Restart { nodes } => {
                self.transition(index, at, "restart", nodes, &[Life::Crashed], Life::Up)?
            }
            FaultAction::Pause { nodes } => {
                self.transition(index, at, "pause", nodes, &[Life::Up], Life::Paused)?
            }
            FaultAction::Resume { nodes } => {
                self.transition(index, at, "resume", nodes, &[Life::Paused], Life::Up)?
            }
            FaultAction::Join { nodes } => {
                self.transition(index, at, "join", nodes, &[Life::Absent], Life::Up)?
            }
            FaultAction::Leave { nodes } => self.transition(
                index,
                at,
                "leave",
                nodes,
                &[Life::Up, Life::Paused, Life::Crashed],
                Life::Left,
            )?,
            FaultAction::Network(f) => {
                f.effect
                    .check()
                    .map_err(|(field, message)| FaultError::Invalid {
                        index,
                        field,
                        message: if field.is_empty() {
                            message
                        } else {
                            format!("{}.{field}: {message}", f.effect.kind())
                        },
                    })?;
                let named: Vec<NodeId> = f.links.named_nodes().collect();
                self.known(index, &named)?;
                for set in [&f.links.from, &f.links.to] {
                    if matches!(set, NodeSet::Only(ids) if ids.is_empty()) {
                        return Err(FaultError::NoNodes { index });
                    }
                }
                if self.network.contains(f) {
                    return Err(FaultError::AlreadyInForce {
                        index,
                        what: f.describe(),
                        at,
                    });
                }
                self.network.push(f.clone());
            }
            FaultAction::NetworkEnd(f) => match self.network.iter().position(|g| g == f) {
                Some(i) => {
                    self.network.remove(i);
                }
                None => {
                    return Err(Self::nothing(
                        index,
                        &format!("end of {}", f.describe()),
                        at,
                        "that fault is not in force",
                    ));
                }
            },
            FaultAction::Skew { nodes, skew } => {
                skew.check().map_err(|message| FaultError::Invalid {
                    index,
                    field: "drift",
                    message: format!("skew.drift: {message}"),
                })?;
                self.listed(index, nodes)?;
                for n in nodes {
                    if std::mem::replace(&mut self.skewed[n.index()], true) {
                        return Err(FaultError::Contradiction {
                            index,
                            what: "skew",
                            node: n.0,
                            at,
                            state: "already skewed (end that skew first)",
                        });
                    }
                }
            }
            FaultAction::SkewEnd { nodes } => {
                self.listed(index, nodes)?;
                for n in nodes {
                    if !std::mem::replace(&mut self.skewed[n.index()], false) {
                        return Err(FaultError::Contradiction {
                            index,
                            what: "end the skew of",
                            node: n.0,
                            at,
                            state: "not skewed",
                        });
                    }
                }
            }
            FaultAction::Capacity { nodes, capacity } => {
                capacity.check().map_err(|message| FaultError::Invalid {
                    index,
                    field: "service",
                    message: format!("capacity.service: {message}"),
                })?;
                if let NodeSet::Only(ids) = nodes {
                    self.listed(index, ids)?;
                }
                if self.capped.is_empty() {
                    self.capped = vec![false; self.nodes as usize];
                }
                let list: Vec<usize> = self.set_nodes(nodes).collect();
                for i in list {
                    if std::mem::replace(&mut self.capped[i], true) {
                        return Err(FaultError::Contradiction {
                            index,
                            what: "bound the capacity of",
                            node: i as u32,
                            at,
                            state: "already bounded (end that bound first)",
                        });
                    }
                }
            }
            FaultAction::CapacityEnd { nodes } => {
                if let NodeSet::Only(ids) = nodes {
                    self.listed(index, ids)?;
                }
                let list: Vec<usize> = self.set_nodes(nodes).collect();
                for i in list {
                    if !self.capped.get(i).copied().unwrap_or(false) {
                        return Err(FaultError::Contradiction {
                            index,
                            what: "lift the capacity bound of",
                            node: i as u32,
                            at,
                            state: "not bounded",
                        });
                    }
                    self.capped[i] = false;
                }
            }
        }
        Ok(())
    }
}
