//! # relay-core
//!
//! The heart of Relay: the traits every external system sits behind ([`RepoGraph`],
//! [`agent::CodingAgent`], the voice transport and the infrastructure provider), the domain types
//! they exchange, the [`Job`] primitive that every long operation uses to stream typed
//! [`Event`]s, the workspace configuration (`relay.yaml`) and the repository
//! [`DependencyGraph`].
//!
//! relay-core names no implementation crate: `relay-repos`, `relay-voice` and `relay-infra` implement
//! these traits, and the CLI and the language bindings adapt them.

pub mod agent;
pub mod config;
pub mod error;
pub mod event;
pub mod graph;
pub mod infra;
pub mod job;
pub mod redact;
pub mod repo;
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
