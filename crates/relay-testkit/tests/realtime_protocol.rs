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
    // A `log` line on stdin prints what the server saw, as one JSON line.
    use tokio::io::AsyncWriteExt;
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"log\n").await.unwrap();
    stdin.flush().await.unwrap();
    let log: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let events = log["connections"][0]["client_events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["type"] == "response.create"),
        "{log}"
    );
    assert_eq!(log["connections"][0]["truncations"], json!([]));
    assert_eq!(log["remaining_turns"], 0);
    drop(child.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

/// Sends `event` (tagged with a client `event_id`) and checks the answer is the service's error
/// shape with `code` and `param`. Returns the message.
async fn rejected(ws: &mut Ws, mut event: Value, code: &str, param: &str) -> String {
    event["event_id"] = Value::from(format!("evt_{code}_{param}"));
    send(ws, event.clone()).await;
    let e = next_of(ws, "error").await;
    assert!(e["event_id"].as_str().is_some(), "{e}");
    let err = &e["error"];
    assert_eq!(err["type"], "invalid_request_error", "{e}");
    assert_eq!(err["code"], code, "{event} -> {e}");
    assert_eq!(err["param"], param, "{event} -> {e}");
    assert_eq!(err["event_id"], event["event_id"], "{e}");
    let message = err["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    message
}

fn update(session: Value) -> Value {
    let mut s = json!({"type": "realtime"});
    for (k, v) in session.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"type": "session.update", "session": s})
}

#[tokio::test]
async fn session_update_rejects_unknown_keys_bad_modalities_formats_and_tools() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let mut ws = connect(&server).await;
    next_of(&mut ws, "session.created").await;
    let ws = &mut ws;

    let m = rejected(
        ws,
        update(json!({"temperature": 0.8})),
        "unknown_parameter",
        "session.temperature",
    )
    .await;
    assert_eq!(m, "Unknown parameter: 'session.temperature'.");
    rejected(ws, update(json!({"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "vad": true}}})),
        "unknown_parameter", "session.audio.input.vad").await;
    rejected(
        ws,
        update(json!({"audio": {"output": {"voice": "alloy", "volume": 3}}})),
        "unknown_parameter",
        "session.audio.output.volume",
    )
    .await;
    rejected(ws, update(json!({"audio": {"input": {"turn_detection": {"type": "server_vad", "eagerness": "low"}}}})),
        "unknown_parameter", "session.audio.input.turn_detection.eagerness").await;
    rejected(
        ws,
        update(
            json!({"audio": {"input": {"transcription": {"model": "whisper-1", "enabled": true}}}}),
        ),
        "unknown_parameter",
        "session.audio.input.transcription.enabled",
    )
    .await;

    let m = rejected(
        ws,
        update(json!({"output_modalities": ["audio", "text"]})),
        "invalid_value",
        "session.output_modalities",
    )
    .await;
    assert!(m.contains("['audio', 'text']"), "{m}");
    rejected(
        ws,
        update(json!({"output_modalities": ["video"]})),
        "invalid_value",
        "session.output_modalities",
    )
    .await;

    rejected(
        ws,
        update(json!({"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}})),
        "invalid_value",
        "session.audio.input.format.rate",
    )
    .await;
    let m = rejected(
        ws,
        update(json!({"audio": {"output": {"format": {"type": "pcm16"}}}})),
        "invalid_value",
        "session.audio.output.format.type",
    )
    .await;
    assert!(
        m.contains("'audio/pcm', 'audio/pcmu', and 'audio/pcma'"),
        "{m}"
    );
    rejected(
        ws,
        update(json!({"audio": {"output": {"format": {"rate": 24000}}}})),
        "missing_required_parameter",
        "session.audio.output.format.type",
    )
    .await;

    rejected(
        ws,
        update(json!({"tools": [{"name": "lookup", "parameters": {"type": "object"}}]})),
        "missing_required_parameter",
        "session.tools[0].type",
    )
    .await;
    let m = rejected(ws, update(json!({"tools": [
            {"type": "function", "name": "ok", "parameters": {"type": "object"}},
            {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {"repo": {"type": "text"}}}}
        ]})),
        "invalid_function_parameters", "session.tools[1].parameters").await;
    assert!(
        m.starts_with("Invalid schema for function 'lookup':"),
        "{m}"
    );
    rejected(
        ws,
        update(
            json!({"tools": [{"type": "function", "name": "f", "parameters": {"type": "string"}}]}),
        ),
        "invalid_function_parameters",
        "session.tools[0].parameters",
    )
    .await;
    rejected(
        ws,
        update(json!({"tools": [{"type": "function", "name": "f", "strict": true}]})),
        "unknown_parameter",
        "session.tools[0].strict",
    )
    .await;

    // Nothing rejected was applied; everything the GA service accepts still is.
    send(ws, update(json!({
        "model": "gpt-realtime", "instructions": "be brief", "output_modalities": ["text"],
        "tool_choice": "auto", "max_output_tokens": 200, "tracing": null, "truncation": "auto",
        "include": null, "prompt": null,
        "audio": {"input": {"format": {"type": "audio/pcmu"}, "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                            "noise_reduction": {"type": "near_field"},
                            "turn_detection": {"type": "semantic_vad", "eagerness": "high", "create_response": true, "interrupt_response": true}},
                  "output": {"format": {"type": "audio/pcma"}, "voice": "marin", "speed": 1.1}},
        "tools": [{"type": "function", "name": "lookup", "description": "d",
                   "parameters": {"type": "object", "properties": {"repo": {"type": "string", "minLength": 1}}, "required": ["repo"]}}]
    }))).await;
    let updated = next_of(ws, "session.updated").await;
    assert_eq!(updated["session"]["output_modalities"], json!(["text"]));
    assert_eq!(
        updated["session"]["audio"]["output"]["format"]["type"],
        "audio/pcma"
    );
    assert!(updated["session"].get("temperature").is_none());
    assert!(server.connection(0).errors_sent.len() >= 14);
}

#[tokio::test]
async fn truncate_needs_audio_end_ms_within_the_audio_sent_so_far() {
    // 2 s of audio in 100 ms chunks, paced so the response is still streaming.
    let server = FakeRealtime::start(Scenario::new().disconnect_during(
        relay_testkit::realtime::Turn::say("a long answer", 2000),
        "response.output_audio.delta",
        3,
        true,
    ))
    .await
    .unwrap();
    let mut ws = configured(&server).await;
    send(&mut ws, json!({"type": "response.create"})).await;
    let delta = next_of(&mut ws, "response.output_audio.delta").await;
    let item = delta["item_id"].as_str().unwrap().to_string();
    next_of(&mut ws, "response.output_audio.delta").await;
    next_of(&mut ws, "response.output_audio.delta").await;
    let ws = &mut ws;
    rejected(
        ws,
        json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0}),
        "missing_required_parameter",
        "audio_end_ms",
    )
    .await;
    rejected(ws, json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": -5}),
        "invalid_value", "audio_end_ms").await;
    // 300 ms were sent of the 2 s planned: past that is refused.
    let m = rejected(ws, json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 1000}),
        "invalid_value", "audio_end_ms").await;
    assert_eq!(m, "Audio content of 300ms is already shorter than 1000ms");
    send(ws, json!({"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 250})).await;
    assert_eq!(
        next_of(ws, "conversation.item.truncated").await["audio_end_ms"],
        250
    );
}

#[tokio::test]
async fn unknown_call_ids_and_a_second_active_response_are_refused_in_the_service_shape() {
    let server = FakeRealtime::start(Scenario::new().say("a long answer", 2000).pace(100, 20))
        .await
        .unwrap();
    let mut ws = configured(&server).await;
    let ws = &mut ws;
    let m = rejected(ws, json!({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "call_nope", "output": "{}"}}),
        "invalid_value", "item.call_id").await;
    assert_eq!(m, "Tool call ID 'call_nope' not found in conversation.");
    send(ws, json!({"type": "response.create"})).await;
    next_of(ws, "response.output_audio.delta").await;
    send(ws, json!({"type": "response.create", "event_id": "second"})).await;
    let e = next_of(ws, "error").await;
    assert_eq!(
        e["error"]["code"],
        "conversation_already_has_active_response"
    );
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert_eq!(e["error"]["event_id"], "second");
    assert!(
        e["error"].get("param").is_some(),
        "param is part of the shape (null here)"
    );
    send(ws, json!({"type": "response.cancel"})).await;
    next_of(ws, "response.done").await;
    rejected(
        ws,
        json!({"type": "response.create", "response": {"output_modalities": ["audio", "text"]}}),
        "invalid_value",
        "response.output_modalities",
    )
    .await;
}
