//! Where each value of a scenario file was written: an index from field paths
//! (`network.loss`, `strategies[1].rumor.k`, `checks.residue.strategies[0]`) to positions,
//! built by walking the parsed tree. [`Scenario::validate`](super::Scenario::validate) reports
//! a broken rule by the path of the field in the model; this index turns that path into the
//! place in the text, so semantic errors point at a line and column like syntax errors do.

use super::tree::{Node, Pos, Value};
use std::collections::BTreeMap;

/// Sections whose fields the model lifts one level up: the YAML `strategies[i].rumor.k` is
/// `strategies[i].k` in the model, where the protocol is a field of the strategy.
const FLATTENED: &[&str] = &["rumor", "anti_entropy", "direct_mail", "push_then_pull"];

/// Positions of every value in a document, by path.
#[derive(Debug)]
pub(super) struct SourceMap {
    paths: BTreeMap<String, Pos>,
    root: Pos,
}

impl SourceMap {
    /// Indexes every value under `root` (mapping keys that are not strings are skipped: the
    /// schema reader rejects them before this index is needed).
    pub fn build(root: &Node) -> Self {
        let mut paths = BTreeMap::new();
        index(root, String::new(), &mut paths);
        SourceMap {
            paths,
            root: root.pos,
        }
    }

    /// The path in the file for a model path: the same, except that a field the model
    /// flattens (`strategies[1].k`) gains its YAML section (`strategies[1].rumor.k`).
    pub fn file_path(&self, model_path: &str) -> String {
        if self.paths.contains_key(model_path) {
            return model_path.to_string();
        }
        if let Some((head, field)) = model_path.rsplit_once('.') {
            for section in FLATTENED {
                let candidate = format!("{head}.{section}");
                if self.paths.contains_key(&candidate) {
                    return format!("{candidate}.{field}");
                }
            }
        }
        model_path.to_string()
    }

    /// Where the value at `path` (a file path) is written; if it is not written (a default),
    /// where its nearest written ancestor is, and failing all else the document's start.
    pub fn locate(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.paths.get(p) {
                return *pos;
            }
            p = match parent(p) {
                Some(up) => up,
                None => return self.root,
            };
        }
    }
}

/// `a.b[2]` → `a.b` → `a` → none.
fn parent(path: &str) -> Option<&str> {
    if path.ends_with(']') {
        return path.rfind('[').map(|i| &path[..i]);
    }
    path.rfind('.').map(|i| &path[..i])
}

fn index(node: &Node, path: String, paths: &mut BTreeMap<String, Pos>) {
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                if let Value::Str(k) = &key.value {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    index(value, p, paths);
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                index(item, format!("{path}[{i}]"), paths);
            }
        }
        _ => {}
    }
    if !path.is_empty() {
        paths.insert(path, node.pos);
    }
}
