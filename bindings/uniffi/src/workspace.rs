//! `Workspace`: an open workspace (relay.yaml) and its repository operations.

use std::sync::Arc;

use relay_bindings_common::{Selection, WorkspaceHandle};

use crate::error::RelayError;
use crate::job::Job;
use crate::records::{DependencyGraph, Impact, RepoSpec, RepoStatus};
use crate::runtime;

/// A workspace: the repositories of `relay.yaml`, their dependency graph and the operations
/// across them.
#[derive(uniffi::Object)]
pub struct Workspace {
    inner: WorkspaceHandle,
}

fn selection(repos: Option<Vec<String>>, affected_by: Option<Vec<String>>) -> Selection {
    Selection { repos, affected_by }
}

impl Workspace {
    /// The shared facade, for the methods other modules add (agent runs).
    pub(crate) fn handle(&self) -> &WorkspaceHandle {
        &self.inner
    }
}

#[uniffi::export]
impl Workspace {
    /// Opens a workspace: `path` is a configuration file, or a directory where `relay.yaml` is
    /// looked for there and in its parents (like git); absent, the search starts in the current
    /// directory. Throws `Config` naming the file, line and fix.
    #[uniffi::constructor(default(path = None))]
    pub fn open(path: Option<String>) -> Result<Arc<Self>, RelayError> {
        Ok(Arc::new(Self {
            inner: WorkspaceHandle::open(path.as_deref())?,
        }))
    }

    /// The workspace's root directory.
    pub fn root(&self) -> String {
        self.inner.root()
    }

    /// The configuration file it was loaded from.
    pub fn config_file(&self) -> Option<String> {
        self.inner.config_file()
    }

    /// The repositories as configured.
    pub fn repos(&self) -> Vec<RepoSpec> {
        self.inner.repos().into_iter().map(Into::into).collect()
    }

    /// The dependency graph.
    pub fn graph(&self) -> DependencyGraph {
        self.inner.graph().into()
    }

    /// What a change to `changed` affects.
    pub fn impact(&self, changed: Vec<String>) -> Result<Impact, RelayError> {
        Ok(self.inner.impact(&changed)?.into())
    }

    /// Status of the selected repositories (all by default), in dependency order.
    #[uniffi::method(default(repos = None, affected_by = None))]
    pub async fn status(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
    ) -> Result<Vec<RepoStatus>, RelayError> {
        let inner = self.inner.clone();
        let status = runtime::run(async move { inner.status(selection(repos, affected_by)).await })
            .await??;
        Ok(status.into_iter().map(Into::into).collect())
    }

    /// Names of repositories with commits not reachable from `rev` or uncommitted changes.
    pub async fn changed_since(&self, rev: String) -> Result<Vec<String>, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.changed_since(&rev).await }).await??)
    }

    /// Paths changed in `repo` since commit `since` (uncommitted changes when absent).
    #[uniffi::method(default(since = None))]
    pub async fn changed_files(
        &self,
        repo: String,
        since: Option<String>,
    ) -> Result<Vec<String>, RelayError> {
        let inner = self.inner.clone();
        Ok(
            runtime::run(async move { inner.changed_files(&repo, since.as_deref()).await })
                .await??,
        )
    }

    /// Starts a sync (clone missing repositories, fetch, fast-forward); the job's result is the
    /// sync report as JSON.
    #[uniffi::method(default(repos = None, affected_by = None, jobs = 0))]
    pub fn sync(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        jobs: u32,
    ) -> Result<Arc<Job>, RelayError> {
        let handle = runtime::enter(|| self.inner.sync(selection(repos, affected_by), jobs))?;
        Ok(Job::new(handle))
    }

    /// Starts creating (at HEAD) or switching to branch `name`; the result is the branch report
    /// as JSON.
    #[uniffi::method(default(repos = None, affected_by = None, jobs = 0))]
    pub fn branch(
        &self,
        name: String,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        jobs: u32,
    ) -> Result<Arc<Job>, RelayError> {
        let handle = runtime::enter(|| {
            self.inner
                .branch(&name, selection(repos, affected_by), jobs)
        })?;
        Ok(Job::new(handle))
    }

    /// Starts committing with `message` (`all`: stage tracked changes first, like `git commit -a`);
    /// the result is the commit report as JSON.
    #[uniffi::method(default(repos = None, affected_by = None, all = false, jobs = 0))]
    pub fn commit(
        &self,
        message: String,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        all: bool,
        jobs: u32,
    ) -> Result<Arc<Job>, RelayError> {
        let handle = runtime::enter(|| {
            self.inner
                .commit(&message, selection(repos, affected_by), all, jobs)
        })?;
        Ok(Job::new(handle))
    }

    /// Starts pushing the checked-out branches to `origin`; the result is the push report as JSON.
    #[uniffi::method(default(repos = None, affected_by = None, set_upstream = true, jobs = 0))]
    pub fn push(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        set_upstream: bool,
        jobs: u32,
    ) -> Result<Arc<Job>, RelayError> {
        let handle = runtime::enter(|| {
            self.inner
                .push(selection(repos, affected_by), set_upstream, jobs)
        })?;
        Ok(Job::new(handle))
    }
}
