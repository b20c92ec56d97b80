//! # relay-tools
//!
//! The tool families a voice model (or an MCP client, the CLI, a binding) acts through, each
//! over one of Relay's traits:
//!
//! - [`repo`]: over a [`RepoGraph`] — the morning briefing (`project_status`), the primary
//!   project (`switch_project`), `dependency_graph`, `impact_analysis`, `sync_repos`,
//!   `create_branch`, `commit`;
//! - [`agent`]: over a [`CodingAgent`] — `run_agent_task` across repositories in dependency order;
//! - [`env`](mod@env): over an [`InfraProvider`] — `env_up`, `env_status`, `env_exec`, `env_snapshot`,
//!   `env_rollback`, `env_down`;
//! - [`github`]: over a [`GitHubApi`] — `briefing`, `list_pull_requests`, `pull_request_summary`,
//!   `ci_status`, `list_issues`, `review_pull_request`, `create_pull_requests`,
//!   `merge_pull_requests`, `create_issue`.
//!
//! The registry, the tool trait and the permission model are in [`relay_core::tools`]; the
//! [`ToolFamilies`] extension adds a family to a registry in one call:
//!
//! ```no_run
//! # fn demo(graph: std::sync::Arc<dyn relay_core::RepoGraph>) {
//! use relay_core::tools::ToolRegistry;
//! use relay_tools::ToolFamilies;
//! let registry = ToolRegistry::new().with_repo_tools(graph);
//! assert!(registry.spec("impact_analysis").is_some());
//! # }
//! ```

use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::agent::{AgentTask, CodingAgent};
use relay_core::github::GitHubApi;
use relay_core::infra::InfraProvider;
use relay_core::tools::ToolRegistry;

pub mod agent;
pub mod env;
pub mod github;
pub mod repo;

/// Adds Relay's tool families to a [`ToolRegistry`], builder style.
pub trait ToolFamilies: Sized {
    /// Adds the repository tools (status, switch project, impact, sync, branch, commit, push) over
    /// `graph`.
    fn with_repo_tools(self, graph: Arc<dyn RepoGraph>) -> Self;

    /// Adds the coding-agent tool (`run_agent_task`) over `graph`, run by `agent`. `template`
    /// carries the agent options applied to every run (model, max turns, allowed tools,
    /// timeouts, ...); its prompt is replaced by the task the tool is given.
    fn with_agent_tools(
        self,
        graph: Arc<dyn RepoGraph>,
        agent: Arc<dyn CodingAgent>,
        template: AgentTask,
    ) -> Self;

    /// Adds the environment tools (`env_up`, `env_status`, `env_exec`, `env_snapshot`,
    /// `env_rollback`, `env_down`) over `provider`.
    fn with_env_tools(self, provider: Arc<dyn InfraProvider>) -> Self;

    /// Adds the GitHub tools (`briefing`, `list_pull_requests`, `pull_request_summary`,
    /// `ci_status`, `list_issues`, `review_pull_request`, `create_pull_requests`,
    /// `merge_pull_requests`, `create_issue`) over `github`, naming repositories by `graph`'s
    /// workspace; `project_status` then reports GitHub's highlights too.
    fn with_github_tools(self, graph: Arc<dyn RepoGraph>, github: Arc<dyn GitHubApi>) -> Self;
}

impl ToolFamilies for ToolRegistry {
    fn with_repo_tools(self, graph: Arc<dyn RepoGraph>) -> Self {
        self.with_tools(repo::repo_tools(graph))
    }

    fn with_agent_tools(
        self,
        graph: Arc<dyn RepoGraph>,
        agent: Arc<dyn CodingAgent>,
        template: AgentTask,
    ) -> Self {
        self.with_tools(agent::agent_tools(graph, agent, template))
    }

    fn with_env_tools(self, provider: Arc<dyn InfraProvider>) -> Self {
        self.with_tools(env::env_tools(provider))
    }

    fn with_github_tools(self, graph: Arc<dyn RepoGraph>, github: Arc<dyn GitHubApi>) -> Self {
        self.with_tools(github::github_tools(graph, github))
    }
}
