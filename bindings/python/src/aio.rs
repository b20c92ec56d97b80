//! Rust futures as Python coroutines (see `relay/_aio.py`).

use std::future::Future;
use std::task::{Context, Poll};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ITERATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn helper<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let f = cell.get_or_try_init(py, || {
        py.import("relay._aio")?.getattr(name).map(Bound::unbind)
    })?;
    Ok(f.bind(py).clone())
}

/// An asyncio future for `fut`: polled once right here (inside the tokio runtime's context), so
/// that a result already at hand (buffered events, a finished job) costs no thread hand-off and
/// blocking work is submitted without first waking a tokio worker; otherwise `fut` continues on
/// the tokio runtime. Futures re-register their waker on every poll, so the first poll's no-op
/// waker is harmless.
fn start<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let mut fut = Box::pin(fut);
    let first = {
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        fut.as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
    };
    match first {
        Poll::Pending => pyo3_async_runtimes::tokio::future_into_py(py, fut),
        Poll::Ready(result) => {
            let future =
                pyo3_async_runtimes::get_running_loop(py)?.call_method0("create_future")?;
            match result {
                Ok(value) => future.call_method1("set_result", (value,))?,
                Err(err) => future.call_method1("set_exception", (err.into_value(py),))?,
            };
            Ok(future)
        }
    }
}

/// Runs `fut` (see [`start`]) and returns a Python coroutine resolving to its output.
/// Cancelling the coroutine's task drops `fut`.
pub fn coroutine<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let future = start(py, fut)?;
    helper(py, &COROUTINE, "coroutine")?.call1((future,))
}

/// Runs `fut` (see [`start`]) and returns a Python coroutine resolving to its output, JSON
/// text decoded on the event loop's thread (one GIL acquisition per call from the tokio side).
pub fn json_coroutine<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<String>> + Send + 'static,
{
    let future = start(py, fut)?;
    helper(py, &JSON_COROUTINE, "json_coroutine")?.call1((future,))
}

/// An async iterator over the events of `job` (a `relay.Job`).
pub fn iterate<'py>(py: Python<'py>, job: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    helper(py, &ITERATE, "iterate")?.call1((job,))
}

/// Called at interpreter exit (`atexit`, before finalization starts): releases the GIL for a
/// moment so that a tokio worker still returning from delivering a result to the event loop
/// (`call_soon_threadsafe` writes to the loop's socket with the GIL released, then takes it back)
/// leaves Python before finalization begins. A thread that asks for the GIL once finalization has
/// begun is ended with `pthread_exit`, which aborts the process when the thread is Rust's.
#[pyfunction]
pub fn _quiesce(py: Python<'_>) {
    py.detach(|| std::thread::sleep(std::time::Duration::from_millis(20)));
}
