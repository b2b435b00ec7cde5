//! `hearsay replay`: one strategy and seed again, with its full trace, checked against the
//! stored (or given) fingerprint, printed with filters.

use crate::common;
use crate::{TraceFormat, UsageError};
use anyhow::{Context as _, Result, bail};
use hearsay_harness::RunOptions;
use hearsay_harness::emulator::{SendOutcome, TraceEvent};
use hearsay_harness::history::History;
use hearsay_harness::scenario::Scenario;
use hearsay_protocols::{SimDuration, SimTime};
use hearsay_reports::{ScenarioResult, Verdict};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

pub(crate) struct ReplayArgs {
    pub(crate) source: PathBuf,
    pub(crate) strategy: Option<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) expect_fingerprint: Option<String>,
    pub(crate) filter: Filter,
    pub(crate) limit: Option<usize>,
    pub(crate) format: TraceFormat,
}

/// Which events to print; every given condition must hold.
pub(crate) struct Filter {
    pub(crate) nodes: Vec<u32>,
    pub(crate) from: Option<SimDuration>,
    pub(crate) to: Option<SimDuration>,
    pub(crate) key: Option<u64>,
    pub(crate) kinds: Vec<String>,
}

/// One printable line of the replay: a trace event or a history record.
struct Line {
    at: SimTime,
    kind: &'static str,
    /// The message kind, for sends and deliveries.
    message: Option<&'static str>,
    nodes: Vec<u32>,
    key: Option<u64>,
    text: String,
    json: serde_json::Value,
}

impl Filter {
    fn keeps(&self, l: &Line) -> bool {
        if self.from.is_some_and(|f| l.at.as_nanos() < f.as_nanos())
            || self.to.is_some_and(|t| l.at.as_nanos() > t.as_nanos())
        {
            return false;
        }
        if !self.kinds.is_empty()
            && !self
                .kinds
                .iter()
                .any(|k| k == l.kind || Some(k.as_str()) == l.message)
        {
            return false;
        }
        // Faults are global: they stay as context under node and key filters.
        if l.kind == "fault" {
            return true;
        }
        if !self.nodes.is_empty() && !l.nodes.iter().any(|n| self.nodes.contains(n)) {
            return false;
        }
        if let Some(k) = self.key
            && l.key != Some(k)
        {
            return false;
        }
        true
    }
}

/// Where the run to replay comes from.
struct Source {
    scenario: Scenario,
    /// The scenario file to name in commands.
    scenario_path: PathBuf,
    /// The stored results, when replaying from a store folder.
    stored: Option<ScenarioResult>,
}

fn load_source(path: &std::path::Path) -> Result<Source> {
    if path.is_dir() {
        let dir =
            hearsay_reports::store::resolve_run_dir(path).map_err(|e| UsageError(e.to_string()))?;
        let scenario_path = dir.join("scenario.yaml");
        let scenario = common::load(&scenario_path)?;
        let text = std::fs::read_to_string(dir.join("results.json"))
            .with_context(|| format!("reading {}", dir.join("results.json").display()))?;
        let stored = ScenarioResult::from_json(&text)
            .map_err(|e| UsageError(format!("{}: {e}", dir.join("results.json").display())))?;
        Ok(Source {
            scenario,
            scenario_path,
            stored: Some(stored),
        })
    } else {
        Ok(Source {
            scenario: common::load(path)?,
            scenario_path: path.to_path_buf(),
            stored: None,
        })
    }
}

pub(crate) fn replay(args: ReplayArgs) -> Result<ExitCode> {
    let source = load_source(&args.source)?;
    let scenario = &source.scenario;
    // Which run: as asked; else the first failing stored run; else the only one.
    let stored_pick = source.stored.as_ref().and_then(|r| {
        r.runs
            .iter()
            .filter(|run| args.strategy.as_ref().is_none_or(|s| *s == run.strategy))
            .filter(|run| args.seed.is_none_or(|s| s == run.seed))
            .find(|run| !run.passed())
            .or_else(|| {
                r.runs.iter().find(|run| {
                    args.strategy.as_ref().is_none_or(|s| *s == run.strategy)
                        && args.seed.is_none_or(|s| s == run.seed)
                })
            })
            .cloned()
    });
    let strategy_name = match (&args.strategy, &stored_pick) {
        (Some(s), _) => s.clone(),
        (None, Some(r)) => r.strategy.clone(),
        (None, None) if scenario.strategies.len() == 1 => scenario.strategies[0].name.clone(),
        (None, None) => bail!(UsageError(format!(
            "which strategy? pass --strategy, one of: {}",
            scenario
                .strategies
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    };
    let seed = match (args.seed, &stored_pick) {
        (Some(s), _) => s,
        (None, Some(r)) => r.seed,
        (None, None) if scenario.seeds.len() == 1 => scenario.seeds[0],
        (None, None) => bail!(UsageError(format!(
            "which seed? pass --seed (the scenario runs {} seeds)",
            scenario.seeds.len()
        ))),
    };
    let strategy = scenario
        .strategies
        .iter()
        .find(|s| s.name == strategy_name)
        .ok_or_else(|| {
            UsageError(format!(
                "the scenario has no strategy `{strategy_name}`; it has: {}",
                scenario
                    .strategies
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let expected = match &args.expect_fingerprint {
        Some(hex) => Some(normalize_fingerprint(hex)?),
        None => stored_pick
            .as_ref()
            .filter(|r| r.strategy == strategy_name && r.seed == seed)
            .map(|r| r.fingerprint.clone()),
    };

    let (result, output) = hearsay_harness::run_one(
        scenario,
        strategy,
        seed,
        RunOptions {
            record_trace: true,
            sequential: true,
        },
    );
    let trace = output.trace.as_deref().unwrap_or(&[]);
    let mut lines: Vec<Line> = trace.iter().map(trace_line).collect();
    lines.extend(history_lines(&output.history));
    // Stable: at equal times, the trace's events come before the records they caused.
    lines.sort_by_key(|l| l.at);

    let mut out = String::new();
    let mut shown = 0usize;
    let mut matched = 0usize;
    for l in lines.iter().filter(|l| args.filter.keeps(l)) {
        matched += 1;
        if args.limit.is_some_and(|n| shown >= n) {
            continue;
        }
        shown += 1;
        match args.format {
            TraceFormat::Text => {
                let _ = writeln!(
                    out,
                    "{:>14}  {:<8} {}",
                    format!("{:.6}s", l.at.as_secs_f64()),
                    l.kind,
                    l.text
                );
            }
            TraceFormat::Json => {
                let _ = writeln!(out, "{}", l.json);
            }
        }
    }
    if matched > shown {
        let _ = writeln!(out, "… {} more events (raise --limit)", matched - shown);
    }
    common::print_out(&out);

    eprintln!(
        "replayed {} seed {} of {} ({}): {} events, {} shown",
        strategy_name,
        seed,
        scenario.name,
        source.scenario_path.display(),
        output.events,
        shown
    );
    for c in &result.checks {
        let verdict = match c.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "n/a",
        };
        eprintln!("  check {}: {verdict}: {}", c.name, c.detail);
    }
    match expected {
        Some(fp) if fp == result.fingerprint => {
            eprintln!(
                "trace fingerprint 0x{} matches: the run reproduced byte for byte",
                result.fingerprint
            );
        }
        Some(fp) => {
            eprintln!(
                "error: trace fingerprint 0x{} differs from the expected 0x{fp}: the run did not reproduce (did the code or the scenario change?)",
                result.fingerprint
            );
            return Ok(ExitCode::from(1));
        }
        None => eprintln!("trace fingerprint 0x{}", result.fingerprint),
    }
    Ok(if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `0xA132…` or `a132…` → 16 lowercase hex digits.
fn normalize_fingerprint(hex: &str) -> Result<String> {
    let h = hex
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .to_ascii_lowercase();
    if h.len() != 16 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!(UsageError(format!(
            "--expect-fingerprint `{hex}`: expected 16 hex digits, like 0xac64c0653e491e8c"
        )));
    }
    Ok(h)
}

fn trace_line(e: &TraceEvent) -> Line {
    let json = serde_json::to_value(e).expect("events serialize");
    let (kind, message, nodes, text) = match e {
        TraceEvent::Send {
            from,
            to,
            kind,
            bytes,
            outcome,
            ..
        } => {
            let what = match outcome {
                SendOutcome::InFlight => "in flight",
                SendOutcome::Lost => "LOST",
                SendOutcome::Partitioned => "PARTITIONED",
            };
            (
                "send",
                Some(*kind),
                vec![from.0, to.0],
                format!("{from} → {to}  {kind} {bytes}B {what}"),
            )
        }
        TraceEvent::Deliver { from, to, kind, .. } => (
            "deliver",
            Some(*kind),
            vec![from.0, to.0],
            format!("{from} → {to}  {kind}"),
        ),
        TraceEvent::DropCrashed { from, to, .. } => (
            "drop",
            None,
            vec![from.0, to.0],
            format!("{from} → {to}  dropped: {to} is crashed"),
        ),
        TraceEvent::Dropped { from, to, why, .. } => (
            "drop",
            None,
            vec![from.0, to.0],
            format!("{from} → {to}  dropped: {why}"),
        ),
        TraceEvent::Timer { node, .. } => ("timer", None, vec![node.0], format!("{node}")),
        TraceEvent::Fault { what, .. } => ("fault", None, Vec::new(), what.clone()),
        TraceEvent::Client { node, ok, .. } => (
            "client",
            None,
            vec![node.0],
            format!(
                "{node} {}",
                if *ok {
                    "took the operation"
                } else {
                    "is down: the operation failed"
                }
            ),
        ),
    };
    Line {
        at: e.at(),
        kind,
        message,
        nodes,
        key: None,
        text,
        json,
    }
}

fn history_lines(h: &History) -> Vec<Line> {
    let mut out = Vec::new();
    for w in &h.writes {
        out.push(record_line(
            w,
            "write",
            w.at,
            w.node,
            w.key,
            format!(
                "{} key {} = {} {}",
                w.node,
                w.key,
                w.value,
                w.version
                    .map_or("FAILED (node down)".to_owned(), |v| format!(
                        "as version {v}"
                    ))
            ),
        ));
    }
    for r in &h.reads {
        out.push(record_line(
            r,
            "read",
            r.at,
            r.node,
            r.key,
            format!(
                "{} key {} → {}",
                r.node,
                r.key,
                match (r.ok, r.value) {
                    (false, _) => "FAILED (node down)".to_owned(),
                    (true, None) => "missing".to_owned(),
                    (true, Some(v)) => format!("{} (version {})", v.value, v.version),
                }
            ),
        ));
    }
    for l in &h.learned {
        out.push(record_line(
            &l,
            "learned",
            l.at,
            l.node,
            l.key,
            format!("{} holds key {} at version {}", l.node, l.key, l.version),
        ));
    }
    out
}

/// A history record as a trace line, its JSON tagged with the kind of event.
fn record_line<T: serde::Serialize>(
    record: &T,
    kind: &'static str,
    at: SimTime,
    node: hearsay_protocols::NodeId,
    key: u64,
    text: String,
) -> Line {
    let mut json = serde_json::to_value(record).expect("records serialize");
    json["event"] = kind.into();
    Line {
        at,
        kind,
        message: None,
        nodes: vec![node.0],
        key: Some(key),
        text,
        json,
    }
}
