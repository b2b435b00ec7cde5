//! The `zoo:` protocol of a strategy: a deliberately broken variant for testing the checkers.
//!
//! ```yaml
//! strategies:
//!   - name: buggy
//!     zoo: { bug: accepts-older-versions, period: 500ms }
//! ```

use super::reading::{Fields, Result, choice, duration};
use super::tree::{Node, Value};
use hearsay_protocols::zoo::{Bug, ZooConfig};

const ZOO_KEYS: &[&str] = &["bug", "period"];

/// Every bug by its scenario-file name.
pub(crate) const BUGS: &[(&str, Bug)] = &[
    ("accepts-older-versions", Bug::AcceptsOlderVersions),
    ("tie-break-differs-by-node", Bug::TieBreakDiffersByNode),
    ("forgets-partition-writes", Bug::ForgetsPartitionWrites),
    ("no-retry-after-loss", Bug::NoRetryAfterLoss),
    ("merkle-skips-last-bucket", Bug::MerkleSkipsLastBucket),
    (
        "loses-acked-writes-on-restart",
        Bug::LosesAckedWritesOnRestart,
    ),
    ("corrupts-replied-values", Bug::CorruptsRepliedValues),
];

/// Reads a `zoo:` section (a map, or just the bug's name).
pub(super) fn zoo(node: &Node, path: &str) -> Result<ZooConfig> {
    let options = BUGS;
    if matches!(node.value, Value::Str(_)) {
        return Ok(ZooConfig::new(choice(node, path, "bug", options)?));
    }
    let f = Fields::new(node, path, "a broken protocol from the bug zoo", ZOO_KEYS)?;
    let bug = choice(
        f.required("bug", "which bug, e.g. `accepts-older-versions`")?,
        &f.path_of("bug"),
        "bug",
        options,
    )?;
    let mut c = ZooConfig::new(bug);
    if let Some(n) = f.get("period") {
        c.period = duration(n, &f.path_of("period"))?;
    }
    Ok(c)
}
