//! Kotlin (`dev.relay`) and Swift (`Relay`) bindings of Relay: a thin uniffi adapter over
//! `relay-bindings-common`.
//!
//! Async methods become `suspend fun` / `async`; cancelling the coroutine or task drops the Rust
//! future, which cancels the job it awaited. Event streams are delivered either by awaiting
//! [`Job::next_batch`] or to an [`EventListener`] through a cancellable [`TaskHandle`].

mod agent;
mod approval;
mod env_records;
mod environments;
mod error;
mod event;
mod github;
mod host_tool;
mod job;
mod memory;
mod policy;
mod records;
mod runtime;
#[cfg(feature = "testing")]
mod testing;
mod tools;
mod voice;
mod workspace;

pub use agent::{AgentRunRequest, become_child_subreaper};
pub use env_records::{Environment, ExecOutput, SnapshotInfo};
pub use environments::Environments;
pub use error::RelayError;
pub use event::{Event, EventListener};
pub use github::GitHub;
pub use host_tool::{ToolDefinition, ToolHandler, ToolHandlerError};
pub use job::{Job, TaskHandle};
pub use memory::{AuditVerdict, Memory, WhoAmI};
pub use policy::{PermissionDecision, PermissionPolicy, PermissionRequest, PolicyError};
pub use records::{CommitInfo, DependencyGraph, Edge, Impact, RepoSpec, RepoStatus};
#[cfg(feature = "testing")]
pub use testing::synthetic_job;
pub use tools::Tools;
pub use voice::{
    RateLimit, VoiceEvent, VoiceEventListener, VoiceMetrics, VoiceOptions, VoiceSession,
};
pub use workspace::Workspace;

uniffi::setup_scaffolding!("relay");

/// Kills every process group Relay started in this process (agents, environment commands) and
/// everything under them; returns how many were running. Relay already runs it from the C
/// library's `atexit` when the JVM exits normally; a Kotlin app that wants it earlier in its
/// shutdown registers it itself: `Runtime.getRuntime().addShutdownHook(Thread { shutdown() })`.
#[uniffi::export]
pub fn shutdown() -> u32 {
    relay_bindings_common::shutdown() as u32
}

/// The version of the Relay SDK this library was built from.
#[uniffi::export]
pub fn version() -> String {
    relay_bindings_common::version().to_owned()
}
