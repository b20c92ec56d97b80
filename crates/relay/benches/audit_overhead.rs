//! What auditing adds to a status over 50 repositories: the `project_status` tool called through
//! the registry without a store, and with the SQLite store appending each call to the audit log.
//!
//! `cargo bench -p relay --bench audit_overhead`; benches/RESULTS.md records a run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use relay::core::tools::{ToolContext, ToolRegistry};
use relay::{Relay, StoreChoice};

const ROUNDS: usize = 60;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time(registry: &ToolRegistry) -> Duration {
    let start = Instant::now();
    let out = registry
        .invoke("project_status", "{}", ToolContext::default())
        .await;
    assert!(out.ok, "{out:?}");
    start.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..50).map(|i| format!("repo{i:02}")).collect();
    let repos: Vec<(&str, &[&str])> = names.iter().map(|n| (n.as_str(), &[][..])).collect();
    relay_testkit::git::write_workspace(dir.path(), &repos);
    rt.block_on(async {
        let plain = Relay::builder()
            .workspace(dir.path())
            .build()
            .await
            .unwrap()
            .tools()
            .unwrap();
        let audited = Relay::builder()
            .workspace(dir.path())
            .store(StoreChoice::Configured)
            .build()
            .await
            .unwrap()
            .tools()
            .unwrap();
        let (plain, audited) = (Arc::new(plain), Arc::new(audited));
        for _ in 0..5 {
            time(&plain).await;
            time(&audited).await;
        }
        // Interleaved, so that machine load hits both alike.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            a.push(time(&plain).await);
            b.push(time(&audited).await);
        }
        let (a, b) = (median(a), median(b));
        println!(
            "status over 50 repositories: {:.2} ms without audit, {:.2} ms audited (+{:.1}%)",
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            (b.as_secs_f64() / a.as_secs_f64() - 1.0) * 100.0
        );
    });
}
