//! The `workload:` section of a scenario file: one or more generators, each a key of the map.
//!
//! ```yaml
//! workload:
//!   single_rumor: { at: 1s, node: 0, key: 1, value: 1 }
//!   writes: { rate: 50/s, keys: 20, first_key: 0, from: 1s, until: 15s }  # or a list of
//!   #   scripted writes: [{ at: 2s, node: 3, key: 1, value: 7 }, …]
//!   conflicts: { at: 2s, keys: 5, writers: 3, spread: 0s, bursts: 1, every: 1s }
//!   ramp: { from: 10/s, to: 500/s, steps: 6, step_for: 5s, start: 1s, keys: 100 }
//!   reads: { rate: 20/s, keys: 20, from: 1s, until: 15s }
//! ```
//! Several keys run together, in the order written.

use super::reading::{Fields, Result, duration, fail, integer, string};
use super::tree::{Node, Value};
use hearsay_protocols::{NodeId, SimDuration, SimTime};
use hearsay_workloads::{
    ConflictingWrites, Origin, RandomReads, Rate, RateRamp, SingleRumor, Workload, WriteStream,
};

pub(super) const WORKLOAD_KEYS: &[&str] = &["single_rumor", "writes", "conflicts", "ramp", "reads"];
const SINGLE_RUMOR_KEYS: &[&str] = &["at", "node", "key", "value"];
const WRITES_KEYS: &[&str] = &["rate", "keys", "first_key", "from", "until"];
const CONFLICTS_KEYS: &[&str] = &[
    "at",
    "keys",
    "first_key",
    "writers",
    "spread",
    "bursts",
    "every",
];
const RAMP_KEYS: &[&str] = &[
    "from",
    "to",
    "steps",
    "step_for",
    "start",
    "keys",
    "first_key",
];
const NODE_OR_RANDOM: &str = "a node id (a whole number from 0) or `random`";
const KEYS: &str = "how many keys, a whole number (at least 1)";
const KEY: &str = "a key, a whole number";

/// Reads the `workload:` map; `run_for` is the run's duration (the default end of streams).
pub(super) fn workload(node: &Node, run_for: SimDuration) -> Result<Workload> {
    let f = Fields::new(node, "workload", "the workload", WORKLOAD_KEYS)?;
    let end = SimTime::from_duration(run_for);
    let mut parts = Vec::new();
    for name in WORKLOAD_KEYS {
        let Some(value) = f.get(name) else { continue };
        let path = f.path_of(name);
        parts.push(match *name {
            "single_rumor" => Workload::SingleRumor(single_rumor(value, &path)?),
            // A list is scripted writes; a map is a stream.
            "writes" if matches!(value.value, Value::Seq(_)) => {
                super::schema::scripted_writes(value, &path)?
            }
            "writes" => Workload::Writes(writes(value, &path, end)?),
            "reads" => Workload::Reads(reads(value, &path, end)?),
            "conflicts" => Workload::Conflicts(conflicts(value, &path)?),
            _ => Workload::Ramp(ramp(value, &path)?),
        });
    }
    match parts.len() {
        0 => fail(
            f.pos,
            "workload",
            format!(
                "no workload given: expected one or more of {}",
                super::reading::listing(WORKLOAD_KEYS)
            ),
        ),
        1 => Ok(parts.remove(0)),
        _ => Ok(Workload::Combined(parts)),
    }
}

fn empty(node: &Node) -> bool {
    node.value == Value::Null
}

fn time(f: &Fields<'_>, key: &str, default: SimTime) -> Result<SimTime> {
    match f.get(key) {
        Some(n) => Ok(SimTime::from_duration(duration(n, &f.path_of(key))?)),
        None => Ok(default),
    }
}

fn span(f: &Fields<'_>, key: &str, default: SimDuration) -> Result<SimDuration> {
    match f.get(key) {
        Some(n) => duration(n, &f.path_of(key)),
        None => Ok(default),
    }
}

fn whole<T: TryFrom<i128>>(f: &Fields<'_>, key: &str, expected: &str, default: T) -> Result<T> {
    match f.get(key) {
        Some(n) => integer(n, &f.path_of(key), expected),
        None => Ok(default),
    }
}

/// A rate like `10/s`.
fn rate(f: &Fields<'_>, key: &str, default: Option<Rate>) -> Result<Rate> {
    const EXPECTED: &str = "a rate like `10/s`, `2.5/s` or `600/m`";
    let Some(n) = f.get(key) else {
        return match default {
            Some(r) => Ok(r),
            None => fail(
                f.pos,
                &f.path,
                format!("missing `{key}`: expected {EXPECTED}"),
            ),
        };
    };
    let path = f.path_of(key);
    let text = string(n, &path, EXPECTED)?;
    text.parse::<Rate>().or_else(|e| fail(n.pos, &path, e))
}

fn single_rumor(node: &Node, path: &str) -> Result<SingleRumor> {
    let mut w = SingleRumor::default();
    if empty(node) {
        return Ok(w);
    }
    let f = Fields::new(node, path, "a single rumor", SINGLE_RUMOR_KEYS)?;
    w.at = time(&f, "at", w.at)?;
    if let Some(n) = f.get("node") {
        let path = f.path_of("node");
        w.origin = match &n.value {
            Value::Str(s) if s == "random" => Origin::Random,
            Value::Int(_) => Origin::Node(NodeId(integer(n, &path, NODE_OR_RANDOM)?)),
            other => {
                return fail(
                    n.pos,
                    &path,
                    format!("expected {NODE_OR_RANDOM}, found {}", other.describe()),
                );
            }
        };
    }
    w.key = whole(&f, "key", KEY, w.key)?;
    w.value = whole(&f, "value", "a value, a whole number", w.value)?;
    Ok(w)
}

fn writes(node: &Node, path: &str, end: SimTime) -> Result<WriteStream> {
    let f = Fields::new(node, path, "a stream of writes", WRITES_KEYS)?;
    Ok(WriteStream {
        rate: rate(&f, "rate", None)?,
        keys: whole(&f, "keys", KEYS, 1)?,
        first_key: whole(&f, "first_key", KEY, 0)?,
        from: time(&f, "from", SimTime::ZERO)?,
        until: time(&f, "until", end)?,
    })
}

fn reads(node: &Node, path: &str, end: SimTime) -> Result<RandomReads> {
    let f = Fields::new(node, path, "random reads", WRITES_KEYS)?;
    Ok(RandomReads {
        rate: rate(&f, "rate", None)?,
        keys: whole(&f, "keys", KEYS, 1)?,
        first_key: whole(&f, "first_key", KEY, 0)?,
        from: time(&f, "from", SimTime::ZERO)?,
        until: time(&f, "until", end)?,
    })
}

fn conflicts(node: &Node, path: &str) -> Result<ConflictingWrites> {
    let f = Fields::new(node, path, "conflicting writes", CONFLICTS_KEYS)?;
    Ok(ConflictingWrites {
        at: time(&f, "at", SimTime::ZERO)?,
        keys: whole(&f, "keys", KEYS, 1)?,
        first_key: whole(&f, "first_key", KEY, 0)?,
        writers: whole(
            &f,
            "writers",
            "writers per key, a whole number (at least 2)",
            2,
        )?,
        spread: span(&f, "spread", SimDuration::ZERO)?,
        bursts: whole(
            &f,
            "bursts",
            "how many bursts, a whole number (at least 1)",
            1,
        )?,
        every: span(&f, "every", SimDuration::from_secs(1))?,
    })
}

fn ramp(node: &Node, path: &str) -> Result<RateRamp> {
    let f = Fields::new(node, path, "a rate ramp", RAMP_KEYS)?;
    Ok(RateRamp {
        from: rate(&f, "from", None)?,
        to: rate(&f, "to", None)?,
        steps: whole(
            &f,
            "steps",
            "how many steps, a whole number (at least 2)",
            5,
        )?,
        step_for: span(&f, "step_for", SimDuration::from_secs(5))?,
        start: time(&f, "start", SimTime::ZERO)?,
        keys: whole(&f, "keys", KEYS, 100)?,
        first_key: whole(&f, "first_key", KEY, 0)?,
    })
}
