//! Rust futures as Python coroutines (see `relay/_aio.py`).

use std::future::Future;
use std::task::{Context, Poll};

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use relay_bindings_common::BindingError;

use crate::completion::{CompletionPort, Outcome};
use crate::errors::to_py_err;

static COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static PORT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ITERATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TOOL_DECORATOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static VOICE_BATCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The `relay._aio` function `name`, imported once into `cell`.
pub fn helper<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let f = cell.get_or_try_init(py, || {
        py.import("relay._aio")?.getattr(name).map(Bound::unbind)
    })?;
    Ok(f.bind(py).clone())
}

/// The completion port of `event_loop` (created on first use).
pub fn port<'py>(
    py: Python<'py>,
    event_loop: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, CompletionPort>> {
    Ok(helper(py, &PORT, "port")?
        .call1((event_loop,))?
        .cast_into::<CompletionPort>()?)
}

/// Converts a finished Rust outcome into a Python value, on the loop's thread.
fn outcome<T>(result: Result<T, BindingError>) -> Outcome
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    Box::new(move |py| match result {
        Ok(value) => value.into_py_any(py),
        Err(error) => Err(to_py_err(error)),
    })
}

/// An asyncio future for `fut`: polled once right here (inside the tokio runtime's context), so
/// that a result already at hand (buffered events, a finished job) costs no thread hand-off and
/// blocking work is submitted without first waking a tokio worker. Otherwise `fut` continues as a
/// tokio task that reports through the loop's [`CompletionPort`] (no GIL on the tokio side);
/// cancelling the asyncio future aborts the task, dropping `fut`. Futures re-register their waker
/// on every poll, so the first poll's no-op waker is harmless.
fn start<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, BindingError>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    // Before anything runs: without a running loop the call fails and must not have started.
    let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let mut fut = Box::pin(fut);
    let first = {
        let _context = runtime.enter();
        fut.as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
    };
    let future = event_loop.call_method0("create_future")?;
    match first {
        Poll::Ready(result) => {
            let value = outcome(result)(py);
            match value {
                Ok(value) => future.call_method1("set_result", (value,))?,
                Err(err) => future.call_method1("set_exception", (err.into_value(py),))?,
            };
        }
        Poll::Pending => {
            let port = port(py, event_loop)?;
            let (id, completions) = port.get().reserve();
            let task = runtime.spawn(async move {
                let result = fut.await;
                completions.complete(id, outcome(result));
            });
            // The result cannot be drained before this registration: draining runs on this
            // thread, which does not return to the loop in between.
            CompletionPort::watch(&port, &future, id, task.abort_handle())?;
        }
    }
    Ok(future)
}

/// Runs `fut` (see [`start`]) and returns a Python coroutine resolving to its output.
/// Cancelling the coroutine's task drops `fut`.
pub fn coroutine<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, BindingError>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let future = start(py, fut)?;
    helper(py, &COROUTINE, "coroutine")?.call1((future,))
}

/// Runs `fut` (see [`start`]) and returns a Python coroutine resolving to its output, JSON
/// text decoded on the event loop's thread.
pub fn json_coroutine<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<String, BindingError>> + Send + 'static,
{
    let future = start(py, fut)?;
    helper(py, &JSON_COROUTINE, "json_coroutine")?.call1((future,))
}

/// Runs `fut` (see [`start`]) and returns a Python coroutine resolving to its batch of voice
/// events (JSON text or `null`), decoded on the loop's thread with audio as `bytes`.
pub fn voice_batch_coroutine<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<String, BindingError>> + Send + 'static,
{
    let future = start(py, fut)?;
    helper(py, &VOICE_BATCH, "voice_batch")?.call1((future,))
}

/// An async iterator over the events of `source` (a `relay.Job` or `relay.VoiceSession`:
/// anything with `next_batch()` and `_pending()`).
pub fn iterate<'py>(py: Python<'py>, source: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    helper(py, &ITERATE, "iterate")?.call1((source,))
}

/// Events an `async for` fetched but did not yield because the loop was left (`break`): the
/// next iteration, or the next `next_batch()`, returns them first, so leaving a loop early
/// loses no event. A `collections.deque`, created on first use.
pub struct Pending(PyOnceLock<Py<PyAny>>);

impl Default for Pending {
    fn default() -> Self {
        Self(PyOnceLock::new())
    }
}

impl Pending {
    /// The deque.
    pub fn deque(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0
            .get_or_try_init(py, || {
                py.import("collections")?
                    .getattr("deque")?
                    .call0()
                    .map(Bound::unbind)
            })
            .map(|deque| deque.clone_ref(py))
    }

    /// The held events as a list (emptying the deque), or None when there are none.
    pub fn take(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(deque) = self.0.get(py) else {
            return Ok(None);
        };
        let deque = deque.bind(py);
        if deque.len()? == 0 {
            return Ok(None);
        }
        let events =
            pyo3::types::PyList::new(py, deque.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        deque.call_method0("clear")?;
        Ok(Some(events.into_any().unbind()))
    }
}

/// A coroutine resolving to `value` at once.
pub fn ready<'py>(py: Python<'py>, value: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    coroutine(py, async move { Ok(value) })
}

/// `relay._aio.tool_decorator`: builds the decorator `Tools.tool(...)` returns.
pub fn tool_decorator(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    helper(py, &TOOL_DECORATOR, "tool_decorator")
}
