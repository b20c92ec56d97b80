//! The approval callback: `tools.onApproval(request => 'allow' | 'deny' | ...)` answers the
//! questions Relay asks before what is hard to undo (destroying or rolling back an environment,
//! merging, the coding agent's permission questions).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{ApprovalCallback, BindingError};

use crate::convert::js_error;
use crate::js_function::{JsFunction, JsonFn};
use crate::tools::Tools;

/// A JavaScript approval callback.
pub(crate) struct JsApproval(JsFunction);

impl JsApproval {
    /// Wraps `handler` (checked to be a function by napi), named `what` in errors.
    pub(crate) fn new(handler: JsonFn, what: &str) -> Self {
        JsApproval(JsFunction::new(handler, what.to_string()))
    }
}

#[async_trait::async_trait]
impl ApprovalCallback for JsApproval {
    async fn decide(&self, request_json: String) -> std::result::Result<String, String> {
        self.0
            .call(request_json)
            .await?
            .ok_or_else(|| format!("{} returned no JSON value", self.0.what()))
    }
}

#[napi]
impl Tools {
    /// Answers approval questions from now on: `handler(request)` gets `{ id, question, action,
    /// requested_by, session, approvers, timeout_ms }` and returns (or resolves to) `'allow'`,
    /// `'deny'`, `'allow_for_session'` or `{ decision, reason?, user? }`. A throw, another answer
    /// or no answer within `timeout_ms` denies. Without a handler, tools that need approval are
    /// refused. Voice sessions started before keep what they had.
    #[napi]
    pub fn on_approval(
        &self,
        env: &Env,
        #[napi(
            ts_arg_type = "(request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>"
        )]
        handler: Unknown,
    ) -> Result<()> {
        let what = "the approval handler".to_string();
        if handler.get_type()? != ValueType::Function {
            return Err(js_error(
                env,
                BindingError::usage(format!(
                    "{what} must be a function (sync or async) taking the request"
                )),
            ));
        }
        // SAFETY: `handler` was checked to be a function just above, in the environment `env`.
        let handler = unsafe { JsonFn::from_napi_value(env.raw(), handler.raw())? };
        self.inner
            .on_approval(Arc::new(JsApproval(JsFunction::new(handler, what))));
        Ok(())
    }
}
