//! Approvals answered by the host application: an approval callback gets each request (the
//! question, the action, who asked) as JSON and answers `"allow"`, `"deny"` or
//! `"allow_for_session"` (or `{"decision": ..., "reason": ...}`); anything else, an error or no
//! answer within the request's timeout denies.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relay::core::approval::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalRequest, Approver,
};
use serde_json::Value;

use crate::tools::ToolsHandle;

/// The host side of approvals: gets the request as JSON text, returns the answer as JSON text
/// (`"allow"`, `{"decision": "deny", "reason": "..."}`), or `Err` with the message the host
/// raised.
#[async_trait]
pub trait ApprovalCallback: Send + Sync {
    /// Answers one request.
    async fn decide(&self, request_json: String) -> Result<String, String>;
}

/// An [`Approver`] that asks the host's callback.
pub struct CallbackApprover {
    callback: Arc<dyn ApprovalCallback>,
}

impl CallbackApprover {
    /// Asks `callback`.
    pub fn new(callback: Arc<dyn ApprovalCallback>) -> Self {
        CallbackApprover { callback }
    }
}

/// Reads a callback's answer: a decision name, or an object with `decision`, optional
/// `reason` and `user` (who answered).
pub fn parse_answer(answer_json: &str) -> Result<ApprovalAnswer, String> {
    let value: Value = serde_json::from_str(answer_json)
        .unwrap_or_else(|_| Value::String(answer_json.trim().to_owned()));
    let (decision, reason, user) = match &value {
        Value::String(s) => (s.clone(), None, None),
        Value::Object(o) => (
            o.get("decision")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            o.get("reason").and_then(Value::as_str).map(str::to_owned),
            o.get("user").and_then(Value::as_str).map(str::to_owned),
        ),
        _ => (String::new(), None, None),
    };
    let decision = match decision.as_str() {
        "allow" => ApprovalDecision::Allow,
        "allow_for_session" => ApprovalDecision::AllowForSession,
        "deny" => ApprovalDecision::Deny,
        _ => {
            return Err(format!(
                "the approval callback answered {answer_json}; answer \"allow\", \"deny\" or \
                 \"allow_for_session\" (or {{\"decision\": ..., \"reason\": ...}})"
            ));
        }
    };
    Ok(ApprovalAnswer {
        decision,
        answered_by: user,
        via: AnswerSource::Callback,
        reason,
    })
}

#[async_trait]
impl Approver for CallbackApprover {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        let json = serde_json::to_string(&request).unwrap_or_default();
        let limit = Duration::from_millis(request.timeout_ms);
        let denied = |reason: String| {
            tracing::warn!(approval = %request.id, "{reason}");
            ApprovalAnswer::denied(AnswerSource::Callback, reason)
        };
        match tokio::time::timeout(limit, self.callback.decide(json)).await {
            Err(_) => ApprovalAnswer::denied(
                AnswerSource::Timeout,
                format!("nobody answered within {} s", limit.as_secs().max(1)),
            ),
            Ok(Err(e)) => denied(format!("the approval callback failed: {e}")),
            Ok(Ok(answer)) => match parse_answer(&answer) {
                Ok(answer) => answer,
                Err(e) => denied(e),
            },
        }
    }
}

impl ToolsHandle {
    /// Tools that need approval (destroying or rolling back an environment, merging) and the
    /// coding agent's permission questions ask `callback` from now on (sessions started
    /// earlier keep what they had). Without one, such tools are refused.
    pub fn on_approval(&self, callback: Arc<dyn ApprovalCallback>) {
        self.set_approver(Arc::new(CallbackApprover::new(callback)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_names_or_objects() {
        assert_eq!(
            parse_answer("\"allow\"").unwrap().decision,
            ApprovalDecision::Allow
        );
        assert_eq!(
            parse_answer("deny").unwrap().decision,
            ApprovalDecision::Deny
        );
        let full =
            parse_answer(r#"{"decision":"deny","reason":"not today","user":"ann"}"#).unwrap();
        assert_eq!(full.reason.as_deref(), Some("not today"));
        assert_eq!(full.answered_by.as_deref(), Some("ann"));
        assert_eq!(full.via, AnswerSource::Callback);
        let bad = parse_answer("\"yes\"").unwrap_err();
        assert!(bad.contains("answer \"allow\""), "{bad}");
    }
}
