//! Tools written in Python: a plain function or `async def` taking the arguments dict, run on
//! the asyncio event loop that registered it (see `loop_call.rs`), registered next to Relay's
//! own tools with `Tools.register` / `@Tools.tool`.

use async_trait::async_trait;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use relay_bindings_common::ToolCallback;

use crate::loop_call::{Caller, LoopCallable};

/// A Python function answering a host tool's calls.
pub struct PythonTool(LoopCallable);

impl PythonTool {
    /// Binds `function` (the tool `name`) to the running event loop; fails when it is not
    /// callable or no loop runs (the function would have nowhere to run).
    pub fn new(py: Python<'_>, name: &str, function: Bound<'_, PyAny>) -> PyResult<Self> {
        if !function.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "tool `{name}` needs a function taking the arguments dict (plain or async def); \
                 got {}",
                function.get_type().name()?
            )));
        }
        LoopCallable::bind(
            py,
            function,
            Caller::Tool,
            &format!(
                "tool `{name}` runs on the asyncio event loop that registers it: register it \
                 from a coroutine on the loop that runs the calls and sessions (inside \
                 asyncio.run)"
            ),
            format!(
                "tool `{name}` could not be called: the asyncio event loop it was registered \
                 from is closed; register it from the loop that runs the session"
            ),
        )
        .map(Self)
    }
}

#[async_trait]
impl ToolCallback for PythonTool {
    async fn call(&self, arguments_json: String) -> Result<String, String> {
        self.0.call(arguments_json).await
    }
}
