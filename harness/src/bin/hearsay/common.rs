//! What the subcommands share: loading scenarios as usage errors, the progress bar, the results
//! store folder with its history and trace files, and the replay command line.

use crate::{SeedArgs, StoreArgs, UsageError};
use anyhow::{Context as _, Result};
use hearsay_harness::emulator::RunOutput;
use hearsay_harness::scenario::{Scenario, to_yaml};
use hearsay_harness::{RunOptions, load_scenario, run_scenario_each};
use hearsay_protocols::{Key, NodeId, SimTime, Value, Version, Versioned};
use hearsay_reports::{RunResult, ScenarioResult};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Loads a scenario; any failure is the user's (exit 2).
pub(crate) fn load(path: &Path) -> Result<Scenario> {
    Ok(load_scenario(path).map_err(|e| UsageError(e.to_string()))?)
}

/// Applies `--seed`/`--seeds`.
pub(crate) fn apply_seeds(scenario: &mut Scenario, seeds: &SeedArgs) {
    if let Some(s) = seeds.seed {
        scenario.seeds = vec![s];
    } else if let Some(r) = &seeds.seeds {
        scenario.seeds = r.clone().collect();
    }
}

/// A progress bar on stderr that appears only once the work has taken a second, and only
/// when stderr is a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
    done: Option<mpsc::Sender<()>>,
    shower: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub(crate) fn new(total: u64, what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} runs · {elapsed} · eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(what.to_owned());
        let (done, shower) = if std::io::stderr().is_terminal() {
            let (tx, rx) = mpsc::channel::<()>();
            let b = bar.clone();
            let handle = std::thread::spawn(move || {
                if rx.recv_timeout(Duration::from_secs(1)) == Err(mpsc::RecvTimeoutError::Timeout) {
                    b.set_draw_target(ProgressDrawTarget::stderr());
                    b.enable_steady_tick(Duration::from_millis(200));
                }
            });
            (Some(tx), Some(handle))
        } else {
            (None, None)
        };
        Progress { bar, done, shower }
    }

    pub(crate) fn inc(&self) {
        self.bar.inc(1);
    }

    pub(crate) fn finish(mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.shower.take() {
            let _ = h.join();
        }
        self.bar.finish_and_clear();
    }
}

/// A fresh folder in the results store, with the scenario as run.
pub(crate) struct StoreDir {
    pub(crate) path: PathBuf,
}

impl StoreDir {
    /// Creates `STORE/<name>/<timestamp>/` (never an existing folder).
    pub(crate) fn create(args: &StoreArgs, name: &str) -> Result<Option<StoreDir>> {
        if args.no_store {
            return Ok(None);
        }
        let path =
            hearsay_reports::store::create_run_dir(&args.store, name, std::time::SystemTime::now())
                .with_context(|| {
                    format!(
                        "creating a folder in the results store {}",
                        args.store.display()
                    )
                })?;
        Ok(Some(StoreDir { path }))
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> Result<PathBuf> {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
        Ok(p)
    }

    /// Points `latest` here.
    pub(crate) fn finish(&self) -> Result<()> {
        hearsay_reports::store::point_latest(&self.path)
            .with_context(|| format!("pointing `latest` at {}", self.path.display()))
    }
}

/// `rumor-seed3`: the file stem of one run's history and trace.
pub(crate) fn run_file_stem(strategy: &str, seed: u64) -> String {
    format!(
        "{}-seed{seed}",
        hearsay_reports::store::folder_name(strategy)
    )
}

/// Writes a run's history as JSON lines: a `run` header, then every `write`, `read` and
/// `learned` record in order, then an `end` line with the rest (traffic, counters, the final
/// state of every node).
///
/// Records go out as typed lines, not as a JSON value each (whose map cost more than the rest
/// of a write-stream run); their fields are declared in alphabetical order, the order a JSON
/// value prints them in, so the file is the same either way.
pub(crate) fn history_jsonl(result: &RunResult, output: &RunOutput) -> String {
    let h = &output.history;
    // About 100 bytes per learned record, which dominate.
    let mut out: Vec<u8> = Vec::with_capacity(h.learned.len() * 100 + (1 << 16));
    fn push<T: serde::Serialize>(out: &mut Vec<u8>, line: &T) {
        serde_json::to_writer(&mut *out, line).expect("records serialize");
        out.push(b'\n');
    }
    push(
        &mut out,
        &serde_json::json!({
            "type": "run",
            "strategy": result.strategy,
            "seed": result.seed,
            "nodes": h.nodes,
            "fingerprint": result.fingerprint,
            "events": output.events,
        }),
    );
    for w in &h.writes {
        push(
            &mut out,
            &WriteLine {
                at: w.at,
                key: w.key,
                node: w.node,
                r#type: "write",
                value: w.value,
                version: w.version,
            },
        );
    }
    for r in &h.reads {
        push(
            &mut out,
            &ReadLine {
                at: r.at,
                key: r.key,
                node: r.node,
                ok: r.ok,
                r#type: "read",
                value: r.value,
            },
        );
    }
    for l in &h.learned {
        push(
            &mut out,
            &LearnedLine {
                at: l.at,
                key: l.key,
                node: l.node,
                r#type: "learned",
                value: l.value,
                version: l.version,
            },
        );
    }
    push(
        &mut out,
        &serde_json::json!({
            "type": "end",
            "end": h.end,
            "redundant": h.redundant,
            "counters": h.counters,
            "traffic": h.traffic,
            "converged_since": h.converged_since,
            "alive_at_end": h.alive_at_end,
            "fingerprints_at_end": h.fingerprints_at_end,
            "holders_at_end": h.holders_at_end,
            "sends_over_time": h.sends_over_time,
        }),
    );
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// A `write` line of a stored history.
#[derive(serde::Serialize)]
struct WriteLine {
    at: SimTime,
    key: Key,
    node: NodeId,
    r#type: &'static str,
    value: Value,
    version: Option<Version>,
}

/// A `read` line of a stored history.
#[derive(serde::Serialize)]
struct ReadLine {
    at: SimTime,
    key: Key,
    node: NodeId,
    ok: bool,
    r#type: &'static str,
    value: Option<Versioned>,
}

/// A `learned` line of a stored history.
#[derive(serde::Serialize)]
struct LearnedLine {
    at: SimTime,
    key: Key,
    node: NodeId,
    r#type: &'static str,
    value: Value,
    version: Version,
}

/// A trace as JSON lines, one event each.
pub(crate) fn trace_jsonl(output: &RunOutput) -> Option<String> {
    let trace = output.trace.as_ref()?;
    let mut out = String::with_capacity(trace.len() * 80);
    for e in trace {
        out.push_str(&serde_json::to_string(e).expect("events serialize"));
        out.push('\n');
    }
    Some(out)
}

/// Runs a scenario with a progress bar, writing each run's history (and trace, if recorded)
/// into `store` as it finishes.
pub(crate) fn run_with_store(
    scenario: &Scenario,
    options: RunOptions,
    store: Option<&StoreDir>,
    what: &str,
) -> Result<ScenarioResult> {
    let progress = Progress::new(
        (scenario.strategies.len() * scenario.seeds.len()) as u64,
        what,
    );
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let on_run = |result: &RunResult, output: &RunOutput| {
        progress.inc();
        let Some(store) = store else { return };
        let stem = run_file_stem(&result.strategy, result.seed);
        let mut written = store.write(
            &format!("history/{stem}.jsonl"),
            &history_jsonl(result, output),
        );
        if written.is_ok()
            && let Some(trace) = trace_jsonl(output)
        {
            written = store.write(&format!("trace/{stem}.jsonl"), &trace);
        }
        if let Err(e) = written {
            first_error
                .lock()
                .expect("no panics while held")
                .get_or_insert(e);
        }
    };
    let result = run_scenario_each(scenario, options, &on_run);
    progress.finish();
    if let Some(e) = first_error.into_inner().expect("no panics while held") {
        return Err(e);
    }
    if let Some(store) = store {
        store.write("scenario.yaml", &scenario_file(scenario))?;
    }
    Ok(result)
}

/// The scenario as a file, with a header saying what it is.
pub(crate) fn scenario_file(scenario: &Scenario) -> String {
    format!(
        "# The scenario exactly as hearsay ran it (seeds and --set values applied).\n# Replay a run of it with: hearsay replay <this folder> --strategy NAME --seed N\n{}",
        to_yaml(scenario)
    )
}

/// Writes the report files and points `latest` at the folder; prints where on stderr.
pub(crate) fn store_report(store: &StoreDir, result: &ScenarioResult) -> Result<()> {
    hearsay_reports::store::write_report(&store.path, result)
        .with_context(|| format!("writing the report into {}", store.path.display()))?;
    store.finish()?;
    eprintln!(
        "results: {}  (report.html, report.md, results.json)",
        store.path.display()
    );
    Ok(())
}

/// The command that replays one run and checks its fingerprint.
pub(crate) fn replay_command(
    scenario: &Path,
    strategy: &str,
    seed: u64,
    fingerprint: &str,
) -> String {
    format!(
        "hearsay replay --seed {seed} --strategy {} {} --expect-fingerprint 0x{}",
        shell_word(strategy),
        shell_word(&scenario.display().to_string()),
        fingerprint.trim_start_matches("0x")
    )
}

/// A word as the shell should see it: quoted when it has anything but safe characters.
pub(crate) fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '+' | ',')
        })
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Prints to stdout, ignoring a closed pipe (`hearsay … | head`).
pub(crate) fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// How long since `started`, as `1.23s`.
pub(crate) fn elapsed(started: Instant) -> String {
    format!("{:.2}s", started.elapsed().as_secs_f64())
}
