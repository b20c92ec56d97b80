//! Load harness for the voice gateway (protocol 1 of `docs/serve.md`).
//!
//! One run puts a server under test — `relay serve` or the Node example server
//! (`examples/node/voice-server`) — in front of the testkit's fake Realtime service, running in
//! this process, and opens `N` concurrent conversations to it at a bounded rate. Each
//! conversation does several turns, alternating typed text and speech (a tone then silence, in
//! PCM16 frames sent in real time, so the service's voice activity detection ends the turn), and
//! waits for each reply's audio. Everything has a deadline: a run always ends by itself.
//!
//! Because the Realtime peer runs in this process, its timestamps and the client's share one
//! clock, so each turn splits into
//! - **up**: the client sending the frame that ended the turn → the peer receiving the event it
//!   caused (the server's work on the way in),
//! - **peer**: the peer's own time until its first reply audio,
//! - **down**: the peer sending that audio → the client receiving it (the server's work on the
//!   way out),
//!
//! and the server's own share is up + down. Memory is the server process's resident set (from
//! `/proc/<pid>/status`): before any conversation vs with all `N` open, divided by `N`.

mod analysis;
mod conversation;
mod report;
mod run;
mod server;
mod stats;

pub use analysis::{Analysis, Shares};
pub use conversation::{ConversationRecord, TurnKind, TurnRecord};
pub use report::{markdown_table, summary};
pub use run::{LoadConfig, LoadError, RunReport, run};
pub use server::{RELAY_WRAPPER_ENV, ServerKind, ServerProcess};
pub use stats::Summary;

/// The API key the fake Realtime service requires and the servers are given.
pub const API_KEY: &str = "sk-gateway-load";
