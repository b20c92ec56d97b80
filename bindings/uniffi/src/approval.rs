//! The approval callback from Kotlin or Swift: `tools.onApproval(handler)` answers the
//! questions Relay asks before what is hard to undo (destroying or rolling back an environment,
//! merging, the coding agent's permission questions).

use std::sync::Arc;

use async_trait::async_trait;
use relay_bindings_common::ApprovalCallback;

use crate::host_tool::ToolHandlerError;
use crate::tools::Tools;

/// Answers approval requests. Called on a background coroutine.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait ApprovalHandler: Send + Sync {
    /// Answers `requestJson` (`{id, question, action, requested_by, session, approvers,
    /// timeout_ms}`) with `"allow"`, `"deny"`, `"allow_for_session"` (as JSON strings or bare
    /// words) or `{"decision": ..., "reason": ..., "user": ...}`. Throwing, another answer or no
    /// answer within `timeout_ms` denies.
    async fn decide(&self, request_json: String) -> Result<String, ToolHandlerError>;
}

pub(crate) struct ForeignApproval(pub(crate) Arc<dyn ApprovalHandler>);

#[async_trait]
impl ApprovalCallback for ForeignApproval {
    async fn decide(&self, request_json: String) -> Result<String, String> {
        self.0
            .decide(request_json)
            .await
            .map_err(|ToolHandlerError::Failed { reason }| reason)
    }
}

#[uniffi::export]
impl Tools {
    /// Answers approval questions with `handler` from now on (voice sessions started earlier
    /// keep what they had). Without a handler, tools that need approval are refused.
    pub fn on_approval(&self, handler: Arc<dyn ApprovalHandler>) {
        self.handle()
            .on_approval(Arc::new(ForeignApproval(handler)));
    }
}
