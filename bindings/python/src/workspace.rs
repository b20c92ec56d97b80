//! `relay.Workspace`: an open workspace (relay.yaml) and its repository operations.

use std::sync::Arc;

use pyo3::prelude::*;
use relay_bindings_common::{AgentRunRequest, Selection, WorkspaceHandle, to_json};
use serde::Serialize;

use crate::errors::to_py_err;
use crate::job::PyJob;
use crate::{aio, json, permission, runtime};

/// A workspace: the repositories of `relay.yaml`, their dependency graph and the operations
/// across them. Open one with `Workspace.open(path)`.
#[pyclass(module = "relay", name = "Workspace", frozen)]
pub struct PyWorkspace {
    inner: WorkspaceHandle,
}

/// A JSON-ready value as Python objects.
pub fn value_to_py<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    json::loads(py, &to_json(value))
}

fn selection(repos: Option<Vec<String>>, affected_by: Option<Vec<String>>) -> Selection {
    Selection { repos, affected_by }
}

impl PyWorkspace {
    /// The facade, for the other classes that work on a workspace (tools, environments).
    pub fn handle(&self) -> WorkspaceHandle {
        self.inner.clone()
    }
}

#[pymethods]
impl PyWorkspace {
    /// Opens a workspace: `path` is a configuration file, or a directory where `relay.yaml` is
    /// looked for there and in its parents (like git); None searches from the current directory.
    /// Raises ConfigError naming the file, line and fix when the configuration is invalid.
    #[staticmethod]
    #[pyo3(signature = (path = None))]
    fn open(path: Option<std::path::PathBuf>) -> PyResult<Self> {
        let path = path.map(|p| p.to_string_lossy().into_owned());
        let inner = WorkspaceHandle::open(path.as_deref()).map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// The workspace's root directory.
    #[getter]
    fn root(&self) -> String {
        self.inner.root()
    }

    /// The configuration file the workspace was loaded from.
    #[getter]
    fn config_file(&self) -> Option<String> {
        self.inner.config_file()
    }

    /// The repositories as configured: list of dicts (name, url, path, dependencies, ...).
    fn repos(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.repos())
    }

    /// The dependency graph: {"repos": [...], "edges": [{"from", "to"}], "batches": [[...]]}.
    fn graph(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.graph())
    }

    /// What a change to `changed` affects: {"changed", "direct", "transitive", "batches"}.
    fn impact(&self, py: Python<'_>, changed: Vec<String>) -> PyResult<Py<PyAny>> {
        let value = self.inner.impact(&changed).map_err(to_py_err)?;
        value_to_py(py, &value)
    }

    /// Coroutine: status of the selected repositories (all by default), in dependency order.
    #[pyo3(signature = (repos = None, affected_by = None))]
    fn status<'py>(
        &self,
        py: Python<'py>,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .status(selection(repos, affected_by))
                .await
                .map(|value| to_json(&value))
        })
    }

    /// Coroutine: names of repositories with commits not reachable from `rev` (a branch, tag or
    /// remote-tracking ref) or with uncommitted changes.
    fn changed_since<'py>(&self, py: Python<'py>, rev: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::coroutine(py, async move { inner.changed_since(&rev).await })
    }

    /// Coroutine: paths changed in `repo` since commit `since` (uncommitted changes when None).
    #[pyo3(signature = (repo, since = None))]
    fn changed_files<'py>(
        &self,
        py: Python<'py>,
        repo: String,
        since: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::coroutine(py, async move {
            inner.changed_files(&repo, since.as_deref()).await
        })
    }

    /// Starts a sync (clone missing repositories, fetch, fast-forward): a Job whose result is
    /// {"repos": [...], "triggered_rules": [...]}.
    #[pyo3(signature = (repos = None, affected_by = None, jobs = 0))]
    fn sync(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        jobs: u32,
    ) -> PyResult<PyJob> {
        runtime::enter(|| self.inner.sync(selection(repos, affected_by), jobs))
            .map(PyJob::new)
            .map_err(to_py_err)
    }

    /// Starts creating (at HEAD) or switching to branch `name`: a Job whose result is
    /// {"repos": [{"name", "action", "reason", "head"}]}.
    #[pyo3(signature = (name, repos = None, affected_by = None, jobs = 0))]
    fn branch(
        &self,
        name: String,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        jobs: u32,
    ) -> PyResult<PyJob> {
        runtime::enter(|| {
            self.inner
                .branch(&name, selection(repos, affected_by), jobs)
        })
        .map(PyJob::new)
        .map_err(to_py_err)
    }

    /// Starts committing with `message` (`all=True` stages tracked changes first, like
    /// `git commit -a`): a Job whose result is {"repos": [{"name", "action", "reason", "sha"}]}.
    #[pyo3(signature = (message, repos = None, affected_by = None, all = false, jobs = 0))]
    fn commit(
        &self,
        message: String,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        all: bool,
        jobs: u32,
    ) -> PyResult<PyJob> {
        runtime::enter(|| {
            self.inner
                .commit(&message, selection(repos, affected_by), all, jobs)
        })
        .map(PyJob::new)
        .map_err(to_py_err)
    }

    /// Starts pushing the checked-out branches to `origin`: a Job whose result is
    /// {"repos": [{"name", "action", "reason"}]}.
    #[pyo3(signature = (repos = None, affected_by = None, set_upstream = true, jobs = 0))]
    fn push(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        set_upstream: bool,
        jobs: u32,
    ) -> PyResult<PyJob> {
        runtime::enter(|| {
            self.inner
                .push(selection(repos, affected_by), set_upstream, jobs)
        })
        .map(PyJob::new)
        .map_err(to_py_err)
    }

    /// Starts a coding agent on `prompt` in each selected repository, in dependency order: a
    /// Job whose events include every agent event (`type: "agent"`) and whose result is
    /// {"repos": [{"name", "outcome", "session_id", "num_turns", "cost_usd", "changed_files",
    /// "error"}]}. `permission` decides the tools Claude Code asks about (see the stub);
    /// `on_approval` is asked (like `Tools.on_approval`) about those `permission` answers
    /// "ask" for, or about all of them without `permission`.
    /// Cancelling the job (or the task awaiting it) kills the agents' processes.
    #[pyo3(signature = (
        prompt, *, agent = None, repos = None, affected_by = None, jobs = 0, keep_going = false,
        model = None, max_turns = None, max_budget_usd = None, allowed_tools = None,
        disallowed_tools = None, permission_mode = None, idle_timeout_secs = None,
        timeout_secs = None, claude_binary = None, env = None, permission = None,
        on_approval = None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn run_agent(
        &self,
        py: Python<'_>,
        prompt: String,
        agent: Option<String>,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
        jobs: u32,
        keep_going: bool,
        model: Option<String>,
        max_turns: Option<u32>,
        max_budget_usd: Option<f64>,
        allowed_tools: Option<Vec<String>>,
        disallowed_tools: Option<Vec<String>>,
        permission_mode: Option<String>,
        idle_timeout_secs: Option<u64>,
        timeout_secs: Option<u64>,
        claude_binary: Option<std::path::PathBuf>,
        env: Option<std::collections::BTreeMap<String, String>>,
        permission: Option<Bound<'_, PyAny>>,
        on_approval: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyJob> {
        let request = AgentRunRequest {
            prompt,
            agent,
            selection: selection(repos, affected_by),
            jobs,
            keep_going,
            model,
            max_turns,
            max_budget_usd,
            allowed_tools: allowed_tools.unwrap_or_default(),
            disallowed_tools: disallowed_tools.unwrap_or_default(),
            permission_mode,
            idle_timeout_secs,
            timeout_secs,
            claude_binary: claude_binary.map(|p| p.to_string_lossy().into_owned()),
            env: env.unwrap_or_default().into_iter().collect(),
        };
        let policy = permission::policy(py, permission)?;
        let approval = on_approval
            .map(|callback| crate::approval::PythonApproval::new(py, callback))
            .transpose()?
            .map(|a| Arc::new(a) as _);
        runtime::enter(|| {
            self.inner
                .run_agent_asking(request, policy.map(|p| p as _), approval)
        })
        .map(PyJob::new)
        .map_err(to_py_err)
    }

    fn __repr__(&self) -> String {
        format!("<relay.Workspace root='{}'>", self.inner.root())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWorkspace>()
}
