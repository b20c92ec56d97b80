//! `relay chat --session NAME` and `relay sessions` across processes sharing one real Redis:
//! the session one process saved is listed and resumed by the next.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn relay(dir: &Path, store: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_TOKEN")
        .env_remove("OPENAI_API_KEY")
        .env("RELAY_STORE_URL", store)
        .env("RELAY_USER", "ann")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relay runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_chat_saved_by_one_process_is_listed_and_resumed_by_another_on_redis() {
    let server = relay_testkit::redis::RedisServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), &server.url(), &["demo", "--dir", "demo"], "");
    assert!(out.status.success(), "{}", text(&out));
    let ws = tmp.path().join("demo/workspace");

    let out = relay(
        &ws,
        &server.url(),
        &["chat", "--session", "standup"],
        "switch to backend\nexit\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backend"), "{}", text(&out));

    let out = relay(&ws, &server.url(), &["sessions", "--json"], "");
    assert!(out.status.success(), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["id"], "standup");
    assert_eq!(listed[0]["user"], "ann");
    assert_eq!(listed[0]["primary"], "backend");
    let turns = listed[0]["turns"].as_u64().unwrap();
    assert!(turns >= 3, "{listed}");

    let out = relay(
        &ws,
        &server.url(),
        &["chat", "--session", "standup"],
        "exit\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "resumed session `standup`: {turns} earlier turn(s), primary project backend"
        )),
        "{}",
        text(&out)
    );

    // The tool calls of the chat are in the shared audit log, under the session.
    let out = relay(&ws, &server.url(), &["audit", "--json"], "");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        log.as_array().unwrap().iter().any(|r| r["entry"]["action"] == "switch_project" && r["entry"]["session"] == "standup"),
        "{log}"
    );

    // A Redis that is gone is an error naming it, not a silent fallback.
    let url = server.url();
    drop(server);
    let out = relay(&ws, &url, &["sessions"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("cannot open the store at {url}")),
        "{}",
        text(&out)
    );
}
