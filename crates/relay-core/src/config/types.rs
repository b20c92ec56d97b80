//! The validated configuration: [`Workspace`] and what it holds.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mcp::McpServerSpec;
use crate::graph::DependencyGraph;
use crate::infra::InfraConfig;
use crate::store::StoreUrl;
use crate::team::TeamMember;

/// The validated `store:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The store to use; `None`: `RELAY_STORE_URL`, else `<workspace>/.relay/relay.db`.
    /// A relative SQLite path is resolved against the workspace root.
    pub url: Option<StoreUrl>,
    /// How long a session is kept after its last change (default 7 days).
    pub session_ttl: std::time::Duration,
}

/// How `relay sync` updates a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStrategy {
    /// Keep the default branch (the remote's HEAD, usually `main`) fast-forwarded to the remote,
    /// whichever branch is checked out.
    #[default]
    MainBranch,
    /// Fast-forward the checked-out branch to its upstream.
    FeatureBranch,
}

/// What a sync rule does when its trigger moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Sync the listed repositories too, in the same run.
    UpdateDependents,
    /// Only report that the listed repositories are affected.
    Notify,
}

/// A repository of the workspace, validated and with its path resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSpec {
    /// Unique name; also the default directory name.
    pub name: String,
    /// Where to clone from; `None` for a local-only repository.
    pub url: Option<String>,
    /// Absolute path of the working tree, inside the workspace.
    pub path: PathBuf,
    /// Names of the repositories this one depends on (per-repo list merged with
    /// `dependency_graph`), in the order written.
    pub dependencies: Vec<String>,
    /// How sync updates it.
    pub sync_strategy: SyncStrategy,
    /// Whether a plain `relay sync` includes it.
    pub auto_sync: bool,
    /// The `github: OWNER/NAME` key, validated; `None` when absent (the GitHub repository is
    /// then read from `url`, see [`RepoSpec::github_repo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<String>,
}

impl RepoSpec {
    /// The repository on GitHub: the `github:` key, else the owner and name in `url`
    /// (`git@github.com:o/n.git`, `https://github.com/o/n(.git)`, `ssh://git@github.com/o/n`).
    /// `None` when neither says one: the repository is not on GitHub.
    pub fn github_repo(&self) -> Option<crate::github::RepoSlug> {
        match &self.github {
            Some(slug) => slug.parse().ok(),
            None => self
                .url
                .as_deref()
                .and_then(crate::github::RepoSlug::from_url),
        }
    }
}

/// A validated sync rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRule {
    /// The repository whose branch triggers the rule.
    pub repo: String,
    /// The branch of `repo` that triggers the rule.
    pub branch: String,
    /// What to do.
    pub action: RuleAction,
    /// The repositories to update or notify.
    pub notify: Vec<String>,
}

/// A loaded, validated workspace.
///
/// Made by [`Workspace::discover`], [`Workspace::load`], [`Workspace::parse`] or
/// [`Workspace::from_repos`] (see `load.rs`).
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(super) root: PathBuf,
    pub(super) config_file: Option<PathBuf>,
    pub(super) repos: Vec<RepoSpec>,
    pub(super) sync_rules: Vec<SyncRule>,
    pub(super) graph: DependencyGraph,
    pub(super) infra: Option<InfraConfig>,
    pub(super) mcp_servers: Vec<McpServerSpec>,
    pub(super) store: StoreConfig,
    pub(super) team: Vec<TeamMember>,
}

impl Workspace {
    /// The `infra:` section, if the file has one.
    pub fn infra(&self) -> Option<&InfraConfig> {
        self.infra.as_ref()
    }

    /// The MCP servers of `mcp_servers:`, in the order written.
    pub fn mcp_servers(&self) -> &[McpServerSpec] {
        &self.mcp_servers
    }

    /// The `store:` section (defaults when the file has none).
    pub fn store(&self) -> &StoreConfig {
        &self.store
    }

    /// The `team:` section: users and their roles (empty: no team configured).
    pub fn team(&self) -> &[TeamMember] {
        &self.team
    }

    /// The workspace root (the directory of `relay.yaml`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration file, when loaded from one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// Repositories in the order the file lists them.
    pub fn repos(&self) -> &[RepoSpec] {
        &self.repos
    }

    /// The repository called `name`.
    pub fn repo(&self, name: &str) -> Option<&RepoSpec> {
        self.repos.iter().find(|r| r.name == name)
    }

    /// Validated sync rules.
    pub fn sync_rules(&self) -> &[SyncRule] {
        &self.sync_rules
    }

    /// The dependency graph.
    pub fn graph(&self) -> &DependencyGraph {
        &self.graph
    }
}
