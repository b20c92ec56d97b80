//! The fake Realtime server checked with a bare WebSocket client: it must behave like the GA
//! service, including its errors, or the transport tests prove nothing.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &FakeRealtime) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}?model=gpt-realtime", server.url()))
        .await
        .unwrap();
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// Next event of `kind`, skipping others; fails after 5 s.
async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["type"] == kind {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("connection ended waiting for {kind}: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} within 5 s"))
}

async fn configured(server: &FakeRealtime) -> Ws {
    let mut ws = connect(server).await;
    let created = next_of(&mut ws, "session.created").await;
    assert_eq!(created["session"]["type"], "realtime");
    assert!(created["event_id"].as_str().is_some());
    send(&mut ws, json!({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": null}}}})).await;
    let updated = next_of(&mut ws, "session.updated").await;
    assert_eq!(
        updated["session"]["audio"]["input"]["turn_detection"],
        Value::Null
    );
    assert_eq!(
        updated["session"]["audio"]["output"]["voice"], "alloy",
        "unchanged fields are kept"
    );
    ws
}

#[tokio::test]
async fn session_update_rejects_beta_fields_and_missing_type() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let mut ws = connect(&server).await;
    next_of(&mut ws, "session.created").await;
    send(
        &mut ws,
        json!({"type": "session.update", "session": {"type": "realtime", "modalities": ["text"]}}),
    )
    .await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!(e["error"]["code"], "unknown_parameter");
    assert_eq!(
        e["error"]["message"],
        "Unknown parameter: 'session.modalities'."
    );
    send(
        &mut ws,
        json!({"type": "session.update", "session": {"instructions": "x"}}),
    )
    .await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!(
        e["error"]["message"],
        "Missing required parameter: 'session.type'."
    );
    send(&mut ws, json!({"type": "session.frobnicate"})).await;
    let e = next_of(&mut ws, "error").await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid value: 'session.frobnicate'.")
    );
    ws.send(Message::text("{nope")).await.unwrap();
    assert_eq!(
        next_of(&mut ws, "error").await["error"]["code"],
        "invalid_json"
    );
}

#[tokio::test]
async fn manual_commit_needs_100ms_and_truncate_is_bounded_by_the_audio() {
    let server = FakeRealtime::start(Scenario::new().say("hello there", 500))
        .await
        .unwrap();
    let mut ws = configured(&server).await;
    send(&mut ws, json!({"type": "input_audio_buffer.commit"})).await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!(e["error"]["code"], "input_audio_buffer_commit_empty");

    send(&mut ws, json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}})).await;
    next_of(&mut ws, "conversation.item.added").await;
    send(&mut ws, json!({"type": "response.create"})).await;
    let done = next_of(&mut ws, "response.done").await;
    assert_eq!(done["response"]["status"], "completed");
    let item = done["response"]["output"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(done["response"]["usage"]["total_tokens"].as_u64().unwrap() > 0);
    next_of(&mut ws, "rate_limits.updated").await;

    send(&mut ws, json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 600})).await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!(
        e["error"]["message"],
        "Audio content of 500ms is already shorter than 600ms"
    );
    send(&mut ws, json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 200})).await;
    assert_eq!(
        next_of(&mut ws, "conversation.item.truncated").await["audio_end_ms"],
        200
    );
    send(
        &mut ws,
        json!({"type": "conversation.item.delete", "item_id": "nope"}),
    )
    .await;
    assert_eq!(
        next_of(&mut ws, "error").await["error"]["code"],
        "item_not_found"
    );
    assert_eq!(server.connection(0).truncations, vec![(item, 200)]);
}

#[tokio::test]
async fn second_response_create_hits_the_active_response_and_cancel_needs_one() {
    let server = FakeRealtime::start(Scenario::new().say("a long answer", 2000).pace(100, 20))
        .await
        .unwrap();
    let mut ws = configured(&server).await;
    send(&mut ws, json!({"type": "response.cancel"})).await;
    assert_eq!(
        next_of(&mut ws, "error").await["error"]["code"],
        "response_cancel_not_active"
    );
    send(&mut ws, json!({"type": "response.create"})).await;
    next_of(&mut ws, "response.output_audio.delta").await;
    send(
        &mut ws,
        json!({"type": "response.create", "event_id": "mine"}),
    )
    .await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!(
        e["error"]["code"],
        "conversation_already_has_active_response"
    );
    assert_eq!(e["error"]["event_id"], "mine");
    send(&mut ws, json!({"type": "response.cancel"})).await;
    let done = next_of(&mut ws, "response.done").await;
    assert_eq!(done["response"]["status"], "cancelled");
    assert_eq!(
        done["response"]["status_details"]["reason"],
        "client_cancelled"
    );
}

#[tokio::test]
async fn tool_output_needs_a_matching_call_and_tools_are_called_with_arguments() {
    let server = FakeRealtime::start(Scenario::new().call(&[("lookup", r#"{"repo":"x"}"#)]))
        .await
        .unwrap();
    let mut ws = configured(&server).await;
    send(&mut ws, json!({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "call_unknown", "output": "{}"}})).await;
    assert_eq!(
        next_of(&mut ws, "error").await["error"]["message"],
        "Tool call ID 'call_unknown' not found in conversation."
    );
    send(&mut ws, json!({"type": "response.create"})).await;
    let args = next_of(&mut ws, "response.function_call_arguments.done").await;
    assert_eq!(
        (args["name"].as_str(), args["arguments"].as_str()),
        (Some("lookup"), Some(r#"{"repo":"x"}"#))
    );
    let call_id = args["call_id"].as_str().unwrap();
    next_of(&mut ws, "response.done").await;
    send(&mut ws, json!({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": call_id, "output": "{\"ok\":1}"}})).await;
    next_of(&mut ws, "conversation.item.done").await;
    send(&mut ws, json!({"type": "response.create"})).await;
    let t = next_of(&mut ws, "response.output_audio_transcript.done").await;
    assert_eq!(t["transcript"], "Results: {\"ok\":1}");
}

#[tokio::test]
async fn binary_prints_ready_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.json");
    std::fs::write(
        &scenario,
        r#"{"turns":[{"kind":"say","text":"from a file","audio_ms":100}]}"#,
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay-testkit"))
        .args([
            "realtime",
            "--scenario",
            scenario.to_str().unwrap(),
            "--until-stdin-closes",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next_line().await.unwrap().unwrap_or_else(|| {
        panic!("{} printed no READY line (in a shared target dir another crate's relay-testkit binary may have replaced it)", env!("CARGO_BIN_EXE_relay-testkit"))
    });
    let url = ready
        .strip_prefix("READY ")
        .expect("READY line")
        .to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    next_of(&mut ws, "session.created").await;
    send(&mut ws, json!({"type": "response.create"})).await;
    assert_eq!(
        next_of(&mut ws, "response.output_audio_transcript.done").await["transcript"],
        "from a file"
    );
    drop(child.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
