//! The `relay-testkit anthropic` binary, as other languages' tests start it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn post(url: &str, body: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /v1/messages?beta=true HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serves_the_script_in_order_and_reports_unscripted_requests() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(
        &script,
        r#"{"turns": [
            {"kind": "reply", "text": "hello", "tool_uses": [{"name": "Bash", "input": {"command": "ls"}}]},
            {"kind": "error", "status": 529, "error_type": "overloaded_error", "message": "Overloaded"}
        ]}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay-testkit"))
        .args([
            "anthropic",
            "--script",
            script.to_str().unwrap(),
            "--port",
            "0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let first = post(
        &url,
        r#"{"model": "claude-x", "stream": true, "messages": []}"#,
    );
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(first.contains("content-type: text/event-stream"));
    for event in [
        "message_start",
        "text_delta",
        "\"hello\"",
        "input_json_delta",
        "\"stop_reason\":\"tool_use\"",
        "message_stop",
    ] {
        assert!(first.contains(event), "missing {event} in {first}");
    }
    let second = post(&url, r#"{"model": "claude-x", "stream": true}"#);
    assert!(second.starts_with("HTTP/1.1 529"), "{second}");
    assert!(second.contains(r#""type":"overloaded_error""#));
    let third = post(&url, r#"{"stream": true}"#);
    assert!(
        third.starts_with("HTTP/1.1 400") && third.contains("unscripted"),
        "{third}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_script_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_relay-testkit"))
        .args(["anthropic", "--script", "/nonexistent.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read script /nonexistent.json"));
}
