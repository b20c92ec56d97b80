//! `relay.McpServer`: a running MCP server over a `relay.Tools` (`Tools.serve_mcp`).

use pyo3::prelude::*;
use relay_bindings_common::McpServerHandle;

/// An MCP server (Streamable HTTP) serving a registry's tools; stops on `close()` or when
/// garbage-collected.
#[pyclass(module = "relay", name = "McpServer", frozen)]
pub struct PyMcpServer {
    inner: McpServerHandle,
}

impl PyMcpServer {
    pub fn new(inner: McpServerHandle) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyMcpServer {
    /// The endpoint MCP clients connect to: `http://<host>:<port>/mcp`.
    #[getter]
    fn url(&self) -> &str {
        self.inner.url()
    }

    /// Stops serving.
    fn close(&self) {
        self.inner.close();
    }

    fn __repr__(&self) -> String {
        format!("<relay.McpServer {}>", self.inner.url())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMcpServer>()
}
