//! # relay
//!
//! Relay is an embeddable SDK for voice-driven, multi-repository agentic coding: a person
//! speaks, a realtime voice model turns speech into tool calls, and Relay runs those tools
//! against a dependency graph of git repositories, hands coding work to a coding agent,
//! provisions development environments and reports progress back by voice.
//!
//! This crate is the facade: the one place where "which agent, which provider, which tools,
//! which permissions" is decided. [`Relay::builder`] opens a workspace and wires the parts;
//! the `relay` CLI and the Python, Node and Kotlin/Swift bindings all go through it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), relay::Error> {
//! use std::sync::Arc;
//! use relay::core::repo::SyncOptions;
//! use relay::core::tools::SessionContext;
//! use relay::core::voice::{ReplyTracker, VoiceEvent};
//! use relay::{
//!     AgentChoice, AgentConfig, EnvironmentsConfig, ProviderKind, Relay, TransportKind, VoiceConfig,
//! };
//!
//! // The sample workspace `relay demo` makes: shared-api, database-migrations, frontend and
//! // backend, with bare origins — no network, no account.
//! let dir = tempfile::tempdir().unwrap();
//! let sample = relay::repos::demo::create_sample_workspace(&dir.path().join("acme"))?;
//!
//! let relay = Relay::builder()
//!     .workspace(&sample.workspace)                   // or .discover_workspace(".")
//!     .agent(AgentConfig::new(AgentChoice::Shell))    // offline; Claude Code is the default
//!     .environments(EnvironmentsConfig::new().provider(ProviderKind::Local))
//!     .build()
//!     .await?;
//! relay.require_graph()?.sync(SyncOptions::new()).wait().await?; // clone from the origins
//!
//! // Talk to it: typed text here; TransportKind::Realtime speaks with OpenAI Realtime
//! // (OPENAI_API_KEY), which VoiceConfig::new() picks by itself when the key is set.
//! let session = VoiceConfig::new()
//!     .transport(TransportKind::Text)
//!     .start(Arc::new(relay.tools()?), SessionContext::new())
//!     .await?;
//! session.send_text("what is the impact of a change to shared-api?")?;
//! let mut reply = ReplyTracker::default();
//! while let Some(event) = session.next_event().await {
//!     if let VoiceEvent::AssistantText { text, .. } = &event {
//!         println!("relay: {text}");
//!     }
//!     if reply.observe(&event) {
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The parts are reachable as modules for what the facade does not wrap: [`core`] (traits,
//! types, events and jobs), [`repos`] (the git implementation), [`agent`] (Claude Code and the
//! shell agent), [`tools`] (the tool families), [`infra`] (Proxmox VE and local environments),
//! [`voice`] (OpenAI Realtime, the text transport, audio), [`server`] (webhooks, `relay serve`)
//! and [`mcp`] (the Model Context Protocol server and client).

mod agent_config;
mod audit;
mod environments;
mod error;
mod gateway;
pub mod github;
mod identity;
mod jobs;
mod relay;
mod sessions;
mod store_choice;
mod summary;
mod team;
mod tools_builder;
mod voice_config;

pub use agent_config::{
    Agent, AgentChoice, AgentConfig, AgentRun, DEFAULT_IDLE_TIMEOUT, RelayMcpCommand, run_agent,
};
pub use audit::AuditVerdict;
pub use environments::{EnvironmentsConfig, ProviderKind};
pub use error::Error;
pub use gateway::Conversations;
pub use identity::{Identity, current_user};
pub use jobs::{HEARTBEAT, JobSpec, STALE_AFTER};
pub use relay::{LeftOut, Part, Relay, RelayBuilder};
pub use sessions::SessionMemory;
pub use store_choice::{STORE_URL_ENV, StoreChoice};
pub use summary::{Outcomes, RepoActivity, Summary};
pub use team::NewToken;
pub use tools_builder::{ToolsBuilder, parse_permission};
pub use voice_config::{TransportKind, VoiceConfig};

/// The coding agents: Claude Code CLI and the offline shell agent.
pub use relay_agent as agent;
/// Traits, domain types, events and jobs, configuration, the tool registry's types.
pub use relay_core as core;
/// Development environments: Proxmox VE and local directories.
pub use relay_infra as infra;
/// The Model Context Protocol: Relay's tools as an MCP server, other MCP servers' tools in
/// Relay's registry.
pub use relay_mcp as mcp;
/// Child processes that never outlive Relay: `kill_all` for shutdown paths, the process-group
/// table, parent-death signals, the watchdog.
pub use relay_process as process;
/// Repositories: the git implementation of `RepoGraph`.
pub use relay_repos as repos;
/// The HTTP server: GitHub webhooks that drive sync rules and CI notifications, `/healthz`;
/// `relay serve`, or an axum `Router` to mount in your own service.
pub use relay_server as server;
/// The stores (SQLite and Redis), the audit chain and tokens.
pub use relay_store as store;
/// The tool families: repositories, agent runs, environments.
pub use relay_tools as tools;
/// Voice transports: OpenAI Realtime and text; audio helpers.
pub use relay_voice as voice;

/// The version of the Relay SDK.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
