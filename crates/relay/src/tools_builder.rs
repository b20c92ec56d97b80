//! [`ToolsBuilder`]: the one place where Relay's tool registry is assembled from its parts.

use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::agent::AgentTask;
use relay_core::approval::Approver;
use relay_core::github::GitHubApi;
use relay_core::infra::InfraProvider;
use relay_core::tools::{Permission, ToolRegistry};
use relay_tools::ToolFamilies;

use crate::{Agent, AgentConfig, Error};

/// Which tool families a registry offers; each is there when its part is given.
///
/// ```
/// # fn demo(graph: std::sync::Arc<dyn relay::core::RepoGraph>) -> Result<(), relay::Error> {
/// use relay::core::tools::Permission;
/// use relay::{AgentChoice, AgentConfig, ToolsBuilder};
/// let registry = ToolsBuilder::new()
///     .repos(graph)
///     .agent(AgentConfig::new(AgentChoice::Shell))
///     .permissions([Permission::Read, Permission::RunAgent])
///     .build()?;
/// assert!(registry.spec("run_agent_task").is_some());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ToolsBuilder {
    repos: Option<Arc<dyn RepoGraph>>,
    agent: Option<(Agent, AgentTask)>,
    environments: Option<Arc<dyn InfraProvider>>,
    github: Option<Arc<dyn GitHubApi>>,
    permissions: Option<Vec<Permission>>,
    approver: Option<Arc<dyn Approver>>,
}

impl ToolsBuilder {
    /// No tools yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Repository tools (status, switch project, impact, sync, branch, commit) over `graph`;
    /// also the repositories the agent tool works in.
    pub fn repos(mut self, graph: Arc<dyn RepoGraph>) -> Self {
        self.repos = Some(graph);
        self
    }

    /// The agent tool (`run_agent_task`), run by the agent `config` describes with its options
    /// (the prompt is the task the model gives). Needs [`repos`](Self::repos).
    pub fn agent(self, config: AgentConfig) -> Self {
        let template = config.template("");
        self.built_agent(config.build(), template)
    }

    /// The agent tool with an agent already built (and checked) and its task template.
    pub fn built_agent(mut self, agent: Agent, template: AgentTask) -> Self {
        self.agent = Some((agent, template));
        self
    }

    /// Environment tools (`env_up`, `env_status`, `env_exec`, ...) over `provider`.
    pub fn environments(mut self, provider: Arc<dyn InfraProvider>) -> Self {
        self.environments = Some(provider);
        self
    }

    /// GitHub tools (`briefing`, `list_pull_requests`, `pull_request_summary`, `ci_status`,
    /// `list_issues`, `review_pull_request`, `create_pull_requests`, `merge_pull_requests`,
    /// `create_issue`) over `github`; `project_status` then adds GitHub's highlights. Needs
    /// [`repos`](Self::repos).
    pub fn github(mut self, github: Arc<dyn GitHubApi>) -> Self {
        self.github = Some(github);
        self
    }

    /// Grants only these permissions to callers (default: all); a tool needing another answers
    /// with an error the model can relay.
    pub fn permissions(mut self, permissions: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(permissions.into_iter().collect());
        self
    }

    /// Who approves what is hard to undo (see [`ToolRegistry::with_approver`]): the tools that
    /// need approval and the coding agent's permission questions go to `approver`. Without one,
    /// those tools are refused and the agent's questions denied.
    pub fn approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// The registry. An agent without repositories is a usage error.
    pub fn build(self) -> Result<ToolRegistry, Error> {
        let mut registry = ToolRegistry::new();
        if let Some(graph) = &self.repos {
            registry = registry.with_repo_tools(graph.clone());
        }
        if let Some((agent, template)) = self.agent {
            let graph = self.repos.clone().ok_or_else(|| {
                Error::usage(
                    "the agent tool works in a workspace's repositories: pass `workspace` too",
                )
            })?;
            registry = registry.with_agent_tools(graph, agent.as_dyn(), template);
        }
        if let Some(provider) = self.environments {
            registry = registry.with_env_tools(provider);
        }
        if let Some(github) = self.github {
            let graph = self.repos.clone().ok_or_else(|| {
                Error::usage(
                    "the GitHub tools name a workspace's repositories: pass `workspace` too",
                )
            })?;
            registry = registry.with_github_tools(graph, github);
        }
        if let Some(granted) = self.permissions {
            registry = registry.with_permissions(granted);
        }
        if let Some(approver) = self.approver {
            registry = registry.with_approver(approver);
        }
        Ok(registry)
    }
}

impl std::fmt::Debug for ToolsBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolsBuilder")
            .field("repos", &self.repos.is_some())
            .field("agent", &self.agent.as_ref().map(|(agent, _)| agent))
            .field("environments", &self.environments.is_some())
            .field("github", &self.github.is_some())
            .field("permissions", &self.permissions)
            .field("approver", &self.approver.is_some())
            .finish()
    }
}

/// A permission by its configured name (`read`, `session`, `write_repos`, `run_agent`,
/// `manage_infra`).
pub fn parse_permission(name: &str) -> Result<Permission, Error> {
    name.parse().map_err(Error::Usage)
}
