//! Voice conversations: the [`VoiceTransport`] trait, session configuration, the events a
//! session yields and the [`VoiceSession`] handle an application drives.
//!
//! A transport (OpenAI Realtime in `relay-voice`, or the offline text transport) turns audio and
//! text into [`VoiceEvent`]s and runs the model's tool calls through a
//! [`ToolRegistry`](crate::tools::ToolRegistry). Every type here is owned, serde-serializable and
//! free of generics so it crosses FFI as data.

mod config;
mod error;
mod event;
mod reply;
mod session;

pub use config::{
    AudioFormat, Eagerness, ToolChoice, TranscriptionConfig, TurnDetection, VoiceSessionConfig,
    VoiceSessionConfigBuilder,
};
pub use error::VoiceError;
pub use event::{RateLimit, SessionMetrics, TokenUsage, VoiceEvent};
pub use reply::ReplyTracker;
pub use session::{SessionCommand, VoiceSession, VoiceSessionParts};

use async_trait::async_trait;

/// A way to hold a voice conversation: connects and returns a running [`VoiceSession`].
///
/// Implementations: `relay_voice::RealtimeTransport` (OpenAI Realtime, the default) and
/// `relay_voice::TextTransport` (offline, typed utterances).
#[async_trait]
pub trait VoiceTransport: Send + Sync {
    /// Short name for logs and `--json` output, e.g. `"openai-realtime"` or `"text"`.
    fn name(&self) -> &str;

    /// Opens a session with `config`; the session runs until [`VoiceSession::close`] or a fatal
    /// error (reported as [`VoiceEvent::Closed`]).
    async fn start(&self, config: VoiceSessionConfig) -> Result<VoiceSession, VoiceError>;
}
