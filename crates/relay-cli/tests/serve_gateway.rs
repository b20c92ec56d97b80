//! `relay serve --realtime-url`: a conversation over the real binary's voice gateway, in front
//! of the testkit's Realtime peer; SIGTERM closes it.

mod serve_support;

use relay_testkit::gateway_client::{Client, Frame};
use relay_testkit::git::write_workspace;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::json;
use serve_support::Serving;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_serve_holds_a_conversation_at_v1_conversation_and_closes_it_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let peer = FakeRealtime::start(Scenario::new()).await.unwrap();
    let server = serve(dir.path(), &peer, &[]);
    assert!(
        server.first.contains("GET /v1/conversation"),
        "{}",
        server.first
    );
    let addr = server.addr.clone();

    let mut client = Client::connect(&format!("ws://{addr}/v1/conversation?protocol=1")).await;
    let ready = client.expect("ready").await;
    assert_eq!(ready["protocol"], 1);
    assert!(
        ready["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("run_agent_task")),
        "{ready}"
    );
    client.send(json!({"type": "text", "text": "hello"})).await;
    let frames = client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: hello")
        .await;
    assert!(frames.iter().any(|f| matches!(f, Frame::Audio(_))));
    // The peer was reached with the key and the default model.
    let log = peer.connection(0);
    assert!(log.had_bearer);
    // The open conversation is counted on /metrics.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == "relay_sessions_active 1"),
        "{metrics}"
    );

    server.terminate();
    let closed = client.expect("closed").await;
    assert_eq!(closed["reason"], "the server is shutting down");
    let (ok, log) = server.wait();
    assert!(ok, "{log}");
}

/// `relay serve` in `dir` in front of `peer`, with `args`.
fn serve(dir: &std::path::Path, peer: &FakeRealtime, args: &[&str]) -> Serving {
    let mut serve =
        serve_support::command(dir, &["serve", "--bind", "127.0.0.1:0", "--agent", "shell"]);
    serve
        .args(args)
        .env("RELAY_WEBHOOK_SECRET", "s")
        .env("OPENAI_REALTIME_URL", peer.url())
        .env("OPENAI_API_KEY", "sk-test-key");
    Serving::start(serve)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_tool_finish_then_hands_the_session_back() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let peer = FakeRealtime::start(
        Scenario::new()
            .call(&[("run_agent_task", r#"{"task":"sleep 2","repos":["api"]}"#)])
            .say("The task is done.", 300),
    )
    .await
    .unwrap();
    let server = serve(dir.path(), &peer, &[]);
    let addr = server.addr.clone();
    let mut client = Client::connect(&format!(
        "ws://{addr}/v1/conversation?protocol=1&session=morning"
    ))
    .await;
    client.expect("ready").await;
    client
        .send(json!({"type": "text", "text": "wait a bit"}))
        .await;
    client.expect("tool_call_started").await;
    server.terminate();
    // Draining once a new conversation is refused: 503, or nobody listens any more (the tool
    // runs 2 s: long enough to see it).
    let url = format!("ws://{addr}/v1/conversation?protocol=1");
    loop {
        match Client::try_connect(&url).await {
            Err((0 | 503, _)) => break,
            Err(refusal) => panic!("{refusal:?}"),
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    // A new turn is refused; the running one finishes and is answered.
    client
        .send(json!({"type": "text", "text": "and more"}))
        .await;
    let frames = client.until(|f| f.kind() == "closed").await;
    let finished = frames.iter().position(|f| f.kind() == "tool_call_finished");
    let refused = frames
        .iter()
        .position(|f| f.kind() == "error" && f.json()["code"] == "shutting_down");
    assert!(
        refused.is_some() && finished.is_some() && refused < finished,
        "the new turn is refused while the tool runs: {:#?}",
        relay_testkit::gateway_client::summary(&frames)
    );
    let summary = relay_testkit::gateway_client::summary(&frames);
    assert!(
        frames
            .iter()
            .any(|f| f.kind() == "assistant_text" && f.json()["text"] == "The task is done."),
        "{summary:#?}"
    );
    let closed = frames.last().unwrap().json();
    assert_eq!(closed["reason"], "the server is shutting down");
    assert_eq!(closed["handed_back"], json!([]), "{closed}");
    // The session is in the workspace's store: another server resumes it.
    assert_eq!(closed["resumable"], true, "{closed}");
    assert_eq!(closed["resume"], "?session=morning");
    let (ok, log) = server.wait();
    assert!(ok, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_still_running_after_the_grace_is_cancelled_and_reported_as_handed_back() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let peer = FakeRealtime::start(
        Scenario::new().call(&[("run_agent_task", r#"{"task":"sleep 300","repos":["api"]}"#)]),
    )
    .await
    .unwrap();
    let server = serve(dir.path(), &peer, &["--grace", "1"]);
    let addr = server.addr.clone();
    let mut client = Client::connect(&format!("ws://{addr}/v1/conversation?protocol=1")).await;
    client.expect("ready").await;
    client
        .send(json!({"type": "text", "text": "wait long"}))
        .await;
    let started = client.expect("tool_call_started").await;
    server.terminate();
    let closed = client.expect("closed").await;
    assert_eq!(
        closed["handed_back"],
        json!([{"kind": "tool_call", "call_id": started["call_id"], "name": "run_agent_task", "outcome": "cancelled"}]),
        "{closed}"
    );
    let (ok, log) = server.wait();
    assert!(ok, "{log}");
    // The agent's command (running in the workspace's repository) did not outlive the server.
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_name().to_str()?.parse::<u32>().ok()?;
            let cwd = std::fs::read_link(e.path().join("cwd")).ok()?;
            cwd.starts_with(dir.path())
                .then(|| std::fs::read_to_string(e.path().join("cmdline")).unwrap_or_default())
        })
        .collect();
    assert!(left.is_empty(), "still running in the workspace: {left:?}");
}

/// `/readyz` with the given Realtime flag and environment: status and body.
async fn readyz(flag: &str, env_url: &str, key: &str) -> (u16, serde_json::Value, String) {
    let dir = serve_support::workspace("");
    let mut c = serve_support::command(
        dir.path(),
        &["serve", "--bind", "127.0.0.1:0", "--realtime-url", flag],
    );
    c.env("OPENAI_REALTIME_URL", env_url)
        .env("OPENAI_API_KEY", key)
        .env("RELAY_LOG", "info");
    let server = serve_support::Serving::start(c);
    let (status, _, body) =
        serve_support::answer(serve_support::client().get(server.url("/readyz"))).await;
    let (_, log) = server.stop();
    (status, body, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_checks_the_realtime_url_of_the_flag_over_the_environment() {
    // One endpoint that answers, one that does not (its listener is gone).
    let up = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let up_url = format!(
        "ws://127.0.0.1:{}/v1/realtime",
        up.local_addr().unwrap().port()
    );
    let down_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down_url = format!("ws://127.0.0.1:{down_port}/v1/realtime");
    let key = "sk-readyz-test-key-never-shown";

    let (status, body, log) = readyz(&up_url, &down_url, key).await;
    assert_eq!(status, 200, "the flag's endpoint answers: {body}");
    assert_eq!(body["checks"]["realtime"], "ok", "{body}");
    assert!(!log.contains(key), "the key is never printed: {log}");

    let (status, body, log) = readyz(&down_url, &up_url, key).await;
    assert_eq!(status, 503, "the flag's endpoint does not answer: {body}");
    assert_eq!(body["failed"], json!(["realtime"]), "{body}");
    let why = body["checks"]["realtime"].as_str().unwrap();
    assert!(
        why.contains(&format!("cannot connect to 127.0.0.1:{down_port}")),
        "{body}"
    );
    assert!(!body.to_string().contains(key), "{body}");
    assert!(!log.contains(key), "the key is never printed: {log}");
    drop(up);
}
