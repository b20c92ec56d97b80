//! One WebSocket connection of the fake Realtime server: the protocol state machine, one
//! concern per file.
//!
//! - `socket`: the connection loop (reads, pacing, disconnects, expiry); `handshake`: the
//!   upgrade and API-key check.
//! - `dispatch`: routes client events to the handlers below.
//! - `session`: the session object and `session.update`; `validate` and `schema`: what the
//!   service refuses in it.
//! - `audio`: the input audio buffer and voice activity detection.
//! - `items`: conversation item create/retrieve/truncate/delete.
//! - `turns`: `response.create` and what the scripted model answers.
//! - `responses`: streaming, finishing and cancelling the active response.
//! - `conn`: the connection state and the send/error/record primitives all of them use.

mod audio;
mod conn;
mod dispatch;
mod handshake;
mod items;
mod responses;
mod schema;
mod session;
mod socket;
mod turns;
mod validate;

pub(crate) use socket::serve;
