//! Loading scenarios from YAML, with errors that name the file, line and column.
//! (Implementation pending: owned by the scenario helper.)

use super::model::Scenario;
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

/// Reads and validates the scenario file at `path`.
pub fn load_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: path.to_path_buf(),
        location: None,
        message: format!("cannot read scenario: {e}"),
    })?;
    parse_scenario(&text, path)
}

/// Parses and validates scenario text; `file` is only used in error messages.
pub fn parse_scenario(_text: &str, file: &Path) -> Result<Scenario, LoadError> {
    Err(LoadError {
        file: file.to_path_buf(),
        location: None,
        message: "YAML loading is not implemented yet".into(),
    })
}
