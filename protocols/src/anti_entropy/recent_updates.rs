//! Recent-update reconciliation (Demers et al. 1987, §1.3): the peers exchange the updates
//! younger than a window `τ` together with a digest of their replica, apply them, and compare
//! digests; only if they still differ (an update older than `τ` is missing somewhere) does the
//! full state travel. With `τ` longer than the time an update takes to reach everyone, a
//! converged cluster exchanges only its recent updates.
//!
//! "Younger" is judged by the update's version stamp (the writer's clock) against the node's own
//! clock, so clock skew between nodes shows up in what counts as recent, as it would for real.
//!
//! * push: the initiator sends its recent updates and digest; the peer applies them and, if its
//!   digest now differs, pulls the initiator's full state;
//! * pull: the initiator sends its digest only; the peer answers with its recent updates and
//!   digest; if the initiator's digest then differs it pulls the peer's full state;
//! * push-pull: the initiator sends its recent updates; the peer applies them and answers with
//!   its own recent updates (those the initiator did not just send) and its digest after the
//!   merge; if the initiator's digest then differs, it falls back to full-state push-pull.
//!
//! Each fallback counts `ae-fallbacks`; each exchange the digests settle counts `ae-in-sync`.

use super::{AntiEntropyEngine, AntiEntropyMessage, ExchangeMode, RECENT_FIXED};
use crate::{
    Context, Entries, HEADER_WIRE_BYTES, Key, NodeId, Observation, PeerSampler, SimDuration,
    Versioned, VersionedStore,
};

impl<S: PeerSampler> AntiEntropyEngine<S> {
    /// The first message of a recent-update exchange.
    pub(super) fn recent_opening<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        window: SimDuration,
    ) -> AntiEntropyMessage {
        let mode = self.config.mode;
        let entries = if mode.pushes() {
            self.recent(store, ctx, window, &[])
        } else {
            Entries::new()
        };
        AntiEntropyMessage::Recent {
            entries,
            checksum: store.fingerprint(),
            reply_wanted: mode.pulls(),
        }
    }

    /// The entries stamped within `window` of now, minus those `exclude` holds at the same
    /// version, trimmed to the MTU.
    fn recent<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        window: SimDuration,
        exclude: &[(crate::Key, crate::Versioned)],
    ) -> Entries {
        let now = ctx.now().as_micros();
        let window = window.as_nanos() / 1_000;
        let mut entries: Entries = store
            .iter()
            .filter(|(_, v)| now.saturating_sub(v.version.stamp) <= window)
            .filter(|(k, v)| {
                !exclude
                    .iter()
                    .any(|(ek, ev)| ek == k && ev.version == v.version)
            })
            .map(|(k, v)| (k, *v))
            .collect();
        self.fit(ctx, &mut entries, HEADER_WIRE_BYTES + RECENT_FIXED);
        entries
    }

    pub(super) fn on_recent<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &mut VersionedStore,
        ctx: &mut C,
        from: NodeId,
        entries: &[(Key, Versioned)],
        checksum: u64,
        reply_wanted: bool,
    ) {
        self.merge_all(store, ctx, entries);
        let window = match self.config.reconciliation {
            super::Reconciliation::RecentUpdates { window } => window,
            _ => super::DEFAULT_RECENT_WINDOW,
        };
        if reply_wanted {
            // We are the peer of a pull or push-pull: our recent updates and digest.
            let mine = self.recent(store, ctx, window, entries);
            self.send(
                ctx,
                from,
                AntiEntropyMessage::Recent {
                    entries: mine,
                    checksum: store.fingerprint(),
                    reply_wanted: false,
                },
            );
            return;
        }
        if checksum == store.fingerprint() {
            ctx.observe(Observation::Count {
                what: "ae-in-sync",
                n: 1,
            });
            return;
        }
        ctx.observe(Observation::Count {
            what: "ae-fallbacks",
            n: 1,
        });
        match self.config.mode {
            // Push: we are the peer and want the initiator's state. Pull: we are the initiator
            // and want the peer's. Either way, a pull request to the other side.
            ExchangeMode::Push | ExchangeMode::Pull => {
                self.send(ctx, from, AntiEntropyMessage::PullRequest)
            }
            ExchangeMode::PushPull => {
                let entries = self.full_state(store, ctx);
                self.send(
                    ctx,
                    from,
                    AntiEntropyMessage::State {
                        entries,
                        reply_wanted: true,
                    },
                );
            }
        }
    }
}
