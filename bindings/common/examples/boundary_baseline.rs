//! The Rust side of the binding boundary benchmark (`benches/bindings/run.sh`): the same calls the
//! Python and Node scripts make, without crossing a language boundary.
//!
//! `cargo run --release -p relay-bindings-common --example boundary_baseline -- WORKSPACE [CALLS] [EVENTS]`
//! prints one JSON object: the median µs of an awaited `status()` of the 3 repositories (CALLS
//! calls) and of an awaited `status()` of an empty selection (10 per full call: the call's own
//! cost), and the
//! events per second of a synthetic job of EVENTS events read in batches (as the bindings read).

use std::time::Instant;

use relay_bindings_common::{
    DEFAULT_BATCH, Selection, SyntheticJob, WorkspaceHandle, synthetic_job,
};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let workspace = args
        .next()
        .expect("usage: boundary_baseline WORKSPACE [CALLS] [EVENTS]");
    let calls: usize = args
        .next()
        .map_or(300, |s| s.parse().expect("CALLS is a number"));
    let events: u64 = args
        .next()
        .map_or(100_000, |s| s.parse().expect("EVENTS is a number"));

    let ws = WorkspaceHandle::open(Some(&workspace)).expect("open the benchmark workspace");
    let all = || Selection::default();
    // An empty selection runs the same path (facade, RepoGraph, result conversion) without git
    // work: what remains is the cost of the call itself, which is what the bindings add to.
    let none = || Selection {
        repos: Some(Vec::new()),
        affected_by: None,
    };
    let mut full = Vec::with_capacity(calls);
    let mut empty = Vec::with_capacity(calls * 10);
    for round in 0..calls + calls / 10 {
        let start = Instant::now();
        let status = ws.status(all()).await.expect("status");
        let elapsed = start.elapsed().as_secs_f64() * 1e6;
        assert_eq!(status.len(), 3);
        for _ in 0..10 {
            let start = Instant::now();
            let status = ws.status(none()).await.expect("status");
            let elapsed = start.elapsed().as_secs_f64() * 1e6;
            assert!(status.is_empty());
            if round >= calls / 10 {
                empty.push(elapsed);
            }
        }
        if round >= calls / 10 {
            full.push(elapsed);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };

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
        "{{\"runtime\":\"rust\",\"status_median_us\":{:.1},\"empty_status_median_us\":{:.1},\"calls\":{calls},\"events\":{received},\"events_per_s\":{:.0}}}",
        median(&mut full),
        median(&mut empty),
        received as f64 / seconds
    );
}
