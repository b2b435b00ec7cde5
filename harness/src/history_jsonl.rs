//! A history as JSON lines: one self-describing record per line, written with the run and read
//! back to re-check it later.
//!
//! Client operations appear Jepsen-style as an `invoke` line followed by its `ok` or `fail`
//! line; observations, node events and checkpoints follow in time order; a `meta` line opens the
//! file (followed, for a preloaded run, by one `preloaded` line with the initial replica) and
//! per-node `node-end` lines close it.

use crate::history::{
    AppliedFault, Checkpoint, FinalState, History, LearnedRecord, NodeEvent, ReadRecord,
    WriteRecord,
};
use hearsay_protocols::{Key, NodeId, SimTime, Value, Version, Versioned};
use hearsay_reports::{SendSeries, TrafficCounts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Line {
    Meta {
        nodes: u32,
        end: SimTime,
        redundant: u64,
        traffic: TrafficCounts,
        converged_since: Option<SimTime>,
        counters: BTreeMap<String, u64>,
        final_states_truncated: bool,
        #[serde(default)]
        sends_over_time: SendSeries,
    },
    /// The replica every node started with: one line, since it is one fact.
    Preloaded {
        entries: Vec<(Key, Versioned)>,
    },
    Invoke {
        at: SimTime,
        node: NodeId,
        #[serde(flatten)]
        op: InvokedOp,
    },
    Ok {
        at: SimTime,
        node: NodeId,
        #[serde(flatten)]
        result: Completion,
    },
    Fail {
        at: SimTime,
        node: NodeId,
        reason: String,
    },
    Learned(LearnedRecord),
    Fault(AppliedFault),
    NodeEvent(NodeEvent),
    Checkpoint(Checkpoint),
    FinalState(FinalState),
    NodeEnd {
        node: NodeId,
        alive: bool,
        fingerprint: u64,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case")]
enum InvokedOp {
    Write { key: Key, value: Value },
    Read { key: Key },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Completion {
    Written {
        version: Version,
        holders_at_end: u32,
    },
    Read {
        value: Option<Versioned>,
    },
}

/// Why a history file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryReadError {
    /// Reading failed.
    #[error("reading the history: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not a history record.
    #[error("history line {line}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl History {
    /// Writes the history as JSON lines.
    pub fn write_jsonl<W: Write>(&self, mut out: W) -> std::io::Result<()> {
        let mut emit = |line: &Line| -> std::io::Result<()> {
            serde_json::to_writer(&mut out, line)?;
            out.write_all(b"\n")
        };
        emit(&Line::Meta {
            nodes: self.nodes,
            end: self.end,
            redundant: self.redundant,
            traffic: self.traffic,
            converged_since: self.converged_since,
            counters: self.counters.clone(),
            final_states_truncated: self.final_states_truncated,
            sends_over_time: self.sends_over_time.clone(),
        })?;
        if !self.preloaded.is_empty() {
            emit(&Line::Preloaded {
                entries: self.preloaded.clone(),
            })?;
        }
        // Operations in time order, writes before reads at equal times (a stable merge).
        let (mut w, mut r) = (0, 0);
        while w < self.writes.len() || r < self.reads.len() {
            let take_write = r >= self.reads.len()
                || (w < self.writes.len() && self.writes[w].at <= self.reads[r].at);
            if take_write {
                let rec = &self.writes[w];
                emit(&Line::Invoke {
                    at: rec.at,
                    node: rec.node,
                    op: InvokedOp::Write {
                        key: rec.key,
                        value: rec.value,
                    },
                })?;
                match rec.version {
                    Some(version) => emit(&Line::Ok {
                        at: rec.at,
                        node: rec.node,
                        result: Completion::Written {
                            version,
                            holders_at_end: self.holders_at_end.get(w).copied().unwrap_or(0),
                        },
                    })?,
                    None => emit(&Line::Fail {
                        at: rec.at,
                        node: rec.node,
                        reason: "node down".into(),
                    })?,
                }
                w += 1;
            } else {
                let rec = &self.reads[r];
                emit(&Line::Invoke {
                    at: rec.at,
                    node: rec.node,
                    op: InvokedOp::Read { key: rec.key },
                })?;
                if rec.ok {
                    emit(&Line::Ok {
                        at: rec.at,
                        node: rec.node,
                        result: Completion::Read { value: rec.value },
                    })?;
                } else {
                    emit(&Line::Fail {
                        at: rec.at,
                        node: rec.node,
                        reason: "node down".into(),
                    })?;
                }
                r += 1;
            }
        }
        for l in &self.learned {
            emit(&Line::Learned(l))?;
        }
        for f in &self.faults_applied {
            emit(&Line::Fault(f.clone()))?;
        }
        for e in &self.node_events {
            emit(&Line::NodeEvent(*e))?;
        }
        for c in &self.checkpoints {
            emit(&Line::Checkpoint(*c))?;
        }
        for s in &self.final_states {
            emit(&Line::FinalState(s.clone()))?;
        }
        for (i, (alive, fingerprint)) in self
            .alive_at_end
            .iter()
            .zip(&self.fingerprints_at_end)
            .enumerate()
        {
            emit(&Line::NodeEnd {
                node: NodeId(i as u32),
                alive: *alive,
                fingerprint: *fingerprint,
            })?;
        }
        Ok(())
    }

    /// Reads a history written by [`History::write_jsonl`].
    pub fn read_jsonl<R: BufRead>(input: R) -> Result<History, HistoryReadError> {
        let mut h = History::default();
        let mut pending: Option<(usize, InvokedOp, SimTime, NodeId)> = None;
        for (i, line) in input.lines().enumerate() {
            let line_no = i + 1;
            let text = line?;
            if text.trim().is_empty() {
                continue;
            }
            let malformed = |message: String| HistoryReadError::Malformed {
                line: line_no,
                message,
            };
            let parsed: Line = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
            match parsed {
                Line::Meta {
                    nodes,
                    end,
                    redundant,
                    traffic,
                    converged_since,
                    counters,
                    final_states_truncated,
                    sends_over_time,
                } => {
                    h.nodes = nodes;
                    h.end = end;
                    h.redundant = redundant;
                    h.traffic = traffic;
                    h.converged_since = converged_since;
                    h.counters = counters;
                    h.final_states_truncated = final_states_truncated;
                    h.sends_over_time = sends_over_time;
                }
                Line::Preloaded { entries } => h.preloaded = entries,
                Line::Invoke { at, node, op } => {
                    if pending.is_some() {
                        return Err(malformed(
                            "an invoke before the previous one completed".into(),
                        ));
                    }
                    pending = Some((line_no, op, at, node));
                }
                Line::Ok { result, .. } => {
                    let (_, op, at, node) = pending
                        .take()
                        .ok_or_else(|| malformed("an ok with no invoke".into()))?;
                    match (op, result) {
                        (
                            InvokedOp::Write { key, value },
                            Completion::Written {
                                version,
                                holders_at_end,
                            },
                        ) => {
                            h.writes.push(WriteRecord {
                                at,
                                node,
                                key,
                                value,
                                version: Some(version),
                            });
                            h.holders_at_end.push(holders_at_end);
                        }
                        (InvokedOp::Read { key }, Completion::Read { value }) => {
                            h.reads.push(ReadRecord {
                                at,
                                node,
                                key,
                                value,
                                ok: true,
                            })
                        }
                        _ => return Err(malformed("the ok does not match its invoke".into())),
                    }
                }
                Line::Fail { .. } => {
                    let (_, op, at, node) = pending
                        .take()
                        .ok_or_else(|| malformed("a fail with no invoke".into()))?;
                    match op {
                        InvokedOp::Write { key, value } => {
                            h.writes.push(WriteRecord {
                                at,
                                node,
                                key,
                                value,
                                version: None,
                            });
                            h.holders_at_end.push(0);
                        }
                        InvokedOp::Read { key } => h.reads.push(ReadRecord {
                            at,
                            node,
                            key,
                            value: None,
                            ok: false,
                        }),
                    }
                }
                Line::Learned(l) => h.learned.push(l),
                Line::Fault(f) => h.faults_applied.push(f),
                Line::NodeEvent(e) => h.node_events.push(e),
                Line::Checkpoint(c) => h.checkpoints.push(c),
                Line::FinalState(s) => h.final_states.push(s),
                Line::NodeEnd {
                    alive, fingerprint, ..
                } => {
                    h.alive_at_end.push(alive);
                    h.fingerprints_at_end.push(fingerprint);
                }
            }
        }
        if let Some((line, ..)) = pending {
            return Err(HistoryReadError::Malformed {
                line,
                message: "an invoke that never completed".into(),
            });
        }
        Ok(h)
    }
}
