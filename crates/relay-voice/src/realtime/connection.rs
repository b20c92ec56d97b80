//! The connection to the service across its whole life: the open socket, sending, redialing
//! in the background after a loss (see `dial`), replaying the remembered conversation into the
//! new socket, and timing the recycle before the service's 60-minute session limit.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use relay_core::tools::ToolRegistry;
use relay_core::voice::{TurnDetection, VoiceError, VoiceEvent, VoiceSessionConfig};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::RealtimeConfig;
use super::connect::Socket;
use super::dial::{Dialer, Established, Redialed, configure};
use super::replay::Transcript;
use super::shared::Reporter;
use crate::protocol::{ClientEvent, Session};

/// What a frame read from the socket means for the session.
pub(super) enum Incoming {
    /// A server event (JSON text) to handle.
    Text(Utf8Bytes),
    /// The connection is gone, for this reason: reconnect.
    Lost(String),
    /// A ping, pong or binary frame: nothing to do.
    Ignored,
    /// The background redial ended (connected or gave up).
    Redialed(Redialed),
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
    /// The background redial while disconnected.
    redial: Option<JoinHandle<Redialed>>,
    /// Attempts spent since the conversation was last carried by a connection (a connection
    /// lost again during replay does not get a fresh budget).
    spent_attempts: u32,
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
            redial: None,
            spent_attempts: 0,
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

    /// Whether a redial runs in the background.
    pub(super) fn is_redialing(&self) -> bool {
        self.redial.is_some()
    }

    /// Opens the first connection and configures the session. Returns configuration warnings.
    pub(super) async fn establish(&mut self) -> Result<Vec<String>, VoiceError> {
        let established = configure(&self.cfg, &self.session_cfg, &self.registry).await?;
        Ok(self.install(established))
    }

    fn install(&mut self, established: Established) -> Vec<String> {
        self.socket = Some(established.socket);
        self.session_id = established.session_id;
        self.connected_at = Instant::now();
        self.recycle_due = false;
        established.warnings
    }

    /// The next thing that happens on the connection: a frame from the open socket or, while
    /// disconnected, the end of the redial. Pending forever when neither. Cancel-safe.
    pub(super) async fn next(&mut self) -> Incoming {
        if let Some(socket) = self.socket.as_mut() {
            return Incoming::from_frame(socket.next().await);
        }
        let Some(redial) = self.redial.as_mut() else {
            return std::future::pending().await;
        };
        let outcome = redial.await;
        self.redial = None;
        Incoming::Redialed(outcome.unwrap_or_else(|e| {
            Redialed::Failed(format!("reconnecting stopped unexpectedly: {e}"))
        }))
    }

    /// The connection is gone (for `reason`): forgets the socket and starts redialing in the
    /// background; the outcome comes out of [`Connection::next`].
    pub(super) fn lost(&mut self, reason: &str) {
        self.socket = None;
        if self.redial.is_some() {
            return;
        }
        let dialer = Dialer {
            cfg: self.cfg.clone(),
            session_cfg: self.session_cfg.clone(),
            registry: self.registry.clone(),
            reporter: self.reporter.clone(),
        };
        self.redial = Some(dialer.redial(reason.to_string(), self.spent_attempts + 1));
    }

    /// Puts a redialed socket in place and replays `transcript` into it. Emits `reconnected`
    /// and returns `true` when the conversation is back; `false` when the socket was lost again
    /// during the replay (the caller treats that as a new loss).
    pub(super) async fn resume(
        &mut self,
        established: Box<Established>,
        attempts: u32,
        transcript: &Transcript,
    ) -> bool {
        self.install(*established);
        let replayed = self.replay(transcript).await;
        if self.socket.is_none() {
            self.spent_attempts = attempts;
            return false;
        }
        self.spent_attempts = 0;
        self.reporter.metrics(|m| m.reconnects += 1);
        self.reporter.emit(VoiceEvent::Reconnected {
            replayed_items: replayed,
        });
        true
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

    /// Switches end-of-turn detection: on this socket now (a `session.update` of that field
    /// alone, so nothing else of the session changes), and on every socket after a reconnect.
    pub(super) async fn set_turn_detection(&mut self, detection: Option<TurnDetection>) {
        self.session_cfg.turn_detection = detection.clone();
        let mut extra = serde_json::Map::new();
        extra.insert(
            "audio".into(),
            serde_json::json!({"input": {"turn_detection": detection}}),
        );
        let session = Session {
            kind: "realtime".into(),
            id: None,
            model: None,
            instructions: None,
            output_modalities: None,
            audio: None,
            tools: None,
            tool_choice: None,
            extra,
        };
        self.send(ClientEvent::SessionUpdate {
            event_id: Some("relay_turn_detection".into()),
            session: Box::new(session),
        })
        .await;
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

    /// Stops redialing and closes the socket politely.
    pub(super) async fn close(&mut self) {
        if let Some(redial) = self.redial.take() {
            redial.abort();
        }
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
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(redial) = self.redial.take() {
            redial.abort();
        }
    }
}
