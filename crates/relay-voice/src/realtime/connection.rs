//! The connection to the service across its whole life: opening a socket and configuring the
//! session on it, sending, reconnecting with backoff (replaying the remembered conversation into
//! the new socket) and timing the recycle before the service's 60-minute session limit.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceError, VoiceEvent, VoiceSessionConfig};
use tokio::time::{Instant, sleep};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::RealtimeConfig;
use super::connect::{Socket, open};
use super::replay::Transcript;
use super::shared::Reporter;
use crate::protocol::{ClientEvent, ParsedServerEvent, ServerEvent, Session};

/// What a frame read from the socket means for the session.
pub(super) enum Incoming {
    /// A server event (JSON text) to handle.
    Text(Utf8Bytes),
    /// The connection is gone, for this reason: reconnect.
    Lost(String),
    /// A ping, pong or binary frame: nothing to do.
    Ignored,
}

impl Incoming {
    /// Classifies what reading the socket returned.
    pub(super) fn from_frame(frame: Option<Result<Message, WsError>>) -> Self {
        match frame {
            Some(Ok(Message::Text(text))) => Incoming::Text(text),
            Some(Ok(Message::Close(frame))) => Incoming::Lost(
                frame
                    .map(|f| format!("server closed the connection: {}", f.reason))
                    .unwrap_or_else(|| "server closed the connection".into()),
            ),
            Some(Ok(_)) => Incoming::Ignored,
            Some(Err(e)) => Incoming::Lost(format!("transport error: {e}")),
            None => Incoming::Lost("connection ended".into()),
        }
    }
}

/// The socket to the Realtime service and everything needed to open a new one.
pub(super) struct Connection {
    cfg: RealtimeConfig,
    /// Sent as `session.update` on every connect, so a new socket gets the same session.
    session_cfg: VoiceSessionConfig,
    /// Its tool specs are part of the session configuration.
    registry: Arc<ToolRegistry>,
    reporter: Reporter,
    /// `None` while disconnected; sending then does nothing.
    socket: Option<Socket>,
    connected_at: Instant,
    session_id: String,
    /// The connection is old enough to be replaced; that happens once the conversation is quiet.
    recycle_due: bool,
}

impl Connection {
    /// A connection that is not open yet (see [`Connection::establish`]).
    pub(super) fn new(
        cfg: RealtimeConfig,
        session_cfg: VoiceSessionConfig,
        registry: Arc<ToolRegistry>,
        reporter: Reporter,
    ) -> Self {
        Connection {
            cfg,
            session_cfg,
            registry,
            reporter,
            socket: None,
            connected_at: Instant::now(),
            session_id: String::new(),
            recycle_due: false,
        }
    }

    /// The model the session runs.
    pub(super) fn model(&self) -> &str {
        &self.cfg.model
    }

    /// The service's id of the current session.
    pub(super) fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Whether a socket is open.
    pub(super) fn is_open(&self) -> bool {
        self.socket.is_some()
    }

    /// The open socket, to read the next frame from.
    pub(super) fn socket_mut(&mut self) -> Option<&mut Socket> {
        self.socket.as_mut()
    }

    /// Opens a connection, waits for `session.created`, sends the configuration and waits for
    /// `session.updated`. Returns configuration warnings.
    pub(super) async fn establish(&mut self) -> Result<Vec<String>, VoiceError> {
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

    /// Sends `event`; does nothing while disconnected.
    pub(super) async fn send(&mut self, event: ClientEvent) {
        if self.socket.is_some() {
            self.send_text(event.to_json()).await;
        }
    }

    /// Sends an already serialized client event; does nothing while disconnected.
    pub(super) async fn send_text(&mut self, text: String) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if let Err(e) = socket.send(Message::text(text)).await {
            tracing::debug!("send failed: {e}");
            // The read side will see the failure too; mark the connection lost now.
            self.socket = None;
        }
    }

    /// Closes the socket politely.
    pub(super) async fn close(&mut self) {
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(None).await;
        }
    }

    /// When the connection should be recycled; `None` once it is due.
    pub(super) fn recycle_deadline(&self) -> Option<Instant> {
        (!self.recycle_due).then(|| self.connected_at + self.cfg.max_session_age)
    }

    /// Notes that the connection reached its age limit.
    pub(super) fn mark_recycle_due(&mut self) {
        self.recycle_due = true;
    }

    /// Whether the connection reached its age limit and waits to be replaced.
    pub(super) fn recycle_due(&self) -> bool {
        self.recycle_due
    }

    /// Creates `transcript`'s items in the session, in order; returns how many. Used after a
    /// reconnect and when a saved session is resumed.
    pub(super) async fn replay(&mut self, transcript: &Transcript) -> u32 {
        let items = transcript.items();
        let replayed = items.len() as u32;
        for item in items {
            self.send(ClientEvent::ConversationItemCreate {
                previous_item_id: None,
                item,
            })
            .await;
        }
        replayed
    }

    /// Reconnects with bounded backoff, then replays the configuration and `transcript` into the
    /// new session. Emits `reconnecting` before each attempt and `reconnected` on success. When
    /// every attempt failed, returns the reason to close the session with.
    pub(super) async fn reconnect(
        &mut self,
        reason: &str,
        transcript: &Transcript,
    ) -> Result<(), String> {
        self.socket = None;
        let policy = self.cfg.reconnect.clone();
        let mut last_error = String::from("reconnecting is disabled");
        for attempt in 1..=policy.max_attempts {
            let delay = policy.backoff(attempt);
            self.reporter.emit(VoiceEvent::Reconnecting {
                attempt,
                delay_ms: delay.as_millis() as u64,
                reason: reason.to_string(),
            });
            sleep(delay).await;
            match self.establish().await {
                Ok(_) => {
                    let replayed = self.replay(transcript).await;
                    if self.socket.is_none() {
                        last_error = "connection lost during replay".into();
                        continue;
                    }
                    self.reporter.metrics(|m| m.reconnects += 1);
                    self.reporter.emit(VoiceEvent::Reconnected {
                        replayed_items: replayed,
                    });
                    return Ok(());
                }
                Err(e) => {
                    last_error = e.to_string();
                    // A wrong key stays wrong: stop trying.
                    if matches!(e, VoiceError::Unauthorized { .. }) {
                        break;
                    }
                }
            }
        }
        Err(format!(
            "connection lost ({reason}) and reconnecting failed after {} attempt(s): {last_error}",
            policy.max_attempts
        ))
    }
}
