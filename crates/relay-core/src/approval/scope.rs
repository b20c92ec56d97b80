//! [`Approvals`]: an [`Approver`] bound to who asks, in which conversation, audited.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    AnswerSource, ApprovalAction, ApprovalAnswer, ApprovalRequest, Approver,
    DEFAULT_APPROVAL_TIMEOUT, audit,
};
use crate::agent::{PermissionAsker, PermissionDecision, PermissionRequest};
use crate::store::Store;
use crate::team::Caller;

/// An approver as one caller's conversation uses it: requests name the caller and the session,
/// wait at most the configured timeout, and every request with its answer is appended to the
/// audit log when a store is given. The tool registry builds one per call
/// ([`ToolRegistry::with_approver`](crate::tools::ToolRegistry::with_approver)); as a
/// [`PermissionAsker`] it answers the coding agent's permission questions too, so one approver
/// serves both.
#[derive(Clone)]
pub struct Approvals {
    approver: Arc<dyn Approver>,
    requested_by: Option<Caller>,
    session: Option<String>,
    audit: Option<Arc<dyn Store>>,
    timeout: Duration,
}

impl std::fmt::Debug for Approvals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Approvals")
            .field("requested_by", &self.requested_by.as_ref().map(|c| &c.user))
            .field("session", &self.session)
            .field("audited", &self.audit.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Approvals {
    /// Requests go to `approver`, from nobody in particular, unaudited, with the default timeout.
    pub fn new(approver: Arc<dyn Approver>) -> Self {
        Approvals {
            approver,
            requested_by: None,
            session: None,
            audit: None,
            timeout: DEFAULT_APPROVAL_TIMEOUT,
        }
    }

    /// Requests are made on behalf of `caller`.
    pub fn requested_by(mut self, caller: Caller) -> Self {
        self.requested_by = Some(caller);
        self
    }

    /// Requests belong to conversation `session`.
    pub fn session(mut self, session: Option<String>) -> Self {
        self.session = session;
        self
    }

    /// Every request and its answer is appended to `store`'s audit log.
    pub fn audited(mut self, store: Arc<dyn Store>) -> Self {
        self.audit = Some(store);
        self
    }

    /// How long a request waits for an answer before it is denied.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request for `question` about `action`, with this scope's caller, session and timeout.
    pub fn request(&self, question: impl Into<String>, action: ApprovalAction) -> ApprovalRequest {
        let mut request = ApprovalRequest::new(question, action).timeout(self.timeout);
        if let Some(caller) = &self.requested_by {
            request = request.requested_by(caller.user.clone());
        }
        if let Some(session) = &self.session {
            request = request.session(session.clone());
        }
        request
    }

    /// Asks the approver (denied when it does not answer within the request's timeout) and
    /// audits the request with its answer.
    pub async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        let started = Instant::now();
        let at_ms = crate::event::now_ms();
        let limit = Duration::from_millis(request.timeout_ms);
        // The approver enforces the timeout itself; this bounds one that does not.
        let answer = match tokio::time::timeout(
            limit + Duration::from_millis(500),
            self.approver.approve(request.clone()),
        )
        .await
        {
            Ok(answer) => answer,
            Err(_) => ApprovalAnswer::denied(
                AnswerSource::Timeout,
                format!("nobody answered within {}", super::wait_words(limit)),
            ),
        };
        tracing::info!(
            approval = %request.id,
            decision = ?answer.decision,
            via = ?answer.via,
            answered_by = answer.answered_by.as_deref().unwrap_or("-"),
            "approval answered"
        );
        if let Some(store) = &self.audit {
            let entry = audit::entry(
                &request,
                &answer,
                self.requested_by.as_ref(),
                at_ms,
                started.elapsed(),
            );
            if let Err(e) = store.append_audit(entry).await {
                tracing::error!(approval = %request.id, error = %e, "the audit log could not record an approval");
            }
        }
        answer
    }
}

#[async_trait]
impl PermissionAsker for Approvals {
    async fn ask(&self, request: &PermissionRequest, question: &str) -> PermissionDecision {
        let action = ApprovalAction::AgentTool {
            repo: request.repo.clone(),
            tool_name: request.tool_name.clone(),
            input: request.input.clone(),
        };
        let answer = self.approve(self.request(question, action)).await;
        if answer.allows() {
            PermissionDecision::allow()
        } else {
            PermissionDecision::deny(super::denial_reason(&answer))
        }
    }
}
