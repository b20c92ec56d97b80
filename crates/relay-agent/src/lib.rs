//! # relay-agent
//!
//! The [`CodingAgent`](relay_core::agent::CodingAgent) implementations Relay ships:
//!
//! - [`claude::ClaudeCodeAgent`], the default: the Claude Code CLI (`claude`) driven as a
//!   subprocess over stream-json, with its control protocol answering tool permission requests
//!   through a [`PermissionPolicy`](relay_core::agent::PermissionPolicy);
//! - [`shell::ShellAgent`], the offline one: runs a command in each repository.
//!
//! Both spawn their process in its own process group and kill the whole tree on cancel or
//! timeout ([`become_child_subreaper`] makes a binary the reaper of what they leave). The trait,
//! the task, the events and the policy types live in `relay_core::agent`; running one task
//! across repositories in dependency order is `relay_core::agent::run::run_across_repos`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), relay_core::agent::AgentError> {
//! use relay_agent::shell::ShellAgent;
//! use relay_core::agent::{AgentContext, AgentTask, CodingAgent};
//! let task = AgentTask::builder("cargo test --quiet", "/work/backend").build();
//! let outcome = ShellAgent::new().run(task, AgentContext::discard()).await?;
//! assert!(outcome.is_success());
//! # Ok(()) }
//! ```

pub mod claude;
mod lines;
mod process;
pub mod shell;

pub use relay_process::become_child_subreaper;
