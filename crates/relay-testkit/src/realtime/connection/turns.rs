//! What the "model" answers: `response.create` (refused while a response is active, or raced
//! by a scripted server-started response), choosing the next scripted turn, and the echo the
//! model falls back to when the script runs out.

use futures::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::super::response::Content;
use super::super::scenario::Turn;
use super::conn::{Conn, CutPoint, Flow, Ws, client_event_id};
use super::validate;

/// The utterance in the first pair of double quotes, if any.
fn quoted(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_string())
}

impl Conn {
    /// Sends `conversation_already_has_active_response` if a response is active.
    async fn refuse_if_active(&mut self, ws: &mut Ws, eid: Option<Value>) -> Result<bool, ()> {
        let Some(active) = &self.active else {
            return Ok(false);
        };
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
        Ok(true)
    }

    /// `response.create`: starts a response unless one is active.
    pub(super) async fn response_create(&mut self, ws: &mut Ws, event: &Value) -> Result<Flow, ()> {
        let eid = client_event_id(event);
        if self.refuse_if_active(ws, eid.clone()).await? {
            return Ok(Flow::Continue);
        }
        let opts = event.get("response").cloned().unwrap_or_else(|| json!({}));
        if let Err(rejection) = validate::response_options(&opts) {
            self.reject(ws, rejection, eid).await?;
            return Ok(Flow::Continue);
        }
        if let Some(Turn::RaceNextCreate) = self.peek_turn() {
            self.pop_turn();
            // The server starts its own response first (as VAD would), so the client's create
            // lands on an active response.
            let flow = self.start_from_turns(ws, &json!({}), false).await?;
            self.refuse_if_active(ws, eid).await?;
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
    pub(super) async fn start_from_turns(
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
                None,
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
                Some(Turn::DisconnectDuring {
                    turn,
                    after,
                    count,
                    hold,
                }) => {
                    let content = match *turn {
                        Turn::Say { text, audio_ms } => Content::Say { text, audio_ms },
                        Turn::Call { calls } => Content::Calls(calls),
                        // Nothing to cut into: drop at once.
                        _ => return Ok(Flow::Drop),
                    };
                    let cut = CutPoint {
                        after,
                        remaining: count.max(1),
                        hold,
                    };
                    // A cut reached while starting drops the socket (`Err`).
                    return match self.start(ws, content, opts, pump, Some(cut)).await {
                        Ok(()) => Ok(Flow::Continue),
                        Err(()) => Ok(Flow::Drop),
                    };
                }
                Some(Turn::Say { text, audio_ms }) => {
                    self.start(ws, Content::Say { text, audio_ms }, opts, pump, None)
                        .await?;
                    return Ok(Flow::Continue);
                }
                Some(Turn::Call { calls }) => {
                    self.start(ws, Content::Calls(calls), opts, pump, None)
                        .await?;
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
                        None,
                    )
                    .await?;
                    return Ok(Flow::Continue);
                }
            }
        }
    }

    /// The echo: a summary of tool outputs since the user last spoke, else what they said.
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
}
