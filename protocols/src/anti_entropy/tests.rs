//! Every reconciliation method in every mode converges a small cluster, and costs what it should.

use super::*;
use crate::UniformPeers;
use crate::testkit::Sim;

const METHODS: [Reconciliation; 4] = [
    Reconciliation::FullState,
    Reconciliation::Checksum,
    Reconciliation::RecentUpdates {
        window: SimDuration::from_secs(5),
    },
    Reconciliation::Merkle { depth: 2 },
];
const MODES: [ExchangeMode; 3] = [
    ExchangeMode::Push,
    ExchangeMode::Pull,
    ExchangeMode::PushPull,
];

fn sim(n: u32, config: AntiEntropyConfig) -> Sim<AntiEntropyNode<UniformPeers>> {
    Sim::new(n, 7, |_| AntiEntropyNode::new(config, UniformPeers::new(n)))
}

fn config(reconciliation: Reconciliation, mode: ExchangeMode) -> AntiEntropyConfig {
    AntiEntropyConfig {
        period: SimDuration::from_millis(100),
        mode,
        reconciliation,
        ..Default::default()
    }
}

#[test]
fn every_method_in_every_mode_converges_from_writes_at_many_nodes() {
    for method in METHODS {
        for mode in MODES {
            let mut s = sim(40, config(method, mode));
            for i in 0..40u32 {
                s.write(NodeId(i), u64::from(i % 13), u64::from(i));
            }
            s.run_for(SimDuration::from_secs(6));
            assert!(s.converged(), "{method:?} {mode:?} did not converge");
            assert_eq!(s.nodes[0].store().len(), 13, "{method:?} {mode:?}");
        }
    }
}

#[test]
fn every_method_in_every_mode_converges_after_a_partition_heals() {
    for method in METHODS {
        for mode in MODES {
            let mut s = sim(30, config(method, mode));
            s.side = Some((0..30).map(|i| (i % 2) as u8).collect());
            s.write(NodeId(0), 1, 1);
            s.write(NodeId(1), 2, 2);
            // An old update (older than the recent-update window) on one side only.
            s.run_for(SimDuration::from_secs(8));
            assert!(!s.converged(), "{method:?} {mode:?} crossed the partition");
            s.side = None;
            s.run_for(SimDuration::from_secs(6));
            assert!(
                s.converged(),
                "{method:?} {mode:?} did not converge after the heal"
            );
            assert_eq!(s.holders(1), 30);
        }
    }
}

#[test]
fn digests_make_a_converged_cluster_cheap() {
    let bytes = |method: Reconciliation| {
        let mut s = sim(20, config(method, ExchangeMode::PushPull));
        for k in 0..200u64 {
            s.write(NodeId((k % 20) as u32), k, k);
        }
        s.run_for(SimDuration::from_secs(5));
        assert!(s.converged(), "{method:?}");
        // 20 nodes, one exchange each per 100 ms period: 1,000 exchanges in 5 s.
        let b0 = s.sent_bytes;
        s.run_for(SimDuration::from_secs(5));
        let per_exchange = (s.sent_bytes - b0) as f64 / 1_000.0;
        (per_exchange, s.count("ae-in-sync"))
    };
    let (full, _) = bytes(Reconciliation::FullState);
    let (checksum, in_sync) = bytes(Reconciliation::Checksum);
    let (merkle, merkle_in_sync) = bytes(Reconciliation::Merkle { depth: 2 });
    let (recent, _) = bytes(Reconciliation::RecentUpdates {
        window: SimDuration::from_secs(2),
    });
    eprintln!(
        "bytes per exchange, converged, 200 keys: full {full} checksum {checksum} merkle \
         {merkle} recent {recent}"
    );
    // Converged: full state ships 200 entries and gets an empty answer; the digests ship 12 bytes
    // of checksum (or one 12-byte root) and stop.
    assert!(full > 200.0 * 28.0, "{full}");
    assert_eq!(checksum, (HEADER_WIRE_BYTES + 12) as f64);
    assert_eq!(
        merkle,
        (HEADER_WIRE_BYTES + LEVEL_FIXED + MERKLE_NODE_WIRE_BYTES) as f64
    );
    assert!(in_sync > 0 && merkle_in_sync > 0);
    // Nothing is younger than 2 s: two empty recent lists with digests.
    assert_eq!(recent, 2.0 * (HEADER_WIRE_BYTES + RECENT_FIXED) as f64);
}

#[test]
fn merkle_sends_only_the_differing_buckets() {
    let mut s = sim(
        2,
        config(Reconciliation::Merkle { depth: 2 }, ExchangeMode::PushPull),
    );
    for k in 0..500u64 {
        s.write(NodeId(0), k, k);
    }
    s.run_for(SimDuration::from_secs(1));
    assert!(s.converged());
    let buckets_before = s.kinds["ae-merkle-buckets"];
    let bytes = s.sent_bytes;
    s.write(NodeId(1), 7, 99);
    s.run_for(SimDuration::from_secs(1));
    assert!(s.converged());
    assert!(s.kinds["ae-merkle-buckets"] > buckets_before);
    // Ten exchanges (two nodes, 100 ms, 1 s); the one that repairs ships one bucket of about
    // 500/256 entries, not the replica; the others stop at the root.
    let more = s.sent_bytes - bytes;
    assert!(more < 2_000, "{more} bytes: more than a bucket travelled");
}

#[test]
fn recent_updates_fall_back_to_the_full_state_for_old_differences() {
    let window = SimDuration::from_millis(500);
    let mut s = sim(
        2,
        config(
            Reconciliation::RecentUpdates { window },
            ExchangeMode::PushPull,
        ),
    );
    s.side = Some(vec![0, 1]);
    s.write(NodeId(0), 1, 1);
    s.run_for(SimDuration::from_secs(2));
    s.side = None;
    s.run_for(SimDuration::from_secs(1));
    assert!(s.converged());
    assert!(s.count("ae-fallbacks") >= 1);
}

#[test]
fn an_mtu_bounds_every_message_and_what_waits_is_counted() {
    for method in METHODS {
        for mode in MODES {
            let mtu = 200;
            let mut s = sim(
                10,
                AntiEntropyConfig {
                    mtu: Some(mtu),
                    ..config(method, mode)
                },
            );
            for k in 0..60u64 {
                s.write(NodeId((k % 10) as u32), k, k);
            }
            s.run_for(SimDuration::from_secs(20));
            assert!(
                s.largest_message <= mtu as usize,
                "{method:?} {mode:?}: {}",
                s.largest_message
            );
            assert!(
                s.converged(),
                "{method:?} {mode:?} did not converge under the MTU"
            );
            assert!(s.count("mtu-deferred") > 0, "{method:?} {mode:?}");
        }
    }
}

#[test]
fn merkle_repairs_a_few_writes_over_a_large_preloaded_replica_by_its_buckets_alone() {
    let keys = 10_000;
    let initial = VersionedStore::from_sorted(
        (0..keys)
            .map(|k| {
                let version = Version {
                    stamp: 0,
                    writer: NodeId(u32::MAX),
                };
                (k, Versioned { value: k, version })
            })
            .collect(),
    )
    .expect("sorted");
    let depth3 = Reconciliation::Merkle { depth: 3 };
    let mut s = sim(16, config(depth3, ExchangeMode::PushPull));
    for node in &mut s.nodes {
        node.preload(&initial);
    }
    assert!(s.converged());
    s.run_for(SimDuration::from_secs(1));
    assert!(s.learned.is_empty(), "a preload is not learned");
    assert_eq!(s.count("ae-in-sync"), s.kinds["ae-merkle-level"]);
    s.write(NodeId(0), 17, 1);
    s.write(NodeId(5), 4_242, 2);
    s.write(NodeId(9), 9_999, 3);
    s.run_for(SimDuration::from_secs(5));
    assert!(s.converged());
    assert_eq!(s.nodes[3].store().len(), keys as usize);
    assert_eq!(s.nodes[3].store().get(4_242).unwrap().value, 2);
    // Three differing keys: three root-to-leaf paths of 16 hashes, and a few entries per
    // leaf bucket — never the 10^4-entry replica (280 kB in full state).
    assert!(s.largest_message < 1_000, "{} B", s.largest_message);
}

/// The nodes a factory makes share one configuration, and a node is the smaller for it: its
/// own copy would take 40 bytes, the shared one a pointer.
#[test]
fn a_factorys_nodes_share_one_configuration() {
    let make = AntiEntropyNode::factory(
        config(Reconciliation::Checksum, ExchangeMode::Pull),
        UniformPeers::new(3),
    );
    let (a, b) = (make(NodeId(0)), make(NodeId(1)));
    assert!(Arc::ptr_eq(&a.engine.config, &b.engine.config));
    assert_eq!(a.engine.config.mode, ExchangeMode::Pull);
    assert!(std::mem::size_of::<AntiEntropyNode<UniformPeers>>() <= 72);
}

/// The rare state stays unmade where nothing needs it (every method but Merkle without an
/// MTU, and Merkle over a replica too small for a tree), and is made where something does:
/// a Merkle tree over a large replica, a cursor under an MTU.
#[test]
fn only_the_nodes_that_need_the_rare_state_make_it() {
    let made = |s: &Sim<AntiEntropyNode<UniformPeers>>| {
        s.nodes.iter().filter(|n| n.engine.rare.is_some()).count()
    };
    for method in METHODS {
        let mut s = sim(10, config(method, ExchangeMode::PushPull));
        for i in 0..10u32 {
            s.write(NodeId(i), u64::from(i), 1);
        }
        s.run_for(SimDuration::from_secs(3));
        assert!(s.converged(), "{method:?}");
        assert_eq!(
            made(&s),
            0,
            "{method:?}: 10 keys need no tree and no cursor"
        );
    }
    let mut merkle = sim(
        4,
        config(Reconciliation::Merkle { depth: 2 }, ExchangeMode::PushPull),
    );
    for k in 0..2_000u64 {
        merkle.write(NodeId((k % 4) as u32), k, k);
    }
    merkle.run_for(SimDuration::from_secs(3));
    assert!(merkle.converged());
    assert!(
        merkle.nodes.iter().all(|n| n.engine.tree().is_some()),
        "trees kept"
    );
    let mut bounded = sim(
        10,
        AntiEntropyConfig {
            mtu: Some(200),
            ..config(Reconciliation::FullState, ExchangeMode::Push)
        },
    );
    for k in 0..40u64 {
        bounded.write(NodeId(0), k, k);
    }
    bounded.run_for(SimDuration::from_millis(500));
    assert!(bounded.count("mtu-deferred") > 0);
    assert!(made(&bounded) > 0, "a cursor under an MTU");
}

/// A message owns heap memory exactly when its entries spilled out of their inline slot, or
/// it carries a Merkle level or bucket list: what lets the emulator skip the drop of the rest.
#[test]
fn messages_own_heap_memory_only_when_their_entries_spill() {
    let entry = |k: Key| {
        let version = Version {
            stamp: k,
            writer: NodeId(0),
        };
        (k, Versioned { value: k, version })
    };
    let one = crate::entries_of(&[entry(1)]);
    let three = crate::entries_of(&[entry(1), entry(2), entry(3)]);
    let state = |entries| AntiEntropyMessage::State {
        entries,
        reply_wanted: false,
    };
    assert!(!state(one.clone()).owns_heap());
    assert!(state(three.clone()).owns_heap());
    assert!(!AntiEntropyMessage::PullRequest.owns_heap());
    let digest = AntiEntropyMessage::Digest {
        checksum: 1,
        keys: 1,
    };
    assert!(!digest.owns_heap());
    let level = AntiEntropyMessage::MerkleLevel {
        level: 1,
        nodes: Vec::new(),
        from_initiator: true,
    };
    assert!(level.owns_heap());
    let rumor = crate::rumor::RumorMessage::Push { updates: one };
    assert!(!rumor.owns_heap());
    let rumor = crate::rumor::RumorMessage::Push { updates: three };
    assert!(rumor.owns_heap());
}
