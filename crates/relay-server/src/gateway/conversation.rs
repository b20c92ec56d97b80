//! One conversation, driven by its owner's socket: opens the parts (tools, transport, stored
//! session), starts the voice session, then forwards everything both ways until the client
//! leaves, the session ends or the server shuts down — and then leaves nothing behind.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use relay_core::approval::{AnswerSource, ApprovalAnswer, ApprovalEvent, ApprovalHub};
use relay_core::team::Caller;
use relay_core::voice::{TurnDetection, VoiceEvent, VoiceSession};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::Inner;
use super::approver::{ConversationApprover, Speaker};
use super::factory::{ConversationRequest, OpenError, StoredConversation};
use super::frames::{self, ClientFrame, TalkMode};
use super::guard::GuestGuard;
use super::outbox::Outbox;
use super::room::{GuestInput, Participant, Room, too_slow};
use super::turns::Turns;
use crate::Metrics;

/// How long a closing socket may take to flush its last frames before it is dropped.
const FLUSH: Duration = Duration::from_secs(5);
/// How long a closed voice session may take to wind down (its tool runs cancelled).
const WIND_DOWN: Duration = Duration::from_secs(10);

/// Why a conversation ended.
enum End {
    /// The owner's socket closed.
    ClientGone,
    /// The voice session ended (a Realtime failure, or it was closed).
    Session {
        reason: String,
        by_application: bool,
    },
    /// The owner read too slowly.
    OwnerTooSlow,
    /// The server is shutting down: the conversation was quiet (`handed_back` empty), or the
    /// grace period ended with these still running.
    Shutdown { handed_back: Vec<Value> },
}

/// Serves the socket of a conversation's owner.
pub(crate) async fn run_owner(
    inner: Arc<Inner>,
    socket: WebSocket,
    caller: Caller,
    session: Option<String>,
    metrics: Option<Metrics>,
) {
    let _socket = inner.counters.socket();
    let (sink, mut stream) = socket.split();
    let (outbox, writer) = Outbox::spawn(sink, inner.send_queue_bytes);
    let fresh = session.is_none();
    let session = session.unwrap_or_else(|| inner.fresh_session_name());

    let hub = ApprovalHub::new();
    let speaker = Speaker::new(&caller.user);
    let approver = Arc::new(ConversationApprover::new(
        hub.clone(),
        &session,
        &caller.user,
        speaker.clone(),
    ));
    let guests = GuestGuard::new(&caller.user, speaker.clone(), approver.clone());
    let request = ConversationRequest {
        caller: caller.clone(),
        session: session.clone(),
        fresh,
        approver,
        guests: guests.clone(),
    };
    let opened = tokio::select! {
        opened = inner.factory.open(request) => opened,
        _ = inner.draining.cancelled() => Err(OpenError::new("shutting_down", "the server is shutting down")),
    };
    let parts = match opened {
        Ok(parts) => parts,
        Err(e) => {
            tracing::warn!(session = %session, code = %e.code, "conversation not opened: {}", e.message);
            outbox.finish(&[
                frames::error(&e.code, &e.message, None),
                frames::closed(
                    &format!("the conversation could not start: {}", e.message),
                    false,
                ),
            ]);
            flush(writer).await;
            return;
        }
    };
    let mut config = inner.voice.clone();
    if let Some(memory) = &parts.memory {
        config.history = memory.history();
    }
    let started = tokio::select! {
        started = parts.transport.start(config) => started.map_err(|e| e.to_string()),
        _ = inner.draining.cancelled() => Err("the server is shutting down".to_string()),
    };
    let voice = match started {
        Ok(voice) => voice,
        Err(message) => {
            tracing::warn!(session = %session, "voice session not started: {message}");
            outbox.finish(&[
                frames::error(
                    "realtime_unavailable",
                    &format!("the voice service could not be reached: {message}"),
                    Some("check --realtime-url / OPENAI_REALTIME_URL and OPENAI_API_KEY, then reconnect"),
                ),
                frames::closed("the voice service could not be reached", false),
            ]);
            flush(writer).await;
            return;
        }
    };
    let _conversation = inner.counters.conversation();
    tracing::info!(session = %session, user = %caller.user, transport = parts.transport.name(), "conversation started");
    let _active = metrics.as_ref().map(Metrics::session_started);

    let tools: Vec<String> = parts.registry.specs().into_iter().map(|s| s.name).collect();
    let owner = Participant {
        id: inner.next_id(),
        caller: caller.clone(),
        outbox: outbox.clone(),
    };
    let owner_id = owner.id;
    let (room, mut guests) = Room::new(&session, owner, tools, hub.clone(), guests);
    let room = Arc::new(room);
    let _ = outbox.json(&room.ready(&caller));

    let mut conversation = Conversation {
        inner: inner.clone(),
        room: room.clone(),
        voice,
        hub: hub.clone(),
        speaker,
        memory: parts.memory.clone(),
        audio_item: None,
        turn_end_ms: None,
        memory_failed: false,
        metrics,
        tool_started: HashMap::new(),
        turns: Turns::default(),
        draining: false,
    };
    let mut approvals = hub.subscribe();
    let briefing = inner.factory.briefing(&caller);
    tokio::pin!(briefing);
    let mut briefing_pending = true;

    let end = loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => break End::Shutdown { handed_back: conversation.turns.handed_back() },
            // Shutting down: no new turns; the one in progress finishes (checked below).
            _ = inner.draining.cancelled(), if !conversation.draining => {
                tracing::info!(session = %session, "server shutting down: finishing the turn in progress");
                conversation.draining = true;
            }
            message = stream.next() => {
                let Some(Ok(message)) = message else { break End::ClientGone };
                match message {
                    Message::Binary(audio) => conversation.audio(owner_id, &caller.user, audio.to_vec()),
                    Message::Text(text) => match ClientFrame::parse(text.as_str()) {
                        Ok(frame) => conversation.frame(owner_id, &caller.user, frame),
                        Err(message) => conversation.reply(owner_id, &bad_frame(&message)),
                    },
                    Message::Close(_) => break End::ClientGone,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            event = conversation.voice.next_event() => {
                let Some(event) = event else {
                    break End::Session { reason: "the voice session ended".into(), by_application: false };
                };
                if let VoiceEvent::Closed { reason, by_application } = event {
                    break End::Session { reason, by_application };
                }
                conversation.event(event).await;
            }
            approval = approvals.recv() => match approval {
                Ok(event) => conversation.approval(event),
                // Too far behind to see every event: what still waits is sent again (clients key
                // requests by id).
                Err(RecvError::Lagged(_)) => {
                    for request in hub.pending() {
                        conversation.approval(ApprovalEvent::ApprovalRequested { request });
                    }
                }
                Err(RecvError::Closed) => {}
            },
            input = guests.recv() => match input {
                Some(GuestInput::Audio { id, user, audio }) => conversation.audio(id, &user, audio),
                Some(GuestInput::Frame { id, user, frame }) => conversation.frame(id, &user, frame),
                Some(GuestInput::Left { id }) => conversation.left(id),
                None => {}
            },
            briefing = &mut briefing, if briefing_pending => {
                briefing_pending = false;
                if let Some(briefing) = briefing {
                    room.broadcast(&frames::briefing(briefing));
                }
            }
        }
        if room.owner_behind() {
            break End::OwnerTooSlow;
        }
        if conversation.draining && conversation.turns.idle() {
            break End::Shutdown {
                handed_back: Vec::new(),
            };
        }
    };
    conversation.end(end).await;
    inner.forget_invites(&room);
    flush(writer).await;
}

/// The state of one running conversation.
struct Conversation {
    inner: Arc<Inner>,
    room: Arc<Room>,
    voice: VoiceSession,
    hub: Arc<ApprovalHub>,
    speaker: Speaker,
    memory: Option<Arc<dyn StoredConversation>>,
    /// The assistant item whose audio is streaming (binary frames belong to it).
    audio_item: Option<String>,
    /// When the user's last turn ended (ms since the epoch), until its first reply audio.
    turn_end_ms: Option<u64>,
    /// A save failed already (reported once).
    memory_failed: bool,
    /// The server's metrics (`/metrics`), when served behind the security layer.
    metrics: Option<Metrics>,
    /// When each running tool call started, by call id (for the tool duration histogram).
    tool_started: HashMap<String, Instant>,
    /// The turn in progress (a graceful shutdown waits for it).
    turns: Turns,
    /// The server is shutting down: new turns are refused.
    draining: bool,
}

impl Conversation {
    fn reply(&self, participant: u64, frame: &Value) {
        if let Some(outbox) = self.room.outbox(participant) {
            let _ = outbox.json(frame);
        }
    }

    /// While the server shuts down a new turn (`text`, `commit`) is refused with an
    /// `error` `shutting_down` to its sender; returns whether it was refused.
    fn refuse_new_turn(&self, participant: u64, what: &str) -> bool {
        if self.draining {
            self.reply(
                participant,
                &frames::error(
                    "shutting_down",
                    &format!("the server is shutting down: {what} was not taken; the turn in progress finishes first"),
                    Some("wait for `closed`, then reconnect with ?session=NAME (to this or another server) to go on"),
                ),
            );
        }
        self.draining
    }

    /// Microphone audio from `user`.
    fn audio(&mut self, participant: u64, user: &str, audio: Vec<u8>) {
        if self.draining {
            // Dropped quietly: an error per 40 ms frame would flood the client; `text` and
            // `commit` say it.
            return;
        }
        if !audio.len().is_multiple_of(2) {
            self.reply(
                participant,
                &bad_frame(&format!(
                    "an audio frame is PCM16 (2 bytes a sample), but this one has {} bytes",
                    audio.len()
                )),
            );
            return;
        }
        self.speaker.set(user);
        let _ = self.voice.send_audio(audio);
    }

    /// A text frame from `user`.
    fn frame(&mut self, participant: u64, user: &str, frame: ClientFrame) {
        match frame {
            ClientFrame::Text { text } => {
                if self.refuse_new_turn(participant, "the message") {
                    return;
                }
                if text.trim().is_empty() {
                    self.reply(
                        participant,
                        &bad_frame("a `text` frame needs non-empty `text`"),
                    );
                    return;
                }
                self.speaker.set(user);
                self.turn_end_ms = Some(now_ms());
                self.turns.user_turn_ended();
                let _ = self.voice.send_text(text);
            }
            ClientFrame::Commit => {
                if self.refuse_new_turn(participant, "the spoken turn") {
                    return;
                }
                self.speaker.set(user);
                self.turn_end_ms = Some(now_ms());
                self.turns.user_turn_ended();
                let _ = self.voice.commit_audio();
            }
            ClientFrame::Playback { item_id, played_ms } => {
                let _ = self.voice.report_playback(item_id, played_ms);
            }
            ClientFrame::BargeIn { item_id, played_ms } => {
                // The client's own position, then the cut: exact, nothing to extrapolate.
                if let (Some(item_id), Some(played_ms)) = (item_id, played_ms) {
                    let _ = self.voice.report_playback(item_id, played_ms);
                }
                let _ = self.voice.interrupt();
            }
            ClientFrame::Mode { mode } => {
                let detection = match mode {
                    TalkMode::PushToTalk => None,
                    TalkMode::HandsFree => Some(
                        self.inner
                            .voice
                            .turn_detection
                            .clone()
                            .unwrap_or_else(TurnDetection::server_vad),
                    ),
                };
                let _ = self.voice.set_turn_detection(detection);
            }
            ClientFrame::ApprovalAnswer { id, decision } => {
                let answer = ApprovalAnswer::by(user, decision, AnswerSource::Button);
                if let Err(e) = self.hub.answer(&id, answer) {
                    self.reply(participant, &frames::error(e.code(), &e.to_string(), None));
                }
            }
            ClientFrame::Invite => {
                if user != self.room.owner.user {
                    self.reply(
                        participant,
                        &frames::error(
                            "not_the_owner",
                            &format!(
                                "only {} (the session's owner) can invite",
                                self.room.owner.user
                            ),
                            None,
                        ),
                    );
                    return;
                }
                self.inner.invite(&self.room, participant);
            }
            ClientFrame::Ping { id } => self.reply(participant, &frames::pong(id)),
        }
    }

    /// A guest's socket closed.
    fn left(&mut self, participant: u64) {
        if let Some(guest) = self.room.leave(participant) {
            guest.outbox.finish(&[]);
            self.room.broadcast(&frames::participant(
                false,
                &frames::ParticipantInfo::of(&guest.caller),
            ));
        }
    }

    /// An approval event: shown to everyone; a new question is also spoken.
    fn approval(&mut self, event: ApprovalEvent) {
        match &event {
            ApprovalEvent::ApprovalRequested { request } => {
                let _ = self.voice.announce(request.question.clone());
            }
            ApprovalEvent::ApprovalResolved { answer, .. } => {
                if let Some(metrics) = &self.metrics {
                    metrics.approval(approval_outcome(answer));
                }
                tracing::info!(decision = ?answer.decision, via = ?answer.via, "approval resolved");
            }
        }
        if let Ok(frame) = serde_json::to_value(&event) {
            self.room.broadcast(&frame);
        }
    }

    /// A voice event: forwarded (audio as binary), recorded, and the user's own words read as
    /// an answer to a waiting approval.
    async fn event(&mut self, event: VoiceEvent) {
        self.turns.observe(&event);
        match &event {
            VoiceEvent::AssistantAudio { item_id, audio } => {
                if self.audio_item.as_deref() != Some(item_id.as_str()) {
                    self.audio_item = Some(item_id.clone());
                    self.room.broadcast(&frames::audio_started(item_id));
                }
                if let Some(end) = self.turn_end_ms.take() {
                    let first_audio = now_ms();
                    if let Some(metrics) = &self.metrics {
                        metrics.observe_turn_latency(Duration::from_millis(
                            first_audio.saturating_sub(end),
                        ));
                    }
                    tracing::debug!(latency_ms = first_audio.saturating_sub(end), "turn latency");
                    self.room
                        .broadcast(&frames::turn_latency(item_id, end, first_audio));
                }
                self.room.broadcast_audio(audio);
                return;
            }
            VoiceEvent::UserSpeechStopped { .. } => self.turn_end_ms = Some(now_ms()),
            VoiceEvent::UserTranscript { text, .. } => {
                // Only the user's own transcribed words answer approvals, never the model's.
                let user = self.speaker.get();
                self.hub.answer_from_speech(&user, text);
            }
            VoiceEvent::ToolCallStarted { call_id, .. } => {
                self.tool_started.insert(call_id.clone(), Instant::now());
            }
            VoiceEvent::ToolCallFinished {
                call_id, name, ok, ..
            } => {
                let started = self.tool_started.remove(call_id);
                if let (Some(metrics), Some(started)) = (&self.metrics, started) {
                    metrics.observe_tool(name, started.elapsed());
                }
                tracing::debug!(tool = %name, ok, "tool call finished");
            }
            _ => {}
        }
        let mut frame = serde_json::to_value(&event).unwrap_or_else(|_| json!({}));
        if matches!(
            event,
            VoiceEvent::UserTranscript { .. } | VoiceEvent::ToolCallStarted { .. }
        ) {
            frame["speaker"] = json!(self.speaker.get());
        }
        self.room.broadcast(&frame);
        if let Some(memory) = &self.memory
            && let Err(e) = memory.observe(&event).await
            && !self.memory_failed
        {
            self.memory_failed = true;
            self.room.broadcast(&frames::error(
                "session_not_saved",
                &format!("the conversation could not be saved: {e}"),
                Some("the conversation goes on; check the store (relay doctor)"),
            ));
        }
    }

    /// Ends the conversation: the voice session closes (and winds down), waiting approvals are
    /// denied, every socket gets its last frames.
    async fn end(self, end: End) {
        let (last, reason): (Vec<Value>, String) = match end {
            End::ClientGone => (Vec::new(), "the owner left".into()),
            End::Session {
                reason,
                by_application,
            } => {
                let mut last = Vec::new();
                if !by_application {
                    // The voice service gave out: an error the client can show, then closed.
                    last.push(frames::error(
                        "voice_session_failed",
                        &format!("the voice session ended: {reason}"),
                        Some("reconnect with ?session=NAME to resume the conversation"),
                    ));
                }
                last.push(frames::closed(&reason, by_application));
                (last, reason)
            }
            End::OwnerTooSlow => (
                vec![too_slow(), frames::closed(super::room::TOO_SLOW, false)],
                super::room::TOO_SLOW.into(),
            ),
            End::Shutdown { handed_back } => {
                let resumable = self.memory.is_some();
                let closed =
                    frames::closed_for_shutdown(&self.room.session_id, resumable, handed_back);
                (vec![closed], "the server is shutting down".into())
            }
        };
        tracing::info!(session = %self.room.session_id, "conversation ended: {reason}");
        self.hub.deny_all("the conversation ended");
        self.voice.close();
        let last = if last.is_empty() {
            // The owner is gone; guests learn why.
            vec![frames::closed(&reason, false)]
        } else {
            last
        };
        self.room.finish(&last);
        // Wait for the transport to stop (its driver ends after the close): no task is left.
        let voice = &self.voice;
        let _ = tokio::time::timeout(WIND_DOWN, async {
            while voice.next_event().await.is_some() {}
        })
        .await;
    }
}

/// The `error` frame for a client frame the gateway cannot use.
fn bad_frame(message: &str) -> Value {
    frames::error("bad_client_frame", message, None)
}

/// Waits for a socket's last frames to go out, then drops it.
pub(crate) async fn flush(writer: JoinHandle<()>) {
    let abort = writer.abort_handle();
    if tokio::time::timeout(FLUSH, writer).await.is_err() {
        abort.abort();
    }
}

use super::frames::now_ms;

/// The `outcome` label of `relay_approvals_total`.
fn approval_outcome(answer: &ApprovalAnswer) -> &'static str {
    if answer.allows() {
        "approved"
    } else if answer.via == AnswerSource::Timeout {
        "timed_out"
    } else {
        "denied"
    }
}
