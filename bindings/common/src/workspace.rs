//! [`WorkspaceHandle`]: a workspace and its [`RepoGraph`], with every operation in the shape the
//! bindings expose (names and selections in, JSON-ready values or [`JobHandle`]s out).

use std::sync::Arc;

use relay::core::graph::Edge;
use relay::core::repo::RepoStatus;
use relay::core::repo::{
    BranchOptions, CommitOptions, PushOptions, RepoSelection, SyncOptions, unknown_repo,
};
use relay::core::{DependencyGraph, Impact, RepoGraph, RepoSpec, Workspace};
use serde::Serialize;

use crate::error::BindingError;
use crate::job::JobHandle;

/// Which repositories an operation covers, as every binding passes it: nothing for all, a list
/// of names, or the repositories affected by a change to some (those and their dependents).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
}

impl Selection {
    /// The selection as Relay's core type; both lists at once is a usage error.
    pub fn into_core(self) -> Result<RepoSelection, BindingError> {
        match (self.repos, self.affected_by) {
            (None, None) => Ok(RepoSelection::All),
            (Some(names), None) => Ok(RepoSelection::Named(names)),
            (None, Some(names)) => Ok(RepoSelection::AffectedBy(names)),
            (Some(_), Some(_)) => Err(BindingError::usage(
                "pass either `repos` (exactly these repositories) or `affected_by` (these and their \
                 dependents), not both",
            )),
        }
    }
}

/// The dependency graph as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphView {
    /// Repositories in workspace order.
    pub repos: Vec<String>,
    /// Dependency edges: `from` depends on `to`.
    pub edges: Vec<Edge>,
    /// Repositories grouped so that each batch depends only on earlier batches.
    pub batches: Vec<Vec<String>>,
}

/// An open workspace: its configuration and the [`RepoGraph`] serving it.
#[derive(Clone)]
pub struct WorkspaceHandle {
    graph: Arc<dyn RepoGraph>,
}

impl WorkspaceHandle {
    /// Opens a workspace: `path` may be a configuration file (loaded as is) or a directory where
    /// `relay.yaml` is looked for there and in its parents, like git looks for `.git`; `None`
    /// searches from the current directory ([`relay::Relay::open`]).
    pub fn open(path: Option<&str>) -> Result<Self, BindingError> {
        let relay = relay::Relay::open(path.unwrap_or("."))?;
        Ok(Self::from_graph(relay.require_graph()?))
    }

    /// Wraps another [`RepoGraph`] implementation (an embedding application's own).
    pub fn from_graph(graph: Arc<dyn RepoGraph>) -> Self {
        Self { graph }
    }

    /// The [`RepoGraph`] serving the workspace (for the agent, environment and tool facades).
    pub fn repo_graph(&self) -> Arc<dyn RepoGraph> {
        self.graph.clone()
    }

    fn workspace(&self) -> &Workspace {
        self.graph.workspace()
    }

    fn dependency_graph(&self) -> &DependencyGraph {
        self.workspace().graph()
    }

    /// The workspace's root directory.
    pub fn root(&self) -> String {
        self.workspace().root().display().to_string()
    }

    /// The configuration file it was loaded from, if any.
    pub fn config_file(&self) -> Option<String> {
        self.workspace()
            .config_file()
            .map(|p| p.display().to_string())
    }

    /// The repositories as configured (name, url, path, dependencies, sync_strategy, auto_sync).
    pub fn repos(&self) -> Vec<RepoSpec> {
        self.workspace().repos().to_vec()
    }

    /// The dependency graph: `{repos, edges, batches}`.
    pub fn graph(&self) -> GraphView {
        let graph = self.dependency_graph();
        GraphView {
            repos: graph.repos(),
            edges: graph.edges(),
            batches: graph.batches(),
        }
    }

    /// What a change to `changed` affects: `{changed, direct, transitive, batches}`.
    pub fn impact(&self, changed: &[String]) -> Result<Impact, BindingError> {
        if let Some(name) = changed
            .iter()
            .find(|n| !self.dependency_graph().contains(n))
        {
            return Err(unknown_repo(self.workspace(), name).into());
        }
        Ok(self.graph.impact(changed)?)
    }

    /// Status of the selected repositories, in dependency order.
    pub async fn status(&self, selection: Selection) -> Result<Vec<RepoStatus>, BindingError> {
        let selection = selection.into_core()?;
        Ok(self.graph.status(selection).await?)
    }

    /// The repositories with commits not reachable from `rev` or with uncommitted changes.
    pub async fn changed_since(&self, rev: &str) -> Result<Vec<String>, BindingError> {
        Ok(self.graph.changed_since(rev).await?)
    }

    /// Paths changed in `repo` since `since` (uncommitted changes only when `None`).
    pub async fn changed_files(
        &self,
        repo: &str,
        since: Option<&str>,
    ) -> Result<Vec<String>, BindingError> {
        Ok(self.graph.changed_files(repo, since).await?)
    }

    /// Starts a sync (clone missing, fetch, fast-forward). Must run inside a tokio runtime.
    pub fn sync(&self, selection: Selection, jobs: u32) -> Result<JobHandle, BindingError> {
        let options = SyncOptions::new()
            .repos(selection.into_core()?)
            .jobs(jobs as usize);
        Ok(JobHandle::new(self.graph.sync(options)))
    }

    /// Starts creating or switching to branch `name`. Must run inside a tokio runtime.
    pub fn branch(
        &self,
        name: &str,
        selection: Selection,
        jobs: u32,
    ) -> Result<JobHandle, BindingError> {
        let options = BranchOptions::new(name)
            .repos(selection.into_core()?)
            .jobs(jobs as usize);
        Ok(JobHandle::new(self.graph.branch(options)))
    }

    /// Starts committing with `message` (`all`: stage tracked changes first, like `git commit -a`).
    /// Must run inside a tokio runtime.
    pub fn commit(
        &self,
        message: &str,
        selection: Selection,
        all: bool,
        jobs: u32,
    ) -> Result<JobHandle, BindingError> {
        let options = CommitOptions::new(message)
            .repos(selection.into_core()?)
            .all(all)
            .jobs(jobs as usize);
        Ok(JobHandle::new(self.graph.commit(options)))
    }

    /// Starts pushing the checked-out branches to `origin`. Must run inside a tokio runtime.
    pub fn push(
        &self,
        selection: Selection,
        set_upstream: bool,
        jobs: u32,
    ) -> Result<JobHandle, BindingError> {
        let options = PushOptions {
            repos: selection.into_core()?,
            set_upstream,
            jobs: jobs as usize,
        };
        Ok(JobHandle::new(self.graph.push(options)))
    }
}

impl std::fmt::Debug for WorkspaceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkspaceHandle")
            .field("root", &self.workspace().root())
            .finish_non_exhaustive()
    }
}

/// `value` as JSON text: how results reach Python and JavaScript (decoded there by the
/// runtime's native JSON parser, the cheapest way to build their objects).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("Relay's public types always serialize to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::workspace;

    #[tokio::test]
    async fn opens_by_discovery_and_reads_status_graph_and_impact() {
        let dir = workspace();
        std::fs::write(dir.path().join("app/new.txt"), "x").unwrap();
        let sub = dir.path().join("app");
        let ws = WorkspaceHandle::open(Some(sub.to_str().unwrap())).unwrap();
        assert_eq!(ws.graph().batches, vec![vec!["api"], vec!["app"]]);
        let impact = ws.impact(&["api".into()]).unwrap();
        assert_eq!(impact.direct, vec!["app"]);
        let status = ws.status(Selection::default()).await.unwrap();
        assert_eq!(status[1].name, "app");
        assert_eq!(status[1].untracked, 1);
        assert_eq!(status[0].branch.as_deref(), Some("main"));
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let dir = workspace();
        let ws = WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap();
        let err = ws.impact(&["nope".into()]).unwrap_err();
        assert_eq!(err.code, "unknown_repo");
        assert!(err.message.contains("api, app"), "{}", err.message);
        let both = Selection {
            repos: Some(vec![]),
            affected_by: Some(vec![]),
        };
        assert_eq!(both.into_core().unwrap_err().code, "usage");
        let empty = tempfile::tempdir().unwrap();
        let err = WorkspaceHandle::open(Some(empty.path().to_str().unwrap())).unwrap_err();
        assert_eq!(err.code, "config");
        assert!(
            err.message.contains("no relay.yaml found"),
            "{}",
            err.message
        );
    }
}
