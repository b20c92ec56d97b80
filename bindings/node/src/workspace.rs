//! `Workspace`: an open workspace (relay.yaml) and its repository operations.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{BindingError, Selection, WorkspaceHandle, to_json};

use crate::convert::{ClassHandle, js_error, parse_json, spawn_json};
use crate::job::Job;

/// Which repositories an operation covers; both absent means all.
#[napi(object)]
pub struct SelectionOptions {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
}

/// Options of `sync` and `branch`.
#[napi(object)]
pub struct JobOptions {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
    /// How many repositories at once (default: number of cores).
    pub jobs: Option<u32>,
}

/// Options of `commit`.
#[napi(object)]
pub struct CommitOptions {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
    /// Stage changes to tracked files first, like `git commit -a` (default false).
    pub all: Option<bool>,
    /// How many repositories at once (default: number of cores).
    pub jobs: Option<u32>,
}

/// Options of `push`.
#[napi(object)]
pub struct PushOptions {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
    /// Set the pushed branch's upstream (default true).
    pub set_upstream: Option<bool>,
    /// How many repositories at once (default: number of cores).
    pub jobs: Option<u32>,
}

/// A workspace: the repositories of `relay.yaml`, their dependency graph and the operations
/// across them. Open one with `Workspace.open(path)`.
#[napi]
pub struct Workspace {
    pub(crate) inner: WorkspaceHandle,
}

#[napi]
impl Workspace {
    /// Opens a workspace: `path` is a configuration file, or a directory where `relay.yaml` is
    /// looked for there and in its parents (like git); omitted, the search starts in the current
    /// directory. Throws an Error with code `config` naming the file, line and fix.
    #[napi(factory)]
    pub fn open(env: &Env, path: Option<String>) -> Result<Self> {
        WorkspaceHandle::open(path.as_deref())
            .map(|inner| Self { inner })
            .map_err(|e| js_error(env, e))
    }

    /// The workspace's root directory.
    #[napi(getter)]
    pub fn root(&self) -> String {
        self.inner.root()
    }

    /// The configuration file the workspace was loaded from.
    #[napi(getter)]
    pub fn config_file(&self) -> Option<String> {
        self.inner.config_file()
    }

    /// The repositories as configured.
    #[napi(ts_return_type = "RepoSpec[]")]
    pub fn repos<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, to_json(&self.inner.repos()))
    }

    /// The dependency graph: repositories, edges (`from` depends on `to`) and batches.
    #[napi(ts_return_type = "DependencyGraph")]
    pub fn graph<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, to_json(&self.inner.graph()))
    }

    /// What a change to `changed` affects.
    #[napi(ts_return_type = "Impact")]
    pub fn impact<'env>(&self, env: &'env Env, changed: Vec<String>) -> Result<Unknown<'env>> {
        match self.inner.impact(&changed) {
            Ok(value) => parse_json(env, to_json(&value)),
            Err(e) => Err(js_error(env, e)),
        }
    }

    /// Status of the selected repositories (all by default), in dependency order.
    #[napi(ts_return_type = "Promise<RepoStatus[]>")]
    pub fn status<'env>(
        &self,
        env: &'env Env,
        options: Option<SelectionOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let selection = options.map_or_else(Selection::default, |o| Selection {
            repos: o.repos,
            affected_by: o.affected_by,
        });
        spawn_json(env, async move {
            inner.status(selection).await.map(|v| to_json(&v))
        })
    }

    /// Names of repositories with commits not reachable from `rev` (a branch, tag or
    /// remote-tracking ref) or with uncommitted changes.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn changed_since<'env>(
        &self,
        env: &'env Env,
        rev: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner.changed_since(&rev).await.map(|v| to_json(&v))
        })
    }

    /// Paths changed in `repo` since commit `since` (uncommitted changes when omitted).
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn changed_files<'env>(
        &self,
        env: &'env Env,
        repo: String,
        since: Option<String>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner
                .changed_files(&repo, since.as_deref())
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Starts a sync (clone missing repositories, fetch, fast-forward); the job's result is a
    /// `SyncReport`.
    #[napi]
    pub fn sync(&self, env: &Env, options: Option<JobOptions>) -> Result<Job> {
        let (selection, jobs) = job_options(options);
        start(env, || self.inner.sync(selection, jobs))
    }

    /// Starts creating (at HEAD) or switching to branch `name`; the result is a `BranchReport`.
    #[napi]
    pub fn branch(&self, env: &Env, name: String, options: Option<JobOptions>) -> Result<Job> {
        let (selection, jobs) = job_options(options);
        start(env, || self.inner.branch(&name, selection, jobs))
    }

    /// Starts committing with `message`; the result is a `CommitReport`.
    #[napi]
    pub fn commit(
        &self,
        env: &Env,
        message: String,
        options: Option<CommitOptions>,
    ) -> Result<Job> {
        let o = options.unwrap_or(CommitOptions {
            repos: None,
            affected_by: None,
            all: None,
            jobs: None,
        });
        let selection = Selection {
            repos: o.repos,
            affected_by: o.affected_by,
        };
        let (all, jobs) = (o.all.unwrap_or(false), o.jobs.unwrap_or(0));
        start(env, || self.inner.commit(&message, selection, all, jobs))
    }

    /// Starts pushing the checked-out branches to `origin`; the result is a `PushReport`.
    #[napi]
    pub fn push(&self, env: &Env, options: Option<PushOptions>) -> Result<Job> {
        let o = options.unwrap_or(PushOptions {
            repos: None,
            affected_by: None,
            set_upstream: None,
            jobs: None,
        });
        let selection = Selection {
            repos: o.repos,
            affected_by: o.affected_by,
        };
        let (set_upstream, jobs) = (o.set_upstream.unwrap_or(true), o.jobs.unwrap_or(0));
        start(env, || self.inner.push(selection, set_upstream, jobs))
    }
}

impl ClassHandle for Workspace {
    const NAME: &'static str = "Workspace";
    const MADE_BY: &'static str = "Workspace.open(path)";
    type Handle = WorkspaceHandle;
    fn handle(&self) -> Self::Handle {
        self.inner.clone()
    }
}

fn job_options(options: Option<JobOptions>) -> (Selection, u32) {
    match options {
        Some(o) => (
            Selection {
                repos: o.repos,
                affected_by: o.affected_by,
            },
            o.jobs.unwrap_or(0),
        ),
        None => (Selection::default(), 0),
    }
}

/// Starts a job inside the tokio runtime, turning a refusal into a thrown Error.
pub(crate) fn start(
    env: &Env,
    begin: impl FnOnce() -> std::result::Result<relay_bindings_common::JobHandle, BindingError>,
) -> Result<Job> {
    within_runtime_if_available(begin)
        .map(Job::new)
        .map_err(|e| js_error(env, e))
}
