//! `hearsay node`: one node of a real cluster on a loopback UDP socket (started by
//! `hearsay cluster`; control lines on stdin, JSON reports on stdout).

use anyhow::Result;
use clap::Args;
use hearsay_harness::backend::udp_node::{NodeProcessArgs, run_node_process};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `hearsay node`.
#[derive(Args, Debug)]
pub(crate) struct NodeArgs {
    /// This node's id (its line in the peers file, from 0).
    #[arg(long)]
    id: u32,
    /// A file with one loopback `IP:PORT` per line: line i is node i's socket.
    #[arg(long)]
    peers: PathBuf,
    /// The run's seed (node i draws from the seed's stream `node`, i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The scenario file: the strategy's protocol and the network's loss and latency.
    #[arg(long)]
    scenario: PathBuf,
    /// The strategy to run (a name from the scenario).
    #[arg(long)]
    strategy: String,
    /// Restarts before this one (a restarted node draws from a fresh stream).
    #[arg(long, default_value_t = 0)]
    incarnation: u32,
}

pub(crate) fn node(args: NodeArgs) -> Result<ExitCode> {
    run_node_process(&NodeProcessArgs {
        scenario: args.scenario,
        strategy: args.strategy,
        id: args.id,
        peers: args.peers,
        seed: args.seed,
        incarnation: args.incarnation,
    })
    .map_err(crate::backends::backend_error)?;
    Ok(ExitCode::SUCCESS)
}
