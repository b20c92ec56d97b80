//! Coding agents: the [`CodingAgent`] trait, its task, events, outcomes and permission policy,
//! the Claude Code CLI adapter ([`claude`], the default) and the shell agent ([`shell`], offline).

mod context;
mod error;
mod event;
mod job;
mod outcome;
mod policy;
mod process;
mod task;
mod tree;

pub mod claude;
pub mod run;
pub mod shell;

pub use context::AgentContext;
pub use error::AgentError;
pub use event::{AgentEvent, ContentBlock, RawJson};
pub use job::{AgentInterrupt, AgentJob, start_agent};
pub use outcome::{AgentOutcome, AgentStatus, PermissionDenial, TokenUsage};
pub use policy::{
    AllowAll, DenyAll, PermissionAsker, PermissionDecision, PermissionPolicy, PermissionRequest,
    ToolRules,
};
pub use process::become_child_subreaper;
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
