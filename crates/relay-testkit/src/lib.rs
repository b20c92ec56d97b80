//! Test peers for Relay: protocol-faithful fake servers that tests (in any language) own.
//!
//! - [`realtime`]: a fake OpenAI Realtime server speaking the GA WebSocket protocol.

#![warn(missing_docs)]

pub mod realtime;
