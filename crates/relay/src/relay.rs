//! [`Relay`] and [`RelayBuilder`]: a workspace with the agent, the environment provider and the
//! permissions chosen once, and the tool registry wired from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use relay_core::agent::run::RunReport;
use relay_core::github::{GitHubApi, GitHubError};
use relay_core::infra::InfraProvider;
use relay_core::store::Store;
use relay_core::team::{Caller, Role};
use relay_core::tools::{Permission, Tool, ToolRegistry};
use relay_core::{Job, RepoGraph, Workspace};
use relay_infra::LimitedProvider;
use relay_repos::GitRepoGraph;

use crate::github::GitHubConfig;
use crate::identity::{self, Identity};
use crate::{Agent, AgentConfig, AgentRun, EnvironmentsConfig, Error, StoreChoice, ToolsBuilder};

/// A part of Relay that a [`RelayBuilder`] may be told to do without.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The workspace (and with it the repository and agent tools).
    Workspace,
    /// The coding agent (and the agent tool).
    Agent,
    /// The environment provider (and the environment tools).
    Environments,
    /// An MCP server of `mcp_servers:` (and its tools); one [`LeftOut`] per server.
    McpServers,
    /// GitHub (and the GitHub tools).
    GitHub,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Workspace => "workspace",
            Part::Agent => "agent",
            Part::Environments => "environments",
            Part::McpServers => "mcp_servers",
            Part::GitHub => "github",
        })
    }
}

/// An optional part that could not be had, and why.
#[derive(Debug)]
pub struct LeftOut {
    /// Which part.
    pub part: Part,
    /// Why it is missing; the message says what to do to have it.
    pub reason: Error,
}

#[derive(Clone)]
enum WorkspaceSource {
    /// `relay.yaml` in this directory or the nearest parent.
    Discover(Option<PathBuf>),
    /// Exactly this file, or `relay.yaml` in this directory.
    Load(PathBuf),
    /// An embedding application's own graph.
    Graph(Arc<dyn RepoGraph>),
}

/// The part `result` holds; when it failed, nothing for an optional part (the reason is noted
/// in `left_out`) and the error for a required one.
fn keep_or_leave_out<T>(
    result: Result<T, Error>,
    optional: bool,
    part: Part,
    left_out: &mut Vec<LeftOut>,
) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(reason) if optional => {
            left_out.push(LeftOut { part, reason });
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl std::fmt::Debug for WorkspaceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkspaceSource::Discover(start) => write!(f, "Discover({start:?})"),
            WorkspaceSource::Load(path) => write!(f, "Load({})", path.display()),
            WorkspaceSource::Graph(graph) => {
                write!(f, "Graph({})", graph.workspace().root().display())
            }
        }
    }
}

/// Builds a [`Relay`]: where the workspace is, which agent and environment provider to use,
/// what callers may do. Parts asked for with an `_if_available` method are left out (see
/// [`Relay::left_out`]) when they cannot be had; the others fail the build.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build()"]
pub struct RelayBuilder {
    workspace: WorkspaceSource,
    workspace_optional: bool,
    jobs: usize,
    agent: Option<(AgentConfig, bool)>,
    environments: Option<(EnvironmentsConfig, bool)>,
    github: Option<(Option<GitHubConfig>, bool)>,
    permissions: Option<Vec<Permission>>,
    store: Option<StoreChoice>,
    identity: Identity,
}

impl Default for RelayBuilder {
    fn default() -> Self {
        Self {
            workspace: WorkspaceSource::Discover(None),
            workspace_optional: false,
            jobs: 0,
            agent: None,
            environments: None,
            github: None,
            permissions: None,
            store: None,
            identity: Identity::FromEnvironment,
        }
    }
}

impl RelayBuilder {
    /// The workspace in `relay.yaml` at `path` (a file, or a directory holding one).
    pub fn workspace(mut self, path: impl Into<PathBuf>) -> Self {
        self.workspace = WorkspaceSource::Load(path.into());
        self
    }

    /// The workspace whose `relay.yaml` is in `start` or its nearest parent, like git finds
    /// `.git` (the default, from the current directory).
    pub fn discover_workspace(mut self, start: impl Into<PathBuf>) -> Self {
        self.workspace = WorkspaceSource::Discover(Some(start.into()));
        self
    }

    /// Repositories served by an embedding application's own [`RepoGraph`].
    pub fn graph(mut self, graph: Arc<dyn RepoGraph>) -> Self {
        self.workspace = WorkspaceSource::Graph(graph);
        self
    }

    /// Go on without a workspace when no `relay.yaml` is found (an invalid one still fails).
    pub fn workspace_if_found(mut self) -> Self {
        self.workspace_optional = true;
        self
    }

    /// Most repositories worked on at once (default: the number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// The coding agent; the build fails when it cannot run (Claude Code missing or too old).
    /// When the workspace is left out (see [`workspace_if_found`](Self::workspace_if_found)),
    /// the agent is left out too, unchecked: it has no repositories to work in.
    pub fn agent(mut self, config: AgentConfig) -> Self {
        self.agent = Some((config, false));
        self
    }

    /// The coding agent when it can run; else it is left out.
    pub fn agent_if_available(mut self, config: AgentConfig) -> Self {
        self.agent = Some((config, true));
        self
    }

    /// The environment provider; the build fails when it cannot be opened.
    pub fn environments(mut self, config: EnvironmentsConfig) -> Self {
        self.environments = Some((config, false));
        self
    }

    /// The environment provider when it can be opened (e.g. Proxmox settings are complete);
    /// else it is left out.
    pub fn environments_if_available(mut self, config: EnvironmentsConfig) -> Self {
        self.environments = Some((config, true));
        self
    }

    /// GitHub with `config` (see [`GitHubConfig::from_env`]): the GitHub tools, and GitHub's
    /// highlights in `project_status`.
    pub fn github(mut self, config: GitHubConfig) -> Self {
        self.github = Some((Some(config), false));
        self
    }

    /// GitHub from the environment (`GITHUB_TOKEN`, else `GH_TOKEN`) when a token is set;
    /// otherwise left out with the reason.
    pub fn github_if_available(mut self) -> Self {
        self.github = Some((None, true));
        self
    }

    /// What callers of the tools may do (default: everything).
    pub fn permissions(mut self, permissions: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(permissions.into_iter().collect());
        self
    }

    /// Relay's memory (audit log, sessions, jobs, tokens): the store `choice` names. A store
    /// that cannot be reached or opened fails the build with an error naming its URL (password
    /// redacted); there is no silent fallback. Without this, Relay keeps nothing.
    pub fn store(mut self, choice: StoreChoice) -> Self {
        self.store = Some(choice);
        self
    }

    /// Who is asking (default: `RELAY_USER`, else the OS user). With a `team:` section in
    /// `relay.yaml` the user must be listed; their role decides what the tools allow.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Shorthand for `.identity(Identity::User(user))`.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.identity(Identity::User(user.into()))
    }

    /// Shorthand for `.identity(Identity::Token(token))`: the user is whoever the token (made
    /// by `relay team token create`) belongs to; a wrong or revoked token fails the build.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.identity(Identity::Token(token.into()))
    }

    /// Opens the workspace, checks the agent, opens the provider, connects the workspace's
    /// MCP servers (one that cannot be had is left out, see [`Relay::left_out`]).
    pub async fn build(self) -> Result<Relay, Error> {
        let mut left_out = Vec::new();
        let graph = match self.open_graph() {
            // Only a missing workspace may be left out: an invalid one is always an error.
            Err(e) if !e.is_workspace_not_found() => return Err(e),
            opened => keep_or_leave_out(
                opened,
                self.workspace_optional,
                Part::Workspace,
                &mut left_out,
            )?,
        };
        let agent = match self.agent {
            None => None,
            // The agent works in the workspace's repositories: without one it is not checked.
            Some(_) if graph.is_none() => {
                left_out.push(LeftOut {
                    part: Part::Agent,
                    reason: Error::usage(
                        "no workspace, so no repositories for the coding agent to work in",
                    ),
                });
                None
            }
            Some((config, optional)) => {
                let agent = config.build();
                let checked = agent.check().await.map(|()| (agent, config));
                keep_or_leave_out(checked, optional, Part::Agent, &mut left_out)?
            }
        };
        let workspace = graph.as_deref().map(|g| g.workspace());
        // A token is checked against the store: the configured one when none was chosen.
        let choice = match (&self.store, &self.identity) {
            (None, Identity::Token(_)) => Some(StoreChoice::Configured),
            (choice, _) => choice.clone(),
        };
        let store = match choice {
            None => None,
            Some(choice) => Some(relay_store::open(&choice.resolve(workspace)?).await?),
        };
        let caller = identity::resolve(&self.identity, workspace, store.as_deref()).await?;
        let environments = match self.environments {
            None => None,
            Some((config, optional)) => keep_or_leave_out(
                config.open(graph.clone()),
                optional,
                Part::Environments,
                &mut left_out,
            )?,
        };
        let mut mcp_tools = Vec::new();
        if let Some(graph) = &graph {
            let workspace = graph.workspace();
            for server in workspace.mcp_servers() {
                match relay_mcp::client::connect(server, workspace.root()).await {
                    Ok(tools) => mcp_tools.extend(tools),
                    Err(e) => left_out.push(LeftOut {
                        part: Part::McpServers,
                        reason: e.into(),
                    }),
                }
            }
        }
        let github = match self.github {
            None => None,
            Some((config, optional)) => {
                let client = match config {
                    Some(config) => crate::github::connect_with(&config),
                    None => crate::github::connect(),
                };
                keep_or_leave_out(client, optional, Part::GitHub, &mut left_out)?
            }
        };
        // The caller's limits: always for a team member, and with a store for everyone (it
        // records who owns which environment).
        let environments = environments.map(|provider| {
            if store.is_some() || caller.role != Role::Admin {
                Arc::new(LimitedProvider::new(
                    provider,
                    caller.clone(),
                    store.clone(),
                )) as Arc<dyn InfraProvider>
            } else {
                provider
            }
        });
        Ok(Relay {
            graph,
            agent,
            environments,
            github,
            permissions: self.permissions,
            mcp_tools,
            left_out,
            store,
            caller,
        })
    }

    fn open_graph(&self) -> Result<Arc<dyn RepoGraph>, Error> {
        let workspace = match &self.workspace {
            WorkspaceSource::Graph(graph) => return Ok(graph.clone()),
            WorkspaceSource::Load(path) => Workspace::load(path)?,
            WorkspaceSource::Discover(Some(start)) => Workspace::discover(start)?,
            WorkspaceSource::Discover(None) => {
                Workspace::discover(std::env::current_dir().map_err(|e| {
                    Error::usage(format!("cannot read the current directory: {e}"))
                })?)?
            }
        };
        Ok(Arc::new(GitRepoGraph::with_jobs(workspace, self.jobs)))
    }
}

/// Relay for one workspace: its repositories, the coding agent, the environment provider, and
/// the tools a voice model (or any caller) acts through.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), relay::Error> {
/// use relay::core::repo::SyncOptions;
/// use relay::{AgentChoice, AgentConfig, AgentRun, EnvironmentsConfig, ProviderKind, Relay};
///
/// // The sample workspace `relay demo` makes: four repositories with bare origins.
/// let dir = tempfile::tempdir().unwrap();
/// let sample = relay::repos::demo::create_sample_workspace(&dir.path().join("acme"))?;
///
/// let relay = Relay::builder()
///     .workspace(&sample.workspace)
///     .agent(AgentConfig::new(AgentChoice::Shell))
///     .environments(EnvironmentsConfig::new().provider(ProviderKind::Local))
///     .build()
///     .await?;
/// relay.require_graph()?.sync(SyncOptions::new()).wait().await?; // clone from the origins
///
/// let registry = relay.tools()?;
/// assert!(registry.spec("run_agent_task").is_some() && registry.spec("env_up").is_some());
/// let report = relay.run_agent(AgentRun::new("git status --short"))?.wait().await?;
/// assert!(report.all_succeeded());
/// # Ok(()) }
/// ```
pub struct Relay {
    graph: Option<Arc<dyn RepoGraph>>,
    agent: Option<(Agent, AgentConfig)>,
    environments: Option<Arc<dyn InfraProvider>>,
    permissions: Option<Vec<Permission>>,
    mcp_tools: Vec<Arc<dyn Tool>>,
    github: Option<Arc<dyn GitHubApi>>,
    left_out: Vec<LeftOut>,
    store: Option<Arc<dyn Store>>,
    caller: Caller,
}

impl Relay {
    /// A builder: the workspace discovered from the current directory, no agent, no
    /// environments, every permission.
    pub fn builder() -> RelayBuilder {
        RelayBuilder::default()
    }

    /// Opens the workspace at `path`: a configuration file is loaded as it is; for a directory,
    /// `relay.yaml` is looked for there and in its parents, like git looks for `.git`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let builder = if path.is_file() {
            Self::builder().workspace(path)
        } else {
            Self::builder().discover_workspace(path)
        };
        Ok(Self::from_graph(builder.open_graph()?))
    }

    /// Relay over an embedding application's own [`RepoGraph`]. The caller is the current
    /// user: an admin without a `team:` section, else their listed role (a developer when they
    /// are not listed).
    pub fn from_graph(graph: Arc<dyn RepoGraph>) -> Self {
        let user = identity::current_user();
        let caller = match graph.workspace().team() {
            [] => Caller::new(user, Role::Admin),
            team => match team.iter().find(|m| m.user == user) {
                Some(member) => Caller::member(member),
                None => Caller::new(user, Role::Developer),
            },
        };
        Self {
            graph: Some(graph),
            agent: None,
            environments: None,
            permissions: None,
            mcp_tools: Vec::new(),
            github: None,
            left_out: Vec::new(),
            store: None,
            caller,
        }
    }

    /// The store, when Relay was built with one.
    pub fn store(&self) -> Option<Arc<dyn Store>> {
        self.store.clone()
    }

    /// The store, or a usage error saying how to have one.
    pub fn require_store(&self) -> Result<Arc<dyn Store>, Error> {
        self.store.clone().ok_or_else(|| {
            Error::usage("this needs a store: build Relay with .store(StoreChoice::Configured)")
        })
    }

    /// Who is asking.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// `Ok` when the caller may use `permission` (to do `what`); else [`Error::Denied`] naming
    /// the role that may.
    pub fn require(&self, permission: Permission, what: &str) -> Result<(), Error> {
        self.caller.require(permission, what).map_err(Error::Denied)
    }

    /// The repositories, when there is a workspace.
    pub fn graph(&self) -> Option<Arc<dyn RepoGraph>> {
        self.graph.clone()
    }

    /// The repositories, or a usage error saying how to point Relay at a workspace.
    pub fn require_graph(&self) -> Result<Arc<dyn RepoGraph>, Error> {
        self.graph
            .clone()
            .ok_or_else(|| match self.left_out_part(Part::Workspace) {
                Some(left) => Error::usage(left.reason.to_string()),
                None => Error::usage("this needs a workspace: build Relay with one"),
            })
    }

    /// The workspace configuration, when there is one.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.graph.as_deref().map(|graph| graph.workspace())
    }

    /// The coding agent, when one was configured and can run.
    pub fn agent(&self) -> Option<&Agent> {
        self.agent.as_ref().map(|(agent, _)| agent)
    }

    /// The environment provider, when one was configured and opened.
    pub fn environments(&self) -> Option<Arc<dyn InfraProvider>> {
        self.environments.clone()
    }

    /// The GitHub client, when one was configured (or found in the environment).
    pub fn github(&self) -> Option<Arc<dyn GitHubApi>> {
        self.github.clone()
    }

    /// The GitHub client, or an error saying how to have one.
    pub fn require_github(&self) -> Result<Arc<dyn GitHubApi>, Error> {
        self.github
            .clone()
            .ok_or_else(|| match self.left_out_part(Part::GitHub) {
                Some(left) => Error::usage(left.reason.to_string()),
                None => Error::GitHub(GitHubError::MissingToken),
            })
    }

    /// The optional parts that could not be had, with the reason for each.
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    fn left_out_part(&self, part: Part) -> Option<&LeftOut> {
        self.left_out.iter().find(|l| l.part == part)
    }

    /// The tool registry over every part Relay has: repository tools with a workspace, the
    /// agent tool with a workspace and an agent, environment tools with a provider, the tools of
    /// the workspace's `mcp_servers:` (connected by [`RelayBuilder::build`], named
    /// `<server>__<tool>`); restricted to the configured permissions and to the caller's role;
    /// every call audited when there is a store.
    pub fn tools(&self) -> Result<ToolRegistry, Error> {
        self.tools_for_session(None)
    }

    /// [`tools`](Self::tools) whose audit entries name `session`.
    pub fn tools_for_session(&self, session: Option<String>) -> Result<ToolRegistry, Error> {
        let mut tools = ToolsBuilder::new();
        if let Some(graph) = &self.graph {
            tools = tools.repos(graph.clone());
            if let Some((agent, config)) = &self.agent {
                tools = tools.built_agent(agent.clone(), config.template(""));
            }
        }
        if let Some(provider) = &self.environments {
            tools = tools.environments(provider.clone());
        }
        if let (Some(github), Some(_)) = (&self.github, &self.graph) {
            tools = tools.github(github.clone());
        }
        if let Some(granted) = &self.permissions {
            tools = tools.permissions(granted.iter().copied());
        }
        let mut registry = tools
            .build()?
            .with_tools(self.mcp_tools.iter().cloned())
            .for_caller(self.caller.clone());
        if let Some(store) = &self.store {
            registry = registry.audited(store.clone(), session);
        }
        Ok(registry)
    }

    /// Starts `run` with the configured agent across the workspace's repositories, in
    /// dependency order (see [`run_agent`](crate::run_agent)).
    pub fn run_agent(&self, run: AgentRun) -> Result<Job<RunReport, Error>, Error> {
        let graph = self.require_graph()?;
        let (_, config) = self.agent.as_ref().ok_or_else(|| {
            Error::usage("no coding agent: build Relay with .agent(AgentConfig::new(..))")
        })?;
        crate::run_agent(graph, config, run)
    }
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("workspace", &self.workspace().map(|w| w.root()))
            .field("agent", &self.agent())
            .field(
                "environments",
                &self.environments.as_ref().map(|p| p.provider_name()),
            )
            .field("permissions", &self.permissions)
            .field("store", &self.store.as_ref().map(|s| s.url()))
            .field("caller", &self.caller)
            .field("left_out", &self.left_out)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AgentChoice;

    #[tokio::test]
    async fn without_a_workspace_the_agent_is_left_out_unchecked() {
        let dir = tempfile::tempdir().unwrap();
        // A required agent that could not run: without a workspace it is not even checked.
        let relay = Relay::builder()
            .discover_workspace(dir.path())
            .workspace_if_found()
            .agent(AgentConfig::new(AgentChoice::Claude).claude_binary("/nonexistent/claude"))
            .build()
            .await
            .unwrap();
        let parts: Vec<Part> = relay.left_out().iter().map(|l| l.part).collect();
        assert_eq!(parts, [Part::Workspace, Part::Agent]);
        assert!(relay.left_out()[0].reason.is_workspace_not_found());
        assert!(relay.agent().is_none() && relay.graph().is_none());
        assert!(relay.tools().unwrap().specs().is_empty());
    }
}
