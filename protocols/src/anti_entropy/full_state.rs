//! Full-state reconciliation: the replica itself travels.
//!
//! * push: the initiator sends its full state; the peer merges it.
//! * pull: the initiator asks; the peer answers with its full state.
//! * push-pull: the initiator sends its full state; the peer merges it and answers with exactly
//!   the entries the initiator lacks or holds in another version (it has the initiator's state
//!   in hand, so that difference is exact and costs nothing extra to compute).
//!
//! The other methods fall back to these messages when their digests disagree, so the `State`
//! and `PullRequest` handlers here serve them all.

use super::{AntiEntropyEngine, AntiEntropyMessage, ExchangeMode, STATE_FIXED};
use crate::{
    Context, Entries, HEADER_WIRE_BYTES, Key, NodeId, PeerSampler, Versioned, VersionedStore,
};

impl<S: PeerSampler> AntiEntropyEngine<S> {
    /// The first message of a full-state exchange.
    #[inline]
    pub(super) fn full_state_opening<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
    ) -> AntiEntropyMessage {
        match self.config.mode {
            ExchangeMode::Pull => AntiEntropyMessage::PullRequest,
            mode => AntiEntropyMessage::State {
                entries: self.full_state(store, ctx),
                reply_wanted: mode == ExchangeMode::PushPull,
            },
        }
    }

    /// The whole replica, trimmed to the MTU.
    #[inline]
    pub(super) fn full_state<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
    ) -> Entries {
        let mut entries = crate::entries_of(store.entries());
        self.fit(ctx, &mut entries, HEADER_WIRE_BYTES + STATE_FIXED);
        entries
    }

    #[inline(always)]
    pub(super) fn on_state<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        entries: &[(Key, Versioned)],
        reply_wanted: bool,
    ) {
        self.merge_all(store, ctx, entries);
        if reply_wanted {
            self.reply_difference(store, ctx, from, entries);
        }
    }

    /// Answers a push-pull opening with the entries its sender lacks, if any.
    #[inline(never)]
    fn reply_difference<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        from: NodeId,
        entries: &[(Key, Versioned)],
    ) {
        let mut missing = difference(store, entries);
        if !missing.is_empty() {
            self.fit(ctx, &mut missing, HEADER_WIRE_BYTES + STATE_FIXED);
            self.send(
                ctx,
                from,
                AntiEntropyMessage::State {
                    entries: missing,
                    reply_wanted: false,
                },
            );
        }
    }

    pub(super) fn on_pull_request<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        from: NodeId,
    ) {
        if !store.is_empty() {
            let entries = self.full_state(store, ctx);
            self.send(
                ctx,
                from,
                AntiEntropyMessage::State {
                    entries,
                    reply_wanted: false,
                },
            );
        }
    }
}

/// The entries of `ours` (already merged with `theirs`) that `theirs` lacks or holds in another
/// version. Both are in key order. The list outgrows its inline room at most once, to what the
/// rest of `ours` could add: growing it one entry at a time reallocated it about log2(n) times.
pub(super) fn difference(ours: &VersionedStore, theirs: &[(Key, Versioned)]) -> Entries {
    let mut out = Entries::new();
    let mut j = 0;
    for (i, (key, mine)) in ours.iter().enumerate() {
        while j < theirs.len() && theirs[j].0 < key {
            j += 1;
        }
        let same = j < theirs.len() && theirs[j].0 == key && theirs[j].1.version == mine.version;
        if !same {
            if out.len() == out.capacity() {
                out.reserve(ours.len() - i);
            }
            out.push((key, *mine));
        }
    }
    out
}
