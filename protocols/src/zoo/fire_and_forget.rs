//! Zoo: a broadcast that trusts the network — the writer sends each update to every member once
//! and never re-sends. Under any packet loss some members never hear of the write.

use super::ZooConfig;
use crate::{
    Context, ENTRY_WIRE_BYTES, HEADER_WIRE_BYTES, Key, MergeOutcome, Message, Node, NodeId,
    Observation, TimerId, Value, Version, Versioned, VersionedStore,
};
use serde::{Deserialize, Serialize};

/// One update, sent once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    /// The key.
    pub key: Key,
    /// The value and its version.
    pub entry: Versioned,
}

impl Message for Broadcast {
    #[inline]
    fn wire_size(&self) -> usize {
        HEADER_WIRE_BYTES + ENTRY_WIRE_BYTES
    }
    #[inline]
    fn kind(&self) -> &'static str {
        "zoo-broadcast"
    }
}

/// A node of the fire-and-forget broadcast.
#[derive(Clone, Debug)]
pub struct FireAndForgetNode {
    config: ZooConfig,
    members: u32,
    store: VersionedStore,
}

impl FireAndForgetNode {
    /// A node in a cluster of `members` nodes.
    pub fn new(config: ZooConfig, members: u32) -> Self {
        FireAndForgetNode {
            config,
            members,
            store: VersionedStore::new(),
        }
    }
}

impl Node for FireAndForgetNode {
    type Message = Broadcast;

    fn on_start<C: Context<Broadcast>>(&mut self, _ctx: &mut C) {}

    fn on_timer<C: Context<Broadcast>>(&mut self, _ctx: &mut C, _timer: TimerId) {}

    fn on_message<C: Context<Broadcast>>(&mut self, ctx: &mut C, _from: NodeId, msg: &Broadcast) {
        match self.store.merge(msg.key, msg.entry, self.config.conflict) {
            MergeOutcome::Applied => ctx.observe(Observation::Learned {
                key: msg.key,
                version: msg.entry.version,
            }),
            MergeOutcome::AlreadyKnown => ctx.observe(Observation::Redundant { key: msg.key }),
            MergeOutcome::Superseded => {}
        }
    }

    fn on_client_write<C: Context<Broadcast>>(
        &mut self,
        ctx: &mut C,
        key: Key,
        value: Value,
    ) -> Version {
        let (version, _) =
            crate::local_write(&mut self.store, ctx, key, value, self.config.conflict);
        let entry = Versioned { value, version };
        let me = ctx.me();
        // BUG: one send per member, no acknowledgement, no retry.
        for peer in (0..self.members).map(NodeId).filter(|p| *p != me) {
            ctx.send(peer, Broadcast { key, entry });
        }
        version
    }

    fn preload(&mut self, initial: &VersionedStore) {
        self.store.preload(initial, self.config.conflict);
    }

    fn store(&self) -> &VersionedStore {
        &self.store
    }
}
