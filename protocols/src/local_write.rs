//! A client's write as every strategy takes it: stamped with the node's local clock, merged
//! into its replica under the conflict rule, and reported when it changed the replica.

use crate::{ConflictRule, Context, Key, Observation, Value, Version, Versioned, VersionedStore};

/// The version a write taken now at this node gets: the node's local clock in microseconds,
/// its id as the tie-break. (The local clock, so clock skew shows in which write wins.)
pub fn write_version<M, C: Context<M>>(ctx: &C) -> Version {
    Version {
        stamp: ctx.now().as_micros(),
        writer: ctx.me(),
    }
}

/// Takes a client's write of `value` to `key` into `store`: returns the version it was given
/// and whether it changed the store (a write can lose to a version the rule prefers, e.g. one
/// stamped by a node whose clock runs ahead). A write that changed the store is observed as
/// learned.
pub fn local_write<M, C: Context<M>>(
    store: &mut VersionedStore,
    ctx: &mut C,
    key: Key,
    value: Value,
    rule: ConflictRule,
) -> (Version, bool) {
    let version = write_version(ctx);
    let applied = store
        .merge(key, Versioned { value, version }, rule)
        .is_applied();
    if applied {
        ctx.observe(Observation::Learned { key, version });
    }
    (version, applied)
}
