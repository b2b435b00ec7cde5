//! Carrying out a fault: what each [`FaultAction`] changes in the emulator.
//!
//! Network-side faults only change the state the send path consults (`FaultState`);
//! node-side faults start, stop, freeze and thaw processes. A stopped process loses its timers
//! (they carry the incarnation that armed them) and its inbound queue; a paused one keeps
//! everything and gets it back, in order, when it resumes.

use super::Emulator;
use crate::emulator::capacity::CapacityState;
use crate::emulator::clock::Clocks;
use crate::emulator::pause::Pause;
use crate::history::{NodeEvent, NodeEventKind};
use hearsay_faults::FaultAction;
use hearsay_protocols::{Node, NodeId};

impl<N: Node, F: FnMut(NodeId) -> N> Emulator<N, F> {
    pub(super) fn apply_fault(&mut self, action: FaultAction) {
        let n = self.config.nodes;
        let now = self.now();
        match action {
            FaultAction::Partition(spec) => self.net.fx.cut = Some(spec.connectivity(n)),
            FaultAction::Heal => self.net.fx.cut = None,
            FaultAction::HealNodes { nodes } => {
                if let Some(cut) = &mut self.net.fx.cut {
                    nodes.iter().for_each(|&id| cut.reconnect(id));
                }
            }
            FaultAction::HealNetwork => self.net.fx.links.clear(),
            FaultAction::HealAll => {
                self.net.fx.cut = None;
                self.net.fx.links.clear();
            }
            FaultAction::Crash { nodes, lose_state } => {
                for id in nodes {
                    self.stop(id);
                    if lose_state {
                        self.members[id.index()].node = (self.factory)(id);
                    }
                    self.node_event(id, NodeEventKind::Crash { lose_state });
                }
            }
            FaultAction::Restart { nodes } => {
                for id in nodes {
                    if !self.members[id.index()].alive {
                        self.node_event(id, NodeEventKind::Restart);
                    }
                    self.start(id);
                }
            }
            FaultAction::Join { nodes } => {
                for id in nodes {
                    if !self.members[id.index()].alive {
                        self.node_event(id, NodeEventKind::Join);
                    }
                    self.start(id);
                }
            }
            FaultAction::Leave { nodes } => {
                for id in nodes {
                    self.node_event(id, NodeEventKind::Leave);
                    self.stop(id);
                    // Gone for good: free its state, and count what is still sent to it.
                    self.members[id.index()].node = (self.factory)(id);
                    if let Some(absent) = &mut self.net.fx.absent {
                        absent[id.index()] = true;
                    }
                }
            }
            FaultAction::Pause { nodes } => {
                let pause = self.net.fx.pause.get_or_insert_with(|| Pause::new(n));
                nodes.iter().for_each(|id| pause.pause(id.0));
            }
            FaultAction::Resume { nodes } => {
                for id in nodes {
                    self.release(id);
                }
            }
            FaultAction::Network(fault) => self.net.fx.links.add(fault, n),
            FaultAction::NetworkEnd(fault) => self.net.fx.links.remove(&fault),
            FaultAction::Skew { nodes, skew } => {
                let clocks = self.net.fx.clocks.get_or_insert_with(|| Clocks::new(n));
                nodes
                    .iter()
                    .for_each(|id| clocks.set(id.index(), skew, now));
            }
            FaultAction::SkewEnd { nodes } => {
                if let Some(clocks) = &mut self.net.fx.clocks {
                    nodes.iter().for_each(|id| clocks.reset(id.index()));
                }
            }
            FaultAction::Capacity { nodes, capacity } => self
                .net
                .fx
                .capacity
                .get_or_insert_with(|| CapacityState::new(n))
                .set(&nodes, capacity),
            FaultAction::CapacityEnd { nodes } => {
                if let Some(c) = &mut self.net.fx.capacity {
                    c.clear(&nodes);
                }
            }
        }
        self.net.refresh();
    }

    fn node_event(&mut self, node: NodeId, kind: NodeEventKind) {
        self.history.node_events.push(NodeEvent {
            at: self.now(),
            node,
            kind,
        });
    }

    /// Starts the process of a node that is down (a restart or a join).
    fn start(&mut self, id: NodeId) {
        let i = id.index();
        let member = &mut self.members[i];
        if member.alive {
            return;
        }
        member.alive = true;
        member.incarnation += 1;
        if let Some(absent) = &mut self.net.fx.absent {
            absent[i] = false;
        }
        self.call(id, |node, ctx| node.on_start(ctx));
    }

    /// Stops the process of a node: its timers and its inbound queue die with it. If it was
    /// paused, what was held for it is released and dropped as undeliverable.
    fn stop(&mut self, id: NodeId) {
        let i = id.index();
        let member = &mut self.members[i];
        member.alive = false;
        member.incarnation += 1;
        if let Some(c) = &mut self.net.fx.capacity {
            c.reset(i);
        }
        self.release(id);
    }

    /// Unpauses `id`, handing it what was held in the order it arrived.
    fn release(&mut self, id: NodeId) {
        let now = self.now();
        let Some(pause) = &mut self.net.fx.pause else {
            return;
        };
        if !pause.is_paused(id.0) {
            return;
        }
        for event in pause.resume(id.0) {
            // Same time, increasing sequence: they pop in the order they were held.
            self.net.queue.push(now, event);
        }
    }
}
