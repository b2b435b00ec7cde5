//! The scenario file's schema: its keys, their types and defaults, and how they map onto the
//! model (`Scenario`, `Protocol`, `Workload`, `TimedFault`, `Checks`). It reads a parsed YAML
//! tree into a [`Draft`]: a scenario that has not yet been validated, the written faults
//! expanded into timed actions (`for:` adds the undoing heal or restart), and for each of those
//! actions where it was written, so that fault-schedule errors can point back at the text.
//! The fault vocabulary (`faults:`, `nemesis:`, latency distributions) is read by
//! [`fault_schema`](super::fault_schema).

pub(super) use super::fault_schema::FaultOrigin;
use super::fault_schema::{self, latency};
use super::model::{
    Checks, ConvergenceCheck, NetworkSpec, PeerSampling, Preload, Protocol, ResidueCheck, Scenario,
    StrategySpec,
};
use super::reading::{
    Fields, Result, boolean, choice, duration, fail, integer, item, list, number, string,
};
use super::tree::{Node, Value, clip};
use hearsay_faults::{FaultSchedule, Nemesis, TimedFault};
use hearsay_protocols::anti_entropy::{
    AntiEntropyConfig, DEFAULT_MERKLE_DEPTH, DEFAULT_RECENT_WINDOW, ExchangeMode, Reconciliation,
};
use hearsay_protocols::direct_mail::DirectMailConfig;
use hearsay_protocols::push_then_pull::PushThenPullConfig;
use hearsay_protocols::rumor::{Removal, RumorConfig};
use hearsay_protocols::rumor_with_anti_entropy::RumorWithAntiEntropyConfig;
use hearsay_protocols::{ConflictRule, NodeId, SimDuration, SimTime};
use hearsay_workloads::{ScriptedWrite, SingleRumor, Workload};

/// The most seeds a scenario may run; a typo like `0..1000000000` should be an error, not an
/// attempt to allocate and run a billion seeds.
pub(super) const MAX_SEEDS: u64 = 100_000;

/// How often convergence is sampled when the file does not say.
const DEFAULT_SAMPLE_EVERY: SimDuration = SimDuration::from_millis(50);

const TOP_KEYS: &[&str] = &[
    "name",
    "nodes",
    "duration",
    "seeds",
    "peer_sampling",
    "sample_every",
    "stop_when_converged",
    "network",
    "strategies",
    "workload",
    "preload",
    "faults",
    "checks",
    "nemesis",
    "conflict",
];
const PRELOAD_KEYS: &[&str] = &["keys"];
const NETWORK_KEYS: &[&str] = &["latency", "loss", "mtu"];
const STRATEGY_KEYS: &[&str] = &[
    "name",
    "rumor",
    "anti_entropy",
    "direct_mail",
    "push_then_pull",
    "rumor_with_anti_entropy",
    "zoo",
];
const PROTOCOL_KEYS: &[&str] = &[
    "rumor",
    "anti_entropy",
    "direct_mail",
    "push_then_pull",
    "rumor_with_anti_entropy",
    "zoo",
];
const RUMOR_KEYS: &[&str] = &[
    "period",
    "fanout",
    "k",
    "removal",
    "conflict",
    "mode",
    "synchronous",
];
const ANTI_ENTROPY_KEYS: &[&str] = &[
    "period",
    "mode",
    "fanout",
    "conflict",
    "reconciliation",
    "window",
    "merkle_depth",
    "synchronous",
];
const DIRECT_MAIL_KEYS: &[&str] = &["ack_timeout", "retry_queue", "max_retries", "conflict"];
const PUSH_THEN_PULL_KEYS: &[&str] = &[
    "period",
    "fanout",
    "switch_round",
    "pull_rounds",
    "conflict",
    "synchronous",
];
const HYBRID_KEYS: &[&str] = &["rumor", "anti_entropy"];
const RECONCILIATIONS: &[(&str, Reconciliation)] = &[
    ("full-state", Reconciliation::FullState),
    ("checksum", Reconciliation::Checksum),
    (
        "recent-updates",
        Reconciliation::RecentUpdates {
            window: DEFAULT_RECENT_WINDOW,
        },
    ),
    (
        "merkle",
        Reconciliation::Merkle {
            depth: DEFAULT_MERKLE_DEPTH,
        },
    ),
];
const WRITE_KEYS: &[&str] = &["at", "node", "key", "value"];
const CHECK_KEYS: &[&str] = &["convergence", "residue"];
const CONVERGENCE_KEYS: &[&str] = &["within", "strategies"];
const RESIDUE_KEYS: &[&str] = &["max", "strategies"];

pub(crate) const REMOVALS: &[(&str, Removal)] = &[
    ("feedback-counter", Removal::FeedbackCounter),
    ("feedback-coin", Removal::FeedbackCoin),
    ("blind-counter", Removal::BlindCounter),
    ("blind-coin", Removal::BlindCoin),
];
pub(crate) const CONFLICTS: &[(&str, ConflictRule)] = &[
    ("last-write-wins", ConflictRule::LastWriteWins),
    ("first-write-wins", ConflictRule::FirstWriteWins),
];
pub(crate) const MODES: &[(&str, ExchangeMode)] = &[
    ("push", ExchangeMode::Push),
    ("pull", ExchangeMode::Pull),
    ("push-pull", ExchangeMode::PushPull),
];
pub(crate) const PEER_SAMPLERS: &[(&str, PeerSampling)] = &[("uniform", PeerSampling::Uniform)];

/// A scenario read from the file but not yet validated, with its faults kept apart.
#[derive(Debug)]
pub(super) struct Draft {
    /// Everything but the faults (which stay [`FaultSchedule::none`] here).
    pub scenario: Scenario,
    /// The fault actions in written order, each `for:` followed by its undoing action.
    pub faults: Vec<TimedFault>,
    /// Where each of `faults` came from, index for index.
    pub origins: Vec<FaultOrigin>,
    /// The nemesis, if the file has one.
    pub nemesis: Option<Nemesis>,
}

/// Reads the whole document.
pub(super) fn read(root: &Node) -> Result<Draft> {
    if root.value == Value::Null {
        return fail(
            root.pos,
            "",
            "the scenario is empty: expected a mapping with at least the keys `name`, `nodes`, \
             `duration`, `seeds` and `strategies`",
        );
    }
    let f = Fields::new(root, "", "the scenario", TOP_KEYS)?;
    let name = string(
        f.required("name", "the scenario's name, a string")?,
        "name",
        "the scenario's name, a string",
    )?;
    const NODES: &str = "the cluster size, a whole number of nodes (at least 1)";
    let nodes: u32 = integer(f.required("nodes", NODES)?, "nodes", NODES)?;
    let run_for = duration(
        f.required("duration", "how long each run lasts, like `20s`")?,
        "duration",
    )?;
    let seeds = seeds(f.required(
        "seeds",
        "the seeds to run: a range like `0..10`, a list like [1, 2, 3], or one seed",
    )?)?;
    let peer_sampling = match f.get("peer_sampling") {
        Some(n) => choice(n, "peer_sampling", "peer sampler", PEER_SAMPLERS)?,
        None => PeerSampling::default(),
    };
    let sample_every = match f.get("sample_every") {
        Some(n) => duration(n, "sample_every")?,
        None => DEFAULT_SAMPLE_EVERY,
    };
    let stop_when_converged = match f.get("stop_when_converged") {
        Some(n) => boolean(n, "stop_when_converged")?,
        None => false,
    };
    let network = match f.get("network") {
        Some(n) => network(n)?,
        None => NetworkSpec::default(),
    };
    // The scenario-wide conflict rule: the default of every strategy that does not set one.
    let conflict = match f.get("conflict") {
        Some(n) => choice(n, "conflict", "conflict rule", CONFLICTS)?,
        None => ConflictRule::default(),
    };
    let strategies = strategies(f.required("strategies", STRATEGIES_EXPECTED)?, conflict)?;
    let workload = match f.get("workload") {
        Some(n) => super::schema_workload::workload(n, run_for)?,
        None => Workload::SingleRumor(SingleRumor::default()),
    };
    let preload = match f.get("preload") {
        Some(n) => Some(preload(n)?),
        None => None,
    };
    let fault_context = fault_schema::Context {
        nodes,
        duration: run_for,
        workload: &workload,
    };
    let (faults, origins) = match f.get("faults") {
        Some(n) => fault_schema::faults(n, &fault_context)?,
        None => (Vec::new(), Vec::new()),
    };
    let nemesis = match f.get("nemesis") {
        Some(n) => Some(fault_schema::nemesis(n, &fault_context)?),
        None => None,
    };
    let checks = match f.get("checks") {
        Some(n) => checks(n)?,
        None => Checks::default(),
    };
    Ok(Draft {
        scenario: Scenario {
            name,
            nodes,
            duration: run_for,
            seeds,
            peer_sampling,
            network,
            strategies,
            workload,
            preload,
            faults: FaultSchedule::none(),
            checks,
            sample_every,
            stop_when_converged,
        },
        faults,
        origins,
        nemesis,
    })
}

const SEED: &str = "a seed, a whole number from 0 to 18446744073709551615";

/// `A..B` (B excluded), a list of seeds, or one seed.
fn seeds(node: &Node) -> Result<Vec<u64>> {
    const PATH: &str = "seeds";
    match &node.value {
        Value::Int(_) => Ok(vec![integer(node, PATH, SEED)?]),
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| integer(n, &item(PATH, i), SEED))
            .collect(),
        Value::Str(s) => {
            let bad = || {
                fail(
                    node.pos,
                    PATH,
                    format!(
                        "expected a range of seeds like `0..10` (the end excluded), found the \
                         string `{}`",
                        clip(s)
                    ),
                )
            };
            let Some((a, b)) = s.split_once("..") else {
                return bad();
            };
            let (Ok(start), Ok(end)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) else {
                return bad();
            };
            if start >= end {
                return fail(
                    node.pos,
                    PATH,
                    format!(
                        "the range `{}` is empty: expected `A..B` with A < B (B is excluded)",
                        clip(s)
                    ),
                );
            }
            if end - start > MAX_SEEDS {
                return fail(
                    node.pos,
                    PATH,
                    format!(
                        "the range `{}` has {} seeds: expected at most {MAX_SEEDS}",
                        clip(s),
                        end - start
                    ),
                );
            }
            Ok((start..end).collect())
        }
        other => fail(
            node.pos,
            PATH,
            format!(
                "expected a range like `0..10`, a list like [1, 2, 3], or one seed, found {}",
                other.describe()
            ),
        ),
    }
}

/// `preload: { keys: N }`: every node starts holding keys `0..N` (bounds are checked by
/// `Scenario::validate`, which knows the cluster size).
fn preload(node: &Node) -> Result<Preload> {
    const KEYS: &str = "how many keys every node starts with, a whole number (at least 1)";
    let f = Fields::new(node, "preload", "the preload", PRELOAD_KEYS)?;
    Ok(Preload {
        keys: integer(f.required("keys", KEYS)?, &f.path_of("keys"), KEYS)?,
    })
}

fn network(node: &Node) -> Result<NetworkSpec> {
    let f = Fields::new(node, "network", "the network", NETWORK_KEYS)?;
    let mut spec = NetworkSpec::default();
    if let Some(n) = f.get("latency") {
        spec.latency = latency(n, &f.path_of("latency"))?;
    }
    if let Some(n) = f.get("loss") {
        spec.loss = number(
            n,
            &f.path_of("loss"),
            "a loss probability, a number from 0 to 1",
        )?;
    }
    if let Some(n) = f.get("mtu") {
        spec.mtu = Some(integer(
            n,
            &f.path_of("mtu"),
            "the largest message in bytes, a whole number",
        )?);
    }
    Ok(spec)
}

const STRATEGIES_EXPECTED: &str = "a list of strategies, each with a `name` and one of `rumor`, \
     `anti_entropy`, `direct_mail`, `push_then_pull`, `rumor_with_anti_entropy` or `zoo`";

fn strategies(node: &Node, conflict: ConflictRule) -> Result<Vec<StrategySpec>> {
    const PATH: &str = "strategies";
    let items = list(node, PATH, STRATEGIES_EXPECTED)?;
    items
        .iter()
        .enumerate()
        .map(|(i, n)| strategy(n, &item(PATH, i), conflict))
        .collect()
}

fn strategy(node: &Node, path: &str, conflict: ConflictRule) -> Result<StrategySpec> {
    let f = Fields::new(node, path, "a strategy", STRATEGY_KEYS)?;
    const NAME: &str = "the strategy's name, a string";
    let name = string(f.required("name", NAME)?, &f.path_of("name"), NAME)?;
    let proto = f.exactly_one(PROTOCOL_KEYS, "protocol")?;
    let path = f.path_of(proto.name);
    let protocol = match proto.name {
        "rumor" => Protocol::Rumor(rumor(
            proto.value,
            &path,
            RumorConfig {
                conflict,
                ..RumorConfig::default()
            },
        )?),
        "anti_entropy" => Protocol::AntiEntropy(anti_entropy(
            proto.value,
            &path,
            AntiEntropyConfig {
                conflict,
                ..AntiEntropyConfig::default()
            },
        )?),
        "direct_mail" => Protocol::DirectMail(direct_mail(proto.value, &path, conflict)?),
        "push_then_pull" => Protocol::PushThenPull(push_then_pull(proto.value, &path, conflict)?),
        "zoo" => Protocol::Zoo(super::schema_zoo::zoo(proto.value, &path)?),
        _ => Protocol::RumorWithAntiEntropy(rumor_with_anti_entropy(proto.value, &path, conflict)?),
    };
    Ok(StrategySpec { name, protocol })
}

/// Whether a protocol section was written empty (`rumor:`), meaning "all defaults".
fn is_empty(node: &Node) -> bool {
    node.value == Value::Null
}

const FANOUT: &str = "peers per cycle, a whole number (at least 1)";
const ROUNDS: &str = "a number of rounds, a whole number";

/// Reads rumor settings over `base` (the defaults, with the scenario's conflict rule).
fn rumor(node: &Node, path: &str, base: RumorConfig) -> Result<RumorConfig> {
    let mut c = base;
    if is_empty(node) {
        return Ok(c);
    }
    let f = Fields::new(node, path, "rumor settings", RUMOR_KEYS)?;
    if let Some(n) = f.get("period") {
        c.period = duration(n, &f.path_of("period"))?;
    }
    if let Some(n) = f.get("fanout") {
        c.fanout = integer(n, &f.path_of("fanout"), FANOUT)?;
    }
    if let Some(n) = f.get("k") {
        c.k = integer(
            n,
            &f.path_of("k"),
            "the removal parameter, a whole number (at least 1)",
        )?;
    }
    if let Some(n) = f.get("removal") {
        c.removal = choice(n, &f.path_of("removal"), "removal rule", REMOVALS)?;
    }
    if let Some(n) = f.get("conflict") {
        c.conflict = choice(n, &f.path_of("conflict"), "conflict rule", CONFLICTS)?;
    }
    if let Some(n) = f.get("mode") {
        c.mode = choice(n, &f.path_of("mode"), "exchange mode", MODES)?;
    }
    if let Some(n) = f.get("synchronous") {
        c.synchronous = boolean(n, &f.path_of("synchronous"))?;
    }
    Ok(c)
}

/// Reads anti-entropy settings over `base` (the defaults, with the scenario's conflict rule).
fn anti_entropy(node: &Node, path: &str, base: AntiEntropyConfig) -> Result<AntiEntropyConfig> {
    let mut c = base;
    if is_empty(node) {
        return Ok(c);
    }
    let f = Fields::new(node, path, "anti-entropy settings", ANTI_ENTROPY_KEYS)?;
    if let Some(n) = f.get("period") {
        c.period = duration(n, &f.path_of("period"))?;
    }
    if let Some(n) = f.get("mode") {
        c.mode = choice(n, &f.path_of("mode"), "exchange mode", MODES)?;
    }
    if let Some(n) = f.get("fanout") {
        c.fanout = integer(
            n,
            &f.path_of("fanout"),
            "peers per period, a whole number (at least 1)",
        )?;
    }
    if let Some(n) = f.get("conflict") {
        c.conflict = choice(n, &f.path_of("conflict"), "conflict rule", CONFLICTS)?;
    }
    if let Some(n) = f.get("reconciliation") {
        c.reconciliation = choice(
            n,
            &f.path_of("reconciliation"),
            "reconciliation method",
            RECONCILIATIONS,
        )?;
    }
    if let Some(e) = f.entry("window") {
        let Reconciliation::RecentUpdates { window } = &mut c.reconciliation else {
            return fail(
                e.key.pos,
                path,
                format!(
                    "`window` applies only to `reconciliation: recent-updates`, but the method \
                     is `{}`",
                    c.reconciliation.name()
                ),
            );
        };
        *window = duration(e.value, &f.path_of("window"))?;
    }
    if let Some(e) = f.entry("merkle_depth") {
        let Reconciliation::Merkle { depth } = &mut c.reconciliation else {
            return fail(
                e.key.pos,
                path,
                format!(
                    "`merkle_depth` applies only to `reconciliation: merkle`, but the method is \
                     `{}`",
                    c.reconciliation.name()
                ),
            );
        };
        *depth = integer(
            e.value,
            &f.path_of("merkle_depth"),
            "the Merkle tree's depth below the root, a whole number from 1 to 4",
        )?;
    }
    if let Some(n) = f.get("synchronous") {
        c.synchronous = boolean(n, &f.path_of("synchronous"))?;
    }
    Ok(c)
}

fn direct_mail(node: &Node, path: &str, conflict: ConflictRule) -> Result<DirectMailConfig> {
    let mut c = DirectMailConfig {
        conflict,
        ..DirectMailConfig::default()
    };
    if is_empty(node) {
        return Ok(c);
    }
    let f = Fields::new(node, path, "direct mail settings", DIRECT_MAIL_KEYS)?;
    if let Some(n) = f.get("ack_timeout") {
        c.ack_timeout = duration(n, &f.path_of("ack_timeout"))?;
    }
    if let Some(n) = f.get("retry_queue") {
        c.retry_queue = integer(
            n,
            &f.path_of("retry_queue"),
            "how many failed sends the retry queue holds, a whole number",
        )?;
    }
    if let Some(n) = f.get("max_retries") {
        c.max_retries = integer(
            n,
            &f.path_of("max_retries"),
            "how often a failed send is retried, a whole number",
        )?;
    }
    if let Some(n) = f.get("conflict") {
        c.conflict = choice(n, &f.path_of("conflict"), "conflict rule", CONFLICTS)?;
    }
    Ok(c)
}

fn push_then_pull(node: &Node, path: &str, conflict: ConflictRule) -> Result<PushThenPullConfig> {
    let mut c = PushThenPullConfig {
        conflict,
        ..PushThenPullConfig::default()
    };
    if is_empty(node) {
        return Ok(c);
    }
    let f = Fields::new(node, path, "push-then-pull settings", PUSH_THEN_PULL_KEYS)?;
    if let Some(n) = f.get("period") {
        c.period = duration(n, &f.path_of("period"))?;
    }
    if let Some(n) = f.get("fanout") {
        c.fanout = integer(n, &f.path_of("fanout"), FANOUT)?;
    }
    if let Some(n) = f.get("switch_round") {
        c.switch_round = Some(integer(n, &f.path_of("switch_round"), ROUNDS)?);
    }
    if let Some(n) = f.get("pull_rounds") {
        c.pull_rounds = Some(integer(n, &f.path_of("pull_rounds"), ROUNDS)?);
    }
    if let Some(n) = f.get("conflict") {
        c.conflict = choice(n, &f.path_of("conflict"), "conflict rule", CONFLICTS)?;
    }
    if let Some(n) = f.get("synchronous") {
        c.synchronous = boolean(n, &f.path_of("synchronous"))?;
    }
    Ok(c)
}

fn rumor_with_anti_entropy(
    node: &Node,
    path: &str,
    conflict: ConflictRule,
) -> Result<RumorWithAntiEntropyConfig> {
    let defaults = RumorWithAntiEntropyConfig::default();
    let mut c = RumorWithAntiEntropyConfig {
        rumor: RumorConfig {
            conflict,
            ..defaults.rumor
        },
        anti_entropy: AntiEntropyConfig {
            conflict,
            ..defaults.anti_entropy
        },
    };
    if is_empty(node) {
        return Ok(c);
    }
    let f = Fields::new(node, path, "rumor-with-anti-entropy settings", HYBRID_KEYS)?;
    if let Some(n) = f.get("rumor") {
        c.rumor = rumor(n, &f.path_of("rumor"), c.rumor)?;
    }
    if let Some(n) = f.get("anti_entropy") {
        c.anti_entropy = anti_entropy(n, &f.path_of("anti_entropy"), c.anti_entropy)?;
    }
    Ok(c)
}

/// `writes: [{ at, node, key, value }, …]`: scripted client writes.
pub(super) fn scripted_writes(node: &Node, path: &str) -> Result<Workload> {
    const WRITES: &str = "a list of writes, each with `at`, `node`, `key` and `value`";
    let items = list(node, path, WRITES)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, n) in items.iter().enumerate() {
        let f = Fields::new(n, &item(path, i), "a write", WRITE_KEYS)?;
        out.push(ScriptedWrite {
            at: SimTime::from_duration(duration(
                f.required("at", "when the client writes, like `2s`")?,
                &f.path_of("at"),
            )?),
            node: NodeId(integer(
                f.required("node", "a node id")?,
                &f.path_of("node"),
                "a node id, a whole number from 0",
            )?),
            key: integer(
                f.required("key", "a key, a whole number")?,
                &f.path_of("key"),
                "a key, a whole number",
            )?,
            value: integer(
                f.required("value", "a value, a whole number")?,
                &f.path_of("value"),
                "a value, a whole number",
            )?,
        });
    }
    Ok(Workload::Scripted(out))
}

fn checks(node: &Node) -> Result<Checks> {
    let allowed: Vec<&str> = CHECK_KEYS
        .iter()
        .chain(super::schema_checks::MORE_CHECK_KEYS)
        .copied()
        .collect();
    let f = Fields::new(node, "checks", "the checks", &allowed)?;
    let mut checks = Checks::default();
    if let Some(n) = f.get("convergence") {
        let c = Fields::new(
            n,
            &f.path_of("convergence"),
            "the convergence check",
            CONVERGENCE_KEYS,
        )?;
        checks.convergence = Some(ConvergenceCheck {
            within: duration(
                c.required("within", "the bound after the last heal, like `5s`")?,
                &c.path_of("within"),
            )?,
            strategies: strategy_names(&c)?,
        });
    }
    if let Some(n) = f.get("residue") {
        let c = Fields::new(n, &f.path_of("residue"), "the residue check", RESIDUE_KEYS)?;
        const MAX: &str = "the largest residue allowed, a fraction from 0 to 1";
        checks.residue = Some(ResidueCheck {
            max: number(c.required("max", MAX)?, &c.path_of("max"), MAX)?,
            strategies: strategy_names(&c)?,
        });
    }
    super::schema_checks::more_checks(&f, &mut checks)?;
    Ok(checks)
}

/// The optional `strategies:` list of a check.
fn strategy_names(f: &Fields<'_>) -> Result<Option<Vec<String>>> {
    const NAMES: &str = "a list of strategy names";
    let Some(n) = f.get("strategies") else {
        return Ok(None);
    };
    let path = f.path_of("strategies");
    list(n, &path, NAMES)?
        .iter()
        .enumerate()
        .map(|(i, n)| string(n, &item(&path, i), "a strategy name"))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
