//! Coding agents: the [`CodingAgent`] trait, its task, events, outcomes and permission policy,
//! and [`run::run_across_repos`], which runs one task through any agent across repositories.
//! The implementations (the Claude Code CLI adapter and the offline shell agent) live in the
//! `relay-agent` crate.

mod command_line;
mod context;
mod error;
mod job;
mod outcome;
mod policy;
mod task;

pub mod run;

pub use crate::event::{AgentEvent, ContentBlock, RawJson};
pub use command_line::split_command_line;
pub use context::AgentContext;
pub use error::AgentError;
pub use job::{AgentInterrupt, AgentJob, start_agent};
pub use outcome::{AgentOutcome, AgentStatus, PermissionDenial, TokenUsage};
pub use policy::{
    AllowAll, AskAll, DenyAll, PermissionAsker, PermissionDecision, PermissionPolicy,
    PermissionRequest, ToolRules,
};
pub use task::{AgentEnv, AgentTask, AgentTaskBuilder, PermissionMode};

use async_trait::async_trait;

/// Runs coding tasks in a repository, streaming [`AgentEvent`]s through the context.
///
/// `Ok` means the agent reached its end and reported an outcome (which may be a failure such
/// as hitting max turns); `Err` means no outcome exists (missing binary, crash, timeout, cancel).
#[async_trait]
pub trait CodingAgent: Send + Sync {
    /// Short name (`claude`, `shell`).
    fn name(&self) -> &str;

    /// Runs one task to its end.
    async fn run(&self, task: AgentTask, ctx: AgentContext) -> Result<AgentOutcome, AgentError>;
}
