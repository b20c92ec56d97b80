//! The state of one connection and the outbound primitives every handler uses: sending a
//! server event, sending an error, recording client events and the conversation.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures::SinkExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::super::Shared;
use super::super::response::Out;
use super::super::vad::Vad;

/// The accepted WebSocket.
pub(super) type Ws = WebSocketStream<TcpStream>;

/// What the loop should do after handling an event.
pub(super) enum Flow {
    Continue,
    /// Drop the socket without a close frame.
    Drop,
}

/// One conversation item as the server keeps it.
pub(super) struct ConvItem {
    pub(super) item: Value,
    /// Audio the item holds, ms (what truncation may cut down to).
    pub(super) audio_ms: u64,
}

/// The response being streamed.
pub(super) struct Active {
    pub(super) id: String,
    /// Events not sent yet.
    pub(super) queue: VecDeque<Out>,
    /// The final `response` object.
    pub(super) response: Value,
    /// When the next queued event is due.
    pub(super) next_at: Instant,
    /// Audio sent so far per output item, ms.
    pub(super) audio_sent: HashMap<String, u64>,
    /// Output items added to the conversation so far.
    pub(super) started_items: Vec<Value>,
    /// Where a scripted disconnect cuts this response.
    pub(super) cut: Option<CutPoint>,
    /// The response stopped at its cut point and waits for the test to drop the socket.
    pub(super) held: bool,
}

/// A scripted disconnect in the middle of a response (see `Turn::DisconnectDuring`).
#[derive(Debug, Clone)]
pub(super) struct CutPoint {
    /// The server event type counted.
    pub(super) after: String,
    /// How many more of them go out before the cut.
    pub(super) remaining: u32,
    /// Stop and wait instead of dropping.
    pub(super) hold: bool,
}

impl CutPoint {
    /// Counts a sent event of type `kind`; `true` when this was the one to cut after.
    pub(super) fn reached(&mut self, kind: &str) -> bool {
        if kind != self.after || self.remaining == 0 {
            return false;
        }
        self.remaining -= 1;
        self.remaining == 0
    }
}

/// The protocol state of one connection.
pub(super) struct Conn {
    pub(super) shared: Arc<Shared>,
    /// Index of this connection's log.
    pub(super) idx: usize,
    pub(super) session: Value,
    pub(super) items: Vec<ConvItem>,
    pub(super) vad: Vad,
    /// Input audio buffered since the last commit or clear, ms.
    pub(super) buffer_ms: u64,
    /// The item id announced with `speech_started`, used when speech stops.
    pub(super) pending_user_item: Option<String>,
    pub(super) active: Option<Active>,
    /// Responses started (for the rate limits).
    pub(super) requests: u64,
}

impl Conn {
    /// A connection with an empty conversation and this initial `session`.
    pub(super) fn new(shared: Arc<Shared>, idx: usize, session: Value) -> Self {
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

    /// Copies the conversation into the connection log.
    pub(super) fn save_conversation(&self) {
        let conv: Vec<Value> = self.items.iter().map(|i| i.item.clone()).collect();
        self.shared.with_log(self.idx, |l| l.conversation = conv);
    }

    /// Sends a server event with a fresh `event_id`, logging when it went out.
    pub(super) async fn send(&mut self, ws: &mut Ws, event: Value) -> Result<(), ()> {
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

    /// Sends an `error` event not tied to a client event.
    pub(super) async fn error(
        &mut self,
        ws: &mut Ws,
        kind: &str,
        code: &str,
        message: &str,
    ) -> Result<(), ()> {
        self.error_for(ws, kind, code, message, None).await
    }

    /// Sends an `error` event naming the client event that caused it, and logs it.
    pub(super) async fn error_for(
        &mut self,
        ws: &mut Ws,
        kind: &str,
        code: &str,
        message: &str,
        client_event_id: Option<Value>,
    ) -> Result<(), ()> {
        self.error_with_param(ws, kind, code, message, None, client_event_id)
            .await
    }

    /// Sends an `invalid_request_error` for `rejection`, naming the client event that caused it.
    pub(super) async fn reject(
        &mut self,
        ws: &mut Ws,
        rejection: Rejection,
        client_event_id: Option<Value>,
    ) -> Result<(), ()> {
        self.error_with_param(
            ws,
            "invalid_request_error",
            rejection.code,
            &rejection.message,
            rejection.param.as_deref(),
            client_event_id,
        )
        .await
    }

    /// Sends an `error` event in the service's shape (`type`, `code`, `message`, `param`, and
    /// the client `event_id` it answers), and logs it.
    async fn error_with_param(
        &mut self,
        ws: &mut Ws,
        kind: &str,
        code: &str,
        message: &str,
        param: Option<&str>,
        client_event_id: Option<Value>,
    ) -> Result<(), ()> {
        self.shared.with_log(self.idx, |l| {
            l.errors_sent.push((code.to_string(), message.to_string()));
        });
        let ev = json!({"type": "error", "error": {"type": kind, "code": code, "message": message,
                        "param": param, "event_id": client_event_id.unwrap_or(Value::Null)}});
        self.send(ws, ev).await
    }

    /// Logs a client event (audio replaced by its length unless the scenario records audio).
    pub(super) fn record(&self, event: &Value) {
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

    /// The id of the last conversation item (`null` when empty), for `previous_item_id`.
    pub(super) fn last_item_id(&self) -> Value {
        self.items
            .last()
            .map(|i| i.item["id"].clone())
            .unwrap_or(Value::Null)
    }

    /// Announces a new conversation item: `conversation.item.added` then `.done`.
    pub(super) async fn send_item_added(
        &mut self,
        ws: &mut Ws,
        previous: &Value,
        item: &Value,
    ) -> Result<(), ()> {
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
}

/// Why the service refuses a client event: an `invalid_request_error` with this code, message
/// and offending parameter.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rejection {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) param: Option<String>,
}

impl Rejection {
    /// `unknown_parameter` for `param`.
    pub(super) fn unknown(param: &str) -> Self {
        Rejection {
            code: "unknown_parameter",
            message: format!("Unknown parameter: '{param}'."),
            param: Some(param.to_string()),
        }
    }

    /// `missing_required_parameter` for `param`.
    pub(super) fn missing(param: &str) -> Self {
        Rejection {
            code: "missing_required_parameter",
            message: format!("Missing required parameter: '{param}'."),
            param: Some(param.to_string()),
        }
    }

    /// `invalid_value` of `param`, explained by `message`.
    pub(super) fn invalid(param: &str, message: String) -> Self {
        Rejection {
            code: "invalid_value",
            message,
            param: Some(param.to_string()),
        }
    }
}

/// The `event_id` a client event carried, echoed in errors about it.
pub(super) fn client_event_id(event: &Value) -> Option<Value> {
    event.get("event_id").cloned()
}
