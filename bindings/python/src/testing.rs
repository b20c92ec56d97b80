//! Test-only functions (cargo feature `testing`): never part of a published build. They live in
//! the private submodule `relay._relay._testing` (outside the public surface that `_relay.pyi`
//! declares); Python tests and benchmarks import them from `relay._testing`.

use pyo3::prelude::*;
use relay_bindings_common::{SyntheticJob, synthetic_job as start_synthetic};

use crate::job::PyJob;
use crate::runtime;

/// Starts a job that streams `events` progress events (one every `interval_ms`) and returns
/// `events`, or fails with a RepoError of code `synthetic_failure` when `fail_with` is given.
/// For tests and for measuring the cost of streaming events into Python.
#[pyfunction]
#[pyo3(signature = (events, interval_ms = 0, fail_with = None))]
fn synthetic_job(events: u64, interval_ms: u64, fail_with: Option<String>) -> PyJob {
    let spec = SyntheticJob {
        events,
        interval_ms,
        fail_with,
    };
    PyJob::new(runtime::enter(|| start_synthetic(spec)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let testing = PyModule::new(m.py(), "_testing")?;
    testing.add_function(wrap_pyfunction!(synthetic_job, &testing)?)?;
    m.add_submodule(&testing)
}
