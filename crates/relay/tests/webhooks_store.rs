//! The webhook receiver with a store, as a library: an accepted delivery is a job on the store's
//! queue (nothing runs it until a worker does), `Relay::worker` runs it and hands its events to
//! the receiver's subscribers, a redelivery is recognised by another receiver on the same store
//! (a restarted server), and a store that fails answers 503 with nothing recorded.

use std::io::{Read, Write};
use std::time::Duration;

use relay::core::EventKind;
use relay::core::store::JobState;
use relay::server::webhooks::{WebhookSecret, Webhooks};
use relay::{Relay, StoreChoice, WorkUntil};
use relay_testkit::webhooks::{OctokitWebhooks, set, sign};
use serde_json::json;

const SECRET: &str = "library secret";

fn ci_passed_on_backend() -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance("check-suite-completed");
    set(&mut p, "/repository/full_name", json!("acme/backend"));
    set(
        &mut p,
        "/repository/clone_url",
        json!("https://github.com/acme/backend.git"),
    );
    set(&mut p, "/repository/default_branch", json!("main"));
    set(&mut p, "/action", json!("completed"));
    set(&mut p, "/check_suite/head_branch", json!("main"));
    set(
        &mut p,
        "/check_suite/head_sha",
        json!("ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
    );
    set(&mut p, "/check_suite/status", json!("completed"));
    set(&mut p, "/check_suite/conclusion", json!("success"));
    set(&mut p, "/check_suite/app/name", json!("GitHub Actions"));
    gh.assert_valid("check-suite-completed", &p);
    serde_json::to_vec(&p).unwrap()
}

/// POSTs a signed `check_suite` delivery; returns the whole response.
async fn deliver(addr: std::net::SocketAddr, id: &str, body: Vec<u8>) -> String {
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST /webhooks/github HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             X-GitHub-Event: check_suite\r\nX-GitHub-Delivery: {id}\r\nX-Hub-Signature-256: {}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            sign(SECRET.as_bytes(), &body),
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap()
}

/// A receiver with `relay`'s store, served on a free loopback port.
async fn receiver(relay: &Relay) -> (Webhooks, std::net::SocketAddr) {
    let webhooks = Webhooks::builder(relay.require_graph().unwrap())
        .secret(WebhookSecret::new(SECRET).unwrap())
        .store(relay.require_store().unwrap())
        .build()
        .unwrap();
    assert!(webhooks.is_durable());
    let server = relay::server::Server::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let router = relay::server::router(&webhooks);
    tokio::spawn(server.serve(router, std::future::pending()));
    (webhooks, addr)
}

async fn open(dir: &std::path::Path, url: &str) -> Relay {
    Relay::builder()
        .workspace(dir)
        .store(StoreChoice::url(url).unwrap())
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_jobs_in_the_store_run_by_a_worker_and_recognised_after_a_restart() {
    let redis = relay_testkit::redis::RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    relay_testkit::git::write_workspace(dir.path(), &[("backend", &[])]);
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: backend\n    url: https://github.com/acme/backend\n",
    )
    .unwrap();
    let relay = open(dir.path(), &redis.url()).await;
    let store = relay.require_store().unwrap();
    let (webhooks, addr) = receiver(&relay).await;

    let first = deliver(addr, "lib-d1", ci_passed_on_backend()).await;
    assert!(first.starts_with("HTTP/1.1 202"), "{first}");
    let again = deliver(addr, "lib-d1", ci_passed_on_backend()).await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    assert!(again.contains("already received"), "{again}");

    // Accepted means queued in the store, and nothing ran it yet.
    let job = store
        .job("webhook-lib-d1")
        .await
        .unwrap()
        .expect("a job record");
    assert_eq!(
        (job.operation.as_str(), job.user.as_str(), job.state),
        ("webhook", "github", JobState::Queued)
    );
    assert_eq!(job.spec["delivery"], "lib-d1");
    assert_eq!(
        job.spec["actions"][0]["notify"]["kind"], "ci",
        "{}",
        job.spec
    );
    assert_eq!(store.queue_len().await.unwrap(), 1);

    // A worker runs it; the receiver's subscribers see its events.
    let mut events = webhooks.subscribe();
    let mut finished = Vec::new();
    relay
        .worker("lib-worker", Duration::from_secs(30))
        .until(WorkUntil::Drained)
        .events(webhooks.publisher())
        .run(|job| finished.push((job.id.clone(), job.state)))
        .await
        .unwrap();
    assert_eq!(
        finished,
        [("webhook-lib-d1".to_string(), JobState::Succeeded)]
    );
    let mut said = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EventKind::Notification(n) = &event.kind {
            said.push(n.sentence());
        }
    }
    assert_eq!(said, ["CI on backend passed on main."]);
    assert_eq!(store.queue_len().await.unwrap(), 0);
    let recorded = store.job_events("webhook-lib-d1").await.unwrap();
    assert!(
        recorded.iter().any(|e| e["type"] == "notification"),
        "{recorded:?}"
    );

    // A restarted server (another receiver and another store connection) still knows it.
    let restarted = open(dir.path(), &redis.url()).await;
    let (_webhooks2, addr2) = receiver(&restarted).await;
    let redelivered = deliver(addr2, "lib-d1", ci_passed_on_backend()).await;
    assert!(redelivered.starts_with("HTTP/1.1 200"), "{redelivered}");
    assert_eq!(store.queue_len().await.unwrap(), 0);

    // The store goes away: a new delivery is refused with 503, to be retried, not lost silently.
    drop(redis);
    let refused = deliver(addr2, "lib-d2", ci_passed_on_backend()).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 10"),
        "{refused}"
    );
    assert!(
        refused.contains("the store could not queue the delivery; retry later"),
        "{refused}"
    );
}
