//! The results store: one folder per run of a scenario, never overwritten.
//!
//! ```text
//! store/<scenario>/<UTC timestamp>[-N]/   results.json, report.md, report.html, *.svg,
//!                                         scenario.yaml, history/, trace/ (written by the CLI)
//! store/<scenario>/latest                 → the newest folder (a symlink; a text file naming
//!                                           it where symlinks are not available)
//! ```
//!
//! Folder names are UTC times with colons replaced (`2026-05-01T12-30-05Z`) so they sort in
//! time order and are valid on every file system; a second run within the same second gets a
//! `-2`, `-3`, … suffix. A folder is created with `create_dir`, which fails if it exists, so two
//! processes can never share (and overwrite) one.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::ScenarioResult;
use crate::plots::scenario_plots;

/// The name of the pointer to the newest run of a scenario.
pub const LATEST: &str = "latest";

/// `2026-05-01T12-30-05Z`: the UTC time of `now`, safe as a file name, sorting in time order.
pub fn timestamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month, day of the `days`-th day after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A scenario name made safe as one path component: letters, digits, `.`, `_` and `-` kept,
/// anything else becomes `-`.
pub fn folder_name(scenario: &str) -> String {
    let s: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('.');
    if s.is_empty() {
        "scenario".to_owned()
    } else {
        s.to_owned()
    }
}

/// Creates a fresh folder `root/<scenario>/<timestamp>[-N]/` and returns its path. Never
/// returns a folder that existed before.
pub fn create_run_dir(root: &Path, scenario: &str, now: SystemTime) -> io::Result<PathBuf> {
    let parent = root.join(folder_name(scenario));
    std::fs::create_dir_all(&parent)?;
    let stamp = timestamp(now);
    for n in 1u32.. {
        let name = if n == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("u32 suffixes exhausted")
}

/// Points `<dir's parent>/latest` at `dir` (replacing any previous pointer atomically).
pub fn point_latest(dir: &Path) -> io::Result<()> {
    let parent = dir
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "run folder has no parent"))?;
    let name = dir
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "run folder has no name"))?;
    let tmp = parent.join(format!(".{LATEST}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(name, &tmp)?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, name.to_string_lossy().as_bytes())?;
    std::fs::rename(&tmp, parent.join(LATEST))
}

/// The run folder a user named: a folder holding `results.json`, or a scenario's folder (or
/// its `latest`), resolved to the newest run.
pub fn resolve_run_dir(path: &Path) -> io::Result<PathBuf> {
    if path.join("results.json").is_file() {
        return Ok(path.to_path_buf());
    }
    let latest = if path.file_name().is_some_and(|n| n == LATEST) {
        path.to_path_buf()
    } else {
        path.join(LATEST)
    };
    let meta = std::fs::symlink_metadata(&latest);
    let target = match meta {
        Ok(m) if m.is_file() => {
            let name = std::fs::read_to_string(&latest)?;
            latest.with_file_name(name.trim())
        }
        Ok(_) => latest.clone(),
        Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} is not a results folder: it has no results.json and no `{LATEST}`",
                    path.display()
                ),
            ));
        }
    };
    if target.join("results.json").is_file() {
        Ok(target)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} has no results.json", target.display()),
        ))
    }
}

/// Writes the report files of `result` into `dir`: `results.json`, `report.md`,
/// `report.html` and one SVG per plot. Returns the paths written.
pub fn write_report(dir: &Path, result: &ScenarioResult) -> io::Result<Vec<PathBuf>> {
    let plots = scenario_plots(result);
    let mut written = Vec::new();
    let mut put = |name: &str, text: &str| -> io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
        Ok(())
    };
    put("results.json", &result.to_json())?;
    let links: Vec<crate::markdown::PlotLink> = plots
        .iter()
        .map(|p| crate::markdown::PlotLink {
            title: p.title.clone(),
            file: format!("{}.svg", p.name),
        })
        .collect();
    put(
        "report.md",
        &crate::markdown::render_markdown(result, &links),
    )?;
    put("report.html", &crate::html::render_html(result, &plots))?;
    for p in &plots {
        put(
            &format!("{}.svg", p.name),
            &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}", p.svg),
        )?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_and_file_safe() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00-00-00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_777_638_605); // 2026-05-01 12:30:05 UTC
        assert_eq!(timestamp(t), "2026-05-01T12-30-05Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00-00-00Z");
    }

    #[test]
    fn folder_names_are_one_safe_component() {
        assert_eq!(folder_name("quick start/../x"), "quick-start-..-x");
        assert_eq!(folder_name(".."), "scenario");
        assert_eq!(folder_name("fault-drill_2"), "fault-drill_2");
    }

    #[test]
    fn never_overwrites_and_latest_follows() {
        let root = std::env::temp_dir().join(format!("hearsay-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let now = UNIX_EPOCH + Duration::from_secs(1_777_638_605);
        let a = create_run_dir(&root, "demo", now).unwrap();
        let b = create_run_dir(&root, "demo", now).unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("demo/2026-05-01T12-30-05Z-2"));
        std::fs::write(a.join("results.json"), "{}").unwrap();
        std::fs::write(b.join("results.json"), "{}").unwrap();
        point_latest(&a).unwrap();
        point_latest(&b).unwrap();
        let resolved = resolve_run_dir(&root.join("demo")).unwrap();
        assert_eq!(
            std::fs::canonicalize(resolved).unwrap(),
            std::fs::canonicalize(&b).unwrap()
        );
        assert!(resolve_run_dir(&root).is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
