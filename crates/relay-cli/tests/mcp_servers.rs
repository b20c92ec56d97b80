//! Relay as an MCP client: a stdio MCP server written with the official Python SDK
//! (tests/mcp/tickets_server.py) configured under `mcp_servers:` in relay.yaml. Its tools are
//! offered to the Realtime peer as `tickets__<tool>`, calls round-trip, and a server that dies
//! is restarted once and then reported.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use relay_testkit::git::write_workspace;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::Value;
use support::{mcp_file, python};

fn workspace(marker: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    write_workspace(&root, &[("shared-api", &[]), ("backend", &["shared-api"])]);
    let mut yaml = std::fs::read_to_string(root.join("relay.yaml")).unwrap();
    yaml.push_str(&format!(
        "mcp_servers:\n  - name: tickets\n    command: [{}, {}, {}]\n",
        python().display(),
        mcp_file("tickets_server.py").display(),
        marker.display()
    ));
    std::fs::write(root.join("relay.yaml"), yaml).unwrap();
    (tmp, root)
}

async fn relay_voice(ws: PathBuf, url: String, utterances: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        "voice".into(),
        "--url".into(),
        url,
        "--agent".into(),
        "shell".into(),
        "--provider".into(),
        "local".into(),
        "--text".into(),
    ];
    args.extend(utterances.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_relay"))
            .current_dir(&ws)
            .args(&args)
            .env_remove("RELAY_WORKSPACE")
            .env_remove("OPENAI_API_KEY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("relay runs")
    })
    .await
    .unwrap()
}

/// The `function_call_output`s the peer received, parsed.
fn outputs(server: &FakeRealtime) -> Vec<Value> {
    server
        .client_events_of("conversation.item.create")
        .iter()
        .filter(|e| e["item"]["type"] == "function_call_output")
        .map(|e| serde_json::from_str(e["item"]["output"].as_str().unwrap()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_mcp_servers_tool_is_offered_to_the_realtime_peer_and_round_trips() {
    let marker_dir = tempfile::tempdir().unwrap();
    let (_tmp, ws) = workspace(&marker_dir.path().join("died"));
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("tickets__lookup", r#"{"ticket":"T-7"}"#)])
            .say("Ticket T-7 is open.", 200),
    )
    .await
    .unwrap();
    let out = relay_voice(ws, server.url(), &["what about ticket T-7?"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let update = &server.client_events_of("session.update")[0];
    let tools = update["session"]["tools"].as_array().unwrap();
    let lookup = tools
        .iter()
        .find(|t| t["name"] == "tickets__lookup")
        .unwrap_or_else(|| panic!("tickets__lookup not offered: {tools:?}"));
    assert_eq!(lookup["description"], "Looks up a ticket by its id.");
    assert_eq!(
        lookup["parameters"]["properties"]["ticket"]["type"],
        "string"
    );
    assert_eq!(
        lookup["parameters"]["required"],
        serde_json::json!(["ticket"])
    );
    assert!(tools.iter().any(|t| t["name"] == "project_status"));
    let outputs = outputs(&server);
    assert_eq!(outputs.len(), 1, "{outputs:?}");
    assert_eq!(outputs[0]["ticket"], "T-7", "{outputs:?}");
    assert_eq!(outputs[0]["status"], "open", "{outputs:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_dies_is_restarted_once_and_then_reported() {
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("died");
    let (_tmp, ws) = workspace(&marker);
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("tickets__die_once", "{}")])
            .say("It came back.", 200)
            .call(&[("tickets__die", "{}")])
            .say("It is gone.", 200)
            .call(&[("tickets__lookup", r#"{"ticket":"T-8"}"#)])
            .say("Still gone.", 200),
    )
    .await
    .unwrap();
    let out = relay_voice(ws, server.url(), &["one", "two", "three"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists(), "die_once ran in the first process");
    let outputs = outputs(&server);
    assert_eq!(outputs.len(), 3, "{outputs:?}");
    // The first death: restarted, the call retried in the new process.
    assert_eq!(outputs[0]["survived"], true, "{outputs:?}");
    // The second: reported as a tool error the model can relay, not restarted again.
    let died = outputs[1]["error"].as_str().unwrap_or_default();
    assert!(
        died.contains("MCP server `tickets`") && died.contains("restarted once"),
        "{outputs:?}"
    );
    assert_eq!(outputs[1]["hint"], "tell the user what failed");
    let after = outputs[2]["error"].as_str().unwrap_or_default();
    assert!(
        after.contains("MCP server `tickets`") && after.contains("no longer restarts it"),
        "{outputs:?}"
    );
}

#[test]
fn a_misconfigured_server_is_a_configuration_error_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write_workspace(&root, &[("shared-api", &[])]);
    let mut yaml = std::fs::read_to_string(root.join("relay.yaml")).unwrap();
    yaml.push_str("mcp_servers:\n  - name: docs\n    url: ftp://docs\n");
    std::fs::write(root.join("relay.yaml"), yaml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(&root)
        .arg("status")
        .env_remove("RELAY_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("relay.yaml:5:10: MCP server `docs`: `ftp://docs` is not an HTTP URL"),
        "{stderr}"
    );
}
