//! Typed events of the OpenAI Realtime GA protocol.

mod client;
mod item;
mod server;
mod session;

pub use client::{ClientEvent, ResponseOptions};
pub use item::{ContentPart, Item};
pub use server::{
    ErrorDetail, KNOWN_SERVER_EVENTS, MalformedEvent, ParsedServerEvent, RateLimitEntry, Response,
    ServerEvent, Usage,
};
pub use session::{
    AudioInput, AudioOutput, BETA_SESSION_FIELDS, FunctionTool, Session, SessionAudio,
    Transcription, WireFormat,
};

#[cfg(test)]
mod tests;
