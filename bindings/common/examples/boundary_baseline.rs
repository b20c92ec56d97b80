//! The Rust side of the binding boundary benchmark (`benches/bindings/run.sh`): the same calls the
//! Python and Node scripts make, without crossing a language boundary.
//!
//! `cargo run --release -p relay-bindings-common --example boundary_baseline -- WORKSPACE [CALLS] [EVENTS]`
//! prints one JSON object: median and mean µs of an awaited `status()` over CALLS calls, and the
//! events per second of a synthetic job of EVENTS events read in batches (as the bindings read).

use std::time::Instant;

use relay_bindings_common::{DEFAULT_BATCH, Selection, SyntheticJob, WorkspaceHandle, synthetic_job};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let workspace = args
        .next()
        .expect("usage: boundary_baseline WORKSPACE [CALLS] [EVENTS]");
    let calls: usize = args.next().map_or(300, |s| s.parse().expect("CALLS is a number"));
    let events: u64 = args.next().map_or(100_000, |s| s.parse().expect("EVENTS is a number"));

    let ws = WorkspaceHandle::open(Some(&workspace)).expect("open the benchmark workspace");
    for _ in 0..calls / 10 {
        ws.status(Selection::default()).await.expect("status");
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let status = ws.status(Selection::default()).await.expect("status");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        assert!(!status.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let mean = times.iter().sum::<f64>() / times.len() as f64;

    let start = Instant::now();
    let job = synthetic_job(SyntheticJob {
        events,
        ..Default::default()
    });
    let mut received = 0u64;
    loop {
        let batch = job.next_batch(DEFAULT_BATCH).await;
        if batch.is_empty() {
            break;
        }
        received += batch.len() as u64;
    }
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(received, events + 2);
    println!(
        "{{\"runtime\":\"rust\",\"status_median_us\":{median:.1},\"status_mean_us\":{mean:.1},\"calls\":{calls},\"events\":{received},\"events_per_s\":{:.0}}}",
        received as f64 / seconds
    );
}
