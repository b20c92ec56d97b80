//! `relay.Environments`: development environments (local directories or Proxmox guests) with
//! coroutines for queries and Jobs for the long operations.

use pyo3::prelude::*;
use relay_bindings_common::{EnvironmentsHandle, EnvironmentsOptions, to_json};

use crate::errors::to_py_err;
use crate::job::PyJob;
use crate::workspace::PyWorkspace;
use crate::{aio, runtime};

/// An environment provider. Open one with `Environments.open(...)`.
#[pyclass(module = "relay", name = "Environments", frozen)]
pub struct PyEnvironments {
    inner: EnvironmentsHandle,
}

impl PyEnvironments {
    /// The facade, for the tool registry.
    pub fn handle(&self) -> EnvironmentsHandle {
        self.inner.clone()
    }
}

#[pymethods]
impl PyEnvironments {
    /// Opens a provider: `provider` is "local" or "proxmox"; by default it is chosen like
    /// `relay env` chooses it (the workspace's `infra.provider`, else Proxmox when PROXMOX_URL
    /// is set, else local). `workspace` supplies the `infra:` settings and the repositories
    /// cloned into local environments; `local_root` is where local environments live.
    /// Proxmox credentials come from the environment (PROXMOX_TOKEN_SECRET, ...).
    #[staticmethod]
    #[pyo3(signature = (provider = None, workspace = None, local_root = None))]
    fn open(
        provider: Option<String>,
        workspace: Option<PyRef<'_, PyWorkspace>>,
        local_root: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let options = EnvironmentsOptions {
            provider,
            workspace: workspace.map(|w| w.handle()),
            local_root: local_root.map(|p| p.to_string_lossy().into_owned()),
        };
        runtime::enter(|| EnvironmentsHandle::open(options))
            .map(|inner| Self { inner })
            .map_err(to_py_err)
    }

    /// "local" or "proxmox".
    #[getter]
    fn provider(&self) -> String {
        self.inner.provider_name()
    }

    /// Starts bringing `name` up (provisioned when missing, started when stopped, kept when
    /// running): a Job whose result is the environment dict.
    #[pyo3(signature = (name, profile = None, kind = None, template = None))]
    fn up(
        &self,
        name: &str,
        profile: Option<String>,
        kind: Option<String>,
        template: Option<String>,
    ) -> PyResult<PyJob> {
        runtime::enter(|| self.inner.up(name, profile, kind, template))
            .map(PyJob::new)
            .map_err(to_py_err)
    }

    /// Coroutine: the environment `name` (InfraError code "not_found" when there is none).
    fn status<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(
            py,
            async move { inner.status(&name).await.map(|e| to_json(&e)) },
        )
    }

    /// Coroutine: every environment of this provider.
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.list().await.map(|e| to_json(&e)) })
    }

    /// Coroutine: runs `command` (program and arguments; no shell) in `name` and returns
    /// {"exit_code", "stdout", "stderr", ...}; a non-zero exit is a result, not an error.
    #[pyo3(signature = (name, command, stdin = None, cwd = None, timeout_secs = None))]
    fn exec<'py>(
        &self,
        py: Python<'py>,
        name: String,
        command: Vec<String>,
        stdin: Option<String>,
        cwd: Option<String>,
        timeout_secs: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .exec(&name, command, stdin, cwd, timeout_secs)
                .await
                .map(|out| to_json(&out))
        })
    }

    /// Starts taking snapshot `snapshot` of `name`: a Job whose result is the snapshot dict.
    fn snapshot(&self, name: &str, snapshot: &str) -> PyJob {
        PyJob::new(runtime::enter(|| self.inner.snapshot(name, snapshot)))
    }

    /// Coroutine: the snapshots of `name`.
    fn snapshots<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner.snapshots(&name).await.map(|s| to_json(&s))
        })
    }

    /// Starts rolling `name` back to `snapshot`: a Job whose result is the environment dict.
    fn rollback(&self, name: &str, snapshot: &str) -> PyJob {
        PyJob::new(runtime::enter(|| self.inner.rollback(name, snapshot)))
    }

    /// Starts stopping `name` (`force`: no clean shutdown first): a Job whose result is the
    /// environment dict.
    #[pyo3(signature = (name, force = false))]
    fn stop(&self, name: &str, force: bool) -> PyJob {
        PyJob::new(runtime::enter(|| self.inner.stop(name, force)))
    }

    /// Starts destroying `name` and everything in it: a Job whose result is None.
    fn down(&self, name: &str) -> PyJob {
        PyJob::new(runtime::enter(|| self.inner.down(name)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<relay.Environments provider='{}'>",
            self.inner.provider_name()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEnvironments>()
}
