//! # relay-core
//!
//! The heart of Relay: the traits every external system sits behind ([`RepoGraph`],
//! [`agent::CodingAgent`], [`voice::VoiceTransport`], [`infra::InfraProvider`]), the domain types
//! they exchange, the [`Job`] primitive that every long operation uses to stream typed
//! [`Event`]s, the workspace configuration (`relay.yaml`), the repository [`DependencyGraph`],
//! and the tool registry's types ([`tools::Tool`], [`tools::ToolSpec`], [`tools::Permission`],
//! [`tools::ToolRegistry`]).
//!
//! relay-core spawns no process, opens no socket and holds no `unsafe`; it names no
//! implementation crate. `relay-repos`, `relay-agent`, `relay-voice` and `relay-infra` implement
//! these traits, `relay-tools` builds the tool families over them, and the `relay` facade wires
//! them together for the CLI, the bindings and embedding applications.

pub mod agent;
pub mod approval;
pub mod config;
pub mod error;
pub mod event;
pub mod github;
pub mod graph;
pub mod infra;
pub mod job;
pub mod paths;
pub mod redact;
pub mod repo;
pub mod store;
pub mod team;
pub mod tools;
pub mod voice;
pub mod words;

pub use config::{
    ConfigError, Diagnostic, RepoSpec, RuleAction, SyncRule, SyncStrategy, Workspace,
};
pub use error::{Error, RepoError};
pub use event::{Event, EventKind, JobId, JobStatus, LogLevel, Progress, RepoOutcome};
pub use graph::{DependencyGraph, Impact};
pub use job::{Job, JobContext, JobFailure};
pub use repo::RepoGraph;
