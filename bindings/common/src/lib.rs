//! # relay-bindings-common
//!
//! What only the language bindings (`bindings/python`, `bindings/node`, `bindings/uniffi`) need
//! on top of the [`relay`] facade: options as strings and JSON, type-erased jobs, errors reduced
//! to a kind and a code. Every decision (which agent, which provider, which tools, which
//! transport) is the facade's; each binding is a thin adapter over the types here:
//!
//! - [`JobHandle`]: a type-erased [`relay::core::Job`] that every binding exposes the same way
//!   (events in batches, `wait`, `cancel`, cancel-on-drop of an awaiting call);
//! - [`BindingError`]: any Relay error reduced to a [`ErrorKind`] (which exception class or
//!   error variant to raise), a stable `code` and the Rust message;
//! - [`WorkspaceHandle`]: an open workspace and its repository operations, taking
//!   [`Selection`]s and returning JSON-ready values or jobs;
//! - [`AgentRunRequest`] and [`WorkspaceHandle::run_agent`]: coding-agent runs across
//!   repositories; [`PermissionCallback`] + [`CallbackPolicy`]: a host-language permission
//!   function (answers parsed by [`parse_decision`]);
//! - [`EnvironmentsHandle`]: development environments (up, status, exec, snapshot, rollback, down);
//! - [`GitHubHandle`]: GitHub over a workspace (briefing, pull requests, checks, reviews, merges,
//!   issues);
//! - [`ToolsHandle`]: the tool registry (specs, OpenAI Realtime tool format, `invoke` as a job),
//!   for applications that run their own voice loop, with tools written in the host language
//!   ([`HostToolSpec`] + [`ToolCallback`]); [`ToolsHandle::serve_mcp`] serves them over MCP
//!   ([`McpServerHandle`]);
//! - [`MemoryHandle`]: Relay's memory — the store URL, the acting user, sessions, durable jobs
//!   (list, show, resume, cancel) and the audit log (issue 12);
//! - [`VoiceHandle`]: a voice session (OpenAI Realtime or the offline text transport) over a
//!   [`ToolsHandle`];
//! - `synthetic_job` (cargo feature `testing` only): a job that streams a given number of events
//!   through the real job machinery, used by the binding tests and the boundary benchmarks.
//!
//! Nothing here knows about Python, JavaScript or Kotlin: conversions that two bindings would
//! otherwise each write live here once.

mod agent;
mod approval;
mod environments;
mod error;
mod event;
mod github;
mod host_tool;
mod job;
mod mcp;
mod memory;
mod permission;
#[cfg(any(test, feature = "testing"))]
mod synthetic;
#[cfg(test)]
mod test_support;
mod tools;
mod voice;
mod workspace;

pub use agent::AgentRunRequest;
pub use approval::{ApprovalCallback, CallbackApprover, parse_answer};
pub use environments::{EnvironmentsHandle, EnvironmentsOptions};
pub use error::{BindingError, ErrorKind};
pub use event::EventJson;
pub use github::{GitHubHandle, GitHubOptions};
pub use host_tool::{HostToolSpec, ToolCallback};
pub use job::{DEFAULT_BATCH, JobHandle};
pub use mcp::{McpServeOptions, McpServerHandle};
pub use memory::{AuditQuery, MemoryHandle, MemoryOptions};
pub use permission::{CallbackPolicy, PermissionCallback, parse_decision};
#[cfg(any(test, feature = "testing"))]
pub use synthetic::{SyntheticJob, synthetic_job};
pub use tools::{ToolsHandle, ToolsOptions};
pub use voice::{VoiceHandle, VoiceOptions};
pub use workspace::{GraphView, Selection, WorkspaceHandle, to_json};

/// The version of the Relay SDK the bindings were built from.
pub use relay::version;

/// Kills every process group Relay started in this process (agents, environment commands) and
/// everything under them; returns how many groups were still running.
///
/// Each binding calls it when its host exits (Python `atexit`, Node `process.on('exit')`, a JVM
/// shutdown hook), so runs still in flight do not outlive the host. A host killed outright
/// (SIGKILL) is covered on Linux by the parent-death signal and the watchdog of
/// [`relay::process`].
pub fn shutdown() -> usize {
    relay::process::kill_all()
}
