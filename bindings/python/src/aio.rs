//! Rust futures as Python coroutines (see `relay/_aio.py`).

use std::future::Future;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
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

/// Runs `fut` on the tokio runtime and returns a Python coroutine resolving to its output.
/// Cancelling the coroutine's task drops `fut`.
pub fn coroutine<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let future = pyo3_async_runtimes::tokio::future_into_py(py, fut)?;
    helper(py, &COROUTINE, "coroutine")?.call1((future,))
}

/// An async iterator over the events of `job` (a `relay.Job`).
pub fn iterate<'py>(py: Python<'py>, job: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    helper(py, &ITERATE, "iterate")?.call1((job,))
}
