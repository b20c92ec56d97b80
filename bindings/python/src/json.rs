//! JSON text to Python objects with the standard library's C decoder: one call per batch of
//! events or per result is much cheaper than building dicts field by field through the C API.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `json.loads(text)`.
pub fn loads(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    let loads = LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    loads.call1(py, (text,))
}

/// `json.dumps(value)`.
pub fn dumps(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let dumps = DUMPS.get_or_try_init(py, || {
        py.import("json")?.getattr("dumps").map(Bound::unbind)
    })?;
    dumps.call1(py, (value,))?.extract(py)
}
