//! Per-delivery cost of the webhook endpoint: checking the signature and parsing a typical push
//! (three commits, GitHub's schema-shaped payload), and the acknowledgement latency of
//! `POST /webhooks/github` over loopback HTTP (signed push in, 202 out; the work is queued).
//!
//! Needs `bash scripts/setup/webhooks.sh` (GitHub's webhook schemas).
//! Run: `cargo bench -p relay-server --bench webhooks` (add `-- --quick` for a shorter run).
//! Results: `benches/RESULTS.md`, section "Webhooks".

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relay_core::{RepoGraph, Workspace};
use relay_repos::GitRepoGraph;
use relay_server::webhooks::{WebhookSecret, Webhooks, parse};
use relay_testkit::webhooks::{OctokitWebhooks, set, sign};
use serde_json::json;

const SECRET: &str = "bench secret";

/// A push of three commits to `acme/shared-api` main, valid against GitHub's schema.
fn typical_push() -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance("push");
    set(&mut p, "/ref", json!("refs/heads/main"));
    set(&mut p, "/repository/full_name", json!("acme/shared-api"));
    set(
        &mut p,
        "/repository/clone_url",
        json!("https://github.com/acme/shared-api.git"),
    );
    set(
        &mut p,
        "/repository/ssh_url",
        json!("git@github.com:acme/shared-api.git"),
    );
    let commit = |i: usize| {
        json!({
            "id": format!("{i:040x}"), "tree_id": format!("{:040x}", i + 100), "distinct": true,
            "message": format!("Change number {i}\n\nWith a body explaining why the change was made."),
            "timestamp": "2026-01-02T03:04:05Z", "url": format!("https://github.com/acme/shared-api/commit/{i:040x}"),
            "author": {"name": "Ada Tester", "email": "ada@example.com", "username": "ada"},
            "committer": {"name": "Ada Tester", "email": "ada@example.com", "username": "ada"},
            "added": ["src/new.rs"], "removed": [], "modified": ["src/lib.rs", "Cargo.toml"],
        })
    };
    let commits: Vec<_> = (1..=3).map(commit).collect();
    set(&mut p, "/head_commit", commits[2].clone());
    set(&mut p, "/commits", json!(commits));
    gh.assert_valid("push", &p);
    serde_json::to_vec(&p).unwrap()
}

fn verify_and_parse(c: &mut Criterion) {
    let body = typical_push();
    let secret = WebhookSecret::new(SECRET).unwrap();
    let signature = secret.sign(&body);
    let mut group = c.benchmark_group("webhook_delivery");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(format!("verify_and_parse_push_{}_bytes", body.len()), |b| {
        b.iter(|| {
            secret
                .verify(black_box(&body), Some(signature.as_bytes()))
                .unwrap();
            black_box(parse("push", black_box(&body)).unwrap());
        });
    });
    group.bench_function("verify_only", |b| {
        b.iter(|| {
            secret
                .verify(black_box(&body), Some(signature.as_bytes()))
                .unwrap();
        });
    });
    group.finish();
}

fn acknowledgement(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    relay_testkit::git::write_workspace(dir.path(), &[("shared-api", &[])]);
    let body = typical_push();
    let signature = sign(SECRET.as_bytes(), &body);
    let (url, _webhooks) = runtime.block_on(async {
        // No repository of this workspace is on GitHub: deliveries are queued and dropped, the
        // cost measured is the endpoint's.
        let graph: Arc<dyn RepoGraph> =
            Arc::new(GitRepoGraph::new(Workspace::load(dir.path()).unwrap()));
        let webhooks = Webhooks::builder(graph)
            .secret(WebhookSecret::new(SECRET).unwrap())
            .delivery_log_capacity(1_000_000)
            .build()
            .unwrap();
        let server = relay_server::Server::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/github", server.local_addr());
        tokio::spawn(server.serve(relay_server::router(&webhooks), std::future::pending()));
        (url, webhooks)
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let n = AtomicU64::new(0);
    c.bench_function("webhook_ack_latency_push_loopback", |b| {
        b.to_async(&runtime).iter(|| async {
            let id = format!("bench-{}", n.fetch_add(1, Ordering::Relaxed));
            let response = client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-github-event", "push")
                .header("x-github-delivery", id)
                .header("x-hub-signature-256", &signature)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 202);
        });
    });
}

criterion_group!(benches, verify_and_parse, acknowledgement);
criterion_main!(benches);
