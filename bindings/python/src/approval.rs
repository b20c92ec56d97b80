//! The approval callback as a Python callable, plain or `async def`, run on the asyncio event
//! loop that gave it (see `loop_call.rs`): `Tools.on_approval(callback)`. Its answer goes to
//! `relay_bindings_common::parse_answer`; a failure (it raised, answered something else, its
//! loop closed) denies.

use async_trait::async_trait;
use pyo3::prelude::*;
use relay_bindings_common::ApprovalCallback;

use crate::loop_call::{Caller, LoopCallable};

/// A Python approval callback bound to the event loop it runs on.
pub struct PythonApproval(LoopCallable);

impl PythonApproval {
    /// Binds `callback` to the running event loop; fails when it is not callable or no loop
    /// runs.
    pub fn new(py: Python<'_>, callback: Bound<'_, PyAny>) -> PyResult<Self> {
        if !callback.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "on_approval needs a callable taking the request dict and returning \"allow\", \
                 \"deny\", \"allow_for_session\" or a decision dict (got {})",
                callback.get_type().name()?
            )));
        }
        LoopCallable::bind(
            py,
            callback,
            Caller::Tool,
            "the approval callback runs on the asyncio event loop that gives it: call \
             on_approval from a coroutine (inside asyncio.run)",
            "the approval callback could not be asked: its asyncio event loop is closed".into(),
        )
        .map(Self)
    }
}

#[async_trait]
impl ApprovalCallback for PythonApproval {
    async fn decide(&self, request_json: String) -> Result<String, String> {
        self.0.call(request_json).await
    }
}
