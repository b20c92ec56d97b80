//! `relay worker`: runs queued jobs (`relay run --detach`, webhook deliveries of `relay serve`); several workers on several hosts
//! share a Redis queue, each job running once; a worker that dies has its job taken over when
//! its lease runs out.

use std::time::Duration;

use relay::WorkUntil;

use crate::context::Global;
use crate::error::CliResult;

/// Arguments of `relay worker`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// This worker's name in the queue (default: host:pid).
    #[arg(long)]
    name: Option<String>,
    /// Seconds a claimed job stays this worker's without renewal; after that another worker
    /// takes it over.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    lease: u64,
    /// Stop when the queue is empty instead of waiting for more.
    #[arg(long)]
    drain: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    relay::agent::become_child_subreaper();
    let relay = g.remember().await?;
    let name = args
        .name
        .unwrap_or_else(|| format!("worker-{}", std::process::id()));
    let stop = tokio_util::sync::CancellationToken::new();
    if !args.drain {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping after the current job…");
                stop.cancel();
            }
        });
    }
    let lease = Duration::from_secs(args.lease.max(1));
    let mut total = 0;
    // Idle, the worker waits for the store's queue signal (an enqueue wakes it at once; other
    // processes on one SQLite file are seen within a second).
    relay
        .worker(&name, lease)
        .stop(stop)
        .until(if args.drain {
            WorkUntil::Drained
        } else {
            WorkUntil::Stopped
        })
        .run(|job| {
            total += 1;
            println!("{name}: job {} {}", job.id, job.state.as_str());
        })
        .await?;
    eprintln!("{name}: ran {total} job(s)");
    Ok(())
}
