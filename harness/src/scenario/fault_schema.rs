//! The scenario file's fault vocabulary: the items of `faults:`, the `nemesis:` section, and
//! latency distributions (shared with `network.latency`). Each reader turns YAML into the
//! `hearsay-faults` model and records where each fault action was written ([`FaultOrigin`]),
//! so that errors found later, when the schedule is checked against the cluster, point at
//! the line and column of the item, node, or sub-field at fault.
//!
//! ```yaml
//! faults:
//!   - { at: 2s, partition: halves, for: 3s }          # halves | majority-minority | ring
//!   - { at: 2s, partition: { isolate: [3] } }          # also bridge, percent, groups, one_way
//!   - { at: 6s, heal: all }                            # all | partition | network | [3, 4]
//!   - { at: 6s, heal: { loss: 0.3 } }                  # end one fault (also skew, capacity)
//!   - { at: 1s, crash: [3, 4], lose_state: true, for: 2s }
//!   - { at: 1s, crash: { percent: 30 } }               # or `crash: origin`
//!   - { at: 1s, pause: [5], for: 1s }                  # and restart/resume/join/leave: [ids]
//!   - { at: 1s, churn: { join: 20, leave: 10, rate: 2/s } }
//!   - { at: 1s, loss: 0.3, for: 500ms }                # or { rate, from, to, both_ways, nodes }
//!   - { at: 1s, latency: { pareto: { scale: 2ms, shape: 1.5 }, from: [0] } }
//!   - { at: 1s, delay: { constant: 200ms, nodes: [7] } } # a slow node
//!   - { at: 1s, duplicate: 0.1 }
//!   - { at: 1s, reorder: { rate: 0.2, delay: 50ms } }
//!   - { at: 0s, skew: { nodes: [3], offset: -2s, drift: 0.001 } }
//!   - { at: 0s, capacity: { queue: 20, service: 2ms } }
//! ```

use super::reading::{Fields, Result, boolean, child, duration, fail, integer, item, list, number};
use super::tree::{Node, Pos, Value, clip};
use hearsay_faults::{
    Capacity, Churn, ClockSkew, FaultAction, Latency, LinkEffect, LinkFault, Links, Nemesis,
    NemesisFault, NodeSet, PartitionSpec, TimedFault, evenly_spread, share_of,
};
use hearsay_protocols::{NodeId, SimDuration, SimTime};
use hearsay_workloads::{Origin, Workload};

/// Where one fault action was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FaultOrigin {
    /// The index of its item in the written `faults:` list.
    pub item: usize,
    /// Where that item starts.
    pub pos: Pos,
    /// Where the value of its action (`partition`, `heal`, `crash`, …) is.
    pub action: Pos,
    /// For the end a `for:` adds: where the `for:` value is.
    pub added_by_for: Option<Pos>,
    /// The node ids the item names, each with where it is written.
    pub nodes: Vec<(u32, Pos)>,
    /// Sub-fields of the action (`rate`, `percent`, `drift`, `service`…) and where they are.
    pub fields: Vec<(&'static str, Pos)>,
}

/// What the fault readers need to know about the rest of the scenario.
pub(super) struct Context<'a> {
    /// The cluster size (for percentages and churn).
    pub nodes: u32,
    /// The run's length (the nemesis stops there unless told otherwise).
    pub duration: SimDuration,
    /// The workload (for `crash: origin`).
    pub workload: &'a Workload,
}

const FAULT_KEYS: &[&str] = &[
    "at",
    "partition",
    "heal",
    "crash",
    "restart",
    "pause",
    "resume",
    "join",
    "leave",
    "churn",
    "loss",
    "latency",
    "delay",
    "duplicate",
    "reorder",
    "skew",
    "capacity",
    "lose_state",
    "for",
];
const FAULT_ACTIONS: &[&str] = &[
    "partition",
    "heal",
    "crash",
    "restart",
    "pause",
    "resume",
    "join",
    "leave",
    "churn",
    "loss",
    "latency",
    "delay",
    "duplicate",
    "reorder",
    "skew",
    "capacity",
];
const PARTITION_KEYS: &[&str] = &["groups", "isolate", "bridge", "percent", "one_way"];
const ONE_WAY_KEYS: &[&str] = &["from", "to"];
const HEAL_KEYS: &[&str] = &[
    "loss",
    "latency",
    "delay",
    "duplicate",
    "reorder",
    "skew",
    "capacity",
];
const RATE_KEYS: &[&str] = &["rate", "from", "to", "both_ways", "nodes"];
const REORDER_KEYS: &[&str] = &["rate", "delay", "from", "to", "both_ways", "nodes"];
const LATENCY_KEYS: &[&str] = &["constant", "uniform", "normal", "lognormal", "pareto"];
const LATENCY_SCOPED_KEYS: &[&str] = &[
    "constant",
    "uniform",
    "normal",
    "lognormal",
    "pareto",
    "from",
    "to",
    "both_ways",
    "nodes",
];
const SKEW_KEYS: &[&str] = &["nodes", "offset", "drift"];
const CAPACITY_KEYS: &[&str] = &["queue", "service", "nodes"];
const CHURN_KEYS: &[&str] = &["join", "leave", "rate", "every"];
const CRASH_KEYS: &[&str] = &["percent"];
const NEMESIS_KEYS: &[&str] = &["mix", "every", "for", "start", "stop", "heal_at_end"];

const NODE_ID: &str = "a node id, a whole number from 0";
const NODE_LIST: &str = "a list of node ids, like [5, 6]";
const PERCENT: &str = "a percentage, a number from 0 to 100";

/// The `faults:` list: every written item as timed actions (`for:` adds the end right after
/// the start), and where each came from.
pub(super) fn faults(
    node: &Node,
    ctx: &Context<'_>,
) -> Result<(Vec<TimedFault>, Vec<FaultOrigin>)> {
    const PATH: &str = "faults";
    let items = list(
        node,
        PATH,
        "a list of faults, each with `at` and one action (partition, heal, crash, …)",
    )?;
    let mut out = Vec::with_capacity(items.len());
    let mut origins = Vec::with_capacity(items.len());
    for (i, n) in items.iter().enumerate() {
        fault(n, i, ctx, &mut out, &mut origins)?;
    }
    Ok((out, origins))
}

/// What an item's action reads into, and what it recorded on the way.
struct Reading {
    nodes: Vec<(u32, Pos)>,
    fields: Vec<(&'static str, Pos)>,
}

impl Reading {
    /// Records where sub-field `name` is written.
    fn field(&mut self, name: &'static str, node: &Node) {
        self.fields.push((name, node.pos));
    }
}

/// Reads fault item `i`, pushing its actions (and the end a `for:` schedules).
fn fault(
    node: &Node,
    i: usize,
    ctx: &Context<'_>,
    out: &mut Vec<TimedFault>,
    origins: &mut Vec<FaultOrigin>,
) -> Result<()> {
    let path = item("faults", i);
    let f = Fields::new(node, &path, "a fault", FAULT_KEYS)?;
    let at = SimTime::from_duration(duration(
        f.required("at", "when the fault happens, like `2s`")?,
        &f.path_of("at"),
    )?);
    let action = f.exactly_one(FAULT_ACTIONS, "fault action")?;
    let action_path = f.path_of(action.name);
    let mut r = Reading {
        nodes: Vec::new(),
        fields: Vec::new(),
    };
    if let Some(e) = f.entry("lose_state")
        && action.name != "crash"
    {
        return fail(
            e.key.pos,
            &path,
            format!(
                "`lose_state` applies only to `crash`, but this fault is a `{}`",
                action.name
            ),
        );
    }
    let v = action.value;
    let p = action_path.as_str();
    let once = |action| vec![TimedFault { at, action }];
    let acts: Vec<TimedFault> = match action.name {
        "partition" => once(FaultAction::Partition(partition(v, p, &mut r)?)),
        "heal" => once(heal(v, p, &mut r)?),
        "crash" => once(FaultAction::Crash {
            nodes: crash_targets(v, p, at, ctx, &mut r)?,
            lose_state: match f.entry("lose_state").map(|e| e.value) {
                Some(n) if n.value != Value::Null => boolean(n, &f.path_of("lose_state"))?,
                _ => false,
            },
        }),
        "restart" => once(FaultAction::Restart {
            nodes: node_list(v, p, &mut r.nodes)?,
        }),
        "pause" => once(FaultAction::Pause {
            nodes: node_list(v, p, &mut r.nodes)?,
        }),
        "resume" => once(FaultAction::Resume {
            nodes: node_list(v, p, &mut r.nodes)?,
        }),
        "join" => once(FaultAction::Join {
            nodes: node_list(v, p, &mut r.nodes)?,
        }),
        "leave" => once(FaultAction::Leave {
            nodes: node_list(v, p, &mut r.nodes)?,
        }),
        // One item, many events: each join or leave at its own time.
        "churn" => churn(v, p, ctx)?.events(at, ctx.nodes),
        "skew" => once(skew(v, p, &mut r)?),
        "capacity" => once(capacity(v, p, &mut r)?),
        kind => once(FaultAction::Network(network_fault(kind, v, p, &mut r)?)),
    };
    let undo = match f.entry("for") {
        None => None,
        Some(e) => {
            let undo = match acts.as_slice() {
                [one] if action.name != "churn" => one.action.undo(),
                _ => None,
            };
            let Some(undo) = undo else {
                return fail(
                    e.key.pos,
                    &path,
                    format!(
                        "`for` applies only to faults that last (`partition`, `crash`, `pause`, \
                         `loss`, `latency`, `delay`, `duplicate`, `reorder`, `skew`, \
                         `capacity`): it schedules their end, but this fault is a `{}`",
                        action.name
                    ),
                );
            };
            let for_path = f.path_of("for");
            let lasting = duration(
                f.required("for", "how long the fault lasts, like `3s`")?,
                &for_path,
            )?;
            if lasting == SimDuration::ZERO {
                return fail(e.value.pos, &for_path, "must be longer than 0s");
            }
            Some((at + lasting, undo, e.value.pos))
        }
    };
    let origin = FaultOrigin {
        item: i,
        pos: node.pos,
        action: action.value.pos,
        added_by_for: None,
        nodes: r.nodes,
        fields: r.fields,
    };
    for act in acts {
        out.push(act);
        origins.push(origin.clone());
    }
    if let Some((undo_at, undo, for_pos)) = undo {
        out.push(TimedFault {
            at: undo_at,
            action: undo,
        });
        origins.push(FaultOrigin {
            added_by_for: Some(for_pos),
            ..origin
        });
    }
    Ok(())
}

fn partition(node: &Node, path: &str, r: &mut Reading) -> Result<PartitionSpec> {
    const EXPECTED: &str = "`halves`, `majority-minority`, `ring`, or a mapping with one of \
                            `isolate`, `bridge`, `percent`, `groups`, `one_way`";
    match &node.value {
        Value::Str(s) if s == "halves" => Ok(PartitionSpec::Halves),
        Value::Str(s) if s == "majority-minority" => Ok(PartitionSpec::MajorityMinority),
        Value::Str(s) if s == "ring" => Ok(PartitionSpec::Ring),
        Value::Map(_) => {
            let f = Fields::new(node, path, "a partition", PARTITION_KEYS)?;
            let shape = f.exactly_one(PARTITION_KEYS, "partition shape")?;
            let p = f.path_of(shape.name);
            let v = shape.value;
            Ok(match shape.name {
                "isolate" => PartitionSpec::Isolate(node_list(v, &p, &mut r.nodes)?),
                "bridge" => PartitionSpec::Bridge(node_id(v, &p, &mut r.nodes)?),
                "percent" => {
                    r.field("percent", v);
                    let shares = list(v, &p, "a list of percentages, like [30, 70]")?
                        .iter()
                        .enumerate()
                        .map(|(k, n)| percent(n, &item(&p, k)))
                        .collect::<Result<Vec<_>>>()?;
                    PartitionSpec::Percentages(shares)
                }
                "groups" => {
                    const GROUPS: &str = "a list of groups of node ids, like [[0, 1, 2], [3, 4]]";
                    let groups = list(v, &p, GROUPS)?
                        .iter()
                        .enumerate()
                        .map(|(g, n)| node_list(n, &item(&p, g), &mut r.nodes))
                        .collect::<Result<Vec<_>>>()?;
                    PartitionSpec::Groups(groups)
                }
                _ => {
                    let o = Fields::new(v, &p, "a one-way cut", ONE_WAY_KEYS)?;
                    let from = node_list(
                        o.required("from", "the nodes whose messages are dropped")?,
                        &o.path_of("from"),
                        &mut r.nodes,
                    )?;
                    let to = match o.get("to") {
                        Some(n) => Some(node_list(n, &o.path_of("to"), &mut r.nodes)?),
                        None => None,
                    };
                    PartitionSpec::OneWay { from, to }
                }
            })
        }
        other => fail(
            node.pos,
            path,
            format!("expected {EXPECTED}, found {}", other.describe()),
        ),
    }
}

fn heal(node: &Node, path: &str, r: &mut Reading) -> Result<FaultAction> {
    const EXPECTED: &str = "`all` (the partition and every network fault), `partition`, \
                            `network`, a list of node ids to reconnect, or a mapping naming one \
                            fault to end";
    match &node.value {
        Value::Str(s) if s == "all" => Ok(FaultAction::HealAll),
        Value::Str(s) if s == "partition" => Ok(FaultAction::Heal),
        Value::Str(s) if s == "network" => Ok(FaultAction::HealNetwork),
        Value::Seq(_) => Ok(FaultAction::HealNodes {
            nodes: node_list(node, path, &mut r.nodes)?,
        }),
        Value::Map(_) => {
            let f = Fields::new(node, path, "the fault to end", HEAL_KEYS)?;
            let which = f.exactly_one(HEAL_KEYS, "fault to end")?;
            let p = f.path_of(which.name);
            Ok(match which.name {
                "skew" => FaultAction::SkewEnd {
                    nodes: node_list(which.value, &p, &mut r.nodes)?,
                },
                "capacity" => FaultAction::CapacityEnd {
                    nodes: node_set(which.value, &p, &mut r.nodes)?,
                },
                kind => FaultAction::NetworkEnd(network_fault(kind, which.value, &p, r)?),
            })
        }
        other => fail(
            node.pos,
            path,
            format!("expected {EXPECTED}, found {}", other.describe()),
        ),
    }
}

/// `[ids]`, `{ percent: P }` (spread evenly over the ids) or `origin`.
fn crash_targets(
    node: &Node,
    path: &str,
    at: SimTime,
    ctx: &Context<'_>,
    r: &mut Reading,
) -> Result<Vec<NodeId>> {
    match &node.value {
        Value::Str(s) if s == "origin" => match origin_of(ctx.workload, at) {
            Some(n) => Ok(vec![n]),
            None => fail(
                node.pos,
                path,
                format!(
                    "`origin` is the node of the latest client write at or before {at}, but \
                     the workload has none there with a fixed node (a `single_rumor` with \
                     `node: random` is drawn per seed): name the node instead"
                ),
            ),
        },
        Value::Map(_) => {
            let f = Fields::new(node, path, "a share of the nodes", CRASH_KEYS)?;
            let n = f.required("percent", PERCENT)?;
            r.field("percent", n);
            let p = percent(n, &f.path_of("percent"))?;
            let count = share_of(ctx.nodes, p);
            if count == 0 {
                return fail(
                    n.pos,
                    &f.path_of("percent"),
                    format!("{p}% of {} nodes is no node at all", ctx.nodes),
                );
            }
            Ok(evenly_spread(ctx.nodes, count))
        }
        _ => node_list(node, path, &mut r.nodes),
    }
}

/// The node of the latest client write at or before `at`, when the workload fixes it.
fn origin_of(workload: &Workload, at: SimTime) -> Option<NodeId> {
    // Writes whose node the workload fixes: a single rumor at a given node, scripted writes.
    // (Streams draw their nodes from the seed, so they name no origin in advance.)
    let mut fixed: Vec<(SimTime, NodeId)> = Vec::new();
    for part in workload.parts() {
        match part {
            Workload::SingleRumor(w) => {
                if let Origin::Node(n) = w.origin {
                    fixed.push((w.at, n));
                }
            }
            Workload::Scripted(list) => fixed.extend(list.iter().map(|w| (w.at, w.node))),
            _ => {}
        }
    }
    fixed
        .into_iter()
        .filter(|(t, _)| *t <= at)
        .max_by_key(|(t, _)| *t)
        .map(|(_, n)| n)
}

fn churn(node: &Node, path: &str, ctx: &Context<'_>) -> Result<Churn> {
    let f = Fields::new(node, path, "churn", CHURN_KEYS)?;
    let count = |key: &str| -> Result<u32> {
        match f.get(key) {
            Some(n) => integer(n, &f.path_of(key), "a number of nodes, a whole number"),
            None => Ok(0),
        }
    };
    let (join, leave) = (count("join")?, count("leave")?);
    let pace = f.exactly_one(&["rate", "every"], "pace")?;
    let every = if pace.name == "every" {
        duration(pace.value, &f.path_of("every"))?
    } else {
        rate(pace.value, &f.path_of("rate"))?
    };
    let c = Churn { join, leave, every };
    if let Err((field, message)) = c.check(ctx.nodes) {
        let at = f.get(field).unwrap_or(pace.value);
        return fail(at.pos, &child(path, field), message);
    }
    Ok(c)
}

/// A rate like `5/s`, `30/m` or `1/200ms`, as the time between two events.
fn rate(node: &Node, path: &str) -> Result<SimDuration> {
    const EXPECTED: &str = "a rate like `5/s`, `30/m` or `1/200ms`";
    let Value::Str(s) = &node.value else {
        return fail(
            node.pos,
            path,
            format!("expected {EXPECTED}, found {}", node.value.describe()),
        );
    };
    let bad = || {
        fail(
            node.pos,
            path,
            format!("expected {EXPECTED}, found `{}`", clip(s)),
        )
    };
    let Some((count, per)) = s.split_once('/') else {
        return bad();
    };
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
        per.to_string()
    } else {
        format!("1{per}")
    };
    let (Ok(count), Ok(per)) = (count.trim().parse::<f64>(), per.parse::<SimDuration>()) else {
        return bad();
    };
    if !(count.is_finite() && count > 0.0) || per == SimDuration::ZERO {
        return fail(
            node.pos,
            path,
            format!("the rate `{}` must be above 0", clip(s)),
        );
    }
    Ok(SimDuration(
        (per.as_nanos() as f64 / count).round().max(1.0) as u64,
    ))
}

/// A network fault of `kind` (`loss`, `latency`, `delay`, `duplicate`, `reorder`).
fn network_fault(kind: &str, node: &Node, path: &str, r: &mut Reading) -> Result<LinkFault> {
    let bare = !matches!(node.value, Value::Map(_));
    match kind {
        "loss" | "duplicate" => {
            let effect = |p: f64| {
                if kind == "loss" {
                    LinkEffect::Loss(p)
                } else {
                    LinkEffect::Duplicate(p)
                }
            };
            const RATE: &str = "a probability, a number from 0 to 1";
            if bare {
                return Ok(LinkFault::everywhere(effect(number(node, path, RATE)?)));
            }
            let f = Fields::new(node, path, "a network fault", RATE_KEYS)?;
            let n = f.required("rate", RATE)?;
            r.field("rate", n);
            let rate = number(n, &f.path_of("rate"), RATE)?;
            Ok(LinkFault {
                links: scope(&f, r)?,
                effect: effect(rate),
            })
        }
        "reorder" => {
            let f = Fields::new(node, path, "a reordering fault", REORDER_KEYS)?;
            const RATE: &str = "the share of messages held back, a number from 0 to 1";
            let n = f.required("rate", RATE)?;
            r.field("rate", n);
            let rate = number(n, &f.path_of("rate"), RATE)?;
            let delay = duration(
                f.required("delay", "how long a message is held back, like `50ms`")?,
                &f.path_of("delay"),
            )?;
            Ok(LinkFault {
                links: scope(&f, r)?,
                effect: LinkEffect::Reorder { rate, delay },
            })
        }
        _ => {
            let wrap = |l| {
                if kind == "latency" {
                    LinkEffect::Latency(l)
                } else {
                    LinkEffect::Delay(l)
                }
            };
            if bare && kind == "delay" {
                return Ok(LinkFault::everywhere(wrap(Latency::Constant(duration(
                    node, path,
                )?))));
            }
            let f = Fields::new(
                node,
                path,
                "a latency distribution and the links it applies to",
                LATENCY_SCOPED_KEYS,
            )?;
            let l = latency_in(&f)?;
            Ok(LinkFault {
                links: scope(&f, r)?,
                effect: wrap(l),
            })
        }
    }
}

/// The links a network fault applies to: `from`/`to` (node lists or `all`, default all) and
/// `both_ways`, or `nodes` for every link to or from those nodes.
fn scope(f: &Fields<'_>, r: &mut Reading) -> Result<Links> {
    if let Some(e) = f.entry("nodes") {
        if let Some(other) = ["from", "to", "both_ways"].iter().find_map(|k| f.entry(k)) {
            return fail(
                other.key.pos,
                &f.path,
                format!(
                    "`nodes` (every link to or from those nodes) and `{}` cannot be combined",
                    other.name
                ),
            );
        }
        return Ok(Links::touching(node_list(
            e.value,
            &f.path_of("nodes"),
            &mut r.nodes,
        )?));
    }
    let side = |key: &str, r: &mut Reading| match f.get(key) {
        Some(n) => node_set(n, &f.path_of(key), &mut r.nodes),
        None => Ok(NodeSet::All),
    };
    let from = side("from", r)?;
    let to = side("to", r)?;
    let both_ways = match f.get("both_ways") {
        Some(n) => boolean(n, &f.path_of("both_ways"))?,
        None => false,
    };
    Ok(Links {
        from,
        to,
        both_ways,
    })
}

fn skew(node: &Node, path: &str, r: &mut Reading) -> Result<FaultAction> {
    let f = Fields::new(node, path, "a clock skew", SKEW_KEYS)?;
    let nodes = node_list(
        f.required("nodes", NODE_LIST)?,
        &f.path_of("nodes"),
        &mut r.nodes,
    )?;
    let offset_nanos = match f.get("offset") {
        Some(n) => signed_duration(n, &f.path_of("offset"))?,
        None => 0,
    };
    let drift = match f.get("drift") {
        Some(n) => {
            r.field("drift", n);
            number(
                n,
                &f.path_of("drift"),
                "extra seconds per second, a number above -1 (0.001 gains 1 ms a second)",
            )?
        }
        None => 0.0,
    };
    Ok(FaultAction::Skew {
        nodes,
        skew: ClockSkew {
            offset_nanos,
            drift,
        },
    })
}

/// A duration that may be negative: `-2s`, `500ms`.
fn signed_duration(node: &Node, path: &str) -> Result<i64> {
    if let Value::Str(s) = &node.value
        && let Some(rest) = s.trim().strip_prefix('-')
    {
        let d = rest
            .parse::<SimDuration>()
            .or_else(|e| fail(node.pos, path, e))?;
        return i64::try_from(d.as_nanos())
            .map(|n| -n)
            .or_else(|_| fail(node.pos, path, format!("`{}` is too large", clip(s))));
    }
    let d = duration(node, path)?;
    i64::try_from(d.as_nanos()).or_else(|_| fail(node.pos, path, format!("{d} is too large")))
}

fn capacity(node: &Node, path: &str, r: &mut Reading) -> Result<FaultAction> {
    let f = Fields::new(node, path, "a capacity bound", CAPACITY_KEYS)?;
    let queue = integer(
        f.required("queue", "how many messages may wait, a whole number")?,
        &f.path_of("queue"),
        "how many messages may wait, a whole number",
    )?;
    let s = f.required(
        "service",
        "how long one message takes to process, like `1ms`",
    )?;
    r.field("service", s);
    let service = duration(s, &f.path_of("service"))?;
    let nodes = match f.get("nodes") {
        Some(n) => node_set(n, &f.path_of("nodes"), &mut r.nodes)?,
        None => NodeSet::All,
    };
    Ok(FaultAction::Capacity {
        nodes,
        capacity: Capacity { queue, service },
    })
}

/// A latency distribution: a mapping with exactly one of `constant`, `uniform`, `normal`,
/// `lognormal`, `pareto`.
pub(super) fn latency(node: &Node, path: &str) -> Result<Latency> {
    let f = Fields::new(node, path, "a latency distribution", LATENCY_KEYS)?;
    latency_in(&f)
}

fn latency_in(f: &Fields<'_>) -> Result<Latency> {
    let choice = f.exactly_one(LATENCY_KEYS, "latency distribution")?;
    let path = f.path_of(choice.name);
    let v = choice.value;
    match choice.name {
        "constant" => Ok(Latency::Constant(duration(v, &path)?)),
        "uniform" => {
            const BOUNDS: &str = "two durations `[min, max]`, like [1ms, 10ms]";
            match list(v, &path, BOUNDS)? {
                [min, max] => Ok(Latency::Uniform {
                    min: duration(min, &item(&path, 0))?,
                    max: duration(max, &item(&path, 1))?,
                }),
                other => fail(
                    v.pos,
                    &path,
                    format!("expected {BOUNDS}, found a list of {}", other.len()),
                ),
            }
        }
        "normal" => {
            let d = Fields::new(v, &path, "a normal distribution", &["mean", "sd"])?;
            Ok(Latency::Normal {
                mean: duration(
                    d.required("mean", "the mean, like `10ms`")?,
                    &d.path_of("mean"),
                )?,
                sd: duration(
                    d.required("sd", "the standard deviation, like `2ms`")?,
                    &d.path_of("sd"),
                )?,
            })
        }
        "lognormal" => {
            let d = Fields::new(v, &path, "a log-normal distribution", &["median", "sigma"])?;
            const SIGMA: &str = "the standard deviation of the log, a number >= 0 (like 0.5)";
            Ok(Latency::LogNormal {
                median: duration(
                    d.required("median", "the median, like `10ms`")?,
                    &d.path_of("median"),
                )?,
                sigma: number(d.required("sigma", SIGMA)?, &d.path_of("sigma"), SIGMA)?,
            })
        }
        _ => {
            let d = Fields::new(v, &path, "a Pareto distribution", &["scale", "shape"])?;
            const SHAPE: &str = "the tail index, a number > 0 (like 1.5)";
            Ok(Latency::Pareto {
                scale: duration(
                    d.required("scale", "the minimum latency, like `2ms`")?,
                    &d.path_of("scale"),
                )?,
                shape: number(d.required("shape", SHAPE)?, &d.path_of("shape"), SHAPE)?,
            })
        }
    }
}

/// The `nemesis:` section.
pub(super) fn nemesis(node: &Node, ctx: &Context<'_>) -> Result<Nemesis> {
    const PATH: &str = "nemesis";
    let f = Fields::new(node, PATH, "the nemesis", NEMESIS_KEYS)?;
    let names: Vec<&str> = NemesisFault::ALL.iter().map(|(n, _)| *n).collect();
    let mix_node = f.required(
        "mix",
        "the kinds of fault and their shares in percent, like { partition: 40, crash: 60 }",
    )?;
    let m = Fields::new(mix_node, &f.path_of("mix"), "the nemesis mix", &names)?;
    let mut mix = Vec::new();
    for (name, kind) in NemesisFault::ALL {
        if let Some(n) = m.get(name) {
            mix.push((kind, percent(n, &m.path_of(name))?));
        }
    }
    let every = duration_range(
        f.required("every", "the time between faults, a range like `5s..15s`")?,
        &f.path_of("every"),
    )?;
    let lasting = match f.get("for") {
        Some(n) => duration_range(n, &f.path_of("for"))?,
        None => (SimDuration::from_secs(1), SimDuration::from_secs(5)),
    };
    let start = match f.get("start") {
        Some(n) => SimTime::from_duration(duration(n, &f.path_of("start"))?),
        None => SimTime::ZERO,
    };
    let stop = match f.get("stop") {
        Some(n) => SimTime::from_duration(duration(n, &f.path_of("stop"))?),
        None => SimTime::from_duration(ctx.duration),
    };
    let heal_at_end = match f.get("heal_at_end") {
        Some(n) => boolean(n, &f.path_of("heal_at_end"))?,
        None => true,
    };
    Ok(Nemesis {
        mix,
        every,
        lasting,
        start,
        stop,
        heal_at_end,
    })
}

/// `A..B` (both included) or one duration.
fn duration_range(node: &Node, path: &str) -> Result<(SimDuration, SimDuration)> {
    if let Value::Str(s) = &node.value
        && let Some((a, b)) = s.split_once("..")
    {
        let parse = |t: &str| {
            t.parse::<SimDuration>()
                .or_else(|e| fail(node.pos, path, e))
        };
        return Ok((parse(a)?, parse(b)?));
    }
    let d = duration(node, path)?;
    Ok((d, d))
}

/// A percentage, 0–100.
fn percent(node: &Node, path: &str) -> Result<f64> {
    let p = number(node, path, PERCENT)?;
    if !(0.0..=100.0).contains(&p) {
        return fail(node.pos, path, format!("percentage {p} is outside 0–100"));
    }
    Ok(p)
}

/// A list of node ids, each also recorded with its position in `seen`.
fn node_list(node: &Node, path: &str, seen: &mut Vec<(u32, Pos)>) -> Result<Vec<NodeId>> {
    list(node, path, NODE_LIST)?
        .iter()
        .enumerate()
        .map(|(i, n)| node_id(n, &item(path, i), seen))
        .collect()
}

fn node_id(node: &Node, path: &str, seen: &mut Vec<(u32, Pos)>) -> Result<NodeId> {
    let id: u32 = integer(node, path, NODE_ID)?;
    seen.push((id, node.pos));
    Ok(NodeId(id))
}

/// `all` or a list of node ids.
fn node_set(node: &Node, path: &str, seen: &mut Vec<(u32, Pos)>) -> Result<NodeSet> {
    match &node.value {
        Value::Str(s) if s == "all" => Ok(NodeSet::All),
        Value::Seq(_) => Ok(NodeSet::Only(node_list(node, path, seen)?)),
        other => fail(
            node.pos,
            path,
            format!("expected `all` or {NODE_LIST}, found {}", other.describe()),
        ),
    }
}
