use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{SessionMetrics, TurnDetection, VoiceError, VoiceEvent};

/// Input from the application to a running session, as the transport's driver receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// Encoded audio in the session's input format.
    Audio(Vec<u8>),
    /// Ends the user's turn when turn detection is off.
    CommitAudio,
    /// A typed user message; the transport asks for a reply.
    Text(String),
    /// How much of an assistant item's audio the application has actually played.
    Playback {
        /// Assistant item id.
        item_id: String,
        /// Milliseconds played so far.
        played_ms: u64,
    },
    /// The user started talking over the assistant (push-to-talk pressed during a reply): cut
    /// the playing item at what was heard, as a barge-in detected by the service would.
    Interrupt,
    /// Changes end-of-turn detection for the rest of the session (`None`: the application
    /// ends each turn with [`CommitAudio`](Self::CommitAudio), e.g. push-to-talk).
    TurnDetection(Option<TurnDetection>),
    /// Something to tell the user out of band (a webhook's notification, a CI result): spoken
    /// as a short status line, never dropped or merged, after the answer in progress.
    Announce(String),
    /// Ends the session.
    Close,
}

/// A running voice conversation. Cheap to share behind an `Arc`; every method takes `&self`.
///
/// Input goes in through [`send_audio`](Self::send_audio), [`send_text`](Self::send_text) and
/// [`report_playback`](Self::report_playback); everything that happens comes out of
/// [`next_event`](Self::next_event) in order. No event is dropped: the queue is unbounded and
/// drained by the application.
#[derive(Debug)]
pub struct VoiceSession {
    commands: mpsc::UnboundedSender<SessionCommand>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<VoiceEvent>>,
    metrics: Arc<Mutex<SessionMetrics>>,
}

/// The transport side of a [`VoiceSession`]: the driver task reads commands and emits events.
#[derive(Debug)]
pub struct VoiceSessionParts {
    /// Commands from the application.
    pub commands: mpsc::UnboundedReceiver<SessionCommand>,
    /// Events to the application.
    pub events: mpsc::UnboundedSender<VoiceEvent>,
    /// Shared metrics the driver updates.
    pub metrics: Arc<Mutex<SessionMetrics>>,
}

impl VoiceSession {
    /// Creates a connected session handle and the parts a transport's driver task owns.
    pub fn channel() -> (VoiceSession, VoiceSessionParts) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let metrics = Arc::new(Mutex::new(SessionMetrics::default()));
        (
            VoiceSession {
                commands: cmd_tx,
                events: tokio::sync::Mutex::new(ev_rx),
                metrics: metrics.clone(),
            },
            VoiceSessionParts {
                commands: cmd_rx,
                events: ev_tx,
                metrics,
            },
        )
    }

    fn send(&self, cmd: SessionCommand) -> Result<(), VoiceError> {
        self.commands.send(cmd).map_err(|_| VoiceError::Closed)
    }

    /// Sends encoded audio in the session's input format.
    pub fn send_audio(&self, audio: Vec<u8>) -> Result<(), VoiceError> {
        self.send(SessionCommand::Audio(audio))
    }

    /// Ends the user's spoken turn (only needed when turn detection is off).
    pub fn commit_audio(&self) -> Result<(), VoiceError> {
        self.send(SessionCommand::CommitAudio)
    }

    /// Sends a typed user message and asks for a reply.
    pub fn send_text(&self, text: impl Into<String>) -> Result<(), VoiceError> {
        self.send(SessionCommand::Text(text.into()))
    }

    /// Reports how much of assistant item `item_id` has been played to the user, so an
    /// interruption truncates at what the user actually heard.
    pub fn report_playback(
        &self,
        item_id: impl Into<String>,
        played_ms: u64,
    ) -> Result<(), VoiceError> {
        self.send(SessionCommand::Playback {
            item_id: item_id.into(),
            played_ms,
        })
    }

    /// The user started talking over the assistant's reply, detected by the application (a
    /// push-to-talk press; the service's own voice activity detection does this by itself):
    /// the playing item is cut at what was heard (report it first with
    /// [`report_playback`](Self::report_playback)) and a reply still being generated is
    /// cancelled. Nothing happens when no reply plays.
    pub fn interrupt(&self) -> Result<(), VoiceError> {
        self.send(SessionCommand::Interrupt)
    }

    /// Switches end-of-turn detection for the rest of the session: `None` turns it off (the
    /// application ends each turn with [`commit_audio`](Self::commit_audio), which then asks
    /// for the answer: push-to-talk); `Some` turns the service's detection back on. Kept
    /// across reconnects.
    pub fn set_turn_detection(&self, detection: Option<TurnDetection>) -> Result<(), VoiceError> {
        self.send(SessionCommand::TurnDetection(detection))
    }

    /// Tells the user `text` out of band, e.g. a
    /// [`Notification::sentence`](crate::event::Notification::sentence) ("CI on backend is green
    /// again."). It is not part of the conversation: the model does not answer it. Spoken (or
    /// written, without audio output) after the answer in progress; announcements are spoken in
    /// order, none is dropped.
    pub fn announce(&self, text: impl Into<String>) -> Result<(), VoiceError> {
        self.send(SessionCommand::Announce(text.into()))
    }

    /// The next event, or `None` once the session has ended and every event was read.
    pub async fn next_event(&self) -> Option<VoiceEvent> {
        self.events.lock().await.recv().await
    }

    /// Asks the session to end. Events already produced can still be read.
    pub fn close(&self) {
        let _ = self.commands.send(SessionCommand::Close);
    }

    /// A snapshot of the session's metrics.
    pub fn metrics(&self) -> SessionMetrics {
        self.metrics.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
