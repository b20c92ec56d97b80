//! The session task: one per voice session. Owns the socket, the response discipline, tool calls,
//! barge-in, reconnects and metrics.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::{SinkExt, StreamExt};
use relay_core::tools::{SessionContext, ToolRegistry};
use relay_core::voice::{
    RateLimit, SessionCommand, TokenUsage, TurnDetection, VoiceError, VoiceEvent, VoiceSession,
    VoiceSessionConfig, VoiceSessionParts,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::RealtimeConfig;
use super::barge_in::{Cut, decide, heard_text};
use super::connect::{Socket, open};
use super::replay::{Entry, Transcript};
use super::tool_runner::{self, ToolMsg};
use crate::protocol::{
    ClientEvent, Item, ParsedServerEvent, ResponseOptions, ServerEvent, Session,
};

/// Which kind of response we asked for.
#[derive(Debug, Clone, PartialEq)]
enum Request {
    /// Answer the conversation (after user input or tool outputs).
    Main,
    /// Speak a short status line out of band (acknowledgement or progress).
    Status(String),
}

/// Assistant audio being played, for barge-in.
#[derive(Debug)]
struct Playing {
    item_id: String,
    response_id: String,
    bytes: usize,
    first_at: Instant,
    reported_ms: Option<u64>,
    complete: bool,
    status: bool,
}

/// A long tool that gets spoken progress.
#[derive(Debug)]
struct LongTool {
    name: String,
    last_message: Option<String>,
    next_progress_at: Instant,
}

pub(crate) struct Driver {
    cfg: RealtimeConfig,
    session_cfg: VoiceSessionConfig,
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
    parts: VoiceSessionParts,
    socket: Option<Socket>,
    connected_at: Instant,
    session_id: String,
    transcript: Transcript,
    // Response discipline: at most one active response; requests wait their turn.
    active: bool,
    active_response_id: Option<String>,
    create_event_id: Option<String>,
    inflight: Option<Request>,
    want_main: bool,
    pending_status: Option<String>,
    status_responses: HashSet<String>,
    // Tools.
    tool_tx: mpsc::UnboundedSender<ToolMsg>,
    tool_rx: mpsc::UnboundedReceiver<ToolMsg>,
    tool_tasks: Vec<AbortHandle>,
    outstanding_calls: HashSet<String>,
    long_tools: HashMap<String, LongTool>,
    call_names: HashMap<String, String>,
    // Audio.
    playing: Option<Playing>,
    partial_text: HashMap<String, String>,
    ttfa_from: Option<Instant>,
    recycle_due: bool,
    seq: u64,
}

impl Driver {
    pub async fn start(
        cfg: RealtimeConfig,
        session_cfg: VoiceSessionConfig,
        registry: Arc<ToolRegistry>,
        context: Arc<SessionContext>,
    ) -> Result<VoiceSession, VoiceError> {
        let (session, parts) = VoiceSession::channel();
        let (tool_tx, tool_rx) = mpsc::unbounded_channel();
        let mut driver = Driver {
            cfg,
            session_cfg,
            registry,
            context,
            parts,
            socket: None,
            connected_at: Instant::now(),
            session_id: String::new(),
            transcript: Transcript::default(),
            active: false,
            active_response_id: None,
            create_event_id: None,
            inflight: None,
            want_main: false,
            pending_status: None,
            status_responses: HashSet::new(),
            tool_tx,
            tool_rx,
            tool_tasks: Vec::new(),
            outstanding_calls: HashSet::new(),
            long_tools: HashMap::new(),
            call_names: HashMap::new(),
            playing: None,
            partial_text: HashMap::new(),
            ttfa_from: None,
            recycle_due: false,
            seq: 0,
        };
        let warnings = driver.establish().await?;
        for message in warnings {
            tracing::warn!("{message}");
            driver.emit(VoiceEvent::Warning { message });
        }
        driver.emit(VoiceEvent::SessionStarted {
            session_id: driver.session_id.clone(),
            model: driver.cfg.model.clone(),
        });
        tokio::spawn(driver.run());
        Ok(session)
    }

    fn emit(&self, event: VoiceEvent) {
        let _ = self.parts.events.send(event);
    }

    fn metrics(&self, f: impl FnOnce(&mut relay_core::voice::SessionMetrics)) {
        if let Ok(mut m) = self.parts.metrics.lock() {
            f(&mut m);
        }
    }

    fn next_event_id(&mut self) -> String {
        self.seq += 1;
        format!("relay_evt_{}", self.seq)
    }

    /// Opens a connection, waits for `session.created`, sends the configuration and waits for
    /// `session.updated`. Returns configuration warnings.
    async fn establish(&mut self) -> Result<Vec<String>, VoiceError> {
        let mut socket = open(&self.cfg).await?;
        let mut warnings = self.cfg.warnings();
        let (session, session_warnings) =
            Session::from_config(&self.session_cfg, &self.cfg.model, &self.registry.specs());
        warnings.extend(session_warnings);
        let update = ClientEvent::SessionUpdate {
            event_id: Some("relay_session_update".into()),
            session: Box::new(session),
        };
        let deadline = Instant::now() + self.cfg.connect_timeout;
        let mut sent_update = false;
        loop {
            let frame = tokio::time::timeout_at(deadline, socket.next()).await;
            let text = match frame {
                Err(_) => {
                    return Err(VoiceError::Connect {
                        url: self.cfg.url.clone(),
                        reason: "the server did not confirm the session in time".into(),
                    });
                }
                Ok(Some(Ok(Message::Text(t)))) => t,
                Ok(Some(Ok(_))) => continue,
                Ok(None) | Ok(Some(Err(_))) => {
                    return Err(VoiceError::Connect {
                        url: self.cfg.url.clone(),
                        reason: "the connection closed during session setup".into(),
                    });
                }
            };
            match ServerEvent::parse(text.as_str()) {
                Ok(ParsedServerEvent::Known(ServerEvent::SessionCreated { session })) => {
                    self.session_id = session.id.clone().unwrap_or_default();
                    if !sent_update {
                        socket
                            .send(Message::text(update.to_json()))
                            .await
                            .map_err(|e| VoiceError::Connect {
                                url: self.cfg.url.clone(),
                                reason: e.to_string(),
                            })?;
                        sent_update = true;
                    }
                }
                Ok(ParsedServerEvent::Known(ServerEvent::SessionUpdated { .. })) => break,
                Ok(ParsedServerEvent::Known(ServerEvent::Error { error })) => {
                    return Err(VoiceError::Service {
                        code: error.code.unwrap_or(error.kind),
                        message: format!("session configuration rejected: {}", error.message),
                    });
                }
                _ => {}
            }
        }
        self.socket = Some(socket);
        self.connected_at = Instant::now();
        self.recycle_due = false;
        Ok(warnings)
    }

    async fn send(&mut self, event: ClientEvent) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if let Err(e) = socket.send(Message::text(event.to_json())).await {
            tracing::debug!("send failed: {e}");
            // The read side will see the failure too; mark the connection lost now.
            self.socket = None;
        }
    }

    async fn run(mut self) {
        loop {
            if self.socket.is_none() && !self.reconnect("connection lost").await {
                break;
            }
            let recycle_at = self.connected_at + self.cfg.max_session_age;
            let progress_at = self.long_tools.values().map(|t| t.next_progress_at).min();
            let Some(socket) = self.socket.as_mut() else {
                continue;
            };
            tokio::select! {
                cmd = self.parts.commands.recv() => match cmd {
                    None | Some(SessionCommand::Close) => {
                        self.shutdown("closed by the application").await;
                        break;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => self.server_text(text.as_str()).await,
                    Some(Ok(Message::Close(frame))) => {
                        let reason = frame.map(|f| format!("server closed the connection: {}", f.reason)).unwrap_or_else(|| "server closed the connection".into());
                        self.socket = None;
                        if !self.reconnect(&reason).await { break; }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        self.socket = None;
                        if !self.reconnect(&format!("transport error: {e}")).await { break; }
                    }
                    None => {
                        self.socket = None;
                        if !self.reconnect("connection ended").await { break; }
                    }
                },
                Some(msg) = self.tool_rx.recv() => self.tool_msg(msg).await,
                _ = sleep_until(recycle_at), if !self.recycle_due => {
                    self.recycle_due = true;
                    self.maybe_recycle().await;
                }
                _ = sleep_until(progress_at.unwrap_or_else(Instant::now)), if progress_at.is_some() => {
                    self.progress_tick().await;
                }
            }
        }
        for task in &self.tool_tasks {
            task.abort();
        }
    }

    async fn shutdown(&mut self, reason: &str) {
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(None).await;
        }
        for task in self.tool_tasks.drain(..) {
            task.abort();
        }
        self.emit(VoiceEvent::Closed {
            reason: reason.into(),
        });
    }

    /// Reconnects with bounded backoff, replays the configuration and conversation. Returns
    /// `false` (after emitting `closed`) when every attempt failed.
    async fn reconnect(&mut self, reason: &str) -> bool {
        self.socket = None;
        self.active = false;
        self.active_response_id = None;
        self.create_event_id = None;
        self.playing = None;
        if self.inflight.take() == Some(Request::Main) {
            self.want_main = true;
        }
        let policy = self.cfg.reconnect.clone();
        let mut last_error = String::from("reconnecting is disabled");
        for attempt in 1..=policy.max_attempts {
            let delay = policy.backoff(attempt);
            self.emit(VoiceEvent::Reconnecting {
                attempt,
                delay_ms: delay.as_millis() as u64,
                reason: reason.to_string(),
            });
            sleep(delay).await;
            match self.establish().await {
                Ok(_) => {
                    let items = self.transcript.items();
                    let replayed = items.len() as u32;
                    for item in items {
                        self.send(ClientEvent::ConversationItemCreate {
                            previous_item_id: None,
                            item,
                        })
                        .await;
                    }
                    if self.socket.is_none() {
                        last_error = "connection lost during replay".into();
                        continue;
                    }
                    self.metrics(|m| m.reconnects += 1);
                    self.emit(VoiceEvent::Reconnected {
                        replayed_items: replayed,
                    });
                    if self.transcript.awaits_answer() && self.outstanding_calls.is_empty() {
                        self.want_main = true;
                    }
                    self.try_respond().await;
                    return true;
                }
                Err(e) => {
                    last_error = e.to_string();
                    if matches!(e, VoiceError::Unauthorized { .. }) {
                        break;
                    }
                }
            }
        }
        for task in self.tool_tasks.drain(..) {
            task.abort();
        }
        self.emit(VoiceEvent::Closed {
            reason: format!(
                "connection lost ({reason}) and reconnecting failed after {} attempt(s): {last_error}",
                policy.max_attempts
            ),
        });
        false
    }

    async fn maybe_recycle(&mut self) {
        if self.recycle_due && !self.active && self.playing.as_ref().is_none_or(|p| p.complete) {
            if let Some(mut socket) = self.socket.take() {
                let _ = socket.close(None).await;
            }
            self.reconnect("recycling the connection before the 60-minute session limit")
                .await;
        }
    }

    async fn command(&mut self, cmd: SessionCommand) {
        match cmd {
            SessionCommand::Audio(bytes) => {
                let len = bytes.len() as u64;
                self.send(ClientEvent::InputAudioBufferAppend {
                    audio: STANDARD.encode(&bytes),
                })
                .await;
                self.metrics(|m| m.audio_bytes_in += len);
            }
            SessionCommand::CommitAudio => {
                self.send(ClientEvent::InputAudioBufferCommit {}).await;
                if self.session_cfg.turn_detection.is_none() {
                    self.want_main = true;
                    self.ttfa_from = Some(Instant::now());
                    self.try_respond().await;
                }
            }
            SessionCommand::Text(text) => {
                self.seq += 1;
                let item_id = format!("relay_user_{}", self.seq);
                let mut item = Item::user_text(text.clone());
                if let Item::Message { id, .. } = &mut item {
                    *id = Some(item_id.clone());
                }
                self.send(ClientEvent::ConversationItemCreate {
                    previous_item_id: None,
                    item,
                })
                .await;
                self.transcript.push(Entry::User(text.clone()));
                self.emit(VoiceEvent::UserTranscript { item_id, text });
                self.want_main = true;
                self.try_respond().await;
            }
            SessionCommand::Playback { item_id, played_ms } => {
                if let Some(p) = self.playing.as_mut().filter(|p| p.item_id == item_id) {
                    p.reported_ms = Some(played_ms);
                }
            }
            SessionCommand::Close => {}
        }
    }

    /// Sends the next waiting response request if no response is active.
    async fn try_respond(&mut self) {
        if self.socket.is_none() || self.active {
            return;
        }
        let request = if self.want_main && self.outstanding_calls.is_empty() {
            self.want_main = false;
            Request::Main
        } else if let Some(s) = self.pending_status.take() {
            Request::Status(s)
        } else {
            return;
        };
        let event_id = self.next_event_id();
        let options = match &request {
            Request::Main => None,
            Request::Status(text) => Some(ResponseOptions {
                instructions: Some(format!(
                    "Tell the user, in one short sentence and in the conversation's language: \"{text}\""
                )),
                output_modalities: Some(vec![
                    if self.session_cfg.output_audio {
                        "audio"
                    } else {
                        "text"
                    }
                    .into(),
                ]),
                tool_choice: Some(Value::from("none")),
                conversation: Some("none".into()),
                metadata: Some(json!({"relay": "status"})),
            }),
        };
        self.active = true;
        self.create_event_id = Some(event_id.clone());
        self.inflight = Some(request.clone());
        if self.ttfa_from.is_none() {
            self.ttfa_from = Some(Instant::now());
        }
        let mut text = ClientEvent::ResponseCreate { response: options }.to_json();
        // Tag the request so an error can be matched to it.
        if let Ok(mut v) = serde_json::from_str::<Value>(&text) {
            v["event_id"] = Value::from(event_id);
            text = v.to_string();
        }
        if let Some(socket) = self.socket.as_mut()
            && socket.send(Message::text(text)).await.is_err()
        {
            self.socket = None;
        }
    }

    fn server_interrupts(&self) -> bool {
        match &self.session_cfg.turn_detection {
            Some(TurnDetection::ServerVad {
                interrupt_response, ..
            })
            | Some(TurnDetection::SemanticVad {
                interrupt_response, ..
            }) => *interrupt_response,
            None => false,
        }
    }

    async fn server_text(&mut self, text: &str) {
        let event = match ServerEvent::parse(text) {
            Ok(ParsedServerEvent::Known(e)) => e,
            Ok(ParsedServerEvent::Unknown { event_type, value }) => {
                self.emit(VoiceEvent::Raw {
                    event_type,
                    json: value.to_string(),
                });
                return;
            }
            Err(e) => {
                tracing::warn!("{e}");
                self.emit(VoiceEvent::Error {
                    code: "malformed_server_event".into(),
                    message: e.to_string(),
                });
                return;
            }
        };
        self.server_event(event).await;
    }

    async fn server_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Error { error } => self.server_error(error).await,
            ServerEvent::ResponseCreated { response } => {
                self.active = true;
                if response
                    .metadata
                    .as_ref()
                    .is_some_and(|m| m["relay"] == "status")
                {
                    self.status_responses.insert(response.id.clone());
                }
                self.active_response_id = Some(response.id);
            }
            ServerEvent::ResponseDone { response } => {
                self.active = false;
                self.active_response_id = None;
                self.create_event_id = None;
                self.inflight = None;
                let usage = response.usage.unwrap_or_default();
                let usage = TokenUsage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    total_tokens: usage.total_tokens,
                };
                self.metrics(|m| {
                    m.usage.add(usage);
                    m.responses += 1;
                });
                let out_of_band = self.status_responses.remove(&response.id);
                self.emit(VoiceEvent::ResponseDone {
                    response_id: response.id,
                    status: response.status,
                    usage,
                    out_of_band,
                });
                self.try_respond().await;
                self.maybe_recycle().await;
            }
            ServerEvent::SpeechStarted { audio_start_ms, .. } => {
                self.emit(VoiceEvent::UserSpeechStarted { audio_start_ms });
                self.barge_in().await;
            }
            ServerEvent::SpeechStopped { audio_end_ms, .. } => {
                self.ttfa_from = Some(Instant::now());
                self.emit(VoiceEvent::UserSpeechStopped { audio_end_ms });
            }
            ServerEvent::InputAudioBufferCommitted { item_id, .. } => {
                self.transcript.push(Entry::Spoken {
                    item_id,
                    text: None,
                });
            }
            ServerEvent::InputTranscriptionFailed { error, .. } => {
                self.emit(VoiceEvent::Warning {
                    message: format!("transcription of your speech failed: {}", error.message),
                });
            }
            ServerEvent::InputTranscriptionCompleted {
                item_id,
                transcript,
                ..
            } => {
                self.transcript.heard(&item_id, transcript.clone());
                self.emit(VoiceEvent::UserTranscript {
                    item_id,
                    text: transcript,
                });
            }
            ServerEvent::OutputAudioTranscriptDelta { item_id, delta, .. }
            | ServerEvent::OutputTextDelta { item_id, delta, .. } => {
                self.partial_text
                    .entry(item_id.clone())
                    .or_default()
                    .push_str(&delta);
                self.emit(VoiceEvent::AssistantTextDelta { item_id, delta });
            }
            ServerEvent::OutputAudioTranscriptDone {
                item_id,
                transcript: text,
                response_id,
                ..
            }
            | ServerEvent::OutputTextDone {
                item_id,
                text,
                response_id,
                ..
            } => {
                self.partial_text.remove(&item_id);
                if !self.status_responses.contains(&response_id) {
                    self.transcript
                        .push(Entry::Assistant(item_id.clone(), text.clone()));
                }
                self.emit(VoiceEvent::AssistantText { item_id, text });
            }
            ServerEvent::OutputAudioDelta {
                item_id,
                response_id,
                delta,
                ..
            } => {
                let Ok(audio) = STANDARD.decode(delta.as_bytes()) else {
                    self.emit(VoiceEvent::Error {
                        code: "malformed_server_event".into(),
                        message: "response.output_audio.delta carried invalid base64".into(),
                    });
                    return;
                };
                if let Some(from) = self.ttfa_from.take() {
                    let ms = from.elapsed().as_millis() as u64;
                    self.metrics(|m| m.last_time_to_first_audio_ms = Some(ms));
                }
                let status = self.status_responses.contains(&response_id);
                match self.playing.as_mut().filter(|p| p.item_id == item_id) {
                    Some(p) => p.bytes += audio.len(),
                    None => {
                        self.playing = Some(Playing {
                            item_id: item_id.clone(),
                            response_id,
                            bytes: audio.len(),
                            first_at: Instant::now(),
                            reported_ms: None,
                            complete: false,
                            status,
                        })
                    }
                }
                let n = audio.len() as u64;
                self.metrics(|m| m.audio_bytes_out += n);
                self.emit(VoiceEvent::AssistantAudio { item_id, audio });
            }
            ServerEvent::OutputAudioDone { item_id, .. } => {
                if let Some(p) = self.playing.as_mut().filter(|p| p.item_id == item_id) {
                    p.complete = true;
                }
            }
            ServerEvent::OutputItemAdded {
                item: Item::FunctionCall { call_id, name, .. },
                ..
            } => {
                self.call_names.insert(call_id, name);
            }
            ServerEvent::FunctionCallArgumentsDone {
                call_id,
                name,
                arguments,
                ..
            } => {
                let name = name
                    .or_else(|| self.call_names.get(&call_id).cloned())
                    .unwrap_or_default();
                self.start_tool(call_id, name, arguments).await;
            }
            ServerEvent::RateLimitsUpdated { rate_limits } => {
                let limits: Vec<RateLimit> = rate_limits
                    .into_iter()
                    .map(|r| RateLimit {
                        name: r.name,
                        limit: r.limit,
                        remaining: r.remaining,
                        reset_seconds: r.reset_seconds,
                    })
                    .collect();
                let copy = limits.clone();
                self.metrics(|m| m.rate_limits = copy);
                self.emit(VoiceEvent::RateLimits { limits });
            }
            _ => {}
        }
    }

    async fn server_error(&mut self, error: crate::protocol::ErrorDetail) {
        let code = error.code.clone().unwrap_or_else(|| error.kind.clone());
        match code.as_str() {
            "conversation_already_has_active_response" => {
                // The server has a response we did not ask for (e.g. from VAD): wait for its
                // `response.done`, then send ours again. If that response already ended, retry now.
                self.active = self.active_response_id.is_some();
                match self.inflight.take() {
                    Some(Request::Main) => self.want_main = true,
                    Some(Request::Status(s)) => {
                        self.pending_status.get_or_insert(s);
                    }
                    None => {}
                }
                self.create_event_id = None;
                self.emit(VoiceEvent::Warning {
                    message: "the service already had an active response; Relay will ask again when it finishes".into(),
                });
                self.try_respond().await;
            }
            "response_cancel_not_active" => {
                tracing::debug!("cancel raced with the end of the response");
            }
            _ => {
                if error.event_id.is_some() && error.event_id == self.create_event_id {
                    // Our response.create was rejected: no response is coming.
                    self.active = false;
                    self.create_event_id = None;
                    self.inflight = None;
                }
                self.emit(VoiceEvent::Error {
                    code,
                    message: error.message,
                });
            }
        }
    }

    async fn barge_in(&mut self) {
        let Some(p) = self.playing.take() else { return };
        let format = self.session_cfg.output_format;
        let received_ms = format.duration_ms(p.bytes);
        let elapsed_ms = p.first_at.elapsed().as_millis() as u64;
        let cut = decide(received_ms, p.reported_ms, elapsed_ms, p.complete);
        if cut == Cut::Keep {
            return;
        }
        let response_running =
            self.active && self.active_response_id.as_deref() == Some(p.response_id.as_str());
        if response_running && !self.server_interrupts() {
            self.send(ClientEvent::ResponseCancel { response_id: None })
                .await;
        }
        let end_ms = match cut {
            Cut::Truncate(ms) => ms,
            _ => 0,
        };
        if !p.status {
            let full = self
                .transcript
                .assistant_text(&p.item_id)
                .map(str::to_string)
                .or_else(|| self.partial_text.remove(&p.item_id))
                .unwrap_or_default();
            let heard = heard_text(&full, end_ms, received_ms);
            if self.transcript.assistant_text(&p.item_id).is_some() {
                self.transcript.cut_assistant(&p.item_id, heard);
            } else if !heard.is_empty() {
                self.transcript
                    .push(Entry::Assistant(p.item_id.clone(), heard));
            }
            match cut {
                Cut::Delete => {
                    self.send(ClientEvent::ConversationItemDelete {
                        item_id: p.item_id.clone(),
                    })
                    .await
                }
                _ => {
                    self.send(ClientEvent::ConversationItemTruncate {
                        item_id: p.item_id.clone(),
                        content_index: 0,
                        audio_end_ms: end_ms,
                    })
                    .await
                }
            }
        }
        self.emit(VoiceEvent::Interrupted {
            item_id: p.item_id,
            audio_end_ms: end_ms,
        });
    }

    async fn start_tool(&mut self, call_id: String, name: String, arguments: String) {
        self.transcript.push(Entry::Call {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
        });
        self.emit(VoiceEvent::ToolCallStarted {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
        });
        self.outstanding_calls.insert(call_id.clone());
        let long = self.registry.spec(&name).is_some_and(|s| s.long_running);
        if long {
            let interval = Duration::from_millis(self.session_cfg.progress_interval_ms.max(50));
            self.long_tools.insert(
                call_id.clone(),
                LongTool {
                    name: name.clone(),
                    last_message: None,
                    next_progress_at: Instant::now() + interval,
                },
            );
            if self.session_cfg.acknowledge_long_tools {
                let message = format!("On it: {}. I'll keep you posted.", name.replace('_', " "));
                self.emit(VoiceEvent::ToolProgress {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    message: message.clone(),
                });
                self.pending_status = Some(message);
            }
        }
        let handle = tool_runner::spawn(
            self.registry.clone(),
            self.context.clone(),
            call_id,
            name,
            arguments,
            self.tool_tx.clone(),
        );
        self.tool_tasks.retain(|t| !t.is_finished());
        self.tool_tasks.push(handle);
        self.try_respond().await;
    }

    async fn tool_msg(&mut self, msg: ToolMsg) {
        match msg {
            ToolMsg::Progress { call_id, progress } => {
                let name = self.long_tools.get(&call_id).map(|t| t.name.clone());
                if let Some(tool) = self.long_tools.get_mut(&call_id) {
                    tool.last_message = Some(progress.message.clone());
                }
                self.emit(VoiceEvent::ToolProgress {
                    call_id,
                    name: name.unwrap_or_default(),
                    message: progress.message,
                });
            }
            ToolMsg::Done {
                call_id,
                name,
                output,
            } => {
                self.long_tools.remove(&call_id);
                self.outstanding_calls.remove(&call_id);
                let text = output.to_json_string();
                self.metrics(|m| m.tool_calls += 1);
                self.emit(VoiceEvent::ToolCallFinished {
                    call_id: call_id.clone(),
                    name,
                    ok: output.ok,
                    output: text.clone(),
                });
                self.transcript.push(Entry::Output {
                    call_id: call_id.clone(),
                    output: text.clone(),
                });
                // While disconnected the output waits in the transcript and is replayed.
                self.send(ClientEvent::ConversationItemCreate {
                    previous_item_id: None,
                    item: Item::function_output(call_id, text),
                })
                .await;
                if self.outstanding_calls.is_empty() {
                    // A status line about finished work is stale now.
                    self.pending_status = None;
                    self.want_main = true;
                }
                self.try_respond().await;
            }
        }
    }

    async fn progress_tick(&mut self) {
        let now = Instant::now();
        let interval = Duration::from_millis(self.session_cfg.progress_interval_ms.max(50));
        let mut message = None;
        for (call_id, tool) in self.long_tools.iter_mut() {
            if tool.next_progress_at <= now {
                tool.next_progress_at = now + interval;
                let text = tool.last_message.clone().unwrap_or_else(|| {
                    format!("Still working on {}.", tool.name.replace('_', " "))
                });
                message = Some((call_id.clone(), tool.name.clone(), text));
            }
        }
        if let Some((call_id, name, text)) = message {
            self.emit(VoiceEvent::ToolProgress {
                call_id,
                name,
                message: text.clone(),
            });
            self.pending_status = Some(text);
            self.try_respond().await;
        }
    }
}
