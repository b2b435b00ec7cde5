//! Checksum reconciliation: exchange a digest of the replica first, and the state only when the
//! digests differ (Demers et al. 1987, §1.3). Once the cluster has converged an exchange costs
//! one small message instead of a replica; while it has not, it costs one message more than
//! full state.
//!
//! The initiator sends its [`Digest`](AntiEntropyMessage::Digest) (the store's fingerprint). On
//! a match the peer counts `ae-in-sync` and the exchange ends. On a mismatch:
//!
//! * push: the peer asks for the initiator's full state (a pull request back), which it merges;
//! * pull: the peer answers with its full state;
//! * push-pull: the peer sends its full state asking for a reply, and the initiator answers with
//!   the exact difference, as in full-state push-pull.

use super::{AntiEntropyEngine, AntiEntropyMessage, ExchangeMode};
use crate::{Context, NodeId, Observation, PeerSampler, VersionedStore};

impl<S: PeerSampler> AntiEntropyEngine<S> {
    /// The first message of a checksum exchange: the digest.
    pub(super) fn checksum_opening(&self, store: &VersionedStore) -> AntiEntropyMessage {
        AntiEntropyMessage::Digest {
            checksum: store.fingerprint(),
            keys: store.len() as u32,
        }
    }

    pub(super) fn on_digest<C: Context<AntiEntropyMessage>>(
        &mut self,
        store: &VersionedStore,
        ctx: &mut C,
        from: NodeId,
        checksum: u64,
    ) {
        if checksum == store.fingerprint() {
            ctx.observe(Observation::Count {
                what: "ae-in-sync",
                n: 1,
            });
            return;
        }
        match self.config.mode {
            ExchangeMode::Push => self.send(ctx, from, AntiEntropyMessage::PullRequest),
            ExchangeMode::Pull => self.on_pull_request(store, ctx, from),
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
