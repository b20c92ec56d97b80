//! The coding agent asks the graph through MCP: `relay run` gives the real `claude` CLI Relay's
//! tools as the MCP server `relay`; the testkit's Anthropic peer is scripted to call
//! `mcp__relay__impact_analysis`, and the tool result that reaches the peer carries the real
//! dependents of the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
use relay_testkit::claude_cli::{claude_bin, claude_env};
use relay_testkit::git::write_workspace;
use serde_json::{Value, json};

/// shared-api ← backend ← frontend, and docs on its own: real git repositories.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    write_workspace(
        &root,
        &[
            ("shared-api", &[]),
            ("docs", &[]),
            ("backend", &["shared-api"]),
            ("frontend", &["backend"]),
        ],
    );
    (tmp, root)
}

fn relay(ws: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(ws)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("relay runs")
}

/// Every `tool_result` block the peer received, as (tool_use_id, text).
fn tool_results(requests: &[relay_testkit::anthropic::RecordedRequest]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for request in requests {
        for message in request.body["messages"].as_array().into_iter().flatten() {
            for block in message["content"].as_array().into_iter().flatten() {
                if block["type"] == "tool_result" {
                    let text = match &block["content"] {
                        Value::String(s) => s.clone(),
                        Value::Array(parts) => parts
                            .iter()
                            .filter_map(|p| p["text"].as_str())
                            .collect::<Vec<_>>()
                            .join(""),
                        other => other.to_string(),
                    };
                    out.push((
                        block["tool_use_id"].as_str().unwrap_or("").to_string(),
                        text,
                    ));
                }
            }
        }
    }
    out
}

async fn run_claude(ws: &Path, script: Script, extra: &[&str]) -> (Output, FakeAnthropic) {
    let server = FakeAnthropic::start(script).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut env = claude_env(&server.url(), home.path());
    env.push((
        "RELAY_CLAUDE_BIN".into(),
        claude_bin().display().to_string(),
    ));
    let ws = ws.to_path_buf();
    let mut args: Vec<String> = [
        "run",
        "find out what depends on this repository",
        "--json",
        "--repos",
        "shared-api",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = relay(&ws, &args, &env);
        drop(home);
        out
    })
    .await
    .unwrap();
    (out, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_asks_relay_for_the_impact_through_mcp() {
    let (_tmp, ws) = workspace();
    let (out, server) = run_claude(
        &ws,
        Script::new(vec![
            Turn::tool(
                "Asking Relay what depends on shared-api.",
                "mcp__relay__impact_analysis",
                json!({"repos": ["shared-api"]}),
            ),
            Turn::text("backend and frontend depend on shared-api."),
        ]),
        &[],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = server.message_requests();
    // The agent was offered Relay's read tools under their MCP names (Claude Code lists MCP
    // tools by name and loads their schemas on demand through its ToolSearch tool).
    let body = requests[0].body.to_string();
    for name in [
        "mcp__relay__impact_analysis",
        "mcp__relay__project_status",
        "mcp__relay__dependency_graph",
    ] {
        assert!(body.contains(name), "{name} not offered to the model");
    }
    // The tool result that came back to the model holds the real dependents.
    let results = tool_results(&requests);
    assert_eq!(results.len(), 1, "{results:?}");
    let payload: Value = serde_json::from_str(&results[0].1)
        .unwrap_or_else(|e| panic!("tool result is not Relay's JSON ({e}): {}", results[0].1));
    assert_eq!(payload["changed"], json!(["shared-api"]), "{payload}");
    assert_eq!(
        payload["direct_dependents"],
        json!(["backend"]),
        "{payload}"
    );
    assert_eq!(
        payload["all_dependents"],
        json!(["backend", "frontend"]),
        "{payload}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_mcp_gives_claude_no_relay_tools() {
    let (_tmp, ws) = workspace();
    let (out, server) = run_claude(
        &ws,
        Script::new(vec![Turn::text("Nothing to do.")]),
        &["--no-mcp"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = server.message_requests();
    let body = requests[0].body.to_string();
    assert!(!body.contains("mcp__relay__"), "{body}");
}
