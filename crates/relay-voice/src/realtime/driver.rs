//! The session task: one per voice session. [`Driver`] composes the four parts of a session and
//! routes application commands, server events and tool messages to them:
//!
//! - [`Connection`]: the socket, redialing in the background after a loss (so the session goes
//!   on serving commands and tools meanwhile), replaying the conversation, and recycling;
//! - [`ResponseQueue`]: one active response at a time, requests waiting their turn;
//! - [`ToolCalls`]: running the model's tool calls and returning their outputs;
//! - [`Playback`]: what the user heard of the assistant, and barge-in.
//!
//! The driver itself keeps the conversation [`Transcript`] the parts record into.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relay_core::tools::{SessionContext, ToolRegistry};
use relay_core::voice::{
    RateLimit, SessionCommand, VoiceError, VoiceEvent, VoiceSession, VoiceSessionConfig,
};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::RealtimeConfig;
use super::connection::{Connection, Incoming};
use super::dial::{Established, Redialed};
use super::playback::Playback;
use super::replay::{Entry, Transcript};
use super::responses::ResponseQueue;
use super::shared::{ClientIds, Reporter};
use super::tool_calls::{ResponseNeed, ToolCalls};
use super::tool_runner::ToolMsg;
use crate::protocol::{
    ClientEvent, ErrorDetail, Item, ParsedServerEvent, RateLimitEntry, ServerEvent,
};

/// Why a connection is replaced on purpose.
const RECYCLE_REASON: &str = "recycling the connection before the 60-minute session limit";

/// One voice session: its parts and the conversation they share.
pub(crate) struct Driver {
    commands: mpsc::UnboundedReceiver<SessionCommand>,
    reporter: Reporter,
    /// No turn detection: the application ends each turn, so Relay asks for the answer.
    manual_turns: bool,
    ids: ClientIds,
    /// The conversation as remembered for replay.
    transcript: Transcript,
    connection: Connection,
    responses: ResponseQueue,
    tools: ToolCalls,
    playback: Playback,
}

impl Driver {
    /// Connects and configures the session, then runs it on its own task.
    pub async fn start(
        cfg: RealtimeConfig,
        session_cfg: VoiceSessionConfig,
        registry: Arc<ToolRegistry>,
        context: Arc<SessionContext>,
    ) -> Result<VoiceSession, VoiceError> {
        let (session, parts) = VoiceSession::channel();
        let reporter = Reporter::new(parts.events, parts.metrics);
        let session_cfg_history = session_cfg.history.clone();
        let mut driver = Driver {
            commands: parts.commands,
            reporter: reporter.clone(),
            manual_turns: session_cfg.turn_detection.is_none(),
            ids: ClientIds::default(),
            transcript: Transcript::default(),
            responses: ResponseQueue::new(reporter.clone(), session_cfg.output_audio),
            tools: ToolCalls::new(registry.clone(), context, reporter.clone(), &session_cfg),
            playback: Playback::new(reporter.clone(), &session_cfg),
            connection: Connection::new(cfg, session_cfg, registry, reporter),
        };
        driver.transcript = Transcript::from_history(&session_cfg_history);
        let warnings = driver.connection.establish().await?;
        if !driver.transcript.is_empty() {
            // A resumed session: the model hears the conversation so far, as after a reconnect.
            let replayed = driver.connection.replay(&driver.transcript).await;
            tracing::debug!(replayed, "resumed a saved conversation");
        }
        for message in warnings {
            tracing::warn!("{message}");
            driver.reporter.emit(VoiceEvent::Warning { message });
        }
        driver.reporter.emit(VoiceEvent::SessionStarted {
            session_id: driver.connection.session_id().to_string(),
            model: driver.connection.model().to_string(),
        });
        tokio::spawn(driver.run());
        Ok(session)
    }

    async fn run(mut self) {
        loop {
            if !self.connection.is_open()
                && !self.connection.is_redialing()
                && !self.connection_lost("connection lost").await
            {
                break;
            }
            let recycle_at = self.connection.recycle_deadline();
            let progress_at = self.tools.next_progress_at();
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    None | Some(SessionCommand::Close) => {
                        self.close_by_application().await;
                        break;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                incoming = self.connection.next() => match incoming {
                    Incoming::Text(text) => self.server_text(text.as_str()).await,
                    Incoming::Ignored => {}
                    Incoming::Lost(reason) => {
                        if !self.connection_lost(&reason).await { break; }
                    }
                    Incoming::Redialed(Redialed::Connected { established, attempts }) => {
                        self.resume(established, attempts).await;
                    }
                    Incoming::Redialed(Redialed::Failed(reason)) => {
                        self.tools.cancel_all();
                        self.reporter.emit(VoiceEvent::Closed {
                            reason,
                            by_application: false,
                        });
                        break;
                    }
                },
                Some(msg) = self.tools.recv() => self.tool_msg(msg).await,
                _ = sleep_until(recycle_at.unwrap_or_else(Instant::now)), if recycle_at.is_some() && self.connection.is_open() => {
                    self.connection.mark_recycle_due();
                    self.recycle_if_quiet().await;
                }
                _ = sleep_until(progress_at.unwrap_or_else(Instant::now)), if progress_at.is_some() => {
                    let need = self.tools.progress_due();
                    self.handle_response_need(need).await;
                }
            }
        }
        self.tools.cancel_all();
    }

    async fn close_by_application(&mut self) {
        self.connection.close().await;
        self.tools.cancel_all();
        self.reporter.emit(VoiceEvent::Closed {
            reason: "closed by the application".into(),
            by_application: true,
        });
    }

    /// The connection dropped (for `reason`). What the application already queued is applied
    /// first, playback reports before the loss is judged (so the reply that was playing is
    /// remembered as far as the user heard it), then redialing starts in the background while
    /// the session goes on serving the application: typed text and tool outputs are
    /// remembered and replayed, `close()` ends the session at once. Returns `false` when a
    /// queued `close()` ended the session.
    async fn connection_lost(&mut self, reason: &str) -> bool {
        let mut queued = Vec::new();
        while let Ok(cmd) = self.commands.try_recv() {
            queued.push(cmd);
        }
        for cmd in &queued {
            if let SessionCommand::Playback { item_id, played_ms } = cmd {
                self.playback.played(item_id, *played_ms);
            }
        }
        // Nothing that was running on the old connection will finish.
        self.responses.connection_lost();
        self.playback.connection_lost(&mut self.transcript);
        self.connection.lost(reason);
        for cmd in queued {
            match cmd {
                SessionCommand::Playback { .. } => {}
                SessionCommand::Close => {
                    self.close_by_application().await;
                    return false;
                }
                cmd => self.command(cmd).await,
            }
        }
        true
    }

    /// A redial connected: replays the conversation (see [`Connection::resume`]), then asks
    /// for an answer the conversation still waits for.
    async fn resume(&mut self, established: Box<Established>, attempts: u32) {
        if !self
            .connection
            .resume(established, attempts, &self.transcript)
            .await
        {
            // Lost again during the replay: the run loop redials.
            return;
        }
        if self.transcript.awaits_answer() && self.tools.idle() {
            self.responses.request_answer();
        }
        self.respond().await;
    }

    /// Replaces a connection past its age limit, but only between responses, so nothing the
    /// user is listening to is cut off.
    async fn recycle_if_quiet(&mut self) {
        if self.connection.recycle_due()
            && !self.responses.is_active()
            && self.playback.audio_received()
        {
            self.connection.close().await;
            self.responses.connection_lost();
            self.playback.forget();
            self.connection.lost(RECYCLE_REASON);
        }
    }

    /// Sends the next waiting response request if connected and no response is active.
    async fn respond(&mut self) {
        if !self.connection.is_open() {
            return;
        }
        let Some(create) = self.responses.next_create(self.tools.idle(), &mut self.ids) else {
            return;
        };
        self.playback.response_requested();
        self.connection.send_text(create).await;
    }

    /// Applies what a tool-call event asks of the response queue.
    async fn handle_response_need(&mut self, need: ResponseNeed) {
        match need {
            ResponseNeed::Nothing => return,
            ResponseNeed::Recheck => {}
            ResponseNeed::Status(text) => self.responses.request_status(text),
            ResponseNeed::Answer => self.responses.answer_after_tools(),
        }
        self.respond().await;
    }

    async fn tool_msg(&mut self, msg: ToolMsg) {
        let need = self
            .tools
            .handle(msg, &mut self.connection, &mut self.transcript)
            .await;
        self.handle_response_need(need).await;
    }

    async fn command(&mut self, cmd: SessionCommand) {
        match cmd {
            SessionCommand::Audio(bytes) => {
                let len = bytes.len() as u64;
                self.connection
                    .send(ClientEvent::InputAudioBufferAppend {
                        audio: STANDARD.encode(&bytes),
                    })
                    .await;
                self.reporter.metrics(|m| m.audio_bytes_in += len);
            }
            SessionCommand::CommitAudio => {
                self.connection
                    .send(ClientEvent::InputAudioBufferCommit {})
                    .await;
                if self.manual_turns {
                    self.responses.request_answer();
                    self.playback.turn_ended();
                    self.respond().await;
                }
            }
            SessionCommand::Text(text) => {
                let item_id = self.ids.next("relay_user");
                let mut item = Item::user_text(text.clone());
                if let Item::Message { id, .. } = &mut item {
                    *id = Some(item_id.clone());
                }
                self.connection
                    .send(ClientEvent::ConversationItemCreate {
                        previous_item_id: None,
                        item,
                    })
                    .await;
                self.transcript.push(Entry::User(text.clone()));
                self.reporter
                    .emit(VoiceEvent::UserTranscript { item_id, text });
                self.responses.request_answer();
                self.respond().await;
            }
            SessionCommand::Playback { item_id, played_ms } => {
                self.playback.played(&item_id, played_ms);
            }
            SessionCommand::Announce(text) => {
                self.responses.request_announcement(text);
                self.respond().await;
            }
            SessionCommand::Interrupt => self.interrupt().await,
            SessionCommand::TurnDetection(detection) => {
                self.manual_turns = detection.is_none();
                self.playback.turn_detection_changed(&detection);
                self.connection.set_turn_detection(detection).await;
            }
            SessionCommand::Close => {}
        }
    }

    /// The application heard the user start talking over the assistant (a push-to-talk
    /// press): cut what plays at what was heard, or cancel a reply that has no audio yet.
    async fn interrupt(&mut self) {
        if self.playback.is_playing() {
            self.playback
                .barge_in(
                    self.responses.running_response(),
                    false,
                    &mut self.connection,
                    &mut self.transcript,
                )
                .await;
        } else if self.responses.running_response().is_some() {
            self.connection
                .send(ClientEvent::ResponseCancel { response_id: None })
                .await;
        }
    }

    async fn server_text(&mut self, text: &str) {
        let event = match ServerEvent::parse(text) {
            Ok(ParsedServerEvent::Known(e)) => e,
            Ok(ParsedServerEvent::Unknown { event_type, value }) => {
                self.reporter.emit(VoiceEvent::Raw {
                    event_type,
                    json: value.to_string(),
                });
                return;
            }
            Err(e) => {
                tracing::warn!("{e}");
                self.reporter.emit(VoiceEvent::Error {
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
            ServerEvent::ResponseCreated { response } => self.responses.created(response),
            ServerEvent::ResponseDone { response } => {
                self.responses.done(response);
                self.respond().await;
                self.recycle_if_quiet().await;
            }
            ServerEvent::SpeechStarted { audio_start_ms, .. } => {
                self.reporter
                    .emit(VoiceEvent::UserSpeechStarted { audio_start_ms });
                self.playback
                    .barge_in(
                        self.responses.running_response(),
                        true,
                        &mut self.connection,
                        &mut self.transcript,
                    )
                    .await;
            }
            ServerEvent::SpeechStopped { audio_end_ms, .. } => {
                self.playback.turn_ended();
                self.reporter
                    .emit(VoiceEvent::UserSpeechStopped { audio_end_ms });
            }
            ServerEvent::InputAudioBufferCommitted { item_id, .. } => {
                // Placed now so the turn keeps its position; the transcript follows later.
                self.transcript.push(Entry::Spoken {
                    item_id,
                    text: None,
                });
            }
            ServerEvent::InputTranscriptionFailed { error, .. } => {
                self.reporter.emit(VoiceEvent::Warning {
                    message: format!("transcription of your speech failed: {}", error.message),
                });
            }
            ServerEvent::InputTranscriptionCompleted {
                item_id,
                transcript,
                ..
            } => {
                self.transcript.heard(&item_id, transcript.clone());
                self.reporter.emit(VoiceEvent::UserTranscript {
                    item_id,
                    text: transcript,
                });
            }
            ServerEvent::OutputAudioTranscriptDelta { item_id, delta, .. }
            | ServerEvent::OutputTextDelta { item_id, delta, .. } => {
                self.playback.text_delta(item_id, delta);
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
                self.playback.text_done(&item_id);
                // Status lines are out of band: not part of the conversation to replay.
                if !self.responses.is_status(&response_id) {
                    self.transcript
                        .push(Entry::Assistant(item_id.clone(), text.clone()));
                }
                self.reporter
                    .emit(VoiceEvent::AssistantText { item_id, text });
            }
            ServerEvent::OutputAudioDelta {
                item_id,
                response_id,
                delta,
                ..
            } => {
                let status = self.responses.is_status(&response_id);
                self.playback
                    .audio_delta(item_id, response_id, &delta, status);
            }
            ServerEvent::OutputAudioDone { item_id, .. } => self.playback.audio_done(&item_id),
            ServerEvent::OutputItemAdded {
                item: Item::FunctionCall { call_id, name, .. },
                ..
            } => self.tools.announced(call_id, name),
            ServerEvent::FunctionCallArgumentsDone {
                call_id,
                name,
                arguments,
                ..
            } => {
                let need = self
                    .tools
                    .start(call_id, name, arguments, &mut self.transcript);
                self.handle_response_need(need).await;
            }
            ServerEvent::RateLimitsUpdated { rate_limits } => self.rate_limits(rate_limits),
            _ => {}
        }
    }

    async fn server_error(&mut self, error: ErrorDetail) {
        let code = error.code.clone().unwrap_or_else(|| error.kind.clone());
        match code.as_str() {
            "conversation_already_has_active_response" => {
                self.responses.already_active();
                self.respond().await;
            }
            "response_cancel_not_active" => {
                tracing::debug!("cancel raced with the end of the response");
            }
            _ => {
                self.responses.rejected(error.event_id.as_deref());
                self.reporter.emit(VoiceEvent::Error {
                    code,
                    message: error.message,
                });
            }
        }
    }

    fn rate_limits(&self, rate_limits: Vec<RateLimitEntry>) {
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
        self.reporter.metrics(|m| m.rate_limits = copy);
        self.reporter.emit(VoiceEvent::RateLimits { limits });
    }
}
