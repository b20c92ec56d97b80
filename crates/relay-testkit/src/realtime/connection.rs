//! One WebSocket connection of the fake Realtime server: the protocol state machine.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::response::{self, Content, Format, Out};
use super::scenario::Turn;
use super::vad::{Vad, VadEvent, alaw_level, mulaw_level};
use super::{ConnectionLog, Shared};

type Ws = WebSocketStream<TcpStream>;

/// Session fields of the beta protocol that the GA service rejects.
const BETA_FIELDS: &[&str] = &[
    "modalities",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "turn_detection",
    "voice",
    "input_audio_noise_reduction",
    "max_response_output_tokens",
];

const CLIENT_EVENTS: &[&str] = &[
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
];

struct ConvItem {
    item: Value,
    audio_ms: u64,
}

struct Active {
    id: String,
    queue: VecDeque<Out>,
    response: Value,
    next_at: Instant,
    audio_sent: HashMap<String, u64>,
    started_items: Vec<Value>,
}

struct Conn {
    shared: Arc<Shared>,
    idx: usize,
    session: Value,
    items: Vec<ConvItem>,
    vad: Vad,
    buffer_ms: u64,
    pending_user_item: Option<String>,
    active: Option<Active>,
    requests: u64,
}

/// What the loop should do after handling an event.
enum Flow {
    Continue,
    /// Drop the socket without a close frame.
    Drop,
}

pub async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let idx = {
        let mut logs = shared.logs.lock().expect("log lock");
        logs.push(ConnectionLog::default());
        logs.len() - 1
    };
    let required = shared.scenario.api_key.clone();
    let mut model = None;
    let mut had_bearer = false;
    let mut header_names = Vec::new();
    // The signature is fixed by tungstenite's handshake callback.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        model = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("model=")))
            .map(str::to_string);
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        had_bearer = auth.starts_with("Bearer ");
        header_names = req
            .headers()
            .keys()
            .map(|k| k.as_str().to_string())
            .collect();
        if let Some(key) = &required
            && auth != format!("Bearer {key}")
        {
            let body = json!({"error": {"type": "invalid_request_error", "code": "invalid_api_key",
                              "message": "Incorrect API key provided."}})
            .to_string();
            let mut r = ErrorResponse::new(Some(body));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(r);
        }
        Ok(resp)
    };
    let ws = tokio_tungstenite::accept_hdr_async(stream, callback).await;
    shared.with_log(idx, |l| {
        l.model = model.clone();
        l.had_bearer = had_bearer;
        l.header_names = header_names.clone();
    });
    let Ok(mut ws) = ws else { return };
    let mut conn = Conn::new(
        shared.clone(),
        idx,
        model.unwrap_or_else(|| "gpt-realtime".into()),
    );
    let created = json!({"type": "session.created", "session": conn.session});
    if conn.send(&mut ws, created).await.is_err() {
        return;
    }
    let expiry = shared
        .scenario
        .session_max_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut kill = shared.kill.subscribe();
    loop {
        let next_at = conn.active.as_ref().map(|a| a.next_at);
        let flow = tokio::select! {
            _ = kill.recv() => Flow::Drop,
            _ = sleep_until(expiry.unwrap_or_else(Instant::now)), if expiry.is_some() => {
                let _ = conn.error(&mut ws, "invalid_request_error", "session_expired",
                    "Your session hit the maximum duration of 60 minutes.").await;
                let _ = ws.close(None).await;
                Flow::Drop
            }
            _ = sleep_until(next_at.unwrap_or_else(Instant::now)), if next_at.is_some() => {
                match conn.pump(&mut ws).await { Ok(()) => Flow::Continue, Err(()) => Flow::Drop }
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => conn.handle(&mut ws, text.as_str()).await.unwrap_or(Flow::Drop),
                Some(Ok(Message::Binary(_))) => {
                    let _ = conn.error(&mut ws, "invalid_request_error", "invalid_value",
                        "Binary frames are not supported; send JSON text events.").await;
                    Flow::Continue
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Flow::Drop,
                Some(Ok(_)) => Flow::Continue,
            },
        };
        if let Flow::Drop = flow {
            break;
        }
    }
    conn.save_conversation();
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// The utterance in the first pair of double quotes, if any.
fn quoted(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_string())
}

impl Conn {
    fn new(shared: Arc<Shared>, idx: usize, model: String) -> Self {
        let session = json!({
            "type": "realtime", "object": "realtime.session", "id": shared.next_id("sess"),
            "model": model, "output_modalities": ["audio"], "instructions": "",
            "tools": [], "tool_choice": "auto", "max_output_tokens": "inf", "tracing": null,
            "truncation": "auto", "prompt": null, "expires_at": unix_now() + 3600, "include": null,
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": null,
                          "noise_reduction": null,
                          "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                             "silence_duration_ms": 200, "idle_timeout_ms": null,
                                             "create_response": true, "interrupt_response": true}},
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0}
            }
        });
        Conn {
            shared,
            idx,
            session,
            items: Vec::new(),
            vad: Vad::default(),
            buffer_ms: 0,
            pending_user_item: None,
            active: None,
            requests: 0,
        }
    }

    fn save_conversation(&self) {
        let conv: Vec<Value> = self.items.iter().map(|i| i.item.clone()).collect();
        self.shared.with_log(self.idx, |l| l.conversation = conv);
    }

    async fn send(&mut self, ws: &mut Ws, event: Value) -> Result<(), ()> {
        let mut event = event;
        if let Value::Object(m) = &mut event {
            m.insert("event_id".into(), Value::from(self.shared.next_id("event")));
        }
        let kind = event["type"].as_str().unwrap_or("").to_string();
        ws.send(Message::text(event.to_string()))
            .await
            .map_err(|_| ())?;
        if kind != "response.output_audio.delta" {
            let now = std::time::Instant::now();
            self.shared
                .with_log(self.idx, |l| l.sent_times.push((kind, now)));
        }
        Ok(())
    }

    async fn error(
        &mut self,
        ws: &mut Ws,
        kind: &str,
        code: &str,
        message: &str,
    ) -> Result<(), ()> {
        self.error_for(ws, kind, code, message, None).await
    }

    async fn error_for(
        &mut self,
        ws: &mut Ws,
        kind: &str,
        code: &str,
        message: &str,
        client_event_id: Option<Value>,
    ) -> Result<(), ()> {
        self.shared.with_log(self.idx, |l| {
            l.errors_sent.push((code.to_string(), message.to_string()));
        });
        let ev = json!({"type": "error", "error": {"type": kind, "code": code, "message": message,
                        "param": null, "event_id": client_event_id.unwrap_or(Value::Null)}});
        self.send(ws, ev).await
    }

    fn record(&self, event: &Value) {
        let mut logged = event.clone();
        if !self.shared.scenario.record_audio
            && let Some(audio) = event.get("audio").and_then(Value::as_str)
        {
            logged["audio"] = Value::from(format!("<{} base64 chars>", audio.len()));
        }
        let now = std::time::Instant::now();
        self.shared.with_log(self.idx, |l| {
            l.client_events.push(logged);
            l.client_event_times.push(now);
        });
    }

    async fn handle(&mut self, ws: &mut Ws, text: &str) -> Result<Flow, ()> {
        let Ok(event) = serde_json::from_str::<Value>(text) else {
            self.error(
                ws,
                "invalid_request_error",
                "invalid_json",
                "We could not parse the JSON body of your request. Send valid JSON events.",
            )
            .await?;
            return Ok(Flow::Continue);
        };
        self.record(&event);
        let kind = event["type"].as_str().unwrap_or("").to_string();
        let eid = event.get("event_id").cloned();
        match kind.as_str() {
            "session.update" => self.session_update(ws, &event).await?,
            "input_audio_buffer.append" => return self.append(ws, &event).await,
            "input_audio_buffer.commit" => {
                if self.buffer_ms < 100 {
                    let msg = format!(
                        "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {}.00ms of audio.",
                        self.buffer_ms
                    );
                    self.error_for(
                        ws,
                        "invalid_request_error",
                        "input_audio_buffer_commit_empty",
                        &msg,
                        eid,
                    )
                    .await?;
                } else {
                    let id = self.shared.next_id("item");
                    self.commit(ws, id).await?;
                }
            }
            "input_audio_buffer.clear" => {
                self.buffer_ms = 0;
                self.send(ws, json!({"type": "input_audio_buffer.cleared"}))
                    .await?;
            }
            "conversation.item.create" => self.item_create(ws, &event).await?,
            "conversation.item.retrieve" => {
                let id = event["item_id"].as_str().unwrap_or("");
                match self.items.iter().find(|i| i.item["id"] == id) {
                    Some(i) => {
                        let item = i.item.clone();
                        self.send(
                            ws,
                            json!({"type": "conversation.item.retrieved", "item": item}),
                        )
                        .await?;
                    }
                    None => self.item_not_found(ws, id, eid).await?,
                }
            }
            "conversation.item.truncate" => self.truncate(ws, &event).await?,
            "conversation.item.delete" => {
                let id = event["item_id"].as_str().unwrap_or("").to_string();
                match self.items.iter().position(|i| i.item["id"] == id.as_str()) {
                    Some(pos) => {
                        self.items.remove(pos);
                        self.shared
                            .with_log(self.idx, |l| l.deletions.push(id.clone()));
                        self.send(
                            ws,
                            json!({"type": "conversation.item.deleted", "item_id": id}),
                        )
                        .await?;
                    }
                    None => self.item_not_found(ws, &id, eid).await?,
                }
            }
            "response.create" => return self.response_create(ws, &event).await,
            "response.cancel" => {
                if self.active.is_some() {
                    self.cancel(ws, "client_cancelled").await?;
                } else {
                    self.error_for(
                        ws,
                        "invalid_request_error",
                        "response_cancel_not_active",
                        "Cancellation failed: no active response found.",
                        eid,
                    )
                    .await?;
                }
            }
            "output_audio_buffer.clear" => {
                self.error_for(
                    ws,
                    "invalid_request_error",
                    "invalid_value",
                    "output_audio_buffer.clear is only supported for WebRTC and SIP connections.",
                    eid,
                )
                .await?;
            }
            other => {
                let msg = format!(
                    "Invalid value: '{other}'. Supported values are: {}.",
                    CLIENT_EVENTS.join(", ")
                );
                self.error_for(ws, "invalid_request_error", "invalid_value", &msg, eid)
                    .await?;
            }
        }
        self.save_conversation();
        Ok(Flow::Continue)
    }

    async fn item_not_found(
        &mut self,
        ws: &mut Ws,
        id: &str,
        eid: Option<Value>,
    ) -> Result<(), ()> {
        let msg = format!("Item with item_id not found: {id}");
        self.error_for(ws, "invalid_request_error", "item_not_found", &msg, eid)
            .await
    }

    async fn session_update(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = event.get("event_id").cloned();
        let Some(patch) = event.get("session").filter(|s| s.is_object()) else {
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "missing_required_parameter",
                    "Missing required parameter: 'session'.",
                    eid,
                )
                .await;
        };
        if let Some(beta) = BETA_FIELDS.iter().find(|f| patch.get(**f).is_some()) {
            let msg = format!("Unknown parameter: 'session.{beta}'.");
            return self
                .error_for(ws, "invalid_request_error", "unknown_parameter", &msg, eid)
                .await;
        }
        match patch.get("type").and_then(Value::as_str) {
            Some("realtime") => {}
            Some(other) => {
                let msg = format!(
                    "Invalid value: '{other}'. This endpoint supports session.type 'realtime'."
                );
                return self
                    .error_for(ws, "invalid_request_error", "invalid_value", &msg, eid)
                    .await;
            }
            None => {
                return self
                    .error_for(
                        ws,
                        "invalid_request_error",
                        "missing_required_parameter",
                        "Missing required parameter: 'session.type'.",
                        eid,
                    )
                    .await;
            }
        }
        merge(&mut self.session, patch);
        let session = self.session.clone();
        self.send(ws, json!({"type": "session.updated", "session": session}))
            .await
    }

    fn input_format(&self) -> String {
        self.session["audio"]["input"]["format"]["type"]
            .as_str()
            .unwrap_or("audio/pcm")
            .to_string()
    }

    async fn append(&mut self, ws: &mut Ws, event: &Value) -> Result<Flow, ()> {
        let eid = event.get("event_id").cloned();
        let Some(bytes) = event["audio"]
            .as_str()
            .and_then(|a| STANDARD.decode(a).ok())
        else {
            self.error_for(
                ws,
                "invalid_request_error",
                "invalid_value",
                "Invalid 'audio'. Expected base64-encoded audio bytes.",
                eid,
            )
            .await?;
            return Ok(Flow::Continue);
        };
        let samples: Vec<i16> = match self.input_format().as_str() {
            "audio/pcmu" => bytes.iter().flat_map(|&b| [mulaw_level(b); 3]).collect(),
            "audio/pcma" => bytes.iter().flat_map(|&b| [alaw_level(b); 3]).collect(),
            _ => bytes
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect(),
        };
        self.buffer_ms += samples.len() as u64 / 24;
        let td = self.session["audio"]["input"]["turn_detection"].clone();
        if td.is_null() {
            self.vad.position_ms += samples.len() as u64 / 24;
            return Ok(Flow::Continue);
        }
        let silence = match (td["type"].as_str(), td["eagerness"].as_str()) {
            (Some("semantic_vad"), Some("high")) => 250,
            (Some("semantic_vad"), Some("low")) => 1000,
            (Some("semantic_vad"), _) => 500,
            _ => td["silence_duration_ms"].as_u64().unwrap_or(500),
        };
        let padding = td["prefix_padding_ms"].as_u64().unwrap_or(300);
        let threshold = self.shared.scenario.vad_energy;
        for ev in self.vad.feed(&samples, threshold, padding, silence) {
            match ev {
                VadEvent::Started(ms) => {
                    let id = self.shared.next_id("item");
                    self.pending_user_item = Some(id.clone());
                    self.send(ws, json!({"type": "input_audio_buffer.speech_started", "audio_start_ms": ms, "item_id": id})).await?;
                    if td["interrupt_response"].as_bool().unwrap_or(true) && self.active.is_some() {
                        self.cancel(ws, "turn_detected").await?;
                    }
                }
                VadEvent::Stopped(ms) => {
                    let id = self
                        .pending_user_item
                        .take()
                        .unwrap_or_else(|| self.shared.next_id("item"));
                    self.send(ws, json!({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": ms, "item_id": id})).await?;
                    self.commit(ws, id).await?;
                    if td["create_response"].as_bool().unwrap_or(true) && self.active.is_none() {
                        let flow = self.start_from_turns(ws, &json!({}), true).await?;
                        if let Flow::Drop = flow {
                            return Ok(Flow::Drop);
                        }
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }

    async fn commit(&mut self, ws: &mut Ws, item_id: String) -> Result<(), ()> {
        let duration_ms = self.buffer_ms;
        self.buffer_ms = 0;
        let previous = self
            .items
            .last()
            .map(|i| i.item["id"].clone())
            .unwrap_or(Value::Null);
        self.send(ws, json!({"type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": item_id})).await?;
        let mut item = json!({"id": item_id, "object": "realtime.item", "type": "message", "status": "completed",
                              "role": "user", "content": [{"type": "input_audio", "transcript": null}]});
        self.send(
            ws,
            json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}),
        )
        .await?;
        self.send(
            ws,
            json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}),
        )
        .await?;
        if !self.session["audio"]["input"]["transcription"].is_null() {
            let transcript = self
                .shared
                .transcripts
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| format!("({duration_ms} ms of speech)"));
            item["content"][0]["transcript"] = Value::from(transcript.clone());
            self.send(ws, json!({"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id,
                                 "content_index": 0, "delta": transcript})).await?;
            self.send(ws, json!({"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id,
                                 "content_index": 0, "transcript": transcript,
                                 "usage": {"type": "duration", "seconds": duration_ms as f64 / 1000.0}})).await?;
        }
        self.items.push(ConvItem {
            item,
            audio_ms: duration_ms,
        });
        Ok(())
    }

    async fn item_create(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = event.get("event_id").cloned();
        let mut item = event["item"].clone();
        let problem = match item["type"].as_str() {
            Some("message") => {
                let role = item["role"].as_str().unwrap_or("");
                let allowed: &[&str] = match role {
                    "user" => &["input_text", "input_audio", "input_image"],
                    "assistant" => &["output_text", "output_audio"],
                    "system" => &["input_text"],
                    _ => &[],
                };
                if allowed.is_empty() {
                    Some(format!(
                        "Invalid value: '{role}'. Supported values are: 'user', 'assistant', and 'system'."
                    ))
                } else {
                    item["content"].as_array().into_iter().flatten().find_map(|c| {
                        let t = c["type"].as_str().unwrap_or("");
                        (!allowed.contains(&t)).then(|| format!("Invalid value: '{t}'. Supported values for a {role} message are: {}.", allowed.join(", ")))
                    })
                }
            }
            Some("function_call") => None,
            Some("function_call_output") => {
                let call_id = item["call_id"].as_str().unwrap_or("");
                let known = self
                    .items
                    .iter()
                    .any(|i| i.item["type"] == "function_call" && i.item["call_id"] == call_id);
                (!known).then(|| format!("Tool call ID '{call_id}' not found in conversation."))
            }
            other => Some(format!(
                "Invalid value: '{}'. Supported values are: 'message', 'function_call', and 'function_call_output'.",
                other.unwrap_or("")
            )),
        };
        if let Some(msg) = problem {
            return self
                .error_for(ws, "invalid_request_error", "invalid_value", &msg, eid)
                .await;
        }
        if item.get("id").and_then(Value::as_str).is_none() {
            item["id"] = Value::from(self.shared.next_id("item"));
        }
        if self.items.iter().any(|i| i.item["id"] == item["id"]) {
            let msg = format!(
                "Item with id '{}' already exists.",
                item["id"].as_str().unwrap_or("")
            );
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "item_already_exists",
                    &msg,
                    eid,
                )
                .await;
        }
        item["object"] = Value::from("realtime.item");
        item["status"] = Value::from("completed");
        let previous = self
            .items
            .last()
            .map(|i| i.item["id"].clone())
            .unwrap_or(Value::Null);
        self.items.push(ConvItem {
            item: item.clone(),
            audio_ms: 0,
        });
        self.send(
            ws,
            json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}),
        )
        .await?;
        self.send(
            ws,
            json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}),
        )
        .await
    }

    async fn truncate(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = event.get("event_id").cloned();
        let id = event["item_id"].as_str().unwrap_or("").to_string();
        let end = event["audio_end_ms"].as_u64().unwrap_or(0);
        let Some(pos) = self.items.iter().position(|i| i.item["id"] == id.as_str()) else {
            return self.item_not_found(ws, &id, eid).await;
        };
        if self.items[pos].item["role"] != "assistant" {
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "invalid_value",
                    "Only assistant messages with audio can be truncated.",
                    eid,
                )
                .await;
        }
        let have = self.items[pos].audio_ms;
        if end > have {
            let msg = format!("Audio content of {have}ms is already shorter than {end}ms");
            return self
                .error_for(ws, "invalid_request_error", "invalid_value", &msg, eid)
                .await;
        }
        let entry = &mut self.items[pos];
        entry.audio_ms = end;
        // The service drops the transcript of truncated audio so the model cannot "remember"
        // words the user never heard.
        if let Some(part) = entry.item["content"].get_mut(0) {
            part["transcript"] = Value::from("");
        }
        self.shared
            .with_log(self.idx, |l| l.truncations.push((id.clone(), end)));
        self.send(ws, json!({"type": "conversation.item.truncated", "item_id": id, "content_index": 0, "audio_end_ms": end})).await
    }

    async fn response_create(&mut self, ws: &mut Ws, event: &Value) -> Result<Flow, ()> {
        let eid = event.get("event_id").cloned();
        if let Some(active) = &self.active {
            let msg = format!(
                "Conversation already has an active response in progress: {}. Wait until the response is finished before creating a new one.",
                active.id
            );
            self.error_for(
                ws,
                "invalid_request_error",
                "conversation_already_has_active_response",
                &msg,
                eid,
            )
            .await?;
            return Ok(Flow::Continue);
        }
        let opts = event.get("response").cloned().unwrap_or_else(|| json!({}));
        if let Some(Turn::RaceNextCreate) = self.peek_turn() {
            self.pop_turn();
            // The server starts its own response first (as VAD would), so the client's create
            // lands on an active response.
            let flow = self.start_from_turns(ws, &json!({}), false).await?;
            if let Some(active) = &self.active {
                let msg = format!(
                    "Conversation already has an active response in progress: {}. Wait until the response is finished before creating a new one.",
                    active.id
                );
                self.error_for(
                    ws,
                    "invalid_request_error",
                    "conversation_already_has_active_response",
                    &msg,
                    eid,
                )
                .await?;
            }
            self.pump(ws).await?;
            return Ok(flow);
        }
        self.start_from_turns(ws, &opts, true).await
    }

    fn peek_turn(&self) -> Option<Turn> {
        self.shared.turns.lock().expect("lock").front().cloned()
    }

    fn pop_turn(&self) -> Option<Turn> {
        self.shared.turns.lock().expect("lock").pop_front()
    }

    /// Starts a response: per-response instructions with a quoted utterance are spoken as is;
    /// otherwise the next scripted turn decides; with no turns left the model echoes.
    async fn start_from_turns(
        &mut self,
        ws: &mut Ws,
        opts: &Value,
        pump: bool,
    ) -> Result<Flow, ()> {
        if let Some(text) = opts["instructions"].as_str().and_then(quoted) {
            self.start(
                ws,
                Content::Say {
                    text,
                    audio_ms: 300,
                },
                opts,
                pump,
            )
            .await?;
            return Ok(Flow::Continue);
        }
        loop {
            match self.pop_turn() {
                Some(Turn::Raw { frame }) => {
                    ws.send(Message::text(frame)).await.map_err(|_| ())?;
                }
                Some(Turn::Disconnect) => return Ok(Flow::Drop),
                Some(Turn::RaceNextCreate) => continue,
                Some(Turn::Say { text, audio_ms }) => {
                    self.start(ws, Content::Say { text, audio_ms }, opts, pump)
                        .await?;
                    return Ok(Flow::Continue);
                }
                Some(Turn::Call { calls }) => {
                    self.start(ws, Content::Calls(calls), opts, pump).await?;
                    return Ok(Flow::Continue);
                }
                None => {
                    let text = self.echo_text();
                    self.start(
                        ws,
                        Content::Say {
                            text,
                            audio_ms: 400,
                        },
                        opts,
                        pump,
                    )
                    .await?;
                    return Ok(Flow::Continue);
                }
            }
        }
    }

    fn echo_text(&self) -> String {
        // Tool outputs since the user last spoke are what the model summarizes.
        let since = self
            .items
            .iter()
            .rposition(|i| i.item["role"] == "user")
            .map_or(0, |p| p + 1);
        let outputs: Vec<&str> = self.items[since..]
            .iter()
            .filter(|i| i.item["type"] == "function_call_output")
            .map(|i| i.item["output"].as_str().unwrap_or(""))
            .collect();
        if !outputs.is_empty() {
            return format!("Results: {}", outputs.join("; "));
        }
        let last_user = self.items.iter().rev().find(|i| i.item["role"] == "user");
        match last_user.and_then(|i| i.item["content"].get(0)) {
            Some(part) => {
                let text = part["text"]
                    .as_str()
                    .or_else(|| part["transcript"].as_str())
                    .unwrap_or("");
                format!("You said: {text}")
            }
            None => "Hello.".into(),
        }
    }

    async fn start(
        &mut self,
        ws: &mut Ws,
        content: Content,
        opts: &Value,
        pump: bool,
    ) -> Result<(), ()> {
        let modalities = opts
            .get("output_modalities")
            .unwrap_or(&self.session["output_modalities"]);
        let fmt = Format {
            audio: modalities
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x == "audio")),
            format: self.session["audio"]["output"]["format"]["type"]
                .as_str()
                .unwrap_or("audio/pcm")
                .to_string(),
            chunk_ms: self.shared.scenario.audio_chunk_ms,
            interval_ms: self.shared.scenario.chunk_interval_ms,
        };
        let in_conversation = opts["conversation"].as_str() != Some("none");
        let id = self.shared.next_id("resp");
        let metadata = opts.get("metadata").cloned().unwrap_or(Value::Null);
        let (queue, response) =
            response::build(&self.shared, &id, content, &fmt, metadata, in_conversation);
        self.requests += 1;
        self.active = Some(Active {
            id,
            queue,
            response,
            next_at: Instant::now(),
            audio_sent: HashMap::new(),
            started_items: Vec::new(),
        });
        if pump {
            // Send everything up to the first paced event right away.
            self.pump(ws).await
        } else {
            // Only announce the response; the rest follows from the connection loop.
            self.pump_one(ws).await
        }
    }

    /// Sends queued events of the active response until the next paced one, finishing the
    /// response when the queue is empty.
    async fn pump(&mut self, ws: &mut Ws) -> Result<(), ()> {
        loop {
            let Some(active) = self.active.as_mut() else {
                return Ok(());
            };
            let Some(out) = active.queue.pop_front() else {
                let response = active.response.clone();
                self.active = None;
                return self.finish(ws, response).await;
            };
            if let Some((item, audio_ms)) = out.add_item {
                active.started_items.push(item.clone());
                self.items.push(ConvItem { item, audio_ms });
            }
            let active = self.active.as_mut().expect("active");
            let is_audio = out.audio.is_some();
            if let Some((item_id, ms)) = out.audio {
                *active.audio_sent.entry(item_id).or_default() += ms;
            }
            let next_delay = active.queue.front().map(|o| o.delay_ms).unwrap_or(0);
            self.send(ws, out.event).await?;
            if is_audio {
                let now = std::time::Instant::now();
                self.shared
                    .with_log(self.idx, |l| l.audio_sent_times.push(now));
            }
            if next_delay > 0 {
                let active = self.active.as_mut().expect("active");
                active.next_at = Instant::now() + Duration::from_millis(next_delay);
                return Ok(());
            }
        }
    }

    async fn pump_one(&mut self, ws: &mut Ws) -> Result<(), ()> {
        let Some(active) = self.active.as_mut() else {
            return Ok(());
        };
        if let Some(out) = active.queue.pop_front() {
            self.send(ws, out.event).await?;
        }
        Ok(())
    }

    async fn finish(&mut self, ws: &mut Ws, response: Value) -> Result<(), ()> {
        self.send(ws, json!({"type": "response.done", "response": response}))
            .await?;
        let remaining = 1000u64.saturating_sub(self.requests);
        self.send(ws, json!({"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 1000, "remaining": remaining, "reset_seconds": 60.0},
            {"name": "tokens", "limit": 40000, "remaining": 40000u64.saturating_sub(self.requests * 150), "reset_seconds": 0.5}
        ]})).await
    }

    async fn cancel(&mut self, ws: &mut Ws, reason: &str) -> Result<(), ()> {
        let Some(active) = self.active.take() else {
            return Ok(());
        };
        let mut outputs = Vec::new();
        for mut item in active.started_items {
            let id = item["id"].as_str().unwrap_or("").to_string();
            if let Some(sent) = active.audio_sent.get(&id)
                && let Some(entry) = self.items.iter_mut().find(|i| i.item["id"] == id.as_str())
            {
                // Only the audio actually generated before the cancel exists server-side.
                entry.audio_ms = *sent;
                entry.item["status"] = Value::from("incomplete");
            }
            item["status"] = Value::from("incomplete");
            self.send(
                ws,
                json!({"type": "response.output_item.done", "response_id": active.id,
                                 "output_index": outputs.len(), "item": item}),
            )
            .await?;
            outputs.push(item);
        }
        let mut response = active.response;
        response["status"] = Value::from("cancelled");
        response["status_details"] = json!({"type": "cancelled", "reason": reason});
        response["output"] = Value::from(outputs);
        self.send(ws, json!({"type": "response.done", "response": response}))
            .await
    }
}
