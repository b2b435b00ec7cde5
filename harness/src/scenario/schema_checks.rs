//! The checks of a scenario file beyond `convergence` and `residue`:
//!
//! ```yaml
//! checks:
//!   no_lost_writes: {}                    # default scope: strategies that promise delivery
//!   no_phantoms: {}
//!   monotonic_versions: { strategies: [anti-entropy] }
//!   conflict_resolution: {}
//!   bounds: { t_last: 5s, msgs_per_node: 100, stable_latency: { p99: 2s } }
//!   expect_failure: [no_lost_writes]       # the bug zoo: this scenario must fail that check
//! ```

use super::model::{BoundsCheck, CHECK_NAMES, Checks, ScopedCheck};
use super::reading::{Fields, Result, duration, fail, item, list, number, string};
use super::tree::{Node, Value};

/// The keys this module reads inside `checks:`.
pub(super) const MORE_CHECK_KEYS: &[&str] = &[
    "no_lost_writes",
    "no_phantoms",
    "monotonic_versions",
    "conflict_resolution",
    "bounds",
    "expect_failure",
];
const SCOPED_KEYS: &[&str] = &["strategies"];
const BOUNDS_KEYS: &[&str] = &["t_last", "msgs_per_node", "stable_latency", "strategies"];

/// Reads the checks this module owns from the `checks:` map into `checks`.
pub(super) fn more_checks(f: &Fields<'_>, checks: &mut Checks) -> Result<()> {
    for (name, slot) in [
        ("no_lost_writes", &mut checks.no_lost_writes),
        ("no_phantoms", &mut checks.no_phantoms),
        ("monotonic_versions", &mut checks.monotonic_versions),
        ("conflict_resolution", &mut checks.conflict_resolution),
    ] {
        if let Some(n) = f.get(name) {
            *slot = Some(scoped(n, &f.path_of(name))?);
        }
    }
    if let Some(n) = f.get("bounds") {
        checks.bounds = Some(bounds(n, &f.path_of("bounds"))?);
    }
    if let Some(n) = f.get("expect_failure") {
        let path = f.path_of("expect_failure");
        const NAMES: &str = "a list of check names, like [no_lost_writes]";
        for (i, n) in list(n, &path, NAMES)?.iter().enumerate() {
            let name = string(n, &item(&path, i), "a check name")?;
            if !CHECK_NAMES.contains(&name.as_str()) {
                return fail(
                    n.pos,
                    &item(&path, i),
                    format!(
                        "unknown check `{name}`: expected one of {}",
                        CHECK_NAMES.join(", ")
                    ),
                );
            }
            checks.expect_failure.push(name);
        }
    }
    Ok(())
}

fn strategy_list(f: &Fields<'_>) -> Result<Option<Vec<String>>> {
    let Some(n) = f.get("strategies") else {
        return Ok(None);
    };
    let path = f.path_of("strategies");
    list(n, &path, "a list of strategy names")?
        .iter()
        .enumerate()
        .map(|(i, n)| string(n, &item(&path, i), "a strategy name"))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn scoped(node: &Node, path: &str) -> Result<ScopedCheck> {
    if node.value == Value::Null {
        return Ok(ScopedCheck::default());
    }
    let f = Fields::new(node, path, "the check's settings", SCOPED_KEYS)?;
    Ok(ScopedCheck {
        strategies: strategy_list(&f)?,
    })
}

fn bounds(node: &Node, path: &str) -> Result<BoundsCheck> {
    let f = Fields::new(node, path, "the bounds", BOUNDS_KEYS)?;
    let mut b = BoundsCheck {
        strategies: strategy_list(&f)?,
        ..BoundsCheck::default()
    };
    if let Some(n) = f.get("t_last") {
        b.t_last = Some(duration(n, &f.path_of("t_last"))?);
    }
    if let Some(n) = f.get("msgs_per_node") {
        const MSGS: &str = "the most messages per node, a number";
        let v = number(n, &f.path_of("msgs_per_node"), MSGS)?;
        if v < 0.0 {
            return fail(
                n.pos,
                &f.path_of("msgs_per_node"),
                format!("must not be negative, got {v}"),
            );
        }
        b.msgs_per_node = Some(v);
    }
    if let Some(n) = f.get("stable_latency") {
        let path = f.path_of("stable_latency");
        const PCTS: &[&str] = &["p50", "p90", "p95", "p99", "p999", "max"];
        let g = Fields::new(n, &path, "a stable-latency bound like `{ p99: 2s }`", PCTS)?;
        let chosen = g.exactly_one(PCTS, "percentile")?;
        let p = match chosen.name {
            "p50" => 50.0,
            "p90" => 90.0,
            "p95" => 95.0,
            "p99" => 99.0,
            "p999" => 99.9,
            _ => 100.0,
        };
        b.stable_latency = Some((p, duration(chosen.value, &g.path_of(chosen.name))?));
    }
    Ok(b)
}
