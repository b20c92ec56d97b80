//! The `relay._relay` extension module: a thin pyo3 adapter over `relay-bindings-common`.
//!
//! Python users import `relay` (bindings/python/python/relay), which re-exports what is here.
//! Async calls return awaitables driven by pyo3-async-runtimes' tokio runtime; jobs are
//! async-iterable (see `job.rs`); errors are raised as the classes in `errors.rs`.

mod aio;
mod approval;
mod completion;
mod environments;
mod errors;
mod github;
mod host_tool;
mod job;
mod json;
mod loop_call;
mod mcp;
mod memory;
mod permission;
mod runtime;
#[cfg(feature = "testing")]
mod testing;
mod tools;
mod voice;
mod workspace;

use pyo3::prelude::*;

/// The version of the Relay SDK this module was built from.
#[pyfunction]
fn version() -> &'static str {
    relay_bindings_common::version()
}

/// Kills every process group Relay started in this interpreter; returns how many were running.
/// `relay/__init__.py` registers it with `atexit`, so runs in flight do not outlive Python.
#[pyfunction]
fn shutdown() -> usize {
    relay_bindings_common::shutdown()
}

#[pymodule]
#[pyo3(name = "_relay")]
fn relay_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    errors::register(m)?;
    completion::register(m)?;
    job::register(m)?;
    loop_call::register(m)?;
    workspace::register(m)?;
    environments::register(m)?;
    github::register(m)?;
    tools::register(m)?;
    mcp::register(m)?;
    memory::register(m)?;
    voice::register(m)?;
    #[cfg(feature = "testing")]
    testing::register(m)?;
    Ok(())
}
