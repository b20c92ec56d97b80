//! `relay mcp` with the official MCP Python SDK (PyPI `mcp`, installed into .venv by
//! scripts/setup/mcp.sh) as the client, over stdio and Streamable HTTP, on a real workspace.
//!
//! The client's checks are in tests/mcp/client.py; these tests prepare the workspace, say what
//! to expect (from the facade) and run it. A missing Python or SDK fails with what to install.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use relay::core::repo::SyncOptions;
use relay::{EnvironmentsConfig, ProviderKind, Relay};
use serde_json::{Value, json};
use support::{mcp_file, python};

/// The sample workspace (shared-api ← backend ← frontend, database-migrations), cloned from
/// its origins, and what the client should find in it.
async fn workspace() -> (tempfile::TempDir, PathBuf, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("acme");
    let sample = relay::repos::demo::create_sample_workspace(&root).unwrap();
    let relay = Relay::builder()
        .workspace(&sample.workspace)
        .environments(EnvironmentsConfig::new().provider(ProviderKind::Local))
        .build()
        .await
        .unwrap();
    let graph = relay.require_graph().unwrap();
    graph.sync(SyncOptions::new()).wait().await.unwrap();
    let impact = graph.impact(&["shared-api".to_string()]).unwrap();
    let dag = graph.workspace().graph();
    let expected = json!({
        "specs": relay.tools().unwrap().specs(),
        "repos": dag.repos(),
        "impact": {"direct": impact.direct, "transitive": impact.transitive, "batches": impact.batches},
        "graph": {"repos": dag.repos(), "edges": dag.edges()},
    });
    assert!(
        !impact.direct.is_empty(),
        "the sample has dependents of shared-api"
    );
    (tmp, sample.workspace, expected)
}

fn run_client(case: &str, config: &Value, dir: &Path) {
    let path = dir.join(format!("{case}.json"));
    std::fs::write(&path, config.to_string()).unwrap();
    let out = Command::new(python())
        .arg(mcp_file("client.py"))
        .arg(case)
        .arg(&path)
        .env_remove("RELAY_WORKSPACE")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some(&format!("PASS {case}")),
        "client case {case} failed (exit {:?})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `relay mcp --http` process, killed when dropped.
struct HttpServer {
    child: Child,
    url: String,
}

impl HttpServer {
    fn start(ws: &Path, token: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(["mcp", "--http", "127.0.0.1:0", "--workspace"])
            .arg(ws)
            .args(extra)
            .env_remove("RELAY_WORKSPACE")
            .env("RELAY_MCP_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relay runs");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("relay mcp printed its address before exiting")
                .unwrap();
            if let Some(url) = line.strip_prefix("relay mcp: serving MCP at ") {
                break url.to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        HttpServer { child, url }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdio_config(ws: &Path, expected: &Value) -> Value {
    json!({
        "transport": "stdio",
        "relay": env!("CARGO_BIN_EXE_relay"),
        "workspace": ws,
        "expected": expected,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_over_stdio_reads_and_is_refused_what_it_was_not_granted() {
    let (tmp, ws, expected) = workspace().await;
    run_client("read", &stdio_config(&ws, &expected), tmp.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_over_stdio_gets_progress_and_cancels_a_running_agent() {
    let (tmp, ws, expected) = workspace().await;
    run_client("long", &stdio_config(&ws, &expected), tmp.path());
}

/// `push_branches` over `relay mcp` asks the client's user through MCP elicitation (the Python
/// SDK client declares it): declined, nothing reaches the origin; accepted, the commit does.
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_with_elicitation_is_asked_before_a_push() {
    use relay_testkit::git::git;
    let (tmp, ws, expected) = workspace().await;
    let backend = ws.join("backend");
    let origin = ws.parent().unwrap().join("origins/backend.git");
    git(
        &backend,
        &["commit", "-q", "--allow-empty", "-m", "to be approved"],
    );
    let local = git(&backend, &["rev-parse", "HEAD"]);
    assert_ne!(git(&origin, &["rev-parse", "main"]), local);
    run_client("elicit", &stdio_config(&ws, &expected), tmp.path());
    assert_eq!(
        git(&origin, &["rev-parse", "main"]),
        local,
        "pushed after the yes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_over_streamable_http_with_a_bearer_token() {
    let (tmp, ws, expected) = workspace().await;
    let token = "s3cret-token";
    let read_only = HttpServer::start(&ws, token, &[]);
    let widened = HttpServer::start(
        &ws,
        token,
        &["--allow", "write_repos,run_agent", "--agent", "shell"],
    );
    let config = json!({
        "transport": "http",
        "url": read_only.url,
        "url_widened": widened.url,
        "token": token,
        "workspace": ws,
        "expected": expected,
    });
    run_client("unauthorized", &config, tmp.path());
    run_client("read", &config, tmp.path());
    run_client("long", &config, tmp.path());
}

#[test]
fn an_unknown_permission_is_a_usage_error_listing_the_known_ones() {
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["mcp", "--allow", "write_repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown permission `write_repo`; use read, session, write_repos"),
        "{stderr}"
    );
}
