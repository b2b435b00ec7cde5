//! Parameter sweeps: `--set fanout=1..4 --set k=1,2,3` as a grid of scenarios.
//!
//! A parameter is either the scenario's (`nodes`, `loss`, `duration`) or a strategy's
//! (`period`, `fanout`, `k`, `removal`, `mode`, `conflict`, …); a strategy parameter is set on
//! every strategy that has it, or on one strategy only when written `NAME.param`. What a
//! protocol offers is listed in one place, [`protocol_fields`]: a new protocol variant adds one
//! match arm there and is sweepable, described in reports and shrinkable.
//!
//! Values: a comma-separated list (`1,2,3`, `100ms,200ms`, `feedback-coin,blind-coin`) in which
//! an item may be a range of whole numbers, `1..4` (end excluded, as seeds are written) or
//! `1..=4` (end included).

use crate::scenario::{BUGS, CONFLICTS, MODES, REMOVALS};
use crate::scenario::{Protocol, Scenario, StrategySpec};
use hearsay_faults::FaultSchedule;
use hearsay_protocols::SimDuration;
use hearsay_reports::{ParamValue, StrategyInfo};
use std::collections::BTreeMap;

/// The most points a grid may have: a typo should be an error, not a week of runs.
pub const MAX_POINTS: usize = 100_000;

/// A handle on one parameter of a protocol configuration, for reading and setting it.
pub enum Field<'a> {
    /// A duration (`200ms`).
    Duration(&'a mut SimDuration),
    /// A whole number.
    Count(&'a mut u32),
    /// A number.
    Number(&'a mut f64),
    /// One of a fixed set of names.
    Choice(Box<dyn ChoiceField + 'a>),
}

/// A parameter whose value is one of a fixed set of names.
pub trait ChoiceField {
    /// The current value's name.
    fn current(&self) -> &'static str;
    /// The names allowed.
    fn names(&self) -> Vec<&'static str>;
    /// Sets the value by name; `false` if the name is not allowed.
    fn set(&mut self, name: &str) -> bool;
}

struct Named<'a, T: 'static> {
    slot: &'a mut T,
    options: &'static [(&'static str, T)],
}

impl<T: Copy + PartialEq> ChoiceField for Named<'_, T> {
    fn current(&self) -> &'static str {
        self.options
            .iter()
            .find(|(_, v)| v == self.slot)
            .map_or("?", |(n, _)| n)
    }
    fn names(&self) -> Vec<&'static str> {
        self.options.iter().map(|(n, _)| *n).collect()
    }
    fn set(&mut self, name: &str) -> bool {
        match self.options.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                *self.slot = *v;
                true
            }
            None => false,
        }
    }
}

fn choice<'a, T: Copy + PartialEq + 'static>(
    slot: &'a mut T,
    options: &'static [(&'static str, T)],
) -> Field<'a> {
    Field::Choice(Box::new(Named { slot, options }))
}

/// The protocol family's name and its parameters. **A new `Protocol` variant adds one arm
/// here** (its name as written in scenario files, and its fields).
pub fn protocol_fields(p: &mut Protocol) -> (&'static str, Vec<(&'static str, Field<'_>)>) {
    match p {
        Protocol::Rumor(c) => (
            "rumor",
            vec![
                ("period", Field::Duration(&mut c.period)),
                ("fanout", Field::Count(&mut c.fanout)),
                ("k", Field::Count(&mut c.k)),
                ("mode", choice(&mut c.mode, MODES)),
                ("removal", choice(&mut c.removal, REMOVALS)),
                ("conflict", choice(&mut c.conflict, CONFLICTS)),
            ],
        ),
        Protocol::AntiEntropy(c) => (
            "anti-entropy",
            vec![
                ("period", Field::Duration(&mut c.period)),
                ("fanout", Field::Count(&mut c.fanout)),
                ("mode", choice(&mut c.mode, MODES)),
                ("conflict", choice(&mut c.conflict, CONFLICTS)),
            ],
        ),
        Protocol::DirectMail(c) => (
            "direct-mail",
            vec![
                ("ack_timeout", Field::Duration(&mut c.ack_timeout)),
                ("retry_queue", Field::Count(&mut c.retry_queue)),
                ("max_retries", Field::Count(&mut c.max_retries)),
                ("conflict", choice(&mut c.conflict, CONFLICTS)),
            ],
        ),
        Protocol::PushThenPull(c) => (
            "push-then-pull",
            vec![
                ("period", Field::Duration(&mut c.period)),
                ("fanout", Field::Count(&mut c.fanout)),
                ("conflict", choice(&mut c.conflict, CONFLICTS)),
            ],
        ),
        // The rumor layer's parameters; the anti-entropy layer is set in the scenario file.
        Protocol::RumorWithAntiEntropy(c) => (
            "rumor-with-anti-entropy",
            vec![
                ("period", Field::Duration(&mut c.rumor.period)),
                ("fanout", Field::Count(&mut c.rumor.fanout)),
                ("k", Field::Count(&mut c.rumor.k)),
                ("removal", choice(&mut c.rumor.removal, REMOVALS)),
                ("conflict", choice(&mut c.rumor.conflict, CONFLICTS)),
            ],
        ),
        Protocol::Zoo(c) => (
            "zoo",
            vec![
                ("bug", choice(&mut c.bug, BUGS)),
                ("period", Field::Duration(&mut c.period)),
            ],
        ),
    }
}

/// Parameters that belong to the scenario rather than to a strategy.
pub const SCENARIO_PARAMS: &[&str] = &["nodes", "loss", "duration"];

/// A strategy's protocol and parameters, as the reports record them.
pub fn strategy_info(s: &StrategySpec) -> StrategyInfo {
    let mut protocol = s.protocol;
    let description = protocol.describe();
    let (family, fields) = protocol_fields(&mut protocol);
    let params: BTreeMap<String, ParamValue> = fields
        .into_iter()
        .map(|(name, f)| {
            let v = match f {
                Field::Duration(d) => ParamValue::Number(d.as_secs_f64()),
                Field::Count(n) => ParamValue::Number(f64::from(*n)),
                Field::Number(x) => ParamValue::Number(*x),
                Field::Choice(c) => ParamValue::Text(c.current().to_owned()),
            };
            (name.to_owned(), v)
        })
        .collect();
    StrategyInfo {
        name: s.name.clone(),
        protocol: family.to_owned(),
        description,
        params,
    }
}

/// Why a sweep cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// `--set` without `=`, or with an empty side.
    #[error("--set `{0}`: expected KEY=VALUES, like `fanout=1..4` or `k=1,2,3`")]
    Syntax(String),
    /// A value list that does not parse.
    #[error("--set {key}: {message}")]
    Values {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// No strategy has the parameter.
    #[error("--set {key}: {message}")]
    UnknownParameter {
        /// The key.
        key: String,
        /// What exists instead.
        message: String,
    },
    /// A value the parameter does not accept, or a point that makes the scenario invalid.
    #[error("{0}")]
    Invalid(String),
    /// The same key twice.
    #[error("--set {0} is given twice")]
    Duplicate(String),
    /// Too many points.
    #[error("the grid has {0} points: at most {MAX_POINTS} are allowed")]
    TooLarge(usize),
    /// A bad `--partition`.
    #[error("--partition `{0}`: expected I/N with 1 <= I <= N, like `2/4`")]
    Partition(String),
}

/// One swept parameter and its values (as written, parsed when applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// The key: `fanout`, or `rumor.fanout` for one strategy.
    pub key: String,
    /// The values, in order.
    pub values: Vec<String>,
}

/// Parses one `--set KEY=VALUES`.
pub fn parse_set(text: &str) -> Result<Axis, SweepError> {
    let (key, spec) = text
        .split_once('=')
        .ok_or_else(|| SweepError::Syntax(text.to_owned()))?;
    let (key, spec) = (key.trim(), spec.trim());
    if key.is_empty() || spec.is_empty() {
        return Err(SweepError::Syntax(text.to_owned()));
    }
    let bad = |message: String| SweepError::Values {
        key: key.to_owned(),
        message,
    };
    let mut values = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(bad(format!("empty item in `{spec}`")));
        }
        if let Some((a, b)) = item.split_once("..") {
            let (b, inclusive) = match b.strip_prefix('=') {
                Some(b) => (b, true),
                None => (b, false),
            };
            let parse = |s: &str| {
                s.trim().parse::<u64>().map_err(|_| {
                    bad(format!(
                        "`{item}`: a range needs whole numbers, like `1..4` (4 excluded) or `1..=4`"
                    ))
                })
            };
            let (a, b) = (parse(a)?, parse(b)?);
            let end = if inclusive { b.saturating_add(1) } else { b };
            if a >= end {
                return Err(bad(format!("the range `{item}` is empty")));
            }
            if end - a > MAX_POINTS as u64 {
                return Err(SweepError::TooLarge((end - a) as usize));
            }
            values.extend((a..end).map(|v| v.to_string()));
        } else {
            values.push(item.to_owned());
        }
    }
    Ok(Axis {
        key: key.to_owned(),
        values,
    })
}

/// The grid: every combination of the axes' values, the last axis changing fastest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    /// The axes, in `--set` order.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// A grid over `axes`, refusing duplicate keys and grids above [`MAX_POINTS`].
    pub fn new(axes: Vec<Axis>) -> Result<Grid, SweepError> {
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.key == a.key) {
                return Err(SweepError::Duplicate(a.key.clone()));
            }
        }
        let mut n: usize = 1;
        for a in &axes {
            n = n.saturating_mul(a.values.len());
        }
        if n > MAX_POINTS {
            return Err(SweepError::TooLarge(n));
        }
        Ok(Grid { axes })
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// True for a grid without points (it always has at least one: no axes is one point).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parameter names.
    pub fn keys(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.key.clone()).collect()
    }

    /// The values at point `index`.
    pub fn point(&self, index: usize) -> Vec<String> {
        let mut rest = index;
        let mut out = vec![String::new(); self.axes.len()];
        for (i, a) in self.axes.iter().enumerate().rev() {
            out[i] = a.values[rest % a.values.len()].clone();
            rest /= a.values.len();
        }
        out
    }
}

/// `--partition I/N` (1-based, as nextest and CI matrices count): this shard runs the points
/// whose index `i` has `i % N == I - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Which shard, 1-based.
    pub shard: usize,
    /// How many shards.
    pub of: usize,
}

impl std::str::FromStr for Partition {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Self, SweepError> {
        let bad = || SweepError::Partition(s.to_owned());
        let body = s.strip_prefix("count:").unwrap_or(s);
        let (a, b) = body.split_once('/').ok_or_else(bad)?;
        let shard: usize = a.trim().parse().map_err(|_| bad())?;
        let of: usize = b.trim().parse().map_err(|_| bad())?;
        if shard == 0 || of == 0 || shard > of {
            return Err(bad());
        }
        Ok(Partition { shard, of })
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.shard, self.of)
    }
}

impl Partition {
    /// Whether this shard runs point `index`.
    pub fn includes(&self, index: usize) -> bool {
        index % self.of == self.shard - 1
    }
}

/// Checks that every key names a parameter of the scenario or of at least one strategy.
pub fn check_keys(scenario: &Scenario, grid: &Grid) -> Result<(), SweepError> {
    for a in &grid.axes {
        if SCENARIO_PARAMS.contains(&a.key.as_str()) {
            continue;
        }
        let (only, param) = split_key(scenario, &a.key);
        let mut offered: Vec<&'static str> = Vec::new();
        let mut found = false;
        for s in &scenario.strategies {
            if only.is_some_and(|o| o != s.name) {
                continue;
            }
            let mut p = s.protocol;
            let (_, fields) = protocol_fields(&mut p);
            for (name, _) in &fields {
                if !offered.contains(name) {
                    offered.push(name);
                }
            }
            found |= fields.iter().any(|(n, _)| *n == param);
        }
        if !found {
            let whose = match only {
                Some(name) => format!("strategy `{name}` has"),
                None => "no strategy of the scenario has".to_owned(),
            };
            let mut all: Vec<&str> = SCENARIO_PARAMS.to_vec();
            all.extend(offered);
            return Err(SweepError::UnknownParameter {
                key: a.key.clone(),
                message: format!(
                    "{whose} a parameter `{param}`; parameters: {}",
                    all.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// `rumor.fanout` → (`Some("rumor")`, `fanout`) when `rumor` is a strategy; else (None, key).
fn split_key<'k>(scenario: &Scenario, key: &'k str) -> (Option<&'k str>, &'k str) {
    if let Some((name, param)) = key.rsplit_once('.')
        && scenario.strategies.iter().any(|s| s.name == name)
    {
        return (Some(name), param);
    }
    (None, key)
}

/// Sets one field from text.
fn set_field(field: Field<'_>, value: &str) -> Result<(), String> {
    match field {
        Field::Duration(d) => {
            *d = value.parse::<SimDuration>().map_err(|e| e.to_string())?;
        }
        Field::Count(n) => {
            *n = value
                .parse::<u32>()
                .map_err(|_| format!("`{value}` is not a whole number"))?;
        }
        Field::Number(x) => {
            *x = value
                .parse::<f64>()
                .map_err(|_| format!("`{value}` is not a number"))?;
        }
        Field::Choice(mut c) => {
            if !c.set(value) {
                return Err(format!("`{value}` is not one of {}", c.names().join(", ")));
            }
        }
    }
    Ok(())
}

/// Sets `key` to `value` on the scenario (a scenario parameter) or on every strategy that has
/// it (or the one named in `NAME.param`). Returns how many places were set.
pub fn set_param(scenario: &mut Scenario, key: &str, value: &str) -> Result<usize, SweepError> {
    let invalid = |m: String| SweepError::Invalid(format!("{key}={value}: {m}"));
    match key {
        "nodes" => {
            scenario.nodes = value
                .parse()
                .map_err(|_| invalid("not a whole number".into()))?;
            return Ok(1);
        }
        "loss" => {
            scenario.network.loss = value.parse().map_err(|_| invalid("not a number".into()))?;
            return Ok(1);
        }
        "duration" => {
            scenario.duration = value
                .parse()
                .map_err(|e: hearsay_protocols::ParseDurationError| invalid(e.to_string()))?;
            return Ok(1);
        }
        _ => {}
    }
    let (only, param) = split_key(scenario, key);
    let mut set = 0;
    for s in &mut scenario.strategies {
        if only.is_some_and(|o| o != s.name) {
            continue;
        }
        let (_, fields) = protocol_fields(&mut s.protocol);
        if let Some((_, f)) = fields.into_iter().find(|(n, _)| *n == param) {
            set_field(f, value).map_err(invalid)?;
            set += 1;
        }
    }
    Ok(set)
}

/// The scenario at one grid point: every key set to its value, then validated as a file would
/// be (the fault schedule against the cluster size too).
pub fn apply(
    scenario: &Scenario,
    keys: &[String],
    values: &[String],
) -> Result<Scenario, SweepError> {
    let mut s = scenario.clone();
    for (k, v) in keys.iter().zip(values) {
        if set_param(&mut s, k, v)? == 0 {
            return Err(SweepError::UnknownParameter {
                key: k.clone(),
                message: "no strategy has this parameter".into(),
            });
        }
    }
    let point = keys
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    s.validate()
        .map_err(|e| SweepError::Invalid(format!("at {point}: {e}")))?;
    s.faults = FaultSchedule::new(s.faults.faults().to_vec(), s.nodes)
        .map_err(|e| SweepError::Invalid(format!("at {point}: faults: {e}")))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::anti_entropy::AntiEntropyConfig;
    use hearsay_protocols::rumor::{Removal, RumorConfig};

    fn scenario() -> Scenario {
        Scenario::builder("s", 50)
            .strategy("rumor", Protocol::Rumor(RumorConfig::default()))
            .strategy("ae", Protocol::AntiEntropy(AntiEntropyConfig::default()))
            .build()
            .unwrap()
    }

    #[test]
    fn values_ranges_and_lists() {
        assert_eq!(parse_set("fanout=1..4").unwrap().values, ["1", "2", "3"]);
        assert_eq!(
            parse_set("fanout=1..=4").unwrap().values,
            ["1", "2", "3", "4"]
        );
        assert_eq!(parse_set("k = 1, 3..5").unwrap().values, ["1", "3", "4"]);
        assert_eq!(
            parse_set("period=100ms,1s").unwrap().values,
            ["100ms", "1s"]
        );
        assert!(matches!(parse_set("fanout"), Err(SweepError::Syntax(_))));
        assert!(matches!(
            parse_set("k=3..3"),
            Err(SweepError::Values { .. })
        ));
        assert!(matches!(
            parse_set("k=a..3"),
            Err(SweepError::Values { .. })
        ));
        assert!(matches!(
            parse_set("k=1,,2"),
            Err(SweepError::Values { .. })
        ));
    }

    #[test]
    fn grid_points_last_axis_fastest_and_shards_cover_it_once() {
        let g = Grid::new(vec![
            parse_set("fanout=1..=2").unwrap(),
            parse_set("k=1,2,3").unwrap(),
        ])
        .unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g.point(0), ["1", "1"]);
        assert_eq!(g.point(1), ["1", "2"]);
        assert_eq!(g.point(5), ["2", "3"]);
        let parts: Vec<Partition> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for i in 0..g.len() {
            assert_eq!(parts.iter().filter(|p| p.includes(i)).count(), 1);
        }
        assert!("0/4".parse::<Partition>().is_err());
        assert!("5/4".parse::<Partition>().is_err());
        assert_eq!(
            "count:2/3".parse::<Partition>().unwrap(),
            Partition { shard: 2, of: 3 }
        );
        assert!(matches!(
            Grid::new(vec![parse_set("k=1").unwrap(), parse_set("k=2").unwrap()]),
            Err(SweepError::Duplicate(_))
        ));
        assert_eq!(Grid::new(Vec::new()).unwrap().len(), 1);
    }

    #[test]
    fn parameters_go_to_every_strategy_that_has_them() {
        let base = scenario();
        let keys = vec![
            "fanout".to_owned(),
            "k".to_owned(),
            "removal".to_owned(),
            "nodes".to_owned(),
        ];
        let s = apply(
            &base,
            &keys,
            &["3".into(), "4".into(), "blind-coin".into(), "80".into()],
        )
        .unwrap();
        let Protocol::Rumor(r) = s.strategies[0].protocol else {
            panic!()
        };
        let Protocol::AntiEntropy(a) = s.strategies[1].protocol else {
            panic!()
        };
        assert_eq!(
            (r.fanout, r.k, r.removal, a.fanout, s.nodes),
            (3, 4, Removal::BlindCoin, 3, 80)
        );
        // Only one strategy when named.
        let s = apply(&base, &["ae.fanout".to_owned()], &["5".into()]).unwrap();
        let Protocol::Rumor(r) = s.strategies[0].protocol else {
            panic!()
        };
        assert_eq!(r.fanout, 1);
        // Unknown keys and bad values are errors.
        let grid = Grid::new(vec![parse_set("frobs=1").unwrap()]).unwrap();
        let err = check_keys(&base, &grid).unwrap_err().to_string();
        assert!(
            err.contains("no strategy of the scenario has a parameter `frobs`"),
            "{err}"
        );
        assert!(err.contains("fanout"), "{err}");
        assert!(check_keys(&base, &Grid::new(vec![parse_set("k=1").unwrap()]).unwrap()).is_ok());
        assert!(matches!(
            apply(&base, &["k".into()], &["x".into()]),
            Err(SweepError::Invalid(_))
        ));
        assert!(matches!(
            apply(&base, &["fanout".into()], &["0".into()]),
            Err(SweepError::Invalid(_))
        ));
        assert!(matches!(
            apply(&base, &["removal".into()], &["sometimes".into()]),
            Err(SweepError::Invalid(_))
        ));
    }

    #[test]
    fn strategy_info_lists_the_fields() {
        let info = strategy_info(&scenario().strategies[0]);
        assert_eq!(info.protocol, "rumor");
        assert_eq!(info.number("period"), Some(0.2));
        assert_eq!(info.number("k"), Some(2.0));
        assert_eq!(info.word("removal"), Some("feedback-counter"));
    }
}
