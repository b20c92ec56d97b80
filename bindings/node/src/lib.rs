//! The native part of the `relay-sdk` npm package: a thin napi-rs adapter over
//! `relay-bindings-common`. Async methods return Promises; results and events arrive as plain
//! JavaScript objects; failures reject with an `Error` whose `code` is the Rust error's code.
//! `relay.js` adds `Symbol.asyncIterator` to `Job` (one native call per batch of events).

#![deny(clippy::all)]
// napi-derive registers exports only outside `cfg(test)`, so a test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod agent;
mod approval;
mod convert;
mod environments;
mod github;
mod host_tool;
mod job;
mod js_function;
mod mcp;
mod memory;
mod permission;
#[cfg(feature = "testing")]
mod testing;
mod tools;
mod voice;
mod workspace;

use napi_derive::napi;

/// Kills every process group Relay started in this process (agents, environment commands) and
/// everything under them; returns how many were running. `relay.js` calls it on
/// `process.on('exit')`, so runs in flight do not outlive Node.
#[napi]
pub fn shutdown() -> u32 {
    relay_bindings_common::shutdown() as u32
}

/// The version of the Relay SDK this module was built from.
#[napi]
pub fn version() -> String {
    relay_bindings_common::version().to_owned()
}
