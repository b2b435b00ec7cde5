//! Typed access to the YAML tree: mappings that admit only known keys, required and optional
//! keys, scalars of the expected type and range, lists, names from a fixed set, and
//! "exactly one of these keys". Every failure is a [`Located`] error: a position in the text
//! and a one-line message saying where (the field path), what was expected and what was found.

use super::tree::{Node, Pos, Value, clip};
use hearsay_protocols::SimDuration;

/// An error at a place in the scenario text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Located {
    /// Where.
    pub pos: Pos,
    /// What is wrong and what was expected, prefixed with the field path.
    pub message: String,
}

pub(super) type Result<T> = std::result::Result<T, Located>;

/// An error at `pos` about the field at `path` (empty for the document itself).
pub(super) fn fail<T>(pos: Pos, path: &str, message: impl std::fmt::Display) -> Result<T> {
    Err(Located {
        pos,
        message: if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        },
    })
}

/// The path of `key` under `parent`.
pub(super) fn child(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path of item `i` of the list at `parent`.
pub(super) fn item(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// `a, b, c` with backticks, for messages listing what is allowed.
pub(super) fn listing(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One key of a mapping, with both its own node and its value's.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry<'a> {
    /// The key's name.
    pub name: &'a str,
    /// The key itself (for errors about the key being there at all).
    pub key: &'a Node,
    /// Its value.
    pub value: &'a Node,
}

/// A mapping whose keys have all been checked against the allowed set.
#[derive(Debug)]
pub(super) struct Fields<'a> {
    /// The mapping's path.
    pub path: String,
    /// Where the mapping starts.
    pub pos: Pos,
    entries: Vec<Entry<'a>>,
}

impl<'a> Fields<'a> {
    /// Reads `node` at `path` as a mapping (of `what`, for messages) with keys from `allowed`.
    pub fn new(node: &'a Node, path: &str, what: &str, allowed: &[&str]) -> Result<Self> {
        let Value::Map(map) = &node.value else {
            return fail(
                node.pos,
                path,
                format!(
                    "expected {what}: a mapping with the keys {}, found {}",
                    listing(allowed),
                    node.value.describe()
                ),
            );
        };
        let mut entries = Vec::with_capacity(map.len());
        for (key, value) in map {
            let name = match &key.value {
                Value::Str(s) => s.as_str(),
                other => {
                    return fail(
                        key.pos,
                        path,
                        format!(
                            "expected a key name in {what} (one of {}), found {}",
                            listing(allowed),
                            other.describe()
                        ),
                    );
                }
            };
            if !allowed.contains(&name) {
                let unknown = if path.is_empty() {
                    format!("unknown top-level key `{}`", clip(name))
                } else {
                    format!("unknown key `{}` in {what}", clip(name))
                };
                return fail(
                    key.pos,
                    path,
                    format!("{unknown}; expected one of {}", listing(allowed)),
                );
            }
            entries.push(Entry { name, key, value });
        }
        Ok(Fields {
            path: path.to_string(),
            pos: node.pos,
            entries,
        })
    }

    /// The entry for `key` if it is written, even with an empty (null) value.
    pub fn entry(&self, key: &str) -> Option<Entry<'a>> {
        self.entries.iter().copied().find(|e| e.name == key)
    }

    /// The value of `key`, or `None` if it is absent or empty (null): an empty value means
    /// "the default", as if the key were not written.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entry(key)
            .map(|e| e.value)
            .filter(|v| !matches!(v.value, Value::Null))
    }

    /// The value of `key`, which must be written; `expected` says what it should be.
    pub fn required(&self, key: &str, expected: &str) -> Result<&'a Node> {
        match self.get(key) {
            Some(v) => Ok(v),
            None => match self.entry(key) {
                Some(e) => fail(
                    e.key.pos,
                    &self.path,
                    format!("`{key}` has no value: expected {expected}"),
                ),
                None => fail(
                    self.pos,
                    &self.path,
                    format!("missing required key `{key}`: expected {expected}"),
                ),
            },
        }
    }

    /// The path of `key` in this mapping.
    pub fn path_of(&self, key: &str) -> String {
        child(&self.path, key)
    }

    /// Exactly one of `keys` must be written (`what` names the choice in messages). A key
    /// written with an empty value counts as written.
    pub fn exactly_one(&self, keys: &[&str], what: &str) -> Result<Entry<'a>> {
        let mut found: Option<Entry<'a>> = None;
        for e in self.entries.iter().filter(|e| keys.contains(&e.name)) {
            if let Some(first) = found {
                return fail(
                    e.key.pos,
                    &self.path,
                    format!(
                        "both `{}` (line {}) and `{}` are given: expected exactly one {what}, \
                         one of {}",
                        first.name,
                        first.key.pos.line,
                        e.name,
                        listing(keys)
                    ),
                );
            }
            found = Some(*e);
        }
        match found {
            Some(e) => Ok(e),
            None => fail(
                self.pos,
                &self.path,
                format!("no {what} given: expected exactly one of {}", listing(keys)),
            ),
        }
    }
}

/// A string.
pub(super) fn string(node: &Node, path: &str, expected: &str) -> Result<String> {
    match &node.value {
        Value::Str(s) => Ok(s.clone()),
        other => fail(
            node.pos,
            path,
            format!("expected {expected}, found {}", other.describe()),
        ),
    }
}

/// An integer that fits `T` (the range is part of `expected`).
pub(super) fn integer<T: TryFrom<i128>>(node: &Node, path: &str, expected: &str) -> Result<T> {
    if let Value::Int(i) = node.value
        && let Ok(v) = T::try_from(i)
    {
        return Ok(v);
    }
    fail(
        node.pos,
        path,
        format!("expected {expected}, found {}", node.value.describe()),
    )
}

/// A number, integer or not.
pub(super) fn number(node: &Node, path: &str, expected: &str) -> Result<f64> {
    match node.value {
        Value::Int(i) => Ok(i as f64),
        Value::Float(f) => Ok(f),
        ref other => fail(
            node.pos,
            path,
            format!("expected {expected}, found {}", other.describe()),
        ),
    }
}

/// `true` or `false`.
pub(super) fn boolean(node: &Node, path: &str) -> Result<bool> {
    match node.value {
        Value::Bool(b) => Ok(b),
        ref other => fail(
            node.pos,
            path,
            format!("expected `true` or `false`, found {}", other.describe()),
        ),
    }
}

/// A duration written with a unit (`200ms`, `5s`, `1.5s`); a bare `0` is also accepted.
pub(super) fn duration(node: &Node, path: &str) -> Result<SimDuration> {
    match &node.value {
        Value::Str(s) => s
            .parse::<SimDuration>()
            .or_else(|e| fail(node.pos, path, e)),
        Value::Int(0) => Ok(SimDuration::ZERO),
        other => fail(
            node.pos,
            path,
            format!(
                "expected a duration with a unit, like `200ms`, `5s` or `1.5s`, found {}",
                other.describe()
            ),
        ),
    }
}

/// One of a fixed set of names (`what` names the set in messages, e.g. "removal rule").
pub(super) fn choice<T: Copy>(
    node: &Node,
    path: &str,
    what: &str,
    options: &[(&str, T)],
) -> Result<T> {
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    match &node.value {
        Value::Str(s) => match options.iter().find(|(n, _)| n == s) {
            Some((_, v)) => Ok(*v),
            None => fail(
                node.pos,
                path,
                format!(
                    "unknown {what} `{}`: expected one of {}",
                    clip(s),
                    listing(&names)
                ),
            ),
        },
        other => fail(
            node.pos,
            path,
            format!(
                "expected a {what}, one of {}, found {}",
                listing(&names),
                other.describe()
            ),
        ),
    }
}

/// A list.
pub(super) fn list<'a>(node: &'a Node, path: &str, expected: &str) -> Result<&'a [Node]> {
    match &node.value {
        Value::Seq(items) => Ok(items),
        other => fail(
            node.pos,
            path,
            format!("expected {expected}, found {}", other.describe()),
        ),
    }
}
