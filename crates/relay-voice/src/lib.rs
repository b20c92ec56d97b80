//! Voice transports for Relay.
//!
//! - [`RealtimeTransport`]: the default [`VoiceTransport`](relay_core::voice::VoiceTransport),
//!   OpenAI Realtime (GA protocol) over WebSocket with rustls.
//! - [`TextTransport`]: the offline default, typed utterances in and text out.
//! - [`audio`]: resampling to 24 kHz mono PCM16, G.711, WAV files, framing.
//! - [`protocol`]: typed client and server events of the GA protocol.

#![warn(missing_docs)]

pub mod audio;
pub mod protocol;
pub mod realtime;
pub mod text;

pub use realtime::{RealtimeConfig, RealtimeTransport, ReconnectPolicy};
pub use text::TextTransport;
