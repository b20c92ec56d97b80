//! The agent's permission callback as a Python callable, plain or `async def`, run on the
//! asyncio event loop that started the run (see `loop_call.rs`). Its answer goes to
//! `relay_bindings_common::parse_decision`; a failure (it raised, returned something that is
//! not JSON, its task was cancelled, its loop closed) denies the tool with the reason.

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use relay_bindings_common::{CallbackPolicy, PermissionCallback};

use crate::loop_call::{Answer, Caller, LoopCallable};

/// Read after "the permission callback failed: " (added by `CallbackPolicy`).
const LOOP_CLOSED: &str = "it could not be asked: the asyncio event loop it \
     belongs to (the one running when the callback was given) is closed; give the callback \
     from the loop that runs the agent";

/// A Python permission callback bound to the event loop it runs on.
pub struct PythonPermission(LoopCallable);

impl PythonPermission {
    /// Binds `callback` to the running event loop; fails when `callback` is not callable or no
    /// loop runs (the callback has nowhere to run then).
    pub fn new(py: Python<'_>, callback: Bound<'_, PyAny>) -> PyResult<Self> {
        if !callback.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "permission must be a callable taking the request dict and returning True/False, \
                 \"allow\"/\"deny\" or a decision dict (got {})",
                callback.get_type().name()?
            )));
        }
        LoopCallable::bind(
            py,
            callback,
            Caller::Permission,
            "a permission callback runs on the asyncio event loop of the caller: start the \
             run from a coroutine (inside asyncio.run)",
            LOOP_CLOSED.to_owned(),
        )
        .map(Self)
    }
}

#[async_trait]
impl PermissionCallback for PythonPermission {
    /// Asks the callback about one tool use (`request_json`: repo, tool_name, input,
    /// tool_use_id, description) and returns its answer as JSON text, or why there is none.
    async fn decide(&self, request_json: String) -> Answer {
        self.0.call(request_json).await
    }
}

/// The policy of a run whose `permission` argument is `callback` (None: no callback, so tools
/// outside `allowed_tools` are denied).
pub fn policy(
    py: Python<'_>,
    callback: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<CallbackPolicy>>> {
    callback
        .map(|callback| {
            let callback = PythonPermission::new(py, callback)?;
            Ok(Arc::new(CallbackPolicy::new(Arc::new(callback))))
        })
        .transpose()
}
