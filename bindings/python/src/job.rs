//! `relay.Job`: a running long operation. Async-iterable over its events (dicts), awaitable
//! result through `wait()`, `cancel()`; cancelling the asyncio task that awaits it cancels it.

use std::sync::Arc;

use pyo3::prelude::*;
use relay_bindings_common::{DEFAULT_BATCH, JobHandle};

use crate::aio;

/// A running long operation (a sync, an agent run, ...) streaming events.
#[pyclass(module = "relay", name = "Job", frozen)]
pub struct PyJob {
    inner: Arc<JobHandle>,
    pending: aio::Pending,
}

impl PyJob {
    pub fn new(handle: JobHandle) -> Self {
        Self {
            inner: Arc::new(handle),
            pending: aio::Pending::default(),
        }
    }
}

#[pymethods]
impl PyJob {
    /// The job's id, as in each of its events.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// Asks the job to stop; the stream then ends with a cancelled `job_finished` event.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Awaitable: the job's result; raises the job's error (JobCancelledError if cancelled).
    fn wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = Arc::clone(&self.inner);
        aio::json_coroutine(py, async move { inner.wait_json().await })
    }

    /// Awaitable: the next events (a list of dicts, at most `max`), or None when the stream is
    /// over. `async for` uses this; call it directly only to control batching.
    #[pyo3(signature = (max = DEFAULT_BATCH))]
    fn next_batch<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        if let Some(held) = self.pending.take(py)? {
            return aio::ready(py, held);
        }
        let inner = Arc::clone(&self.inner);
        aio::json_coroutine(py, async move {
            Ok(inner
                .next_batch_json(max)
                .await
                .unwrap_or_else(|| "null".to_owned()))
        })
    }

    /// Iterates over the events; implemented by `relay._aio.iterate` so that the per-event
    /// cost is that of a Python async generator, with one Rust crossing per batch.
    /// Events fetched by an `async for` that was left early (see `aio::Pending`).
    fn _pending(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.pending.deque(py)
    }

    fn __aiter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aio::iterate(py, slf.into_any())
    }

    fn __repr__(&self) -> String {
        format!("<relay.Job id='{}'>", self.inner.id())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJob>()?;
    Ok(())
}
