//! Loading scenarios from YAML, with errors that name the file, line and column.
//!
//! Four steps, each pointing its errors at the text: `tree` parses the YAML (serde-saphyr)
//! into values that know their position; `schema` reads the scenario's keys and types from
//! it; `Scenario::validate` checks the rules between values, its field path located through a
//! `SourceMap`; and `FaultSchedule::new` checks the faults against the cluster, its fault
//! index traced back to the item written in `faults:`.

use super::model::Scenario;
use super::schema::{self, FaultOrigin};
use super::source_map::SourceMap;
use super::tree::{self, Pos};
use hearsay_faults::{FaultError, FaultSchedule};
use std::path::{Path, PathBuf};

/// Why a scenario file could not be loaded. Displays as `FILE:LINE:COLUMN: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when the error has a place in the file.
    pub location: Option<(usize, usize)>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl LoadError {
    fn at(file: &Path, pos: Pos, message: impl Into<String>) -> Self {
        LoadError {
            file: file.to_path_buf(),
            location: Some((pos.line, pos.column)),
            message: message.into(),
        }
    }
}

/// Reads and validates the scenario file at `path`.
pub fn load_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        file: path.to_path_buf(),
        location: None,
        message: format!("cannot read scenario: {e}"),
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let bad = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
        LoadError::at(
            path,
            end_of(valid),
            format!("invalid byte 0x{bad:02x}: expected UTF-8 text"),
        )
    })?;
    parse_scenario(text, path)
}

/// The position just after `valid` (a prefix of the file that is valid UTF-8).
fn end_of(valid: &[u8]) -> Pos {
    let text = String::from_utf8_lossy(valid);
    let (line, last) = match text.rsplit_once('\n') {
        Some((before, last)) => (before.matches('\n').count() + 2, last),
        None => (1, text.as_ref()),
    };
    Pos {
        line,
        column: last.chars().count() + 1,
    }
}

/// Parses and validates scenario text; `file` is only used in error messages.
pub fn parse_scenario(text: &str, file: &Path) -> Result<Scenario, LoadError> {
    let root = tree::parse(text).map_err(|e| {
        LoadError::at(
            file,
            e.pos.unwrap_or(Pos::START),
            format!("invalid YAML: {}", e.message),
        )
    })?;
    let draft = schema::read(&root).map_err(|e| LoadError::at(file, e.pos, e.message))?;
    let mut scenario = draft.scenario;
    scenario.validate().map_err(|e| {
        let map = SourceMap::build(&root);
        let path = map.file_path(&e.path);
        LoadError::at(file, map.locate(&path), format!("{path}: {}", e.message))
    })?;
    if !draft.faults.is_empty() {
        scenario.faults = FaultSchedule::new(draft.faults, scenario.nodes).map_err(|e| {
            let (pos, message) = locate_fault_error(&e, &draft.origins);
            LoadError::at(file, pos, message)
        })?;
    }
    if let Some(nemesis) = draft.nemesis {
        scenario.faults = std::mem::take(&mut scenario.faults)
            .with_nemesis(nemesis, scenario.nodes)
            .map_err(|e| {
                let map = SourceMap::build(&root);
                let path = match &e {
                    FaultError::Nemesis { field, .. } => format!("nemesis.{field}"),
                    _ => "nemesis".to_string(),
                };
                LoadError::at(file, map.locate(&path), e.to_string())
            })?;
    }
    Ok(scenario)
}

/// Where a fault-schedule error belongs in the text, and its message in terms of the written
/// `faults:` list (the schedule numbers faults after `for:` has added the undoing ones).
fn locate_fault_error(e: &FaultError, origins: &[FaultOrigin]) -> (Pos, String) {
    let Some(index) = e.index() else {
        return (Pos::START, e.to_string());
    };
    // The error's own text starts `fault N: `, with N counted after `for:` added the undoing
    // actions; the message names the written item instead.
    let text = e.to_string();
    let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
    let Some(origin) = origins.get(index) else {
        return (Pos::START, format!("faults: {detail}"));
    };
    let path = format!("faults[{}]", origin.item);
    if let Some(for_pos) = origin.added_by_for {
        return (
            for_pos,
            format!("{path}.for: {detail} (scheduled by this `for`)"),
        );
    }
    match e {
        FaultError::UnknownNode { node, .. } | FaultError::Contradiction { node, .. } => {
            let pos = origin
                .nodes
                .iter()
                .find(|(id, _)| id == node)
                .map_or(origin.action, |(_, pos)| *pos);
            (pos, format!("{path}: {detail}"))
        }
        FaultError::NoNodes { .. } => (
            origin.action,
            format!("{path}: {detail}: expected at least one node id"),
        ),
        FaultError::Invalid { field, .. } => {
            let pos = origin
                .fields
                .iter()
                .find(|(f, _)| f == field)
                .map_or(origin.action, |(_, pos)| *pos);
            (pos, format!("{path}: {detail}"))
        }
        FaultError::NothingToHeal { .. }
        | FaultError::PartitionInForce { .. }
        | FaultError::AlreadyInForce { .. }
        | FaultError::Nemesis { .. } => (origin.pos, format!("{path}: {detail}")),
    }
}
