//! Printing a schedule as the `faults:` list of a scenario file.
//!
//! A nemesis schedule printed this way can be pasted into a scenario in place of the
//! `nemesis:` block, edited, and replayed: every action has a written form, a fault followed by
//! its end is printed as one item with `for:`, and the canonical order of
//! [`FaultSchedule::new`] makes the loaded list the same sequence of events, so the run has
//! the same trace fingerprint.

use crate::{
    Capacity, FaultAction, FaultSchedule, Latency, LinkEffect, LinkFault, Links, NodeSet,
    PartitionSpec, SignedDuration,
};
use hearsay_protocols::{NodeId, SimDuration};
use std::fmt::Write as _;

impl FaultSchedule {
    /// The schedule as a `faults:` YAML list, one fault per line in flow style.
    pub fn to_yaml(&self) -> String {
        self.to_yaml_with(true)
    }

    /// The `faults:` list, pairing each fault with its end as `for:` when `paired`, or every
    /// event as its own item when not (for schedules whose pairing would reorder same-time
    /// events).
    pub fn to_yaml_with(&self, paired_items: bool) -> String {
        let faults = self.faults();
        let mut paired = vec![false; faults.len()];
        let mut out = String::from("faults:\n");
        if faults.is_empty() {
            out = String::from("faults: []\n");
        }
        for (i, f) in faults.iter().enumerate() {
            if paired[i] {
                continue;
            }
            let mut item = format!("at: {}, {}", duration(f.at.as_nanos()), action(&f.action));
            if let Some(undo) = f.action.undo().filter(|_| paired_items)
                && let Some(j) =
                    (i + 1..faults.len()).find(|&j| !paired[j] && faults[j].action == undo)
            {
                paired[j] = true;
                let lasting = faults[j].at.saturating_since(f.at);
                // A zero-length fault cannot be written with `for:`; its end is printed apart.
                if lasting > SimDuration::ZERO {
                    let _ = write!(item, ", for: {lasting}");
                } else {
                    paired[j] = false;
                }
            }
            let _ = writeln!(out, "  - {{ {item} }}");
        }
        out
    }
}

fn duration(nanos: u64) -> String {
    SimDuration(nanos).to_string()
}

fn ids(list: &[NodeId]) -> String {
    let inner: Vec<String> = list.iter().map(|n| n.0.to_string()).collect();
    format!("[{}]", inner.join(", "))
}

fn action(a: &FaultAction) -> String {
    match a {
        FaultAction::Partition(spec) => format!("partition: {}", partition(spec)),
        FaultAction::Heal => "heal: partition".to_string(),
        FaultAction::HealNodes { nodes } => format!("heal: {}", ids(nodes)),
        FaultAction::HealNetwork => "heal: network".to_string(),
        FaultAction::HealAll => "heal: all".to_string(),
        FaultAction::Crash { nodes, lose_state } => {
            format!("crash: {}, lose_state: {lose_state}", ids(nodes))
        }
        FaultAction::Restart { nodes } => format!("restart: {}", ids(nodes)),
        FaultAction::Pause { nodes } => format!("pause: {}", ids(nodes)),
        FaultAction::Resume { nodes } => format!("resume: {}", ids(nodes)),
        FaultAction::Join { nodes } => format!("join: {}", ids(nodes)),
        FaultAction::Leave { nodes } => format!("leave: {}", ids(nodes)),
        FaultAction::Network(f) => network(f),
        FaultAction::NetworkEnd(f) => format!("heal: {{ {} }}", network(f)),
        FaultAction::Skew { nodes, skew } => {
            let mut s = format!(
                "skew: {{ nodes: {}, offset: {}",
                ids(nodes),
                SignedDuration(skew.offset_nanos)
            );
            if skew.drift != 0.0 {
                let _ = write!(s, ", drift: {}", skew.drift);
            }
            s + " }"
        }
        FaultAction::SkewEnd { nodes } => format!("heal: {{ skew: {} }}", ids(nodes)),
        FaultAction::Capacity { nodes, capacity } => {
            format!("capacity: {{ {} }}", capacity_fields(nodes, capacity))
        }
        FaultAction::CapacityEnd { nodes } => format!(
            "heal: {{ capacity: {} }}",
            match nodes {
                NodeSet::All => "all".to_string(),
                NodeSet::Only(l) => ids(l),
            }
        ),
    }
}

fn partition(spec: &PartitionSpec) -> String {
    match spec {
        PartitionSpec::Halves => "halves".to_string(),
        PartitionSpec::MajorityMinority => "majority-minority".to_string(),
        PartitionSpec::Ring => "ring".to_string(),
        PartitionSpec::Isolate(l) => format!("{{ isolate: {} }}", ids(l)),
        PartitionSpec::Bridge(n) => format!("{{ bridge: {} }}", n.0),
        PartitionSpec::Percentages(p) => format!(
            "{{ percent: [{}] }}",
            p.iter().map(f64::to_string).collect::<Vec<_>>().join(", ")
        ),
        PartitionSpec::Groups(g) => format!(
            "{{ groups: [{}] }}",
            g.iter().map(|l| ids(l)).collect::<Vec<_>>().join(", ")
        ),
        PartitionSpec::OneWay { from, to } => match to {
            None => format!("{{ one_way: {{ from: {} }} }}", ids(from)),
            Some(to) => format!("{{ one_way: {{ from: {}, to: {} }} }}", ids(from), ids(to)),
        },
    }
}

impl Latency {
    /// The distribution as the inside of a scenario file's latency mapping, e.g.
    /// `uniform: [1ms, 10ms]` or `normal: { mean: 10ms, sd: 2ms }`.
    pub fn to_yaml(&self) -> String {
        latency(self)
    }
}

impl crate::Nemesis {
    /// The nemesis as a scenario file's `nemesis:` mapping, in flow style.
    pub fn to_yaml(&self) -> String {
        let mix: Vec<String> = self
            .mix
            .iter()
            .map(|(kind, share)| format!("{}: {share}", kind.name()))
            .collect();
        format!(
            "{{ mix: {{ {} }}, every: {}..{}, for: {}..{}, start: {}, stop: {}, heal_at_end: {} }}",
            mix.join(", "),
            self.every.0,
            self.every.1,
            self.lasting.0,
            self.lasting.1,
            self.start,
            self.stop,
            self.heal_at_end
        )
    }
}

/// `constant: 5ms`, `normal: { mean: 10ms, sd: 2ms }`, … (the inside of a latency mapping).
pub(crate) fn latency(l: &Latency) -> String {
    match l {
        Latency::Constant(d) => format!("constant: {d}"),
        Latency::Uniform { min, max } => format!("uniform: [{min}, {max}]"),
        Latency::Normal { mean, sd } => format!("normal: {{ mean: {mean}, sd: {sd} }}"),
        Latency::LogNormal { median, sigma } => {
            format!("lognormal: {{ median: {median}, sigma: {sigma} }}")
        }
        Latency::Pareto { scale, shape } => format!("pareto: {{ scale: {scale}, shape: {shape} }}"),
    }
}

/// The scope keys of a network fault (nothing for every link).
fn scope(links: &Links) -> String {
    if *links == Links::ALL {
        return String::new();
    }
    if let (NodeSet::Only(nodes), NodeSet::All, true) = (&links.from, &links.to, links.both_ways) {
        return format!(", nodes: {}", ids(nodes));
    }
    let mut s = String::new();
    if let NodeSet::Only(l) = &links.from {
        let _ = write!(s, ", from: {}", ids(l));
    }
    if let NodeSet::Only(l) = &links.to {
        let _ = write!(s, ", to: {}", ids(l));
    }
    if links.both_ways {
        s.push_str(", both_ways: true");
    }
    s
}

fn network(f: &LinkFault) -> String {
    let scope = scope(&f.links);
    match &f.effect {
        LinkEffect::Loss(p) => format!("loss: {{ rate: {p}{scope} }}"),
        LinkEffect::Duplicate(p) => format!("duplicate: {{ rate: {p}{scope} }}"),
        LinkEffect::Reorder { rate, delay } => {
            format!("reorder: {{ rate: {rate}, delay: {delay}{scope} }}")
        }
        LinkEffect::Latency(l) => format!("latency: {{ {}{scope} }}", latency(l)),
        LinkEffect::Delay(l) => format!("delay: {{ {}{scope} }}", latency(l)),
    }
}

fn capacity_fields(nodes: &NodeSet, c: &Capacity) -> String {
    let mut s = format!("queue: {}, service: {}", c.queue, c.service);
    if let NodeSet::Only(l) = nodes {
        let _ = write!(s, ", nodes: {}", ids(l));
    }
    s
}
