//! The rules a scenario's workload must satisfy, with the field path of each violation.

use super::model::ValidationError;
use hearsay_protocols::{SimDuration, SimTime};
use hearsay_workloads::{Origin, Workload};

/// Checks every part of `workload` against a cluster of `nodes` and a run of `duration`.
pub(super) fn validate_workload(
    workload: &Workload,
    nodes: u32,
    duration: SimDuration,
) -> Result<(), ValidationError> {
    let end = SimTime::from_duration(duration);
    let err = |path: &str, message: String| {
        Err(ValidationError::new(format!("workload.{path}"), message))
    };
    let window = |path: &str, from: SimTime, until: SimTime| -> Result<(), ValidationError> {
        if from >= until {
            return err(
                path,
                format!("`from` ({from}) must come before `until` ({until})"),
            );
        }
        if from >= end {
            return err(
                path,
                format!("starts at {from}, not before the end of the run ({duration})"),
            );
        }
        Ok(())
    };
    for part in workload.parts() {
        match part {
            Workload::SingleRumor(w) => {
                if let Origin::Node(n) = w.origin
                    && n.0 >= nodes
                {
                    return err(
                        "single_rumor.node",
                        format!(
                            "node {} does not exist (the cluster has nodes 0..{nodes})",
                            n.0
                        ),
                    );
                }
                if w.at >= end {
                    return err(
                        "single_rumor.at",
                        format!("{} is not before the end of the run ({duration})", w.at),
                    );
                }
            }
            Workload::Writes(w) => {
                if w.keys == 0 {
                    return err("writes.keys", "must be at least 1".into());
                }
                window("writes", w.from, w.until)?;
            }
            Workload::Reads(w) => {
                if w.keys == 0 {
                    return err("reads.keys", "must be at least 1".into());
                }
                window("reads", w.from, w.until)?;
            }
            Workload::Conflicts(w) => {
                if w.keys == 0 {
                    return err("conflicts.keys", "must be at least 1".into());
                }
                if w.writers < 2 {
                    return err(
                        "conflicts.writers",
                        format!("a conflict needs at least 2 writers, got {}", w.writers),
                    );
                }
                if w.writers > nodes {
                    return err(
                        "conflicts.writers",
                        format!("{} writers but only {nodes} nodes", w.writers),
                    );
                }
                if w.bursts == 0 {
                    return err("conflicts.bursts", "must be at least 1".into());
                }
                if w.at >= end {
                    return err(
                        "conflicts.at",
                        format!("{} is not before the end of the run ({duration})", w.at),
                    );
                }
            }
            Workload::Ramp(w) => {
                if w.steps < 2 {
                    return err(
                        "ramp.steps",
                        format!("a ramp needs at least 2 steps, got {}", w.steps),
                    );
                }
                if w.keys == 0 {
                    return err("ramp.keys", "must be at least 1".into());
                }
                if w.step_for == SimDuration::ZERO {
                    return err("ramp.step_for", "must be longer than 0s".into());
                }
                if w.start >= end {
                    return err(
                        "ramp.start",
                        format!("{} is not before the end of the run ({duration})", w.start),
                    );
                }
            }
            Workload::Scripted(list) => {
                for (i, s) in list.iter().enumerate() {
                    if s.node.0 >= nodes {
                        return err(
                            &format!("writes[{i}].node"),
                            format!(
                                "node {} does not exist (the cluster has nodes 0..{nodes})",
                                s.node.0
                            ),
                        );
                    }
                    if s.at >= end {
                        return err(
                            &format!("writes[{i}].at"),
                            format!("{} is not before the end of the run ({duration})", s.at),
                        );
                    }
                }
            }
            Workload::Combined(_) => {}
        }
    }
    Ok(())
}
