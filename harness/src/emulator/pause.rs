//! Paused nodes: a stop-the-world pause holds everything that arrives for a node — messages,
//! timers, client requests — and hands it over, in its original order, on resume.
//!
//! Absent (`None` in the emulator) until the first pause, so runs without pauses pay one
//! branch per event.

/// Which nodes are paused, and the events held for them in arrival order.
#[derive(Clone, Debug)]
pub struct Pause<E> {
    paused: Vec<bool>,
    held: Vec<(u32, E)>,
}

impl<E> Pause<E> {
    /// No node paused, in a cluster of `nodes`.
    pub fn new(nodes: u32) -> Self {
        Pause {
            paused: vec![false; nodes as usize],
            held: Vec::new(),
        }
    }

    /// Whether `node` is paused.
    #[inline]
    pub fn is_paused(&self, node: u32) -> bool {
        self.paused[node as usize]
    }

    /// Pauses `node`.
    pub fn pause(&mut self, node: u32) {
        self.paused[node as usize] = true;
    }

    /// Holds `event` for paused `node`.
    pub fn hold(&mut self, node: u32, event: E) {
        self.held.push((node, event));
    }

    /// Resumes `node`, returning what was held for it in the order it arrived.
    pub fn resume(&mut self, node: u32) -> Vec<E> {
        self.paused[node as usize] = false;
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(n, _)| *n == node);
        self.held = rest;
        mine.into_iter().map(|(_, e)| e).collect()
    }
}
