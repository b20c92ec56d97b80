//! `relay serve` end to end: the real binary on a free port, a signed push as GitHub sends it,
//! the sync rule's dependents synced on disk, the job printed, SIGTERM stops it cleanly.

mod serve_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use relay_testkit::git::git;
use relay_testkit::webhooks::{OctokitWebhooks, set, sign};
use serde_json::json;

const SECRET: &str = "e2e secret";

/// Bare origin `origins/NAME.git` with one commit, cloned to `ws/NAME`.
fn repo(root: &Path, name: &str) {
    let origin = root.join(format!("origins/{name}.git"));
    let o = origin.to_str().unwrap();
    git(root, &["init", "-q", "--bare", "-b", "main", o]);
    let seed = root.join(format!("seed-{name}"));
    git(root, &["clone", "-q", o, seed.to_str().unwrap()]);
    git(&seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    std::fs::write(seed.join("README.md"), name).unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "first"]);
    git(&seed, &["push", "-q", "origin", "main"]);
    git(
        root,
        &[
            "clone",
            "-q",
            o,
            root.join("ws").join(name).to_str().unwrap(),
        ],
    );
    // Upstream moves on after the clone.
    std::fs::write(seed.join("new.txt"), "new\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "upstream change"]);
    git(&seed, &["push", "-q", "origin", "main"]);
}

fn head(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", rev]).trim().to_owned()
}

/// POSTs `body` to `addr` as GitHub delivers a push; returns the status line.
fn post_push(addr: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to relay serve");
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: GitHub-Hookshot/044aadd\r\n\
         Content-Type: application/json\r\nX-GitHub-Event: push\r\n\
         X-GitHub-Delivery: 9f1b2c3d-0000-11f0-8000-000000000001\r\nX-Hub-Signature-256: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        sign(SECRET.as_bytes(), body),
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn relay_serve_syncs_the_dependents_on_a_signed_push_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("ws")).unwrap();
    std::fs::create_dir_all(root.join("origins")).unwrap();
    repo(root, "shared-api");
    repo(root, "backend");
    std::fs::write(
        root.join("ws/relay.yaml"),
        "repositories:\n  - name: shared-api\n    url: git@github.com:acme/shared-api.git\n  \
         - name: backend\n    url: https://github.com/acme/backend\n    dependencies: [shared-api]\n\
         sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
    )
    .unwrap();
    let backend = root.join("ws/backend");
    let upstream = head(&root.join("origins/backend.git"), "main");
    assert_ne!(head(&backend, "HEAD"), upstream);

    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["serve", "--bind", "127.0.0.1:0", "-w"])
        .arg(root.join("ws"))
        .env("RELAY_WEBHOOK_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relay runs");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = serve_support::listening_addr(&first);

    let gh = OctokitWebhooks::load();
    let mut push = gh.instance("push");
    set(&mut push, "/ref", json!("refs/heads/main"));
    set(
        &mut push,
        "/after",
        json!(head(&root.join("origins/shared-api.git"), "main")),
    );
    set(&mut push, "/repository/full_name", json!("acme/shared-api"));
    set(
        &mut push,
        "/repository/clone_url",
        json!("https://github.com/acme/shared-api.git"),
    );
    set(
        &mut push,
        "/repository/ssh_url",
        json!("git@github.com:acme/shared-api.git"),
    );
    gh.assert_valid("push", &push);
    let status = post_push(&addr, &serde_json::to_vec(&push).unwrap());
    assert_eq!(status, "HTTP/1.1 202 Accepted");

    let mut printed = Vec::new();
    let said = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!("no sync rule line within two minutes; printed {printed:#?}")
            });
        printed.push(line.clone());
        if line.contains("changed on GitHub") {
            break line;
        }
    };
    assert!(
        said.ends_with("shared-api's main changed on GitHub: updated backend."),
        "{said}"
    );
    assert!(
        printed.iter().any(|l| l.ends_with("webhook push")),
        "{printed:#?}"
    );
    assert_eq!(
        head(&backend, "HEAD"),
        upstream,
        "backend was fast-forwarded"
    );

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "exit {status:?}: {rest}");
    assert!(rest.contains("relay serve: stopped"), "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_relay_serve_serves_all_but_webhooks_and_says_so() {
    let dir = serve_support::workspace("");
    // The variable unset, or set empty: no receiver either way.
    for secret in [None, Some("")] {
        let mut c = serve_support::command(dir.path(), &["serve", "--bind", "127.0.0.1:0"]);
        if let Some(secret) = secret {
            c.env("RELAY_WEBHOOK_SECRET", secret);
        }
        let server = serve_support::Serving::start(c);
        assert!(
            server
                .first
                .contains("no GitHub webhooks: RELAY_WEBHOOK_SECRET is not set"),
            "{}",
            server.first
        );
        assert!(
            !server.first.contains("POST /webhooks/github"),
            "{}",
            server.first
        );
        let c = serve_support::client();
        let (status, _, _) = serve_support::answer(c.get(server.url("/healthz"))).await;
        assert_eq!(status, 200);
        let (status, _, page) = serve_support::answer(c.get(server.url("/"))).await;
        assert_eq!(status, 200);
        assert!(page.as_str().is_some_and(|p| p.contains("<html")), "{page}");
        let body = br#"{"zen": "Keep it logically awesome.", "hook_id": 1}"#;
        let (status, _, refused) = serve_support::answer(
            c.post(server.url("/webhooks/github"))
                .header("content-type", "application/json")
                .header("x-github-event", "ping")
                .header("x-github-delivery", "9f1b2c3d-0000-11f0-8000-000000000009")
                .header("x-hub-signature-256", sign(SECRET.as_bytes(), body))
                .body(body.to_vec()),
        )
        .await;
        assert_eq!(status, 503, "{refused}");
        assert!(
            refused["error"]
                .as_str()
                .is_some_and(|e| e.contains("does not receive GitHub webhooks")),
            "{refused}"
        );
        assert!(
            refused["hint"]
                .as_str()
                .is_some_and(|h| h.contains("set RELAY_WEBHOOK_SECRET")),
            "{refused}"
        );
        let (stopped, log) = server.stop();
        assert!(stopped, "{log}");
        assert!(log.contains("relay serve: stopped"), "{log}");
        assert!(!log.contains("finishing queued deliveries"), "{log}");
    }
}

/// Sends one HTTP/1.1 request and returns the whole response (status line, headers, body).
fn request(addr: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to relay serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += &format!("Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut response = Vec::new();
    // An SSE answer may keep the stream open after the result: read what arrives.
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn relay_serve_mounts_mcp_at_slash_mcp_behind_the_token() {
    let dir = tempfile::tempdir().unwrap();
    relay_testkit::git::write_workspace(dir.path(), &[("api", &[]), ("web", &["api"])]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["serve", "--bind", "127.0.0.1:0", "--mcp", "-w"])
        .arg(dir.path())
        .env("RELAY_WEBHOOK_SECRET", SECRET)
        .env("RELAY_MCP_TOKEN", "mcp-token-for-tests")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relay runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("MCP at /mcp"), "{first}");
    let addr = serve_support::listening_addr(&first);

    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "serve-test", "version": "1"}}
    })
    .to_string();
    let accept = ("Accept", "application/json, text/event-stream");
    let json_type = ("Content-Type", "application/json");
    let refused = request(&addr, "/mcp", &[accept, json_type], &initialize);
    assert!(
        refused.starts_with("HTTP/1.1 401"),
        "no token is refused: {refused}"
    );
    let wrong = request(
        &addr,
        "/mcp",
        &[accept, json_type, ("Authorization", "Bearer nope")],
        &initialize,
    );
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let answer = request(
        &addr,
        "/mcp",
        &[
            accept,
            json_type,
            ("Authorization", "Bearer mcp-token-for-tests"),
        ],
        &initialize,
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"serverInfo\""), "{answer}");
    assert!(
        !answer.contains("mcp-token-for-tests"),
        "the token is never echoed"
    );

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
}
