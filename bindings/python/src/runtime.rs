//! The tokio runtime every job runs on: pyo3-async-runtimes' own, so awaitables and jobs share it.

/// Runs `f` inside the tokio runtime's context (jobs are spawned onto the current runtime).
pub fn enter<R>(f: impl FnOnce() -> R) -> R {
    let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
    f()
}
