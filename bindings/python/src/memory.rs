//! `relay.Memory`: Relay's memory as the acting user — the store, who am I, saved sessions,
//! durable jobs (list, show, resume, cancel) and the audit log (query, verify). Queries are
//! coroutines resolving to dicts and lists; `resume_job` resolves to a `relay.Job`.

use std::path::PathBuf;

use pyo3::prelude::*;
use relay_bindings_common::{AuditQuery, MemoryHandle, MemoryOptions, Selection};

use crate::job::PyJob;
use crate::tools::PyTools;
use crate::{aio, json};

/// Relay's memory, opened with `await Memory.open(...)`.
#[pyclass(module = "relay", name = "Memory", frozen)]
pub struct PyMemory {
    inner: MemoryHandle,
}

#[pymethods]
impl PyMemory {
    /// Awaitable: opens the workspace (a directory or relay.yaml; discovered from the current
    /// directory when None), its store (`store`: "sqlite:PATH" or "redis://HOST:PORT/DB"; else
    /// RELAY_STORE_URL, relay.yaml's store.url, else <workspace>/.relay/relay.db) and
    /// identifies the acting user (`token`, else `user`, else RELAY_USER, else the OS user).
    #[staticmethod]
    #[pyo3(signature = (workspace = None, *, store = None, user = None, token = None))]
    fn open<'py>(
        py: Python<'py>,
        workspace: Option<PathBuf>,
        store: Option<String>,
        user: Option<String>,
        token: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = MemoryOptions {
            workspace: workspace.map(|p| p.display().to_string()),
            store,
            user,
            token,
        };
        aio::coroutine(py, async move {
            MemoryHandle::open(options)
                .await
                .map(|inner| PyMemory { inner })
        })
    }

    /// The store's URL, password redacted.
    #[getter]
    fn store_url(&self) -> String {
        self.inner.store_url()
    }

    /// The acting user: {"user", "role", "permissions", "plan_permissions", "limits"}.
    fn whoami(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json::loads(py, &self.inner.whoami())
    }

    /// Awaitable: saved sessions (yours; everyone's for team leads), most recent first.
    fn sessions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.sessions().await })
    }

    /// Awaitable: one saved session with its turns; UsageError (code "unknown_session") when
    /// there is none by that name.
    fn session<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.session(&name).await })
    }

    /// Awaitable: deletes a saved session before it expires; False when there was none.
    fn delete_session<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::coroutine(py, async move { inner.delete_session(&name).await })
    }

    /// Awaitable: the tools as the acting user (their role enforced, every call audited).
    /// With `session`, a VoiceSession started on them saves its conversation under that name
    /// and resumes it when it exists.
    #[pyo3(signature = (session = None))]
    fn tools<'py>(&self, py: Python<'py>, session: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::coroutine(py, async move {
            inner.tools(session).await.map(PyTools::from_handle)
        })
    }

    /// Awaitable: durable jobs, newest first (a job whose process died is "interrupted").
    fn jobs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.jobs().await })
    }

    /// Awaitable: {"job": record, "events": [...]}; UsageError for an unknown id.
    fn job<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.job(&id).await })
    }

    /// Awaitable: queues a sync of `repos` (or `affected_by`; default all) as a durable job
    /// for a worker or `resume_job`; resolves to its record (state "queued").
    #[pyo3(signature = (repos = None, affected_by = None))]
    fn enqueue_sync<'py>(
        &self,
        py: Python<'py>,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        let selection = Selection { repos, affected_by };
        aio::json_coroutine(py, async move { inner.enqueue_sync(selection).await })
    }

    /// Awaitable: runs what is left of an interrupted, failed or queued job in this process;
    /// resolves to a Job streaming its events (repositories already done are not done again).
    fn resume_job<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::coroutine(
            py,
            async move { inner.resume_job(&id).await.map(PyJob::new) },
        )
    }

    /// Awaitable: cancels a job (a running one stops within a heartbeat); resolves to its record.
    fn cancel_job<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.cancel_job(&id).await })
    }

    /// Awaitable: audit entries, oldest first: from the last `since` ("90s", "30m", "8h",
    /// "7d"), of `user` (someone else's need the team_lead role), the newest `limit`.
    #[pyo3(signature = (since = None, user = None, limit = None))]
    fn audit<'py>(
        &self,
        py: Python<'py>,
        since: Option<String>,
        user: Option<String>,
        limit: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        let query = AuditQuery { since, user, limit };
        aio::json_coroutine(py, async move { inner.audit(query).await })
    }

    /// Awaitable: {"status": "intact", "records": N} or {"status": "broken", "seq": N,
    /// "problem": "..."} naming the first entry changed, removed or moved (team_lead role).
    fn verify_audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move { inner.verify_audit().await })
    }

    fn __repr__(&self) -> String {
        format!("<relay.Memory {}>", self.inner.store_url())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMemory>()
}
