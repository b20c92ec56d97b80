//! `POST /webhooks/github` over HTTP: what is refused (401, 400, 413, 503) is never acted on, a
//! redelivery is acted on once, unknown events and pings are accepted and ignored.
//!
//! Every case sends a delivery that *would* act (a push to a sync rule's trigger) and then a
//! sentinel delivery: the worker takes deliveries in order, so when the sentinel's job is the next
//! job, nothing before it was acted on.

mod support;

use relay_core::event::{CiConclusion, Notification};
use relay_testkit::webhooks::OctokitWebhooks;
use serde_json::json;
use support::*;

/// A workspace of `shared-api` and `backend` with rule `shared-api:main → update_dependents`,
/// a new commit waiting on each origin.
fn setup() -> (Sandbox, relay_core::Workspace) {
    let (s, ws, _) = setup_with_head();
    (s, ws)
}

/// Like [`setup`], with the sha backend's origin moved to.
fn setup_with_head() -> (Sandbox, relay_core::Workspace, String) {
    let s = Sandbox::new();
    s.repo("shared-api");
    s.repo("backend");
    s.push_upstream("shared-api", "api.txt");
    let backend_after = s.push_upstream("backend", "backend.txt");
    let ws = s.workspace(&format!(
        "repositories:\n{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
        repo_yaml("shared-api", &[]),
        repo_yaml("backend", &["shared-api"]),
    ));
    (s, ws, backend_after)
}

/// Delivers a check_suite (the sentinel) and returns the next job's notifications.
async fn sentinel(server: &mut Running) -> Vec<Notification> {
    let answer = server
        .deliver(
            "check_suite",
            &delivery_id(),
            &check_suite_payload("backend", "main", "success"),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    let job = server.next_job().await;
    assert_eq!(
        operation(&job),
        "webhook check_suite",
        "no other job ran before the sentinel"
    );
    notifications(&job)
}

#[tokio::test]
async fn refused_deliveries_get_their_status_and_act_on_nothing() {
    let (s, ws) = setup();
    let before = (
        fingerprint(&s.root().join("shared-api")),
        fingerprint(&s.root().join("backend")),
    );
    let mut server = start_with(ws, |b| b.max_body_bytes(64 * 1024)).await;
    let push = push_payload(
        "shared-api",
        "main",
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    );

    // Missing signature.
    let a = server
        .post("push", &delivery_id(), None, push.clone())
        .await;
    assert_eq!(a.status, 401, "{a:?}");
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("missing X-Hub-Signature-256"),
        "{a:?}"
    );
    // Signed with another secret.
    let wrong = relay_testkit::webhooks::sign(b"not the secret", &push);
    let a = server
        .post("push", &delivery_id(), Some(&wrong), push.clone())
        .await;
    assert_eq!(a.status, 401, "{a:?}");
    assert!(
        a.body["error"].as_str().unwrap().contains("does not match"),
        "{a:?}"
    );
    assert!(
        !a.body.to_string().contains(SECRET),
        "the secret never appears in an answer"
    );
    // The right signature of another body.
    let other = relay_testkit::webhooks::sign(SECRET.as_bytes(), b"{}");
    let a = server
        .post("push", &delivery_id(), Some(&other), push.clone())
        .await;
    assert_eq!(a.status, 401, "{a:?}");
    // Not sha256=hex.
    let a = server
        .post("push", &delivery_id(), Some("sha1=0123"), push.clone())
        .await;
    assert_eq!(a.status, 401, "{a:?}");
    assert!(
        a.body["error"].as_str().unwrap().contains("malformed"),
        "{a:?}"
    );

    // Malformed JSON, correctly signed.
    let a = server
        .deliver("push", &delivery_id(), b"{\"ref\": \"refs/heads/main\",")
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("malformed `push` payload"),
        "{a:?}"
    );
    // Valid JSON without what a push needs.
    let a = server
        .deliver("push", &delivery_id(), br#"{"ref": 3}"#)
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    // Malformed JSON of an event Relay ignores is still malformed.
    let a = server.deliver("star", &delivery_id(), b"not json").await;
    assert_eq!(a.status, 400, "{a:?}");

    // Oversize: declared by Content-Length, and the limit is the configured one.
    let mut big = push.clone();
    big.truncate(big.len() - 1);
    big.extend(std::iter::repeat_n(b' ', 64 * 1024));
    big.push(b'}');
    let a = server.deliver("push", &delivery_id(), &big).await;
    assert_eq!(a.status, 413, "{a:?}");
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("larger than 65536 bytes"),
        "{a:?}"
    );

    // Missing GitHub headers, correctly signed.
    let a = server.deliver("", &delivery_id(), &push).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(
        a.body["error"].as_str().unwrap().contains("X-GitHub-Event"),
        "{a:?}"
    );
    let a = server.deliver("push", "", &push).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(
        a.body["error"]
            .as_str()
            .unwrap()
            .contains("X-GitHub-Delivery"),
        "{a:?}"
    );

    // Nothing was acted on: the next job is the sentinel's, and no working copy moved.
    let said = sentinel(&mut server).await;
    assert!(
        matches!(
            &said[..],
            [Notification::Ci {
                conclusion: CiConclusion::Success,
                ..
            }]
        ),
        "{said:?}"
    );
    let after = (
        fingerprint(&s.root().join("shared-api")),
        fingerprint(&s.root().join("backend")),
    );
    assert_eq!(after, before, "a refused delivery must not sync anything");
}

#[tokio::test]
async fn a_redelivery_is_acted_on_once() {
    let (s, ws) = setup();
    let mut server = start(ws).await;
    let push = push_payload(
        "shared-api",
        "main",
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    );
    let id = delivery_id();
    let first = server.deliver("push", &id, &push).await;
    assert_eq!(
        (first.status, first.body.clone()),
        (202, json!({"status": "accepted"}))
    );
    let job = server.next_job().await;
    assert_eq!(operation(&job), "webhook push");
    let backend = s.root().join("backend");
    let synced = fingerprint(&backend);

    // GitHub's "Redeliver" sends the same id; so does a retry after a timeout.
    s.push_upstream("backend", "later.txt");
    let again = server.deliver("push", &id, &push).await;
    assert_eq!(
        (again.status, again.body.clone()),
        (200, json!({"status": "already received"}))
    );
    sentinel(&mut server).await;
    assert_eq!(
        fingerprint(&backend),
        synced,
        "the redelivery did not sync again"
    );
}

#[tokio::test]
async fn ping_unknown_events_and_other_branches_are_accepted_and_ignored() {
    let (s, ws) = setup();
    let before = fingerprint(&s.root().join("backend"));
    let mut server = start(ws).await;
    let gh = OctokitWebhooks::load();

    let ping = gh
        .example("ping")
        .expect("GitHub's description has a ping example");
    gh.assert_valid("ping", &ping);
    let a = server
        .deliver("ping", &delivery_id(), &serde_json::to_vec(&ping).unwrap())
        .await;
    assert_eq!(a.status, 202, "{a:?}");

    let mut star = gh.instance("star-created");
    relay_testkit::webhooks::set(&mut star, "/repository/full_name", json!("acme/shared-api"));
    let a = server
        .deliver("star", &delivery_id(), &serde_json::to_vec(&star).unwrap())
        .await;
    assert_eq!(a.status, 202, "{a:?}");

    // check_run: parsed from GitHub's own example, nothing to do.
    let run = gh
        .example("check-run-completed")
        .expect("a check_run example");
    let a = server
        .deliver(
            "check_run",
            &delivery_id(),
            &serde_json::to_vec(&run).unwrap(),
        )
        .await;
    assert_eq!(a.status, 202, "{a:?}");

    // A push to a branch no rule watches, a tag, and a repository not in the workspace.
    for payload in [
        push_payload(
            "shared-api",
            "feature",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        ),
        push_payload("other", "main", "ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
    ] {
        let a = server.deliver("push", &delivery_id(), &payload).await;
        assert_eq!(a.status, 202, "{a:?}");
    }
    sentinel(&mut server).await;
    assert_eq!(fingerprint(&s.root().join("backend")), before);

    let health = server.get("/healthz").await;
    assert_eq!((health.status, health.body), (200, json!({"status": "ok"})));
    let a = server.get("/webhooks/github").await;
    assert_eq!(a.status, 405, "GET is not a delivery");
}

#[tokio::test]
async fn after_shutdown_deliveries_get_503_with_retry_after_and_nothing_is_lost() {
    let (s, ws, backend_after) = setup_with_head();
    let mut server = start(ws).await;
    let push = push_payload(
        "shared-api",
        "main",
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    );
    let accepted = delivery_id();
    assert_eq!(server.deliver("push", &accepted, &push).await.status, 202);
    let report = server
        .webhooks
        .shutdown(std::time::Duration::from_secs(120))
        .await;
    assert!(report.abandoned.is_empty(), "{report:?}");
    // The accepted push was acted on before the worker stopped.
    let job = server.next_job().await;
    assert_eq!(operation(&job), "webhook push");
    assert_eq!(head(&s.root().join("backend")), backend_after);

    let refused = delivery_id();
    let a = server.deliver("push", &refused, &push).await;
    assert_eq!(a.status, 503, "{a:?}");
    assert_eq!(a.retry_after.as_deref(), Some("10"));
    assert!(
        a.body["error"].as_str().unwrap().contains("shutting down"),
        "{a:?}"
    );
    server.stop();
}

#[tokio::test]
async fn a_full_queue_answers_503_and_the_redelivery_is_accepted_later() {
    let (s, ws) = setup();
    // shared-api's origin is a git:// server that accepts and never answers: the first push's
    // sync waits in fetch until the test lets go, keeping the worker busy.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("git://{}/shared-api.git", listener.local_addr().unwrap());
    relay_testkit::git::git(
        &s.root().join("shared-api"),
        &["remote", "set-url", "origin", &url],
    );
    let (release, released) = std::sync::mpsc::channel::<()>();
    let hold = std::thread::spawn(move || {
        let (connection, _) = listener.accept().expect("the sync connects");
        let _ = released.recv();
        drop(connection);
    });
    let mut server = start_with(ws, |b| b.queue_capacity(1)).await;
    let push = push_payload(
        "shared-api",
        "main",
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    );

    // The worker takes the first delivery (its job starts) and hangs in fetch.
    assert_eq!(
        server.deliver("push", &delivery_id(), &push).await.status,
        202
    );
    let started = tokio::time::timeout(std::time::Duration::from_secs(60), server.events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        started.kind,
        relay_core::EventKind::JobStarted { .. }
    ));
    // The second fills the queue; the third finds it full.
    assert_eq!(
        server.deliver("push", &delivery_id(), &push).await.status,
        202
    );
    let third = delivery_id();
    let a = server.deliver("push", &third, &push).await;
    assert_eq!(a.status, 503, "{a:?}");
    assert_eq!(a.retry_after.as_deref(), Some("10"));
    assert!(
        a.body["error"].as_str().unwrap().contains("queue is full"),
        "{a:?}"
    );

    // Let the fetch fail; both accepted deliveries are acted on.
    release.send(()).unwrap();
    hold.join().unwrap();
    let mut pushes = 0;
    while pushes < 2 {
        let event = server.events.recv().await.unwrap();
        if matches!(event.kind, relay_core::EventKind::JobFinished { .. }) {
            pushes += 1;
        }
    }
    // The refused delivery was not recorded: GitHub's redelivery of it is accepted.
    let a = server.deliver("push", &third, &push).await;
    assert_eq!(a.status, 202, "{a:?}");
}
